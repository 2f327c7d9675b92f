//! A grid of charts, one per metric key, grouped by prefix: for one run (the experiment
//! page) or several overlaid (compare). Settings (smoothing, x axis, log y) apply to all.

use std::collections::BTreeMap;
use std::rc::Rc;

use sextant_core::MetricSummary;
use yew::prelude::*;

use super::changes::use_changes;
use super::chart_card::ChartCard;
pub use super::chart_settings::{RunRef, Settings};
use super::ctx::use_ctx;
use super::route::{Link, Route};
use super::widgets::{Empty, ErrorBox, Loading};
use crate::view::keys::by_prefix;
use crate::view::series::XAxis;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub runs: Rc<Vec<RunRef>>,
    /// A key to show alone and large (`?key=` deep links).
    #[prop_or_default]
    pub focus: Option<String>,
}

#[derive(Clone, PartialEq)]
enum Metrics {
    Loading,
    /// Per run: its metric keys.
    Ready(Rc<Vec<BTreeMap<String, MetricSummary>>>),
    Failed(String),
}

#[function_component]
pub fn ChartsView(props: &Props) -> Html {
    let ctx = use_ctx();
    let settings = use_state(Settings::load);
    let metrics = use_state(|| Metrics::Loading);
    let key_filter = use_state(String::new);
    let changes = use_changes();
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    let store = ctx.as_ref().and_then(|c| c.store());

    {
        let metrics = metrics.clone();
        let store = store.clone();
        let runs = props.runs.clone();
        use_effect_with((generation, runs.clone()), move |_| {
            if let Some(store) = store {
                metrics.set(Metrics::Loading);
                wasm_bindgen_futures::spawn_local(async move {
                    let mut all = Vec::new();
                    for r in runs.iter() {
                        match store.list_metrics(&r.id).await {
                            Ok(list) => {
                                all.push(list.into_iter().map(|m| (m.key.clone(), m)).collect())
                            }
                            Err(e) => {
                                metrics.set(Metrics::Failed(e.to_string()));
                                return;
                            }
                        }
                    }
                    metrics.set(Metrics::Ready(Rc::new(all)));
                });
            }
        });
    }
    // Live: a run of ours changed; refresh its key list (the charts fetch new points).
    {
        let metrics = metrics.clone();
        let store = store.clone();
        let runs = props.runs.clone();
        let ch = changes.clone();
        use_effect_with(changes.version, move |_| {
            let touched: Vec<usize> = ch
                .take()
                .iter()
                .filter_map(|c| runs.iter().position(|r| r.id == c.experiment))
                .collect();
            if let (Some(store), Metrics::Ready(current), false) =
                (store, (*metrics).clone(), touched.is_empty())
            {
                wasm_bindgen_futures::spawn_local(async move {
                    let mut next = (*current).clone();
                    for i in touched {
                        if let (Some(r), Some(slot)) = (runs.get(i), next.get_mut(i)) {
                            if let Ok(list) = store.list_metrics(&r.id).await {
                                *slot = list.into_iter().map(|m| (m.key.clone(), m)).collect();
                            }
                        }
                    }
                    metrics.set(Metrics::Ready(Rc::new(next)));
                });
            }
        });
    }

    let per_run = match &*metrics {
        Metrics::Loading => return html! { <Loading label="Loading metrics…" /> },
        Metrics::Failed(e) => return html! { <ErrorBox message={e.clone()} /> },
        Metrics::Ready(m) => m.clone(),
    };
    let s = *settings;
    let update = |f: fn(&mut Settings, String)| {
        let settings = settings.clone();
        Callback::from(move |e: Event| {
            let mut next = *settings;
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let value = if input.type_() == "checkbox" {
                    input.checked().to_string()
                } else {
                    input.value()
                };
                f(&mut next, value);
            } else if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                f(&mut next, select.value());
            }
            next.save();
            settings.set(next);
        })
    };
    let on_smoothing = {
        let settings = settings.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let mut next = *settings;
                next.smoothing = input.value().parse().unwrap_or(0.0);
                next.save();
                settings.set(next);
            }
        })
    };
    let on_filter = {
        let key_filter = key_filter.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                key_filter.set(input.value());
            }
        })
    };

    let all_keys: Vec<&str> = {
        let mut k: Vec<&str> = per_run
            .iter()
            .flat_map(|m| m.keys().map(String::as_str))
            .collect();
        k.sort_unstable();
        k.dedup();
        k
    };
    if all_keys.is_empty() {
        return html! {
            <Empty title="No metrics logged yet">
                <p>{ "Charts appear as soon as the run logs a metric (log_dynamic / logDynamic), and grow live." }</p>
            </Empty>
        };
    }
    let needle = key_filter.to_lowercase();
    let shown: Vec<&str> = all_keys
        .iter()
        .copied()
        .filter(|k| needle.is_empty() || k.to_lowercase().contains(&needle))
        .collect();
    let summaries_for = |key: &str| -> Rc<Vec<Option<MetricSummary>>> {
        Rc::new(per_run.iter().map(|m| m.get(key).cloned()).collect())
    };
    let single = (props.runs.len() == 1).then(|| props.runs[0].id.clone());
    let card = |key: &str, height: u32| {
        html! {
            <ChartCard key={key.to_string()} runs={props.runs.clone()} metric={key.to_string()}
                summaries={summaries_for(key)} settings={s} {height}
                expand={single.clone().filter(|_| height < 300)} />
        }
    };

    let toolbar = html! {
        <div class="chart-toolbar">
            <label class="control" title="Exponential moving average (debiased); the raw line stays faint behind">
                { "Smoothing" }
                <input type="range" min="0" max="0.99" step="0.01" value={s.smoothing.to_string()} oninput={on_smoothing} />
                <span class="num">{ format!("{:.2}", s.smoothing) }</span>
            </label>
            <label class="control">
                { "X axis" }
                <select onchange={update(|s, v| s.x_axis = XAxis::parse(&v))}>
                    <option value="step" selected={s.x_axis == XAxis::Step}>{ "Step" }</option>
                    <option value="time" selected={s.x_axis == XAxis::WallTime}>{ "Wall time" }</option>
                    <option value="relative" selected={s.x_axis == XAxis::Relative}>{ "Relative time" }</option>
                </select>
            </label>
            <label class="control">
                <input type="checkbox" checked={s.log_y} onchange={update(|s, v| s.log_y = v == "true")} />
                { "Log y" }
            </label>
            <input class="search small" type="search" placeholder="Filter charts…" value={(*key_filter).clone()} oninput={on_filter} />
            <span class="muted hint">{ "Drag to zoom · Shift-drag to pan · Ctrl/⌘-wheel to zoom · double-click to reset" }</span>
        </div>
    };

    if let Some(focus) = props.focus.clone() {
        let back = single.clone().map(|id| {
            html! { <Link to={Route::Charts { id }}>{ "← All charts" }</Link> }
        });
        return html! {
            <div class="charts">
                { toolbar }
                <p>{ back.unwrap_or_default() }</p>
                { card(&focus, 420) }
            </div>
        };
    }
    html! {
        <div class="charts">
            { toolbar }
            { for by_prefix(shown.iter().copied()).into_iter().map(|(section, keys)| html! {
                <details class="chart-section" open=true>
                    <summary><span class="section-name">{ section }</span><span class="muted">{ format!(" {}", keys.len()) }</span></summary>
                    <div class="chart-grid">
                        { for keys.iter().map(|k| card(k, 220)) }
                    </div>
                </details>
            }) }
        </div>
    }
}

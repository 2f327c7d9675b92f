//! A grid of charts, one per metric key, grouped by prefix: for one run (the experiment
//! page) or several overlaid (compare), or groups of runs as mean lines in min–max bands.
//! Settings (smoothing, x axis, log y, grouping) apply to all. Sections share one grid of
//! columns across the page's width.

use std::collections::BTreeMap;
use std::rc::Rc;

use sextant_core::{ExperimentInfo, MetricSummary};
use yew::prelude::*;

use super::changes::use_changes;
use super::chart_card::ChartCard;
pub use super::chart_settings::{RunRef, Settings};
use super::ctx::use_ctx;
use super::dom;
use super::route::{Link, Route};
use super::widgets::{Empty, ErrorBox, Loading};
use super::width::use_width;
use crate::view::chart_grid;
use crate::view::grouping::{self, GroupBy};
use crate::view::keys::by_prefix;
use crate::view::series::XAxis;

const GROUP_BY_KEY: &str = "sextant.charts.group_by";
/// The narrowest a chart gets before the grid drops a column, and the gap between them
/// (the stylesheet's `.chart-sections` gap).
const MIN_CHART_WIDTH: f64 = 380.0;
const GRID_GAP: f64 = 14.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub runs: Rc<Vec<RunRef>>,
    /// A key to show alone and large (`?key=` deep links).
    #[prop_or_default]
    pub focus: Option<String>,
    /// The runs' records, in `runs` order: offered for grouping by group or param.
    #[prop_or_default]
    pub infos: Option<Rc<Vec<ExperimentInfo>>>,
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
    let group_by = use_state(|| dom::local_get(GROUP_BY_KEY).and_then(|s| GroupBy::parse(&s)));
    let groups = use_memo((props.infos.clone(), (*group_by).clone()), |(infos, by)| {
        let (Some(infos), Some(by)) = (infos, by) else {
            return None;
        };
        Some(Rc::new(grouping::group_runs(&infos[..], by)))
    });
    let grid_node = use_node_ref();
    let grid_width = use_width(grid_node.clone());
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
        Metrics::Loading => {
            return html! { <div class="charts" ref={grid_node}><Loading label="Loading metrics…" /></div> }
        }
        Metrics::Failed(e) => {
            return html! { <div class="charts" ref={grid_node}><ErrorBox message={e.clone()} /></div> }
        }
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
    let groups: Option<Rc<Vec<grouping::RunGroup>>> = (*groups).clone();
    let card = |key: &str, height: u32| {
        html! {
            <ChartCard key={key.to_string()} runs={props.runs.clone()} metric={key.to_string()}
                summaries={summaries_for(key)} settings={s} {height}
                expand={single.clone().filter(|_| height < 300)} groups={groups.clone()} />
        }
    };
    let group_control = props.infos.as_ref().filter(|_| props.runs.len() > 1).map(|infos| {
        let mut params: Vec<&String> = infos.iter().flat_map(|i| i.params.keys()).collect();
        params.sort_unstable();
        params.dedup();
        let current = group_by.as_ref().map(GroupBy::id).unwrap_or_default();
        let onchange = {
            let group_by = group_by.clone();
            Callback::from(move |e: Event| {
                if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                    let by = GroupBy::parse(&select.value());
                    dom::local_set(GROUP_BY_KEY, &by.as_ref().map(GroupBy::id).unwrap_or_default());
                    group_by.set(by);
                }
            })
        };
        html! {
            <label class="control" title="Draw each group's runs as one mean line in a min–max band">
                { "Group by" }
                <select class="group-by" {onchange}>
                    <option value="" selected={current.is_empty()}>{ "— (each run)" }</option>
                    <option value="group" selected={current == "group"}>{ "Group" }</option>
                    { for params.into_iter().map(|p| {
                        let id = GroupBy::Param(p.clone()).id();
                        html! { <option selected={current == id} value={id.clone()}>{ format!("⚙ {p}") }</option> }
                    }) }
                </select>
            </label>
        }
    });

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
            { group_control.unwrap_or_default() }
            <input class="search small" type="search" placeholder="Filter charts…" value={(*key_filter).clone()} oninput={on_filter} />
            <span class="muted hint">{ "Drag to zoom · Shift-drag to pan · Ctrl/⌘-wheel to zoom · double-click to reset" }</span>
        </div>
    };

    if let Some(focus) = props.focus.clone() {
        let back = single.clone().map(|id| {
            html! { <Link to={Route::Charts { id }}>{ "← All charts" }</Link> }
        });
        return html! {
            <div class="charts" ref={grid_node}>
                { toolbar }
                <p>{ back.unwrap_or_default() }</p>
                { card(&focus, 420) }
            </div>
        };
    }
    let sections = by_prefix(shown.iter().copied());
    let columns = chart_grid::columns(grid_width, MIN_CHART_WIDTH, GRID_GAP);
    let counts: Vec<usize> = sections.iter().map(|(_, keys)| keys.len()).collect();
    let spans = chart_grid::spans(&counts, columns);
    html! {
        <div class="charts" ref={grid_node}>
            { toolbar }
            <div class="chart-sections" style={format!("--cols:{columns}")} data-columns={columns.to_string()}>
                { for sections.into_iter().zip(spans).map(|((section, keys), span)| html! {
                    <details class="chart-section" open=true style={format!("--span:{span}")}>
                        <summary><span class="section-name">{ section }</span><span class="muted">{ format!(" {}", keys.len()) }</span></summary>
                        <div class="chart-grid">
                            { for keys.iter().map(|k| card(k, 220)) }
                        </div>
                    </details>
                }) }
            </div>
        </div>
    }
}

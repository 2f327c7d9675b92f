//! Compare runs: every metric overlaid (one colour per run), then params side by side with
//! an "only differing" switch, then latest metrics.

use std::rc::Rc;

use sextant_core::ExperimentInfo;
use yew::prelude::*;

use super::charts::{ChartsView, RunRef};
use super::ctx::use_ctx;
use super::media::MediaPanel;
use super::route::{use_query_param, Link, Route};
use super::widgets::{Empty, ErrorBox, Loading, StatusBadge};
use crate::view::{compare, palette, query};

#[function_component]
pub fn ComparePage() -> Html {
    let ctx = use_ctx();
    let ids = query::list(&use_query_param("ids").unwrap_or_default());
    let runs = use_state(|| None::<Result<Rc<Vec<ExperimentInfo>>, String>>);
    let only_diff = use_state(|| true);
    let store = ctx.as_ref().and_then(|c| c.store());
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    {
        let runs = runs.clone();
        let ids = ids.clone();
        use_effect_with((generation, ids.clone()), move |_| {
            if let Some(store) = store {
                runs.set(None);
                wasm_bindgen_futures::spawn_local(async move {
                    let mut out = Vec::new();
                    for id in &ids {
                        match store.get_experiment(id).await {
                            Ok(info) => out.push(info),
                            Err(e) => {
                                runs.set(Some(Err(e.to_string())));
                                return;
                            }
                        }
                    }
                    runs.set(Some(Ok(Rc::new(out))));
                });
            }
        });
    }
    if ids.len() < 2 {
        return html! {
            <Empty title="Pick runs to compare">
                <p>{ "Select two or more runs in the " }<Link to={Route::Experiments}>{ "experiments table" }</Link>{ " and press Compare." }</p>
            </Empty>
        };
    }
    let list = match &*runs {
        None => return html! { <Loading label="Loading runs…" /> },
        Some(Err(e)) => return html! { <ErrorBox message={e.clone()} /> },
        Some(Ok(l)) => l.clone(),
    };
    let refs: Rc<Vec<RunRef>> = Rc::new(
        list.iter()
            .enumerate()
            .map(|(i, r)| RunRef {
                id: r.id.clone(),
                name: r.name.clone(),
                color: palette::color(i),
            })
            .collect(),
    );
    let borrowed: Vec<&ExperimentInfo> = list.iter().collect();
    let params = compare::param_rows(&borrowed, *only_diff);
    let metrics = compare::metric_rows(&borrowed);
    let toggle = {
        let only_diff = only_diff.clone();
        Callback::from(move |_| only_diff.set(!*only_diff))
    };
    let head = html! {
        <tr>
            <th></th>
            { for list.iter().enumerate().map(|(i, r)| html! {
                <th>
                    <span class="swatch" style={format!("background:{}", palette::color(i))}></span>
                    <Link to={Route::Overview { id: r.id.clone() }}>{ r.name.clone() }</Link>
                </th>
            }) }
        </tr>
    };
    let cell = |v: &Option<String>| match v {
        Some(v) => html! { <td><code>{ v.clone() }</code></td> },
        None => html! { <td class="muted">{ "—" }</td> },
    };
    html! {
        <div class="compare">
            <h1>{ format!("Comparing {} runs", list.len()) }</h1>
            <div class="compare-runs">
                { for list.iter().enumerate().map(|(i, r)| html! {
                    <span class="run-chip">
                        <span class="swatch" style={format!("background:{}", palette::color(i))}></span>
                        { r.name.clone() }<StatusBadge status={r.status} />
                    </span>
                }) }
            </div>
            <ChartsView runs={refs.clone()} infos={Some(list.clone())} />
            <MediaPanel runs={refs} />
            <section class="card">
                <h3>
                    { "Params" }
                    <label class="control right">
                        <input type="checkbox" checked={*only_diff} onchange={toggle} />{ "Only differing params" }
                    </label>
                </h3>
                if params.is_empty() {
                    <p class="muted">{ if *only_diff { "All params are the same." } else { "No params logged." } }</p>
                } else {
                    <div class="scroll-x">
                        <table class="kv compare-table">
                            <thead>{ head.clone() }</thead>
                            <tbody>
                            { for params.iter().map(|row| html! {
                                <tr class={classes!(row.differs.then_some("differs"))}>
                                    <td class="key">{ row.key.clone() }</td>
                                    { for row.values.iter().map(cell) }
                                </tr>
                            }) }
                            </tbody>
                        </table>
                    </div>
                }
            </section>
            <super::evals::EvalAverages runs={list.clone()} />
            <section class="card">
                <h3>{ "Latest metrics" }</h3>
                <div class="scroll-x">
                    <table class="kv compare-table">
                        <thead>{ head }</thead>
                        <tbody>
                        { for metrics.iter().map(|row| html! {
                            <tr>
                                <td class="key">{ row.key.clone() }</td>
                                { for row.values.iter().map(cell) }
                            </tr>
                        }) }
                        </tbody>
                    </table>
                </div>
            </section>
        </div>
    }
}

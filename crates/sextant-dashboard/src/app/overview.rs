//! The overview tab: params with their types, latest metrics, description, source and the
//! models this run produced.

use std::rc::Rc;

use sextant_core::{ExperimentInfo, MetricSummary, ModelInfo};
use yew::prelude::*;

use super::ctx::use_ctx;
use super::dom;
use super::markdown::Markdown;
use super::route::{Link, Route};
use super::widgets::{ErrorBox, Tags};
use crate::view::format;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub info: Rc<ExperimentInfo>,
    pub metrics: Rc<Vec<MetricSummary>>,
}

#[function_component]
pub fn OverviewTab(props: &Props) -> Html {
    let ctx = use_ctx();
    let models = use_state(|| None::<Result<Vec<ModelInfo>, String>>);
    {
        let models = models.clone();
        let store = ctx.as_ref().and_then(|c| c.store());
        let id = props.info.id.clone();
        use_effect_with(id.clone(), move |_| {
            if let Some(store) = store {
                wasm_bindgen_futures::spawn_local(async move {
                    models.set(Some(
                        store.list_models(&id).await.map_err(|e| e.to_string()),
                    ));
                });
            }
        });
    }
    let info = &props.info;
    let tz = dom::tz_offset_ms();
    html! {
        <div class="overview">
            <section class="card">
                <h3>{ "Params" }<span class="muted count">{ info.params.len() }</span></h3>
                if info.params.is_empty() {
                    <p class="muted">{ "No params logged (log_static)." }</p>
                } else {
                    <table class="kv">
                        <thead><tr><th>{ "Name" }</th><th>{ "Value" }</th><th>{ "Type" }</th></tr></thead>
                        <tbody>
                        { for info.params.iter().map(|(k, v)| html! {
                            <tr>
                                <td class="key">{ k.clone() }</td>
                                <td class="val"><code>{ format::param(v) }</code></td>
                                <td class="muted">{ v.param_type().as_str() }</td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                }
            </section>
            <section class="card">
                <h3>{ "Latest metrics" }<span class="muted count">{ props.metrics.len() }</span></h3>
                if props.metrics.is_empty() {
                    <p class="muted">{ "No metrics logged yet (log_dynamic)." }</p>
                } else {
                    <table class="kv">
                        <thead><tr><th>{ "Key" }</th><th>{ "Last value" }</th><th>{ "Step" }</th><th>{ "Points" }</th></tr></thead>
                        <tbody>
                        { for props.metrics.iter().map(|m| html! {
                            <tr>
                                <td class="key">
                                    <Link to={Route::Charts { id: info.id.clone() }} query={vec![("key", m.key.clone())]}>{ m.key.clone() }</Link>
                                </td>
                                <td class="num">{ format::value(m.last_value) }</td>
                                <td class="num muted">{ m.last_step }</td>
                                <td class="num muted">{ m.count }</td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                }
            </section>
            <section class="card">
                <h3>{ "Details" }</h3>
                <dl class="details">
                    <dt>{ "Group" }</dt><dd>{ info.group.clone() }</dd>
                    <dt>{ "Tags" }</dt><dd>if info.tags.is_empty() { <span class="muted">{ "none" }</span> } else { <Tags tags={info.tags.clone()} /> }</dd>
                    <dt>{ "Created" }</dt><dd>{ format::datetime(info.created_at, tz) }</dd>
                    <dt>{ "Source" }</dt><dd>{ info.source.clone().map(|s| html! { <code>{ s }</code> }).unwrap_or_else(|| html! { <span class="muted">{ "—" }</span> }) }</dd>
                </dl>
                if let Some(d) = info.description.clone() {
                    <h4>{ "Description" }</h4>
                    <Markdown source={d} />
                }
            </section>
            <section class="card">
                <h3>{ "Models" }</h3>
                { match &*models {
                    None => html! { <p class="muted">{ "Loading…" }</p> },
                    Some(Err(e)) => html! { <ErrorBox message={e.clone()} /> },
                    Some(Ok(list)) if list.is_empty() => html! { <p class="muted">{ "No models linked (link_to_model)." }</p> },
                    Some(Ok(list)) => html! {
                        <table class="kv">
                            <thead><tr><th>{ "Name" }</th><th>{ "Path" }</th><th>{ "Size" }</th><th>{ "Linked" }</th></tr></thead>
                            <tbody>
                            { for list.iter().map(|m| html! {
                                <tr>
                                    <td class="key">{ m.name.clone() }</td>
                                    <td><code>{ m.path.clone() }</code></td>
                                    <td class="num muted">{ m.size.map(format::bytes).unwrap_or_else(|| "—".into()) }</td>
                                    <td class="muted">{ format::datetime(m.created_at, tz) }</td>
                                </tr>
                            }) }
                            </tbody>
                        </table>
                    },
                } }
            </section>
        </div>
    }
}

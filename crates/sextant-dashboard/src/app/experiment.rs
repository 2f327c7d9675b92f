//! One experiment: its header and the overview, charts, attachments and traces tabs. The
//! page follows live changes to the run (status, new metrics).

use std::rc::Rc;

use sextant_core::{ExperimentInfo, MetricSummary, Status};
use yew::prelude::*;

use super::attachments::AttachmentsTab;
use super::changes::use_changes;
use super::charts::{ChartsView, RunRef};
use super::ctx::{use_ctx, Conn};
use super::media::MediaPanel;
use super::overview::OverviewTab;
use super::route::{use_query_param, Link, Route};
use super::traces::TracesTab;
use super::widgets::{ErrorBox, Loading, StatusBadge, Tags};
use super::{dom, open};
use crate::view::{format, palette};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Charts,
    Attachments,
    Traces,
    Images,
    Evals,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: AttrValue,
    pub tab: Tab,
}

#[derive(Clone, PartialEq)]
enum Loaded {
    Loading,
    Ready(Rc<ExperimentInfo>, Rc<Vec<MetricSummary>>),
    Failed(String),
}

#[function_component]
pub fn ExperimentPage(props: &Props) -> Html {
    let ctx = use_ctx();
    let state = use_state(|| Loaded::Loading);
    let changes = use_changes();
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    let store = ctx.as_ref().and_then(|c| c.store());
    let id = props.id.to_string();
    let focus_key = use_query_param("key");

    let load = {
        let state = state.clone();
        let store = store.clone();
        let id = id.clone();
        Callback::from(move |quiet: bool| {
            let Some(store) = store.clone() else {
                return;
            };
            let (state, id) = (state.clone(), id.clone());
            if !quiet {
                state.set(Loaded::Loading);
            }
            wasm_bindgen_futures::spawn_local(async move {
                let info = store.get_experiment(&id).await;
                let metrics = store.list_metrics(&id).await;
                state.set(match (info, metrics) {
                    (Ok(i), Ok(m)) => Loaded::Ready(Rc::new(i), Rc::new(m)),
                    (Err(e), _) | (_, Err(e)) => Loaded::Failed(e.to_string()),
                });
            });
        })
    };
    {
        let load = load.clone();
        use_effect_with((generation, id.clone()), move |_| load.emit(false));
    }
    {
        let load = load.clone();
        let ch = changes.clone();
        let id = id.clone();
        use_effect_with(changes.version, move |_| {
            if ch.take().iter().any(|c| c.experiment == id) {
                load.emit(true);
            }
        });
    }

    let Some(ctx) = ctx else {
        return html! {};
    };
    if let Conn::Failed(e) = &ctx.conn {
        return html! { <ErrorBox message={e.clone()} /> };
    }
    let (info, metrics) = match &*state {
        Loaded::Loading => return html! { <Loading /> },
        Loaded::Failed(e) => {
            let retry = {
                let load = load.clone();
                Callback::from(move |_| load.emit(false))
            };
            return html! {
                <>
                    <ErrorBox message={e.clone()} retry={Some(retry)} />
                    <p><Link to={Route::Experiments}>{ "Back to the experiments" }</Link></p>
                </>
            };
        }
        Loaded::Ready(i, m) => (i.clone(), m.clone()),
    };
    let tab_link = |tab: Tab, label: String| {
        let route = match tab {
            Tab::Overview => Route::Overview { id: id.clone() },
            Tab::Charts => Route::Charts { id: id.clone() },
            Tab::Attachments => Route::Attachments { id: id.clone() },
            Tab::Traces => Route::Traces { id: id.clone() },
            Tab::Images => Route::Images { id: id.clone() },
            Tab::Evals => Route::Evals { id: id.clone() },
        };
        let class = classes!("tab", (props.tab == tab).then_some("active"));
        html! { <Link to={route} {class}>{ label }</Link> }
    };
    let tz = dom::tz_offset_ms();
    let duration = match (info.duration, info.status) {
        (Some(d), _) => format::duration_secs(d),
        (None, Status::Running) => format!(
            "running for {}",
            format::duration_secs(
                (js_sys::Date::now() as i64 - info.created_at).max(0) as f64 / 1000.0
            )
        ),
        _ => "—".into(),
    };
    let export = open::server_url(&ctx.source)
        .map(|base| format!("{base}/api/experiments/{}/export", info.id));
    let runs = Rc::new(vec![RunRef {
        id: info.id.clone(),
        name: info.name.clone(),
        color: palette::color(0),
    }]);
    let content = match props.tab {
        Tab::Overview => html! { <OverviewTab info={info.clone()} metrics={metrics.clone()} /> },
        Tab::Charts => html! { <ChartsView runs={runs} focus={focus_key} /> },
        Tab::Attachments => html! { <AttachmentsTab id={id.clone()} /> },
        Tab::Traces => html! { <TracesTab id={id.clone()} /> },
        Tab::Images => html! { <MediaPanel runs={runs.clone()} explain_empty={true} /> },
        Tab::Evals => html! { <super::evals::EvalsTab id={id.clone()} /> },
    };
    html! {
        <div class="experiment">
            <div class="crumbs"><Link to={Route::Experiments}>{ "Experiments" }</Link><span>{ " / " }</span><span>{ info.group.clone() }</span></div>
            <div class="exp-head">
                <h1>{ info.name.clone() }</h1>
                <StatusBadge status={info.status} />
                <Tags tags={info.tags.clone()} />
                <div class="spacer"></div>
                if let Some(url) = export {
                    <a class="btn" href={url} download="">{ "Export snapshot" }</a>
                }
            </div>
            <div class="exp-meta muted">
                <span title="Experiment id"><code>{ info.id.clone() }</code></span>
                <span>{ "created " }{ format::datetime(info.created_at, tz) }</span>
                <span>{ duration }</span>
            </div>
            <nav class="tabs">
                { tab_link(Tab::Overview, "Overview".into()) }
                { tab_link(Tab::Charts, format!("Charts · {}", metrics.len())) }
                { tab_link(Tab::Attachments, "Attachments".into()) }
                { tab_link(Tab::Traces, "Traces".into()) }
                { tab_link(Tab::Images, "Images".into()) }
                { tab_link(Tab::Evals, "Evals".into()) }
            </nav>
            { content }
        </div>
    }
}

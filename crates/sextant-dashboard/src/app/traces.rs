//! The traces tab: a table of traces (root, duration, spans, state), a waterfall of the
//! chosen trace's spans with nesting, and a side panel with a span's attributes, events
//! and links.

use std::collections::BTreeSet;
use std::rc::Rc;

use sextant_core::{Span, SpanStatus, TraceState, TraceSummary};
use yew::prelude::*;
use yew_router::prelude::*;

use super::ctx::use_ctx;
use super::dom;
use super::route::{self, use_query_param, Route};
use super::widgets::{Empty, ErrorBox, Loading};
use crate::view::{format, waterfall};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: String,
}

fn state_label(s: TraceState) -> (&'static str, &'static str) {
    match s {
        TraceState::InProgress => ("in progress", "running"),
        TraceState::Ok => ("ok", "completed"),
        TraceState::Error => ("error", "failed"),
        TraceState::Unset => ("unset", "unset"),
    }
}

#[function_component]
pub fn TracesTab(props: &Props) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let traces = use_state(|| None::<Result<Rc<Vec<TraceSummary>>, String>>);
    let spans = use_state(|| None::<(String, Result<Rc<Vec<Span>>, String>)>);
    let chosen_span = use_state(|| None::<String>);
    let collapsed = use_state(BTreeSet::<String>::new);
    let selected = use_query_param("trace");
    let store = ctx.as_ref().and_then(|c| c.store());
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);

    {
        let traces = traces.clone();
        let store = store.clone();
        let id = props.id.clone();
        use_effect_with((generation, id.clone()), move |_| {
            if let Some(store) = store {
                traces.set(None);
                wasm_bindgen_futures::spawn_local(async move {
                    traces.set(Some(
                        store
                            .list_traces(&id)
                            .await
                            .map(Rc::new)
                            .map_err(|e| e.to_string()),
                    ));
                });
            }
        });
    }
    {
        let spans = spans.clone();
        let store = store.clone();
        let id = props.id.clone();
        let chosen_span = chosen_span.clone();
        let collapsed = collapsed.clone();
        use_effect_with(selected.clone(), move |trace| {
            chosen_span.set(None);
            collapsed.set(BTreeSet::new());
            if let (Some(store), Some(trace)) = (store, trace.clone()) {
                spans.set(Some((trace.clone(), Err("loading".into()))));
                wasm_bindgen_futures::spawn_local(async move {
                    let result = store
                        .list_spans(&id, Some(&trace))
                        .await
                        .map(Rc::new)
                        .map_err(|e| e.to_string());
                    spans.set(Some((trace, result)));
                });
            }
        });
    }

    let list = match &*traces {
        None => return html! { <Loading label="Loading traces…" /> },
        Some(Err(e)) => return html! { <ErrorBox message={e.clone()} /> },
        Some(Ok(l)) => l.clone(),
    };
    if list.is_empty() {
        return html! {
            <Empty title="No traces">
                <p>{ "Spans logged with log_span, the tracing layer (Rust) or the OpenTelemetry exporter (JS) appear here as traces." }</p>
            </Empty>
        };
    }
    let source = ctx.map(|c| c.source);
    let tz = dom::tz_offset_ms();
    let rows = list.iter().map(|t| {
        let active = selected.as_deref() == Some(t.trace_id.as_str());
        let onclick = {
            let nav = nav.clone();
            let source = source.clone();
            let id = props.id.clone();
            let trace = t.trace_id.clone();
            Callback::from(move |_| {
                if let (Some(nav), Some(source)) = (&nav, &source) {
                    route::go(nav, &Route::Traces { id: id.clone() }, &[("trace", trace.clone())], source, false);
                }
            })
        };
        let (label, class) = state_label(t.state);
        html! {
            <tr class={classes!("clickable", active.then_some("active"))} {onclick} data-trace={t.trace_id.clone()}>
                <td class="key">{ t.root_name.clone().unwrap_or_else(|| "(no root yet)".into()) }</td>
                <td class="muted">{ format::datetime(t.start_time_unix_nano / 1_000_000, tz) }</td>
                <td class="num">{ format::duration_ns(t.duration_ns) }</td>
                <td class="num">{ t.span_count }</td>
                <td><span class={classes!("status", class)}><span class="dot"></span>{ label }</span></td>
            </tr>
        }
    });

    let detail = match (&*spans, &selected) {
        (Some((trace, result)), Some(sel)) if trace == sel => match result {
            Err(e) if e == "loading" => html! { <Loading /> },
            Err(e) => html! { <ErrorBox message={e.clone()} /> },
            Ok(spans) => {
                let on_span = {
                    let chosen_span = chosen_span.clone();
                    Callback::from(move |id: String| chosen_span.set(Some(id)))
                };
                let on_toggle = {
                    let collapsed = collapsed.clone();
                    Callback::from(move |id: String| {
                        let mut c = (*collapsed).clone();
                        if !c.remove(&id) {
                            c.insert(id);
                        }
                        collapsed.set(c);
                    })
                };
                html! {
                    <Waterfall spans={spans.clone()} chosen={(*chosen_span).clone()}
                        collapsed={(*collapsed).clone()} {on_span} {on_toggle} />
                }
            }
        },
        _ => html! { <p class="muted pad">{ "Pick a trace to see its spans." }</p> },
    };
    html! {
        <div class="traces">
            <table class="kv traces-table">
                <thead><tr><th>{ "Root" }</th><th>{ "Started" }</th><th>{ "Duration" }</th><th>{ "Spans" }</th><th>{ "State" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            { detail }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct WaterfallProps {
    spans: Rc<Vec<Span>>,
    chosen: Option<String>,
    collapsed: BTreeSet<String>,
    on_span: Callback<String>,
    on_toggle: Callback<String>,
}

#[function_component]
fn Waterfall(props: &WaterfallProps) -> Html {
    let layout = waterfall::layout(&props.spans, &props.collapsed);
    let total_ns = layout.end - layout.start;
    let chosen = props
        .chosen
        .as_ref()
        .and_then(|id| props.spans.iter().find(|s| &s.span_id == id));
    let rows = layout.rows.iter().map(|row| {
        let s = &props.spans[row.span];
        let active = props.chosen.as_deref() == Some(s.span_id.as_str());
        let onclick = {
            let cb = props.on_span.clone();
            let id = s.span_id.clone();
            Callback::from(move |_| cb.emit(id.clone()))
        };
        let caret = (row.children > 0).then(|| {
            let cb = props.on_toggle.clone();
            let id = s.span_id.clone();
            let closed = props.collapsed.contains(&s.span_id);
            let onclick = Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                cb.emit(id.clone());
            });
            html! { <button class="caret" {onclick} aria-label="Fold">{ if closed { "▸" } else { "▾" } }</button> }
        });
        let bar = format!(
            "left:{:.4}%;width:max({:.4}%, 2px)",
            row.offset * 100.0,
            row.width * 100.0
        );
        let kind = if s.status == SpanStatus::Error { "error" } else { "ok" };
        // The duration goes after the bar, or inside its end when the bar reaches the edge.
        let end = row.offset + row.width;
        let (label_class, label_style) = if end > 0.8 && row.width > 0.12 {
            ("wf-dur inside", format!("right:calc({:.4}% + 6px)", (1.0 - end) * 100.0))
        } else {
            ("wf-dur muted", format!("left:calc({:.4}% + 4px)", end.min(0.92) * 100.0))
        };
        html! {
            <div class={classes!("wf-row", active.then_some("active"))} {onclick} data-span={s.span_id.clone()}>
                <div class="wf-name" style={format!("padding-left:{}px", 6 + row.depth * 16)}>
                    { caret.unwrap_or_else(|| html! { <span class="caret-space"></span> }) }
                    <span class="span-name" title={s.name.clone()}>{ s.name.clone() }</span>
                </div>
                <div class="wf-track">
                    <div class={classes!("wf-bar", kind)} style={bar}></div>
                    <span class={label_class} style={label_style}>
                        { format::duration_ns(s.end_time_unix_nano - s.start_time_unix_nano) }
                    </span>
                </div>
            </div>
        }
    });
    html! {
        <div class="waterfall-area">
            <div class="waterfall" data-rows={layout.rows.len().to_string()}>
                <div class="wf-row wf-head">
                    <div class="wf-name muted">{ format!("{} spans", props.spans.len()) }</div>
                    <div class="wf-track muted">{ format!("0 — {}", format::duration_ns(total_ns)) }</div>
                </div>
                { for rows }
            </div>
            <aside class="span-panel">
                { match chosen {
                    None => html! { <p class="muted pad">{ "Click a span for its attributes and events." }</p> },
                    Some(s) => span_details(s, layout.start),
                } }
            </aside>
        </div>
    }
}

fn json_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn span_details(s: &Span, trace_start: i64) -> Html {
    let kind = match s.kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    };
    let status = match s.status {
        SpanStatus::Unset => "unset",
        SpanStatus::Ok => "ok",
        SpanStatus::Error => "error",
    };
    html! {
        <div class="span-details">
            <h3>{ s.name.clone() }</h3>
            <dl class="details">
                <dt>{ "Duration" }</dt><dd>{ format::duration_ns(s.end_time_unix_nano - s.start_time_unix_nano) }</dd>
                <dt>{ "Starts at" }</dt><dd>{ format!("+{}", format::duration_ns(s.start_time_unix_nano - trace_start)) }</dd>
                <dt>{ "Status" }</dt><dd>{ status }{ s.status_message.clone().map(|m| format!(": {m}")).unwrap_or_default() }</dd>
                <dt>{ "Kind" }</dt><dd>{ kind }</dd>
                <dt>{ "Span id" }</dt><dd><code>{ s.span_id.clone() }</code></dd>
                <dt>{ "Parent" }</dt><dd><code>{ s.parent_span_id.clone().unwrap_or_else(|| "—".into()) }</code></dd>
            </dl>
            <h4>{ "Attributes" }</h4>
            if s.attributes.is_empty() { <p class="muted">{ "none" }</p> } else {
                <table class="kv small">
                    <tbody>
                    { for s.attributes.iter().map(|(k, v)| html! {
                        <tr><td class="key">{ k.clone() }</td><td><code>{ json_value(v) }</code></td></tr>
                    }) }
                    </tbody>
                </table>
            }
            <h4>{ format!("Events ({})", s.events.len()) }</h4>
            if s.events.is_empty() { <p class="muted">{ "none" }</p> }
            { for s.events.iter().map(|e| html! {
                <div class="event">
                    <div><strong>{ e.name.clone() }</strong><span class="muted">{ format!(" +{}", format::duration_ns(e.timestamp - s.start_time_unix_nano)) }</span></div>
                    { for e.attributes.iter().map(|(k, v)| html! {
                        <div class="muted small"><code>{ k.clone() }</code>{ " = " }<code>{ json_value(v) }</code></div>
                    }) }
                </div>
            }) }
            if !s.links.is_empty() {
                <h4>{ "Links" }</h4>
                { for s.links.iter().map(|l| html! {
                    <div class="muted small"><code>{ format!("{}/{}", l.trace_id, l.span_id) }</code></div>
                }) }
            }
        </div>
    }
}

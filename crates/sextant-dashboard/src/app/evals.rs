//! The Evals tab: a run's eval samples in a windowed table (inputs, outputs, references,
//! scores), sorted and filtered by a score, averages per dataset, a side panel with one
//! sample, its linked traces and annotations, and a form to annotate it when the source is
//! a server. Also the eval averages table of the compare page.

use std::collections::BTreeSet;
use std::rc::Rc;

use sextant_core::evals::{self, EvalQuery, EvalSortKey, ScoreFilter};
use sextant_core::{
    Annotation, AnnotationKind, AnnotationSubject, AnnotationValue, Batch, EvalSample, EvalSummary,
    ExperimentInfo, JsonObject, Record,
};
use yew::prelude::*;

use super::ctx::use_ctx;
use super::dom;
use super::route::{Link, Route};
use super::row_window::{use_row_window, RowWindow, ROW_HEIGHT};
use super::widgets::{Empty, ErrorBox, Loading};
use crate::view::{format, source::Source};

const BLOCK: usize = 16;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: String,
}

#[derive(Clone, PartialEq)]
struct Data {
    samples: Rc<Vec<EvalSample>>,
    annotations: Rc<Vec<Annotation>>,
    summary: Rc<EvalSummary>,
}

/// Every score key of the samples, sorted.
fn score_keys(samples: &[EvalSample]) -> Vec<String> {
    let keys: BTreeSet<&String> = samples
        .iter()
        .flat_map(|s| s.scores.iter().flat_map(|m| m.keys()))
        .collect();
    keys.into_iter().cloned().collect()
}

/// A JSON object on one line, short enough for a cell.
fn brief(obj: Option<&JsonObject>) -> String {
    let Some(obj) = obj else {
        return String::new();
    };
    let text = obj
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(119).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn score_text(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::Number(n)) => {
            n.as_f64().map_or_else(|| n.to_string(), format::value)
        }
        Some(other) => other.to_string(),
    }
}

/// A random v4-shaped uuid for a new annotation (Math.random suffices: ids only need to
/// be unique within one run's annotations).
fn new_uuid() -> String {
    let r = |bits: i32| (js_sys::Math::random() * 2f64.powi(bits)) as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        r(32),
        r(16),
        r(12),
        0x8000 | r(14),
        r(48)
    )
}

#[function_component]
pub fn EvalsTab(props: &Props) -> Html {
    let ctx = use_ctx();
    let data = use_state(|| None::<Result<Data, String>>);
    let dataset = use_state(|| None::<String>);
    let sort = use_state(|| "created_at".to_string());
    let ascending = use_state(|| false);
    let filter = use_state(String::new);
    let chosen = use_state(|| None::<(String, String)>);
    let reload = use_state(|| 0u32);
    let store = ctx.as_ref().and_then(|c| c.store());
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    {
        let data = data.clone();
        let store = store.clone();
        let id = props.id.clone();
        use_effect_with((generation, id.clone(), *reload), move |_| {
            if let Some(store) = store {
                wasm_bindgen_futures::spawn_local(async move {
                    let loaded = async {
                        let samples = store.list_eval_samples(&id).await?;
                        let annotations = store.list_annotations(&id).await?;
                        let summary = evals::summarize(&samples);
                        Ok::<_, sextant_core::Error>(Data {
                            samples: Rc::new(samples),
                            annotations: Rc::new(annotations),
                            summary: Rc::new(summary),
                        })
                    };
                    data.set(Some(loaded.await.map_err(|e| e.to_string())));
                });
            }
        });
    }
    let data = match &*data {
        None => return html! { <Loading label="Loading evals…" /> },
        Some(Err(e)) => return html! { <ErrorBox message={e.clone()} /> },
        Some(Ok(d)) => d.clone(),
    };
    if data.samples.is_empty() {
        return html! {
            <Empty title="No eval samples">
                <p>{ "Samples logged with log_eval_sample (Python, Rust) or logEvalSample (JS) appear here, with their scores, linked traces and annotations." }</p>
            </Empty>
        };
    }
    let keys = score_keys(&data.samples);
    let (filters, filter_error) = match ScoreFilter::parse_all(&filter) {
        Ok(f) => (f, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let query = EvalQuery {
        dataset_id: (*dataset).clone(),
        filters,
        sort_by: EvalSortKey::parse(&sort).unwrap_or_default(),
        ascending: *ascending,
        ..EvalQuery::default()
    };
    let rows = match evals::arrange((*data.samples).clone(), &query) {
        Ok(r) => Rc::new(r),
        Err(e) => return html! { <ErrorBox message={e.to_string()} /> },
    };
    let summaries = Rc::new(evals::summaries_by_sample(&data.annotations));

    let on_dataset = {
        let dataset = dataset.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            dataset.set((!v.is_empty()).then_some(v));
        })
    };
    let on_sort = {
        let sort = sort.clone();
        Callback::from(move |e: Event| {
            sort.set(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            );
        })
    };
    let on_order = {
        let ascending = ascending.clone();
        Callback::from(move |_| ascending.set(!*ascending))
    };
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            );
        })
    };
    let on_pick = {
        let chosen = chosen.clone();
        Callback::from(move |key: (String, String)| chosen.set(Some(key)))
    };
    let writable = ctx
        .as_ref()
        .is_some_and(|c| matches!(c.source, Source::Server(_)));
    let panel = chosen.as_ref().and_then(|(d, i)| {
        data.samples
            .iter()
            .find(|s| &s.dataset_id == d && &s.id == i)
            .cloned()
    });
    let datasets: Vec<String> = data
        .summary
        .datasets
        .iter()
        .filter_map(|d| d.dataset_id.clone())
        .collect();
    let averages = averages_table(&data.summary, &keys);
    html! {
        <div class="evals">
            <section class="card">
                <h3>{ "Average scores" }</h3>
                { averages }
            </section>
            <div class="evals-controls">
                <label class="control">{ "Dataset " }
                    <select onchange={on_dataset} data-test="eval-dataset">
                        <option value="" selected={dataset.is_none()}>{ "all" }</option>
                        { for datasets.iter().map(|d| html! {
                            <option value={d.clone()} selected={dataset.as_deref() == Some(d.as_str())}>{ d.clone() }</option>
                        }) }
                    </select>
                </label>
                <label class="control">{ "Sort by " }
                    <select onchange={on_sort} data-test="eval-sort">
                        { for ["created_at", "updated_at", "dataset_id", "id"].iter().map(|k| html! {
                            <option value={*k} selected={*sort == *k}>{ *k }</option>
                        }) }
                        { for keys.iter().map(|k| {
                            let v = format!("scores.{k}");
                            html! { <option value={v.clone()} selected={*sort == v}>{ v.clone() }</option> }
                        }) }
                    </select>
                </label>
                <button class="btn" onclick={on_order} data-test="eval-order">{ if *ascending { "↑ ascending" } else { "↓ descending" } }</button>
                <label class="control grow">{ "Filter " }
                    <input type="text" placeholder="acc >= 0.5 and f1 < 0.9" value={(*filter).clone()} oninput={on_filter} data-test="eval-filter" />
                </label>
                <span class="muted" data-test="eval-count">{ format!("{} of {} samples", rows.len(), data.samples.len()) }</span>
            </div>
            if let Some(e) = filter_error {
                <p class="error-text" data-test="eval-filter-error">{ e }</p>
            }
            <div class="evals-body">
                <SampleTable rows={rows} keys={Rc::new(keys)} summaries={summaries} on_pick={on_pick}
                    chosen={(*chosen).clone()} />
                if let Some(sample) = panel {
                    <SamplePanel id={props.id.clone()} {sample} annotations={data.annotations.clone()} {writable}
                        on_change={{ let reload = reload.clone(); Callback::from(move |_| reload.set(*reload + 1)) }} />
                }
            </div>
        </div>
    }
}

fn averages_table(summary: &EvalSummary, keys: &[String]) -> Html {
    let row = |label: String, d: &sextant_core::DatasetScores| {
        html! {
            <tr data-dataset={label.clone()}>
                <td class="key">{ label }</td>
                <td class="num">{ d.samples }</td>
                { for keys.iter().map(|k| html! {
                    <td class="num">{ d.averages.get(k).map_or_else(|| "—".to_string(), |v| format::value(*v)) }</td>
                }) }
            </tr>
        }
    };
    html! {
        <div class="scroll-x">
            <table class="kv eval-averages">
                <thead><tr><th>{ "dataset" }</th><th>{ "samples" }</th>{ for keys.iter().map(|k| html! { <th>{ k.clone() }</th> }) }</tr></thead>
                <tbody>
                    { row("all".into(), &summary.overall) }
                    { for summary.datasets.iter().map(|d| row(d.dataset_id.clone().unwrap_or_default(), d)) }
                </tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct TableProps {
    rows: Rc<Vec<EvalSample>>,
    keys: Rc<Vec<String>>,
    summaries: Rc<std::collections::BTreeMap<(String, String), sextant_core::AnnotationSummary>>,
    chosen: Option<(String, String)>,
    on_pick: Callback<(String, String)>,
}

/// Only the rows in view (plus a margin) are in the page, so 100,000 samples scroll as
/// smoothly as 100.
#[function_component]
fn SampleTable(props: &TableProps) -> Html {
    let total = props.rows.len();
    let RowWindow {
        rows,
        scroller,
        onscroll,
        ..
    } = use_row_window(total, BLOCK, 520.0);
    let template = format!(
        "minmax(90px,1fr) minmax(80px,0.7fr) minmax(160px,2fr) minmax(160px,2fr) minmax(120px,1.5fr) {} minmax(70px,0.6fr)",
        "minmax(70px,0.6fr) ".repeat(props.keys.len())
    );
    let body = rows.map(|pos| {
        let s = &props.rows[pos];
        let key = (s.dataset_id.clone(), s.id.clone());
        let active = props.chosen.as_ref() == Some(&key);
        let notes = props.summaries.get(&key).map_or(0, |a| {
            a.feedback.iter().map(|f| f.total).sum::<u64>()
                + a.expectations.iter().map(|e| e.total).sum::<u64>()
        });
        let onclick = {
            let pick = props.on_pick.clone();
            let key = key.clone();
            Callback::from(move |_| pick.emit(key.clone()))
        };
        html! {
            <div class={classes!("row", "clickable", active.then_some("active"))} style={format!("top:{}px", pos as f64 * ROW_HEIGHT)}
                {onclick} data-eval={s.id.clone()}>
                <div class="cell key">{ s.id.clone() }</div>
                <div class="cell muted">{ s.dataset_id.clone() }</div>
                <div class="cell" title={brief(Some(&s.inputs))}>{ brief(Some(&s.inputs)) }</div>
                <div class="cell">{ brief(s.outputs.as_ref()) }</div>
                <div class="cell muted">{ brief(s.refs.as_ref()) }</div>
                { for props.keys.iter().map(|k| html! {
                    <div class="cell num" data-score={k.clone()}>{ score_text(s.scores.as_ref().and_then(|m| m.get(k))) }</div>
                }) }
                <div class="cell num">{ if s.trace_ids.is_empty() { String::new() } else { "trace".into() } }{ if notes > 0 { format!(" ✎{notes}") } else { String::new() } }</div>
            </div>
        }
    });
    html! {
        <div class="table-scroll evals-table" ref={scroller} {onscroll}>
            <div class="grid" style={format!("--cols:{template}")}>
                <div class="thead">
                    <div class="hcell">{ "id" }</div>
                    <div class="hcell">{ "dataset" }</div>
                    <div class="hcell">{ "inputs" }</div>
                    <div class="hcell">{ "outputs" }</div>
                    <div class="hcell">{ "references" }</div>
                    { for props.keys.iter().map(|k| html! { <div class="hcell num">{ k.clone() }</div> }) }
                    <div class="hcell">{ "links" }</div>
                </div>
                <div class="tbody" style={format!("height:{}px", total as f64 * ROW_HEIGHT)}>
                    { for body }
                </div>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct PanelProps {
    id: String,
    sample: EvalSample,
    annotations: Rc<Vec<Annotation>>,
    writable: bool,
    on_change: Callback<()>,
}

fn json_block(title: &str, obj: Option<&JsonObject>) -> Html {
    match obj {
        None => html! {},
        Some(o) => html! {
            <>
                <h4>{ title.to_string() }</h4>
                <pre class="json">{ serde_json::to_string_pretty(&serde_json::Value::Object(o.clone())).unwrap_or_default() }</pre>
            </>
        },
    }
}

#[function_component]
fn SamplePanel(props: &PanelProps) -> Html {
    let ctx = use_ctx();
    let name = use_state(|| "correct".to_string());
    let verdict = use_state(|| true);
    let user = use_state(|| "dashboard".to_string());
    let rationale = use_state(String::new);
    let status = use_state(|| None::<String>);
    let s = &props.sample;
    let tz = dom::tz_offset_ms();
    let mine: Vec<&Annotation> = props
        .annotations
        .iter()
        .filter(|a| {
            matches!(&a.subject, AnnotationSubject::Eval { dataset_id, eval_id }
                if dataset_id == &s.dataset_id && eval_id == &s.id)
        })
        .collect();
    let submit = {
        let store = ctx.as_ref().and_then(|c| c.store());
        let (name, verdict, user, rationale, status) = (
            name.clone(),
            verdict.clone(),
            user.clone(),
            rationale.clone(),
            status.clone(),
        );
        let (experiment, dataset_id, eval_id) =
            (props.id.clone(), s.dataset_id.clone(), s.id.clone());
        let on_change = props.on_change.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(store) = store.clone() else {
                return;
            };
            let annotation = Annotation {
                id: new_uuid(),
                subject: AnnotationSubject::Eval {
                    dataset_id: dataset_id.clone(),
                    eval_id: eval_id.clone(),
                },
                name: (*name).clone(),
                annotation_kind: AnnotationKind::Feedback,
                value_type: sextant_core::AnnotationValueType::Bool,
                value: AnnotationValue::Bool(*verdict),
                user: (*user).clone(),
                rationale: Some((*rationale).clone()).filter(|r| !r.trim().is_empty()),
                created_at: js_sys::Date::now() as i64,
            };
            let batch = Batch {
                records: vec![Record::Annotation {
                    experiment: experiment.clone(),
                    annotation,
                }],
            };
            let (status, on_change) = (status.clone(), on_change.clone());
            status.set(Some("saving…".into()));
            wasm_bindgen_futures::spawn_local(async move {
                match store.write(&batch).await {
                    Ok(()) => {
                        status.set(None);
                        on_change.emit(());
                    }
                    Err(e) => status.set(Some(e.to_string())),
                }
            });
        })
    };
    let text = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            );
        })
    };
    let on_verdict = {
        let verdict = verdict.clone();
        Callback::from(move |e: Event| {
            verdict.set(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value()
                    == "true",
            );
        })
    };
    html! {
        <aside class="side-panel eval-panel" data-test="eval-panel">
            <h3>{ s.id.clone() }<span class="muted">{ format!(" · {}", s.dataset_id) }</span></h3>
            <p class="muted">{ "logged " }{ format::datetime(s.updated_at, tz) }</p>
            { json_block("Inputs", Some(&s.inputs)) }
            { json_block("Outputs", s.outputs.as_ref()) }
            { json_block("References", s.refs.as_ref()) }
            { json_block("Scores", s.scores.as_ref()) }
            { json_block("Metadata", s.metadata.as_ref()) }
            if !s.trace_ids.is_empty() {
                <h4>{ "Traces" }</h4>
                <ul class="eval-traces">
                    { for s.trace_ids.iter().map(|t| html! {
                        <li><Link to={Route::Traces { id: props.id.clone() }} query={vec![("trace", t.clone())]}>
                            <code>{ t.clone() }</code>
                        </Link></li>
                    }) }
                </ul>
            }
            <h4>{ format!("Annotations · {}", mine.len()) }</h4>
            <ul class="eval-annotations">
                { for mine.iter().map(|a| html! {
                    <li data-annotation={a.name.clone()}>
                        <strong>{ a.name.clone() }</strong>{ format!(" = {} ", a.value.to_luml_text()) }
                        <span class="muted">{ format!("({}, {})", a.annotation_kind.as_str(), a.user) }</span>
                        if let Some(r) = &a.rationale { <div class="muted">{ r.clone() }</div> }
                    </li>
                }) }
            </ul>
            if props.writable {
                <form class="annotate" onsubmit={submit} data-test="annotate">
                    <label>{ "Name " }<input type="text" value={(*name).clone()} oninput={text(&name)} /></label>
                    <label>{ "Verdict " }
                        <select onchange={on_verdict}>
                            <option value="true" selected={*verdict}>{ "👍 good" }</option>
                            <option value="false" selected={!*verdict}>{ "👎 bad" }</option>
                        </select>
                    </label>
                    <label>{ "User " }<input type="text" value={(*user).clone()} oninput={text(&user)} /></label>
                    <label>{ "Why " }<input type="text" value={(*rationale).clone()} oninput={text(&rationale)} /></label>
                    <button class="btn" type="submit">{ "Add annotation" }</button>
                    if let Some(st) = &*status { <p class="muted">{ st.clone() }</p> }
                </form>
            }
        </aside>
    }
}

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub runs: Rc<Vec<ExperimentInfo>>,
}

/// Eval score averages of each compared run (overall), one column per run.
#[function_component]
pub fn EvalAverages(props: &CompareProps) -> Html {
    let ctx = use_ctx();
    let summaries = use_state(|| None::<Vec<Option<EvalSummary>>>);
    let store = ctx.as_ref().and_then(|c| c.store());
    {
        let summaries = summaries.clone();
        let ids: Vec<String> = props.runs.iter().map(|r| r.id.clone()).collect();
        use_effect_with(ids.clone(), move |_| {
            if let Some(store) = store {
                wasm_bindgen_futures::spawn_local(async move {
                    let mut out = Vec::new();
                    for id in &ids {
                        out.push(store.eval_summary(id).await.ok());
                    }
                    summaries.set(Some(out));
                });
            }
        });
    }
    let Some(list) = &*summaries else {
        return html! {};
    };
    let keys: BTreeSet<String> = list
        .iter()
        .flatten()
        .flat_map(|s| s.overall.averages.keys().cloned())
        .collect();
    if keys.is_empty() {
        return html! {};
    }
    html! {
        <section class="card" data-test="compare-evals">
            <h3>{ "Eval averages" }</h3>
            <div class="scroll-x">
                <table class="kv compare-table">
                    <thead><tr><th></th>{ for props.runs.iter().map(|r| html! { <th>{ r.name.clone() }</th> }) }</tr></thead>
                    <tbody>
                        <tr>
                            <td class="key muted">{ "samples" }</td>
                            { for list.iter().map(|s| html! { <td class="num">{ s.as_ref().map_or(0, |s| s.overall.samples) }</td> }) }
                        </tr>
                        { for keys.iter().map(|k| html! {
                            <tr data-score={k.clone()}>
                                <td class="key">{ k.clone() }</td>
                                { for list.iter().map(|s| html! {
                                    <td class="num">{ s.as_ref().and_then(|s| s.overall.averages.get(k)).map_or_else(|| "—".to_string(), |v| format::value(*v)) }</td>
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

//! Eval samples and annotations on the JS `ExperimentTracker` (luml's calls in camelCase,
//! optional arguments in an options object). Samples and links only buffer, like metrics;
//! annotations and their changes are written at once and resolve to what was stored.

use js_sys::Promise;
use serde_json::{json, Map, Value};
use sextant_core::{
    Annotation, AnnotationKind, AnnotationSubject, AnnotationSummary, AnnotationTarget,
    AnnotationValue, AnnotationValueType, Error, EvalPage, EvalQuery, EvalSample, EvalSummary,
    JsonObject, NewAnnotation, Result,
};
use wasm_bindgen::prelude::*;

use super::error::IntoJs;
use super::{input, output, rejected, ExperimentTracker};

fn object(v: &JsValue, what: &'static str) -> Result<Option<JsonObject>> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match input::json(v, what, what)? {
        Value::Object(m) => Ok(Some(m)),
        other => Err(Error::InvalidInput {
            what,
            value: other.to_string(),
            reason: "must be an object".into(),
        }),
    }
}

fn sample_json(s: &EvalSample) -> Value {
    json!({
        "id": s.id,
        "datasetId": s.dataset_id,
        "inputs": s.inputs,
        "outputs": s.outputs,
        "refs": s.refs,
        "scores": s.scores,
        "metadata": s.metadata,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
        "traceIds": s.trace_ids,
        "annotations": s.annotations.as_ref().map(summary_json),
    })
}

fn summary_json(s: &AnnotationSummary) -> Value {
    json!({
        "feedback": s.feedback.iter().map(|f| json!({"name": f.name, "total": f.total, "counts": f.counts})).collect::<Vec<_>>(),
        "expectations": s.expectations.iter().map(|e| json!({
            "name": e.name, "total": e.total, "positive": e.positive, "negative": e.negative, "value": e.value,
        })).collect::<Vec<_>>(),
    })
}

fn annotation_json(a: &Annotation) -> Value {
    let mut v = json!({
        "id": a.id,
        "target": a.subject.target().as_str(),
        "name": a.name,
        "annotationKind": a.annotation_kind.as_str(),
        "valueType": a.value_type.as_str(),
        "value": a.value,
        "user": a.user,
        "rationale": a.rationale,
        "createdAt": a.created_at,
    });
    if let Value::Object(m) = &mut v {
        let ids = match &a.subject {
            AnnotationSubject::Eval {
                dataset_id,
                eval_id,
            } => [("datasetId", dataset_id), ("evalId", eval_id)],
            AnnotationSubject::Span { trace_id, span_id } => {
                [("traceId", trace_id), ("spanId", span_id)]
            }
        };
        for (k, id) in ids {
            m.insert(k.into(), Value::String(id.clone()));
        }
    }
    v
}

fn page_json(p: &EvalPage) -> Value {
    json!({
        "items": p.items.iter().map(sample_json).collect::<Vec<_>>(),
        "cursor": p.cursor,
        "total": p.total,
    })
}

fn scores_json(s: &sextant_core::DatasetScores) -> Value {
    json!({"datasetId": s.dataset_id, "samples": s.samples, "averages": s.averages})
}

fn eval_summary_json(s: &EvalSummary) -> Value {
    json!({
        "overall": scores_json(&s.overall),
        "datasets": s.datasets.iter().map(scores_json).collect::<Vec<_>>(),
    })
}

/// `{ name, annotationKind, valueType, value, user, rationale? }`: the value must have
/// the value type (a feedback's is `bool`).
fn new_annotation(v: &JsValue) -> Result<NewAnnotation> {
    input::options(
        v,
        "annotation field",
        &[
            "name",
            "annotationKind",
            "valueType",
            "value",
            "user",
            "rationale",
        ],
    )?;
    let text = |k: &'static str| input::string(&input::get(v, k), k);
    let kind = AnnotationKind::parse(&text("annotationKind")?)?;
    let value_type = AnnotationValueType::parse(&text("valueType")?)?;
    let value = annotation_value(&input::get(v, "value"))?;
    value.check_type(value_type)?;
    Ok(NewAnnotation {
        name: text("name")?,
        kind,
        value,
        user: text("user")?,
        rationale: input::opt_string(&input::get(v, "rationale"), "rationale")?,
    })
}

fn annotation_value(v: &JsValue) -> Result<AnnotationValue> {
    serde_json::from_value(input::json(v, "annotation value", "value")?).map_err(|_| {
        Error::InvalidInput {
            what: "annotation value",
            value: input::describe(v),
            reason: "must be a boolean, an integer or a string".into(),
        }
    })
}

#[wasm_bindgen]
impl ExperimentTracker {
    /// `logEvalSample(evalId, datasetId, inputs, { outputs, references, scores,
    /// metadata, experimentId }?)`: buffers one sample; the same (dataset, id) replaces it.
    #[wasm_bindgen(js_name = logEvalSample)]
    pub fn log_eval_sample(
        &self,
        eval_id: JsValue,
        dataset_id: JsValue,
        inputs: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        self.usable().js()?;
        input::options(
            &options,
            "logEvalSample option",
            &[
                "outputs",
                "references",
                "scores",
                "metadata",
                "experimentId",
            ],
        )
        .js()?;
        let sample = EvalSample {
            outputs: object(&input::get(&options, "outputs"), "outputs").js()?,
            refs: object(&input::get(&options, "references"), "references").js()?,
            scores: object(&input::get(&options, "scores"), "scores").js()?,
            metadata: object(&input::get(&options, "metadata"), "metadata").js()?,
            ..EvalSample::new(
                input::string(&eval_id, "eval id").js()?,
                input::string(&dataset_id, "dataset id").js()?,
                object(&inputs, "inputs").js()?.unwrap_or_default(),
            )
        };
        let id = input::option_experiment_id(&options).js()?;
        let due = self
            .inner
            .tracker
            .log_eval_sample(sample, id.as_deref())
            .js()?;
        self.inner.after_log(due);
        Ok(())
    }

    /// `linkEvalSampleToTrace(datasetId, evalId, traceId, { experimentId }?)`: buffers a
    /// link from a logged sample to a trace.
    #[wasm_bindgen(js_name = linkEvalSampleToTrace)]
    pub fn link_eval_sample_to_trace(
        &self,
        dataset_id: JsValue,
        eval_id: JsValue,
        trace_id: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        self.usable().js()?;
        let id = self.option_id(&options).js()?;
        self.inner
            .tracker
            .link_eval_sample_to_trace(
                &input::string(&dataset_id, "dataset id").js()?,
                &input::string(&eval_id, "eval id").js()?,
                &input::string(&trace_id, "trace id").js()?,
                id.as_deref(),
            )
            .js()?;
        self.inner.after_log(false);
        Ok(())
    }

    /// `logEvalAnnotation(datasetId, evalId, { name, annotationKind, valueType, value,
    /// user, rationale }, { experimentId }?)`: resolves to the stored annotation.
    #[wasm_bindgen(js_name = logEvalAnnotation)]
    pub fn log_eval_annotation(
        &self,
        dataset_id: JsValue,
        eval_id: JsValue,
        annotation: JsValue,
        options: JsValue,
    ) -> Promise {
        let args = (|| {
            let subject = AnnotationSubject::Eval {
                dataset_id: input::string(&dataset_id, "dataset id")?,
                eval_id: input::string(&eval_id, "eval id")?,
            };
            Ok::<_, Error>((
                subject,
                new_annotation(&annotation)?,
                self.option_id(&options)?,
            ))
        })();
        self.annotate(args)
    }

    /// `logSpanAnnotation(traceId, spanId, annotation, { experimentId }?)`.
    #[wasm_bindgen(js_name = logSpanAnnotation)]
    pub fn log_span_annotation(
        &self,
        trace_id: JsValue,
        span_id: JsValue,
        annotation: JsValue,
        options: JsValue,
    ) -> Promise {
        let args = (|| {
            let subject = AnnotationSubject::Span {
                trace_id: input::string(&trace_id, "trace id")?,
                span_id: input::string(&span_id, "span id")?,
            };
            Ok::<_, Error>((
                subject,
                new_annotation(&annotation)?,
                self.option_id(&options)?,
            ))
        })();
        self.annotate(args)
    }

    /// `updateAnnotation(experimentId, annotationId, "eval" | "span", { value?,
    /// rationale? })`: resolves to the annotation as stored.
    #[wasm_bindgen(js_name = updateAnnotation)]
    pub fn update_annotation(
        &self,
        experiment_id: JsValue,
        annotation_id: JsValue,
        target: JsValue,
        changes: JsValue,
    ) -> Promise {
        let args = (|| {
            input::options(&changes, "updateAnnotation field", &["value", "rationale"])?;
            let value = input::get(&changes, "value");
            let value = if value.is_undefined() || value.is_null() {
                None
            } else {
                Some(annotation_value(&value)?)
            };
            Ok::<_, Error>((
                input::string(&experiment_id, "experiment id")?,
                input::string(&annotation_id, "annotation id")?,
                AnnotationTarget::parse(&input::string(&target, "annotation target")?)?,
                value,
                input::opt_string(&input::get(&changes, "rationale"), "rationale")?,
            ))
        })();
        let (id, annotation_id, target, value, rationale) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let a = t
                .update_annotation(&id, &annotation_id, target, value, rationale)
                .await?;
            Ok(output::json(&annotation_json(&a)))
        })
    }

    /// `deleteAnnotation(experimentId, annotationId, "eval" | "span")`.
    #[wasm_bindgen(js_name = deleteAnnotation)]
    pub fn delete_annotation(
        &self,
        experiment_id: JsValue,
        annotation_id: JsValue,
        target: JsValue,
    ) -> Promise {
        let args = (|| {
            Ok::<_, Error>((
                input::string(&experiment_id, "experiment id")?,
                input::string(&annotation_id, "annotation id")?,
                AnnotationTarget::parse(&input::string(&target, "annotation target")?)?,
            ))
        })();
        let (id, annotation_id, target) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            t.delete_annotation(&id, &annotation_id, target).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `getExperimentEvals({ experimentId, datasetId, search, filters, sortBy, order,
    /// limit, cursor }?)`: one page `{ items, cursor, total }`; `filters` are
    /// `"scores.KEY OP NUMBER"` strings, `sortBy` a column or `scores.KEY`.
    #[wasm_bindgen(js_name = getExperimentEvals)]
    pub fn get_experiment_evals(&self, options: JsValue) -> Promise {
        let args = (|| {
            input::options(
                &options,
                "getExperimentEvals option",
                &[
                    "experimentId",
                    "datasetId",
                    "search",
                    "filters",
                    "sortBy",
                    "order",
                    "limit",
                    "cursor",
                ],
            )?;
            let s = |k: &'static str| input::opt_string(&input::get(&options, k), k);
            let filters = input::get(&options, "filters");
            let filters = if filters.is_undefined() || filters.is_null() {
                String::new()
            } else {
                input::strings(&filters, "filters")?.join(" and ")
            };
            let limit = input::get(&options, "limit");
            let limit = if limit.is_undefined() || limit.is_null() {
                None
            } else {
                Some(
                    limit
                        .as_f64()
                        .filter(|n| n.fract() == 0.0 && *n >= 1.0)
                        .map(|n| (n as u64).to_string())
                        .ok_or_else(|| Error::InvalidInput {
                            what: "limit option",
                            value: input::describe(&limit),
                            reason: "must be a whole number >= 1".into(),
                        })?,
                )
            };
            let mut params: Map<String, Value> = Map::new();
            for (k, v) in [
                ("dataset_id", s("datasetId")?),
                ("search", s("search")?),
                ("sort_by", s("sortBy")?),
                ("order", s("order")?),
                ("cursor", s("cursor")?),
                ("limit", limit),
                ("filter", Some(filters)),
            ] {
                if let Some(v) = v {
                    params.insert(k.into(), Value::String(v));
                }
            }
            let query = EvalQuery::from_params(|k| params.get(k).and_then(Value::as_str))?;
            Ok::<_, Error>((input::option_experiment_id(&options)?, query))
        })();
        let (id, query) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            let page = t.get_experiment_evals(id.as_deref(), &query).await?;
            Ok(output::json(&page_json(&page)))
        })
    }

    /// `getEvalSummary(experimentId?)`: score averages `{ overall, datasets }`.
    #[wasm_bindgen(js_name = getEvalSummary)]
    pub fn get_eval_summary(&self, experiment_id: JsValue) -> Promise {
        let id = match input::experiment_id(&experiment_id) {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            let s = t.get_eval_summary(id.as_deref()).await?;
            Ok(output::json(&eval_summary_json(&s)))
        })
    }

    /// `listAnnotations(experimentId?)`: every annotation, by creation time.
    #[wasm_bindgen(js_name = listAnnotations)]
    pub fn list_annotations(&self, experiment_id: JsValue) -> Promise {
        let id = match input::experiment_id(&experiment_id) {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            let list = t.list_annotations(id.as_deref()).await?;
            Ok(output::json(&Value::Array(
                list.iter().map(annotation_json).collect(),
            )))
        })
    }
}

impl ExperimentTracker {
    fn annotate(
        &self,
        args: Result<(AnnotationSubject, NewAnnotation, Option<String>)>,
    ) -> Promise {
        let (subject, new, id) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let a = t.log_annotation(subject, new, id.as_deref()).await?;
            Ok(output::json(&annotation_json(&a)))
        })
    }
}

//! Eval samples and annotations for `sextant.ExperimentTracker`: the Python side shapes
//! luml's signatures and records; values cross as JSON text (what luml stores anyway).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sextant::{
    AnnotationKind, AnnotationSubject, AnnotationTarget, AnnotationValue, AnnotationValueType,
    EvalQuery, EvalSample, ExperimentTracker, NewAnnotation,
};

use crate::errors::{invalid_value, IntoPy};
use crate::reads;

fn parse<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| invalid_value(format!("invalid {what}: {e}")))
}

/// `sample_json`: `{"id", "dataset_id", "inputs", "outputs", "refs", "scores", "metadata"}`.
pub(crate) fn log_sample(
    t: &ExperimentTracker,
    sample_json: &str,
    experiment_id: Option<&str>,
) -> PyResult<()> {
    let mut v: serde_json::Value = parse("eval sample", sample_json)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("created_at".into(), 0.into());
        o.insert("updated_at".into(), 0.into());
    }
    let sample: EvalSample = serde_json::from_value(v)
        .map_err(|e| invalid_value(format!("invalid eval sample: {e}")))?;
    t.log_eval_sample(sample, experiment_id).py_err()
}

/// The value as luml takes it, checked against `value_type`: a bool is not an int here.
fn value(value_type: &str, json: &str) -> PyResult<AnnotationValue> {
    let ty = AnnotationValueType::parse(value_type).py_err()?;
    let v: AnnotationValue = parse("annotation value", json)?;
    v.check_type(ty).py_err()?;
    Ok(v)
}

/// `spec_json`: `{"target": "eval"|"span", ids…, "name", "annotation_kind", "value_type",
/// "value", "user", "rationale"}`; returns the stored annotation.
pub(crate) fn log_annotation<'py>(
    t: &ExperimentTracker,
    py: Python<'py>,
    spec_json: &str,
    experiment_id: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec: serde_json::Map<String, serde_json::Value> = parse("annotation", spec_json)?;
    let text = |k: &str| {
        spec.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let subject: AnnotationSubject =
        serde_json::from_value(serde_json::Value::Object(spec.clone()))
            .map_err(|e| invalid_value(format!("invalid annotation target: {e}")))?;
    let value_json = spec
        .get("value")
        .map(ToString::to_string)
        .unwrap_or_default();
    let new = NewAnnotation {
        name: text("name"),
        kind: AnnotationKind::parse(&text("annotation_kind")).py_err()?,
        value: value(&text("value_type"), &value_json)?,
        user: text("user"),
        rationale: spec
            .get("rationale")
            .and_then(|v| v.as_str())
            .map(str::to_string),
    };
    let stored = py
        .detach(|| match subject {
            AnnotationSubject::Eval {
                dataset_id,
                eval_id,
            } => t.log_eval_annotation(&dataset_id, &eval_id, new, experiment_id),
            AnnotationSubject::Span { trace_id, span_id } => {
                t.log_span_annotation(&trace_id, &span_id, new, experiment_id)
            }
        })
        .py_err()?;
    reads::serde(py, &stored)
}

pub(crate) fn update_annotation<'py>(
    t: &ExperimentTracker,
    py: Python<'py>,
    experiment_id: &str,
    annotation_id: &str,
    target: &str,
    value_json: Option<&str>,
    rationale: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let target = AnnotationTarget::parse(target).py_err()?;
    let value = value_json
        .map(|j| parse::<AnnotationValue>("annotation value", j))
        .transpose()?;
    let stored = py
        .detach(|| t.update_annotation(experiment_id, annotation_id, target, value, rationale))
        .py_err()?;
    reads::serde(py, &stored)
}

pub(crate) fn delete_annotation(
    t: &ExperimentTracker,
    py: Python<'_>,
    experiment_id: &str,
    annotation_id: &str,
    target: &str,
) -> PyResult<()> {
    let target = AnnotationTarget::parse(target).py_err()?;
    py.detach(|| t.delete_annotation(experiment_id, annotation_id, target))
        .py_err()
}

/// `params`: `dataset_id`, `search`, `filter`, `sort_by`, `order`, `limit`, `cursor`.
pub(crate) fn page<'py>(
    t: &ExperimentTracker,
    py: Python<'py>,
    experiment_id: Option<&str>,
    params: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in params.iter() {
        if !v.is_none() {
            pairs.push((k.extract()?, v.str()?.to_string()));
        }
    }
    let query = EvalQuery::from_params(|k| {
        pairs
            .iter()
            .find(|(pk, _)| pk == k)
            .map(|(_, v)| v.as_str())
    })
    .py_err()?;
    let page = py
        .detach(|| t.get_experiment_evals(experiment_id, &query))
        .py_err()?;
    reads::serde(py, &page)
}

pub(crate) fn all<'py>(
    t: &ExperimentTracker,
    py: Python<'py>,
    experiment_id: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let all = py
        .detach(|| t.get_experiment_evals_all(experiment_id))
        .py_err()?;
    reads::serde(py, &all)
}

pub(crate) fn summary<'py>(
    t: &ExperimentTracker,
    py: Python<'py>,
    experiment_id: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let s = py.detach(|| t.get_eval_summary(experiment_id)).py_err()?;
    reads::serde(py, &s)
}

pub(crate) fn annotations<'py>(
    t: &ExperimentTracker,
    py: Python<'py>,
    experiment_id: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = py.detach(|| t.list_annotations(experiment_id)).py_err()?;
    reads::serde(py, &a)
}

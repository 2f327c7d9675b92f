//! `sextant._sextant.Tracker`: the blocking Rust tracker as a Python base class.
//!
//! `sextant.ExperimentTracker` subclasses it: the hot logging calls are these Rust methods
//! called directly (no Python frame in between), the rest is shaped in Python. Logging
//! only buffers; anything that may touch the store runs with the GIL released, so other
//! Python threads keep running while SQLite syncs or a server answers.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use sextant::{ExperimentTracker, ExperimentUpdate, Span, StartOptions};

use crate::convert::param_value;
use crate::errors::{invalid_type, invalid_value, IntoPy};
use crate::evals;
use crate::reads;

/// `(key, count, first_step, last_step, last_value)`.
type MetricRow = (String, u64, i64, i64, f64);

#[pyclass(subclass, module = "sextant._sextant", name = "Tracker", frozen)]
pub(crate) struct PyTracker {
    inner: ExperimentTracker,
}

#[pymethods]
impl PyTracker {
    #[new]
    #[pyo3(signature = (connection_string = sextant::DEFAULT_STORE))]
    fn new(py: Python<'_>, connection_string: &str) -> PyResult<Self> {
        let inner = py
            .detach(|| ExperimentTracker::new(connection_string))
            .py_err()?;
        Ok(PyTracker { inner })
    }

    /// The current experiment's id (the one last started), or None.
    #[getter]
    fn current_experiment_id(&self) -> Option<String> {
        self.inner.current_experiment()
    }

    #[pyo3(signature = (name, group, experiment_id, tags, source, system_metrics = false))]
    #[allow(clippy::too_many_arguments)]
    fn _start(
        &self,
        py: Python<'_>,
        name: Option<String>,
        group: Option<String>,
        experiment_id: Option<String>,
        tags: Option<Vec<String>>,
        source: Option<String>,
        system_metrics: bool,
    ) -> PyResult<String> {
        let opts = StartOptions {
            id: experiment_id,
            name,
            group,
            tags: tags.unwrap_or_default(),
            description: None,
            source,
            system_metrics,
        };
        py.detach(|| self.inner.start_experiment(opts)).py_err()
    }

    /// Marks the experiment completed after making everything buffered durable.
    #[pyo3(signature = (experiment_id = None))]
    fn end_experiment(&self, py: Python<'_>, experiment_id: Option<&str>) -> PyResult<()> {
        py.detach(|| self.inner.end_experiment(experiment_id))
            .py_err()
    }

    /// Marks the experiment failed (luml: `error`) after making everything buffered durable.
    #[pyo3(signature = (experiment_id = None))]
    fn fail_experiment(&self, py: Python<'_>, experiment_id: Option<&str>) -> PyResult<()> {
        py.detach(|| self.inner.fail_experiment(experiment_id))
            .py_err()
    }

    /// Logs a param: str, int, float, bool, or any JSON-serialisable value (numpy too).
    /// Logging a key again replaces it.
    #[pyo3(signature = (key, value, experiment_id = None))]
    fn log_static(
        &self,
        key: &str,
        value: &Bound<'_, PyAny>,
        experiment_id: Option<&str>,
    ) -> PyResult<()> {
        let value = param_value(key, value)?;
        self.inner.log_static(key, value, experiment_id).py_err()
    }

    /// Buffers one metric point. `value`: anything with `__float__`; `step`: with None,
    /// the next step after the key's highest (the first is 0). NaN and ±inf are kept.
    #[pyo3(signature = (key, value, step = None, experiment_id = None))]
    fn log_dynamic(
        &self,
        key: &str,
        value: &Bound<'_, PyAny>,
        step: Option<i64>,
        experiment_id: Option<&str>,
    ) -> PyResult<()> {
        let value = number(key, value)?;
        self.inner
            .log_dynamic(key, value, step, experiment_id)
            .py_err()?;
        Ok(())
    }

    /// Several metrics at one step: `{"loss": l, "acc": a}`. With no step each key
    /// auto-steps. Either every value is buffered or (on a bad key or value) none.
    #[pyo3(signature = (values, step = None, experiment_id = None))]
    fn log_dynamics(
        &self,
        values: &Bound<'_, PyDict>,
        step: Option<i64>,
        experiment_id: Option<&str>,
    ) -> PyResult<()> {
        let mut keys: Vec<Bound<'_, PyString>> = Vec::with_capacity(values.len());
        let mut nums: Vec<f64> = Vec::with_capacity(values.len());
        for (k, v) in values.iter() {
            let key = k
                .cast_into::<PyString>()
                .map_err(|e| invalid_type(format!("log_dynamics: metric keys must be str: {e}")))?;
            let num = number(key.to_str()?, &v)?;
            keys.push(key);
            nums.push(num);
        }
        let mut pairs: Vec<(&str, f64)> = Vec::with_capacity(keys.len());
        for (k, v) in keys.iter().zip(nums) {
            pairs.push((k.to_str()?, v));
        }
        self.inner
            .log_dynamics(&pairs, step, experiment_id)
            .py_err()
    }

    /// `log_dynamic_array`'s core: native-endian f64 values and optional i64 steps, already
    /// packed by the Python side, logged without touching Python objects.
    #[pyo3(signature = (key, values, steps, experiment_id))]
    fn _log_array(
        &self,
        py: Python<'_>,
        key: &str,
        values: &Bound<'_, PyBytes>,
        steps: Option<&Bound<'_, PyBytes>>,
        experiment_id: Option<&str>,
    ) -> PyResult<usize> {
        let values = values.as_bytes();
        let steps = steps.map(|s| s.as_bytes());
        if values.len() % 8 != 0 || steps.is_some_and(|s| s.len() != values.len()) {
            return Err(invalid_value(format!(
                "log_dynamic_array({key:?}): steps must have one entry per value ({} values, {} steps)",
                values.len() / 8,
                steps.map_or(0, |s| s.len() / 8)
            )));
        }
        py.detach(|| log_packed(&self.inner, key, values, steps, experiment_id))
    }

    #[pyo3(signature = (name, data, experiment_id))]
    fn _log_attachment(
        &self,
        py: Python<'_>,
        name: &str,
        data: &Bound<'_, PyBytes>,
        experiment_id: Option<&str>,
    ) -> PyResult<()> {
        let data = data.as_bytes();
        py.detach(|| self.inner.log_attachment(name, data, experiment_id))
            .py_err()
    }

    /// A PNG or JPEG of `key` at `step`, as `media/KEY/STEP.png` (or `.jpg`) with the key's
    /// index; other bytes are refused with `InvalidInputError`.
    #[pyo3(signature = (key, data, step, experiment_id = None))]
    fn log_image(
        &self,
        py: Python<'_>,
        key: &str,
        data: &Bound<'_, PyBytes>,
        step: i64,
        experiment_id: Option<&str>,
    ) -> PyResult<()> {
        let data = data.as_bytes();
        py.detach(|| self.inner.log_image(key, data, step, experiment_id))
            .py_err()
    }

    /// Spans as a JSON list in the core's `Span` shape (one call per exporter batch).
    #[pyo3(signature = (spans_json, experiment_id))]
    fn _log_spans(&self, spans_json: &str, experiment_id: Option<&str>) -> PyResult<()> {
        let spans: Vec<Span> = serde_json::from_str(spans_json)
            .map_err(|e| invalid_value(format!("invalid span: {e}")))?;
        for span in spans {
            self.inner.log_span(span, experiment_id).py_err()?;
        }
        Ok(())
    }

    // ---- evals and annotations (see evals.rs) ----

    #[pyo3(signature = (sample_json, experiment_id))]
    fn _log_eval_sample(&self, sample_json: &str, experiment_id: Option<&str>) -> PyResult<()> {
        evals::log_sample(&self.inner, sample_json, experiment_id)
    }

    #[pyo3(signature = (dataset_id, eval_id, trace_id, experiment_id))]
    fn _link_eval_sample_to_trace(
        &self,
        dataset_id: &str,
        eval_id: &str,
        trace_id: &str,
        experiment_id: Option<&str>,
    ) -> PyResult<()> {
        self.inner
            .link_eval_sample_to_trace(dataset_id, eval_id, trace_id, experiment_id)
            .py_err()
    }

    #[pyo3(signature = (spec_json, experiment_id))]
    fn _log_annotation<'py>(
        &self,
        py: Python<'py>,
        spec_json: &str,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        evals::log_annotation(&self.inner, py, spec_json, experiment_id)
    }

    #[pyo3(signature = (experiment_id, annotation_id, target, value_json, rationale))]
    fn _update_annotation<'py>(
        &self,
        py: Python<'py>,
        experiment_id: &str,
        annotation_id: &str,
        target: &str,
        value_json: Option<&str>,
        rationale: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        evals::update_annotation(
            &self.inner,
            py,
            experiment_id,
            annotation_id,
            target,
            value_json,
            rationale,
        )
    }

    #[pyo3(signature = (experiment_id, annotation_id, target))]
    fn _delete_annotation(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        annotation_id: &str,
        target: &str,
    ) -> PyResult<()> {
        evals::delete_annotation(&self.inner, py, experiment_id, annotation_id, target)
    }

    #[pyo3(signature = (experiment_id, params))]
    fn _eval_page<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        evals::page(&self.inner, py, experiment_id, params)
    }

    #[pyo3(signature = (experiment_id))]
    fn _evals_all<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        evals::all(&self.inner, py, experiment_id)
    }

    #[pyo3(signature = (experiment_id))]
    fn _eval_summary<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        evals::summary(&self.inner, py, experiment_id)
    }

    #[pyo3(signature = (experiment_id))]
    fn _annotations<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        evals::annotations(&self.inner, py, experiment_id)
    }

    /// Makes everything buffered durable now; reports a background flush that lost data.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.flush()).py_err()
    }

    // ---- reads: plain dicts, shaped by the Python side ----

    #[pyo3(signature = (filter = "", order_by = ""))]
    fn _list_experiments<'py>(
        &self,
        py: Python<'py>,
        filter: &str,
        order_by: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let list = py
            .detach(|| self.inner.search_experiments(filter, order_by))
            .py_err()?;
        let out = PyList::empty(py);
        for e in &list {
            out.append(reads::experiment(py, e)?)?;
        }
        Ok(out)
    }

    #[pyo3(signature = (experiment_id))]
    fn _get_experiment<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let e = py
            .detach(|| self.inner.get_experiment(experiment_id))
            .py_err()?;
        reads::experiment(py, &e)
    }

    fn _list_groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let groups = py.detach(|| self.inner.list_groups()).py_err()?;
        reads::serde(py, &groups)
    }

    /// `(key, count, first_step, last_step, last_value)` per metric, sorted by key.
    #[pyo3(signature = (experiment_id))]
    fn _list_metrics(
        &self,
        py: Python<'_>,
        experiment_id: Option<&str>,
    ) -> PyResult<Vec<MetricRow>> {
        let list = py
            .detach(|| self.inner.list_metrics(experiment_id))
            .py_err()?;
        Ok(list
            .into_iter()
            .map(|m| (m.key, m.count, m.first_step, m.last_step, m.last_value))
            .collect())
    }

    /// `(step, value, logged_at_unix_ms)` for every point, by step.
    #[pyo3(signature = (experiment_id, key))]
    fn _metric_history(
        &self,
        py: Python<'_>,
        experiment_id: Option<&str>,
        key: &str,
    ) -> PyResult<Vec<(i64, f64, i64)>> {
        let points = py
            .detach(|| self.inner.get_metric_history(experiment_id, key))
            .py_err()?;
        Ok(points
            .into_iter()
            .map(|p| (p.step, p.value, p.logged_at))
            .collect())
    }

    #[pyo3(signature = (experiment_id))]
    fn _list_attachments<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let list = py
            .detach(|| self.inner.list_attachments(experiment_id))
            .py_err()?;
        reads::serde(py, &list)
    }

    #[pyo3(signature = (experiment_id, name))]
    fn _get_attachment<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
        name: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let data = py
            .detach(|| self.inner.get_attachment(experiment_id, name))
            .py_err()?;
        Ok(PyBytes::new(py, &data))
    }

    #[pyo3(signature = (experiment_id))]
    fn _list_traces<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let list = py
            .detach(|| self.inner.list_traces(experiment_id))
            .py_err()?;
        reads::serde(py, &list)
    }

    #[pyo3(signature = (experiment_id, trace_id))]
    fn _get_trace<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
        trace_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spans = py
            .detach(|| self.inner.get_trace(experiment_id, trace_id))
            .py_err()?;
        reads::serde(py, &spans)
    }

    #[pyo3(signature = (experiment_id))]
    fn _list_models<'py>(
        &self,
        py: Python<'py>,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let list = py
            .detach(|| self.inner.list_models(experiment_id))
            .py_err()?;
        reads::serde(py, &list)
    }

    // ---- changes, snapshots, models ----

    #[pyo3(signature = (experiment_id, name, description, tags))]
    fn _update_experiment(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        name: Option<String>,
        description: Option<String>,
        tags: Option<Vec<String>>,
    ) -> PyResult<()> {
        let update = ExperimentUpdate {
            name,
            description,
            tags,
        };
        py.detach(|| self.inner.update_experiment(Some(experiment_id), update))
            .py_err()
    }

    /// Deletes an experiment and everything logged to it.
    fn delete_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<()> {
        py.detach(|| self.inner.delete_experiment(experiment_id))
            .py_err()
    }

    #[pyo3(signature = (output_path, experiment_id))]
    fn _export(
        &self,
        py: Python<'_>,
        output_path: std::path::PathBuf,
        experiment_id: Option<&str>,
    ) -> PyResult<()> {
        py.detach(|| self.inner.export(&output_path, experiment_id))
            .py_err()
    }

    fn _import(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<String> {
        py.detach(|| self.inner.import(&path)).py_err()
    }

    #[pyo3(signature = (model_path, experiment_id))]
    fn _link_to_model<'py>(
        &self,
        py: Python<'py>,
        model_path: std::path::PathBuf,
        experiment_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let model = py
            .detach(|| self.inner.link_to_model(&model_path, experiment_id))
            .py_err()?;
        reads::serde(py, &model)
    }
}

/// Logs packed points one by one into the buffer (each is a few tens of nanoseconds). A
/// failure names the point; the points before it stay logged.
fn log_packed(
    tracker: &ExperimentTracker,
    key: &str,
    values: &[u8],
    steps: Option<&[u8]>,
    experiment_id: Option<&str>,
) -> PyResult<usize> {
    let mut n = 0;
    for (i, chunk) in values.chunks_exact(8).enumerate() {
        let value = f64::from_ne_bytes(word(chunk));
        let step = steps.map(|s| i64::from_ne_bytes(word(&s[i * 8..i * 8 + 8])));
        tracker
            .log_dynamic(key, value, step, experiment_id)
            .map_err(|e| {
                let err = crate::errors::to_py(e);
                Python::attach(|py| {
                    let note = format!("log_dynamic_array({key:?}): point {i} (step {step:?}) was refused; the {i} before it were logged");
                    // Best effort: the original error stays the one raised.
                    let _ = err.value(py).call_method1("add_note", (note,));
                });
                err
            })?;
        n += 1;
    }
    Ok(n)
}

/// A metric value: a float, int, numpy scalar, 0-d tensor — anything with `__float__`.
#[inline]
fn number(key: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    v.extract::<f64>().map_err(|_| {
        let ty = v.get_type();
        let name = ty.name().map(|n| n.to_string()).unwrap_or_default();
        invalid_type(format!(
            "invalid value for metric {key:?}: expected a number (anything with __float__), got {name}"
        ))
    })
}

fn word(chunk: &[u8]) -> [u8; 8] {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    w
}

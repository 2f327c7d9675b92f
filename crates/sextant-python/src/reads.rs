//! Read results as plain Python dicts and lists; `sextant/_records.py` shapes them the
//! way luml returns them.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use sextant::ExperimentInfo;

use crate::convert::{json_to_py, param_to_py};

/// An experiment with typed params (not their serde `{type, value}` form) and metric
/// values as floats, NaN and ±inf included.
pub(crate) fn experiment<'py>(py: Python<'py>, e: &ExperimentInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", &e.id)?;
    d.set_item("name", &e.name)?;
    d.set_item("group", &e.group)?;
    d.set_item("status", e.status.luml_name())?;
    d.set_item("tags", &e.tags)?;
    d.set_item("created_at", e.created_at)?;
    d.set_item("duration", e.duration)?;
    d.set_item("description", &e.description)?;
    d.set_item("source", &e.source)?;
    let params = PyDict::new(py);
    for (k, v) in &e.params {
        params.set_item(k, param_to_py(py, v)?)?;
    }
    d.set_item("params", params)?;
    let metrics = PyDict::new(py);
    for (k, v) in &e.metrics {
        metrics.set_item(k, *v)?;
    }
    d.set_item("metrics", metrics)?;
    Ok(d)
}

/// Any serde value (spans, traces, groups, models, attachments) through its JSON form.
pub(crate) fn serde<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(v)
        .map_err(|e| PyValueError::new_err(format!("converting a read result: {e}")))?;
    json_to_py(py, &json)
}

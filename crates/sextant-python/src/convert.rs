//! Python values to and from the core's types.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value;
use sextant::ParamValue;

use crate::errors::{invalid_type, invalid_value};

/// Deeper than this is almost surely a cycle; refuse rather than overflow the stack.
const MAX_DEPTH: usize = 64;

/// A `log_static` value: scalars keep their luml type (`str`, `int`, `float`, `bool`; NaN
/// and ±inf included), everything else becomes JSON.
pub(crate) fn param_value(key: &str, v: &Bound<'_, PyAny>) -> PyResult<ParamValue> {
    if v.is_instance_of::<PyBool>() {
        return Ok(ParamValue::Bool(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return match v.extract::<i64>() {
            Ok(i) => Ok(ParamValue::Int(i)),
            Err(_) => Err(too_big(key, v)),
        };
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(ParamValue::Float(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(ParamValue::Str(s.to_str()?.to_owned()));
    }
    Ok(ParamValue::from_json(json_value(key, v, 0)?))
}

fn too_big(key: &str, v: &Bound<'_, PyAny>) -> PyErr {
    invalid_value(format!(
        "invalid value for {key:?}: integer {v} does not fit in 64 bits"
    ))
}

/// Any JSON-serialisable Python value, plus numpy/torch values through their `tolist()`.
pub(crate) fn json_value(key: &str, v: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid_value(format!(
            "invalid value for {key:?}: nested more than {MAX_DEPTH} levels (a cycle?)"
        )));
    }
    if v.is_none() {
        return Ok(Value::Null);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return v
            .extract::<u64>()
            .map(Value::from)
            .map_err(|_| too_big(key, v));
    }
    if v.is_instance_of::<PyFloat>() {
        let f: f64 = v.extract()?;
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| {
                invalid_value(format!(
                    "invalid value for {key:?}: {f} inside a list or dict cannot be stored as JSON; log it on its own key"
                ))
            });
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut out = serde_json::Map::with_capacity(d.len());
        for (k, item) in d.iter() {
            out.insert(dict_key(key, &k)?, json_value(key, &item, depth + 1)?);
        }
        return Ok(Value::Object(out));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for item in v.try_iter()? {
            out.push(json_value(key, &item?, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    // numpy scalars and arrays, torch tensors: their plain-Python form.
    if v.hasattr("tolist")? {
        let plain = v.call_method0("tolist")?;
        if !plain.is(v) {
            return json_value(key, &plain, depth + 1);
        }
    }
    Err(invalid_type(format!(
        "invalid value for {key:?}: an object of type {} is not JSON-serialisable",
        v.get_type().name()?
    )))
}

/// JSON object keys: strings as they are, numbers/bools/None spelled as `json.dumps` does.
fn dict_key(key: &str, k: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = k.cast::<PyString>() {
        return Ok(s.to_str()?.to_owned());
    }
    if k.is_none() {
        return Ok("null".into());
    }
    if k.is_instance_of::<PyBool>() {
        return Ok(if k.extract::<bool>()? {
            "true"
        } else {
            "false"
        }
        .into());
    }
    if k.is_instance_of::<PyInt>() || k.is_instance_of::<PyFloat>() {
        return Ok(k.str()?.to_str()?.to_owned());
    }
    Err(invalid_type(format!(
        "invalid value for {key:?}: dict keys must be str, int, float, bool or None, not {}",
        k.get_type().name()?
    )))
}

pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, json_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

pub(crate) fn param_to_py<'py>(py: Python<'py>, v: &ParamValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        ParamValue::Str(s) => PyString::new(py, s).into_any(),
        ParamValue::Int(i) => i.into_pyobject(py)?.into_any(),
        ParamValue::Float(f) => f.into_pyobject(py)?.into_any(),
        ParamValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        ParamValue::Json(j) => json_to_py(py, j)?,
    })
}

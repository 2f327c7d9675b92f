//! The JS values kept in each object store (see `schema`), to and from Rust. Anything the
//! core must get back exactly (i64 span times, i64 params, NaN latest values) travels as
//! JSON text inside the row; fields an index or key needs sit beside it as plain values.

use js_sys::{Array, Float64Array, Object, Reflect, Uint16Array};
use sextant_core::{Error, ExperimentInfo, MetricPoint, ModelInfo, Result, Span};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::chunks::{self, MetricTotals};

fn corrupt(what: &str) -> Error {
    Error::corrupt(format!("IndexedDB row is not what Sextant wrote: {what}"))
}

/// A plain object with these fields.
pub fn object(fields: &[(&str, JsValue)]) -> Result<JsValue> {
    let obj = Object::new();
    for (name, value) in fields {
        Reflect::set(&obj, &JsValue::from_str(name), value)
            .map_err(|_| Error::storage(format!("cannot build an IndexedDB row ({name})")))?;
    }
    Ok(obj.into())
}

fn field(row: &JsValue, name: &str) -> JsValue {
    Reflect::get(row, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn text_field(row: &JsValue, name: &str) -> Result<String> {
    field(row, name)
        .as_string()
        .ok_or_else(|| corrupt(&format!("field {name} is not text")))
}

fn number_field(row: &JsValue, name: &str) -> Result<f64> {
    field(row, name)
        .as_f64()
        .ok_or_else(|| corrupt(&format!("field {name} is not a number")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<JsValue> {
    serde_json::to_string(value)
        .map(|s| JsValue::from_str(&s))
        .map_err(|e| Error::storage(format!("cannot encode a row: {e}")))
}

fn from_json<T: for<'de> serde::Deserialize<'de>>(row: &JsValue, name: &str) -> Result<T> {
    serde_json::from_str(&text_field(row, name)?).map_err(|e| corrupt(&format!("{name}: {e}")))
}

/// A compound key.
pub fn key(parts: &[JsValue]) -> JsValue {
    parts.iter().collect::<Array>().into()
}

/// The key range holding every row whose key starts with `prefix`: arrays sort after
/// strings and numbers, so `[...prefix, []]` is above every `[...prefix, x, ...]`.
pub fn prefix_range(prefix: &[JsValue]) -> Result<JsValue> {
    let lower = key(prefix);
    let upper: Array = prefix.iter().collect();
    upper.push(&Array::new());
    web_sys::IdbKeyRange::bound(&lower, &upper)
        .map(JsValue::from)
        .map_err(|e| super::request::js_failure("building a key range", &e))
}

pub fn experiment(info: &ExperimentInfo) -> Result<JsValue> {
    object(&[
        ("id", JsValue::from_str(&info.id)),
        ("group", JsValue::from_str(&info.group)),
        ("created_at", JsValue::from_f64(info.created_at as f64)),
        ("status", JsValue::from_str(info.status.as_str())),
        ("info", to_json(info)?),
    ])
}

pub fn read_experiment(row: &JsValue) -> Result<ExperimentInfo> {
    from_json(row, "info")
}

pub fn group(name: &str, id: &str, created_at: i64) -> Result<JsValue> {
    object(&[
        ("name", JsValue::from_str(name)),
        ("id", JsValue::from_str(id)),
        ("created_at", JsValue::from_f64(created_at as f64)),
    ])
}

/// `(name, id, created_at)` of a group row.
pub fn read_group(row: &JsValue) -> Result<(String, String, i64)> {
    Ok((
        text_field(row, "name")?,
        text_field(row, "id")?,
        number_field(row, "created_at")? as i64,
    ))
}

/// A chunk row: steps as offsets from the chunk's first step (below 1024, so 16 bits),
/// values and times as doubles. Typed arrays are copied into IndexedDB as memory blocks,
/// which is what makes a flush of many points cheap.
pub fn chunk(exp: &str, metric: &str, chunk: i64, points: &[MetricPoint]) -> Result<JsValue> {
    let base = chunks::chunk_base(chunk);
    let offsets: Vec<u16> = points.iter().map(|p| (p.step - base) as u16).collect();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let logged: Vec<f64> = points.iter().map(|p| p.logged_at as f64).collect();
    object(&[
        ("exp", JsValue::from_str(exp)),
        ("key", JsValue::from_str(metric)),
        ("chunk", JsValue::from_f64(chunk as f64)),
        ("offsets", Uint16Array::from(offsets.as_slice()).into()),
        ("values", Float64Array::from(values.as_slice()).into()),
        ("logged", Float64Array::from(logged.as_slice()).into()),
    ])
}

pub fn read_chunk(row: &JsValue) -> Result<Vec<MetricPoint>> {
    let chunk = number_field(row, "chunk")? as i64;
    let base = chunks::chunk_base(chunk);
    let offsets = field(row, "offsets")
        .dyn_into::<Uint16Array>()
        .map_err(|_| corrupt("offsets"))?
        .to_vec();
    let values = field(row, "values")
        .dyn_into::<Float64Array>()
        .map_err(|_| corrupt("values"))?
        .to_vec();
    let logged = field(row, "logged")
        .dyn_into::<Float64Array>()
        .map_err(|_| corrupt("logged"))?
        .to_vec();
    if values.len() != offsets.len() || logged.len() != offsets.len() {
        return Err(corrupt("chunk arrays differ in length"));
    }
    Ok(offsets
        .iter()
        .zip(values)
        .zip(logged)
        .map(|((o, value), t)| MetricPoint {
            step: base + i64::from(*o),
            value,
            logged_at: t as i64,
        })
        .collect())
}

/// `(exp, key, chunk)` of a chunk row.
pub fn chunk_id(row: &JsValue) -> Result<(String, String, i64)> {
    Ok((
        text_field(row, "exp")?,
        text_field(row, "key")?,
        number_field(row, "chunk")? as i64,
    ))
}

/// The primary key of a chunk row.
pub fn chunk_key(row: &JsValue) -> Result<JsValue> {
    let (exp, metric, chunk) = chunk_id(row)?;
    Ok(key(&[exp.into(), metric.into(), (chunk as f64).into()]))
}

pub fn totals(exp: &str, metric: &str, t: &MetricTotals) -> Result<JsValue> {
    object(&[
        ("exp", JsValue::from_str(exp)),
        ("key", JsValue::from_str(metric)),
        ("count", JsValue::from_f64(t.count as f64)),
        ("first", JsValue::from_f64(t.first_step as f64)),
        ("last", JsValue::from_f64(t.last_step as f64)),
        ("last_value", JsValue::from_f64(t.last_value)),
        // Absent extremes are stored as undefined; rows from before they were kept lack
        // `extremes` and read as unknown.
        ("min", t.min.map_or(JsValue::UNDEFINED, JsValue::from_f64)),
        ("max", t.max.map_or(JsValue::UNDEFINED, JsValue::from_f64)),
        ("extremes", JsValue::from_bool(t.extremes_known)),
    ])
}

/// `(key, totals)` of a metric_keys row.
pub fn read_totals(row: &JsValue) -> Result<(String, MetricTotals)> {
    Ok((
        text_field(row, "key")?,
        MetricTotals {
            count: number_field(row, "count")? as u64,
            first_step: number_field(row, "first")? as i64,
            last_step: number_field(row, "last")? as i64,
            // NaN is a number; a missing field is not.
            last_value: field(row, "last_value")
                .as_f64()
                .ok_or_else(|| corrupt("last_value"))?,
            min: field(row, "min").as_f64(),
            max: field(row, "max").as_f64(),
            extremes_known: field(row, "extremes").as_bool().unwrap_or(false),
        },
    ))
}

pub fn span(exp: &str, s: &Span) -> Result<JsValue> {
    object(&[
        ("exp", JsValue::from_str(exp)),
        ("trace", JsValue::from_str(&s.trace_id)),
        ("span", JsValue::from_str(&s.span_id)),
        ("json", to_json(s)?),
    ])
}

pub fn read_span(row: &JsValue) -> Result<Span> {
    from_json(row, "json")
}

pub fn attachment(exp: &str, name: &str, size: usize, created_at: i64) -> Result<JsValue> {
    object(&[
        ("exp", JsValue::from_str(exp)),
        ("name", JsValue::from_str(name)),
        ("size", JsValue::from_f64(size as f64)),
        ("created_at", JsValue::from_f64(created_at as f64)),
    ])
}

/// `(name, size, created_at)` of an attachment row.
pub fn read_attachment(row: &JsValue) -> Result<(String, u64, i64)> {
    Ok((
        text_field(row, "name")?,
        number_field(row, "size")? as u64,
        number_field(row, "created_at")? as i64,
    ))
}

pub fn model(exp: &str, m: &ModelInfo) -> Result<JsValue> {
    object(&[
        ("exp", JsValue::from_str(exp)),
        ("id", JsValue::from_str(&m.id)),
        ("json", to_json(m)?),
    ])
}

pub fn read_model(row: &JsValue) -> Result<ModelInfo> {
    from_json(row, "json")
}

/// The rows of a `getAll` result.
pub fn rows(result: JsValue) -> Result<Vec<JsValue>> {
    result
        .dyn_into::<Array>()
        .map(|a| a.iter().collect())
        .map_err(|_| corrupt("getAll did not return an array"))
}

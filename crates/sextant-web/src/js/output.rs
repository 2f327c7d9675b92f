//! Core values as the JS API returns them: camelCase plain objects, times as numbers of
//! unix milliseconds, span times as bigint nanoseconds (beyond 2^53, so no number holds
//! them exactly), NaN kept as NaN.

use std::collections::BTreeMap;

use js_sys::{Array, BigInt, Object, Reflect};
use serde::Serialize;
use sextant_core::{
    AttachmentInfo, Error, ExperimentInfo, GroupInfo, MetricPoint, MetricSummary, ParamValue,
    Result, Span, TraceState, TraceSummary,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(inline_js = "
export function pointObjects(steps, values, logged) {
  const out = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) {
    out[i] = { step: steps[i], value: values[i], loggedAt: logged[i] };
  }
  return out;
}")]
extern "C" {
    /// Builds the point objects in JS: one call instead of three property sets per point.
    #[wasm_bindgen(js_name = pointObjects)]
    fn point_objects(steps: &[f64], values: &[f64], logged: &[f64]) -> Array;
}

fn serialize<T: Serialize>(value: &T) -> Result<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Error::storage(format!("cannot hand a value to JS: {e}")))
}

#[wasm_bindgen(module = "/src/js/values.js")]
extern "C" {
    #[wasm_bindgen(js_name = defineField)]
    fn define_field(obj: &Object, key: &str, value: &JsValue);
}

/// 2^53: integers from here on are not exact as JS numbers.
const SAFE_LIMIT: u64 = 1 << 53;

fn int(v: i64) -> JsValue {
    if v.unsigned_abs() < SAFE_LIMIT {
        JsValue::from_f64(v as f64)
    } else {
        BigInt::from(v).into()
    }
}

/// A JSON value as JS: integers beyond 2^53 as bigints (they came in as bigints), keys as
/// plain data properties. Depth is bounded by what stores parse (serde_json's limit).
pub fn json(v: &serde_json::Value) -> JsValue {
    use serde_json::Value;
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => int(i),
            (None, Some(u)) => BigInt::from(u).into(),
            _ => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(json).collect::<Array>().into(),
        Value::Object(map) => json_object(map).into(),
    }
}

fn json_object(map: &serde_json::Map<String, serde_json::Value>) -> Object {
    let obj = Object::new();
    for (k, v) in map {
        define_field(&obj, k, &json(v));
    }
    obj
}

/// A param as its JS value: ints beyond 2^53 as bigints, -0 kept.
pub fn param(v: &ParamValue) -> JsValue {
    match v {
        ParamValue::Str(s) => JsValue::from_str(s),
        ParamValue::Int(i) => int(*i),
        ParamValue::Float(f) => JsValue::from_f64(*f),
        ParamValue::Bool(b) => JsValue::from_bool(*b),
        ParamValue::Json(v) => json(v),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Experiment<'a> {
    id: &'a str,
    name: &'a str,
    group: &'a str,
    status: &'a str,
    tags: &'a [String],
    created_at: i64,
    duration: Option<f64>,
    description: Option<&'a str>,
    source: Option<&'a str>,
    metrics: &'a BTreeMap<String, f64>,
}

pub fn experiment(info: &ExperimentInfo) -> Result<JsValue> {
    let obj = serialize(&Experiment {
        id: &info.id,
        name: &info.name,
        group: &info.group,
        status: info.status.as_str(),
        tags: &info.tags,
        created_at: info.created_at,
        duration: info.duration,
        description: info.description.as_deref(),
        source: info.source.as_deref(),
        metrics: &info.metrics,
    })?;
    let params = Object::new();
    for (k, v) in &info.params {
        define_field(&params, k, &param(v));
    }
    set(obj.unchecked_ref(), "params", &params)?;
    Ok(obj)
}

pub fn experiments(infos: &[ExperimentInfo]) -> Result<JsValue> {
    infos
        .iter()
        .map(experiment)
        .collect::<Result<Array>>()
        .map(JsValue::from)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group<'a> {
    id: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    created_at: i64,
    experiment_count: u64,
}

pub fn groups(groups: &[GroupInfo]) -> Result<JsValue> {
    let list: Vec<Group> = groups
        .iter()
        .map(|g| Group {
            id: &g.id,
            name: &g.name,
            description: g.description.as_deref(),
            created_at: g.created_at,
            experiment_count: g.experiment_count,
        })
        .collect();
    serialize(&list)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    key: &'a str,
    count: u64,
    first_step: i64,
    last_step: i64,
    last_value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
}

pub fn metric_summaries(list: &[MetricSummary]) -> Result<JsValue> {
    let list: Vec<Summary> = list
        .iter()
        .map(|m| Summary {
            key: &m.key,
            count: m.count,
            first_step: m.first_step,
            last_step: m.last_step,
            last_value: m.last_value,
            min: m.min,
            max: m.max,
        })
        .collect();
    serialize(&list)
}

pub fn points(points: &[MetricPoint]) -> JsValue {
    let steps: Vec<f64> = points.iter().map(|p| p.step as f64).collect();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let logged: Vec<f64> = points.iter().map(|p| p.logged_at as f64).collect();
    point_objects(&steps, &values, &logged).into()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attachment<'a> {
    name: &'a str,
    size: u64,
    created_at: i64,
}

pub fn attachments(list: &[AttachmentInfo]) -> Result<JsValue> {
    let list: Vec<Attachment> = list
        .iter()
        .map(|a| Attachment {
            name: &a.name,
            size: a.size,
            created_at: a.created_at,
        })
        .collect();
    serialize(&list)
}

fn set(obj: &Object, name: &str, value: &JsValue) -> Result<()> {
    Reflect::set(obj, &JsValue::from_str(name), value)
        .map(drop)
        .map_err(|_| Error::storage(format!("cannot build a JS object ({name})")))
}

fn opt_str(v: Option<&str>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from_str)
}

fn opt_int(v: Option<i64>) -> JsValue {
    v.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64))
}

fn nanos(n: i64) -> JsValue {
    BigInt::from(n).into()
}

pub fn span(s: &Span) -> Result<JsValue> {
    let obj = Object::new();
    set(&obj, "traceId", &JsValue::from_str(&s.trace_id))?;
    set(&obj, "spanId", &JsValue::from_str(&s.span_id))?;
    set(&obj, "parentSpanId", &opt_str(s.parent_span_id.as_deref()))?;
    set(&obj, "name", &JsValue::from_str(&s.name))?;
    set(&obj, "kind", &JsValue::from_f64(s.kind as f64))?;
    set(
        &obj,
        "dfsSpanType",
        &JsValue::from_f64(s.dfs_span_type as f64),
    )?;
    set(&obj, "startTimeUnixNano", &nanos(s.start_time_unix_nano))?;
    set(&obj, "endTimeUnixNano", &nanos(s.end_time_unix_nano))?;
    let status = match s.status {
        sextant_core::SpanStatus::Unset => "unset",
        sextant_core::SpanStatus::Ok => "ok",
        sextant_core::SpanStatus::Error => "error",
    };
    set(&obj, "status", &JsValue::from_str(status))?;
    set(&obj, "statusMessage", &opt_str(s.status_message.as_deref()))?;
    set(&obj, "attributes", &json_object(&s.attributes))?;
    let events = Array::new();
    for e in &s.events {
        let ev = Object::new();
        set(&ev, "name", &JsValue::from_str(&e.name))?;
        set(&ev, "timestamp", &nanos(e.timestamp))?;
        set(&ev, "attributes", &json_object(&e.attributes))?;
        events.push(&ev);
    }
    set(&obj, "events", &events)?;
    let links = Array::new();
    for l in &s.links {
        let link = Object::new();
        set(&link, "traceId", &JsValue::from_str(&l.trace_id))?;
        set(&link, "spanId", &JsValue::from_str(&l.span_id))?;
        set(&link, "traceFlags", &opt_int(l.trace_flags))?;
        set(&link, "attributes", &json_object(&l.attributes))?;
        links.push(&link);
    }
    set(&obj, "links", &links)?;
    set(&obj, "traceFlags", &opt_int(s.trace_flags))?;
    Ok(obj.into())
}

pub fn spans(list: &[Span]) -> Result<JsValue> {
    list.iter()
        .map(span)
        .collect::<Result<Array>>()
        .map(JsValue::from)
}

pub fn traces(list: &[TraceSummary]) -> Result<JsValue> {
    let out = Array::new();
    for t in list {
        let obj = Object::new();
        set(&obj, "traceId", &JsValue::from_str(&t.trace_id))?;
        set(&obj, "rootName", &opt_str(t.root_name.as_deref()))?;
        set(&obj, "startTimeUnixNano", &nanos(t.start_time_unix_nano))?;
        set(&obj, "endTimeUnixNano", &nanos(t.end_time_unix_nano))?;
        set(&obj, "durationNs", &nanos(t.duration_ns))?;
        set(&obj, "spanCount", &JsValue::from_f64(t.span_count as f64))?;
        let state = match t.state {
            TraceState::InProgress => "in_progress",
            TraceState::Ok => "ok",
            TraceState::Error => "error",
            TraceState::Unset => "unset",
        };
        set(&obj, "state", &JsValue::from_str(state))?;
        out.push(&obj);
    }
    Ok(out.into())
}

//! JS arguments to core values, with errors that name the bad input: a string where a
//! number is due, a NaN step, an unknown option type. Nothing is coerced silently.

use js_sys::{Array, Reflect, Uint8Array};
use sextant_core::{
    Error, ExperimentUpdate, ParamValue, Result, Span, SpanEvent, SpanLink, SpanStatus,
    StartOptions,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// 2^53 - 1: larger JS numbers are not exact integers.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// How deep a param or attribute value may nest. Stores parse JSON with serde_json, whose
/// limit is 128 levels including the record around the value; real configs stay far below.
pub const MAX_DEPTH: u32 = 64;
/// Objects and arrays in one value: bounds the work a shared sub-object repeated at every
/// level (a DAG that expands exponentially) can cause.
const MAX_NODES: u32 = 1_000_000;

#[wasm_bindgen(module = "/src/js/values.js")]
extern "C" {
    /// JSON text for a JS value (see values.js for the rules); throws a message naming
    /// the path of the bad part.
    #[wasm_bindgen(js_name = jsonText, catch)]
    fn json_text(
        value: &JsValue,
        label: &str,
        max_depth: u32,
        max_nodes: u32,
    ) -> std::result::Result<String, JsValue>;
    #[wasm_bindgen(js_name = metricEntries, catch)]
    fn metric_entries(values: &JsValue) -> std::result::Result<Array, JsValue>;
    #[wasm_bindgen(js_name = optionKeys, catch)]
    fn option_keys(options: &JsValue) -> std::result::Result<Array, JsValue>;
}

/// The message of a thrown JS value.
fn thrown(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "threw".into())
}

/// A JS value as JSON, under the rules of values.js; `label` starts the path in errors.
pub fn json(v: &JsValue, what: &'static str, label: &str) -> Result<serde_json::Value> {
    let text =
        json_text(v, label, MAX_DEPTH, MAX_NODES).map_err(|e| invalid(what, v, thrown(&e)))?;
    serde_json::from_str(&text).map_err(|e| invalid(what, v, format!("{label}: {e}")))
}

fn invalid(what: &'static str, value: &JsValue, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        what,
        value: describe(value),
        reason: reason.into(),
    }
}

/// A JS value as a message quotes it: a string's text, `NaN`, `undefined`, `[object]`.
pub fn describe(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        return s.chars().take(60).collect();
    }
    if let Some(n) = v.as_f64() {
        return match n {
            f64::INFINITY => "Infinity".into(),
            f64::NEG_INFINITY => "-Infinity".into(),
            _ => format!("{n}"),
        };
    }
    if let Some(b) = v.as_bool() {
        return b.to_string();
    }
    if v.is_bigint() {
        let text = js_sys::BigInt::from(v.clone())
            .to_string(10)
            .map(String::from);
        return format!("{}n", text.unwrap_or_default());
    }
    if v.is_undefined() {
        return "undefined".into();
    }
    if v.is_null() {
        return "null".into();
    }
    format!(
        "[{}]",
        kind(v).trim_start_matches("an ").trim_start_matches("a ")
    )
}

/// What sort of JS value this is, for "must be a number, not a string".
pub fn kind(v: &JsValue) -> &'static str {
    if v.is_string() {
        "a string"
    } else if v.as_f64().is_some() {
        "a number"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else if v.is_bigint() {
        "a bigint"
    } else if v.is_undefined() {
        "undefined"
    } else if v.is_null() {
        "null"
    } else if Array::is_array(v) {
        "an array"
    } else if v.is_function() {
        "a function"
    } else if v.is_symbol() {
        "a symbol"
    } else {
        "an object"
    }
}

fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

thread_local! {
    /// Field names as JS strings, made once: creating one from Rust text costs more than
    /// the property read itself.
    static NAMES: std::cell::RefCell<Vec<(&'static str, JsValue)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn field_name(name: &'static str) -> JsValue {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some((_, js)) = names.iter().find(|(n, _)| *n == name) {
            return js.clone();
        }
        let js = JsValue::from_str(name);
        names.push((name, js.clone()));
        js
    })
}

/// A field of an options object (`undefined` when absent).
pub fn get(obj: &JsValue, name: &'static str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &field_name(name)).unwrap_or(JsValue::UNDEFINED)
}

/// The options of the logging calls that take a step.
pub const STEP_OPTIONS: &[&str] = &["step", "experimentId"];
/// The options of calls that only select an experiment.
pub const ID_OPTION: &[&str] = &["experimentId"];

/// An options argument: absent, or an object whose keys are all in `known` (a typo such
/// as `{stp: 3}` is an error, not an option silently ignored).
pub fn options(v: &JsValue, what: &'static str, known: &[&str]) -> Result<()> {
    if absent(v) {
        return Ok(());
    }
    if !v.is_object() || Array::is_array(v) {
        return Err(invalid(
            what,
            v,
            format!("must be an options object, not {}", kind(v)),
        ));
    }
    let keys = option_keys(v).map_err(|e| invalid(what, v, thrown(&e)))?;
    for key in keys.iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            let list = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            return Err(Error::InvalidInput {
                what,
                value: key,
                reason: format!("is not an option here (known: {list})"),
            });
        }
    }
    Ok(())
}

pub fn string(v: &JsValue, what: &'static str) -> Result<String> {
    v.as_string()
        .ok_or_else(|| invalid(what, v, format!("must be a string, not {}", kind(v))))
}

pub fn opt_string(v: &JsValue, what: &'static str) -> Result<Option<String>> {
    if absent(v) {
        Ok(None)
    } else {
        string(v, what).map(Some)
    }
}

/// An experiment id given directly (`getExperiment(id)`) or as `{experimentId}`.
pub fn experiment_id(v: &JsValue) -> Result<Option<String>> {
    opt_string(v, "experiment id")
}

pub fn option_experiment_id(options: &JsValue) -> Result<Option<String>> {
    opt_string(&get(options, "experimentId"), "experimentId option")
}

pub fn strings(v: &JsValue, what: &'static str) -> Result<Vec<String>> {
    if !Array::is_array(v) {
        return Err(invalid(what, v, "must be an array of strings"));
    }
    Array::from(v)
        .iter()
        .map(|item| {
            item.as_string()
                .ok_or_else(|| invalid(what, &item, "must be an array of strings"))
        })
        .collect()
}

/// A metric value: any JS number, NaN and ±Infinity included (they are kept as such).
pub fn metric_value(key: &str, v: &JsValue) -> Result<f64> {
    v.as_f64().ok_or_else(|| Error::InvalidInput {
        what: "metric value",
        value: describe(v),
        reason: format!("metric {key:?} takes a number, not {}", kind(v)),
    })
}

/// A step: absent, or a whole number >= 0 (a number or a bigint).
pub fn step(v: &JsValue) -> Result<Option<i64>> {
    if absent(v) {
        return Ok(None);
    }
    if let Some(n) = v.as_f64() {
        if n.is_finite() && n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) {
            return Ok(Some(n as i64));
        }
        return Err(invalid("step", v, "must be a whole number >= 0"));
    }
    if v.is_bigint() {
        return i64::try_from(js_sys::BigInt::from(v.clone()))
            .ok()
            .filter(|s| *s >= 0)
            .map(Some)
            .ok_or_else(|| invalid("step", v, "must be a whole number >= 0"));
    }
    Err(invalid(
        "step",
        v,
        format!("must be a whole number >= 0, not {}", kind(v)),
    ))
}

/// A param value: string, number (whole numbers up to 2^53 become ints; -0 stays a float),
/// boolean, bigint (64-bit), or anything values.js turns into JSON (objects, arrays, Dates
/// as ISO strings, Maps, Sets, typed arrays, null).
pub fn param(key: &str, v: &JsValue) -> Result<ParamValue> {
    if let Some(s) = v.as_string() {
        return Ok(ParamValue::Str(s));
    }
    if let Some(b) = v.as_bool() {
        return Ok(ParamValue::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        let whole = n.fract() == 0.0 && n.abs() <= MAX_SAFE && !(n == 0.0 && n.is_sign_negative());
        return Ok(if whole {
            ParamValue::Int(n as i64)
        } else {
            ParamValue::Float(n)
        });
    }
    let bad = |reason: String| Error::InvalidInput {
        what: "param value",
        value: describe(v),
        reason,
    };
    if v.is_bigint() {
        return i64::try_from(js_sys::BigInt::from(v.clone()))
            .map(ParamValue::Int)
            .map_err(|_| bad(format!("param {key:?}: bigint outside the 64-bit range")));
    }
    if v.is_undefined() || v.is_function() || v.is_symbol() {
        return Err(bad(format!(
            "param {key:?} takes a string, number, boolean or JSON value, not {}",
            kind(v)
        )));
    }
    Ok(match json(v, "param value", key)? {
        // A Date, or an object whose toJSON() gives text.
        serde_json::Value::String(s) => ParamValue::Str(s),
        other => ParamValue::Json(other),
    })
}

/// `startExperiment` options.
pub fn start_options(v: &JsValue) -> Result<StartOptions> {
    options(
        v,
        "startExperiment option",
        &[
            "experimentId",
            "name",
            "group",
            "tags",
            "description",
            "source",
        ],
    )?;
    let tags = get(v, "tags");
    Ok(StartOptions {
        id: opt_string(&get(v, "experimentId"), "experimentId option")?,
        name: opt_string(&get(v, "name"), "name option")?,
        group: opt_string(&get(v, "group"), "group option")?,
        tags: if absent(&tags) {
            Vec::new()
        } else {
            strings(&tags, "tags option")?
        },
        description: opt_string(&get(v, "description"), "description option")?,
        source: opt_string(&get(v, "source"), "source option")?,
        system_metrics: false,
    })
}

pub fn update(v: &JsValue) -> Result<ExperimentUpdate> {
    if !v.is_object() {
        return Err(invalid(
            "experiment update",
            v,
            "must be an object like {name, description, tags}",
        ));
    }
    options(v, "experiment update", &["name", "description", "tags"])?;
    let tags = get(v, "tags");
    Ok(ExperimentUpdate {
        name: opt_string(&get(v, "name"), "name")?,
        description: opt_string(&get(v, "description"), "description")?,
        tags: if absent(&tags) {
            None
        } else {
            Some(strings(&tags, "tags")?)
        },
    })
}

/// Bytes from a `Uint8Array`, another typed array or `DataView`, or an `ArrayBuffer`.
pub fn bytes(v: &JsValue) -> Option<Vec<u8>> {
    if let Some(u8s) = v.dyn_ref::<Uint8Array>() {
        return Some(u8s.to_vec());
    }
    if let Some(buf) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        return Some(Uint8Array::new(buf).to_vec());
    }
    if js_sys::ArrayBuffer::is_view(v) {
        let buffer = Reflect::get(v, &JsValue::from_str("buffer")).ok()?;
        let offset = Reflect::get(v, &JsValue::from_str("byteOffset"))
            .ok()?
            .as_f64()?;
        let len = Reflect::get(v, &JsValue::from_str("byteLength"))
            .ok()?
            .as_f64()?;
        return Some(
            Uint8Array::new_with_byte_offset_and_length(&buffer, offset as u32, len as u32)
                .to_vec(),
        );
    }
    None
}

/// Unix nanoseconds from a bigint, a whole number, or a decimal string.
fn nanos(v: &JsValue, what: &'static str) -> Result<i64> {
    if v.is_bigint() {
        return i64::try_from(js_sys::BigInt::from(v.clone()))
            .map_err(|_| invalid(what, v, "is outside the 64-bit range"));
    }
    if let Some(n) = v.as_f64() {
        if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.2e18 {
            return Ok(n as i64);
        }
    }
    if let Some(s) = v.as_string() {
        if let Ok(n) = s.trim().parse::<i64>() {
            return Ok(n);
        }
    }
    Err(invalid(
        what,
        v,
        "must be unix nanoseconds as a bigint, a whole number or a decimal string",
    ))
}

/// [`opt_int`] for a number the JS fast path has already read.
pub fn whole(v: Option<f64>, what: &'static str) -> Result<Option<i64>> {
    match v {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && n.abs() <= MAX_SAFE => Ok(Some(n as i64)),
        Some(n) => Err(Error::InvalidInput {
            what,
            value: format!("{n}"),
            reason: "must be a whole number".into(),
        }),
    }
}

fn opt_int(v: &JsValue, what: &'static str) -> Result<Option<i64>> {
    if absent(v) {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() <= MAX_SAFE => Ok(Some(n as i64)),
        _ => Err(invalid(what, v, "must be a whole number")),
    }
}

fn attributes(
    v: &JsValue,
    what: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    if absent(v) {
        return Ok(serde_json::Map::new());
    }
    if !v.is_object() || Array::is_array(v) {
        return Err(invalid(what, v, "must be an object"));
    }
    match json(v, what, "attributes")? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(invalid(what, v, "must be an object")),
    }
}

fn list(v: &JsValue, what: &'static str) -> Result<Vec<JsValue>> {
    if absent(v) {
        return Ok(Vec::new());
    }
    if !Array::is_array(v) {
        return Err(invalid(what, v, "must be an array"));
    }
    Ok(Array::from(v).iter().collect())
}

/// A span in the JS shape (camelCase, times as bigint/number/string nanoseconds).
pub fn span(v: &JsValue) -> Result<Span> {
    if !v.is_object() {
        return Err(invalid("span", v, "must be an object"));
    }
    let status = get(v, "status");
    let status = match status.as_string().as_deref() {
        None if absent(&status) => SpanStatus::Unset,
        Some("unset") => SpanStatus::Unset,
        Some("ok") => SpanStatus::Ok,
        Some("error") => SpanStatus::Error,
        _ => match status.as_f64() {
            Some(code) if code == code.trunc() => SpanStatus::from_code(code as i64),
            _ => {
                return Err(invalid(
                    "span status",
                    &status,
                    "must be \"unset\", \"ok\", \"error\" or 0, 1, 2",
                ))
            }
        },
    };
    let events = list(&get(v, "events"), "span events")?
        .iter()
        .map(|e| {
            Ok(SpanEvent {
                name: string(&get(e, "name"), "span event name")?,
                timestamp: nanos(&get(e, "timestamp"), "span event timestamp")?,
                attributes: attributes(&get(e, "attributes"), "span event attributes")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let links = list(&get(v, "links"), "span links")?
        .iter()
        .map(|l| {
            Ok(SpanLink {
                trace_id: string(&get(l, "traceId"), "span link traceId")?,
                span_id: string(&get(l, "spanId"), "span link spanId")?,
                trace_flags: opt_int(&get(l, "traceFlags"), "span link traceFlags")?,
                attributes: attributes(&get(l, "attributes"), "span link attributes")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Span {
        trace_id: string(&get(v, "traceId"), "span traceId")?,
        span_id: string(&get(v, "spanId"), "span spanId")?,
        parent_span_id: opt_string(&get(v, "parentSpanId"), "span parentSpanId")?,
        name: string(&get(v, "name"), "span name")?,
        kind: opt_int(&get(v, "kind"), "span kind")?.unwrap_or(0),
        dfs_span_type: opt_int(&get(v, "dfsSpanType"), "span dfsSpanType")?.unwrap_or(0),
        start_time_unix_nano: nanos(&get(v, "startTimeUnixNano"), "span startTimeUnixNano")?,
        end_time_unix_nano: nanos(&get(v, "endTimeUnixNano"), "span endTimeUnixNano")?,
        status,
        status_message: opt_string(&get(v, "statusMessage"), "span statusMessage")?,
        attributes: attributes(&get(v, "attributes"), "span attributes")?,
        events,
        links,
        trace_flags: opt_int(&get(v, "traceFlags"), "span traceFlags")?,
    })
}

/// The `[key, value]` pairs of a plain object or a `Map` (for `logMetrics`).
pub fn entries(v: &JsValue, what: &'static str) -> Result<Vec<(String, JsValue)>> {
    if !v.is_object() || Array::is_array(v) {
        return Err(invalid(
            what,
            v,
            "must be an object (or a Map) of key: number",
        ));
    }
    let pair = metric_entries(v).map_err(|e| invalid(what, v, thrown(&e)))?;
    let keys = Array::from(&pair.get(0));
    let values = Array::from(&pair.get(1));
    (0..keys.length())
        .map(|i| Ok((string(&keys.get(i), "metric key")?, values.get(i))))
        .collect()
}

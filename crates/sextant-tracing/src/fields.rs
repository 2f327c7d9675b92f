//! `tracing` field values as attributes (typed for spans, JSON for events), bounded so a
//! huge value cannot bloat a span.

use serde_json::{Map, Value};
use sextant_core::{AttrValue, SpanAttributes};
use tracing::field::{Field, Visit};

/// Longer string values are cut (and marked) at this many bytes.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

/// Collects fields into a JSON map; `message` is kept apart for events.
#[derive(Debug, Default)]
pub struct JsonFields {
    pub map: Map<String, Value>,
    pub message: Option<String>,
}

fn bounded(mut s: String) -> String {
    if s.len() > MAX_VALUE_BYTES {
        let mut cut = MAX_VALUE_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("…[truncated]");
    }
    s
}

impl JsonFields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.map.insert(field.name().to_string(), value);
        }
    }
}

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = serde_json::Number::from_f64(value)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(value.to_string()));
        self.put(field, v);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(bounded(value.to_string())));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(bounded(value.to_string())));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(bounded(format!("{value:?}"))));
    }
}

/// Collects a span's fields as typed values under their static names: no map, no key
/// strings, and no formatting of numbers until the span is flushed. `message` is dropped
/// (a span's name says what it is).
pub struct TypedFields<'a>(pub &'a mut SpanAttributes);

impl TypedFields<'_> {
    fn put(&mut self, field: &Field, value: AttrValue) {
        let name = field.name();
        if name == "message" {
            return;
        }
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }
}

impl Visit for TypedFields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, AttrValue::F64(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, AttrValue::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, AttrValue::U64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, AttrValue::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, AttrValue::Str(bounded(value.to_string())));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, AttrValue::Str(bounded(value.to_string())));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, AttrValue::Str(bounded(format!("{value:?}"))));
    }
}

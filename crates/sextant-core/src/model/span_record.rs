//! A span as an in-process tracer records it: ids as numbers, names borrowed from static
//! metadata, attributes as typed values. Recording one allocates almost nothing; the
//! strings and the JSON map of a [`Span`] are built once, when the tracker flushes.

use serde_json::{Map, Value};
use smallvec::SmallVec;

use super::span::{Span, SpanEvent, SpanStatus};

/// A recorded span's fields. Up to three stay inside the record: a span allocated on the
/// traced thread and freed by the flush thread costs a cross-thread `free`, which showed
/// as the larger part of a span's overhead when a tracker's flush thread took them.
pub type SpanAttributes = SmallVec<[(&'static str, AttrValue); 3]>;

/// Where the instrumented code is (`tracing` metadata): the OpenTelemetry `code.*`
/// attributes, added to the span's attributes at flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CodeLocation {
    /// `code.namespace`: the module path (the `tracing` target).
    pub namespace: &'static str,
    /// `code.filepath`.
    pub filepath: Option<&'static str>,
    /// `code.lineno`.
    pub lineno: Option<u32>,
}

/// An attribute value kept as recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// Non-finite values become strings in JSON ("NaN", "inf").
    F64(f64),
    /// Text recorded at run time.
    Str(String),
    /// Text that lives for the whole program (a target, a file name).
    Static(&'static str),
}

impl AttrValue {
    /// The value as a span attribute in JSON.
    pub fn to_json(&self) -> Value {
        match self {
            AttrValue::Bool(b) => Value::Bool(*b),
            AttrValue::I64(i) => Value::from(*i),
            AttrValue::U64(u) => Value::from(*u),
            AttrValue::F64(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.to_string())),
            AttrValue::Str(s) => Value::String(s.clone()),
            AttrValue::Static(s) => Value::String((*s).to_string()),
        }
    }

    fn into_json(self) -> Value {
        match self {
            AttrValue::Str(s) => Value::String(s),
            other => other.to_json(),
        }
    }
}

/// A recorded span, converted into a [`Span`] by [`SpanRecord::into_span`] at flush.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord {
    /// Non-zero (OpenTelemetry treats zero ids as invalid).
    pub trace_id: u128,
    /// Non-zero.
    pub span_id: u64,
    /// The enclosing span's id, if any (same trace).
    pub parent_span_id: Option<u64>,
    /// What the span is (the `tracing` metadata's name).
    pub name: &'static str,
    /// OTel kind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    pub kind: i64,
    /// luml's span type (see [`Span::dfs_span_type`]).
    pub dfs_span_type: i64,
    /// Unix nanoseconds.
    pub start_time_unix_nano: i64,
    /// Unix nanoseconds, not before the start.
    pub end_time_unix_nano: i64,
    /// Set when the span failed: its status is then Error with this message.
    pub error: Option<String>,
    /// In recording order; a later value of the same name replaces an earlier one.
    pub attributes: SpanAttributes,
    /// Where the span was opened; its `code.*` attributes come after (and win over) the
    /// recorded ones.
    pub code: Option<CodeLocation>,
    /// Events logged inside the span, in order.
    pub events: Vec<SpanEvent>,
}

/// Lowercase hex of the low `digits` (at most 32) nibbles of `v`. Pushed digit by digit:
/// three ids per span at every flush made UTF-8 validation of a byte buffer show up.
fn hex(v: u128, digits: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digits = digits.min(32);
    let mut out = String::with_capacity(digits);
    for i in (0..digits).rev() {
        out.push(char::from(DIGITS[((v >> (i * 4)) & 0xf) as usize]));
    }
    out
}

impl SpanRecord {
    /// The stored shape: hex ids, owned strings, a JSON attribute map.
    pub fn into_span(self) -> Span {
        let mut attributes = Map::new();
        for (k, v) in self.attributes {
            attributes.insert(k.to_string(), v.into_json());
        }
        if let Some(code) = self.code {
            attributes.insert("code.namespace".into(), Value::from(code.namespace));
            if let Some(file) = code.filepath {
                attributes.insert("code.filepath".into(), Value::from(file));
            }
            if let Some(line) = code.lineno {
                attributes.insert("code.lineno".into(), Value::from(line));
            }
        }
        let status = if self.error.is_some() {
            SpanStatus::Error
        } else {
            SpanStatus::Ok
        };
        Span {
            trace_id: hex(self.trace_id, 32),
            span_id: hex(u128::from(self.span_id), 16),
            parent_span_id: self.parent_span_id.map(|p| hex(u128::from(p), 16)),
            name: self.name.to_string(),
            kind: self.kind,
            dfs_span_type: self.dfs_span_type,
            start_time_unix_nano: self.start_time_unix_nano,
            end_time_unix_nano: self.end_time_unix_nano,
            status,
            status_message: self.error,
            attributes,
            events: self.events,
            links: Vec::new(),
            trace_flags: Some(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_the_stored_shape() {
        let r = SpanRecord {
            trace_id: 0xab,
            span_id: 0x0123_4567_89ab_cdef,
            parent_span_id: Some(1),
            name: "step",
            kind: 1,
            dfs_span_type: 0,
            start_time_unix_nano: 5,
            end_time_unix_nano: 9,
            error: None,
            attributes: smallvec::smallvec![
                ("n", AttrValue::U64(3)),
                ("loss", AttrValue::F64(f64::NAN)),
                ("n", AttrValue::I64(-4)),
                ("code.namespace", AttrValue::Static("mine")),
            ],
            code: Some(CodeLocation {
                namespace: "app",
                filepath: Some("src/app.rs"),
                lineno: Some(7),
            }),
            events: vec![],
        };
        let s = r.into_span();
        assert_eq!(s.trace_id, format!("{:032x}", 0xab));
        assert_eq!(s.span_id, "0123456789abcdef");
        assert_eq!(s.parent_span_id.as_deref(), Some("0000000000000001"));
        assert_eq!(s.attributes["n"], -4, "the later value wins");
        assert_eq!(s.attributes["loss"], "NaN");
        assert_eq!(s.attributes["code.namespace"], "app", "the location wins");
        assert_eq!(s.attributes["code.filepath"], "src/app.rs");
        assert_eq!(s.attributes["code.lineno"], 7);
        assert_eq!(s.status, SpanStatus::Ok);
        let wide = 0xfedc_ba98_7654_3210_0f1e_2d3c_4b5a_6978_u128;
        assert_eq!(hex(wide, 32), format!("{wide:032x}"));
        assert_eq!(hex(wide, 16), format!("{:016x}", wide as u64));
    }
}

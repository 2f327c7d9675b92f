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

/// A span or trace id in lowercase hex, on the stack: stores bind it as text without
/// allocating a `String` per id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HexId {
    buf: [u8; 32],
    len: u8,
}

impl HexId {
    /// The low `digits` (at most 32) nibbles of `v`.
    pub fn new(v: u128, digits: usize) -> HexId {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let len = digits.min(32);
        let mut buf = [0u8; 32];
        for (i, b) in buf[..len].iter_mut().enumerate() {
            *b = DIGITS[((v >> ((len - 1 - i) * 4)) & 0xf) as usize];
        }
        HexId {
            buf,
            len: len as u8,
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever written, so this cannot fail.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

fn hex(v: u128, digits: usize) -> String {
    HexId::new(v, digits).as_str().to_string()
}

/// An attribute as it is written to JSON: recorded values and the `code.*` location.
#[derive(Clone, Copy)]
enum AttrJson<'a> {
    Value(&'a AttrValue),
    Text(&'a str),
    Line(u32),
}

impl serde::Serialize for AttrJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            AttrJson::Value(AttrValue::Bool(b)) => s.serialize_bool(*b),
            AttrJson::Value(AttrValue::I64(i)) => s.serialize_i64(*i),
            AttrJson::Value(AttrValue::U64(u)) => s.serialize_u64(*u),
            AttrJson::Value(AttrValue::F64(f)) if f.is_finite() => s.serialize_f64(*f),
            AttrJson::Value(AttrValue::F64(f)) => s.serialize_str(&f.to_string()),
            AttrJson::Value(AttrValue::Str(t)) => s.serialize_str(t),
            AttrJson::Value(AttrValue::Static(t)) => s.serialize_str(t),
            AttrJson::Text(t) => s.serialize_str(t),
            AttrJson::Line(n) => s.serialize_u32(n),
        }
    }
}

/// A recorded span's stored text: hex ids and the attributes as a JSON object, rendered
/// into buffers kept from span to span. A store writes a [`SpanRecord`] through this
/// instead of building a [`Span`], whose strings and map were most of a span's cost.
#[derive(Debug, Default)]
pub struct SpanText {
    /// 32 hex digits.
    pub trace_id: HexId,
    /// 16 hex digits.
    pub span_id: HexId,
    /// 16 hex digits, for a child span.
    pub parent_span_id: Option<HexId>,
    attributes: Vec<u8>,
}

impl SpanText {
    /// Renders `r`, replacing what the last call rendered.
    pub fn render(&mut self, r: &SpanRecord) {
        self.trace_id = HexId::new(r.trace_id, 32);
        self.span_id = HexId::new(u128::from(r.span_id), 16);
        self.parent_span_id = r.parent_span_id.map(|p| HexId::new(u128::from(p), 16));
        // The same object `into_span` makes: later values win, the location wins over
        // recorded names, keys in byte order (the map's order).
        type Entries<'a> = SmallVec<[(&'a str, AttrJson<'a>); 8]>;
        let mut entries: Entries<'_> = SmallVec::new();
        fn set<'a>(entries: &mut Entries<'a>, k: &'a str, v: AttrJson<'a>) {
            match entries.iter_mut().find(|(name, _)| *name == k) {
                Some(slot) => slot.1 = v,
                None => entries.push((k, v)),
            }
        }
        for (k, v) in &r.attributes {
            set(&mut entries, k, AttrJson::Value(v));
        }
        if let Some(code) = &r.code {
            set(
                &mut entries,
                "code.namespace",
                AttrJson::Text(code.namespace),
            );
            if let Some(file) = code.filepath {
                set(&mut entries, "code.filepath", AttrJson::Text(file));
            }
            if let Some(line) = code.lineno {
                set(&mut entries, "code.lineno", AttrJson::Line(line));
            }
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.attributes.clear();
        let mut ser = serde_json::Serializer::new(&mut self.attributes);
        // Writing to a Vec cannot fail, and every value serializes.
        let _ = serde::Serializer::collect_map(&mut ser, entries.iter().map(|(k, v)| (*k, *v)));
    }

    /// The attributes as a JSON object.
    pub fn attributes(&self) -> &str {
        // serde_json writes UTF-8 only.
        std::str::from_utf8(&self.attributes).unwrap_or("{}")
    }
}

impl SpanRecord {
    /// The OTel status code luml stores (see [`SpanStatus::code`]).
    pub fn status(&self) -> SpanStatus {
        if self.error.is_some() {
            SpanStatus::Error
        } else {
            SpanStatus::Ok
        }
    }

    /// The stored shape: hex ids, owned strings, a JSON attribute map.
    pub fn into_span(self) -> Span {
        let status = self.status();
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

    /// What a store writes from a record must be what it would write from the converted
    /// span: the same ids and, byte for byte, the same attribute JSON.
    #[test]
    fn stored_text_equals_the_converted_span() {
        let base = SpanRecord {
            trace_id: u128::MAX - 7,
            span_id: 0xfeed,
            parent_span_id: None,
            name: "s",
            kind: 1,
            dfs_span_type: 0,
            start_time_unix_nano: 1,
            end_time_unix_nano: 2,
            error: None,
            attributes: SpanAttributes::new(),
            code: None,
            events: vec![],
        };
        let cases: Vec<(SpanAttributes, Option<CodeLocation>, Option<u64>)> = vec![
            (SpanAttributes::new(), None, None),
            (
                smallvec::smallvec![
                    ("zeta", AttrValue::F64(1.0)),
                    ("alpha", AttrValue::F64(0.1)),
                    ("big", AttrValue::F64(-1e300)),
                    ("inf", AttrValue::F64(f64::NEG_INFINITY)),
                    ("nan", AttrValue::F64(f64::NAN)),
                    ("ok", AttrValue::Bool(false)),
                    ("i", AttrValue::I64(i64::MIN)),
                    ("u", AttrValue::U64(u64::MAX)),
                    ("i", AttrValue::I64(3)),
                ],
                Some(CodeLocation {
                    namespace: "a::b",
                    filepath: None,
                    lineno: Some(u32::MAX),
                }),
                Some(1),
            ),
            (
                smallvec::smallvec![
                    (
                        "text",
                        AttrValue::Str("quote \" back \\ nl \n tab \t ctl \u{1} é 🦀".into())
                    ),
                    ("code.filepath", AttrValue::Static("recorded")),
                    ("Upper", AttrValue::Static("")),
                ],
                Some(CodeLocation {
                    namespace: "app",
                    filepath: Some("src/\"odd\".rs"),
                    lineno: None,
                }),
                Some(u64::MAX),
            ),
        ];
        let mut text = SpanText::default();
        for (attributes, code, parent) in cases {
            let r = SpanRecord {
                attributes,
                code,
                parent_span_id: parent,
                ..base.clone()
            };
            text.render(&r);
            let span = r.into_span();
            assert_eq!(text.trace_id.as_str(), span.trace_id);
            assert_eq!(text.span_id.as_str(), span.span_id);
            assert_eq!(
                text.parent_span_id.as_ref().map(HexId::as_str),
                span.parent_span_id.as_deref()
            );
            let expected = serde_json::to_string(&span.attributes).unwrap_or_default();
            assert_eq!(text.attributes(), expected);
        }
    }
}

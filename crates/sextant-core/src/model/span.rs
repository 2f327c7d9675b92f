use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// OpenTelemetry status codes as luml stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanStatus {
    /// No status set (OTel code 0), the default.
    #[default]
    Unset,
    /// Marked successful (code 1).
    Ok,
    /// Failed (code 2); `status_message` says why.
    Error,
}

impl SpanStatus {
    /// The OTel status code luml stores: 0, 1 or 2.
    pub fn code(self) -> i64 {
        match self {
            SpanStatus::Unset => 0,
            SpanStatus::Ok => 1,
            SpanStatus::Error => 2,
        }
    }

    /// The inverse of [`SpanStatus::code`]; an unknown code reads as `Unset`.
    pub fn from_code(code: i64) -> SpanStatus {
        match code {
            1 => SpanStatus::Ok,
            2 => SpanStatus::Error,
            _ => SpanStatus::Unset,
        }
    }
}

/// Something that happened at one moment during a span (OTel span event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanEvent {
    /// What happened, e.g. `exception`.
    pub name: String,
    /// Unix nanoseconds.
    pub timestamp: i64,
    /// OTel attributes as JSON values.
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// A reference from a span to another span, possibly in another trace (OTel span link).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanLink {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// W3C trace flags of the linked span, when known.
    #[serde(default)]
    pub trace_flags: Option<i64>,
    /// OTel attributes as JSON values.
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// One OpenTelemetry-shaped span, in the columns of luml's `spans` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// The parent's span id; `None` makes this span its trace's root.
    #[serde(default)]
    pub parent_span_id: Option<String>,
    /// The operation, e.g. `train_epoch`.
    pub name: String,
    /// OTel kind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    #[serde(default)]
    pub kind: i64,
    /// luml's span type: 0 default, 1 chat, 2 agent, 3 tool, 4 embedder, 5 reranker.
    #[serde(default)]
    pub dfs_span_type: i64,
    /// Unix nanoseconds.
    pub start_time_unix_nano: i64,
    /// Unix nanoseconds; the tracker refuses an end before the start.
    pub end_time_unix_nano: i64,
    /// How the operation ended.
    #[serde(default)]
    pub status: SpanStatus,
    /// Why, for an error status.
    #[serde(default)]
    pub status_message: Option<String>,
    /// OTel attributes as JSON values.
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Moments inside the span, as logged.
    #[serde(default)]
    pub events: Vec<SpanEvent>,
    /// References to other spans.
    #[serde(default)]
    pub links: Vec<SpanLink>,
    /// W3C trace flags (1 = sampled), when the producer sent them.
    #[serde(default)]
    pub trace_flags: Option<i64>,
}

/// A trace's overall state, taken from its root span(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceState {
    /// No root span has arrived yet.
    InProgress,
    /// A root ended `Ok` and none ended in error.
    Ok,
    /// A root span ended in error.
    Error,
    /// The roots set no status.
    Unset,
}

/// A trace is the set of spans sharing a trace id; this is its row in a traces table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// Name of the earliest root span; `None` while no root has arrived.
    pub root_name: Option<String>,
    /// Unix nanoseconds: the earliest start of any of its spans.
    pub start_time_unix_nano: i64,
    /// Unix nanoseconds: the latest end of any of its spans.
    pub end_time_unix_nano: i64,
    /// End minus start, in nanoseconds.
    pub duration_ns: i64,
    /// Spans stored for the trace so far.
    pub span_count: u64,
    /// Overall state, from the roots.
    pub state: TraceState,
}

/// Groups spans into traces, ordered by start time. A root is a span without a parent.
pub fn trace_summaries(spans: &[Span]) -> Vec<TraceSummary> {
    let mut by_trace: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
    for s in spans {
        by_trace.entry(s.trace_id.as_str()).or_default().push(s);
    }
    let mut out: Vec<TraceSummary> = by_trace
        .into_iter()
        .map(|(trace_id, spans)| {
            let start = spans
                .iter()
                .map(|s| s.start_time_unix_nano)
                .min()
                .unwrap_or(0);
            let end = spans
                .iter()
                .map(|s| s.end_time_unix_nano)
                .max()
                .unwrap_or(0);
            let roots: Vec<&&Span> = spans
                .iter()
                .filter(|s| s.parent_span_id.is_none())
                .collect();
            let state = if roots.is_empty() {
                TraceState::InProgress
            } else if roots.iter().any(|r| r.status == SpanStatus::Error) {
                TraceState::Error
            } else if roots.iter().any(|r| r.status == SpanStatus::Ok) {
                TraceState::Ok
            } else {
                TraceState::Unset
            };
            let root_name = roots
                .iter()
                .min_by_key(|r| r.start_time_unix_nano)
                .map(|r| r.name.clone());
            TraceSummary {
                trace_id: trace_id.to_string(),
                root_name,
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                duration_ns: end.saturating_sub(start),
                span_count: spans.len() as u64,
                state,
            }
        })
        .collect();
    out.sort_by_key(|t| t.start_time_unix_nano);
    out
}

//! The data model every store reads and writes.

mod experiment;
pub mod media;
mod metric;
mod param;
mod span;
mod span_record;

pub use experiment::{
    AttachmentInfo, ExperimentInfo, ExperimentUpdate, GroupInfo, ModelInfo, NewExperiment, Status,
};
pub use media::{ImageFormat, MediaImage, MediaIndex};
pub use metric::{lossless_f64, MetricPoint, MetricSummary, StepRange};
pub use param::{ParamType, ParamValue};
pub use span::{trace_summaries, Span, SpanEvent, SpanLink, SpanStatus, TraceState, TraceSummary};
pub use span_record::{AttrValue, SpanRecord};

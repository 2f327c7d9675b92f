//! The data model every store reads and writes.

mod eval;
mod experiment;
pub mod media;
mod metric;
mod param;
mod span;
mod span_record;
mod token;

pub use eval::{
    number, Annotation, AnnotationKind, AnnotationSubject, AnnotationSummary, AnnotationTarget,
    AnnotationValue, AnnotationValueType, EvalColumn, EvalSample, ExpectationSummary,
    FeedbackSummary, JsonObject,
};
pub use experiment::{
    AttachmentInfo, ExperimentInfo, ExperimentUpdate, GroupInfo, ModelInfo, NewExperiment, Status,
};
pub use media::{ImageFormat, MediaImage, MediaIndex};
pub use metric::{extremes_with, lossless_f64, MetricPoint, MetricSummary, StepRange};
pub use param::{ParamType, ParamValue};
pub use span::{trace_summaries, Span, SpanEvent, SpanLink, SpanStatus, TraceState, TraceSummary};
pub use span_record::{AttrValue, CodeLocation, HexId, SpanAttributes, SpanRecord, SpanText};
pub use token::{
    token_hash, token_secret, validate_token_name, NewToken, Role, TokenInfo, TOKEN_PREFIX_LEN,
};

//! Records the `tracing` crate's spans into the current Sextant experiment, in the
//! OpenTelemetry shape luml stores (trace/span ids, nesting, fields as attributes,
//! events, error status). Add [`SextantLayer`] to any `tracing_subscriber` registry.

mod fields;
mod ids;
mod layer;
mod span_type;

pub use layer::SextantLayer;
pub use span_type::span_type_of;

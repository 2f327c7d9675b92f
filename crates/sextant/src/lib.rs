//! Sextant for Rust programs: a blocking experiment tracker over a luml-compatible store.
//!
//! ```no_run
//! use sextant::{ExperimentTracker, StartOptions};
//!
//! # fn main() -> sextant::Result<()> {
//! let tracker = ExperimentTracker::new("sqlite://./experiments")?;
//! tracker.start_experiment(StartOptions::new().name("baseline").group("mnist"))?;
//! tracker.log_static("lr", 0.001, None)?;
//! for step in 0..100 {
//!     tracker.log_dynamic("train/loss", 1.0 / f64::from(step + 1), None, None)?;
//! }
//! tracker.end_experiment(None)?;
//! # Ok(())
//! # }
//! ```
//!
//! Logging calls only buffer; a background thread makes the buffer durable about once a
//! second, so a crash loses at most about a second of points and the training loop never
//! waits for the disk. The core ([`sextant_core`]) is async because browser stores are; the
//! native stores complete at once, so this crate runs them with `pollster` and needs no
//! async runtime.

mod flusher;
mod model_link;
pub mod sync;
mod tracker;

use std::sync::Arc;

pub use sextant_core::{
    AttachmentInfo, Error, ExperimentDump, ExperimentInfo, ExperimentUpdate, FlushPolicy,
    GroupInfo, MemoryStore, MetricPoint, MetricSummary, ModelInfo, ParamType, ParamValue, Registry,
    Result, Span, SpanEvent, SpanLink, SpanStatus, StartOptions, Status, StepRange, Store,
    TraceState, TraceSummary,
};
pub use sextant_tracing::SextantLayer;
pub use tracker::ExperimentTracker;

/// The store used when none is named: a luml-layout directory under the working directory.
pub const DEFAULT_STORE: &str = "sqlite://./experiments";

/// A registry with every backend a native program has: `memory://`, `sqlite://DIR` and
/// `http://host:port` (a `sextant serve` server; token from `SEXTANT_TOKEN`) and
/// `postgres://user:pass@host:port/db` (the team tier).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    sextant_sqlite::register(&mut registry);
    sextant_http::register(&mut registry);
    sextant_postgres::register(&mut registry);
    registry
}

/// Opens the store a connection string (`backend://config`) names.
pub fn open_store(connection: &str) -> Result<Arc<dyn Store>> {
    pollster::block_on(registry().open(connection))
}

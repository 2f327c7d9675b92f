//! Sextant for Rust programs: a blocking experiment tracker over a luml-compatible store.
//!
//! ```no_run
//! use sextant::{ExperimentTracker, StartOptions};
//!
//! # fn main() -> sextant::Result<()> {
//! let tracker = ExperimentTracker::new("sqlite://./experiments")?;
//! let run = tracker.start_run(StartOptions::new().name("baseline").group("mnist"))?;
//! run.log_static("lr", 0.001)?;
//! for step in 0..100 {
//!     run.log_dynamic("train/loss", 1.0 / f64::from(step + 1))?; // auto-step
//! }
//! run.end()?;
//! # Ok(())
//! # }
//! ```
//!
//! The luml-shaped methods stay on [`ExperimentTracker`] itself (`log_dynamic(key, value,
//! step, experiment_id)`), for code ported from Python.
//!
//! Logging calls only buffer; a background thread makes the buffer durable about once a
//! second, so a crash loses at most about a second of points and the training loop never
//! waits for the disk. The core ([`sextant_core`]) is async because browser stores are; the
//! native stores complete at once, so this crate runs them with `pollster` and needs no
//! async runtime.

mod evals;
mod flusher;
mod model_link;
mod run;
pub mod sync;
mod system;
mod tracker;

use std::sync::Arc;

pub use run::Run;
pub use sextant_core::{
    Annotation, AnnotationKind, AnnotationSubject, AnnotationSummary, AnnotationTarget,
    AnnotationValue, AnnotationValueType, AttachmentInfo, DatasetScores, Error, EvalColumn,
    EvalPage, EvalQuery, EvalSample, EvalSortKey, EvalSummary, ExperimentDump, ExperimentInfo,
    ExperimentUpdate, FlushPolicy, GroupInfo, JsonObject, MemoryStore, MetricPoint, MetricSummary,
    ModelInfo, NewAnnotation, OpenOptions, ParamType, ParamValue, Registry, Result, ScoreFilter,
    Span, SpanEvent, SpanLink, SpanStatus, StartOptions, Status, StepRange, Store, TraceState,
    TraceSummary,
};
pub use sextant_core::{NewToken, Role, TokenInfo, TokenStore};
pub use sextant_tracing::SextantLayer;
pub use tracker::ExperimentTracker;

/// The store used when none is named: a luml-layout directory under the working directory.
pub const DEFAULT_STORE: &str = "sqlite://./experiments";

/// A registry with every backend a native program has: `memory://`, `sqlite://DIR` and
/// `http://host:port` (a `sextant serve` server) and `postgres://user:pass@host:port/db`
/// (the team tier).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    sextant_sqlite::register(&mut registry);
    sextant_http::register(&mut registry);
    sextant_postgres::register(&mut registry);
    registry
}

/// Opens the store a connection string (`backend://config`) names. The token for an
/// `http://` server comes from `?token=` in the string or else the `SEXTANT_TOKEN`
/// environment variable.
pub fn open_store(connection: &str) -> Result<Arc<dyn Store>> {
    let options = OpenOptions {
        fallback_token: std::env::var("SEXTANT_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        ..OpenOptions::default()
    };
    open_store_with(connection, options)
}

/// Opens the store a connection string names with explicit settings (no environment).
pub fn open_store_with(connection: &str, options: OpenOptions) -> Result<Arc<dyn Store>> {
    pollster::block_on(registry().open_with(connection, options))
}

//! Sextant's storage-agnostic core: the data model, the [`Store`] trait, the tracker logic
//! ([`Tracker`]), connection strings and the backend [`Registry`], an in-memory store and
//! chart downsampling. No platform code (no threads, no OS calls): it builds for native
//! targets and for `wasm32-unknown-unknown` alike; bindings supply a clock and randomness
//! through [`Env`] (`sextant-native` natively).

#![warn(missing_docs)]

pub mod chunks;
pub mod downsample;
pub mod dump;
pub mod env;
pub mod error;
pub mod evals;
pub mod memory;
pub mod model;
pub mod names;
pub mod query;
pub mod registry;
pub mod search;
pub mod store;
pub mod tracker;
pub mod validate;
pub mod wire;

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "conformance")]
pub mod series_check;
#[cfg(feature = "series-strategies")]
pub mod series_strategy;

pub use chunks::ByteStream;
pub use dump::ExperimentDump;
pub use env::{BoxFuture, Env, MaybeSend, MaybeSync};
pub use error::{Cause, Error, Result};
pub use evals::{DatasetScores, EvalPage, EvalQuery, EvalSortKey, EvalSummary, ScoreFilter};
pub use memory::MemoryStore;
pub use model::*;
pub use query::{ExperimentFilter, Page, Sort, SortKey};
pub use registry::{OpenOptions, Registry};
pub use store::{Batch, ChangeCallback, Record, Store, TokenStore, Touched};
pub use tracker::{Dropped, FlushPolicy, NewAnnotation, StartOptions, Tracker, DEFAULT_GROUP};

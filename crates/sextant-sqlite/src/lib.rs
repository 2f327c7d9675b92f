//! The native store: SQLite files in the luml-sdk directory layout
//! (`../shared/spec/store-layout.md`), readable by luml and by Sextant alike.

mod blocks;
pub mod fs;
mod store;

/// luml snapshots (tars of an experiment), kept here under their old path.
pub use sextant_luml::snapshot;

pub use store::SqliteStore;

use std::sync::Arc;

use sextant_core::{Registry, Store};

/// Adds `sqlite://DIR` (relative or absolute) to a registry.
pub fn register(registry: &mut Registry) {
    registry.register("sqlite", "sqlite://./experiments", |dir| {
        Box::pin(async move { Ok(Arc::new(SqliteStore::open(&dir)?) as Arc<dyn Store>) })
    });
}

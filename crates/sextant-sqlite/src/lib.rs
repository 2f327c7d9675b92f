//! The native store: SQLite files in the luml-sdk directory layout
//! (`../shared/spec/store-layout.md`), readable by luml and by Sextant alike.

mod blocks;
pub mod fs;
mod search;
mod store;

/// luml snapshots (tars of an experiment), kept here under their old path.
pub use sextant_luml::snapshot;

pub use store::SqliteStore;

use std::sync::Arc;

use sextant_core::{Registry, Store};

/// Adds `sqlite://DIR` (relative or absolute) to a registry.
// On wasm32 (Node) the store holds a JS file system, which is not Send: one thread there.
#[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
pub fn register(registry: &mut Registry) {
    registry.register("sqlite", "sqlite://./experiments", |dir| {
        Box::pin(async move { Ok(Arc::new(SqliteStore::open(&dir)?) as Arc<dyn Store>) })
    });
}

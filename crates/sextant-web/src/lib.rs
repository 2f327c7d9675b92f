//! Sextant for JavaScript: the browser stores (IndexedDB, localStorage), and the
//! `ExperimentTracker` class wasm-bindgen exports to JS/TS (the npm package
//! `@sextant/tracker` in `www/`). With the `node-sqlite` feature (the package's Node build)
//! it also holds `sqlite://DIR`, the native SQLite store over Node's fs (`sextant-node`).
//!
//! The platform-free halves (chunking, encodings, the key/value store) build natively too,
//! so their tests run with the rest of the workspace; everything touching JS is compiled
//! for wasm32 only.

pub mod chunk_summary;
pub mod chunks;
pub mod kv;
pub mod wide_series;

#[cfg(target_arch = "wasm32")]
pub mod env;
#[cfg(target_arch = "wasm32")]
pub mod idb;
#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod local;

#[cfg(target_arch = "wasm32")]
pub use wasm::{registry, DEFAULT_CONNECTION};

#[cfg(target_arch = "wasm32")]
// The core shares stores as `Arc<dyn Store>`; wasm is single-threaded, so JS handles
// inside them need not be `Send`.
#[allow(clippy::arc_with_non_send_sync)]
mod wasm {
    use std::sync::Arc;

    use sextant_core::{Error, Registry, Store};

    use crate::env::JsEnv;
    use crate::idb::IndexedDbStore;

    /// The core registry (memory://) plus the JS platform's backends.
    pub fn registry() -> Registry {
        let mut registry = Registry::new();
        registry.register("idb", "idb://NAME", |name| {
            Box::pin(async move {
                let store = IndexedDbStore::open(&name, Arc::new(JsEnv)).await?;
                Ok(Arc::new(store) as Arc<dyn Store>)
            })
        });
        registry.register("localstorage", "localstorage://PREFIX", |prefix| {
            Box::pin(async move {
                let store = crate::local::open(&prefix, Arc::new(JsEnv))?;
                Ok(Arc::new(store) as Arc<dyn Store>)
            })
        });
        registry.register("file", "file://PATH (replaced by sqlite://DIR)", |path| {
            Box::pin(async move {
                Err(Error::InvalidInput {
                    what: "connection string",
                    value: format!("file://{path}"),
                    reason: "file:// stores were replaced by sqlite://DIR in Node (the luml \
                             layout that `sextant ui`, the Rust API and luml-sdk open; the \
                             default is sqlite://./experiments)"
                        .into(),
                })
            })
        });
        register_sqlite(&mut registry);
        registry
    }

    /// The Node build: the native SQLite store over Node's fs.
    #[cfg(feature = "node-sqlite")]
    fn register_sqlite(registry: &mut Registry) {
        registry.register("sqlite", "sqlite://DIR (Node)", |dir| {
            Box::pin(async move { Ok(sextant_node::open(&dir)? as Arc<dyn Store>) })
        });
    }

    /// The browser build carries no SQLite (it would triple the module).
    #[cfg(not(feature = "node-sqlite"))]
    fn register_sqlite(registry: &mut Registry) {
        registry.register("sqlite", "sqlite://DIR (Node)", |dir| {
            Box::pin(async move {
                Err(Error::InvalidInput {
                    what: "connection string",
                    value: format!("sqlite://{dir}"),
                    reason: "sqlite:// stores need Node (the package's Node entry); in a \
                             browser use idb://NAME"
                        .into(),
                })
            })
        });
    }

    /// The store `ExperimentTracker.open()` uses without a connection string.
    pub const DEFAULT_CONNECTION: Option<&str> = if cfg!(feature = "node-sqlite") {
        Some("sqlite://./experiments")
    } else {
        None
    };

    /// The process is exiting (Node's exit hooks): fold the SQLite stores' logs into their
    /// files and drop this process's lock files. Not part of the API.
    #[cfg(feature = "node-sqlite")]
    #[wasm_bindgen::prelude::wasm_bindgen(js_name = __closeStores)]
    pub fn close_stores() {
        sextant_node::close_all();
    }

    #[cfg(not(feature = "node-sqlite"))]
    #[wasm_bindgen::prelude::wasm_bindgen(js_name = __closeStores)]
    pub fn close_stores() {}
}

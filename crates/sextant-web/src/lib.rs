//! Sextant for JavaScript: the browser stores (IndexedDB, localStorage), a file store for
//! Node, and the `ExperimentTracker` class wasm-bindgen exports to JS/TS (the npm package
//! `@sextant/tracker` in `www/`).
//!
//! The platform-free halves (chunking, encodings, the key/value and log-file stores) build
//! natively too, so their tests run with the rest of the workspace; everything touching JS
//! is compiled for wasm32 only.

pub mod chunks;
pub mod filelog;
pub mod kv;

#[cfg(target_arch = "wasm32")]
pub mod env;
#[cfg(target_arch = "wasm32")]
pub mod idb;
#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod local;
#[cfg(target_arch = "wasm32")]
pub mod node;

#[cfg(target_arch = "wasm32")]
pub use wasm::registry;

#[cfg(target_arch = "wasm32")]
// The core shares stores as `Arc<dyn Store>`; wasm is single-threaded, so JS handles
// inside them need not be `Send`.
#[allow(clippy::arc_with_non_send_sync)]
mod wasm {
    use std::sync::Arc;

    use sextant_core::{Registry, Store};

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
        registry.register("file", "file://PATH (Node)", |path| {
            Box::pin(async move {
                let store = crate::filelog::open(crate::node::host()?, &path, Arc::new(JsEnv))?;
                Ok(Arc::new(store) as Arc<dyn Store>)
            })
        });
        registry
    }
}

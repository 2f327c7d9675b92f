//! `localstorage://PREFIX`: the [`KvStore`] on `window.localStorage` through gloo-storage.
//! Small (browsers allow about 5 MB per origin) but synchronous and everywhere; a write
//! that does not fit fails with `QuotaExceeded` and is rolled back.

use std::sync::Arc;

use gloo_storage::Storage as _;
use sextant_core::{Env, Error, Result};
use wasm_bindgen::JsCast;
use web_sys::{DomException, Storage};

use crate::kv::{KvBackend, KvStore};

/// The prefix used by `localstorage://` with nothing after it.
pub const DEFAULT_PREFIX: &str = "sextant";

/// The localStorage store.
pub type LocalStorageStore = KvStore<LocalStorageBackend>;

/// `window.localStorage` as a [`KvBackend`].
#[derive(Debug)]
pub struct LocalStorageBackend {
    storage: Storage,
}

impl LocalStorageBackend {
    /// Fails (rather than panicking, as gloo would) where there is no localStorage: Node,
    /// workers, or a browser with storage disabled.
    pub fn new() -> Result<Self> {
        let available = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .is_some();
        if !available {
            return Err(Error::storage(
                "localStorage is not available here (Node, a worker, or storage disabled): \
                 use idb://NAME in workers, sqlite://DIR or memory:// in Node",
            ));
        }
        Ok(LocalStorageBackend {
            storage: gloo_storage::LocalStorage::raw(),
        })
    }
}

fn failure(what: &str, key: &str, e: &wasm_bindgen::JsValue) -> Error {
    match e.dyn_ref::<DomException>() {
        Some(d) if d.name() == "QuotaExceededError" => {
            Error::quota_exceeded(format!("no room for key {key:?}: {}", d.message()))
        }
        Some(d) => Error::storage(format!("localStorage {what} {key:?}: {}", d.message())),
        None => Error::storage(format!("localStorage {what} {key:?} failed")),
    }
}

impl KvBackend for LocalStorageBackend {
    fn name(&self) -> &'static str {
        "localStorage"
    }

    fn get(&self, key: &str) -> Result<Option<String>> {
        self.storage
            .get_item(key)
            .map_err(|e| failure("reading", key, &e))
    }

    fn set(&self, key: &str, value: &str) -> Result<()> {
        self.storage
            .set_item(key, value)
            .map_err(|e| failure("writing", key, &e))
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.storage
            .remove_item(key)
            .map_err(|e| failure("removing", key, &e))
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let n = self
            .storage
            .length()
            .map_err(|e| failure("listing", prefix, &e))?;
        let mut out = Vec::new();
        for i in 0..n {
            if let Ok(Some(key)) = self.storage.key(i) {
                if key.starts_with(prefix) {
                    out.push(key);
                }
            }
        }
        Ok(out)
    }
}

/// Opens `localstorage://PREFIX`.
pub fn open(prefix: &str, env: Arc<dyn Env>) -> Result<LocalStorageStore> {
    let prefix = if prefix.is_empty() {
        DEFAULT_PREFIX
    } else {
        prefix
    };
    Ok(KvStore::new(
        LocalStorageBackend::new()?,
        prefix,
        format!("localstorage://{prefix}"),
        env,
    ))
}

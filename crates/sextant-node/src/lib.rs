//! `sqlite://DIR` for Node: the native SQLite store (`sextant-sqlite`, the luml layout),
//! compiled to wasm and run over a SQLite VFS on Node's synchronous `fs`, so a Node run is
//! the same files `sextant ui`, the Rust API and luml-sdk open. Linked into the Node build
//! of the npm package's wasm only (sextant-web's `node-sqlite` feature); see
//! docs/architecture.md for why (Node 20 has no `node:sqlite`) and what may run beside it.

#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod lock;
#[cfg(target_arch = "wasm32")]
mod nodefs;
#[cfg(target_arch = "wasm32")]
mod vfs;

#[cfg(target_arch = "wasm32")]
pub use wasm::{close_all, open};

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::{Arc, Weak};

    use sextant_core::Result;
    use sextant_sqlite::SqliteStore;

    use crate::host::NodeFs;
    use crate::{lock, nodefs, vfs};

    thread_local! {
        /// One store per directory in this instance: its connections hold their files
        /// exclusively, so a second store on the same files could not read them.
        static STORES: RefCell<HashMap<String, Weak<SqliteStore>>> = RefCell::new(HashMap::new());
    }

    /// Opens (creating) the store at `dir`, relative to the working directory; the same
    /// store again when this instance has it open already.
    // Arc: the core shares stores as Arc<dyn Store>; wasm has one thread.
    #[allow(clippy::arc_with_non_send_sync)]
    pub fn open(dir: &str) -> Result<Arc<SqliteStore>> {
        vfs::install()?;
        let abs = nodefs::resolve(if dir.is_empty() { "." } else { dir });
        if dir.is_empty() {
            // Let the store give its usual message.
            return SqliteStore::open_on(Arc::new(NodeFs), "").map(Arc::new);
        }
        if let Some(store) = STORES.with(|s| s.borrow().get(&abs).and_then(Weak::upgrade)) {
            return Ok(store);
        }
        let store = Arc::new(SqliteStore::open_on(Arc::new(NodeFs), &abs)?);
        STORES.with(|s| {
            let mut s = s.borrow_mut();
            s.retain(|_, w| w.strong_count() > 0);
            s.insert(abs, Arc::downgrade(&store));
        });
        Ok(store)
    }

    /// The process is exiting: fold every open store's WAL into its database files and
    /// remove this process's lock files, so nothing waits for recovery or looks held.
    pub fn close_all() {
        let stores: Vec<Arc<SqliteStore>> =
            STORES.with(|s| s.borrow().values().filter_map(Weak::upgrade).collect());
        for store in stores {
            let _ = store.checkpoint();
        }
        lock::release_all();
    }
}

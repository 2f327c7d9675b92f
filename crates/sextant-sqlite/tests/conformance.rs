//! The SQLite store passes the suite every store must pass.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use sextant_core::{conformance, Store};
use sextant_native::SystemEnv;
use sextant_sqlite::SqliteStore;

#[test]
fn sqlite_store_conforms() {
    let dirs = std::sync::Mutex::new(Vec::new());
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        dirs.lock().unwrap().push(dir);
        async move { Arc::new(store) as Arc<dyn Store> }
    }));
}

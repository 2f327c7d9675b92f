//! The memory store passes the same suite every store must pass.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use sextant_core::{conformance, MemoryStore, Store};
use sextant_native::SystemEnv;

#[test]
fn memory_store_conforms() {
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || async {
        Arc::new(MemoryStore::new()) as Arc<dyn Store>
    }));
}

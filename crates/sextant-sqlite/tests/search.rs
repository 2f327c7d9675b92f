//! The search corpus lists the same runs from a SQLite store as from the memory store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use sextant_core::search::corpus;
use sextant_sqlite::SqliteStore;

#[test]
fn sqlite_and_memory_agree_on_every_corpus_filter() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let counts = pollster::block_on(corpus::check_store(store.clone(), 60)).unwrap();
    assert!(
        counts.iter().filter(|c| **c > 0 && **c < 60).count() >= 30,
        "{counts:?}"
    );
    // And again from a fresh handle, reading what is on disk rather than any cache.
    drop(store);
    let reopened = SqliteStore::open(dir.path()).unwrap();
    let listed = pollster::block_on(sextant_core::Store::list_experiments(&reopened)).unwrap();
    assert_eq!(listed.len(), 60);
}

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

/// Random `and`/`or`/parenthesised combinations of corpus filters list the same runs from
/// both stores, and `or`/`and` are the union/intersection of their sides.
#[test]
fn random_combinations_agree() {
    use proptest::prelude::*;
    use sextant_core::search::Query;
    use sextant_core::{MemoryStore, Store};
    use std::collections::BTreeSet;

    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    pollster::block_on(corpus::seed(sqlite.clone(), 40)).unwrap();
    pollster::block_on(corpus::seed(memory.clone(), 40)).unwrap();
    let from_sqlite = pollster::block_on(sqlite.list_experiments()).unwrap();
    let from_memory = pollster::block_on(memory.list_experiments()).unwrap();
    let ids = |list: &[sextant_core::ExperimentInfo], f: &str| -> BTreeSet<String> {
        let q = Query::parse(f, "").unwrap_or_else(|e| panic!("{f:?}: {e}"));
        q.apply(list.to_vec()).into_iter().map(|e| e.id).collect()
    };
    let all: Vec<&str> = corpus::CORPUS
        .iter()
        .chain(corpus::SEXTANT_ONLY)
        .copied()
        .collect();
    let leaf = proptest::sample::select(all).prop_map(|f| format!("({f})"));
    let tree = leaf.prop_recursive(3, 8, 2, |inner| {
        (inner.clone(), any::<bool>(), inner)
            .prop_map(|(a, or, b)| format!("({a} {} {b})", if or { "OR" } else { "and" }))
    });
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 128,
        ..ProptestConfig::default()
    });
    runner
        .run(&(tree.clone(), tree, any::<bool>()), |(a, b, or)| {
            let op = if or { "or" } else { "and" };
            let both = format!("{a} {op} {b}");
            let got = ids(&from_sqlite, &both);
            prop_assert_eq!(&got, &ids(&from_memory, &both), "{}", both);
            let (x, y) = (ids(&from_memory, &a), ids(&from_memory, &b));
            let want: BTreeSet<String> = if or {
                x.union(&y).cloned().collect()
            } else {
                x.intersection(&y).cloned().collect()
            };
            prop_assert_eq!(got, want, "{}", both);
            Ok(())
        })
        .unwrap();
}

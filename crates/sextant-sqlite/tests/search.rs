//! The SQLite store's search (SQL over meta.db's caches) keeps the same runs, in the same
//! order, as the in-memory evaluation, for the corpus, the edge cases and random combinations.
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
    let from_memory = pollster::block_on(memory.list_experiments()).unwrap();
    let ids = |list: &[sextant_core::ExperimentInfo], f: &str| -> BTreeSet<String> {
        let q = Query::parse(f, "").unwrap_or_else(|e| panic!("{f:?}: {e}"));
        q.apply(list.to_vec()).into_iter().map(|e| e.id).collect()
    };
    let searched = |f: &str| -> BTreeSet<String> {
        let q = Query::parse(f, "").unwrap_or_else(|e| panic!("{f:?}: {e}"));
        pollster::block_on(sqlite.search_experiments(&q))
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    let all: Vec<&str> = corpus::CORPUS
        .iter()
        .chain(corpus::SEXTANT_ONLY)
        .chain(corpus::EDGES)
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
            let got = searched(&both);
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

/// NaN and infinite metrics, numbers in text params, Unicode case, GLOB characters, quotes
/// in keys, deleted tags: the SQL translation keeps exactly what memory keeps.
#[test]
fn sqlite_and_memory_agree_on_the_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    pollster::block_on(corpus::check_edges(store)).unwrap();
}

/// Caches as luml's Python writes them (`NaN` as JSON `null` or bare, non-ASCII escaped,
/// `CURRENT_TIMESTAMP` times, a missing cache) are read exactly as `list_experiments` reads
/// them, whether SQL decides or the in-memory check does.
#[test]
fn foreign_caches_agree_with_the_list() {
    use sextant_core::search::Query;
    use sextant_core::Store;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    pollster::block_on(corpus::seed_edges(Arc::new(
        SqliteStore::open(dir.path()).unwrap(),
    )))
    .unwrap();
    {
        let meta = rusqlite::Connection::open(dir.path().join("meta.db")).unwrap();
        let ids: Vec<String> = meta
            .prepare("SELECT id FROM experiments ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        // A number too large for a double written out in digits: SQLite reads it as
        // infinity, serde_json refuses it, so SQL must leave the run to the exact check.
        let huge = format!(r#"{{"m": 1{}}}"#, "0".repeat(320));
        let caches = [
            r#"{"m": null, "x": 1}"#,
            r#"{"m": NaN}"#,
            r#"{"m": "Infinity"}"#,
            r#"{"m": 2, "caf\u00e9": 1}"#,
            r#"{"m": 1e400}"#,
            huge.as_str(),
        ];
        assert!(ids.len() > caches.len() + 1, "seed more edge runs");
        for (i, id) in ids.iter().enumerate() {
            let dynamic = caches.get(i).copied();
            let created = if i % 2 == 0 {
                "2023-11-14 22:13:21"
            } else {
                "2023-11-14T22:13:21.999999+00:00"
            };
            meta.execute(
                "UPDATE experiments SET dynamic_params = COALESCE(?1, dynamic_params), created_at = ?2 WHERE id = ?3",
                rusqlite::params![dynamic, created, id],
            )
            .unwrap();
        }
        meta.execute(
            "UPDATE experiments SET static_params = NULL WHERE id = ?1",
            rusqlite::params![ids[5]],
        )
        .unwrap();
        meta.execute(
            "UPDATE experiments SET tags = '[1, \"x\"]' WHERE id = ?1",
            rusqlite::params![ids[6]],
        )
        .unwrap();
    }
    let list = pollster::block_on(store.list_experiments()).unwrap();
    let mut filters: Vec<String> = corpus::EDGES.iter().map(|f| f.to_string()).collect();
    filters.extend(
        [
            "metrics.m != 0.5",
            "metrics.x = 1",
            "metrics.`café` = 1",
            "attributes.created_at = 1700000001000",
            "attributes.created_at >= 1700000001999",
            "tags = 'x'",
        ]
        .map(String::from),
    );
    for f in &filters {
        let q = Query::parse(f, "").unwrap();
        let want: Vec<String> = q.apply(list.clone()).into_iter().map(|e| e.id).collect();
        let got: Vec<String> = pollster::block_on(store.search_experiments(&q))
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(got, want, "{f}");
    }
}

use std::sync::Arc;

use super::corpus::{check_edges, check_store, seed, CORPUS, EDGES};
use super::Query;
use crate::{MemoryStore, Store};

#[test]
fn the_corpus_is_selective() {
    let counts = pollster::block_on(check_store(Arc::new(MemoryStore::new()), 60)).unwrap();
    let n = 60;
    let selective = counts.iter().filter(|c| **c > 0 && **c < n).count();
    assert!(CORPUS.len() + super::corpus::SEXTANT_ONLY.len() >= 30);
    assert!(selective >= counts.len() - 1, "{counts:?}");
    assert_eq!(
        counts[CORPUS.iter().position(|f| f.contains("missing")).unwrap()],
        0,
        "a missing metric matches nothing"
    );
}

#[test]
fn or_is_the_union_and_and_the_intersection() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    pollster::block_on(seed(store.clone(), 60)).unwrap();
    let all = pollster::block_on(store.list_experiments()).unwrap();
    let ids = |f: &str| -> std::collections::BTreeSet<String> {
        let q = Query::parse(f, "").unwrap();
        q.apply(all.clone()).into_iter().map(|e| e.id).collect()
    };
    for (a, b) in CORPUS.iter().zip(CORPUS.iter().skip(5)) {
        let (x, y) = (ids(a), ids(b));
        let or = ids(&format!("({a}) or ({b})"));
        let and = ids(&format!("({a}) and ({b})"));
        assert_eq!(or, x.union(&y).cloned().collect(), "{a} or {b}");
        assert_eq!(and, x.intersection(&y).cloned().collect(), "{a} and {b}");
    }
}

#[test]
fn the_edge_filters_are_selective() {
    let counts = pollster::block_on(check_edges(Arc::new(MemoryStore::new()))).unwrap();
    let selective = counts.iter().filter(|c| **c > 0 && **c < 14).count();
    assert!(selective >= EDGES.len() - 3, "{counts:?}");
}

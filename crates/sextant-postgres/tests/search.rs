//! The PostgreSQL store's search (the filter as SQL) keeps the same runs, in the same order,
//! as the in-memory evaluation: the corpus, the edge cases and random combinations of both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use sextant_core::search::corpus;
use sextant_core::Store;
use sextant_postgres::PgStore;

fn fresh_store(url: &str) -> Arc<dyn Store> {
    let url = common::fresh(url);
    Arc::new(pollster::block_on(PgStore::open(&url)).unwrap())
}

#[test]
fn postgres_and_memory_agree_on_every_corpus_filter() {
    let Some(url) = common::url() else { return };
    let counts = pollster::block_on(corpus::check_store(fresh_store(&url), 60)).unwrap();
    assert!(
        counts.iter().filter(|c| **c > 0 && **c < 60).count() >= 30,
        "{counts:?}"
    );
}

#[test]
fn postgres_and_memory_agree_on_the_edge_cases() {
    let Some(url) = common::url() else { return };
    pollster::block_on(corpus::check_edges(fresh_store(&url))).unwrap();
}

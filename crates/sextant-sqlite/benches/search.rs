//! Filter latency over many runs (default 10,000; `SEXTANT_SEARCH_RUNS` to change), on the
//! SQLite and memory stores: `search_experiments` (SQL over meta.db's caches, then the exact
//! in-memory check; the memory store matches before copying) against the naive baseline in
//! the same run (`list_experiments`, then `Query::apply`). The SQLite store is seeded once
//! and kept under the target dir (`CARGO_TARGET_TMPDIR/search-runs-N`): seeding 10,000 runs
//! takes minutes. Run with `cargo bench -p sextant-sqlite --bench search`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sextant_core::search::{corpus, Query};
use sextant_core::{MemoryStore, Store};
use sextant_sqlite::SqliteStore;

/// (short name for the report, filter, order_by).
const FILTERS: &[(&str, &str, &str)] = &[
    ("one metric", "metrics.val_acc > 0.5", ""),
    (
        "the issue's filter",
        "metrics.val_acc > 0.3 and params.optimizer = 'adamw' and attribute.status = 'completed' and attribute.name LIKE '%resnet%'",
        "metrics.val_acc DESC",
    ),
    (
        "tags or param",
        "tags LIKE 'res%' or params.lr < 0.01",
        "params.lr, attributes.created_at",
    ),
];

fn runs() -> u64 {
    std::env::var("SEXTANT_SEARCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// The cached SQLite store, seeded on first use (a `complete` marker says it finished).
fn store_dir(n: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("search-runs-{n}"));
    let marker = dir.join("complete");
    if marker.is_file() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir).expect("open"));
    pollster::block_on(corpus::seed(store.clone(), n)).expect("seed sqlite");
    pollster::block_on(store.checkpoint()).expect("checkpoint");
    drop(store);
    std::fs::write(&marker, b"").expect("marker");
    dir
}

fn bench(c: &mut Criterion) {
    let n = runs();
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(store_dir(n)).expect("open"));
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    pollster::block_on(corpus::seed(memory.clone(), n)).expect("seed memory");
    let mut g = c.benchmark_group("search");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (label, store) in [("sqlite", &sqlite), ("memory", &memory)] {
        for (name, filter, order) in FILTERS {
            let q = Query::parse(filter, order).expect("filter");
            let kept = pollster::block_on(store.search_experiments(&q)).expect("search");
            let naive = q.apply(pollster::block_on(store.list_experiments()).expect("list"));
            assert_eq!(
                kept.iter().map(|e| &e.id).collect::<Vec<_>>(),
                naive.iter().map(|e| &e.id).collect::<Vec<_>>(),
                "{label}: {filter}"
            );
            eprintln!("{label}, {name}: {} of {n} runs kept", kept.len());
            g.bench_function(format!("{label} {name} (search)"), |b| {
                b.iter(|| pollster::block_on(store.search_experiments(&q)).expect("search"))
            });
            g.bench_function(format!("{label} {name} (naive)"), |b| {
                b.iter(|| q.apply(pollster::block_on(store.list_experiments()).expect("list")))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

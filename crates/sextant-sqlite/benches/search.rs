//! Filter latency over many runs (default 10,000; SEXTANT_SEARCH_RUNS to change), for the
//! SQLite and memory stores: the load-all baseline (`list_experiments`), then load + filter +
//! sort with the search evaluator, that without the load, and matching alone (no sort, no
//! freeing of dropped runs). Prints medians of 5 passes; run with `cargo bench -p
//! sextant-sqlite --bench search` (seeding 10,000 SQLite runs takes a few minutes).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use sextant_core::search::{corpus, Query};
use sextant_core::{MemoryStore, Store};
use sextant_sqlite::SqliteStore;

const FILTERS: &[(&str, &str)] = &[
    ("metrics.val_acc > 0.5", ""),
    (
        "metrics.val_acc > 0.3 and params.optimizer = 'adamw' and attribute.status = 'completed' and attribute.name LIKE '%resnet%'",
        "metrics.val_acc DESC",
    ),
    ("tags LIKE 'res%' or params.lr < 0.01", "params.lr, attributes.created_at"),
];

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..5).map(|_| f()).collect();
    v.sort();
    v[2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn measure(label: &str, store: &Arc<dyn Store>) {
    let list = || pollster::block_on(store.list_experiments()).expect("list");
    let all = list();
    let load = median(|| {
        let t = Instant::now();
        std::hint::black_box(list());
        t.elapsed()
    });
    println!(
        "{label}: {} runs; load all (baseline) {}",
        all.len(),
        ms(load)
    );
    for (filter, order) in FILTERS {
        let q = Query::parse(filter, order).expect("filter");
        let kept = q.apply(all.clone()).len();
        let total = median(|| {
            let t = Instant::now();
            std::hint::black_box(q.apply(list()));
            t.elapsed()
        });
        let eval = median(|| {
            let copy = all.clone();
            let t = Instant::now();
            std::hint::black_box(q.apply(copy));
            t.elapsed()
        });
        let matches_only = median(|| {
            let t = Instant::now();
            std::hint::black_box(all.iter().filter(|e| q.matches(e)).count());
            t.elapsed()
        });
        println!(
            "  {filter:?} order_by {order:?}: {kept} kept; load+filter+sort {}, filter+sort alone {}, matching alone {}",
            ms(total),
            ms(eval),
            ms(matches_only)
        );
    }
}

fn main() {
    let n: u64 = std::env::var("SEXTANT_SEARCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).expect("open"));
    let t = Instant::now();
    pollster::block_on(corpus::seed(sqlite.clone(), n)).expect("seed sqlite");
    println!(
        "seeded {n} SQLite runs in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    pollster::block_on(corpus::seed(memory.clone(), n)).expect("seed memory");
    measure("sqlite", &sqlite);
    measure("memory", &memory);
}

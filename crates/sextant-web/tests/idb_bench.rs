//! The IndexedDB benchmark (ignored by `cargo test`; `scripts/bench.sh` part `web` runs it
//! in headless Chromium, release build, with `--include-ignored`): figures for the report,
//! printed as `idb …` lines, never asserted.
//!
//! - Chart queries on one series of `SEXTANT_BENCH_POINTS` points (compile-time, default
//!   10M): the full range and zooms at `max_points = 1000` (and 4000, the dashboard's
//!   widest chart) through `metric_series` (chunk
//!   summaries) against the naive default (every point through `metric_points`, then
//!   `downsample`) in the same run; the answers are checked equal.
//! - Writes of 1M points: the store's batches against one `put` per point and against the
//!   same 1024-point chunk rows put with no reads, merges or summaries (the layout's limit),
//!   each all in one transaction.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::sync::Arc;

use sextant_core::downsample::downsample;
use sextant_core::{Batch, Env, MetricPoint, Record, StepRange, Store};
use sextant_web::env::JsEnv;
use sextant_web::idb::IndexedDbStore;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EXP: &str = "bench";
const KEY: &str = "train/loss";
const BATCH: usize = 100_000;
const WRITE_POINTS: usize = 1_000_000;

fn points_wanted() -> usize {
    option_env!("SEXTANT_BENCH_POINTS")
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(10_000_000)
}

fn now() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let f: js_sys::Function = js_sys::Reflect::get(&perf, &"now".into()).unwrap().into();
    f.call0(&perf).unwrap().as_f64().unwrap()
}

/// NaN for no values (a naive read skipped).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A loss curve with noise and rare spikes, as training logs it; `logged_at` a clock
/// ticking about 1 ms a step.
fn point(step: usize, seed: &mut u64) -> MetricPoint {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    let noise = (*seed % 10_000) as f64 / 10_000.0 - 0.5;
    let spike = if *seed % 100_003 == 0 { 5.0 } else { 0.0 };
    MetricPoint {
        step: step as i64,
        value: 2.0 / (1.0 + step as f64 * 1e-5) + 0.05 * noise + spike,
        logged_at: 1_700_000_000_000 + step as i64,
    }
}

async fn open_with_run(name: &str) -> IndexedDbStore {
    let store = IndexedDbStore::open(name, Arc::new(JsEnv)).await.unwrap();
    sextant_core::series_check::create(&store, EXP)
        .await
        .unwrap();
    store
}

/// Writes `n` points in flush-sized batches; returns the milliseconds taken.
async fn fill(store: &IndexedDbStore, n: usize) -> f64 {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let start = now();
    let mut step = 0;
    while step < n {
        let end = (step + BATCH).min(n);
        let points = (step..end).map(|s| point(s, &mut seed)).collect();
        let record = Record::Metrics {
            experiment: EXP.into(),
            key: KEY.into(),
            points,
        };
        store
            .write(&Batch {
                records: vec![record],
            })
            .await
            .unwrap();
        step = end;
    }
    now() - start
}

async fn fast(store: &IndexedDbStore, range: StepRange, budget: usize) -> (Vec<MetricPoint>, f64) {
    let start = now();
    let out = store.metric_series(EXP, KEY, range, budget).await.unwrap();
    (out, now() - start)
}

async fn naive(store: &IndexedDbStore, range: StepRange, budget: usize) -> (Vec<MetricPoint>, f64) {
    let start = now();
    let points = store.metric_points(EXP, KEY, range).await.unwrap();
    let out = downsample(&points, budget);
    (out, now() - start)
}

fn same(a: &[MetricPoint], b: &[MetricPoint]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.step == y.step && x.value.to_bits() == y.value.to_bits() && x.logged_at == y.logged_at
        })
}

/// Medians of `rounds` timed queries over each range (fast and naive, interleaved),
/// checking their answers agree.
async fn compare(
    store: &IndexedDbStore,
    label: &str,
    budget: usize,
    ranges: &[StepRange],
    naive_rounds: usize,
) {
    let (mut f, mut n) = (Vec::new(), Vec::new());
    for (i, range) in ranges.iter().enumerate() {
        let (a, ms) = fast(store, *range, budget).await;
        f.push(ms);
        if i < naive_rounds {
            let (b, ms) = naive(store, *range, budget).await;
            n.push(ms);
            assert!(same(&a, &b), "{label} {range:?}: the answers differ");
        }
    }
    console_log!(
        "idb {label}, max_points={budget}: {:.1} ms median of {} (summaries), naive {:.0} ms median of {} (every point, then downsample)",
        median(f),
        ranges.len(),
        median(n),
        naive_rounds
    );
}

/// `ranges` random windows of `width` steps inside `[0, n)`.
fn windows(n: usize, width: usize, count: usize) -> Vec<StepRange> {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    (0..count)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let from = (seed % (n - width) as u64) as i64;
            StepRange::new(Some(from), Some(from + width as i64 - 1))
        })
        .collect()
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: scripts/bench.sh runs it"]
async fn idb_chart_and_write_figures() {
    write_figures().await;
    let n = points_wanted();
    let name = format!("bench-chart-{}", &JsEnv.new_uuid()[..8]);
    let store = open_with_run(&name).await;
    let ms = fill(&store, n).await;
    console_log!(
        "idb store write: {} points in {}-point batches, {:.0} points/s",
        thousands(n),
        thousands(BATCH),
        n as f64 / ms * 1000.0
    );
    // The first query after the write, then repeated ones (as a dashboard re-asks).
    let (_, cold) = fast(&store, StepRange::ALL, 1000).await;
    console_log!("idb full range, first query after writing: {cold:.1} ms");
    // Every point of a series past 20M would not fit wasm32's memory: the naive full read
    // is then skipped (and reported as NaN).
    let naive_full = if n > 20_000_000 { 0 } else { 2 };
    compare(&store, "full range", 1000, &[StepRange::ALL; 9], naive_full).await;
    // The dashboard asks two points a pixel, 200 to 4000: 4000 at the widest chart.
    compare(&store, "full range", 4000, &[StepRange::ALL; 9], naive_full).await;
    for (label, width, budget) in [
        ("zoom 2M steps", 2_000_000, 4000),
        ("zoom 1M steps", 1_000_000, 1000),
        ("zoom 500k steps", 500_000, 1000),
        ("zoom 100k steps", 100_000, 1000),
        ("zoom 10k steps", 10_000, 1000),
    ] {
        if width < n {
            compare(&store, label, budget, &windows(n, width, 9), 3).await;
        }
    }
    store.delete_experiment(EXP).await.unwrap();
    drop(store);
    delete_database(&name).await;
}

/// Runs `body` (JS, with `db` an open database and `n` the point count) and returns the
/// milliseconds it reports.
async fn js_ms(name: &str, n: usize, body: &str) -> f64 {
    let f = js_sys::Function::new_with_args(
        "name, n",
        &format!(
            "return new Promise((ok, bad) => {{
               const r = indexedDB.open(name, 1);
               r.onupgradeneeded = () => r.result.createObjectStore('rows', {{ keyPath: ['exp', 'key', 'step'] }});
               r.onerror = () => bad(r.error);
               r.onsuccess = async () => {{
                 const db = r.result;
                 try {{ ok(await (async () => {{ {body} }})()); }} catch (e) {{ bad(e); }} finally {{ db.close(); }}
               }};
             }})"
        ),
    );
    let p = f
        .call2(&JsValue::NULL, &name.into(), &(n as f64).into())
        .unwrap();
    JsFuture::from(js_sys::Promise::from(p))
        .await
        .unwrap()
        .as_f64()
        .unwrap()
}

const COMMIT: &str =
    "await new Promise((ok, bad) => { tx.oncomplete = ok; tx.onabort = () => bad(tx.error); });";

/// The write figures: the store's batches, one put per point, and 1024-point rows put
/// blindly, each over the same points in strict-durability transactions.
async fn write_figures() {
    let n = WRITE_POINTS;
    let name = format!("bench-write-{}", &JsEnv.new_uuid()[..8]);
    let store = open_with_run(&name).await;
    let ms = fill(&store, n).await;
    drop(store);
    delete_database(&name).await;
    let per_point = js_ms(
        &format!("{name}-puts"),
        n,
        &format!(
            "const start = performance.now();
             const tx = db.transaction('rows', 'readwrite', {{ durability: 'strict' }});
             const s = tx.objectStore('rows');
             for (let i = 0; i < n; i++) s.put({{ exp: 'e', key: 'k', step: i, value: Math.sin(i), loggedAt: 1700000000000 + i }});
             {COMMIT}
             return performance.now() - start;"
        ),
    )
    .await;
    let rows = js_ms(
        &format!("{name}-rows"),
        n,
        &format!(
            "const start = performance.now();
             const tx = db.transaction('rows', 'readwrite', {{ durability: 'strict' }});
             const s = tx.objectStore('rows');
             for (let c = 0; c * 1024 < n; c++) {{
               const len = Math.min(1024, n - c * 1024);
               const offsets = new Uint16Array(len), values = new Float64Array(len), logged = new Float64Array(len);
               for (let i = 0; i < len; i++) {{ offsets[i] = i; values[i] = Math.sin(c * 1024 + i); logged[i] = 1700000000000 + c * 1024 + i; }}
               s.put({{ exp: 'e', key: 'k', step: c, offsets, values, logged }});
             }}
             {COMMIT}
             return performance.now() - start;"
        ),
    )
    .await;
    for db in [format!("{name}-puts"), format!("{name}-rows")] {
        delete_database(&db).await;
    }
    let rate = |ms: f64| format!("{:.0} points/s", n as f64 / ms * 1000.0);
    console_log!(
        "idb write, {} points: store {} ({}-point batches, a transaction each); one put per point {} (one transaction); 1024-point rows put blindly {} (one transaction)",
        thousands(n),
        rate(ms),
        thousands(BATCH),
        rate(per_point),
        rate(rows)
    );
}

async fn delete_database(name: &str) {
    let f = js_sys::Function::new_with_args(
        "name",
        "return new Promise((ok) => { const r = indexedDB.deleteDatabase(name); r.onsuccess = ok; r.onerror = ok; r.onblocked = ok; })",
    );
    let p = f.call1(&JsValue::NULL, &name.into()).unwrap();
    let _ = JsFuture::from(js_sys::Promise::from(p)).await;
}

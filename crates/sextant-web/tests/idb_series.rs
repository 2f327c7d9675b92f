//! IndexedDB chart queries in headless Chromium: `metric_series` (answered from the chunk
//! summaries in `metric_pages`) equals `downsample` over the points `metric_points`
//! returns, bit for bit and with the same times, for random ranges and budgets over
//! series with NaN and ±inf, rewritten steps (which move a chunk's extremes), sparse
//! steps, long monotone runs, and data written before the schema had summaries.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use sextant_core::downsample::downsample;
use sextant_core::series_check::{self, Xorshift};
use sextant_core::{Batch, Env, MetricPoint, Record, StepRange, Store};
use sextant_web::env::JsEnv;
use sextant_web::idb::IndexedDbStore;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn env() -> Arc<dyn Env> {
    Arc::new(JsEnv)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &JsEnv.new_uuid()[..8])
}

const EXP: &str = "series-exp";

async fn create(store: &dyn Store) {
    series_check::create(store, EXP).await.unwrap();
}

/// Writes `points` in flush-sized batches, in the order given.
async fn write(store: &dyn Store, key: &str, points: &[MetricPoint]) {
    for part in points.chunks(4_000) {
        let record = Record::Metrics {
            experiment: EXP.into(),
            key: key.into(),
            points: part.to_vec(),
        };
        store
            .write(&Batch {
                records: vec![record],
            })
            .await
            .unwrap();
    }
}

fn value(rng: &mut Xorshift, i: i64, shape: u64) -> f64 {
    match rng.below(60) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        _ => match shape {
            0 => -(i as f64) * 0.5,                // a falling loss curve
            1 => (rng.below(5) as f64) - 2.0,      // few values: ties everywhere
            2 => (i as f64 * 0.003).sin() * 100.0, // smooth waves
            _ => rng.below(1_000_000) as f64 * 1e-3,
        },
    }
}

/// Points at steps from `start`, `gap` apart (1 to `gap`), with a jump now and then.
fn series(rng: &mut Xorshift, n: i64, start: i64, gap: u64, shape: u64) -> Vec<MetricPoint> {
    let mut step = start;
    (0..n)
        .map(|i| {
            let p = MetricPoint {
                step,
                value: value(rng, i, shape),
                logged_at: 1_700_000_000_000 + step * 7 + (i % 3),
            };
            step += 1 + rng.below(gap) as i64;
            if rng.below(2_000) == 0 {
                step += rng.below(300_000) as i64;
            }
            p
        })
        .collect()
}

/// Rewrites of stored steps: lowering the highest and raising the lowest values (so a
/// chunk's extremes move), the same step twice in one batch, and NaN over numbers.
fn rewrites(rng: &mut Xorshift, stored: &[MetricPoint], n: usize) -> Vec<MetricPoint> {
    let mut out = Vec::new();
    for _ in 0..n {
        let p = stored[rng.below(stored.len() as u64) as usize];
        let value = match rng.below(4) {
            0 => p.value - 1e6,
            1 => p.value + 1e6,
            2 => f64::NAN,
            _ => 0.0,
        };
        out.push(MetricPoint {
            value,
            logged_at: p.logged_at + 1,
            ..p
        });
        if rng.below(5) == 0 {
            out.push(MetricPoint {
                value: value * 0.5,
                ..p
            });
        }
    }
    // Some whole chunks' extremes: find each chunk's maximum and pull it down.
    let mut by_chunk = std::collections::BTreeMap::new();
    for p in stored.iter().filter(|p| !p.value.is_nan()) {
        let e = by_chunk.entry(p.step >> 10).or_insert(*p);
        if p.value > e.value {
            *e = *p;
        }
    }
    out.extend(
        by_chunk
            .values()
            .step_by(3)
            .map(|p| MetricPoint { value: -1e9, ..*p }),
    );
    out
}

fn same(a: &[MetricPoint], b: &[MetricPoint]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.step == y.step && x.value.to_bits() == y.value.to_bits() && x.logged_at == y.logged_at
        })
}

/// `metric_series` against `downsample(metric_points)` for the full range at several
/// budgets and `cases` random ranges and budgets.
async fn check(store: &dyn Store, key: &str, rng: &mut Xorshift, cases: usize) {
    let all = store.metric_points(EXP, key, StepRange::ALL).await.unwrap();
    let last = all.last().map_or(0, |p| p.step);
    let mut ranges: Vec<(StepRange, usize)> = [1000, 200, 10, 4, 0]
        .into_iter()
        .map(|b| (StepRange::ALL, b))
        .collect();
    for _ in 0..cases {
        let from = (rng.below(4) > 0).then(|| rng.below(last as u64 + 1) as i64 / 2);
        let to = (rng.below(4) > 0).then(|| last / 2 + rng.below(last as u64 + 1000) as i64);
        let budget = [2, 5, 20, 101, 500, 1000, 3000][rng.below(7) as usize];
        ranges.push((StepRange::new(from, to), budget));
    }
    // And the brute force every chart store is held to, written apart from downsample.
    let seed = rng.next();
    if let Err(e) = series_check::check(store, EXP, key, seed, true).await {
        panic!("{key}: {e}");
    }
    for (range, budget) in ranges {
        let points = store.metric_points(EXP, key, range).await.unwrap();
        let want = downsample(&points, budget);
        let got = store.metric_series(EXP, key, range, budget).await.unwrap();
        assert!(
            same(&got, &want),
            "{key}: {range:?}, budget {budget}: {} points, got {} want {}\n got {:?}\nwant {:?}",
            points.len(),
            got.len(),
            want.len(),
            &got[..got.len().min(12)],
            &want[..want.len().min(12)]
        );
    }
}

/// How many rows `store` holds in database `name`, read outside Sextant.
async fn rows_in(name: &str, store: &str) -> u32 {
    let count = js_sys::Function::new_with_args(
        "name, store",
        "return new Promise((ok, bad) => {
           const r = indexedDB.open(name);
           r.onerror = () => bad(r.error);
           r.onsuccess = () => {
             const db = r.result;
             const q = db.transaction(store).objectStore(store).count();
             q.onsuccess = () => { db.close(); ok(q.result); };
             q.onerror = () => bad(q.error);
           };
         })",
    );
    let promise = count
        .call2(&JsValue::NULL, &name.into(), &store.into())
        .unwrap();
    JsFuture::from(js_sys::Promise::from(promise))
        .await
        .unwrap()
        .as_f64()
        .unwrap() as u32
}

#[wasm_bindgen_test]
async fn wide_series_equal_downsample_over_the_points() {
    let name = unique("series");
    let store = IndexedDbStore::open(&name, env()).await.unwrap();
    create(&store).await;
    let mut rng = Xorshift(0x2545_f491_4f6c_dd1d);
    let specs: [(&str, i64, i64, u64, u64); 5] = [
        ("loss", 100_000, 0, 1, 0),
        ("ties", 30_000, 5, 8, 1),
        ("wave", 40_000, 1_000, 4, 2),
        ("noise", 40_000, 0, 3, 3),
        ("sparse", 2_000, 17, 40_000, 3),
    ];
    for (key, n, start, gap, shape) in specs {
        let points = series(&mut rng, n, start, gap, shape);
        write(&store, key, &points).await;
        check(&store, key, &mut rng, 6).await;
        let rewritten = rewrites(&mut rng, &points, 300);
        write(&store, key, &rewritten).await;
        check(&store, key, &mut rng, 6).await;
    }
    assert!(rows_in(&name, "metric_pages").await > 0);
    store.delete_experiment(EXP).await.unwrap();
    assert_eq!(
        rows_in(&name, "metric_pages").await,
        0,
        "deleted with the run"
    );
}

#[wasm_bindgen_test]
async fn summaries_are_built_for_data_written_before_version_3() {
    let name = unique("series-upgrade");
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let loss = series(&mut rng, 80_000, 0, 2, 0);
    let noise = series(&mut rng, 40_000, 3, 5, 3);
    {
        let v2 = IndexedDbStore::open_at(&name, 2, env()).await.unwrap();
        create(&v2).await;
        write(&v2, "loss", &loss).await;
        write(&v2, "loss", &rewrites(&mut rng, &loss, 300)).await;
        write(&v2, "noise", &noise).await;
        // The old schema answers through the points.
        check(&v2, "noise", &mut rng, 3).await;
    }
    let store = IndexedDbStore::open(&name, env()).await.unwrap();
    assert!(
        rows_in(&name, "metric_pages").await >= 3,
        "the upgrade summarised the stored chunks"
    );
    check(&store, "loss", &mut rng, 8).await;
    check(&store, "noise", &mut rng, 8).await;
    // Writes after the upgrade keep the built summaries current.
    let more = series(&mut rng, 20_000, 400_000, 2, 2);
    write(&store, "loss", &more).await;
    write(&store, "noise", &rewrites(&mut rng, &noise, 300)).await;
    check(&store, "loss", &mut rng, 5).await;
    check(&store, "noise", &mut rng, 5).await;
}

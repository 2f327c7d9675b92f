//! A chart query answers exactly what the raw points say, on PostgreSQL: for random series
//! (ties, NaN, infinities, gaps, appends, rewrites, batches ending mid-block) and random
//! ranges and budgets, `metric_series` equals the first and last point plus each
//! equal-width bucket's minimum and maximum, computed by brute force from `metric_points`
//! (`sextant_core::series_check`, shared with the other stores' tests). Wide buckets are answered from block summaries, so this fails if a
//! block cut by a bucket edge is counted whole.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sextant_core::series_check::{self, exact, same};
use sextant_core::{Batch, MetricPoint, NewExperiment, Record, StepRange, Store};
use sextant_postgres::PgStore;

/// A series as written: batches of points, some appending and some rewriting.
#[derive(Clone)]
struct Series {
    batches: Vec<Vec<MetricPoint>>,
}

/// Sizes and ends only: a failing case's points would fill the terminal.
impl std::fmt::Debug for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .batches
            .iter()
            .map(|b| {
                format!(
                    "{} points, steps {:?}..{:?}",
                    b.len(),
                    b.first().map(|p| p.step),
                    b.last().map(|p| p.step)
                )
            })
            .collect();
        f.debug_list().entries(parts).finish()
    }
}

fn value_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Few distinct values: plenty of ties.
        8 => (0i32..6).prop_map(f64::from),
        6 => -1e3f64..1e3,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

fn series_strategy() -> impl Strategy<Value = Series> {
    // Runs of consecutive steps with gaps between, some long enough to fill many 1,024-step
    // blocks, so wide buckets read summaries at both levels.
    let run = (
        prop_oneof![3 => 1i64..300, 1 => 300i64..5_000, 2 => 10_000i64..40_000],
        prop_oneof![3 => Just(0i64), 1 => 1i64..3_000],
        value_strategy(),
        0u8..4,
    );
    (
        proptest::collection::vec(run, 1..6),
        proptest::collection::vec((0.0f64..1.0, value_strategy()), 0..6),
        1usize..5,
    )
        .prop_map(|(runs, rewrites, split)| {
            let mut points = Vec::new();
            let mut step = 0i64;
            for (len, gap, base, shape) in runs {
                step += gap;
                for i in 0..len {
                    let v = match shape {
                        0 => base,
                        1 => base + ((i * 7919) % 13) as f64,
                        2 => (i as f64 * 0.01).sin() * 10.0,
                        _ => -(i as f64),
                    };
                    points.push(MetricPoint {
                        step,
                        value: v,
                        logged_at: 1_700_000_000_000 + step,
                    });
                    step += 1;
                }
            }
            let chunk = points.len().div_ceil(split).max(1);
            let mut batches: Vec<Vec<MetricPoint>> =
                points.chunks(chunk).map(<[MetricPoint]>::to_vec).collect();
            let last = points.last().map_or(0, |p| p.step);
            let rewrite: Vec<MetricPoint> = rewrites
                .into_iter()
                .map(|(f, v)| {
                    let step = (f * last as f64) as i64;
                    MetricPoint {
                        step,
                        value: v,
                        logged_at: 1_800_000_000_000 + step,
                    }
                })
                .collect();
            if !rewrite.is_empty() {
                batches.push(rewrite);
            }
            Series { batches }
        })
}

async fn write_all(store: &PgStore, id: &str, series: &Series) {
    series_check::write_series(store, id, "m", &series.batches)
        .await
        .unwrap();
}

async fn check(store: &PgStore, id: &str, seed: u64) -> Result<(), TestCaseError> {
    series_check::check(store, id, "m", seed, true)
        .await
        .map_err(TestCaseError::fail)
}

#[test]
fn series_equal_exact_min_max_of_the_raw_points() {
    let Some(url) = common::url() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(PgStore::open(&common::fresh(&url))).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 10,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0u32);
    runner
        .run(&(series_strategy(), any::<u64>()), |(series, seed)| {
            case.set(case.get() + 1);
            let id = format!("exact-{}", case.get());
            rt.block_on(async {
                write_all(&store, &id, &series).await;
                check(&store, &id, seed).await
            })
        })
        .unwrap();
}

/// Ten million points would take minutes to load here; a long curve with spikes placed
/// just either side of block and bucket edges catches the same mistakes.
#[test]
fn spikes_beside_bucket_edges_are_kept() {
    let Some(url) = common::url() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = PgStore::open(&common::fresh(&url)).await.unwrap();
        let n = 400_000i64;
        let mut points: Vec<MetricPoint> = (0..n)
            .map(|s| MetricPoint {
                step: s,
                value: (s as f64 * 1e-3).sin(),
                logged_at: s,
            })
            .collect();
        // Budget 1000: 499 buckets of ~801.6 steps; spikes at bucket edges ±1.
        for b in (7..499).step_by(37) {
            let edge = (b as i64 * n + 498) / 499;
            points[(edge - 1) as usize].value = 50.0 + b as f64;
            points[edge as usize].value = -50.0 - b as f64;
        }
        let mut records = vec![Record::Create(NewExperiment {
            id: "edges".into(),
            name: "edges".into(),
            group: "tests".into(),
            tags: vec![],
            created_at: 0,
            description: None,
            source: None,
            created_by: None,
        })];
        for chunk in points.chunks(50_000) {
            records.push(Record::Metrics {
                experiment: "edges".into(),
                key: "m".into(),
                points: chunk.to_vec(),
            });
        }
        store.write(&Batch { records }).await.unwrap();
        for budget in [1000, 200, 64] {
            let got = store
                .metric_series("edges", "m", StepRange::ALL, budget)
                .await
                .unwrap();
            let want = exact(&points, budget);
            assert!(same(&got, &want, true), "budget {budget}");
        }
    });
}

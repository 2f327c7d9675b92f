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
use sextant_core::series_strategy::{series, Clock, Series, Shape};
use sextant_core::{Batch, MetricPoint, NewExperiment, Record, StepRange, Store};
use sextant_postgres::PgStore;

fn series_strategy() -> impl Strategy<Value = Series> {
    series(Shape {
        // Runs filling many 1,024-step blocks, so wide buckets read summaries at both levels.
        long_runs: 10_000..40_000,
        long_weight: 2,
        runs: 6,
        clock: Clock::PerStep,
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

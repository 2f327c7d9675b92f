//! A chart query answers exactly what the raw points say: for random series (ties, NaN,
//! infinities, gaps, appends, rewrites, points written without the pyramid) and random
//! ranges and budgets, `metric_series` equals the first and last point plus each equal-width
//! bucket's minimum and maximum, computed by brute force from `metric_points`
//! (`sextant_core::series_check`, shared with the other stores' tests), on the SQLite store
//! (pyramid-backed) and on the memory store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sextant_core::{series_check, MemoryStore, MetricPoint, StepRange, Store};
use sextant_sqlite::SqliteStore;

const ID: &str = "exact-series";

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
    // Runs of consecutive steps with gaps between, a few long enough to fill whole
    // 2,048- and 65,536-step blocks.
    let run = (
        prop_oneof![3 => 1i64..300, 1 => 300i64..5_000, 1 => 60_000i64..140_000],
        prop_oneof![3 => Just(0i64), 1 => 1i64..3_000],
        value_strategy(),
        0u8..4,
    );
    (
        proptest::collection::vec(run, 1..8),
        proptest::collection::vec((0.0f64..1.0, value_strategy()), 0..6),
        1usize..5,
    )
        .prop_map(|(runs, rewrites, split)| {
            let mut points = Vec::new();
            let mut step = 0i64;
            let mut at = 1_700_000_000_000i64;
            for (len, gap, base, shape) in runs {
                step += gap;
                for i in 0..len {
                    let v = match shape {
                        0 => base,
                        1 => base + ((i * 7919) % 13) as f64,
                        2 => (i as f64 * 0.01).sin() * 10.0,
                        _ => -(i as f64),
                    };
                    // Irregular clocks: bursts and pauses, so stored timestamps are
                    // sparse and interpolated on read.
                    at += if i % 1_500 == 0 { 1_700 } else { i % 3 };
                    points.push(MetricPoint {
                        step,
                        value: v,
                        logged_at: at,
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
                .map(|(f, v)| MetricPoint {
                    step: (f * last as f64) as i64,
                    value: v,
                    logged_at: at + 5_000,
                })
                .collect();
            if !rewrite.is_empty() {
                batches.push(rewrite);
            }
            Series { batches }
        })
}

fn write_all(store: &dyn Store, series: &Series) {
    pollster::block_on(series_check::write_series(store, ID, "m", &series.batches)).unwrap();
}

fn check(store: &dyn Store, seed: u64) -> Result<(), TestCaseError> {
    pollster::block_on(series_check::check(store, ID, "m", seed, false))
        .map_err(TestCaseError::fail)
}

#[test]
fn series_equal_exact_min_max_of_the_raw_points() {
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(series_strategy(), any::<u64>()), |(series, seed)| {
            let dir = tempfile::tempdir().unwrap();
            let sqlite = SqliteStore::open(dir.path()).unwrap();
            let memory = MemoryStore::new();
            write_all(&sqlite, &series);
            write_all(&memory, &series);
            check(&sqlite, seed)?;
            check(&memory, seed)?;
            // Both stores hold the same points, so their charts agree (timestamps aside:
            // SQLite interpolates the ones it did not store).
            let a = pollster::block_on(sqlite.metric_series(ID, "m", StepRange::ALL, 500)).unwrap();
            let b = pollster::block_on(memory.metric_series(ID, "m", StepRange::ALL, 500)).unwrap();
            prop_assert!(
                series_check::same(&a, &b, false),
                "sqlite and memory charts differ"
            );
            Ok(())
        })
        .unwrap();
}

/// Points luml wrote (no pyramid, a timestamp on each, or none), and a pyramid left by
/// an older Sextant (no version row): both are rebuilt on the first wide read, exactly.
#[test]
fn points_without_a_current_pyramid_are_answered_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    pollster::block_on(series_check::write_series(&store, ID, "m", &[])).unwrap();
    let db = store.exp_db_path(ID);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    for i in 0..150_000i64 {
        let v = if i % 10_007 == 0 {
            f64::NAN
        } else {
            ((i / 97) % 11) as f64
        };
        let at: Option<String> = (i % 5 != 0).then(|| "2024-05-01 12:00:00".to_string());
        tx.execute(
            "INSERT INTO dynamic_metrics(key, value, step, logged_at) VALUES ('m', ?1, ?2, ?3)",
            rusqlite::params![(!v.is_nan()).then_some(v), i * 3, at],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    check(&store, 7).unwrap();
    // Forget the version, as a pyramid from before versions would be: rebuilt, same answers.
    conn.execute("DELETE FROM sextant_metric_pyramid", [])
        .unwrap();
    check(&store, 8).unwrap();
    let rebuilt: i64 = conn
        .query_row("SELECT COUNT(*) FROM sextant_metric_pyramid", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(rebuilt, 1, "the pyramid was rebuilt and marked current");
    // luml appends after the pyramid: the pyramid is extended, answers stay exact.
    for i in 150_000..160_000i64 {
        conn.execute(
            "INSERT INTO dynamic_metrics(key, value, step) VALUES ('m', ?1, ?2)",
            rusqlite::params![-((i % 13) as f64), i * 3],
        )
        .unwrap();
    }
    check(&store, 9).unwrap();
}

//! A chart query answers exactly what the raw points say: for random series (ties, NaN,
//! infinities, gaps, appends, rewrites, points written without the pyramid) and random
//! ranges and budgets, `metric_series` equals the first and last point plus each equal-width
//! bucket's minimum and maximum, computed by brute force from `metric_points`
//! (`sextant_core::series_check`, shared with the other stores' tests), on the SQLite store
//! (pyramid-backed) and on the memory store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sextant_core::series_strategy::{series, Clock, Series, Shape};
use sextant_core::{series_check, MemoryStore, StepRange, Store};
use sextant_sqlite::SqliteStore;

const ID: &str = "exact-series";

fn series_strategy() -> impl Strategy<Value = Series> {
    series(Shape {
        // Runs long enough to fill whole 2,048- and 65,536-step blocks.
        long_runs: 60_000..140_000,
        long_weight: 1,
        runs: 8,
        clock: Clock::Irregular,
    })
}

fn write_all(store: &dyn Store, series: &Series) {
    pollster::block_on(series_check::write_series(store, ID, "m", &series.batches)).unwrap();
}

/// The store's summary of "m" equals one computed from its raw points (count, ends, last
/// value, extremes without NaN), whether it came from the pyramid or a scan.
fn summary_is_exact(store: &dyn Store) -> Result<(), String> {
    let listed = pollster::block_on(store.list_metrics(ID)).map_err(|e| e.to_string())?;
    let points = pollster::block_on(store.metric_points(ID, "m", StepRange::ALL))
        .map_err(|e| e.to_string())?;
    let got = listed.iter().find(|m| m.key == "m");
    let (Some(got), Some(first), Some(last)) = (got, points.first(), points.last()) else {
        return if got.is_none() && points.is_empty() {
            Ok(())
        } else {
            Err(format!("listed {listed:?} for {} points", points.len()))
        };
    };
    let numbers = points.iter().map(|p| p.value).filter(|v| !v.is_nan());
    let min = numbers.clone().reduce(f64::min);
    let max = numbers.reduce(f64::max);
    let same_last =
        got.last_value == last.value || (got.last_value.is_nan() && last.value.is_nan());
    if got.count != points.len() as u64
        || got.first_step != first.step
        || got.last_step != last.step
        || !same_last
        || got.min != min
        || got.max != max
    {
        return Err(format!(
            "summary {got:?}, points say count {} steps {}..{} last {} min {min:?} max {max:?}",
            points.len(),
            first.step,
            last.step,
            last.value
        ));
    }
    Ok(())
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
            // Before and after the first wide read (which may rebuild the pyramid).
            summary_is_exact(&sqlite).map_err(TestCaseError::fail)?;
            check(&sqlite, seed)?;
            check(&memory, seed)?;
            summary_is_exact(&sqlite).map_err(TestCaseError::fail)?;
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
    summary_is_exact(&store).unwrap();
    check(&store, 7).unwrap();
    summary_is_exact(&store).unwrap();
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
    summary_is_exact(&store).unwrap();
    check(&store, 9).unwrap();
    summary_is_exact(&store).unwrap();
}

/// A batch that repeats a step (an HTTP client may send one) stores the step once, with
/// its last value; the pyramid, and the summary read from it, count it once.
#[test]
fn a_repeated_step_in_one_batch_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let at = 1_700_000_000_000;
    let point = |step, value| sextant_core::MetricPoint {
        step,
        value,
        logged_at: at + step,
    };
    let first: Vec<_> = (0..100_000).map(|i| point(i, (i % 7) as f64)).collect();
    let repeat = vec![
        point(100_000, 1.0),
        point(100_001, 2.0),
        point(100_001, -50.0),
    ];
    pollster::block_on(series_check::write_series(
        &store,
        ID,
        "m",
        &[first, repeat],
    ))
    .unwrap();
    check(&store, 3).unwrap();
    summary_is_exact(&store).unwrap();
    let listed = pollster::block_on(store.list_metrics(ID)).unwrap();
    assert_eq!(listed[0].count, 100_002);
    assert_eq!(listed[0].min, Some(-50.0), "the later value of the step");
}

/// Another writer (luml, another process) adds points to a key between two of the store's
/// writes: the store notices (SQLite's data version) and does not take its next batch for
/// an append, so the pyramid it extends stays exact.
#[test]
fn another_writers_points_are_seen_before_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let at = 1_700_000_000_000;
    let point = |step: i64| sextant_core::MetricPoint {
        step,
        value: ((step * 7919) % 1_000) as f64 - 500.0,
        logged_at: at + step,
    };
    let batch = |steps: std::ops::Range<i64>| steps.map(point).collect::<Vec<_>>();
    pollster::block_on(series_check::write_series(
        &store,
        ID,
        "m",
        &[batch(0..100_000)],
    ))
    .unwrap();
    // luml, past the store's last step, with extremes the store has not seen.
    let conn = rusqlite::Connection::open(store.exp_db_path(ID)).unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    for step in 200_000..300_000i64 {
        let value = if step == 250_000 {
            1e9
        } else {
            -((step % 13) as f64)
        };
        tx.execute(
            "INSERT INTO dynamic_metrics(key, value, step) VALUES ('m', ?1, ?2)",
            rusqlite::params![value, step],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    // A wide read extends the pyramid over luml's points.
    check(&store, 11).unwrap();
    // The store writes the gap: above its own last step, below luml's.
    let gap = sextant_core::Record::Metrics {
        experiment: ID.into(),
        key: "m".into(),
        points: batch(100_000..200_000),
    };
    pollster::block_on(store.write(&sextant_core::Batch { records: vec![gap] })).unwrap();
    summary_is_exact(&store).unwrap();
    check(&store, 12).unwrap();
    let listed = pollster::block_on(store.list_metrics(ID)).unwrap();
    assert_eq!(listed[0].count, 300_000);
    assert_eq!(listed[0].max, Some(1e9));
}

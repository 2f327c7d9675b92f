//! A chart query answers exactly what the raw points say: for random series (ties, NaN,
//! infinities, gaps, appends, rewrites, points written without the pyramid) and random
//! ranges and budgets, `metric_series` equals the first and last point plus each equal-width
//! bucket's minimum and maximum, computed here by brute force from `metric_points`, on the
//! SQLite store (pyramid-backed) and on the memory store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sextant_core::{Batch, MemoryStore, MetricPoint, NewExperiment, Record, StepRange, Store};
use sextant_sqlite::SqliteStore;

const ID: &str = "exact-series";

/// Brute force, written apart from `sextant_core::downsample`: every point when they fit,
/// else the first and last, and per bucket of the inner points its smallest and largest
/// value (earliest step on ties; NaN only when the bucket holds nothing else, then its
/// first point), in step order.
fn exact(points: &[MetricPoint], budget: usize) -> Vec<MetricPoint> {
    if points.len() <= budget.max(2) {
        return points.to_vec();
    }
    let n = (((budget.max(4)) - 2) / 2).max(1) as i128;
    let (first, last) = (points[0], points[points.len() - 1]);
    let span = i128::from(last.step) - i128::from(first.step) + 1;
    let mut buckets: BTreeMap<i128, Vec<MetricPoint>> = BTreeMap::new();
    for p in &points[1..points.len() - 1] {
        let b = (i128::from(p.step) - i128::from(first.step)) * n / span;
        buckets.entry(b).or_default().push(*p);
    }
    let mut out = vec![first];
    for bucket in buckets.values() {
        let numbers: Vec<&MetricPoint> = bucket.iter().filter(|p| !p.value.is_nan()).collect();
        if numbers.is_empty() {
            out.push(bucket[0]);
            continue;
        }
        let mut min = numbers[0];
        let mut max = numbers[0];
        for p in &numbers {
            if p.value < min.value {
                min = p;
            }
            if p.value > max.value {
                max = p;
            }
        }
        let (a, b) = if min.step <= max.step {
            (min, max)
        } else {
            (max, min)
        };
        out.push(*a);
        if b.step != a.step {
            out.push(*b);
        }
    }
    out.push(last);
    out
}

fn same(a: &[MetricPoint], b: &[MetricPoint]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
}

fn same_steps_values(a: &[MetricPoint], b: &[MetricPoint]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.step == y.step && (x.value == y.value || (x.value.is_nan() && y.value.is_nan()))
        })
}

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

fn new_experiment() -> Record {
    Record::Create(NewExperiment {
        id: ID.into(),
        name: "exact".into(),
        group: "tests".into(),
        tags: vec![],
        created_at: 0,
        description: None,
        source: None,
        created_by: None,
    })
}

fn write_all(store: &dyn Store, series: &Series) {
    pollster::block_on(store.write(&Batch {
        records: vec![new_experiment()],
    }))
    .unwrap();
    for points in &series.batches {
        let batch = Batch {
            records: vec![Record::Metrics {
                experiment: ID.into(),
                key: "m".into(),
                points: points.clone(),
            }],
        };
        pollster::block_on(store.write(&batch)).unwrap();
    }
}

/// Ranges over the whole series, random windows, and windows with ragged edges.
fn ranges(last: i64, seed: u64) -> Vec<(StepRange, usize)> {
    let mut s = seed | 1;
    let mut rnd = move |n: i64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % n.max(1) as u64) as i64
    };
    let mut out = vec![
        (StepRange::ALL, 1000),
        (StepRange::ALL, 4),
        (StepRange::new(Some(1), Some(last - 1)), 300),
    ];
    for _ in 0..10 {
        let a = rnd(last + 1);
        let b = rnd(last + 1);
        let budget = [4, 5, 17, 64, 200, 1000, 2001][rnd(7) as usize] as usize;
        out.push((StepRange::new(Some(a.min(b)), Some(a.max(b))), budget));
    }
    out
}

fn check(store: &dyn Store, seed: u64) -> Result<(), TestCaseError> {
    let all = pollster::block_on(store.metric_points(ID, "m", StepRange::ALL)).unwrap();
    let last = all.last().map_or(0, |p| p.step);
    for (range, budget) in ranges(last, seed) {
        let raw = pollster::block_on(store.metric_points(ID, "m", range)).unwrap();
        let got = pollster::block_on(store.metric_series(ID, "m", range, budget)).unwrap();
        let want = exact(&raw, budget);
        prop_assert!(
            same(&got, &want),
            "{} over {range:?} at budget {budget}: {} points, want {}; first difference {:?}",
            store.location(),
            got.len(),
            want.len(),
            got.iter().zip(&want).find(|(a, b)| !a.same_as(b))
        );
    }
    Ok(())
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
            prop_assert!(same_steps_values(&a, &b), "sqlite and memory charts differ");
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
    pollster::block_on(store.write(&Batch {
        records: vec![new_experiment()],
    }))
    .unwrap();
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

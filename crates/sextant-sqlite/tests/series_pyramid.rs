//! Wide chart queries come from the min/max pyramid; they must keep what the points say:
//! the first and last point, every range's extremes, within the point budget, whether the
//! points were appended, rewritten, or written by a tool that knows nothing of the pyramid.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use sextant_core::{FlushPolicy, StartOptions, StepRange, Store, Tracker};
use sextant_native::SystemEnv;
use sextant_sqlite::SqliteStore;

fn value(i: i64) -> f64 {
    ((i as f64) * 0.001).sin() + if i % 7919 == 0 { 50.0 } else { 0.0 }
}

fn truth(points: &[(i64, f64)], lo: i64, hi: i64) -> (f64, f64) {
    points
        .iter()
        .filter(|(s, _)| *s >= lo && *s <= hi)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, v)| {
            (a.min(*v), b.max(*v))
        })
}

fn check(store: &SqliteStore, id: &str, points: &[(i64, f64)]) {
    let mut seed = 12345u64;
    let mut rnd = |n: i64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as i64).rem_euclid(n)
    };
    let last = points.last().unwrap().0;
    let mut ranges = vec![(0, last), (1, last - 1), (50_000, 90_000)];
    for _ in 0..15 {
        let a = rnd(last);
        let b = rnd(last);
        ranges.push((a.min(b), a.max(b)));
    }
    for (lo, hi) in ranges {
        for budget in [64usize, 500, 2000] {
            let got = pollster::block_on(store.metric_series(
                id,
                "m",
                StepRange::new(Some(lo), Some(hi)),
                budget,
            ))
            .unwrap();
            assert!(
                got.len() <= budget,
                "{lo}..{hi} budget {budget}: {}",
                got.len()
            );
            assert!(got.windows(2).all(|w| w[0].step < w[1].step), "ordered");
            let (min, max) = truth(points, lo, hi);
            let gmin = got.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
            let gmax = got
                .iter()
                .map(|p| p.value)
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(
                (gmin, gmax),
                (min, max),
                "extremes of {lo}..{hi} at budget {budget}"
            );
            let first = points.iter().find(|(s, _)| *s >= lo).unwrap();
            let lastp = points.iter().rev().find(|(s, _)| *s <= hi).unwrap();
            assert_eq!(got.first().map(|p| p.step), Some(first.0));
            assert_eq!(got.last().map(|p| p.step), Some(lastp.0));
            for p in &got {
                let stored = points
                    .binary_search_by_key(&p.step, |(s, _)| *s)
                    .map(|i| points[i].1);
                assert_eq!(stored, Ok(p.value), "every returned point is a real point");
            }
        }
    }
}

#[test]
fn appended_and_rewritten_series_keep_their_extremes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let t = Tracker::with_policy(
        store.clone(),
        Arc::new(SystemEnv),
        FlushPolicy {
            max_buffered_points: 30_000,
            interval_ms: 1000,
        },
    );
    let id = pollster::block_on(t.start_experiment(StartOptions::new())).unwrap();
    let mut points = Vec::new();
    for i in 0..120_000i64 {
        if t.log_dynamic("m", value(i), Some(i), None).unwrap().1 {
            pollster::block_on(t.flush()).unwrap();
        }
        points.push((i, value(i)));
    }
    pollster::block_on(t.flush()).unwrap();
    check(&store, &id, &points);
    // Rewrite old steps: a new global max in the middle, and the old max lowered.
    for (s, v) in [(73_456, 99.0), (0, -3.0), (7919 * 3, 0.0)] {
        t.log_dynamic("m", v, Some(s), None).unwrap();
        points[s as usize].1 = v;
    }
    pollster::block_on(t.end_experiment(None)).unwrap();
    check(&store, &id, &points);
}

#[test]
fn points_written_without_the_pyramid_are_covered_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let t = Tracker::new(
        Arc::new(SqliteStore::open(dir.path()).unwrap()),
        Arc::new(SystemEnv),
    );
    let id = pollster::block_on(t.start_experiment(StartOptions::new())).unwrap();
    pollster::block_on(t.end_experiment(None)).unwrap();
    // As luml would: plain inserts into dynamic_metrics.
    let conn = rusqlite::Connection::open(dir.path().join(&id).join("exp.db")).unwrap();
    let mut points = Vec::new();
    let tx = conn.unchecked_transaction().unwrap();
    for i in 0..100_000i64 {
        tx.execute(
            "INSERT INTO dynamic_metrics(key, value, step) VALUES ('m', ?1, ?2)",
            rusqlite::params![value(i), i],
        )
        .unwrap();
        points.push((i, value(i)));
    }
    tx.commit().unwrap();
    check(&store, &id, &points);
}

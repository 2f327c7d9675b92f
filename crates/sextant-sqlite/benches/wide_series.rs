//! The chart query on a large series (default 10,000,000 points; `SEXTANT_BENCH_POINTS` to
//! change): `metric_series` over the full range at 1,000 points (the min/max pyramid) and
//! over a 100,000-step zoom, against the naive answer (read every point in the range, then
//! `downsample`). The store is built once and kept under the target dir
//! (`CARGO_TARGET_TMPDIR/wide-series-N`), because writing 10M points takes a while. Run with
//! `cargo bench -p sextant-sqlite --bench wide_series`; `SEXTANT_BENCH_NAIVE=0` skips the
//! naive runs (minutes each on 100M points).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use sextant_core::downsample::downsample;
use sextant_core::{Batch, MetricPoint, NewExperiment, Record, StepRange, Store};
use sextant_sqlite::SqliteStore;

const ID: &str = "bench-wide-series";
const KEY: &str = "loss";

fn points() -> i64 {
    std::env::var("SEXTANT_BENCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000)
}

fn value(s: i64) -> f64 {
    (s as f64 * 1e-4).sin() + if s % 999_983 == 0 { 9.0 } else { 0.0 }
}

/// The cached store, built on first use (a `complete` marker says the build finished).
fn store_dir(n: i64) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("wide-series-{n}"));
    let marker = dir.join("complete");
    if marker.is_file() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let store = SqliteStore::open(&dir).expect("open store");
    let new = NewExperiment {
        id: ID.into(),
        name: "wide series".into(),
        group: "bench".into(),
        tags: vec![],
        created_at: 0,
        description: None,
        source: None,
        created_by: None,
    };
    pollster::block_on(store.write(&Batch {
        records: vec![Record::Create(new)],
    }))
    .expect("create");
    let t = Instant::now();
    let chunk = 500_000i64;
    for start in (0..n).step_by(chunk as usize) {
        let points = (start..(start + chunk).min(n))
            .map(|s| MetricPoint {
                step: s,
                value: value(s),
                logged_at: 1_700_000_000_000 + s / 1000,
            })
            .collect();
        pollster::block_on(store.write(&Batch {
            records: vec![Record::Metrics {
                experiment: ID.into(),
                key: KEY.into(),
                points,
            }],
        }))
        .expect("write");
    }
    store.checkpoint().expect("checkpoint");
    drop(store);
    std::fs::write(&marker, b"").expect("marker");
    eprintln!(
        "built {n} points in {:.1?} at {}",
        t.elapsed(),
        dir.display()
    );
    dir
}

fn median_of(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[runs / 2]
}

fn bench(c: &mut Criterion) {
    let n = points();
    let store = SqliteStore::open(store_dir(n)).expect("open store");
    let series = |range: StepRange| {
        pollster::block_on(store.metric_series(ID, KEY, range, 1000)).expect("series")
    };
    let naive = |range: StepRange| {
        let all = pollster::block_on(store.metric_points(ID, KEY, range)).expect("points");
        downsample(&all, 1000)
    };
    let zoom = StepRange::new(Some(n / 3), Some(n / 3 + 99_999));
    let with_naive = std::env::var("SEXTANT_BENCH_NAIVE").map_or(true, |v| v != "0");
    if !with_naive {
        let wide = median_of(21, || drop(series(StepRange::ALL)));
        let zoomed = median_of(21, || drop(series(zoom)));
        eprintln!(
            "wide query, {n} points, max_points=1000: pyramid median {:.2} ms; 100k-step zoom {:.2} ms",
            wide.as_secs_f64() * 1e3,
            zoomed.as_secs_f64() * 1e3
        );
        return;
    }
    for range in [StepRange::ALL, zoom] {
        let (got, want) = (series(range), naive(range));
        if got != want {
            let differ = got.iter().filter(|p| !want.contains(p)).count();
            eprintln!(
                "WARNING: pyramid answer differs from the exact one over {range:?}: {differ} of {} points",
                got.len()
            );
        }
    }

    // One line with the ratio, measured side by side in this run.
    let wide = median_of(21, || drop(series(StepRange::ALL)));
    let base = median_of(3, || drop(naive(StepRange::ALL)));
    eprintln!(
        "wide query, {n} points, max_points=1000: pyramid median {:.2} ms, naive {:.0} ms ({:.0}x)",
        wide.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3,
        base.as_secs_f64() / wide.as_secs_f64()
    );

    let mut g = c.benchmark_group(format!("series {n} points"));
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("full range, 1000 points (pyramid)", |b| {
        b.iter(|| series(StepRange::ALL))
    });
    g.bench_function("100k-step zoom, 1000 points", |b| b.iter(|| series(zoom)));
    g.bench_function("100k-step zoom, naive", |b| b.iter(|| naive(zoom)));
    g.sample_size(10).measurement_time(Duration::from_secs(1));
    g.bench_function("full range, naive: all points then downsample", |b| {
        b.iter(|| naive(StepRange::ALL))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

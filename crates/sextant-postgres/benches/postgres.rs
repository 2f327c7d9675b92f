//! Ingest rate and the wide chart query over a large series, against the PostgreSQL in
//! `SEXTANT_TEST_POSTGRES` (scripts/bench-postgres.sh starts one). Figures, not assertions.
//! `SEXTANT_BENCH_POINTS` sets the series length (default 10,000,000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sextant_core::{Batch, MetricPoint, NewExperiment, Record, StepRange, Store};
use sextant_postgres::PgStore;

const BATCH: usize = 50_000;

fn create(id: &str) -> Record {
    Record::Create(NewExperiment {
        id: id.into(),
        name: id.into(),
        group: "bench".into(),
        tags: vec![],
        created_at: 1,
        description: None,
        source: None,
        created_by: None,
    })
}

async fn ingest(store: &PgStore, id: &str, points: usize) {
    store
        .write(&Batch {
            records: vec![create(id)],
        })
        .await
        .unwrap();
    let mut step = 0i64;
    while (step as usize) < points {
        let n = BATCH.min(points - step as usize);
        let pts: Vec<MetricPoint> = (0..n as i64)
            .map(|i| {
                let s = step + i;
                MetricPoint {
                    step: s,
                    value: (s as f64 * 1e-4).sin() + if s % 1_000_003 == 0 { 50.0 } else { 0.0 },
                    logged_at: 1_700_000_000_000 + s,
                }
            })
            .collect();
        let batch = Batch {
            records: vec![Record::Metrics {
                experiment: id.into(),
                key: "loss".into(),
                points: pts,
            }],
        };
        store.write(&batch).await.unwrap();
        step += n as i64;
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(url) = std::env::var("SEXTANT_TEST_POSTGRES") else {
        eprintln!("SKIPPED: set SEXTANT_TEST_POSTGRES or run scripts/bench-postgres.sh");
        return;
    };
    if std::env::args().any(|a| a == "--bench") && std::env::var("SEXTANT_BENCH_RUN").is_err() {
        // `cargo bench --workspace` elsewhere should not spend minutes here by accident.
        eprintln!("SKIPPED: set SEXTANT_BENCH_RUN=1 (scripts/bench-postgres.sh does)");
        return;
    }
    let points: usize = std::env::var("SEXTANT_BENCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    // SEXTANT_BENCH_SCHEMA re-queries the series an earlier run left in that schema of
    // the same database (a 100M-point ingest takes minutes).
    let reuse = std::env::var("SEXTANT_BENCH_SCHEMA").ok();
    let schema = reuse
        .clone()
        .unwrap_or_else(|| format!("bench_{}", std::process::id()));
    let store = Arc::new(
        PgStore::open(&format!(
            "{url}{}schema={schema}",
            if url.contains('?') { '&' } else { '?' }
        ))
        .await
        .unwrap(),
    );
    if reuse.is_none() {
        let t = Instant::now();
        ingest(&store, "big", points).await;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "ingest, 1 writer: {points} points in {secs:.1} s = {:.0} points/s (batches of {BATCH})",
            points as f64 / secs
        );

        let writers = 4;
        let each = 500_000;
        let t = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let s = store.clone();
                tokio::spawn(async move { ingest(&s, &format!("w{w}"), each).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "ingest, {writers} writers x {each}: {:.0} points/s",
            (writers * each) as f64 / secs
        );
    }
    let mut wide = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let s = store
            .metric_series("big", "loss", StepRange::ALL, 1000)
            .await
            .unwrap();
        wide.push(t.elapsed());
        assert!(s.len() <= 1000 && s.len() > 500, "{}", s.len());
    }
    println!(
        "wide query, {points} points, max_points=1000: median {:.1} ms (11 runs)",
        median(wide).as_secs_f64() * 1e3
    );
    let mut raw = Vec::new();
    // SEXTANT_BENCH_NAIVE=0 skips shipping every row (a minute a run at 100M).
    let naive_runs = if std::env::var("SEXTANT_BENCH_NAIVE").as_deref() == Ok("0") {
        0
    } else {
        3
    };
    for _ in 0..naive_runs {
        let t = Instant::now();
        let all = store
            .metric_points("big", "loss", StepRange::ALL)
            .await
            .unwrap();
        let d = sextant_core::downsample::downsample(&all, 1000);
        raw.push(t.elapsed());
        assert_eq!(all.len(), points);
        assert!(d.len() <= 1000);
    }
    if !raw.is_empty() {
        println!(
            "same chart by shipping all {points} raw rows and downsampling in the client: median {:.0} ms ({naive_runs} runs)",
            median(raw).as_secs_f64() * 1e3
        );
    }
    let mut zoom = Vec::new();
    for i in 0..11 {
        let from = (points as i64 / 11) * i;
        let t = Instant::now();
        store
            .metric_series(
                "big",
                "loss",
                StepRange::new(Some(from), Some(from + 5_000)),
                1000,
            )
            .await
            .unwrap();
        zoom.push(t.elapsed());
    }
    println!(
        "zoomed query (5,000 steps), max_points=1000: median {:.1} ms",
        median(zoom).as_secs_f64() * 1e3
    );
}

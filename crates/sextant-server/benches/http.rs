//! Ingest over HTTP on loopback (batched, as the `http://` store sends, against one request
//! per point) and latency of the metric-series endpoint on a 10,000,000-point metric
//! (pyramid-backed, against reading the raw points and downsampling them).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sextant_core::{
    Batch, FlushPolicy, MetricPoint, NewExperiment, Record, StartOptions, StepRange, Store, Tracker,
};
use sextant_http::HttpStore;
use sextant_native::CoarseClockEnv;
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

const SERIES_POINTS: i64 = 10_000_000;

fn start(dir: &std::path::Path) -> (String, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::open(dir).unwrap_or_else(|e| panic!("open store: {e}")));
    let s: Arc<dyn Store> = store.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let opts = ServeOptions {
            port: 0,
            ..ServeOptions::default()
        };
        let _ = sextant_server::serve_blocking(s, opts, move |a| {
            let _ = tx.send(a);
        });
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("server start: {e}"));
    (format!("http://{addr}"), store)
}

fn ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (url, _) = start(dir.path());
    let client = Arc::new(HttpStore::new(&url, None).unwrap_or_else(|e| panic!("{e}")));
    let policy = FlushPolicy {
        max_buffered_points: usize::MAX,
        interval_ms: i64::MAX,
    };
    let tracker = Tracker::with_policy(client.clone(), Arc::new(CoarseClockEnv::start()), policy);
    pollster::block_on(tracker.start_experiment(StartOptions::new().name("ingest")))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("http ingest");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    const BATCH: u64 = 100_000;
    g.throughput(Throughput::Elements(BATCH));
    let mut step = 0i64;
    g.bench_function("batched (100k points per request)", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                let _ = tracker.log_dynamic("loss", 0.5, Some(step), None);
                step += 1;
            }
            pollster::block_on(tracker.flush()).unwrap_or_else(|e| panic!("{e}"));
        })
    });
    g.throughput(Throughput::Elements(1));
    let id = tracker.current_experiment().unwrap_or_default();
    g.bench_function("naive (one request per point)", |b| {
        b.iter(|| {
            let batch = Batch {
                records: vec![Record::Metrics {
                    experiment: id.clone(),
                    key: "naive".into(),
                    points: vec![MetricPoint {
                        step,
                        value: 0.5,
                        logged_at: 1,
                    }],
                }],
            };
            step += 1;
            pollster::block_on(client.write(&batch)).unwrap_or_else(|e| panic!("{e}"));
        })
    });
    g.finish();
}

fn series(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (url, store) = start(dir.path());
    let id = "bench-10m".to_string();
    let new = NewExperiment {
        id: id.clone(),
        name: "ten million".into(),
        group: "bench".into(),
        tags: vec![],
        created_at: 0,
        description: None,
        source: None,
        created_by: None,
    };
    let t0 = Instant::now();
    pollster::block_on(store.write(&Batch {
        records: vec![Record::Create(new)],
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let chunk = 500_000i64;
    for start_step in (0..SERIES_POINTS).step_by(chunk as usize) {
        let points = (start_step..start_step + chunk)
            .map(|s| MetricPoint {
                step: s,
                value: (s as f64 * 1e-4).sin() + if s % 999_983 == 0 { 9.0 } else { 0.0 },
                logged_at: 1_700_000_000_000 + s / 1000,
            })
            .collect();
        let batch = Batch {
            records: vec![Record::Metrics {
                experiment: id.clone(),
                key: "loss".into(),
                points,
            }],
        };
        pollster::block_on(store.write(&batch)).unwrap_or_else(|e| panic!("{e}"));
    }
    eprintln!("wrote {SERIES_POINTS} points in {:.1?}", t0.elapsed());

    let client = HttpStore::new(&url, None).unwrap_or_else(|e| panic!("{e}"));
    let mut seed = 7u64;
    let mut rand_range = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let a = ((seed >> 20) % SERIES_POINTS as u64) as i64;
        let width = 1i64 << ((seed >> 50) % 24);
        StepRange::new(Some(a), Some((a + width).min(SERIES_POINTS - 1)))
    };
    // p50/p99 over random zoom levels, the way a user zooms and pans.
    let mut times = Vec::new();
    for i in 0..300 {
        let range = if i % 10 == 0 {
            StepRange::ALL
        } else {
            rand_range()
        };
        let t = Instant::now();
        let pts = pollster::block_on(client.metric_series(&id, "loss", range, 1000))
            .unwrap_or_else(|e| panic!("{e}"));
        times.push(t.elapsed());
        assert!(pts.len() <= 1000);
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    eprintln!(
        "metric-series endpoint on {SERIES_POINTS} points, 300 random ranges: p50 {:.2?}  p99 {:.2?}  max {:.2?}",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    let mut g = c.benchmark_group("series 10M points");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("full range, 1000 points, pyramid (HTTP)", |b| {
        b.iter(|| pollster::block_on(client.metric_series(&id, "loss", StepRange::ALL, 1000)))
    });
    g.bench_function(
        "full range, naive: all points then downsample (in process)",
        |b| {
            b.iter(|| {
                let pts = pollster::block_on(store.metric_points(&id, "loss", StepRange::ALL))
                    .unwrap_or_default();
                sextant_core::downsample::downsample(&pts, 1000)
            })
        },
    );
    g.finish();
}

criterion_group!(benches, ingest, series);
criterion_main!(benches);

//! Ingest load: N concurrent clients, each logging its own run in batches of B points, for
//! a fixed time. Prints points/s and write latency (p50/p99/max) as one line for
//! scripts/bench-ingest.sh to collect.
//!
//! ```text
//! ingest_load --url http://127.0.0.1:5000 --encoding binary|gzip|json [--clients 8] [--batch 10000] [--seconds 10]
//! ingest_load --direct DIR [--clients 8] [--batch 10000] [--seconds 10]
//! ```
//!
//! `--url` writes through the `http://` store (the same batches a tracker sends) into a
//! running `sextant serve`; `--direct` writes the same batches straight into a SQLite store
//! in this process: the limit the server cannot beat.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::sync::Arc;
use std::time::{Duration, Instant};

use sextant_core::{Batch, MetricPoint, NewExperiment, Record, Store};
use sextant_http::{BatchEncoding, HttpStore};
use sextant_sqlite::SqliteStore;

struct Args {
    url: Option<String>,
    direct: Option<String>,
    encoding: BatchEncoding,
    clients: usize,
    batch: usize,
    seconds: f64,
}

fn args() -> Args {
    let mut a = Args {
        url: None,
        direct: None,
        encoding: BatchEncoding::default(),
        clients: 8,
        batch: 10_000,
        seconds: 10.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = Some(v),
            "--direct" => a.direct = Some(v),
            "--encoding" => {
                a.encoding = match v.as_str() {
                    "json" => BatchEncoding::Json,
                    "binary" => BatchEncoding::Binary,
                    "gzip" => BatchEncoding::BinaryGzip,
                    other => panic!("unknown encoding {other}"),
                }
            }
            "--clients" => a.clients = v.parse().unwrap(),
            "--batch" => a.batch = v.parse().unwrap(),
            "--seconds" => a.seconds = v.parse().unwrap(),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// A noisy decaying curve, as a training loss looks (not values that compress to nothing).
fn value(i: i64) -> f64 {
    let noise = ((i.wrapping_mul(6_364_136_223_846_793_005) >> 33) as f64) / f64::from(1u32 << 31);
    2.0 * (-(i as f64) / 200_000.0).exp() + 0.05 * noise
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn main() {
    let a = args();
    let store: Arc<dyn Store> = match (&a.url, &a.direct) {
        (Some(url), None) => Arc::new(
            HttpStore::new(url, None)
                .unwrap()
                .with_batch_encoding(a.encoding),
        ),
        (None, Some(dir)) => Arc::new(SqliteStore::open(std::path::Path::new(dir)).unwrap()),
        _ => panic!("give one of --url or --direct"),
    };
    let deadline = Duration::from_secs_f64(a.seconds);
    let t0 = Instant::now();
    let workers: Vec<_> = (0..a.clients)
        .map(|c| {
            let store = store.clone();
            let batch = a.batch;
            std::thread::spawn(move || {
                let id = format!("load-{c}-{}", now_ms());
                pollster::block_on(store.write(&Batch {
                    records: vec![Record::Create(NewExperiment {
                        id: id.clone(),
                        name: format!("load {c}"),
                        group: "load".into(),
                        tags: vec![],
                        created_at: now_ms(),
                        description: None,
                        source: None,
                        created_by: None,
                    })],
                }))
                .unwrap();
                let mut latencies = Vec::new();
                let mut step = 0i64;
                let start = Instant::now();
                while start.elapsed() < deadline {
                    let at = now_ms();
                    let points = (step..step + batch as i64)
                        .map(|s| MetricPoint {
                            step: s,
                            value: value(s),
                            logged_at: at,
                        })
                        .collect();
                    step += batch as i64;
                    let b = Batch {
                        records: vec![Record::Metrics {
                            experiment: id.clone(),
                            key: "train/loss".into(),
                            points,
                        }],
                    };
                    let t = Instant::now();
                    pollster::block_on(store.write(&b)).unwrap();
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let elapsed = t0.elapsed();
    latencies.sort();
    let points = latencies.len() * a.batch;
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    let what = match (&a.url, a.encoding) {
        (None, _) => "direct".to_string(),
        (Some(_), BatchEncoding::Json) => "json".into(),
        (Some(_), BatchEncoding::Binary) => "binary".into(),
        (Some(_), BatchEncoding::BinaryGzip) => "gzip".into(),
    };
    println!(
        "ingest {what}: {:.0} points/s, {} clients x {}-point batches, {} writes in {:.1} s, write p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        points as f64 / elapsed.as_secs_f64(),
        a.clients,
        a.batch,
        latencies.len(),
        elapsed.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3,
    );
}

//! Serves the built dashboard (embedded from `dist/` when sextant-server was compiled) and
//! the JSON API over a store, like `sextant ui`: for the end-to-end tests and the benchmark.
//!
//! ```text
//! cargo run -p sextant-dashboard --example serve -- [--store memory://|sqlite://DIR]
//!     [--port N] [--seed-points N] [--seed-runs N]
//! ```
//! Prints `listening on http://HOST:PORT` once it accepts connections. `--seed-points`
//! logs one run with N points in `train/loss` (the 10M-point chart benchmark);
//! `--seed-runs` logs N small runs (the 10,000-row table benchmark).

use std::sync::Arc;

use sextant_core::{
    Batch, MetricPoint, NewExperiment, ParamValue, Record, Registry, Status, Store,
};
use sextant_server::ServeOptions;

#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error(transparent)]
    Store(#[from] sextant_core::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Serves the dashboard and the JSON API over a store, optionally seeded for benchmarks.
#[derive(Debug, clap::Parser)]
struct Args {
    /// Where runs live: `memory://` or `sqlite://DIR`.
    #[arg(long, default_value = "memory://")]
    store: String,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Log one run with this many points in `train/loss`.
    #[arg(long, default_value_t = 0)]
    seed_points: u64,
    /// Log this many small runs.
    #[arg(long, default_value_t = 0)]
    seed_runs: u64,
}

/// The same route from a connection string to a store as every other entry point.
fn open(store: &str) -> Result<Arc<dyn Store>, ServeError> {
    let mut registry = Registry::new();
    sextant_sqlite::register(&mut registry);
    Ok(pollster::block_on(registry.open(store))?)
}

fn create(id: &str, name: &str, group: &str, tags: &[&str], created_at: i64) -> Record {
    Record::Create(NewExperiment {
        id: id.into(),
        name: name.into(),
        group: group.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        created_at,
        description: None,
        source: Some("examples/serve.rs".into()),
        created_by: None,
    })
}

/// One run with `n` points in `train/loss`, written in chunks to bound memory.
fn seed_points(store: &dyn Store, n: u64) -> Result<(), ServeError> {
    let now = 1_764_000_000_000i64;
    let id = "bench-points";
    pollster::block_on(store.write(&Batch {
        records: vec![create(id, "ten-million-points", "bench", &["bench"], now)],
    }))?;
    const CHUNK: u64 = 500_000;
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        let points = (start..end)
            .map(|i| {
                let s = i as f64;
                MetricPoint {
                    step: i as i64,
                    value: 2.0 * (-s / 2e6).exp()
                        + 0.05 * (s / 1000.0).sin()
                        + 0.02 * ((i.wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0),
                    logged_at: now + i as i64,
                }
            })
            .collect();
        pollster::block_on(store.write(&Batch {
            records: vec![Record::Metrics {
                experiment: id.into(),
                key: "train/loss".into(),
                points,
            }],
        }))?;
        start = end;
    }
    pollster::block_on(store.write(&Batch {
        records: vec![Record::SetStatus {
            experiment: id.into(),
            status: Status::Completed,
            duration: Some(n as f64 / 1e5),
        }],
    }))?;
    Ok(())
}

/// `n` small runs with params and a few metrics, in batches of 500 runs.
fn seed_runs(store: &dyn Store, n: u64) -> Result<(), ServeError> {
    let now = 1_764_000_000_000i64;
    let groups = ["vision", "nlp", "rl", "audio"];
    let mut records = Vec::new();
    for i in 0..n {
        let id = format!("run-{i:05}");
        let g = groups[(i % 4) as usize];
        records.push(create(
            &id,
            &format!("sweep-{i:05}"),
            g,
            &[if i % 3 == 0 { "baseline" } else { "sweep" }],
            now - (i as i64) * 60_000,
        ));
        records.push(Record::Params {
            experiment: id.clone(),
            params: vec![
                ("lr".into(), ParamValue::Float(1e-4 * (1 + i % 10) as f64)),
                ("batch_size".into(), ParamValue::Int(16 << (i % 4))),
                ("optimizer".into(), ParamValue::Str("adamw".into())),
            ],
        });
        for (key, value) in [
            ("train/loss", 1.0 / (1.0 + (i % 97) as f64)),
            ("val/acc", 0.5 + (i % 89) as f64 / 200.0),
        ] {
            records.push(Record::Metrics {
                experiment: id.clone(),
                key: key.into(),
                points: vec![MetricPoint {
                    step: 100,
                    value,
                    logged_at: now,
                }],
            });
        }
        records.push(Record::SetStatus {
            experiment: id,
            status: if i % 50 == 0 {
                Status::Running
            } else {
                Status::Completed
            },
            duration: (i % 50 != 0).then_some(60.0 + (i % 600) as f64),
        });
        if records.len() >= 2_500 {
            pollster::block_on(store.write(&Batch {
                records: std::mem::take(&mut records),
            }))?;
        }
    }
    pollster::block_on(store.write(&Batch { records }))?;
    Ok(())
}

fn run() -> Result<(), ServeError> {
    let args = <Args as clap::Parser>::parse();
    let store = open(&args.store)?;
    if args.seed_points > 0 {
        seed_points(store.as_ref(), args.seed_points)?;
    }
    if args.seed_runs > 0 {
        seed_runs(store.as_ref(), args.seed_runs)?;
    }
    if !sextant_server::dashboard_built() {
        eprintln!(
            "warning: dist/ was not built when sextant-server compiled; only the API is served"
        );
    }
    let opts = ServeOptions {
        port: args.port,
        ..ServeOptions::default()
    };
    sextant_server::serve_blocking(store, opts, |addr| {
        println!("listening on http://{addr}");
    })?;
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("serve: {e}");
        std::process::exit(1);
    }
}

//! The native half of `www/bench/node-sqlite.mjs`: the same workload through the Rust API
//! into `sqlite://DIR`, so the Node figures have a native baseline.
//!
//! `cargo run --release -p sextant --example durable_points -- DIR POINTS FLUSH_EVERY`
//! logs POINTS points of one metric, flushing (durably: one fsynced transaction) every
//! FLUSH_EVERY points, and prints `{"points": N, "ms": T}`.

use std::time::Instant;

use sextant::{ExperimentTracker, StartOptions};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() -> sextant::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./bench-store".into());
    let points = arg(2, 1_000_000);
    let every = arg(3, 10_000).max(1);
    let tracker = ExperimentTracker::new(&format!("sqlite://{dir}"))?;
    tracker.start_experiment(StartOptions::new().name("bench"))?;
    let start = Instant::now();
    for i in 0..points {
        tracker.log_dynamic("loss", 1.0 / (i as f64 + 7.0), None, None)?;
        if (i + 1) % every == 0 {
            tracker.flush()?;
        }
    }
    tracker.end_experiment(None)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("{{\"points\": {points}, \"ms\": {ms:.1}}}");
    Ok(())
}

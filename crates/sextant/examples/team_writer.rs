//! One writer of `scripts/load-team.sh`: logs POINTS points of `loss` into experiment ID
//! through any store (`http://replica:port` in the load test), flushing every FLUSH_EVERY
//! points, and prints `{"id", "points", "ms", "flush_p50_ms", "flush_p99_ms"}` once every
//! point is acknowledged (the run ended cleanly). The value at step s is `s * 0.25`.
//!
//! `cargo run --release -p sextant --example team_writer -- STORE ID POINTS FLUSH_EVERY`

use std::time::Instant;

use sextant::{ExperimentTracker, StartOptions};

fn main() -> sextant::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let store = args.get(1).map_or("memory://", String::as_str);
    let id = args.get(2).map_or("team-writer", String::as_str);
    let points: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(250_000);
    let every: u64 = args
        .get(4)
        .and_then(|a| a.parse().ok())
        .unwrap_or(25_000)
        .max(1);
    let tracker = ExperimentTracker::new(store)?;
    tracker.start_experiment(StartOptions::new().id(id).name(id).group("load"))?;
    let start = Instant::now();
    let mut flushes = Vec::new();
    for step in 0..points {
        tracker.log_dynamic("loss", step as f64 * 0.25, Some(step as i64), None)?;
        if (step + 1) % every == 0 {
            let t = Instant::now();
            tracker.flush()?;
            flushes.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    tracker.end_experiment(None)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    flushes.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        flushes
            .get(((flushes.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{{\"id\": \"{id}\", \"points\": {points}, \"ms\": {ms:.1}, \"flush_p50_ms\": {:.1}, \"flush_p99_ms\": {:.1}}}",
        pick(0.5),
        pick(0.99)
    );
    Ok(())
}

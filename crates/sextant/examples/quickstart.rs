//! The README's Rust quick-start, kept compiling by CI: `cargo run -p sextant --example
//! quickstart -- DIR` logs one run into `sqlite://DIR` and prints its id.

use sextant::{ExperimentTracker, StartOptions};

#[derive(serde::Serialize)]
struct Config {
    lr: f64,
    batch_size: u32,
    optimizer: &'static str,
}

#[tracing::instrument]
fn evaluate(step: u32) -> f64 {
    1.0 / f64::from(step + 2)
}

fn main() -> sextant::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./experiments".into());
    let tracker = ExperimentTracker::new(&format!("sqlite://{dir}"))?;
    let run = tracker.start_run(
        StartOptions::new()
            .name("baseline")
            .group("mnist")
            .tags(["cnn"]),
    )?;
    run.log_params(&Config {
        lr: 1e-3,
        batch_size: 64,
        optimizer: "adamw",
    })?;
    for step in 0..1_000 {
        run.log_dynamic("train/loss", 1.0 / f64::from(step + 1))?;
    }
    run.log_dynamics(&[("val/loss", 0.4), ("val/acc", 0.91)], Some(999))?;
    run.log_dynamic_at("test/acc", 0.90, 999)?;
    run.log_attachment("notes.md", "# what I tried")?;
    tracker.enable_tracing()?;
    evaluate(999);
    let id = run.id().to_string();
    run.end()?;
    println!("{id}");
    Ok(())
}

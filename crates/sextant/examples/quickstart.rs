//! The README's Rust quick-start, kept compiling by CI.

use sextant::{ExperimentTracker, StartOptions};

#[tracing::instrument]
fn evaluate(step: u32) -> f64 {
    1.0 / f64::from(step + 2)
}

fn main() -> sextant::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./experiments".into());
    let tracker = ExperimentTracker::new(&format!("sqlite://{dir}"))?;
    tracker.start_experiment(
        StartOptions::new()
            .name("baseline")
            .group("mnist")
            .tags(["cnn"]),
    )?;
    tracker.log_static("lr", 1e-3, None)?;
    for step in 0..1_000 {
        let loss = 1.0 / f64::from(step + 1);
        tracker.log_dynamic("train/loss", loss, None, None)?;
    }
    tracker.log_dynamics(&[("val/loss", 0.4), ("val/acc", 0.91)], Some(999), None)?;
    tracker.log_attachment("notes.md", "# what I tried", None)?;
    tracker.enable_tracing()?;
    evaluate(999);
    let id = tracker.current_experiment().unwrap_or_default();
    tracker.end_experiment(None)?;
    println!("{id}");
    Ok(())
}

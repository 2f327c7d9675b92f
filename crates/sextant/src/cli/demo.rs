//! `sextant demo`: a plausible training run (params, three curves, attachments including a
//! rendered loss plot, a short trace), so a fresh store has something to look at.

use serde_json::json;
use sextant::{ExperimentTracker, ParamValue, StartOptions};
use sextant_core::Env;
use sextant_native::SystemEnv;

use super::plot::line_chart_svg;
use super::{CliError, CliResult};

const STEPS: i64 = 1_000;
const EPOCHS: i64 = 10;
const PEAK_LR: f64 = 3e-4;
const WARMUP: i64 = 50;

/// splitmix64: deterministic for a seed, good enough for plausible noise.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        sextant_core::env::splitmix64(&mut self.0)
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Linear warm-up, then cosine decay to 1% of the peak.
fn lr_at(step: i64) -> f64 {
    if step < WARMUP {
        return PEAK_LR * (step + 1) as f64 / WARMUP as f64;
    }
    let progress = (step - WARMUP) as f64 / (STEPS - 1 - WARMUP) as f64;
    let floor = PEAK_LR * 0.01;
    floor + (PEAK_LR - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
}

/// Logs the demo run and returns its id.
pub fn run(tracker: &ExperimentTracker) -> CliResult<String> {
    let env = SystemEnv;
    let seed = env.random_u128();
    let mut rng = Rng(seed as u64);
    let name = format!("demo-{}", sextant_core::names::generate(seed));
    let id = tracker.start_experiment(
        StartOptions::new()
            .name(name.clone())
            .group("demo")
            .tags(["demo", "resnet18", "cifar10"])
            .description("Synthetic image-classification run logged by `sextant demo`.")
            .source("sextant demo"),
    )?;
    let exp = Some(id.as_str());

    let model = json!({
        "arch": "resnet18",
        "channels": [64, 128, 256, 512],
        "dropout": 0.1,
        "num_classes": 10,
        "pretrained": false,
    });
    let seed_param = i64::from(rng.next_u64() as u16);
    let params: Vec<(&str, ParamValue)> = vec![
        ("lr", PEAK_LR.into()),
        ("batch_size", 64.into()),
        ("optimizer", "adamw".into()),
        ("epochs", EPOCHS.into()),
        ("weight_decay", 0.01.into()),
        ("warmup_steps", WARMUP.into()),
        ("mixed_precision", true.into()),
        ("dataset", "cifar10".into()),
        ("seed", seed_param.into()),
        ("model", ParamValue::Json(model.clone())),
    ];
    for (key, value) in &params {
        tracker.log_static(key, value.clone(), exp)?;
    }

    let mut losses = Vec::with_capacity(STEPS as usize);
    let mut best_acc: f64 = 0.0;
    for step in 0..STEPS {
        let s = step as f64;
        let trend = 0.12 + 2.1 * (-s / 170.0).exp() + 0.2 * (-s / 600.0).exp();
        let spike = if rng.uniform() < 0.004 {
            0.6 * trend
        } else {
            0.0
        };
        let loss = (trend * (1.0 + 0.08 * rng.normal()) + spike).max(0.01);
        let acc = (0.1 + 0.82 * (1.0 - (-s / 220.0).exp()) + 0.008 * rng.normal()).clamp(0.0, 1.0);
        best_acc = best_acc.max(acc);
        losses.push(loss);
        tracker.log_dynamics(
            &[
                ("train/loss", loss),
                ("val/accuracy", acc),
                ("lr", lr_at(step)),
            ],
            Some(step),
            exp,
        )?;
    }

    let final_loss = losses.last().copied().unwrap_or(f64::NAN);
    let notes = format!(
        "# {name}\n\n\
         Synthetic ResNet-18 run on CIFAR-10, logged by `sextant demo`.\n\n\
         - {EPOCHS} epochs, {STEPS} steps, AdamW at peak lr {PEAK_LR} with {WARMUP}-step warm-up and cosine decay\n\
         - final train loss: {final_loss:.4}\n\
         - best val accuracy: {best_acc:.4}\n"
    );
    tracker.log_attachment("notes.md", notes, exp)?;
    let config: serde_json::Map<String, serde_json::Value> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_json()))
        .collect();
    let config = serde_json::to_string_pretty(&config)?;
    tracker.log_attachment("config.json", config, exp)?;
    tracker.log_attachment(
        "plots/train_loss.svg",
        line_chart_svg(&losses, 640, 360).map_err(CliError::Plot)?,
        exp,
    )?;

    // The trace comes from the tracing crate, as it would in a user's program.
    if tracker.enable_tracing().is_ok() {
        let mut weights: Vec<f64> = (0..64 * 64)
            .map(|i| ((i % 17) as f64 - 8.0) * 0.01)
            .collect();
        train_epoch(EPOCHS - 1, &mut weights);
    }
    tracker.end_experiment(exp)?;
    Ok(id)
}

/// One traced epoch: real (small) work in `#[instrument]`ed functions, recorded through
/// `enable_tracing` like any user program's spans.
#[tracing::instrument(skip(weights))]
fn train_epoch(epoch: i64, weights: &mut [f64]) -> f64 {
    let mut loss = 0.0;
    for batch in 0..4 {
        loss = train_batch(batch, weights);
    }
    tracing::info!(loss, "epoch finished");
    loss
}

#[tracing::instrument(skip(weights), fields(batch_size = 64))]
fn train_batch(batch: i64, weights: &mut [f64]) -> f64 {
    let activations = forward(batch, weights);
    backward(batch, weights, &activations)
}

/// A 64×64 layer applied to a 64-row batch.
#[tracing::instrument(skip(weights))]
fn forward(batch: i64, weights: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; 64 * 64];
    for r in 0..64 {
        for c in 0..64 {
            let x = ((r * 64 + c) as f64 + batch as f64).sin();
            out[r * 64 + c] = (0..64).map(|k| x * weights[k * 64 + c]).sum::<f64>().tanh();
        }
    }
    out
}

#[tracing::instrument(skip(weights, activations))]
fn backward(batch: i64, weights: &mut [f64], activations: &[f64]) -> f64 {
    let loss = activations.iter().map(|a| a * a).sum::<f64>() / activations.len() as f64;
    for (w, a) in weights.iter_mut().zip(activations) {
        *w -= 1e-3 * a * (1.0 - a * a);
    }
    tracing::debug!(grad_norm = loss.sqrt(), "gradients applied");
    loss
}

//! [`Run`]: one experiment's handle, so a training loop logs without repeating its id or
//! spelling out steps, the way the `tracing` and `metrics` crates read.

use std::path::Path;

use serde::Serialize;
use sextant_core::{Error, ExperimentInfo, MetricPoint, ModelInfo, ParamValue, Result};

use crate::ExperimentTracker;

/// An experiment started (or resumed) by an [`ExperimentTracker`]. Every method logs into
/// this experiment, whichever one is current. Dropping a handle does not end the run:
/// call [`Run::end`] (or [`Run::fail`]); the tracker ends what is still open when it is
/// dropped, as failed if the thread is panicking.
///
/// ```no_run
/// # fn main() -> sextant::Result<()> {
/// let tracker = sextant::ExperimentTracker::new("sqlite://./experiments")?;
/// let run = tracker.start_run(sextant::StartOptions::new().name("baseline"))?;
/// #[derive(serde::Serialize)]
/// struct Config { lr: f64, layers: u32 }
/// run.log_params(&Config { lr: 1e-3, layers: 4 })?;
/// for epoch in 0..10 {
///     run.log_dynamic("train/loss", 1.0 / f64::from(epoch + 1))?; // steps 0, 1, 2, …
/// }
/// run.log_dynamic_at("eval/acc", 0.91, 9)?;
/// run.end()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Run<'t> {
    tracker: &'t ExperimentTracker,
    id: String,
}

impl ExperimentTracker {
    /// Starts an experiment (or resumes `opts.id`) and returns its handle.
    pub fn start_run(&self, opts: sextant_core::StartOptions) -> Result<Run<'_>> {
        let id = self.start_experiment(opts)?;
        Ok(Run { tracker: self, id })
    }

    /// The handle of an experiment this tracker has open.
    pub fn run(&self, id: &str) -> Result<Run<'_>> {
        if !self.open_experiments().iter().any(|o| o == id) {
            return Err(Error::ExperimentNotOpen(id.to_string()));
        }
        Ok(Run {
            tracker: self,
            id: id.to_string(),
        })
    }
}

impl Run<'_> {
    /// The experiment's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Logs a param; logging a key again replaces it.
    pub fn log_static(&self, key: &str, value: impl Into<ParamValue>) -> Result<()> {
        self.tracker.log_static(key, value, Some(&self.id))
    }

    /// Logs every field of a serializable value (a config struct, a map) as a param: each
    /// top-level field is one key, nested values are kept as JSON.
    pub fn log_params(&self, params: &impl Serialize) -> Result<()> {
        let value = serde_json::to_value(params).map_err(|e| Error::InvalidInput {
            what: "params",
            value: String::new(),
            reason: format!("cannot be serialized: {e}"),
        })?;
        match value {
            serde_json::Value::Object(fields) => {
                for (k, v) in fields {
                    self.log_static(&k, ParamValue::from_json(v))?;
                }
                Ok(())
            }
            other => Err(Error::InvalidInput {
                what: "params",
                value: other.to_string().chars().take(40).collect(),
                reason: "must serialize to an object (a struct or a map) whose fields become keys"
                    .into(),
            }),
        }
    }

    /// Logs a metric at the key's next step (0 first) and returns that step.
    #[inline]
    pub fn log_dynamic(&self, key: &str, value: impl Into<f64>) -> Result<i64> {
        self.tracker
            .log_dynamic(key, value.into(), None, Some(&self.id))
    }

    /// Logs a metric at an explicit step (a point already there is replaced).
    #[inline]
    pub fn log_dynamic_at(&self, key: &str, value: impl Into<f64>, step: i64) -> Result<()> {
        self.tracker
            .log_dynamic(key, value.into(), Some(step), Some(&self.id))
            .map(|_| ())
    }

    /// Several metrics at one step (`None`: each key's next step).
    pub fn log_dynamics(&self, values: &[(&str, f64)], step: Option<i64>) -> Result<()> {
        self.tracker.log_dynamics(values, step, Some(&self.id))
    }

    /// Stores text or bytes as attachment `name` (subfolders allowed, no `..`).
    pub fn log_attachment(&self, name: &str, data: impl Into<Vec<u8>>) -> Result<()> {
        self.tracker.log_attachment(name, data, Some(&self.id))
    }

    /// Copies a file into the experiment as attachment `name`.
    pub fn log_attachment_file(&self, name: &str, path: impl AsRef<Path>) -> Result<()> {
        self.tracker.log_attachment_file(name, path, Some(&self.id))
    }

    /// Links a model file to this experiment (see [`ExperimentTracker::link_to_model`]).
    pub fn link_to_model(&self, model_path: impl AsRef<Path>) -> Result<ModelInfo> {
        self.tracker.link_to_model(model_path, Some(&self.id))
    }

    /// Everything stored about the experiment so far (flushes first).
    pub fn info(&self) -> Result<ExperimentInfo> {
        self.tracker.get_experiment(Some(&self.id))
    }

    /// Every stored point of a metric (flushes first).
    pub fn metric_history(&self, key: &str) -> Result<Vec<MetricPoint>> {
        self.tracker.get_metric_history(Some(&self.id), key)
    }

    /// Ends the experiment as completed, after making everything buffered durable.
    pub fn end(self) -> Result<()> {
        self.tracker.end_experiment(Some(&self.id))
    }

    /// Ends the experiment as failed, after making everything buffered durable.
    pub fn fail(self) -> Result<()> {
        self.tracker.fail_experiment(Some(&self.id))
    }
}

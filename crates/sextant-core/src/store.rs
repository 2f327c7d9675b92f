//! The `Store` trait: one write path (batches of records), one read path (typed queries).

use serde::{Deserialize, Serialize};

use crate::env::{MaybeSend, MaybeSync};
use crate::error::{Error, Result};
use crate::model::{
    trace_summaries, AttachmentInfo, ExperimentInfo, ExperimentUpdate, GroupInfo, MetricPoint,
    MetricSummary, ModelInfo, NewExperiment, ParamValue, Span, Status, StepRange, TraceSummary,
};
use crate::validate;

/// One write. A store applies a whole [`Batch`] in one transaction where it can.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// Creates the experiment (and its group on first use); fails if the id exists.
    Create(NewExperiment),
    /// Sets the status (and duration, when ending). Also used to resume a run.
    SetStatus {
        experiment: String,
        status: Status,
        duration: Option<f64>,
    },
    Params {
        experiment: String,
        params: Vec<(String, ParamValue)>,
    },
    /// Points of one key; a point at an existing step replaces it.
    Metrics {
        experiment: String,
        key: String,
        points: Vec<MetricPoint>,
    },
    Spans {
        experiment: String,
        spans: Vec<Span>,
    },
    /// The name has been validated by the tracker; stores check it again before touching files.
    Attachment {
        experiment: String,
        name: String,
        #[serde(with = "bytes_base64")]
        data: Vec<u8>,
        created_at: i64,
    },
    Model {
        experiment: String,
        model: ModelInfo,
    },
}

impl Record {
    pub fn experiment(&self) -> &str {
        match self {
            Record::Create(n) => &n.id,
            Record::SetStatus { experiment, .. }
            | Record::Params { experiment, .. }
            | Record::Metrics { experiment, .. }
            | Record::Spans { experiment, .. }
            | Record::Attachment { experiment, .. }
            | Record::Model { experiment, .. } => experiment,
        }
    }
}

/// Records written together, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub records: Vec<Record>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Checks every record against the rules the tracker applies when logging, so a batch
    /// from anywhere (the HTTP API, an import) is held to the same contract before a store
    /// writes any of it. The error names the first bad value.
    pub fn validate(&self) -> Result<()> {
        for r in &self.records {
            validate::experiment_id(r.experiment())?;
            match r {
                Record::Create(new) => {
                    validate::label("experiment name", &new.name)?;
                    validate::label("group name", &new.group)?;
                    for tag in &new.tags {
                        validate::label("tag", tag)?;
                    }
                    validate::millis("created_at", new.created_at)?;
                }
                Record::SetStatus { duration, .. } => {
                    if let Some(d) = duration {
                        if !d.is_finite() || *d < 0.0 {
                            return Err(Error::invalid(
                                "duration",
                                d.to_string(),
                                "must be a finite number of seconds >= 0",
                            ));
                        }
                    }
                }
                Record::Params { params, .. } => {
                    for (key, _) in params {
                        validate::key("param key", key)?;
                    }
                }
                Record::Metrics { key, points, .. } => {
                    validate::key("metric key", key)?;
                    for p in points {
                        validate::step(p.step)?;
                        if p.logged_at != 0 {
                            validate::millis("logged_at", p.logged_at)?;
                        }
                    }
                }
                Record::Spans { spans, .. } => {
                    for s in spans {
                        validate::span_ids(&s.trace_id, &s.span_id, s.parent_span_id.as_deref())?;
                    }
                }
                Record::Attachment {
                    name, created_at, ..
                } => {
                    validate::attachment_name(name)?;
                    validate::millis("created_at", *created_at)?;
                }
                Record::Model { model, .. } => {
                    validate::label("model id", &model.id)?;
                    validate::millis("created_at", model.created_at)?;
                }
            }
        }
        Ok(())
    }

    pub fn point_count(&self) -> usize {
        self.records
            .iter()
            .map(|r| match r {
                Record::Metrics { points, .. } => points.len(),
                _ => 0,
            })
            .sum()
    }
}

/// A storage backend. Async because IndexedDB and HTTP are; no `Send` needed on wasm.
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
pub trait Store: MaybeSend + MaybeSync + std::fmt::Debug {
    /// The connection string this store was opened with.
    fn location(&self) -> String;

    /// Applies every record or, on error, as many as the store can roll back: none.
    /// By reference, so a tracker can keep a failed batch for retry without a copy.
    async fn write(&self, batch: &Batch) -> Result<()>;

    /// Every experiment, newest first, with params and latest metrics current.
    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>>;
    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo>;
    async fn list_groups(&self) -> Result<Vec<GroupInfo>>;

    /// The metric keys of an experiment, sorted by key.
    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>>;
    /// A metric's points in `range`, ordered by step. Unknown key: empty.
    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>>;

    /// At most `max_points` points over `range`, keeping each bucket's extremes.
    /// Stores with a faster way (SQL aggregation, an index) override this.
    async fn metric_series(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        let points = self.metric_points(id, key, range).await?;
        Ok(crate::downsample::downsample(&points, max_points))
    }

    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>>;
    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>>;

    /// Spans of one trace, or of every trace when `trace_id` is `None`, by start time.
    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>>;

    async fn list_traces(&self, id: &str) -> Result<Vec<TraceSummary>> {
        Ok(trace_summaries(&self.list_spans(id, None).await?))
    }

    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>>;
    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()>;
    async fn delete_experiment(&self, id: &str) -> Result<()>;
    /// Makes everything written so far self-contained on disk (SQLite: folds the write-ahead
    /// log into the database files), for a clean close. The store stays usable.
    async fn checkpoint(&self) -> Result<()> {
        Ok(())
    }
}

/// Attachment bytes travel as base64 in JSON (the HTTP store), raw elsewhere. Standard
/// alphabet with padding, decoded strictly (padding only at the end).
mod bytes_base64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(data))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| de::Error::custom(format!("attachment data is not valid base64: {e}")))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn padding_only_at_the_end() {
            assert_eq!(STANDARD.encode(b"Ma"), "TWE=");
            let ok: Vec<u8> = deserialize(serde_json::json!("TWE=")).unwrap();
            assert_eq!(ok, b"Ma");
            let bad: Result<Vec<u8>, _> = deserialize(serde_json::json!("T=WE"));
            assert!(bad.unwrap_err().to_string().contains("base64"));
        }
    }
}

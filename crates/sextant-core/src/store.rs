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

/// Attachment bytes travel as base64 in JSON (the HTTP store), raw elsewhere.
mod bytes_base64 {
    use serde::{de, Deserialize, Deserializer, Serializer};

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(data))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).ok_or_else(|| de::Error::custom("attachment data is not valid base64"))
    }

    pub fn encode(data: &[u8]) -> String {
        let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'=').collect();
        let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
        for chunk in bytes.chunks(4) {
            let mut n = 0u32;
            for (i, b) in chunk.iter().enumerate() {
                let v = ALPHABET.iter().position(|a| a == b)? as u32;
                n |= v << (18 - 6 * i);
            }
            for i in 0..chunk.len().saturating_sub(1) {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips_every_length() {
            for len in 0..10usize {
                let data: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(97)).collect();
                assert_eq!(
                    super::decode(&super::encode(&data)).as_deref(),
                    Some(&data[..])
                );
            }
            assert_eq!(super::encode(b"Man"), "TWFu");
            assert_eq!(super::encode(b"Ma"), "TWE=");
        }
    }
}

//! The `Store` trait: one write path (batches of records), one read path (typed queries).

use serde::{Deserialize, Serialize};

use crate::env::{MaybeSend, MaybeSync};
use crate::error::{Error, Result};
use crate::evals::{EvalPage, EvalQuery, EvalSummary};
use crate::model::{
    trace_summaries, Annotation, AnnotationTarget, AnnotationValue, AttachmentInfo, EvalSample,
    ExperimentInfo, ExperimentUpdate, GroupInfo, MetricPoint, MetricSummary, ModelInfo,
    NewExperiment, NewToken, ParamValue, Span, SpanRecord, Status, StepRange, TokenInfo,
    TraceSummary,
};
use crate::search::Query;
use crate::validate;

/// One write. A store applies a whole [`Batch`] in one transaction where it can.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// Creates the experiment (and its group on first use); fails if the id exists.
    Create(NewExperiment),
    /// Sets the status (and duration, when ending). Also used to resume a run.
    SetStatus {
        /// Id of an existing experiment.
        experiment: String,
        /// The new lifecycle state; `Running` resumes an ended run.
        status: Status,
        /// Run time in seconds; `None` keeps the stored duration.
        duration: Option<f64>,
    },
    /// Static params; a key logged again replaces its value, other keys are kept.
    Params {
        /// Id of an existing experiment.
        experiment: String,
        /// Key and value pairs, applied in order (a later duplicate key wins).
        params: Vec<(String, ParamValue)>,
    },
    /// Points of one key; a point at an existing step replaces it.
    Metrics {
        /// Id of an existing experiment.
        experiment: String,
        /// The metric key, e.g. `train/loss`.
        key: String,
        /// In any order; steps need not be contiguous.
        points: Vec<MetricPoint>,
    },
    /// Trace spans; a span with an existing (trace id, span id) replaces it.
    Spans {
        /// Id of an existing experiment.
        experiment: String,
        /// Finished spans, in any order; parents may arrive after their children.
        spans: Vec<Span>,
    },
    /// Spans recorded in-process, as recorded, for a store that writes them without a
    /// [`Span`] in between ([`Store::takes_span_records`]); the tracker converts them for
    /// every other store. Never serialized: a batch that crosses a wire or a log carries
    /// [`Record::Spans`].
    #[serde(skip)]
    SpanRecords {
        /// Id of an existing experiment.
        experiment: String,
        /// Finished spans with non-zero ids, in recording order.
        spans: Vec<SpanRecord>,
    },
    /// A file; one with the same name replaces it. The name has been validated by the
    /// tracker; stores check it again before touching files.
    Attachment {
        /// Id of an existing experiment.
        experiment: String,
        /// A relative path with `/` separators (`plots/loss.png`), never leaving the folder.
        name: String,
        /// The file's bytes (base64 in JSON).
        #[serde(with = "bytes_base64")]
        data: Vec<u8>,
        /// Unix time in milliseconds.
        created_at: i64,
    },
    /// Links a model file to the experiment; a model with the same id replaces it.
    Model {
        /// Id of an existing experiment.
        experiment: String,
        /// What to link; the file itself is not copied.
        model: ModelInfo,
    },
    /// An eval sample; one with the same (dataset id, id) replaces it, keeping its first
    /// `created_at` (luml resets it). `trace_ids` and `annotations` are ignored.
    EvalSample {
        /// Id of an existing experiment.
        experiment: String,
        /// The sample.
        sample: EvalSample,
    },
    /// Links an eval sample to a trace; the same link again changes nothing (luml adds a
    /// second row). The sample must be stored or written earlier in the batch; the trace
    /// need not be stored yet (its spans may still be open).
    EvalTraceLink {
        /// Id of an existing experiment.
        experiment: String,
        /// The row id (a uuid), as luml's bridge rows have.
        id: String,
        /// The sample's dataset.
        dataset_id: String,
        /// The sample's id.
        eval_id: String,
        /// The trace (32 hex digits).
        trace_id: String,
        /// Unix ms.
        created_at: i64,
    },
    /// A new annotation. What it annotates must be stored (or written earlier in the
    /// batch): the sample, or the span.
    Annotation {
        /// Id of an existing experiment.
        experiment: String,
        /// The annotation, with its id.
        annotation: Annotation,
    },
    /// Changes an annotation's value and/or rationale (`None` keeps it). The annotation
    /// must exist and a new value must have its value type.
    UpdateAnnotation {
        /// Id of an existing experiment.
        experiment: String,
        /// Its table.
        target: AnnotationTarget,
        /// The annotation's id.
        id: String,
        /// The new value.
        value: Option<AnnotationValue>,
        /// The new rationale.
        rationale: Option<String>,
    },
    /// Deletes an annotation; an id not stored changes nothing (as in luml).
    DeleteAnnotation {
        /// Id of an existing experiment.
        experiment: String,
        /// Its table.
        target: AnnotationTarget,
        /// The annotation's id.
        id: String,
    },
}

impl Record {
    /// The record with [`Record::SpanRecords`] converted to [`Record::Spans`], for code that
    /// handles spans in one shape.
    pub fn with_spans_converted(self) -> Record {
        match self {
            Record::SpanRecords { experiment, spans } => Record::Spans {
                experiment,
                spans: spans.into_iter().map(SpanRecord::into_span).collect(),
            },
            other => other,
        }
    }

    /// The id of the experiment this record writes to (the new id for [`Record::Create`]).
    pub fn experiment(&self) -> &str {
        match self {
            Record::Create(n) => &n.id,
            Record::SetStatus { experiment, .. }
            | Record::Params { experiment, .. }
            | Record::Metrics { experiment, .. }
            | Record::Spans { experiment, .. }
            | Record::SpanRecords { experiment, .. }
            | Record::Attachment { experiment, .. }
            | Record::Model { experiment, .. }
            | Record::EvalSample { experiment, .. }
            | Record::EvalTraceLink { experiment, .. }
            | Record::Annotation { experiment, .. }
            | Record::UpdateAnnotation { experiment, .. }
            | Record::DeleteAnnotation { experiment, .. } => experiment,
        }
    }
}

/// Records written together, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Applied in this order; records may name different experiments.
    pub records: Vec<Record>,
}

/// What a write touched: each experiment and, per metric key, the highest step written
/// (empty for records without points). Live views fetch only what is past their last step.
pub type Touched = Vec<(String, std::collections::BTreeMap<String, i64>)>;

/// Called with what another writer committed; see [`Store::watch`].
pub type ChangeCallback = std::sync::Arc<dyn Fn(Touched) + Send + Sync>;

impl Batch {
    /// Each experiment this batch touches, in first-seen order, with each metric key's
    /// highest step: what a live view needs to hear about it.
    pub fn touched(&self) -> Touched {
        let mut touched: Touched = Vec::new();
        for r in &self.records {
            let id = r.experiment();
            let i = match touched.iter().position(|(e, _)| e == id) {
                Some(i) => i,
                None => {
                    touched.push((id.to_string(), std::collections::BTreeMap::new()));
                    touched.len() - 1
                }
            };
            if let Record::Metrics { key, points, .. } = r {
                if let Some(top) = points.iter().map(|p| p.step).max() {
                    let e = touched[i].1.entry(key.clone()).or_insert(top);
                    *e = (*e).max(top);
                }
            }
        }
        touched
    }

    /// True when there is nothing to write (stores may skip the round trip).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The batch with every [`Record::SpanRecords`] converted to [`Record::Spans`]: what a
    /// store that does not take span records writes (borrowed when there are none).
    pub fn with_spans_converted(&self) -> std::borrow::Cow<'_, Batch> {
        if !self
            .records
            .iter()
            .any(|r| matches!(r, Record::SpanRecords { .. }))
        {
            return std::borrow::Cow::Borrowed(self);
        }
        std::borrow::Cow::Owned(Batch {
            records: self
                .records
                .iter()
                .cloned()
                .map(Record::with_spans_converted)
                .collect(),
        })
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
                Record::SpanRecords { spans, .. } => {
                    let hex = |id: u64| crate::HexId::new(u128::from(id), 16);
                    for s in spans {
                        let parent = s.parent_span_id.map(hex);
                        validate::span_ids(
                            crate::HexId::new(s.trace_id, 32).as_str(),
                            hex(s.span_id).as_str(),
                            parent.as_ref().map(crate::HexId::as_str),
                        )?;
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
                Record::EvalSample { sample, .. } => {
                    validate::label("eval id", &sample.id)?;
                    validate::label("dataset id", &sample.dataset_id)?;
                    validate::millis("created_at", sample.created_at)?;
                    validate::millis("updated_at", sample.updated_at)?;
                }
                Record::EvalTraceLink {
                    id,
                    dataset_id,
                    eval_id,
                    trace_id,
                    created_at,
                    ..
                } => {
                    validate::label("link id", id)?;
                    validate::label("dataset id", dataset_id)?;
                    validate::label("eval id", eval_id)?;
                    validate::trace_id(trace_id)?;
                    validate::millis("created_at", *created_at)?;
                }
                Record::Annotation { annotation, .. } => validate::annotation(annotation)?,
                Record::UpdateAnnotation {
                    id,
                    value,
                    rationale,
                    ..
                } => {
                    validate::label("annotation id", id)?;
                    if value.is_none() && rationale.is_none() {
                        return Err(Error::invalid(
                            "annotation update",
                            id.as_str(),
                            "changes nothing: give a value or a rationale",
                        ));
                    }
                    if let Some(AnnotationValue::String(s)) = value {
                        validate::text("annotation value", s)?;
                    }
                    if let Some(r) = rationale {
                        validate::text("annotation rationale", r)?;
                    }
                }
                Record::DeleteAnnotation { id, .. } => validate::label("annotation id", id)?,
            }
        }
        Ok(())
    }

    /// Metric points across all [`Record::Metrics`], for buffer limits and progress.
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
///
/// # Errors every method may return
///
/// - [`Error::ExperimentNotFound`]: a method taking an experiment `id` was given one the
///   store does not hold. An id that breaks the id rules (`../x`) can never exist; stores
///   answer it with `ExperimentNotFound` or [`Error::InvalidInput`] (the memory, browser
///   and PostgreSQL stores the first, the HTTP store the second, SQLite depending on the
///   method), so treat both as "no such experiment".
/// - [`Error::Storage`] (transient: I/O, a lock, a poisoned mutex), [`Error::Corrupt`]
///   (files that exist but cannot be read as a store) and, for remote stores,
///   [`Error::Unavailable`], [`Error::Unauthorized`] and [`Error::Forbidden`].
/// - Methods that change data ([`Store::write`], [`Store::update_experiment`],
///   [`Store::delete_experiment`]) also return [`Error::ReadOnly`] on a store opened
///   read-only and [`Error::QuotaExceeded`] when the storage is full; nothing is changed then.
///
/// Use [`Error::is_transient`] to decide whether to retry. The `conformance` module
/// (feature `conformance`) holds the cases every store must pass.
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
pub trait Store: MaybeSend + MaybeSync + std::fmt::Debug {
    /// The connection string this store was opened with, for display: secrets are left
    /// out (no token; PostgreSQL masks the password).
    fn location(&self) -> String;

    /// Starts calling `on_change` with what *other* writers (another server replica,
    /// another process) commit, as they commit, where the store can tell (PostgreSQL's
    /// `LISTEN/NOTIFY`); writes through this instance are not reported. `Ok(false)`: the
    /// store cannot, and callers keep polling. The watch lasts as long as the store.
    fn watch(&self, on_change: ChangeCallback) -> Result<bool> {
        let _ = on_change;
        Ok(false)
    }

    /// Whether [`Store::write`] takes [`Record::SpanRecords`]. A store that renders rows
    /// straight from records (hex ids and attribute JSON into reused buffers, see
    /// [`crate::SpanText`]) saves the `Span` each traced span otherwise becomes.
    fn takes_span_records(&self) -> bool {
        false
    }

    /// Whether writes run one at a time anyway (one writer lock, as SQLite's): a server
    /// then gathers batches that arrive during a write into the next one (group commit).
    fn writes_one_at_a_time(&self) -> bool {
        false
    }

    /// Applies every record or, on error, as many as the store can roll back: none.
    /// By reference, so a tracker can keep a failed batch for retry without a copy.
    /// An empty batch writes nothing (a read-only SQLite store still refuses it).
    ///
    /// Errors: [`Error::InvalidInput`] when [`Batch::validate`] rejects a record (checked
    /// before anything is written); [`Error::ExperimentExists`] for a [`Record::Create`] of
    /// an id already stored; [`Error::ExperimentNotFound`] for a record naming an
    /// experiment that neither exists nor is created earlier in the batch.
    async fn write(&self, batch: &Batch) -> Result<()>;

    /// Every experiment, newest first (ties by id), with params and latest metrics current
    /// even while it runs. One experiment whose data cannot be read does not fail the list:
    /// it is listed with [`ExperimentInfo::unreadable`] saying why.
    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>>;

    /// The experiments `query` keeps, sorted by its `order_by` (newest first without one):
    /// exactly [`Query::apply`] over [`Store::list_experiments`], which is what this default
    /// does. Stores that can narrow the list where the data lives (SQL over the caches)
    /// override it and must give the same answer; the conformance suite checks they do.
    async fn search_experiments(&self, query: &Query) -> Result<Vec<ExperimentInfo>> {
        Ok(query.apply(self.list_experiments().await?))
    }

    /// One experiment, as [`Store::list_experiments`] shows it.
    /// Errors: [`Error::ExperimentNotFound`].
    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo>;

    /// Every group, by name, with its experiment count. A group outlives its experiments
    /// (its count drops to 0 when they are deleted).
    async fn list_groups(&self) -> Result<Vec<GroupInfo>>;

    /// The metric keys of an experiment, sorted by key (bytewise).
    /// Errors: [`Error::ExperimentNotFound`].
    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>>;

    /// A metric's points in `range` (both ends inclusive), ordered by step, at full
    /// resolution. Unknown key or an empty range (`from > to`): empty, not an error
    /// (the HTTP store: [`Error::InvalidInput`] for `from > to` or a key that breaks the
    /// key rules, as the server checks them). Errors: [`Error::ExperimentNotFound`].
    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>>;

    /// At most `max_points` points over `range` for a chart, keeping the first and last
    /// point and each bucket's extremes, so spikes survive; `max_points` below 4 counts as
    /// 4. A range holding at most `max_points` points comes back whole. Stores with a
    /// faster way (SQL aggregation, an index) override this.
    /// Errors: as [`Store::metric_points`].
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

    /// Stores an attachment from a stream of chunks (replacing one of the same name), for
    /// files too large to hold in memory: stores with files or object storage (SQLite,
    /// PostgreSQL with `?artifacts=`, HTTP) override it to write chunk by chunk; the
    /// default collects the bytes, up to [`WHOLE_ATTACHMENT_LIMIT`], and writes a
    /// [`Record::Attachment`]. Returns the size. Nothing is stored when the stream fails.
    /// Errors: as [`Store::write`] with a `Record::Attachment`.
    async fn put_attachment(
        &self,
        id: &str,
        name: &str,
        created_at: i64,
        chunks: crate::ByteStream,
    ) -> Result<u64> {
        validate::attachment_name(name)?;
        let data = crate::chunks::collect(chunks, WHOLE_ATTACHMENT_LIMIT, name).await?;
        let size = data.len() as u64;
        let batch = Batch {
            records: vec![Record::Attachment {
                experiment: id.to_string(),
                name: name.to_string(),
                data,
                created_at,
            }],
        };
        self.write(&batch).await?;
        Ok(size)
    }

    /// One attachment's size and bytes as a stream of chunks, for large files; the
    /// default reads it whole with [`Store::get_attachment`].
    /// Errors: as [`Store::get_attachment`], before the stream starts.
    async fn read_attachment(&self, id: &str, name: &str) -> Result<(u64, crate::ByteStream)> {
        let data = self.get_attachment(id, name).await?;
        Ok((data.len() as u64, crate::chunks::from_bytes(data)))
    }

    /// An experiment's attachments (names and sizes, not bytes), sorted by name.
    /// Errors: [`Error::ExperimentNotFound`].
    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>>;

    /// The bytes of one attachment.
    /// Errors: [`Error::ExperimentNotFound`]; [`Error::AttachmentNotFound`] for a name not
    /// stored (SQLite also when its file has vanished from disk); [`Error::InvalidInput`]
    /// for a name that breaks the attachment rules (`../x`), checked before the
    /// experiment (the memory and browser stores say `AttachmentNotFound` instead).
    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>>;

    /// Spans of one trace, or of every trace when `trace_id` is `None`, by start time.
    /// An unknown trace id gives an empty list, never [`Error::TraceNotFound`] (the
    /// tracker's `get_trace` turns that into the error).
    /// Errors: [`Error::ExperimentNotFound`].
    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>>;

    /// One summary per trace, by start time (see [`trace_summaries`]).
    /// Errors: as [`Store::list_spans`].
    async fn list_traces(&self, id: &str) -> Result<Vec<TraceSummary>> {
        Ok(trace_summaries(&self.list_spans(id, None).await?))
    }

    /// The models linked to an experiment, in no promised order (SQLite: by creation
    /// time; the memory store: as linked). Errors: [`Error::ExperimentNotFound`].
    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>>;

    /// Changes the fields of `update` that are `Some`; the others stay as they are.
    /// Errors: [`Error::ExperimentNotFound`]. SQLite and the HTTP store (its server) also
    /// check the new name and tags and return [`Error::InvalidInput`] for a bad one; the
    /// others store them as given ([`crate::Tracker::update_experiment`] checks first).
    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()>;

    /// Removes the experiment with all its metrics, spans, attachments and model links;
    /// its group stays. Errors: [`Error::ExperimentNotFound`], also when it was already
    /// deleted (the key-value store: [`Error::InvalidInput`] for an id that breaks the
    /// rules).
    async fn delete_experiment(&self, id: &str) -> Result<()>;

    /// Every eval sample of an experiment, with its linked trace ids, by (dataset id, id).
    /// The default (stores that do not hold evals): none.
    /// Errors: [`Error::ExperimentNotFound`].
    async fn list_eval_samples(&self, id: &str) -> Result<Vec<EvalSample>> {
        self.get_experiment(id).await?;
        Ok(Vec::new())
    }

    /// Every annotation of an experiment (on samples and spans), by creation time, ties
    /// in the order written. The default: none. Errors: [`Error::ExperimentNotFound`].
    async fn list_annotations(&self, id: &str) -> Result<Vec<Annotation>> {
        self.get_experiment(id).await?;
        Ok(Vec::new())
    }

    /// One page of an experiment's samples (see [`EvalQuery`]), each with its annotation
    /// summary. Errors: [`Error::ExperimentNotFound`]; [`Error::InvalidInput`] for a
    /// cursor that is not one.
    async fn eval_page(&self, id: &str, query: &EvalQuery) -> Result<EvalPage> {
        let samples = self.list_eval_samples(id).await?;
        let annotations = self.list_annotations(id).await?;
        crate::evals::query(samples, &annotations, query)
    }

    /// Score averages over an experiment's samples, overall and per dataset.
    /// Errors: [`Error::ExperimentNotFound`].
    async fn eval_summary(&self, id: &str) -> Result<EvalSummary> {
        Ok(crate::evals::summarize(&self.list_eval_samples(id).await?))
    }

    /// Makes everything written so far self-contained on disk (SQLite: folds the write-ahead
    /// log into the database files), for a clean close. The store stays usable. Does
    /// nothing by default and on a read-only store.
    async fn checkpoint(&self) -> Result<()> {
        Ok(())
    }

    /// The store's access tokens, when it keeps them (SQLite, PostgreSQL and memory stores
    /// do): a server over it then accepts those tokens. `None` by default.
    fn tokens(&self) -> Option<&dyn TokenStore> {
        None
    }
}

/// Named access tokens with roles, kept as hashes beside the runs they guard, so every
/// server replica over one database accepts the same tokens.
///
/// Errors: [`Error::InvalidInput`] for a bad or taken name, or revoking a name no active
/// token has; the storage errors of [`Store`].
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
pub trait TokenStore: MaybeSend + MaybeSync {
    /// Keeps a new token. Its name must not belong to a token that is not revoked.
    async fn add_token(&self, token: &NewToken) -> Result<()>;

    /// Every token, revoked ones included, by creation time.
    async fn list_tokens(&self) -> Result<Vec<TokenInfo>>;

    /// Revokes the active token of this name at `at` (Unix ms); it authenticates nothing
    /// from then on. Its row stays, so lists show who had access.
    async fn revoke_token(&self, name: &str, at: i64) -> Result<()>;

    /// The active token whose secret hashes to `hash` ([`crate::token_hash`]), if any.
    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>>;

    /// Records that the named token was used at `at` (Unix ms).
    async fn touch_token(&self, name: &str, at: i64) -> Result<()>;
}

/// The most [`Store::put_attachment`]'s default keeps in memory: stores without streaming
/// refuse larger attachments rather than exhaust memory.
pub const WHOLE_ATTACHMENT_LIMIT: u64 = 512 << 20;

/// The store's tokens, or an error naming the store when it keeps none (the `http://`
/// store: tokens are managed on the database a server serves).
pub fn tokens_of(store: &dyn Store) -> Result<&dyn TokenStore> {
    store.tokens().ok_or_else(|| {
        Error::invalid(
            "store",
            store.location(),
            "keeps no access tokens: use the sqlite:// or postgres:// store a server serves",
        )
    })
}

/// The error for adding a token under a name an active token has.
pub fn token_name_taken(name: &str) -> Error {
    Error::invalid(
        "token name",
        name,
        "is taken by an active token: choose another name, or revoke that token first",
    )
}

/// The error for revoking a name no active token has.
pub fn no_such_token(name: &str) -> Error {
    Error::invalid("token name", name, "no active token has this name")
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

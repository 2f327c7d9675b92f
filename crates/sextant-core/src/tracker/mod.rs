//! The `ExperimentTracker` contract, async and platform-free. Bindings wrap it: the native
//! crate with a blocking API and a flush thread, the wasm crate with JS promises and timers.

mod buffer;
mod evals;

pub use evals::NewAnnotation;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use buffer::OpenRun;

use crate::dump::ExperimentDump;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::model::{
    AttachmentInfo, ExperimentInfo, ExperimentUpdate, GroupInfo, MediaIndex, MetricPoint,
    MetricSummary, ModelInfo, NewExperiment, ParamValue, Span, SpanRecord, Status, StepRange,
    TraceSummary,
};
use crate::store::{Batch, Record, Store};
use crate::{names, validate};

/// When buffered data is handed to the store.
#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    /// A log call reports "flush due" once this many points are buffered.
    pub max_buffered_points: usize,
    /// Platform timers flush data older than this.
    pub interval_ms: i64,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        FlushPolicy {
            max_buffered_points: 100_000,
            interval_ms: 1_000,
        }
    }
}

/// Options for `start_experiment`; everything is optional.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Resume this experiment if it exists, else create it with this id.
    pub id: Option<String>,
    /// Display name; a generated one (`brave-falcon-042`) when `None`.
    pub name: Option<String>,
    /// Group name; [`DEFAULT_GROUP`] when `None`.
    pub group: Option<String>,
    /// Free labels for filtering.
    pub tags: Vec<String>,
    /// Free text shown on the overview page.
    pub description: Option<String>,
    /// The script or program that ran, for the overview page.
    pub source: Option<String>,
    /// Log `system/*` metrics (CPU, memory, disk and network I/O, GPUs) into the run every
    /// few seconds until it ends. Off by default; honoured by the native bindings (the
    /// `sextant` crate and Python), which can read the machine; the core ignores it.
    pub system_metrics: bool,
}

impl StartOptions {
    /// No options: a new experiment with a generated id and name in the default group.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`StartOptions::id`]: resume that experiment, or create it with that id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
    /// Sets [`StartOptions::name`] (only used when creating).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets [`StartOptions::group`] (only used when creating).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }
    /// Sets [`StartOptions::tags`], replacing any given before.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }
    /// Sets [`StartOptions::description`].
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
    /// Sets [`StartOptions::source`].
    pub fn source(mut self, s: impl Into<String>) -> Self {
        self.source = Some(s.into());
        self
    }
    /// Sets [`StartOptions::system_metrics`].
    pub fn system_metrics(mut self, on: bool) -> Self {
        self.system_metrics = on;
        self
    }
}

/// The group of experiments started without one.
pub const DEFAULT_GROUP: &str = "default";

#[derive(Debug, Default)]
struct State {
    open: Vec<OpenRun>,
    current: Option<String>,
    /// Experiments this tracker ended, so logging to them says so.
    ended: HashMap<String, Status>,
    /// A batch whose write failed for a transient reason; written first next time.
    retry: Option<Batch>,
    /// What flushes dropped since `take_dropped` was last called.
    dropped: Dropped,
    /// The batch a flush is writing, so a page being closed can save it elsewhere too.
    in_flight: Option<Arc<Batch>>,
    buffered_points: usize,
    /// Unix ms of the oldest unflushed record (0 when nothing is buffered).
    oldest_unflushed_ms: i64,
}

impl State {
    fn run_mut(&mut self, id: Option<&str>) -> Result<&mut OpenRun> {
        let id = match id {
            Some(id) => id,
            None => self.current.as_deref().ok_or(Error::NoActiveExperiment)?,
        };
        if let Some(i) = self.open.iter().position(|r| r.id == id) {
            return Ok(&mut self.open[i]);
        }
        Err(match self.ended.get(id) {
            Some(status) => Error::ExperimentEnded {
                id: id.to_string(),
                status: status.to_string(),
            },
            None => Error::ExperimentNotOpen(id.to_string()),
        })
    }

    fn resolve(&self, id: Option<&str>) -> Result<String> {
        match id {
            Some(id) => Ok(id.to_string()),
            None => self.current.clone().ok_or(Error::NoActiveExperiment),
        }
    }

    fn mark_buffered(&mut self, now_ms: i64, points: usize) {
        if self.oldest_unflushed_ms == 0 {
            self.oldest_unflushed_ms = now_ms;
        }
        self.buffered_points += points;
    }
}

/// Records (and the points in them) a flush dropped because the store refused them for a
/// reason that retrying cannot fix (see [`Tracker::flush`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Records dropped (any kind).
    pub records: usize,
    /// Metric points inside those records.
    pub points: usize,
}

impl Dropped {
    /// True when nothing was dropped.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }
}

/// The tracker: current experiment, validation, auto-step, buffering, reads.
#[derive(Debug)]
pub struct Tracker {
    store: Arc<dyn Store>,
    env: Arc<dyn Env>,
    policy: FlushPolicy,
    state: Mutex<State>,
    /// See [`Tracker::set_full_store_final`].
    full_store_final: AtomicBool,
}

impl Tracker {
    /// A tracker over `store` with the default [`FlushPolicy`]; no experiment is current.
    pub fn new(store: Arc<dyn Store>, env: Arc<dyn Env>) -> Self {
        Self::with_policy(store, env, FlushPolicy::default())
    }

    /// A tracker with its own flush thresholds.
    pub fn with_policy(store: Arc<dyn Store>, env: Arc<dyn Env>, policy: FlushPolicy) -> Self {
        Tracker {
            store,
            env,
            policy,
            state: Mutex::new(State::default()),
            full_store_final: AtomicBool::new(false),
        }
    }

    /// Whether a full store (`QuotaExceeded`) is retried like other transient failures
    /// (the default: a disk can be freed) or final, as for localStorage, whose few MB do not
    /// free themselves: what does not fit is then dropped and counted, not retried.
    pub fn set_full_store_final(&self, full_store_final: bool) {
        self.full_store_final
            .store(full_store_final, Ordering::Relaxed);
    }

    /// Whether data whose write failed with `e` is kept for the next flush.
    fn retries(&self, e: &Error) -> bool {
        e.is_transient()
            && !(matches!(e, Error::QuotaExceeded { .. })
                && self.full_store_final.load(Ordering::Relaxed))
    }

    /// The store it writes to, for reads the tracker does not wrap.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock and randomness it uses.
    pub fn env(&self) -> &Arc<dyn Env> {
        &self.env
    }

    /// The flush thresholds, for the binding's timer.
    pub fn policy(&self) -> FlushPolicy {
        self.policy
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| Error::storage("tracker state lock poisoned by a panic"))
    }

    /// The current experiment's id, if any.
    pub fn current_experiment(&self) -> Option<String> {
        self.lock().ok().and_then(|s| s.current.clone())
    }

    /// Ids of the experiments this tracker has open (started or resumed, not ended).
    pub fn open_experiments(&self) -> Vec<String> {
        self.lock()
            .map(|s| s.open.iter().map(|r| r.id.clone()).collect())
            .unwrap_or_default()
    }

    // ---- lifecycle ----

    /// Starts an experiment (or resumes the one with `opts.id`) and makes it current.
    pub async fn start_experiment(&self, opts: StartOptions) -> Result<String> {
        if let Some(id) = &opts.id {
            validate::experiment_id(id)?;
            if self.lock()?.open.iter().any(|r| &r.id == id) {
                self.lock()?.current = Some(id.clone());
                return Ok(id.clone());
            }
            match self.store.get_experiment(id).await {
                Ok(existing) => return self.resume(existing).await,
                Err(Error::ExperimentNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let group = opts.group.unwrap_or_else(|| DEFAULT_GROUP.to_string());
        validate::label("group name", &group)?;
        for tag in &opts.tags {
            validate::label("tag", tag)?;
        }
        let name = match opts.name {
            Some(n) => {
                validate::label("experiment name", &n)?;
                n
            }
            None => names::generate(self.env.random_u128()),
        };
        let id = opts.id.unwrap_or_else(|| self.env.new_uuid());
        let now = self.env.now_unix_millis();
        let new = NewExperiment {
            id: id.clone(),
            name,
            group,
            tags: opts.tags,
            created_at: now,
            description: opts.description,
            source: opts.source,
            created_by: None,
        };
        self.store
            .write(&Batch {
                records: vec![Record::Create(new)],
            })
            .await?;
        let mut state = self.lock()?;
        state.ended.remove(&id);
        state
            .open
            .push(OpenRun::new(id.clone(), now, 0.0, HashMap::new()));
        state.current = Some(id.clone());
        Ok(id)
    }

    async fn resume(&self, existing: ExperimentInfo) -> Result<String> {
        let next_steps = self
            .store
            .list_metrics(&existing.id)
            .await?
            .into_iter()
            .map(|m| (m.key, m.last_step.saturating_add(1)))
            .collect();
        self.store
            .write(&Batch {
                records: vec![Record::SetStatus {
                    experiment: existing.id.clone(),
                    status: Status::Running,
                    duration: None,
                }],
            })
            .await?;
        let now = self.env.now_unix_millis();
        let mut state = self.lock()?;
        state.ended.remove(&existing.id);
        state.open.push(OpenRun::new(
            existing.id.clone(),
            now,
            existing.duration.unwrap_or(0.0),
            next_steps,
        ));
        state.current = Some(existing.id.clone());
        Ok(existing.id)
    }

    /// Marks the experiment completed, after making everything buffered durable.
    pub async fn end_experiment(&self, id: Option<&str>) -> Result<()> {
        self.finish(id, Status::Completed).await
    }

    /// Marks the experiment failed, after making everything buffered durable.
    pub async fn fail_experiment(&self, id: Option<&str>) -> Result<()> {
        self.finish(id, Status::Failed).await
    }

    async fn finish(&self, id: Option<&str>, status: Status) -> Result<()> {
        let id = {
            let mut state = self.lock()?;
            state.run_mut(id)?.id.clone()
        };
        // A transient failure keeps the run open (call again); data refused for good was
        // dropped and is reported after the run has ended, so one bad record cannot keep a
        // run from ending.
        let flushed = self.flush().await;
        if matches!(&flushed, Err(e) if self.retries(e)) {
            return flushed;
        }
        let (started, prior) = {
            let state = self.lock()?;
            let run = state
                .open
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| Error::ExperimentNotOpen(id.clone()))?;
            (run.started_ms, run.prior_duration)
        };
        let duration = prior + (self.env.now_unix_millis() - started).max(0) as f64 / 1000.0;
        self.store
            .write(&Batch {
                records: vec![Record::SetStatus {
                    experiment: id.clone(),
                    status,
                    duration: Some(duration),
                }],
            })
            .await?;
        let mut state = self.lock()?;
        state.open.retain(|r| r.id != id);
        state.ended.insert(id.clone(), status);
        if state.current.as_deref() == Some(id.as_str()) {
            state.current = None;
        }
        flushed
    }

    /// Ends every open experiment with `status`: what bindings do when a program stops.
    pub async fn close_all(&self, status: Status) -> Result<()> {
        let ids = self.open_experiments();
        let mut first_err = None;
        for id in ids {
            if let Err(e) = self.finish(Some(&id), status).await {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    // ---- logging (synchronous, buffered) ----

    /// Logs a param; logging a key again replaces it.
    pub fn log_static(
        &self,
        key: &str,
        value: impl Into<ParamValue>,
        id: Option<&str>,
    ) -> Result<()> {
        validate::key("param key", key)?;
        let value = value.into();
        let now = self.env.now_unix_millis();
        let mut state = self.lock()?;
        let run = state.run_mut(id)?;
        run.params.retain(|(k, _)| k != key);
        run.params.push((key.to_string(), value));
        state.mark_buffered(now, 0);
        Ok(())
    }

    /// Buffers one metric point and returns its step. The bool says a flush is due
    /// (the buffer reached the policy's size); the caller decides when to run it.
    #[inline]
    pub fn log_dynamic(
        &self,
        key: &str,
        value: f64,
        step: Option<i64>,
        id: Option<&str>,
    ) -> Result<(i64, bool)> {
        if let Some(s) = step {
            validate::step(s)?;
        }
        let now = self.env.now_unix_millis();
        let mut state = self.lock()?;
        let step = state.run_mut(id)?.push_point(key, value, step, now)?;
        state.mark_buffered(now, 1);
        Ok((
            step,
            state.buffered_points >= self.policy.max_buffered_points,
        ))
    }

    /// Several keys at one step in one call. With no step, each key auto-steps on its own.
    pub fn log_dynamics(
        &self,
        values: &[(&str, f64)],
        step: Option<i64>,
        id: Option<&str>,
    ) -> Result<bool> {
        for (key, _) in values {
            validate::key("metric key", key)?;
        }
        if let Some(s) = step {
            validate::step(s)?;
        }
        let now = self.env.now_unix_millis();
        let mut state = self.lock()?;
        let run = state.run_mut(id)?;
        for (key, value) in values {
            run.push_point(key, *value, step, now)?;
        }
        state.mark_buffered(now, values.len());
        Ok(state.buffered_points >= self.policy.max_buffered_points)
    }

    /// Buffers one span after checking its ids and times.
    pub fn log_span(&self, span: Span, id: Option<&str>) -> Result<()> {
        validate::span_ids(
            &span.trace_id,
            &span.span_id,
            span.parent_span_id.as_deref(),
        )?;
        if span.name.is_empty() {
            return Err(Error::invalid("span name", "", "must not be empty"));
        }
        if span.end_time_unix_nano < span.start_time_unix_nano {
            return Err(Error::invalid(
                "span",
                span.name.clone(),
                format!(
                    "ends ({}) before it starts ({})",
                    span.end_time_unix_nano, span.start_time_unix_nano
                ),
            ));
        }
        let now = self.env.now_unix_millis();
        let mut state = self.lock()?;
        state.run_mut(id)?.spans.push(span);
        state.mark_buffered(now, 1);
        Ok(())
    }

    /// Buffers one span recorded in-process (the `tracing` layer's path): its ids are
    /// numbers and its strings are made at flush, so this costs a lock and a push.
    pub fn log_span_record(&self, span: SpanRecord, id: Option<&str>) -> Result<()> {
        if span.trace_id == 0 || span.span_id == 0 || span.parent_span_id == Some(0) {
            return Err(Error::invalid(
                "span",
                span.name,
                "has an all-zero trace or span id",
            ));
        }
        if span.name.is_empty() {
            return Err(Error::invalid("span name", "", "must not be empty"));
        }
        if span.end_time_unix_nano < span.start_time_unix_nano {
            return Err(Error::invalid(
                "span",
                span.name,
                format!(
                    "ends ({}) before it starts ({})",
                    span.end_time_unix_nano, span.start_time_unix_nano
                ),
            ));
        }
        let now = self.env.now_unix_millis();
        let mut state = self.lock()?;
        state.run_mut(id)?.span_records.push(span);
        state.mark_buffered(now, 1);
        Ok(())
    }

    /// Stores an attachment at once (attachments can be large; they skip the buffer).
    pub async fn log_attachment(&self, name: &str, data: Vec<u8>, id: Option<&str>) -> Result<()> {
        validate::attachment_name(name)?;
        let experiment = self.lock()?.run_mut(id)?.id.clone();
        let record = Record::Attachment {
            experiment,
            name: name.to_string(),
            data,
            created_at: self.env.now_unix_millis(),
        };
        self.store
            .write(&Batch {
                records: vec![record],
            })
            .await
    }

    /// Stores a PNG or JPEG (told apart by its first bytes; anything else is
    /// [`Error::InvalidInput`]) as the attachment `media/KEY/STEP.png` (or `.jpg`) and adds
    /// it to `media/KEY/index.json` (see [`MediaIndex`]), both in one write, at once. A step
    /// logged again replaces that step's image. Bindings serialize calls (as they do
    /// flushes), so the index read-modify-write never interleaves within a tracker.
    pub async fn log_image(
        &self,
        key: &str,
        data: Vec<u8>,
        step: i64,
        id: Option<&str>,
    ) -> Result<()> {
        let format = crate::ImageFormat::sniff(&data)?;
        let name = crate::model::media::image_name(key, step, format)?;
        let experiment = self.lock()?.run_mut(id)?.id.clone();
        let index_name = MediaIndex::attachment_name(key);
        let mut index = match self.store.get_attachment(&experiment, &index_name).await {
            Ok(bytes) => MediaIndex::parse(&bytes)?,
            Err(Error::AttachmentNotFound { .. }) => MediaIndex {
                key: key.to_string(),
                images: Vec::new(),
            },
            Err(e) => return Err(e),
        };
        let now = self.env.now_unix_millis();
        index.insert(crate::MediaImage {
            step,
            name: name.clone(),
            size: data.len() as u64,
            format,
            logged_at: now,
        });
        let index_bytes = serde_json::to_vec(&index)
            .map_err(|e| Error::storage(format!("image index for {key:?}: {e}")))?;
        let records = vec![
            Record::Attachment {
                experiment: experiment.clone(),
                name,
                data,
                created_at: now,
            },
            Record::Attachment {
                experiment,
                name: index_name,
                data: index_bytes,
                created_at: now,
            },
        ];
        self.store.write(&Batch { records }).await
    }

    /// Records that `model` came from the experiment (any experiment in the store).
    pub async fn record_model(&self, model: ModelInfo, id: Option<&str>) -> Result<()> {
        let experiment = self.lock()?.resolve(id)?;
        self.store
            .write(&Batch {
                records: vec![Record::Model { experiment, model }],
            })
            .await
    }

    // ---- durability ----

    /// Points waiting for the next flush.
    pub fn buffered_points(&self) -> usize {
        self.lock().map(|s| s.buffered_points).unwrap_or(0)
    }

    /// True when buffered data is older than the policy's interval or too big.
    pub fn flush_due(&self) -> bool {
        let now = self.env.now_unix_millis();
        self.lock()
            .map(|s| {
                (s.oldest_unflushed_ms != 0
                    && now - s.oldest_unflushed_ms >= self.policy.interval_ms)
                    || s.buffered_points >= self.policy.max_buffered_points
                    || s.retry.is_some()
            })
            .unwrap_or(false)
    }

    /// Hands everything buffered to the store in one batch. Bindings must not run two
    /// flushes at once (they serialize them), or batches could land out of order.
    ///
    /// When the write fails for a transient reason the batch is kept and written first by
    /// the next flush. Otherwise (a full store, a deleted experiment) the records are
    /// written one by one, those the store still refuses are dropped and counted (see
    /// [`Tracker::take_dropped`]), and the error is returned: nothing refused for good stays
    /// in the buffer to block later flushes.
    pub async fn flush(&self) -> Result<()> {
        let batch = {
            let mut later = Vec::new();
            let mut records = {
                let mut state = self.lock()?;
                let mut records = state.retry.take().map(|b| b.records).unwrap_or_default();
                for run in &mut state.open {
                    run.drain_deferred(&mut records, &mut later);
                }
                state.buffered_points = 0;
                state.oldest_unflushed_ms = 0;
                records
            };
            records.extend(buffer::spans_from_records(
                later,
                self.store.takes_span_records(),
            ));
            Batch { records }
        };
        if batch.is_empty() {
            return Ok(());
        }
        let batch = Arc::new(batch);
        self.lock()?.in_flight = Some(batch.clone());
        let written = self.store.write(&batch).await;
        self.lock()?.in_flight = None;
        let e = match written {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let batch = Arc::try_unwrap(batch).unwrap_or_else(|shared| (*shared).clone());
        if self.retries(&e) {
            // The failure may pass (I/O, a full disk, a restarting server): keep the
            // whole batch, in order, for the next flush.
            self.keep_for_retry(batch.records)?;
            return Err(e);
        }
        // Some record can never be written (its experiment deleted, a name the store
        // refuses, a full localStorage). Stores apply a batch all-or-nothing, so nothing of it
        // landed: write the records one by one, drop (and count, see `take_dropped`) only
        // those refused for good, and keep the rest, so one bad record never blocks every
        // later flush.
        let mut kept = Vec::new();
        let mut refused = None;
        let mut dropped = Dropped::default();
        for record in batch.records {
            if !kept.is_empty() {
                kept.push(record);
                continue;
            }
            let one = Batch {
                records: vec![record],
            };
            match self.store.write(&one).await {
                Ok(()) => {}
                Err(e) if self.retries(&e) => kept.extend(one.records),
                Err(e) => {
                    dropped.records += 1;
                    dropped.points += one.point_count();
                    refused.get_or_insert(e);
                }
            }
        }
        if !kept.is_empty() {
            self.keep_for_retry(kept)?;
        }
        let mut state = self.lock()?;
        state.dropped.records += dropped.records;
        state.dropped.points += dropped.points;
        Err(refused.unwrap_or(e))
    }

    /// Everything not yet known to be stored — the batch being written, the one kept for
    /// retry, the buffer — plus a `status` record for each open experiment, for a binding
    /// that must save it synchronously elsewhere (a page being closed: see sextant-web).
    /// The buffer is left empty; the experiments stay open in this tracker.
    pub fn write_ahead(&self, status: Status) -> Batch {
        let now = self.env.now_unix_millis();
        let Ok(mut state) = self.lock() else {
            return Batch::default();
        };
        let mut records = state
            .in_flight
            .as_ref()
            .map(|b| b.records.clone())
            .unwrap_or_default();
        if let Some(retry) = state.retry.take() {
            records.extend(retry.records);
        }
        for run in &mut state.open {
            run.drain_into(&mut records);
            records.push(Record::SetStatus {
                experiment: run.id.clone(),
                status,
                duration: Some(run.prior_duration + (now - run.started_ms).max(0) as f64 / 1000.0),
            });
        }
        state.buffered_points = 0;
        state.oldest_unflushed_ms = 0;
        Batch { records }
    }

    /// What flushes dropped since the last call (and resets the count).
    pub fn take_dropped(&self) -> Dropped {
        self.lock()
            .map(|mut s| std::mem::take(&mut s.dropped))
            .unwrap_or_default()
    }

    /// Records and points kept for retry after a transient failure (0, 0 when none).
    pub fn pending(&self) -> Dropped {
        self.lock()
            .ok()
            .and_then(|s| {
                s.retry.as_ref().map(|b| Dropped {
                    records: b.records.len(),
                    points: b.point_count(),
                })
            })
            .unwrap_or_default()
    }

    /// Gives up on the data kept for retry, for programs that decide it cannot be written;
    /// returns what was discarded.
    pub fn discard_pending(&self) -> Dropped {
        let Ok(mut state) = self.lock() else {
            return Dropped::default();
        };
        let Some(batch) = state.retry.take() else {
            return Dropped::default();
        };
        let points = batch.point_count();
        state.buffered_points = state.buffered_points.saturating_sub(points);
        Dropped {
            records: batch.records.len(),
            points,
        }
    }

    /// Puts records back at the front of the next flush.
    fn keep_for_retry(&self, records: Vec<Record>) -> Result<()> {
        let batch = Batch { records };
        let mut state = self.lock()?;
        state.buffered_points += batch.point_count();
        if state.oldest_unflushed_ms == 0 {
            state.oldest_unflushed_ms = self.env.now_unix_millis();
        }
        state.retry = Some(batch);
        Ok(())
    }

    // ---- reads (flush first, so a tracker reads its own writes) ----

    /// See [`Store::list_experiments`]. Like every read here (except attachments and
    /// models, which skip the buffer), it flushes first, so a flush error can surface.
    pub async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        self.flush().await?;
        self.store.list_experiments().await
    }

    /// See [`Store::search_experiments`]; flushes first, like [`Self::list_experiments`].
    pub async fn search_experiments(
        &self,
        query: &crate::search::Query,
    ) -> Result<Vec<ExperimentInfo>> {
        self.flush().await?;
        self.store.search_experiments(query).await
    }

    /// One experiment (the current one when `id` is `None`).
    /// Errors: [`Error::NoActiveExperiment`], [`Error::ExperimentNotFound`].
    pub async fn get_experiment(&self, id: Option<&str>) -> Result<ExperimentInfo> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.get_experiment(&id).await
    }

    /// See [`Store::list_groups`].
    pub async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        self.flush().await?;
        self.store.list_groups().await
    }

    /// An experiment's metric keys, sorted (see [`Store::list_metrics`]).
    pub async fn list_metrics(&self, id: Option<&str>) -> Result<Vec<MetricSummary>> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.list_metrics(&id).await
    }

    /// Every point of a metric, by step; an unknown key gives an empty list, an unknown
    /// experiment [`Error::ExperimentNotFound`].
    pub async fn get_metric_history(
        &self,
        id: Option<&str>,
        key: &str,
    ) -> Result<Vec<MetricPoint>> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.get_experiment(&id).await?;
        self.store.metric_points(&id, key, StepRange::ALL).await
    }

    /// At most `max_points` points of a metric over `range`, extremes kept.
    pub async fn get_metric_series(
        &self,
        id: Option<&str>,
        key: &str,
        range: StepRange,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.metric_series(&id, key, range, max_points).await
    }

    /// An experiment's attachments by name (see [`Store::list_attachments`]).
    pub async fn list_attachments(&self, id: Option<&str>) -> Result<Vec<AttachmentInfo>> {
        let id = self.lock()?.resolve(id)?;
        self.store.list_attachments(&id).await
    }

    /// One attachment's bytes. Checks the name first, so a bad one is
    /// [`Error::InvalidInput`] in every store; a missing one [`Error::AttachmentNotFound`].
    pub async fn get_attachment(&self, id: Option<&str>, name: &str) -> Result<Vec<u8>> {
        validate::attachment_name(name)?;
        let id = self.lock()?.resolve(id)?;
        self.store.get_attachment(&id, name).await
    }

    /// One summary per trace, by start time.
    pub async fn list_traces(&self, id: Option<&str>) -> Result<Vec<TraceSummary>> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.list_traces(&id).await
    }

    /// A trace's spans by start time; an unknown trace id is [`Error::TraceNotFound`].
    pub async fn get_trace(&self, id: Option<&str>, trace_id: &str) -> Result<Vec<Span>> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        let spans = self.store.list_spans(&id, Some(trace_id)).await?;
        if spans.is_empty() {
            return Err(Error::TraceNotFound {
                experiment: id,
                trace_id: trace_id.to_string(),
            });
        }
        Ok(spans)
    }

    /// The models linked to an experiment.
    pub async fn list_models(&self, id: Option<&str>) -> Result<Vec<ModelInfo>> {
        let id = self.lock()?.resolve(id)?;
        self.store.list_models(&id).await
    }

    /// Renames, redescribes or retags an experiment (`None` fields stay). Checks the new
    /// name and tags first, so a bad one is [`Error::InvalidInput`] in every store.
    pub async fn update_experiment(
        &self,
        id: Option<&str>,
        update: ExperimentUpdate,
    ) -> Result<()> {
        if let Some(n) = &update.name {
            validate::label("experiment name", n)?;
        }
        for tag in update.tags.iter().flatten() {
            validate::label("tag", tag)?;
        }
        let id = self.lock()?.resolve(id)?;
        self.store.update_experiment(&id, &update).await
    }

    /// Deletes an experiment and everything logged to it (open ones are closed first).
    pub async fn delete_experiment(&self, id: &str) -> Result<()> {
        validate::experiment_id(id)?;
        {
            let mut state = self.lock()?;
            state.open.retain(|r| r.id != id);
            if state.current.as_deref() == Some(id) {
                state.current = None;
            }
        }
        self.store.delete_experiment(id).await
    }

    // ---- snapshots ----

    /// Everything about one experiment, for export.
    pub async fn dump(&self, id: Option<&str>) -> Result<ExperimentDump> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        ExperimentDump::read(self.store.as_ref(), &id).await
    }

    /// Writes a dumped experiment into this tracker's store; fails if its id exists.
    pub async fn import_dump(&self, dump: ExperimentDump) -> Result<String> {
        validate::experiment_id(&dump.info.id)?;
        let id = dump.info.id.clone();
        match self.store.get_experiment(&id).await {
            Ok(_) => return Err(Error::ExperimentExists(id)),
            Err(Error::ExperimentNotFound(_)) => {}
            Err(e) => return Err(e),
        }
        self.store.write(&dump.into_batch()).await?;
        Ok(id)
    }
}

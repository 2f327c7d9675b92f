//! The blocking `ExperimentTracker`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sextant_core::{
    AttachmentInfo, ExperimentDump, ExperimentInfo, ExperimentUpdate, FlushPolicy, GroupInfo,
    MetricPoint, MetricSummary, ModelInfo, ParamValue, Result, Span, StartOptions, Status,
    StepRange, Store, TraceSummary, Tracker,
};
use sextant_native::CoarseClockEnv;

use crate::flusher::{tick_for, Flusher, Shared};
use crate::model_link;
use crate::system::Sampler;

/// Tracks experiments into one store, with the contract of `tracker-api.md`.
///
/// Methods that take `id: Option<&str>` act on the current experiment (the one last
/// started) when given `None`. Logging only buffers; data becomes durable at [`flush`],
/// at end or fail, when the buffer is full, and within about a second on a background
/// thread. The tracker is `Send + Sync`: share it between threads by reference or `Arc`.
///
/// Dropping the tracker ends every experiment it still has open: `completed` normally,
/// `failed` when the drop happens while the thread panics (so a crashed training loop is
/// marked as such). Errors at drop are printed to stderr, since drop cannot return them.
///
/// [`flush`]: ExperimentTracker::flush
#[derive(Debug)]
pub struct ExperimentTracker {
    pub(crate) shared: Arc<Shared>,
    flusher: Option<Flusher>,
    /// The system-metrics threads of runs started with `system_metrics`, by run id.
    samplers: Mutex<HashMap<String, Sampler>>,
    system_interval: Duration,
}

impl ExperimentTracker {
    /// Opens the store a connection string names:
    ///
    /// | string | store |
    /// |---|---|
    /// | `sqlite://DIR` (`sqlite://./experiments`, `sqlite:///abs/dir`) | luml's directory layout: `DIR/meta.db` + one `DIR/<id>/exp.db` per run. Opened read-only, with a clear error on writes, when `DIR` cannot be written. |
    /// | `memory://` | in this process only; gone when it exits |
    /// | `http://host:port`, `https://host` | a `sextant serve` server; its token from `?token=…` or else `SEXTANT_TOKEN` |
    /// | `postgres://user:pass@host:port/db?schema=…&artifacts=file:///DIR&sslmode=require` | the team tier: metadata and metrics in PostgreSQL, attachment bytes in PostgreSQL or an object store (see `docs/team-server.md`) |
    ///
    /// Anything else fails with the list of valid forms.
    pub fn new(connection: &str) -> Result<Self> {
        Ok(Self::with_store(crate::open_store(connection)?))
    }

    /// [`new`](Self::new) with explicit settings (a token) instead of the environment.
    pub fn open(connection: &str, options: crate::OpenOptions) -> Result<Self> {
        Ok(Self::with_store(crate::open_store_with(
            connection, options,
        )?))
    }

    /// Opens [`DEFAULT_STORE`](crate::DEFAULT_STORE), `./experiments`.
    pub fn default_store() -> Result<Self> {
        Self::new(crate::DEFAULT_STORE)
    }

    /// Tracks into an already open store; several trackers may share one.
    pub fn with_store(store: Arc<dyn Store>) -> Self {
        Self::with_policy(store, FlushPolicy::default())
    }

    /// Like [`with_store`](Self::with_store) with a custom flush size and interval.
    pub fn with_policy(store: Arc<dyn Store>, policy: FlushPolicy) -> Self {
        // Points are stamped in milliseconds; a clock read from an atomic keeps the OS
        // clock (~50 ns on a VM) out of every logging call.
        let tracker = Tracker::with_policy(store, Arc::new(CoarseClockEnv::start()), policy);
        let shared = Arc::new(Shared::new(tracker));
        let flusher = Flusher::spawn(shared.clone(), tick_for(policy.interval_ms));
        ExperimentTracker {
            shared,
            flusher,
            samplers: Mutex::new(HashMap::new()),
            system_interval: crate::system::DEFAULT_INTERVAL,
        }
    }

    /// How often runs started with [`StartOptions::system_metrics`] sample (5 s unless
    /// set); applies to runs started after the call.
    pub fn set_system_metrics_interval(&mut self, every: Duration) {
        self.system_interval = every;
    }

    fn samplers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sampler>> {
        // A panic while holding the map leaves it usable: it only holds thread handles.
        self.samplers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops the system metrics of `id` (the current run for `None`), if it has them, so
    /// nothing is logged into it once it ends.
    fn stop_sampler(&self, id: Option<&str>) {
        let id = id.map(str::to_string).or_else(|| self.current_experiment());
        let sampler = id.and_then(|id| self.samplers().remove(&id));
        if let Some(s) = sampler {
            s.stop();
        }
    }

    /// A `tracing-subscriber` layer that records every span of the `tracing` crate into
    /// the current experiment, for programs that compose their own subscriber.
    pub fn tracing_layer(&self) -> sextant_tracing::SextantLayer {
        sextant_tracing::SextantLayer::new(self.shared.tracker.clone())
    }

    /// Installs [`tracing_layer`](Self::tracing_layer) as the process's global subscriber,
    /// so `#[instrument]`ed functions and `tracing` spans land in the current experiment.
    /// A process has one global subscriber: if one is set already, add the layer to it.
    pub fn enable_tracing(&self) -> Result<()> {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(self.tracing_layer());
        tracing::subscriber::set_global_default(subscriber).map_err(|_| sextant_core::Error::InvalidInput {
            what: "tracing subscriber",
            value: "global default".into(),
            reason: "one is already installed in this process; add tracker.tracing_layer() to it instead".into(),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        self.shared.tracker.store()
    }

    /// The experiments this tracker has started or resumed and not yet ended.
    pub fn open_experiments(&self) -> Vec<String> {
        self.shared.tracker.open_experiments()
    }

    /// The current experiment's id, if one is started.
    pub fn current_experiment(&self) -> Option<String> {
        self.shared.tracker.current_experiment()
    }

    // ---- lifecycle ----

    /// Starts an experiment (or resumes the one with `opts.id`) and makes it current. With
    /// [`StartOptions::system_metrics`], a thread logs `system/*` metrics into it (CPU,
    /// memory, disk and network I/O, GPUs when NVML loads) until it ends.
    pub fn start_experiment(&self, opts: StartOptions) -> Result<String> {
        let system = opts.system_metrics;
        let id = self.shared.run(|t| t.start_experiment(opts))?;
        if system {
            let mut samplers = self.samplers();
            if !samplers.contains_key(&id) {
                let sampler = Sampler::start(self.shared.clone(), id.clone(), self.system_interval);
                samplers.insert(id.clone(), sampler);
            }
        }
        Ok(id)
    }

    /// Starts a new experiment with this name in the default group.
    pub fn start(&self, name: &str) -> Result<String> {
        self.start_experiment(StartOptions::new().name(name))
    }

    /// Marks the experiment completed after making everything buffered durable.
    pub fn end_experiment(&self, id: Option<&str>) -> Result<()> {
        self.stop_sampler(id);
        let r = self.shared.run(|t| t.end_experiment(id));
        self.shared.with_deferred(r)
    }

    /// Marks the experiment failed after making everything buffered durable.
    pub fn fail_experiment(&self, id: Option<&str>) -> Result<()> {
        self.stop_sampler(id);
        let r = self.shared.run(|t| t.fail_experiment(id));
        self.shared.with_deferred(r)
    }

    // ---- logging ----

    /// Logs a param (string, number, bool or JSON); logging a key again replaces it.
    pub fn log_static(
        &self,
        key: &str,
        value: impl Into<ParamValue>,
        id: Option<&str>,
    ) -> Result<()> {
        self.shared.tracker.log_static(key, value, id)
    }

    /// Buffers one metric point and returns its step (`None`: the key's next step).
    /// A full buffer is handed to the flush thread; should that flush fail, the points
    /// stay buffered for a retry and the error is reported by the next `flush`/end.
    #[inline]
    pub fn log_dynamic(
        &self,
        key: &str,
        value: f64,
        step: Option<i64>,
        id: Option<&str>,
    ) -> Result<i64> {
        let (step, flush_due) = self.shared.tracker.log_dynamic(key, value, step, id)?;
        if flush_due {
            self.buffer_full();
        }
        Ok(step)
    }

    /// A full buffer is written by the flush thread while the caller keeps logging, so
    /// logging and writing overlap; only when the writer falls far behind does the caller
    /// wait (which bounds memory).
    #[cold]
    fn buffer_full(&self) {
        let limit = self
            .shared
            .tracker
            .policy()
            .max_buffered_points
            .saturating_mul(4);
        let nudged = self.shared.tracker.buffered_points() < limit
            && self.flusher.as_ref().is_some_and(Flusher::nudge);
        if !nudged {
            self.shared.flush_quietly();
        }
    }

    /// Several keys at one step in one call (with no step, each key auto-steps).
    pub fn log_dynamics(
        &self,
        values: &[(&str, f64)],
        step: Option<i64>,
        id: Option<&str>,
    ) -> Result<()> {
        if self.shared.tracker.log_dynamics(values, step, id)? {
            self.buffer_full();
        }
        Ok(())
    }

    /// Stores text or bytes under a relative name (subfolders allowed, no `..`). Written
    /// at once, not buffered.
    pub fn log_attachment(
        &self,
        name: &str,
        data: impl Into<Vec<u8>>,
        id: Option<&str>,
    ) -> Result<()> {
        let data = data.into();
        self.shared.run(|t| t.log_attachment(name, data, id))
    }

    /// Stores a PNG or JPEG image of `key` at `step` as the attachment
    /// `media/KEY/STEP.png` (`.jpg` for JPEG bytes) and indexes it in
    /// `media/KEY/index.json`, which the dashboard's image slider reads. Bytes that are
    /// neither PNG nor JPEG are refused (`INVALID_INPUT`). Written at once, not buffered.
    pub fn log_image(
        &self,
        key: &str,
        data: impl Into<Vec<u8>>,
        step: i64,
        id: Option<&str>,
    ) -> Result<()> {
        let data = data.into();
        self.shared.run(|t| t.log_image(key, data, step, id))
    }

    /// Copies a file's contents into the experiment as attachment `name`.
    pub fn log_attachment_file(
        &self,
        name: &str,
        path: impl AsRef<Path>,
        id: Option<&str>,
    ) -> Result<()> {
        let path = path.as_ref();
        let data =
            std::fs::read(path).map_err(|e| model_link::file_error("attachment file", path, &e))?;
        self.log_attachment(name, data, id)
    }

    /// Buffers one OpenTelemetry-shaped span.
    pub fn log_span(&self, span: Span, id: Option<&str>) -> Result<()> {
        self.shared.tracker.log_span(span, id)
    }

    /// Makes everything buffered durable now. Also reports a background flush that failed
    /// in a way that lost data since the last call.
    pub fn flush(&self) -> Result<()> {
        let r = self.shared.run(Tracker::flush);
        self.shared.with_deferred(r)
    }

    // ---- reads ----

    /// Every experiment in the store, newest first.
    pub fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        self.shared.run(Tracker::list_experiments)
    }

    /// The experiments a search-language filter keeps (`metrics.acc > 0.9 and tags =
    /// 'baseline'`; see docs/search.md), newest first. An empty filter keeps them all.
    pub fn list_experiments_filtered(&self, filter: &str) -> Result<Vec<ExperimentInfo>> {
        self.search_experiments(filter, "")
    }

    /// Like [`Self::list_experiments_filtered`], sorted by `order_by`
    /// (`metrics.val_acc DESC, attributes.created_at`). The store evaluates the filter the
    /// best way it can (SQL for SQLite and PostgreSQL; see [`sextant_core::Store::search_experiments`]).
    pub fn search_experiments(&self, filter: &str, order_by: &str) -> Result<Vec<ExperimentInfo>> {
        let query = sextant_core::search::Query::parse(filter, order_by)?;
        self.shared.run(|t| t.search_experiments(&query))
    }

    pub fn get_experiment(&self, id: Option<&str>) -> Result<ExperimentInfo> {
        self.shared.run(|t| t.get_experiment(id))
    }

    pub fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        self.shared.run(Tracker::list_groups)
    }

    /// The experiment's metric keys with counts and latest values, sorted by key.
    pub fn list_metrics(&self, id: Option<&str>) -> Result<Vec<MetricSummary>> {
        self.shared.run(|t| t.list_metrics(id))
    }

    /// Every point of a metric, by step.
    pub fn get_metric_history(&self, id: Option<&str>, key: &str) -> Result<Vec<MetricPoint>> {
        self.shared.run(|t| t.get_metric_history(id, key))
    }

    /// At most `max_points` points of a metric, each bucket's extremes kept (for charts).
    pub fn get_metric_series(
        &self,
        id: Option<&str>,
        key: &str,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        self.get_metric_series_in(id, key, StepRange::ALL, max_points)
    }

    /// [`get_metric_series`](Self::get_metric_series) over a step range.
    pub fn get_metric_series_in(
        &self,
        id: Option<&str>,
        key: &str,
        range: StepRange,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        self.shared
            .run(|t| t.get_metric_series(id, key, range, max_points))
    }

    pub fn list_attachments(&self, id: Option<&str>) -> Result<Vec<AttachmentInfo>> {
        self.shared.run(|t| t.list_attachments(id))
    }

    pub fn get_attachment(&self, id: Option<&str>, name: &str) -> Result<Vec<u8>> {
        self.shared.run(|t| t.get_attachment(id, name))
    }

    pub fn list_traces(&self, id: Option<&str>) -> Result<Vec<TraceSummary>> {
        self.shared.run(|t| t.list_traces(id))
    }

    /// A trace's spans by start time.
    pub fn get_trace(&self, id: Option<&str>, trace_id: &str) -> Result<Vec<Span>> {
        self.shared.run(|t| t.get_trace(id, trace_id))
    }

    /// Models linked to the experiment.
    pub fn list_models(&self, id: Option<&str>) -> Result<Vec<ModelInfo>> {
        self.shared.run(|t| t.list_models(id))
    }

    // ---- changes ----

    /// Changes name, description or tags (`None` fields stay as they are).
    pub fn update_experiment(&self, id: Option<&str>, update: ExperimentUpdate) -> Result<()> {
        self.shared.run(|t| t.update_experiment(id, update))
    }

    /// Deletes an experiment and everything logged to it.
    pub fn delete_experiment(&self, id: &str) -> Result<()> {
        self.shared.run(|t| t.delete_experiment(id))
    }

    // ---- snapshots and models ----

    /// Everything about one experiment, in memory.
    pub fn dump(&self, id: Option<&str>) -> Result<ExperimentDump> {
        self.shared.run(|t| t.dump(id))
    }

    /// Writes the experiment as a luml-compatible snapshot tar at `output_path`.
    pub fn export(&self, output_path: impl AsRef<Path>, id: Option<&str>) -> Result<()> {
        let dump = self.dump(id)?;
        model_link::export(&dump, output_path.as_ref())
    }

    /// Brings a snapshot tar (from `export` or luml) into this store; returns its id.
    /// Fails if the store already has an experiment with that id.
    pub fn import(&self, path: impl AsRef<Path>) -> Result<String> {
        let dump = model_link::import(path.as_ref())?;
        self.shared.run(|t| t.import_dump(dump))
    }

    /// Records that the model file came from the experiment and attaches a snapshot of the
    /// experiment to it: inside a `.luml` model, else as `<file>.snapshot.tar` beside it.
    pub fn link_to_model(
        &self,
        model_path: impl AsRef<Path>,
        id: Option<&str>,
    ) -> Result<ModelInfo> {
        let dump = self.dump(id)?;
        let linked = model_link::attach(model_path.as_ref(), &dump)?;
        let env = self.shared.tracker.env();
        let model = ModelInfo {
            id: env.new_uuid(),
            name: linked.file_name,
            path: linked.absolute_path.to_string_lossy().into_owned(),
            created_at: env.now_unix_millis(),
            size: Some(linked.size),
        };
        let experiment = dump.info.id.as_str();
        self.shared
            .run(|t| t.record_model(model.clone(), Some(experiment)))?;
        Ok(model)
    }
}

impl Drop for ExperimentTracker {
    fn drop(&mut self) {
        let samplers: Vec<Sampler> = self.samplers().drain().map(|(_, s)| s).collect();
        for s in samplers {
            s.stop();
        }
        if let Some(flusher) = self.flusher.take() {
            flusher.stop();
        }
        let status = if std::thread::panicking() {
            Status::Failed
        } else {
            Status::Completed
        };
        if let Err(e) = self.shared.run(|t| t.close_all(status)) {
            eprintln!("sextant: ending experiments when the tracker was dropped: {e}");
        }
        if let Some(e) = self.shared.take_deferred() {
            eprintln!("sextant: a background flush lost data: {e}");
        }
        // A tracing layer may keep the store alive past this tracker (and past exit), so
        // fold the WAL in now: copying only the .db files then loses nothing.
        let _ = self.shared.run(|t| t.store().checkpoint());
    }
}

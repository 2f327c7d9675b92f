//! The `postgres://` store: Sextant's team tier. Metadata and metrics live in PostgreSQL
//! (one schema per store, migrated on open), attachment bytes in the database or an object
//! store (`?artifacts=`). Any number of `sextant serve` replicas can share one database.
//!
//! The store runs its own small tokio runtime: callers may be blocking code driving
//! futures with `pollster` (the CLI, the blocking tracker) or tokio tasks (the server), and
//! tokio-postgres needs a tokio reactor either way.

mod artifacts;
mod blocks;
mod config;
mod errors;
mod evals;
mod migrate;
mod notify;
mod read;
mod search;
mod series;
mod stream;
mod tls;
mod tokens;
mod write;

use std::future::Future;
use std::sync::Arc;

use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use sextant_core::{
    AttachmentInfo, Batch, Error, ExperimentInfo, ExperimentUpdate, GroupInfo, MetricPoint,
    MetricSummary, ModelInfo, Registry, Result, Span, StepRange, Store,
};

pub use config::{mask, ConnConfig, DEFAULT_POOL_SIZE, DEFAULT_SCHEMA};
pub use migrate::latest as schema_version;

/// Registers `postgres://` and `postgresql://`.
pub fn register(registry: &mut Registry) {
    for scheme in ["postgres", "postgresql"] {
        registry.register(
            scheme,
            "postgres://user:pass@host:5432/db?schema=sextant",
            move |rest| {
                let url = format!("{scheme}://{rest}");
                Box::pin(async move { Ok(Arc::new(PgStore::open(&url).await?) as Arc<dyn Store>) })
            },
        );
    }
}

/// A runtime that may be dropped from inside another runtime's task (a plain drop would
/// panic there), by letting its threads wind down in the background.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

pub(crate) struct Inner {
    pub pool: Pool,
    pub cfg: ConnConfig,
    pub artifacts: artifacts::Artifacts,
    /// The schema version this store runs at (older only in upgrade tests).
    pub version: i32,
    /// This instance's name in change notifications, so it skips its own.
    pub origin: String,
}

impl Inner {
    pub async fn conn(&self) -> Result<Object> {
        self.pool
            .get()
            .await
            .map_err(|e| errors::pool_error(&self.cfg, e))
    }
}

/// The PostgreSQL store. Cheap to share (`Arc`); connections come from a pool.
pub struct PgStore {
    inner: Arc<Inner>,
    handle: tokio::runtime::Handle,
    _rt: Arc<OwnedRuntime>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.inner.cfg.display)
            .field("schema", &self.inner.cfg.schema)
            .finish()
    }
}

/// The per-connection staging table binary `COPY` writes into; emptied at every commit.
const STAGING: &str = "CREATE TEMP TABLE IF NOT EXISTS sextant_staging (
    key_id bigint NOT NULL, step bigint NOT NULL, value float8 NOT NULL,
    logged_at bigint NOT NULL, ord bigint NOT NULL) ON COMMIT DELETE ROWS";

impl PgStore {
    /// Connects, checks the credentials and database, and migrates the schema to the
    /// version this build writes.
    pub async fn open(url: &str) -> Result<PgStore> {
        Self::open_at(url, migrate::latest()).await
    }

    /// Like [`open`](Self::open) but migrates only up to `version`: for testing upgrades
    /// from an older schema.
    #[doc(hidden)]
    pub async fn open_at(url: &str, version: i32) -> Result<PgStore> {
        let cfg = ConnConfig::parse(url)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sextant-postgres")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::storage(format!("cannot start the PostgreSQL client runtime: {e}"))
            })?;
        let handle = rt.handle().clone();
        let rt = Arc::new(OwnedRuntime(Some(rt)));
        let inner = handle
            .spawn(async move {
                let artifacts =
                    artifacts::Artifacts::open(cfg.artifacts.as_deref(), &cfg.artifacts_options)?;
                let pool = pool(&cfg)?;
                let mut inner = Inner {
                    pool,
                    cfg,
                    artifacts,
                    version,
                    origin: origin_name(),
                };
                let mut client = inner.conn().await?;
                inner.version = migrate::migrate(&mut client, &inner.cfg.schema, version).await?;
                drop(client);
                Ok::<_, Error>(inner)
            })
            .await
            .map_err(join_error)??;
        Ok(PgStore {
            inner: Arc::new(inner),
            handle,
            _rt: rt,
        })
    }

    /// The schema version recorded in the database.
    pub async fn schema_version_in_db(&self) -> Result<i32> {
        self.run(|inner| async move {
            let c = inner.conn().await?;
            let row = c
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM sextant_migrations",
                    &[],
                )
                .await
                .map_err(errors::query_error)?;
            Ok(row.get(0))
        })
        .await
    }

    /// Runs `f` on the store's own runtime, so it works under any executor.
    async fn run<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.handle
            .spawn(f(self.inner.clone()))
            .await
            .map_err(join_error)?
    }
}

/// A name no other store instance has: the process, the time, and a counter.
fn origin_name() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::storage(format!("PostgreSQL task failed: {e}"))
}

fn pool(cfg: &ConnConfig) -> Result<Pool> {
    let mut pg = cfg.pg.clone();
    // Every connection sees only this store's schema (plus its own temp tables). JIT off:
    // the chart queries are index lookups the planner costs high on big tables, and
    // compiling them took 20-80 ms against 18 ms of execution on 100M points.
    let search_path = format!("-c search_path={} -c jit=off", cfg.schema);
    let options = match pg.get_options() {
        Some(o) if !o.is_empty() => format!("{o} {search_path}"),
        _ => search_path,
    };
    pg.options(&options);
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = if pg.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        let tls = tls::connector(cfg.root_cert.as_deref())?;
        Manager::from_config(pg, tls, manager_config)
    } else {
        pg.ssl_mode(tokio_postgres::config::SslMode::Disable);
        Manager::from_config(pg, tokio_postgres::NoTls, manager_config)
    };
    Pool::builder(manager)
        .max_size(cfg.pool_size)
        .post_create(Hook::async_fn(|client, _| {
            Box::pin(async move {
                client
                    .batch_execute(STAGING)
                    .await
                    .map_err(HookError::Backend)
            })
        }))
        .build()
        .map_err(|e| Error::storage(format!("PostgreSQL connection pool: {e}")))
}

#[async_trait::async_trait]
impl Store for PgStore {
    fn location(&self) -> String {
        self.inner.cfg.display.clone()
    }

    /// Other instances' commits, through `LISTEN` on a connection of its own.
    fn watch(&self, on_change: sextant_core::ChangeCallback) -> Result<bool> {
        let cfg = self.inner.cfg.clone();
        let origin = self.inner.origin.clone();
        self.handle.spawn(notify::listen(cfg, origin, on_change));
        Ok(true)
    }

    async fn write(&self, batch: &Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // The rules every store applies, before any round trip to the database.
        batch.validate()?;
        let batch = batch.with_spans_converted().into_owned();
        self.run(|inner| async move { write::apply(&inner, &batch).await })
            .await
    }

    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        self.run(|inner| async move { read::experiments(&inner, None).await })
            .await
    }

    /// The filter as SQL (`search`): it keeps every run the filter keeps and few others; the
    /// in-memory evaluation over those decides and sorts.
    async fn search_experiments(
        &self,
        query: &sextant_core::search::Query,
    ) -> Result<Vec<ExperimentInfo>> {
        let Some(filter) = &query.filter else {
            return Ok(query.apply(self.list_experiments().await?));
        };
        let (condition, binds) = search::condition(filter);
        let rows = self
            .run(|inner| async move { read::experiments_where(&inner, &condition, binds).await })
            .await?;
        Ok(query.apply(rows))
    }

    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo> {
        let id = id.to_string();
        self.run(|inner| async move {
            read::experiments(&inner, Some(&id))
                .await?
                .pop()
                .ok_or(Error::ExperimentNotFound(id))
        })
        .await
    }

    async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        self.run(|inner| async move { read::groups(&inner).await })
            .await
    }

    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>> {
        let id = id.to_string();
        self.run(|inner| async move { read::metrics(&inner, &id).await })
            .await
    }

    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>> {
        let (id, key) = (id.to_string(), key.to_string());
        self.run(|inner| async move {
            let client = inner.conn().await?;
            match read::key_id(&client, &id, &key).await? {
                Some(k) => read::points(&client, k, range).await,
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    async fn metric_series(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        let (id, key) = (id.to_string(), key.to_string());
        self.run(|inner| async move {
            let client = inner.conn().await?;
            match read::key_id(&client, &id, &key).await? {
                Some(k) => series::series(&client, k, range, max_points, inner.version).await,
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        let id = id.to_string();
        self.run(|inner| async move { read::attachments(&inner, &id).await })
            .await
    }

    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        sextant_core::validate::attachment_name(name)?;
        let (id, name) = (id.to_string(), name.to_string());
        self.run(|inner| async move { read::attachment(&inner, &id, &name).await })
            .await
    }

    /// Into object storage chunk by chunk when `?artifacts=` names one; else kept whole in
    /// the database, as a batch's attachment.
    async fn put_attachment(
        &self,
        id: &str,
        name: &str,
        created_at: i64,
        chunks: sextant_core::ByteStream,
    ) -> Result<u64> {
        sextant_core::validate::attachment_name(name)?;
        sextant_core::validate::millis("created_at", created_at)?;
        if matches!(self.inner.artifacts, artifacts::Artifacts::Database) {
            let limit = sextant_core::store::WHOLE_ATTACHMENT_LIMIT;
            let data = sextant_core::chunks::collect(chunks, limit, name).await?;
            let size = data.len() as u64;
            let batch = Batch {
                records: vec![sextant_core::Record::Attachment {
                    experiment: id.to_string(),
                    name: name.to_string(),
                    data,
                    created_at,
                }],
            };
            self.write(&batch).await?;
            return Ok(size);
        }
        let (id, name) = (id.to_string(), name.to_string());
        let size = self
            .run(|inner| async move { stream::put(&inner, &id, &name, created_at, chunks).await })
            .await?;
        size.ok_or_else(|| Error::storage("object storage vanished during an upload"))
    }

    async fn read_attachment(
        &self,
        id: &str,
        name: &str,
    ) -> Result<(u64, sextant_core::ByteStream)> {
        sextant_core::validate::attachment_name(name)?;
        let (id, name) = (id.to_string(), name.to_string());
        let (size, key) = {
            let (id, name) = (id.clone(), name.clone());
            self.run(|inner| async move { stream::locate(&inner, &id, &name).await })
                .await?
        };
        let Some(key) = key else {
            let data = self.get_attachment(&id, &name).await?;
            return Ok((size, sextant_core::chunks::from_bytes(data)));
        };
        // Open the object first, so a missing one is an error here, not mid-stream.
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let inner = self.inner.clone();
        let opened = self
            .run(|_| async move {
                use futures_util::StreamExt;
                let mut object = Box::pin(inner.artifacts.get_stream(&key).await?);
                tokio::spawn(async move {
                    while let Some(chunk) = object.next().await {
                        if tx.send(chunk).await.is_err() {
                            break;
                        }
                    }
                });
                Ok(())
            })
            .await;
        opened?;
        Ok((size, Box::pin(stream::Pumped(rx))))
    }

    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>> {
        let id = id.to_string();
        let trace_id = trace_id.map(str::to_string);
        self.run(|inner| async move { read::spans(&inner, &id, trace_id.as_deref()).await })
            .await
    }

    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>> {
        let id = id.to_string();
        self.run(|inner| async move { read::models(&inner, &id).await })
            .await
    }

    async fn list_eval_samples(&self, id: &str) -> Result<Vec<sextant_core::EvalSample>> {
        let id = id.to_string();
        self.run(|inner| async move { evals::samples(&inner, &id).await })
            .await
    }

    async fn list_annotations(&self, id: &str) -> Result<Vec<sextant_core::Annotation>> {
        let id = id.to_string();
        self.run(|inner| async move { evals::annotations(&inner, &id).await })
            .await
    }

    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()> {
        let (id, update) = (id.to_string(), update.clone());
        self.run(|inner| async move { write::update(&inner, &id, &update).await })
            .await
    }

    async fn delete_experiment(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.run(|inner| async move { write::delete(&inner, &id).await })
            .await
    }

    fn tokens(&self) -> Option<&dyn sextant_core::TokenStore> {
        Some(self)
    }
}

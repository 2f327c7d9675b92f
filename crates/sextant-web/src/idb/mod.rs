//! `idb://NAME`: the browser store, an IndexedDB database per name. Layout and upgrade
//! path in [`schema`]; the write path (one transaction per batch) in `write`; chart
//! summaries in `pages`, read by wide chart queries (`series`).

mod pages;
mod request;
mod rows;
pub mod schema;
mod series;
mod write;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use sextant_core::{
    AttachmentInfo, Batch, Env, Error, ExperimentInfo, ExperimentUpdate, GroupInfo, MetricPoint,
    MetricSummary, ModelInfo, Result, Span, StepRange, Store,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

use crate::chunks;
use request::{committed, js_failure, result};

#[wasm_bindgen]
extern "C" {
    /// An `IDBDatabase` seen through the one call web-sys keeps behind its unstable-API
    /// flag: `db.transaction(stores, mode, {durability})`.
    type DurableDatabase;

    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with_options(
        this: &DurableDatabase,
        stores: &js_sys::Array,
        mode: &str,
        options: &JsValue,
    ) -> std::result::Result<IdbTransaction, JsValue>;
}

/// An open connection; it closes itself when another tab needs to upgrade the schema, and
/// the store then opens a fresh one on its next call.
struct Connection {
    db: IdbDatabase,
    closed: Rc<Cell<bool>>,
    _on_version_change: Closure<dyn FnMut()>,
}

impl Connection {
    async fn open(name: &str, version: u32) -> Result<Connection> {
        let db = schema::open(name, version).await?;
        let closed = Rc::new(Cell::new(false));
        let on_version_change = {
            let (db, closed) = (db.clone(), closed.clone());
            Closure::<dyn FnMut()>::new(move || {
                closed.set(true);
                db.close();
            })
        };
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        Ok(Connection {
            db,
            closed,
            _on_version_change: on_version_change,
        })
    }
}

/// The IndexedDB store.
pub struct IndexedDbStore {
    name: String,
    version: u32,
    connection: RefCell<Option<Rc<Connection>>>,
    env: Arc<dyn Env>,
}

impl std::fmt::Debug for IndexedDbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexedDbStore")
            .field("name", &self.name)
            .field("version", &self.version)
            .finish()
    }
}

impl Drop for IndexedDbStore {
    fn drop(&mut self) {
        if let Some(c) = self.connection.borrow_mut().take() {
            c.db.set_onversionchange(None);
            c.db.close();
        }
    }
}

impl IndexedDbStore {
    /// Opens (creating or upgrading) the database `name`.
    pub async fn open(name: &str, env: Arc<dyn Env>) -> Result<Self> {
        Self::open_at(name, schema::VERSION, env).await
    }

    /// Opens at an older schema version: how tests exercise the upgrade path.
    pub async fn open_at(name: &str, version: u32, env: Arc<dyn Env>) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::InvalidInput {
                what: "IndexedDB database name",
                value: String::new(),
                reason: "idb:// needs a name, e.g. idb://my-experiments".into(),
            });
        }
        let connection = Connection::open(name, version).await?;
        Ok(IndexedDbStore {
            name: name.to_string(),
            version,
            connection: RefCell::new(Some(Rc::new(connection))),
            env,
        })
    }

    async fn db(&self) -> Result<IdbDatabase> {
        let current = self.connection.borrow().clone();
        if let Some(c) = current.filter(|c| !c.closed.get()) {
            return Ok(c.db.clone());
        }
        let fresh = Rc::new(Connection::open(&self.name, self.version).await?);
        let db = fresh.db.clone();
        *self.connection.borrow_mut() = Some(fresh);
        Ok(db)
    }

    fn context(&self) -> String {
        format!("database {:?}", self.name)
    }

    async fn transaction(&self, stores: &[&str], write: bool) -> Result<IdbTransaction> {
        let db = self.db().await?;
        let names = schema::str_array(stores);
        let tx = if write {
            // Strict: the commit reaches the disk before it reports complete, the durability
            // flush() promises.
            let options = rows::object(&[("durability", JsValue::from_str("strict"))])?;
            db.unchecked_ref::<DurableDatabase>()
                .transaction_with_options(&names, "readwrite", &options)
        } else {
            db.transaction_with_str_sequence_and_mode(&names, IdbTransactionMode::Readonly)
        };
        tx.map_err(|e| js_failure(&self.context(), &e))
    }

    fn object_store(&self, tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore> {
        tx.object_store(name)
            .map_err(|e| js_failure(&format!("{} store {name}", self.context()), &e))
    }

    /// Reads the experiment row in `tx` (which must include `experiments`).
    fn get_experiment_req(&self, tx: &IdbTransaction, id: &str) -> Result<IdbRequest> {
        self.object_store(tx, schema::EXPERIMENTS)?
            .get(&JsValue::from_str(id))
            .map_err(|e| js_failure(&self.context(), &e))
    }

    fn experiment_from(&self, req: &IdbRequest, id: &str) -> Result<ExperimentInfo> {
        let row = req.result().map_err(|e| js_failure(&self.context(), &e))?;
        if row.is_undefined() {
            return Err(Error::ExperimentNotFound(id.to_string()));
        }
        rows::read_experiment(&row)
    }

    /// Runs `query` in a read transaction over `stores` (plus `experiments`), failing with
    /// `ExperimentNotFound` for an unknown `id`; `query` issues its requests and returns the
    /// last one, whose completion means all are done.
    async fn read<T>(
        &self,
        id: &str,
        stores: &[&str],
        query: impl FnOnce(&IdbTransaction) -> Result<Vec<IdbRequest>>,
        finish: impl FnOnce(ExperimentInfo, Vec<JsValue>) -> Result<T>,
    ) -> Result<T> {
        let mut names = vec![schema::EXPERIMENTS];
        names.extend_from_slice(stores);
        let tx = self.transaction(&names, false).await?;
        let exp = self.get_experiment_req(&tx, id)?;
        let reqs = query(&tx)?;
        let last = reqs.last().unwrap_or(&exp);
        result(last, &self.context()).await?;
        let info = self.experiment_from(&exp, id)?;
        let values = reqs
            .iter()
            .map(|r| r.result().map_err(|e| js_failure(&self.context(), &e)))
            .collect::<Result<Vec<_>>>()?;
        finish(info, values)
    }

    fn get_all(&self, tx: &IdbTransaction, store: &str, prefix: &[JsValue]) -> Result<IdbRequest> {
        self.object_store(tx, store)?
            .get_all_with_key(&rows::prefix_range(prefix)?)
            .map_err(|e| js_failure(&self.context(), &e))
    }
}

#[async_trait::async_trait(?Send)]
impl Store for IndexedDbStore {
    fn location(&self) -> String {
        format!("idb://{}", self.name)
    }

    async fn write(&self, batch: &Batch) -> Result<()> {
        let batch = &*batch.with_spans_converted();
        // The same rules as every store, before a transaction opens.
        batch.validate()?;
        if batch.is_empty() {
            return Ok(());
        }
        let tx = self.transaction(schema::stores(self.version), true).await?;
        let pages = schema::has_pages(self.version);
        if let Err(e) = write::write_batch(&tx, batch, self.env.as_ref(), pages).await {
            // Already aborted when a request failed; aborting twice only throws.
            let _ = tx.abort();
            return Err(e);
        }
        committed(&tx, &self.context()).await
    }

    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        let tx = self.transaction(&[schema::EXPERIMENTS], false).await?;
        let req = self
            .object_store(&tx, schema::EXPERIMENTS)?
            .index(schema::BY_CREATED)
            .and_then(|index| index.get_all())
            .map_err(|e| js_failure(&self.context(), &e))?;
        let rows_ = rows::rows(result(&req, &self.context()).await?)?;
        let mut out = rows_
            .iter()
            .rev()
            .map(rows::read_experiment)
            .collect::<Result<Vec<_>>>()?;
        // The index gives time order; ties break by id as in every store.
        sextant_core::query::newest_first(&mut out);
        Ok(out)
    }

    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo> {
        self.read(id, &[], |_| Ok(Vec::new()), |info, _| Ok(info))
            .await
    }

    async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        let tx = self
            .transaction(&[schema::GROUPS, schema::EXPERIMENTS], false)
            .await?;
        let req = self
            .object_store(&tx, schema::GROUPS)?
            .get_all()
            .map_err(|e| js_failure(&self.context(), &e))?;
        let groups = rows::rows(result(&req, &self.context()).await?)?
            .iter()
            .map(rows::read_group)
            .collect::<Result<Vec<_>>>()?;
        // Count each group's experiments through the by_group index, without loading them.
        let index = self
            .object_store(&tx, schema::EXPERIMENTS)?
            .index(schema::BY_GROUP)
            .map_err(|e| js_failure(&self.context(), &e))?;
        let counts = groups
            .iter()
            .map(|(name, _, _)| {
                index
                    .count_with_key(&rows::prefix_range(&[name.into()])?)
                    .map_err(|e| js_failure(&self.context(), &e))
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(last) = counts.last() {
            result(last, &self.context()).await?;
        }
        let mut out = Vec::with_capacity(groups.len());
        for ((name, id, created_at), count) in groups.into_iter().zip(&counts) {
            let n = count.result().ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
            out.push(GroupInfo {
                id,
                name,
                description: None,
                created_at,
                experiment_count: n as u64,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>> {
        self.read(
            id,
            &[schema::METRIC_KEYS],
            |tx| Ok(vec![self.get_all(tx, schema::METRIC_KEYS, &[id.into()])?]),
            |_, values| {
                let mut out = Vec::new();
                for row in rows::rows(values.into_iter().next().unwrap_or_default())? {
                    let (key, totals) = rows::read_totals(&row)?;
                    if totals.count > 0 {
                        out.push(totals.summary(&key));
                    }
                }
                // Byte order, as every store sorts keys (IndexedDB orders by UTF-16).
                out.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(out)
            },
        )
        .await
    }

    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>> {
        let Some((lo, hi)) = chunks::chunk_span(range) else {
            return self.get_experiment(id).await.map(|_| Vec::new());
        };
        self.read(
            id,
            &[schema::METRIC_CHUNKS],
            |tx| {
                let lower = rows::key(&[id.into(), key.into(), (lo as f64).into()]);
                let upper = rows::key(&[id.into(), key.into(), (hi as f64).into()]);
                let bounds = web_sys::IdbKeyRange::bound(&lower, &upper)
                    .map_err(|e| js_failure(&self.context(), &e))?;
                let req = self
                    .object_store(tx, schema::METRIC_CHUNKS)?
                    .get_all_with_key(&bounds)
                    .map_err(|e| js_failure(&self.context(), &e))?;
                Ok(vec![req])
            },
            |_, values| {
                let mut out = Vec::new();
                for row in rows::rows(values.into_iter().next().unwrap_or_default())? {
                    out.extend(
                        rows::read_chunk(&row)?
                            .into_iter()
                            .filter(|p| range.contains(p.step)),
                    );
                }
                Ok(out)
            },
        )
        .await
    }

    async fn metric_series(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        if !schema::has_pages(self.version) {
            let points = self.metric_points(id, key, range).await?;
            return Ok(sextant_core::downsample::downsample(&points, max_points));
        }
        series::series(self, id, key, range, max_points).await
    }

    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        self.read(
            id,
            &[schema::ATTACHMENTS],
            |tx| Ok(vec![self.get_all(tx, schema::ATTACHMENTS, &[id.into()])?]),
            |_, values| {
                let mut out = rows::rows(values.into_iter().next().unwrap_or_default())?
                    .iter()
                    .map(|row| {
                        rows::read_attachment(row).map(|(name, size, created_at)| AttachmentInfo {
                            name,
                            size,
                            created_at,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                out.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(out)
            },
        )
        .await
    }

    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        self.read(
            id,
            &[schema::ATTACHMENT_DATA],
            |tx| {
                let req = self
                    .object_store(tx, schema::ATTACHMENT_DATA)?
                    .get(&rows::key(&[id.into(), name.into()]))
                    .map_err(|e| js_failure(&self.context(), &e))?;
                Ok(vec![req])
            },
            |_, values| {
                values
                    .into_iter()
                    .next()
                    .and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok())
                    .map(|bytes| bytes.to_vec())
                    .ok_or_else(|| Error::AttachmentNotFound {
                        experiment: id.to_string(),
                        name: name.to_string(),
                    })
            },
        )
        .await
    }

    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>> {
        self.read(
            id,
            &[schema::SPANS],
            |tx| {
                let prefix: Vec<JsValue> = match trace_id {
                    Some(t) => vec![id.into(), t.into()],
                    None => vec![id.into()],
                };
                Ok(vec![self.get_all(tx, schema::SPANS, &prefix)?])
            },
            |_, values| {
                let mut spans = rows::rows(values.into_iter().next().unwrap_or_default())?
                    .iter()
                    .map(rows::read_span)
                    .collect::<Result<Vec<_>>>()?;
                spans.sort_by_key(|s| s.start_time_unix_nano);
                Ok(spans)
            },
        )
        .await
    }

    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>> {
        self.read(
            id,
            &[schema::MODELS],
            |tx| Ok(vec![self.get_all(tx, schema::MODELS, &[id.into()])?]),
            |_, values| {
                rows::rows(values.into_iter().next().unwrap_or_default())?
                    .iter()
                    .map(rows::read_model)
                    .collect()
            },
        )
        .await
    }

    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()> {
        let tx = self.transaction(&[schema::EXPERIMENTS], true).await?;
        let req = self.get_experiment_req(&tx, id)?;
        result(&req, &self.context()).await?;
        let mut info = match self.experiment_from(&req, id) {
            Ok(info) => info,
            Err(e) => {
                let _ = tx.abort();
                return Err(e);
            }
        };
        if let Some(name) = &update.name {
            info.name = name.clone();
        }
        if let Some(d) = &update.description {
            info.description = Some(d.clone());
        }
        if let Some(tags) = &update.tags {
            info.tags = tags.clone();
        }
        self.object_store(&tx, schema::EXPERIMENTS)?
            .put(&rows::experiment(&info)?)
            .map_err(|e| js_failure(&self.context(), &e))?;
        committed(&tx, &self.context()).await
    }

    async fn delete_experiment(&self, id: &str) -> Result<()> {
        let stores = schema::stores(self.version);
        let tx = self.transaction(stores, true).await?;
        let req = self.get_experiment_req(&tx, id)?;
        result(&req, &self.context()).await?;
        if let Err(e) = self.experiment_from(&req, id) {
            let _ = tx.abort();
            return Err(e);
        }
        let doomed = |store: &str, key: &JsValue| -> Result<()> {
            self.object_store(&tx, store)?
                .delete(key)
                .map(drop)
                .map_err(|e| js_failure(&self.context(), &e))
        };
        doomed(schema::EXPERIMENTS, &JsValue::from_str(id))?;
        let range = rows::prefix_range(&[id.into()])?;
        for store in &stores[2..] {
            doomed(store, &range)?;
        }
        committed(&tx, &self.context()).await
    }
}

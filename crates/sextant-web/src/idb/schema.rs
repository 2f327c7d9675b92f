//! The IndexedDB schema and its upgrade path. `open` runs, in order, every migration
//! between the database's stored version and [`VERSION`] inside `onupgradeneeded`; each
//! migration only adds, so a database written by any earlier version opens with its data.
//!
//! Object stores (keys in brackets; every key starts with the experiment id, so one
//! experiment's rows are one key range):
//!
//! | store | key | value |
//! |---|---|---|
//! | `experiments` | `id` | `{id, group, created_at, status, info}`, `info` the JSON of `ExperimentInfo` |
//! | `groups` | `name` | `{name, id, created_at}` |
//! | `metric_chunks` | `[exp, key, chunk]` | 1024 steps: `{offsets: Uint16Array, values, logged: Float64Array}` |
//! | `metric_keys` | `[exp, key]` | `{count, first, last, last_value}`: listing metrics reads no points |
//! | `metric_pages` | `[exp, key, page]` | 64 chunks' summaries (count, first, last, min, max), see `pages` (version 3) |
//! | `spans` | `[exp, trace, span]` | `{json}`: a trace is one key range |
//! | `attachments` | `[exp, name]` | `{size, created_at}` |
//! | `attachment_data` | `[exp, name]` (out of line) | `Uint8Array` |
//! | `models` | `[exp, id]` | `{json}` |
//!
//! Indexes (version 2) serve the dashboard's experiment lists: `experiments.by_created`
//! (`created_at`) and `experiments.by_group` (`[group, created_at]`).
//!
//! Version 3 adds `metric_pages`, filled for the chunks already stored during the upgrade,
//! so wide chart queries read summaries (`wide_series`) on old databases too.

use std::cell::RefCell;
use std::rc::Rc;

use sextant_core::{Error, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    IdbDatabase, IdbFactory, IdbObjectStoreParameters, IdbOpenDbRequest, IdbTransaction,
    IdbVersionChangeEvent,
};

use super::request::{js_failure, EventFuture};

/// The schema version this build writes.
pub const VERSION: u32 = 3;

pub const EXPERIMENTS: &str = "experiments";
pub const GROUPS: &str = "groups";
pub const METRIC_CHUNKS: &str = "metric_chunks";
pub const METRIC_KEYS: &str = "metric_keys";
pub const SPANS: &str = "spans";
pub const ATTACHMENTS: &str = "attachments";
pub const ATTACHMENT_DATA: &str = "attachment_data";
pub const MODELS: &str = "models";
pub const METRIC_PAGES: &str = "metric_pages";

pub const BY_CREATED: &str = "by_created";
pub const BY_GROUP: &str = "by_group";

/// Every store, for transactions that may touch any of them; experiments first, then
/// groups, then those keyed by experiment.
const ALL: [&str; 9] = [
    EXPERIMENTS,
    GROUPS,
    METRIC_CHUNKS,
    METRIC_KEYS,
    SPANS,
    ATTACHMENTS,
    ATTACHMENT_DATA,
    MODELS,
    METRIC_PAGES,
];

/// The stores a database at schema `version` has (tests open older versions).
pub fn stores(version: u32) -> &'static [&'static str] {
    if has_pages(version) {
        &ALL
    } else {
        &ALL[..8]
    }
}

/// Whether a database at `version` keeps chart summaries.
pub fn has_pages(version: u32) -> bool {
    version >= 3
}

/// Version 1: the object stores.
fn v1(db: &IdbDatabase, _tx: &IdbTransaction) -> Result<()> {
    let stores: [(&str, &[&str]); 8] = [
        (EXPERIMENTS, &["id"]),
        (GROUPS, &["name"]),
        (METRIC_CHUNKS, &["exp", "key", "chunk"]),
        (METRIC_KEYS, &["exp", "key"]),
        (SPANS, &["exp", "trace", "span"]),
        (ATTACHMENTS, &["exp", "name"]),
        (ATTACHMENT_DATA, &[]),
        (MODELS, &["exp", "id"]),
    ];
    for (name, key_path) in stores {
        let params = IdbObjectStoreParameters::new();
        match key_path {
            [] => {}
            [one] => params.set_key_path(&JsValue::from_str(one)),
            many => params.set_key_path(&str_array(many)),
        }
        db.create_object_store_with_optional_parameters(name, &params)
            .map_err(|e| js_failure(&format!("creating object store {name}"), &e))?;
    }
    Ok(())
}

/// Version 2: indexes for listing experiments by time and by group.
fn v2(_db: &IdbDatabase, tx: &IdbTransaction) -> Result<()> {
    let store = tx
        .object_store(EXPERIMENTS)
        .map_err(|e| js_failure("opening experiments for an upgrade", &e))?;
    store
        .create_index_with_str(BY_CREATED, "created_at")
        .map_err(|e| js_failure("creating index by_created", &e))?;
    store
        .create_index_with_str_sequence(BY_GROUP, &str_array(&["group", "created_at"]))
        .map_err(|e| js_failure("creating index by_group", &e))?;
    Ok(())
}

/// Version 3: chart summaries; the upgrade then fills them (`pages::build_all`).
fn v3(db: &IdbDatabase, _tx: &IdbTransaction) -> Result<()> {
    let params = IdbObjectStoreParameters::new();
    params.set_key_path(&str_array(&["exp", "key", "page"]));
    db.create_object_store_with_optional_parameters(METRIC_PAGES, &params)
        .map_err(|e| js_failure(&format!("creating object store {METRIC_PAGES}"), &e))?;
    Ok(())
}

/// Migration `i` takes a database from version `i` to `i + 1`.
const MIGRATIONS: [fn(&IdbDatabase, &IdbTransaction) -> Result<()>; VERSION as usize] =
    [v1, v2, v3];

pub fn str_array(items: &[&str]) -> js_sys::Array {
    items.iter().map(|s| JsValue::from_str(s)).collect()
}

/// The global `indexedDB` (windows and workers have one; Node does not).
pub fn factory() -> Result<IdbFactory> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .ok()
        .and_then(|f| f.dyn_into::<IdbFactory>().ok())
        .ok_or_else(|| {
            Error::storage(
                "IndexedDB is not available here (Node has none): use sqlite://DIR or memory://",
            )
        })
}

/// Runs the migrations from `from` to `to`; returns the upgrade transaction when stored
/// chunks need summarising (done asynchronously within it).
fn migrate(req: &IdbOpenDbRequest, from: u32, to: u32) -> Result<Option<IdbTransaction>> {
    let db: IdbDatabase = req
        .result()
        .and_then(|r| r.dyn_into())
        .map_err(|e| js_failure("upgrading", &e))?;
    let tx = req
        .transaction()
        .ok_or_else(|| Error::storage("IndexedDB upgrade has no transaction"))?;
    for (i, step) in MIGRATIONS
        .iter()
        .enumerate()
        .take(to as usize)
        .skip(from as usize)
    {
        step(&db, &tx).map_err(|e| {
            Error::storage(format!("upgrading the schema to version {}: {e}", i + 1))
        })?;
    }
    // A new database (from 0) has no chunks to summarise.
    Ok((from > 0 && !has_pages(from) && has_pages(to)).then_some(tx))
}

/// Opens database `name` at schema `version` (tests open older versions to check the
/// upgrade path), migrating it first when it is older.
pub async fn open(name: &str, version: u32) -> Result<IdbDatabase> {
    let context = format!("database {name:?}");
    let req = factory()?
        .open_with_u32(name, version)
        .map_err(|e| js_failure(&context, &e))?;
    let failure: Rc<RefCell<Option<Error>>> = Rc::default();
    let on_upgrade = {
        let (req, failure) = (req.clone(), failure.clone());
        Closure::<dyn FnMut(IdbVersionChangeEvent)>::new(move |ev: IdbVersionChangeEvent| {
            let from = ev.old_version() as u32;
            let fail = |failure: &RefCell<Option<Error>>, e: Error, tx: Option<IdbTransaction>| {
                *failure.borrow_mut() = Some(e);
                if let Some(tx) = tx {
                    let _ = tx.abort();
                }
            };
            match migrate(&req, from, version) {
                Err(e) => fail(&failure, e, req.transaction()),
                Ok(None) => {}
                // Spawned futures run as microtasks, before this event's dispatch ends, so
                // the upgrade transaction is still active for the first read; the database
                // opens only once the transaction (and so the build) completes.
                Ok(Some(tx)) => {
                    let failure = failure.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Err(e) = super::pages::build_all(&tx).await {
                            let e =
                                Error::storage(format!("upgrading the schema to version 3: {e}"));
                            fail(&failure, e, Some(tx));
                        }
                    });
                }
            }
        })
    };
    req.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    // "blocked" (another tab holds an older version open) just waits: our connections
    // close themselves on "versionchange", so the upgrade proceeds once they have.
    let outcome = EventFuture::new(&req, &["success", "error"])?.await;
    req.set_onupgradeneeded(None);
    drop(on_upgrade);
    if let Some(e) = failure.borrow_mut().take() {
        return Err(e);
    }
    if outcome == "error" {
        return Err(match req.error() {
            Ok(Some(e)) if e.name() == "VersionError" => Error::storage(format!(
                "IndexedDB {context} has a newer schema than this build knows (version \
                 {version}): it was written by a newer @sextant/tracker"
            )),
            Ok(Some(e)) => super::request::dom_failure(&context, &e),
            _ => Error::storage(format!("IndexedDB {context} could not be opened")),
        });
    }
    req.result()
        .and_then(|r| r.dyn_into::<IdbDatabase>())
        .map_err(|e| js_failure(&context, &e))
}

//! The bridge to the optional snapshot module (crates/sextant-snapshot-wasm): SQLite makes
//! it several times the size of this one, so the package entries load it only when a
//! snapshot is exported, and hand this module a codec that does so.

use std::cell::RefCell;

use js_sys::{Promise, Uint8Array};
use sextant_core::{Error, Result, Tracker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `{ write(batchJson): Promise<Uint8Array> }`.
    #[derive(Debug, Clone)]
    pub type SnapshotCodec;

    // Arguments are JS-owned copies: a view into wasm memory could be detached by the
    // time an async codec reads it.
    #[wasm_bindgen(method, catch)]
    fn write(
        this: &SnapshotCodec,
        batch_json: &Uint8Array,
    ) -> std::result::Result<Promise, JsValue>;

    /// `search(listJson, filter, orderBy): Promise<Uint8Array>` (JSON: the kept ids in
    /// order, or the parse error's fields).
    #[wasm_bindgen(method, catch)]
    fn search(
        this: &SnapshotCodec,
        list_json: &Uint8Array,
        filter: &str,
        order_by: &str,
    ) -> std::result::Result<Promise, JsValue>;

}

thread_local! {
    static CODEC: RefCell<Option<SnapshotCodec>> = const { RefCell::new(None) };
}

/// Called by the package entries with a codec that loads the snapshot module on first use.
#[wasm_bindgen(js_name = installSnapshotCodec)]
pub fn install_snapshot_codec(codec: SnapshotCodec) {
    CODEC.with(|c| *c.borrow_mut() = Some(codec));
}

fn codec() -> Result<SnapshotCodec> {
    CODEC.with(|c| c.borrow().clone()).ok_or_else(|| {
        Error::Snapshot(
            "snapshots need the package's snapshot module, which the @sextant/tracker entry \
             points load; import the package rather than its pkg/ files"
                .into(),
        )
    })
}

fn thrown(e: JsValue) -> Error {
    let message = e
        .dyn_ref::<js_sys::Error>()
        .map(|err| String::from(err.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    Error::Snapshot(message)
}

async fn call(promise: std::result::Result<Promise, JsValue>) -> Result<Vec<u8>> {
    let value = JsFuture::from(promise.map_err(thrown)?)
        .await
        .map_err(thrown)?;
    value
        .dyn_into::<Uint8Array>()
        .map(|bytes| bytes.to_vec())
        .map_err(|_| Error::Snapshot("the snapshot module returned no bytes".into()))
}

/// The runs a search-language `filter` keeps, sorted by `order_by`. The parser and its
/// evaluator live in the snapshot module, loaded on the first filtered listing, so the
/// main module stays within its size budget.
pub async fn search(
    list: Vec<sextant_core::ExperimentInfo>,
    filter: &str,
    order_by: &str,
) -> Result<Vec<sextant_core::ExperimentInfo>> {
    let json = serde_json::to_vec(&list)
        .map_err(|e| Error::storage(format!("cannot encode the experiments: {e}")))?;
    let codec = codec()?;
    let reply = call(codec.search(&Uint8Array::from(json.as_slice()), filter, order_by)).await?;
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Reply {
        Kept {
            ids: Vec<String>,
        },
        Invalid {
            what: String,
            value: String,
            reason: String,
        },
    }
    match serde_json::from_slice::<Reply>(&reply) {
        Ok(Reply::Kept { ids }) => {
            let mut by_id: std::collections::HashMap<String, sextant_core::ExperimentInfo> =
                list.into_iter().map(|e| (e.id.clone(), e)).collect();
            Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
        }
        Ok(Reply::Invalid {
            what,
            value,
            reason,
        }) => Err(Error::InvalidInput {
            what: if what == "order_by" {
                "orderBy"
            } else {
                "filter"
            },
            value,
            reason,
        }),
        Err(e) => Err(Error::storage(format!(
            "the search module answered badly: {e}"
        ))),
    }
}

/// The experiment as a luml snapshot tar (what `sextant import` reads).
pub async fn export(tracker: &Tracker, id: Option<&str>) -> Result<Vec<u8>> {
    let batch = tracker.dump(id).await?.into_batch();
    let json = serde_json::to_vec(&batch)
        .map_err(|e| Error::Snapshot(format!("cannot encode the experiment: {e}")))?;
    let codec = codec()?;
    call(codec.write(&Uint8Array::from(json.as_slice()))).await
}

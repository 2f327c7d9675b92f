//! luml experiment snapshots for Sextant's wasm build: the tar that `sextant import` reads
//! (manifest.json, exp.db.zip with a SQLite exp.db, attachments.tar and its index).
//!
//! The writer and reader are `sextant-luml`'s, the same code the native store uses, so
//! browser and native snapshots are byte-for-byte the same; the SQLite store itself, which
//! needs a filesystem, stays out. SQLite adds most of this module's size, which is why it is a separate wasm module
//! that `@sextant/tracker` loads only when a snapshot is exported or imported.
//!
//! Across the module boundary an experiment travels as its [`Batch`] in JSON (the form
//! `ExperimentDump::into_batch` gives and every store can write).

use sextant_luml::snapshot;

use sextant_core::{Batch, Error, ExperimentDump, Result};

/// Rebuilds the dump a batch from `ExperimentDump::into_batch` came from.
pub fn dump_from_batch(batch: Batch) -> Result<ExperimentDump> {
    ExperimentDump::from_batch(batch)
}

/// A batch (JSON) to snapshot tar bytes.
pub fn write_snapshot(batch_json: &[u8]) -> Result<Vec<u8>> {
    let batch: Batch = serde_json::from_slice(batch_json)
        .map_err(|e| Error::Snapshot(format!("the experiment to export is not a batch: {e}")))?;
    snapshot::to_tar_bytes(&dump_from_batch(batch)?)
}

/// Snapshot tar bytes (Sextant's or luml's) to a batch (JSON) any store can write.
pub fn read_snapshot(tar: &[u8]) -> Result<Vec<u8>> {
    let batch = snapshot::from_tar_bytes(tar)?.into_batch();
    serde_json::to_vec(&batch).map_err(|e| Error::Snapshot(format!("cannot encode: {e}")))
}

/// The ids of the experiments (JSON list) a search-language filter keeps, in `order_by`
/// order, as JSON `{"ids": [...]}`; a filter or order that does not parse answers
/// `{"what", "value", "reason"}` (reason names the column) for the caller's error.
pub fn search_experiments(list_json: &[u8], filter: &str, order_by: &str) -> Result<Vec<u8>> {
    let list: Vec<sextant_core::ExperimentInfo> = serde_json::from_slice(list_json)
        .map_err(|e| Error::storage(format!("the experiments to search are not a list: {e}")))?;
    let reply = match sextant_core::search::Query::parse(filter, order_by) {
        Ok(query) => {
            let ids: Vec<String> = query.apply(list).into_iter().map(|e| e.id).collect();
            serde_json::json!({ "ids": ids })
        }
        Err(Error::InvalidInput {
            what,
            value,
            reason,
        }) => {
            serde_json::json!({ "what": what, "value": value, "reason": reason })
        }
        Err(e) => return Err(e),
    };
    serde_json::to_vec(&reply).map_err(|e| Error::storage(format!("cannot encode: {e}")))
}

#[cfg(target_arch = "wasm32")]
mod bindings {
    use wasm_bindgen::prelude::*;

    fn js_error(e: sextant_core::Error) -> JsError {
        JsError::new(&e.to_string())
    }

    /// `writeSnapshot(batchJson)`: the luml snapshot tar of an exported experiment.
    #[wasm_bindgen(js_name = writeSnapshot)]
    pub fn write_snapshot(batch_json: &[u8]) -> Result<Vec<u8>, JsError> {
        super::write_snapshot(batch_json).map_err(js_error)
    }

    /// `searchExperiments(listJson, filter, orderBy)`: see [`super::search_experiments`].
    #[wasm_bindgen(js_name = searchExperiments)]
    pub fn search_experiments(
        list_json: &[u8],
        filter: &str,
        order_by: &str,
    ) -> Result<Vec<u8>, JsError> {
        super::search_experiments(list_json, filter, order_by).map_err(js_error)
    }

    /// `readSnapshot(tar)`: the experiment in a snapshot, as batch JSON.
    #[wasm_bindgen(js_name = readSnapshot)]
    pub fn read_snapshot(tar: &[u8]) -> Result<Vec<u8>, JsError> {
        super::read_snapshot(tar).map_err(js_error)
    }
}

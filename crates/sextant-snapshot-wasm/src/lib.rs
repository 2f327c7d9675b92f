//! luml experiment snapshots for Sextant's wasm build: the tar that `sextant import` reads
//! (manifest.json, exp.db.zip with a SQLite exp.db, attachments.tar and its index).
//!
//! The writer and reader are sextant-sqlite's own (`snapshot.rs`, `expdb.rs`, `schema.rs`,
//! `sql.rs`), compiled here from their source files so browser and native snapshots are
//! byte-for-byte the same code; the SQLite store itself, which needs a filesystem, stays
//! out. SQLite adds most of this module's size, which is why it is a separate wasm module
//! that `@sextant/tracker` loads only when a snapshot is exported or imported.
//!
//! Across the module boundary an experiment travels as its [`Batch`] in JSON (the form
//! `ExperimentDump::into_batch` gives and every store can write).

// Shared source: only the snapshot half of these modules is used here. They belong to
// sextant-sqlite, so formatting this crate leaves them alone.
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../../sextant-sqlite/src/expdb.rs"]
mod expdb;
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../../sextant-sqlite/src/schema.rs"]
mod schema;
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../../sextant-sqlite/src/snapshot.rs"]
mod snapshot;
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../../sextant-sqlite/src/sql.rs"]
mod sql;

use std::collections::BTreeMap;

use sextant_core::{
    AttachmentInfo, Batch, Error, ExperimentDump, ExperimentInfo, Record, Result, Status,
};

/// Rebuilds the dump a batch from `ExperimentDump::into_batch` came from.
pub fn dump_from_batch(batch: Batch) -> Result<ExperimentDump> {
    let mut records = batch.records.into_iter();
    let Some(Record::Create(new)) = records.next() else {
        return Err(Error::Snapshot(
            "an exported experiment must start with its creation record".into(),
        ));
    };
    let mut dump = ExperimentDump {
        info: ExperimentInfo {
            id: new.id,
            name: new.name,
            group: new.group,
            status: Status::Running,
            tags: new.tags,
            created_at: new.created_at,
            duration: None,
            description: new.description,
            source: new.source,
            params: BTreeMap::new(),
            metrics: BTreeMap::new(),
            unreadable: None,
        },
        metrics: BTreeMap::new(),
        spans: Vec::new(),
        attachments: Vec::new(),
        models: Vec::new(),
    };
    for record in records {
        if record.experiment() != dump.info.id {
            return Err(Error::Snapshot(format!(
                "an export of {:?} holds a record of {:?}",
                dump.info.id,
                record.experiment()
            )));
        }
        match record {
            Record::Create(n) => return Err(Error::ExperimentExists(n.id)),
            Record::SetStatus {
                status, duration, ..
            } => {
                dump.info.status = status;
                if duration.is_some() {
                    dump.info.duration = duration;
                }
            }
            Record::Params { params, .. } => dump.info.params.extend(params),
            Record::Metrics { key, points, .. } => {
                let series = dump.metrics.entry(key).or_default();
                series.extend(points);
                series.sort_by_key(|p| p.step);
                series.dedup_by(|later, earlier| {
                    let same = later.step == earlier.step;
                    if same {
                        *earlier = *later;
                    }
                    same
                });
            }
            Record::Spans { spans, .. } => dump.spans.extend(spans),
            Record::Attachment {
                name,
                data,
                created_at,
                ..
            } => {
                dump.attachments.retain(|(a, _)| a.name != name);
                dump.attachments.push((
                    AttachmentInfo {
                        name,
                        size: data.len() as u64,
                        created_at,
                    },
                    data,
                ));
            }
            Record::Model { model, .. } => {
                dump.models.retain(|m| m.id != model.id);
                dump.models.push(model);
            }
        }
    }
    dump.info.metrics = dump
        .metrics
        .iter()
        .filter_map(|(k, points)| points.last().map(|p| (k.clone(), p.value)))
        .collect();
    Ok(dump)
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

    /// `readSnapshot(tar)`: the experiment in a snapshot, as batch JSON.
    #[wasm_bindgen(js_name = readSnapshot)]
    pub fn read_snapshot(tar: &[u8]) -> Result<Vec<u8>, JsError> {
        super::read_snapshot(tar).map_err(js_error)
    }
}

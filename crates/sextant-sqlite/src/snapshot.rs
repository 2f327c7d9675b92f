//! luml experiment snapshots (export, import, link_to_model).

use std::path::Path;

use sextant_core::{Error, ExperimentDump, Result};

/// The snapshot tar (manifest.json, exp.db.zip, attachments.tar, attachments.index.json).
pub fn to_tar_bytes(_dump: &ExperimentDump) -> Result<Vec<u8>> {
    Err(Error::Snapshot("not yet".into()))
}

/// Reads a snapshot tar written by Sextant or luml-sdk.
pub fn from_tar_bytes(_bytes: &[u8]) -> Result<ExperimentDump> {
    Err(Error::Snapshot("not yet".into()))
}

/// Appends the snapshot inside a `.luml` model tar; returns the snapshot id.
pub fn append_to_model(_model: &Path, _dump: &ExperimentDump) -> Result<String> {
    Err(Error::Snapshot("not yet".into()))
}

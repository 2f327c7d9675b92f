//! Snapshot files: export, import, and attaching an experiment snapshot to a model file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sextant_core::{Error, ExperimentDump, Result};
use sextant_sqlite::snapshot;

/// Writes the dump as a luml snapshot tar. The bytes go to a temporary file next to
/// `path` that is renamed over it, so a crash never leaves a half-written snapshot.
pub(crate) fn export(dump: &ExperimentDump, path: &Path) -> Result<()> {
    let bytes = snapshot::to_tar_bytes(dump)?;
    write_atomic(path, &bytes)
}

/// Reads a snapshot tar written by `export` or by luml-sdk.
pub(crate) fn import(path: &Path) -> Result<ExperimentDump> {
    let bytes = fs::read(path).map_err(|e| file_error("snapshot file", path, &e))?;
    snapshot::from_tar_bytes(&bytes)
}

/// A model file after its snapshot was attached.
#[derive(Debug)]
pub(crate) struct LinkedModel {
    pub absolute_path: PathBuf,
    pub file_name: String,
    pub size: u64,
}

/// Attaches the snapshot: inside a `.luml` model (an uncompressed tar) the way luml does,
/// next to any other file as `<file name>.snapshot.tar`.
pub(crate) fn attach(model: &Path, dump: &ExperimentDump) -> Result<LinkedModel> {
    let meta = fs::metadata(model).map_err(|e| file_error("model file", model, &e))?;
    if !meta.is_file() {
        return Err(invalid("model file", model, "is not a regular file"));
    }
    let absolute_path = fs::canonicalize(model).map_err(|e| file_error("model file", model, &e))?;
    let file_name = absolute_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| invalid("model file", model, "has no file name"))?;
    if is_luml_model(&absolute_path) {
        snapshot::append_to_model(&absolute_path, dump)?;
    } else {
        let sibling = absolute_path.with_file_name(format!("{file_name}.snapshot.tar"));
        export(dump, &sibling)?;
    }
    let size = fs::metadata(&absolute_path)
        .map_err(|e| file_error("model file", &absolute_path, &e))?
        .len();
    Ok(LinkedModel {
        absolute_path,
        file_name,
        size,
    })
}

fn is_luml_model(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("luml"))
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| invalid("output file", path, "has no file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::storage(format!("writing {}: {e}", path.display()))
    })
}

fn invalid(what: &'static str, path: &Path, reason: &str) -> Error {
    Error::InvalidInput {
        what,
        value: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A missing file is the caller's mistake (named as such); anything else is storage trouble.
pub(crate) fn file_error(what: &'static str, path: &Path, e: &io::Error) -> Error {
    if e.kind() == io::ErrorKind::NotFound {
        invalid(what, path, "does not exist")
    } else {
        Error::storage(format!("reading {what} {}: {e}", path.display()))
    }
}

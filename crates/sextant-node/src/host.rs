//! `FsHost` over Node's `fs`: what the SQLite store does besides SQLite (folders,
//! attachment files), and the VFS its connections use.

use std::path::{Path, PathBuf};

use sextant_core::{Error, Result};
use sextant_sqlite::fs::{Entry, FsHost};
use wasm_bindgen::JsValue;

use crate::{lock, nodefs, vfs};

#[derive(Debug, Default, Clone, Copy)]
pub struct NodeFs;

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn failure(what: &str, path: &Path, e: &JsValue) -> Error {
    let message = format!("{what} {}: {}", path.display(), nodefs::message(e));
    match nodefs::code(e).as_str() {
        "ENOSPC" | "EDQUOT" => Error::quota_exceeded(message),
        "EROFS" => Error::read_only(message),
        _ => Error::storage(message),
    }
}

impl FsHost for NodeFs {
    fn vfs(&self) -> Option<&str> {
        Some(vfs::NAME)
    }

    fn exclusive(&self) -> bool {
        true
    }

    fn held_elsewhere(&self, db: &Path) -> Option<String> {
        let db = text(db);
        lock::holder(&db).map(|pid| {
            format!(
                "Node process {pid} is writing it ({} exists); Node processes cannot share a \
                 store for writing (Node has no file locks): use another directory, or wait \
                 for that process to end",
                lock::lock_path(&db)
            )
        })
    }

    fn entry(&self, path: &Path) -> Entry {
        match nodefs::is_dir(&text(path)) {
            Ok(Some(true)) => Entry::Dir,
            Ok(Some(false)) => Entry::File,
            _ => Entry::Missing,
        }
    }

    fn create_dir_all(&self, path: &Path) -> Result<()> {
        nodefs::mkdir_all(&text(path)).map_err(|e| failure("creating", path, &e))
    }

    fn canonicalize(&self, path: &Path) -> Option<PathBuf> {
        nodefs::realpath_sync(&text(path)).ok().map(PathBuf::from)
    }

    fn write(&self, path: &Path, data: &[u8]) -> Result<()> {
        nodefs::write_file(&text(path), data, false).map_err(|e| failure("writing", path, &e))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        nodefs::rename_sync(&text(from), &text(to)).map_err(|e| failure("renaming to", to, &e))
    }

    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>> {
        match nodefs::read_file(&text(path)) {
            Ok(data) => Ok(Some(data)),
            Err(e) if nodefs::code(&e) == "ENOENT" => Ok(None),
            Err(e) => Err(failure("reading", path, &e)),
        }
    }

    fn remove_file(&self, path: &Path) {
        let _ = nodefs::unlink_sync(&text(path));
    }

    fn remove_dir_all(&self, path: &Path) -> Result<()> {
        nodefs::remove_all(&text(path)).map_err(|e| failure("removing", path, &e))
    }

    fn process_id(&self) -> u32 {
        nodefs::pid()
    }
}

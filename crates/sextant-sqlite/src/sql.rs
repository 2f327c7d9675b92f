//! Turning SQLite failures into core errors that name the file involved.

use std::path::Path;

use rusqlite::ErrorCode;
use sextant_core::Error;

pub type SqlResult<T> = Result<T, Error>;

pub fn sql_err(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            Error::Corrupt(format!(
                "{} is not a readable SQLite database ({e}); it was left untouched",
                path.display()
            ))
        }
        Some(ErrorCode::DiskFull) => Error::QuotaExceeded(format!("{}: {e}", path.display())),
        _ => Error::Storage(format!("{}: {e}", path.display())),
    }
}

pub fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Storage(format!("{}: {e}", path.display()))
}

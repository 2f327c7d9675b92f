//! Turning SQLite and file-system failures into core errors that name the file involved,
//! and the one way this crate opens a write transaction.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};
use sextant_core::Error;

pub type SqlResult<T> = Result<T, Error>;

/// How long a writer waits for other processes' locks before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// The core error a SQLite failure means, naming the file; the rusqlite error stays
/// reachable as its `source()`.
pub fn sql_err(path: &Path, e: rusqlite::Error) -> Error {
    let error = match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            Error::corrupt(format!(
                "{} is not a readable SQLite database ({e}); it was left untouched",
                path.display()
            ))
        }
        Some(ErrorCode::DiskFull) => Error::quota_exceeded(format!("{}: {e}", path.display())),
        Some(ErrorCode::ReadOnly) => Error::read_only(format!("{}: {e}", path.display())),
        _ => Error::storage(format!("{}: {e}", path.display())),
    };
    error.with_source(e)
}

/// `.at(path)` on a rusqlite result: the one way SQLite errors become core errors naming
/// their file.
pub trait SqlContext<T> {
    fn at(self, path: &Path) -> SqlResult<T>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn at(self, path: &Path) -> SqlResult<T> {
        self.map_err(|e| sql_err(path, e))
    }
}

/// The core error an I/O failure means (a full disk, a read-only mount, anything else),
/// naming the path; the `io::Error` stays reachable as its `source()`.
pub fn io_err(path: &Path, e: std::io::Error) -> Error {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    const EROFS: i32 = 30;
    let message = format!("{}: {e}", path.display());
    let error = match e.raw_os_error() {
        Some(ENOSPC) | Some(EDQUOT) => Error::quota_exceeded(message),
        Some(EROFS) => Error::read_only(message),
        _ => Error::storage(message),
    };
    error.with_source(e)
}

/// Begins a write transaction that takes the write lock first (`BEGIN IMMEDIATE`).
///
/// A deferred transaction that reads and then writes cannot wait for another process's
/// lock: SQLite answers `SQLITE_BUSY` at once, without calling the busy handler, because
/// waiting could deadlock. Taking the lock up front makes every writer wait its turn (up
/// to [`BUSY_TIMEOUT`]) instead of failing with "database is locked".
pub fn begin<'c>(conn: &'c Connection, path: &Path) -> SqlResult<Transaction<'c>> {
    Transaction::new_unchecked(conn, TransactionBehavior::Immediate).at(path)
}

/// Runs `f` in one immediate transaction: committed when it succeeds, rolled back when not.
pub fn in_write_tx<T>(
    conn: &Connection,
    path: &Path,
    f: impl FnOnce(&Connection) -> SqlResult<T>,
) -> SqlResult<T> {
    let tx = begin(conn, path)?;
    let out = f(&tx)?;
    tx.commit().at(path)?;
    Ok(out)
}

/// Retries an operation that SQLite refuses with `SQLITE_BUSY` without consulting the busy
/// handler (switching the journal mode of a new file while another process opens it), for
/// at most [`BUSY_TIMEOUT`].
#[cfg(not(target_arch = "wasm32"))]
pub fn retry_busy<T>(path: &Path, mut f: impl FnMut() -> rusqlite::Result<T>) -> SqlResult<T> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match f() {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked)
                ) && start.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other.at(path),
        }
    }
}

/// On wasm32 there is no clock to bound a retry nor a thread to sleep (both panic there),
/// and the Node store holds its files exclusively, so a busy file stays busy: one try.
#[cfg(target_arch = "wasm32")]
pub fn retry_busy<T>(path: &Path, mut f: impl FnMut() -> rusqlite::Result<T>) -> SqlResult<T> {
    f().at(path)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn errors_name_the_file_and_keep_their_cause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exp.db");
        std::fs::write(
            &path,
            b"this is not a database, it is a text file of some length",
        )
        .unwrap();
        let conn = Connection::open(&path).unwrap();
        let err = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .at(&path)
            .unwrap_err();
        assert_eq!(err.code(), "CORRUPT");
        assert!(err.to_string().contains("exp.db"), "{err}");
        let cause = err.source().expect("the rusqlite error is kept");
        assert!(
            cause.downcast_ref::<rusqlite::Error>().is_some(),
            "{cause:?}"
        );

        let full = io_err(&path, std::io::Error::from_raw_os_error(28));
        assert_eq!(full.code(), "QUOTA_EXCEEDED");
        assert!(full.is_transient());
        let cause = full.source().expect("the io error is kept");
        assert_eq!(
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(|e| e.raw_os_error()),
            Some(28)
        );
    }
}

//! PostgreSQL failures as one-line Sextant errors that name the problem (and never the
//! password).

use sextant_core::Error;
use tokio_postgres::error::SqlState;

use crate::config::ConnConfig;

/// A failure while connecting: says which server, user or database, and what to check.
pub fn connect_error(cfg: &ConnConfig, e: &tokio_postgres::Error) -> Error {
    let at = &cfg.endpoint;
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        let msg = if *code == SqlState::INVALID_PASSWORD {
            format!(
                "PostgreSQL at {at} rejected the password for user {:?}",
                cfg.user()
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!(
                "PostgreSQL database {:?} does not exist on {at} (create it with: createdb {})",
                cfg.dbname(),
                cfg.dbname()
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            format!(
                "PostgreSQL at {at} refused user {:?}: {}",
                cfg.user(),
                db.message()
            )
        } else {
            format!("PostgreSQL at {at}: {}", db.message())
        };
        return Error::storage(msg);
    }
    Error::storage(format!(
        "cannot reach PostgreSQL at {at}: {}",
        root_cause(e)
    ))
}

/// The innermost cause, which carries the useful words ("Connection refused", a timeout).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    if text.is_empty() {
        e.to_string()
    } else {
        text
    }
}

/// A failure of a query on an open connection.
pub fn query_error(e: tokio_postgres::Error) -> Error {
    let error = match e.as_db_error() {
        Some(db) if *db.code() == SqlState::DISK_FULL => {
            Error::quota_exceeded(format!("PostgreSQL: {}", db.message()))
        }
        Some(db) => Error::storage(format!(
            "PostgreSQL: {} ({})",
            db.message(),
            db.code().code()
        )),
        None => Error::storage(format!("PostgreSQL: {}", root_cause(&e))),
    };
    error.with_source(e)
}

/// A failure to get a pooled connection.
pub fn pool_error(cfg: &ConnConfig, e: deadpool_postgres::PoolError) -> Error {
    match e {
        deadpool_postgres::PoolError::Backend(pg) => connect_error(cfg, &pg),
        other => Error::storage(format!(
            "PostgreSQL at {}: no connection: {other}",
            cfg.endpoint
        )),
    }
}

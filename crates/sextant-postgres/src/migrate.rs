//! Versioned migrations, applied on open. Hand-rolled rather than `refinery`/`sqlx`: the
//! schema name is chosen at run time (`?schema=`), the whole run must hold one advisory lock
//! on one connection, and the list is short — a table of `(version, sql)` is all it takes.

use deadpool_postgres::Object;
use sextant_core::{Error, Result};

use crate::errors::query_error;

/// Every migration, in order. A version is never edited once released; add a new one.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "base tables", include_str!("migrations/0001_base.sql")),
    (
        2,
        "min/max blocks per series",
        include_str!("migrations/0002_blocks.sql"),
    ),
    (
        3,
        "access tokens and experiment creators",
        include_str!("migrations/0003_tokens.sql"),
    ),
    (
        4,
        "eval samples, trace links and annotations",
        include_str!("migrations/0004_evals.sql"),
    ),
    (
        5,
        "finer min/max blocks for exact chart queries",
        include_str!("migrations/0005_fine_blocks.sql"),
    ),
];

/// The schema version this build writes.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Arbitrary first half of the advisory-lock key, so Sextant's locks never meet an
/// application's; the second half is the schema's hash.
const LOCK_CLASS: i32 = 0x05e4_7a17;

/// Brings `schema` up to `target` (normally [`latest`]). Holds a session advisory lock for
/// the schema meanwhile, so servers starting together migrate one after the other; each
/// migration runs in its own transaction with its version row.
pub async fn migrate(client: &mut Object, schema: &str, target: i32) -> Result<i32> {
    client
        .execute(
            "SELECT pg_advisory_lock($1, hashtext($2))",
            &[&LOCK_CLASS, &schema],
        )
        .await
        .map_err(query_error)?;
    let result = migrate_locked(client, schema, target).await;
    let unlock = client
        .execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))",
            &[&LOCK_CLASS, &schema],
        )
        .await
        .map_err(query_error);
    let version = result?;
    unlock?;
    Ok(version)
}

async fn migrate_locked(client: &mut Object, schema: &str, target: i32) -> Result<i32> {
    client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
             CREATE TABLE IF NOT EXISTS \"{schema}\".sextant_migrations (
                 version     integer PRIMARY KEY,
                 description text NOT NULL,
                 applied_at  timestamptz NOT NULL DEFAULT now()
             );"
        ))
        .await
        .map_err(query_error)?;
    let row = client
        .query_one(
            &format!("SELECT COALESCE(MAX(version), 0) FROM \"{schema}\".sextant_migrations"),
            &[],
        )
        .await
        .map_err(query_error)?;
    let current: i32 = row.get(0);
    if current > latest() {
        return Err(Error::corrupt(format!(
            "PostgreSQL schema {schema:?} is at version {current}, newer than this sextant understands ({}): upgrade sextant, or use another ?schema=",
            latest()
        )));
    }
    for (version, description, sql) in MIGRATIONS {
        if *version <= current || *version > target {
            continue;
        }
        let tx = client.transaction().await.map_err(query_error)?;
        tx.batch_execute(&format!("SET LOCAL search_path TO \"{schema}\""))
            .await
            .map_err(query_error)?;
        tx.batch_execute(sql).await.map_err(|e| {
            Error::storage(format!(
                "migration {version} ({description}) failed on schema {schema:?}: {}",
                query_error(e)
            ))
        })?;
        tx.execute(
            "INSERT INTO sextant_migrations (version, description) VALUES ($1, $2)",
            &[version, description],
        )
        .await
        .map_err(query_error)?;
        tx.commit().await.map_err(query_error)?;
    }
    Ok(current.max(target.min(latest())))
}

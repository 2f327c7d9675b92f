//! The luml-sdk 0.4 schemas, column for column, so luml opens what we write and its own
//! migrations find nothing to do. One deliberate change: `dynamic_metrics` is a
//! WITHOUT ROWID table (same columns and key), which drops luml's duplicate key index and
//! roughly halves the bytes per point.

use rusqlite::Connection;

use sextant_core::Error;

use crate::sql::{in_write_tx, retry_busy, SqlContext, SqlResult, BUSY_TIMEOUT};

pub const META_DDL: &str = "
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS experiment_groups (
    id TEXT PRIMARY KEY,
    name TEXT,
    description TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    tags TEXT,
    last_modified TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_experiment_groups_name ON experiment_groups(name);
CREATE TABLE IF NOT EXISTS experiments (
    id TEXT PRIMARY KEY,
    name TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    status TEXT DEFAULT 'active',
    tags TEXT,
    group_id TEXT REFERENCES experiment_groups(id),
    static_params TEXT,
    dynamic_params TEXT,
    duration REAL,
    description TEXT,
    source TEXT,
    metadata TEXT,
    upload_status TEXT
);
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY,
    name TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    tags TEXT,
    path TEXT,
    experiment_id TEXT REFERENCES experiments(id) ON DELETE CASCADE,
    size INTEGER,
    source TEXT,
    description TEXT
);
CREATE TABLE IF NOT EXISTS remote_artifacts (
    local_type TEXT NOT NULL,
    local_id TEXT NOT NULL,
    orbit_id TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (local_type, local_id, orbit_id)
);
INSERT OR IGNORE INTO schema_migrations(version) VALUES (1),(2),(3),(4),(5),(6);
";

pub const EXP_DDL: &str = "
CREATE TABLE IF NOT EXISTS exp_schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS static_params (
    key TEXT PRIMARY KEY,
    value TEXT,
    value_type TEXT
);
CREATE TABLE IF NOT EXISTS dynamic_metrics (
    key TEXT,
    value REAL,
    step INTEGER,
    logged_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (key, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attachments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    file_path TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    size INTEGER
);
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    kind INTEGER,
    dfs_span_type INTEGER NOT NULL DEFAULT 0,
    start_time_unix_nano BIGINT NOT NULL,
    end_time_unix_nano BIGINT NOT NULL,
    status_code INTEGER,
    status_message TEXT,
    attributes TEXT,
    events TEXT,
    links TEXT,
    trace_flags INTEGER,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE IF NOT EXISTS evals (
    id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    refs TEXT,
    scores TEXT,
    metadata TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (dataset_id, id)
);
CREATE TABLE IF NOT EXISTS eval_traces_bridge (
    id TEXT PRIMARY KEY,
    eval_dataset_id TEXT NOT NULL,
    eval_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS eval_annotations (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL,
    eval_id TEXT NOT NULL,
    name TEXT NOT NULL,
    annotation_kind TEXT NOT NULL CHECK(annotation_kind IN ('feedback', 'expectation')),
    value_type TEXT NOT NULL CHECK(value_type IN ('int', 'bool', 'string')),
    value TEXT NOT NULL,
    user TEXT NOT NULL,
    rationale TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (dataset_id, eval_id) REFERENCES evals(dataset_id, id)
);
CREATE TABLE IF NOT EXISTS span_annotations (
    id TEXT PRIMARY KEY,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    name TEXT NOT NULL,
    annotation_kind TEXT NOT NULL CHECK(annotation_kind IN ('feedback', 'expectation')),
    value_type TEXT NOT NULL CHECK(value_type IN ('int', 'bool', 'string')),
    value TEXT NOT NULL,
    user TEXT NOT NULL,
    rationale TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (trace_id, span_id) REFERENCES spans(trace_id, span_id)
);
INSERT OR IGNORE INTO exp_schema_migrations(version) VALUES (1),(2);
PRAGMA user_version = 2;
";

/// Pragmas for every connection to a store file: WAL (readers never block the writer),
/// a busy timeout for other processes, and full fsync at commit, which is once per flush.
/// The journal mode is only switched when it is not WAL yet: the switch needs every other
/// connection gone, so a store many processes open at once must not ask for it each time.
pub fn configure(conn: &Connection, path: &std::path::Path) -> SqlResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).at(path)?;
    stable_plans(conn, path)?;
    let mode: String = retry_busy(path, || {
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
    })?;
    if !mode.eq_ignore_ascii_case("wal") {
        let now: String = retry_busy(path, || {
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        })?;
        if !now.eq_ignore_ascii_case("wal") {
            return Err(Error::storage(format!(
                "{}: cannot switch to WAL journaling (still {now})",
                path.display()
            )));
        }
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;",
    )
    .at(path)
}

/// Pragmas for a connection opened read-only: no journal switch, no schema changes.
pub fn configure_read_only(conn: &Connection, path: &std::path::Path) -> SqlResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).at(path)?;
    stable_plans(conn, path)
}

/// Query plans that do not depend on bound values. Without this SQLite marks statements
/// such as `... WHERE key = ?1 AND step BETWEEN ?2 AND ?3` to be re-planned whenever
/// their bindings are cleared, which the statement cache does on every reuse: chart
/// queries spent most of their time re-parsing SQL. Must be set before any statement is
/// prepared (the mark survives re-preparation).
fn stable_plans(conn: &Connection, path: &std::path::Path) -> SqlResult<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
    .at(path)
}

/// Creates meta.db's tables in one write transaction (so two processes opening a new store
/// at once take turns instead of one failing).
pub fn create_meta(conn: &Connection, path: &std::path::Path) -> SqlResult<()> {
    create(conn, path, META_DDL)
}

pub fn create_exp(conn: &Connection, path: &std::path::Path) -> SqlResult<()> {
    create(conn, path, EXP_DDL)
}

/// Runs (idempotent, `IF NOT EXISTS`) DDL inside an immediate transaction.
pub fn create(conn: &Connection, path: &std::path::Path, ddl: &str) -> SqlResult<()> {
    in_write_tx(conn, path, |tx| tx.execute_batch(ddl).at(path))
}

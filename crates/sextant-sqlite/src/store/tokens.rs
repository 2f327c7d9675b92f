//! Access tokens in meta.db, in a table of Sextant's own (`sextant_tokens`) that luml-sdk
//! never reads; created on the first token, so stores without tokens keep luml's tables only.

use rusqlite::{params, OptionalExtension};
use sextant_core::{
    store::{no_such_token, token_name_taken},
    validate_token_name, NewToken, Result, Role, TokenInfo, TokenStore,
};
use sextant_luml::sql::{begin, SqlContext};

use super::{lock, SqliteStore};

const DDL: &str = "CREATE TABLE IF NOT EXISTS sextant_tokens (
    seq INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS sextant_tokens_active ON sextant_tokens(name) WHERE revoked_at IS NULL;";

const COLUMNS: &str = "name, role, prefix, created_at, last_used_at, revoked_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    let role: String = r.get(1)?;
    Ok(TokenInfo {
        name: r.get(0)?,
        // A role this build does not know grants the least.
        role: role.parse().unwrap_or(Role::Read),
        prefix: r.get(2)?,
        created_at: r.get(3)?,
        last_used_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

impl SqliteStore {
    fn has_token_table(&self, conn: &rusqlite::Connection) -> Result<bool> {
        conn.query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sextant_tokens'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map(|r| r.is_some())
        .at(&self.meta_path)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl TokenStore for SqliteStore {
    async fn add_token(&self, token: &NewToken) -> Result<()> {
        validate_token_name(&token.name)?;
        self.check_writable()?;
        let guard = lock(&self.meta)?;
        let tx = begin(&guard, &self.meta_path)?;
        tx.execute_batch(DDL).at(&self.meta_path)?;
        let taken = tx
            .query_row(
                "SELECT 1 FROM sextant_tokens WHERE name = ?1 AND revoked_at IS NULL",
                params![token.name],
                |_| Ok(()),
            )
            .optional()
            .at(&self.meta_path)?;
        if taken.is_some() {
            return Err(token_name_taken(&token.name));
        }
        tx.execute(
            "INSERT INTO sextant_tokens(name, role, hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token.name, token.role.as_str(), token.hash, token.prefix, token.created_at],
        )
        .at(&self.meta_path)?;
        tx.commit().at(&self.meta_path)
    }

    async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let conn = lock(&self.meta)?;
        if !self.has_token_table(&conn)? {
            return Ok(Vec::new());
        }
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM sextant_tokens ORDER BY created_at, seq"
            ))
            .at(&self.meta_path)?;
        let rows = stmt.query_map([], row).at(&self.meta_path)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .at(&self.meta_path)
    }

    async fn revoke_token(&self, name: &str, at: i64) -> Result<()> {
        self.check_writable()?;
        let guard = lock(&self.meta)?;
        if !self.has_token_table(&guard)? {
            return Err(no_such_token(name));
        }
        let tx = begin(&guard, &self.meta_path)?;
        let n = tx
            .execute(
                "UPDATE sextant_tokens SET revoked_at = ?1 WHERE name = ?2 AND revoked_at IS NULL",
                params![at, name],
            )
            .at(&self.meta_path)?;
        if n == 0 {
            return Err(no_such_token(name));
        }
        tx.commit().at(&self.meta_path)
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>> {
        let conn = lock(&self.meta)?;
        if !self.has_token_table(&conn)? {
            return Ok(None);
        }
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM sextant_tokens WHERE hash = ?1 AND revoked_at IS NULL"),
            params![hash],
            row,
        )
        .optional()
        .at(&self.meta_path)
    }

    async fn touch_token(&self, name: &str, at: i64) -> Result<()> {
        // Bookkeeping only: a read-only store still authenticates.
        if self.read_only.is_some() {
            return Ok(());
        }
        let conn = lock(&self.meta)?;
        if !self.has_token_table(&conn)? {
            return Ok(());
        }
        conn.execute(
            "UPDATE sextant_tokens SET last_used_at = ?1 WHERE name = ?2 AND revoked_at IS NULL",
            params![at, name],
        )
        .at(&self.meta_path)?;
        Ok(())
    }
}

//! Access tokens in the `tokens` table (schema version 3): hashes only, shared by every
//! replica over the database.

use sextant_core::{
    store::{no_such_token, token_name_taken},
    validate_token_name, Error, NewToken, Result, Role, TokenInfo, TokenStore,
};
use tokio_postgres::error::SqlState;

use crate::errors::query_error;
use crate::{Inner, PgStore};

const COLUMNS: &str = "name, role, prefix, created_at, last_used_at, revoked_at";

fn info(r: &tokio_postgres::Row) -> TokenInfo {
    let role: String = r.get(1);
    TokenInfo {
        name: r.get(0),
        // A role this build does not know grants the least.
        role: role.parse().unwrap_or(Role::Read),
        prefix: r.get(2),
        created_at: r.get(3),
        last_used_at: r.get(4),
        revoked_at: r.get(5),
    }
}

fn needs_v3(inner: &Inner) -> Result<()> {
    if inner.version < 3 {
        return Err(Error::storage(format!(
            "PostgreSQL schema {:?} is at version {}, before access tokens (3)",
            inner.cfg.schema, inner.version
        )));
    }
    Ok(())
}

async fn add(inner: &Inner, t: NewToken) -> Result<()> {
    needs_v3(inner)?;
    let client = inner.conn().await?;
    let inserted = client
        .execute(
            "INSERT INTO tokens (name, role, hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&t.name, &t.role.as_str(), &t.hash, &t.prefix, &t.created_at],
        )
        .await;
    match inserted {
        Ok(_) => Ok(()),
        // The partial unique index on active names: another active token has it.
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(token_name_taken(&t.name)),
        Err(e) => Err(query_error(e)),
    }
}

#[async_trait::async_trait]
impl TokenStore for PgStore {
    async fn add_token(&self, token: &NewToken) -> Result<()> {
        validate_token_name(&token.name)?;
        let token = token.clone();
        self.run(|inner| async move { add(&inner, token).await })
            .await
    }

    async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        self.run(|inner| async move {
            needs_v3(&inner)?;
            let rows = inner
                .conn()
                .await?
                .query(
                    &format!("SELECT {COLUMNS} FROM tokens ORDER BY created_at, seq"),
                    &[],
                )
                .await
                .map_err(query_error)?;
            Ok(rows.iter().map(info).collect())
        })
        .await
    }

    async fn revoke_token(&self, name: &str, at: i64) -> Result<()> {
        let name = name.to_string();
        self.run(|inner| async move {
            needs_v3(&inner)?;
            let n = inner
                .conn()
                .await?
                .execute(
                    "UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
                    &[&at, &name],
                )
                .await
                .map_err(query_error)?;
            if n == 0 {
                return Err(no_such_token(&name));
            }
            Ok(())
        })
        .await
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>> {
        let hash = hash.to_string();
        self.run(|inner| async move {
            if inner.version < 3 {
                return Ok(None);
            }
            let row = inner
                .conn()
                .await?
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL"),
                    &[&hash],
                )
                .await
                .map_err(query_error)?;
            Ok(row.as_ref().map(info))
        })
        .await
    }

    async fn touch_token(&self, name: &str, at: i64) -> Result<()> {
        let name = name.to_string();
        self.run(|inner| async move {
            if inner.version < 3 {
                return Ok(());
            }
            inner
                .conn()
                .await?
                .execute(
                    "UPDATE tokens SET last_used_at = $1 WHERE name = $2 AND revoked_at IS NULL",
                    &[&at, &name],
                )
                .await
                .map_err(query_error)?;
            Ok(())
        })
        .await
    }
}

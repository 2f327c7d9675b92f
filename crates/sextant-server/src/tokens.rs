//! `/api/tokens`: managing access tokens over HTTP, for admins (the role check is in
//! `auth`), for those without access to the database the server serves.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sextant_core::store::tokens_of;
use sextant_core::{Env, NewToken, Role, TokenInfo};
use sextant_native::SystemEnv;

use crate::error::ApiError;
use crate::{blocking, AppState};

type ApiResult<T> = Result<T, ApiError>;

/// The body of `POST /api/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    name: String,
    /// Parsed here rather than by serde, so a bad role gets the core's message.
    role: String,
}

pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<TokenInfo>>> {
    let store = state.store.clone();
    let list =
        blocking(move || pollster::block_on(tokens_of(store.as_ref())?.list_tokens())).await?;
    Ok(Json(list))
}

/// Creates a token and answers its secret, the only time anyone sees it.
pub async fn create(State(state): State<AppState>, body: axum::body::Bytes) -> ApiResult<Response> {
    let body: CreateToken = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!("body is not {{\"name\": …, \"role\": …}}: {e}"))
    })?;
    let role: Role = body.role.parse()?;
    let secret = sextant_native::new_token_secret()?;
    let new = NewToken::new(&body.name, role, &secret, SystemEnv.now_unix_millis())?;
    let store = state.store.clone();
    let added = new.clone();
    blocking(move || pollster::block_on(tokens_of(store.as_ref())?.add_token(&added))).await?;
    state.tokens.clear();
    let body = serde_json::json!({
        "name": new.name,
        "role": new.role,
        "prefix": new.prefix,
        "created_at": new.created_at,
        "secret": secret,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let store = state.store.clone();
    let at = SystemEnv.now_unix_millis();
    blocking(move || pollster::block_on(tokens_of(store.as_ref())?.revoke_token(&name, at)))
        .await?;
    state.tokens.clear();
    Ok(StatusCode::NO_CONTENT)
}

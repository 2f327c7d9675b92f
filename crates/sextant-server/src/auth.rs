//! Bearer-token auth. Browsers cannot add a header to a page load or an <img>, so a token
//! given once as `?token=` is turned into an HttpOnly cookie that later requests carry.

use axum::extract::{Request, State};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use percent_encoding::percent_decode_str;
use sextant_core::{token_hash, Batch, Env, Record, Role, Store, TokenInfo, TokenStore};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::AppState;

const COOKIE: &str = "sextant_token";

/// Compares in constant time, so timing does not reveal how much of a guess matched.
fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn presented(req: &Request) -> (Option<String>, bool) {
    let headers = req.headers();
    // Tokens may hold any UTF-8, which `HeaderValue::to_str` (visible ASCII only) refuses.
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
    {
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        if let Some((scheme, t)) = v.trim().split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") {
                return (Some(t.trim().to_string()), false);
            }
        }
    }
    // Cookie values are percent-encoded when set (see `remember`), decoded here.
    let jar = CookieJar::from_headers(headers);
    if let Some(t) = jar.get(COOKIE) {
        let t = percent_decode_str(t.value())
            .decode_utf8_lossy()
            .into_owned();
        return (Some(t), false);
    }
    let query = req.uri().query().unwrap_or("");
    // Form decoding: the dashboard percent-encodes the token, and `+` is a space there.
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "token" {
            return (Some(v.into_owned()), true);
        }
    }
    (None, false)
}

/// Sets the token as an HttpOnly, same-site cookie, percent-encoded (cookie values may
/// not hold spaces, `;` or non-ASCII, tokens may).
fn remember(resp: &mut Response, token: &str) {
    let cookie = Cookie::build((COOKIE, token.to_string()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .build();
    if let Ok(v) = HeaderValue::from_str(&cookie.encoded().to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Who sent the request being served: the named token's name (none for the server's own
/// `--token` or an open server) and what it may do.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub token: Option<String>,
    pub role: Role,
}

tokio::task_local! {
    /// The caller of the request this task serves, set by [`require_token`]; read by the
    /// write paths (through [`stamp`]) to record which token created a run.
    static CALLER: Caller;
}

/// The named token serving the current request, if any. Read it in the handler's task,
/// before moving work to the blocking pool.
pub(crate) fn caller_token() -> Option<String> {
    CALLER.try_with(|c| c.token.clone()).ok().flatten()
}

/// Records `token` as the creator of every run `batch` creates, whatever the client
/// claimed; without a named token the batch is left as sent.
pub(crate) fn stamp(batch: &mut Batch, token: Option<&str>) {
    let Some(token) = token else { return };
    for r in &mut batch.records {
        if let Record::Create(new) = r {
            new.created_by = Some(token.to_string());
        }
    }
}

/// The role a request needs: reads need `read` (MLflow's searches are POSTs but read),
/// token management `admin`, everything else `write`.
pub(crate) fn needed(method: &Method, path: &str) -> Role {
    let path = path.trim_end_matches('/');
    if path == "/api/tokens" || path.starts_with("/api/tokens/") {
        return Role::Admin;
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Role::Read;
    }
    let mlflow_read = [
        "/runs/search",
        "/experiments/search",
        "/logged-models/search",
    ];
    if (path.starts_with("/api/2.0/mlflow/") || path.starts_with("/ajax-api/2.0/mlflow/"))
        && mlflow_read.iter().any(|r| path.ends_with(r))
    {
        return Role::Read;
    }
    Role::Write
}

/// How long a token lookup (found or not) and "does this store have tokens" are trusted:
/// a revoked token stops working on every replica within this.
const CACHE_FOR: Duration = Duration::from_secs(5);
/// How often a token's `last_used_at` is written, at most.
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// Lookups remembered at once; the cache is emptied when full (guessed tokens fill it).
const CACHE_ENTRIES: usize = 1024;

/// The store's tokens, looked up by hash and remembered for [`CACHE_FOR`], so a logging
/// client costs the database one lookup per few seconds, not one per request.
#[derive(Default)]
pub(crate) struct TokenCache {
    found: Mutex<HashMap<String, (Option<TokenInfo>, Instant)>>,
    touched: Mutex<HashMap<String, Instant>>,
    /// Whether the store has any active token, and when that was read.
    any: Mutex<Option<(bool, Instant)>>,
}

fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TokenCache {
    /// Store work runs on the blocking pool (SQLite blocks). `None`: the store keeps no
    /// tokens (or the task died).
    async fn ask<T: Send + 'static>(
        store: &Arc<dyn Store>,
        f: impl FnOnce(&dyn TokenStore) -> sextant_core::Result<T> + Send + 'static,
    ) -> Option<sextant_core::Result<T>> {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.tokens().map(f))
            .await
            .ok()
            .flatten()
    }

    /// True when the store holds an active token (then every request needs one).
    async fn any(&self, store: &Arc<dyn Store>) -> Result<bool, ApiError> {
        if let Some((any, at)) = *guard(&self.any) {
            if at.elapsed() < CACHE_FOR {
                return Ok(any);
            }
        }
        let any = match Self::ask(store, |t| pollster::block_on(t.list_tokens())).await {
            None => false,
            Some(Ok(list)) => list.iter().any(|t| t.revoked_at.is_none()),
            Some(Err(e)) => return Err(ApiError::from(e)),
        };
        *guard(&self.any) = Some((any, Instant::now()));
        Ok(any)
    }

    async fn find(
        &self,
        store: &Arc<dyn Store>,
        secret: &str,
    ) -> Result<Option<TokenInfo>, ApiError> {
        let hash = token_hash(secret);
        if let Some((found, at)) = guard(&self.found).get(&hash) {
            if at.elapsed() < CACHE_FOR {
                return Ok(found.clone());
            }
        }
        let h = hash.clone();
        let found = match Self::ask(store, move |t| pollster::block_on(t.find_token(&h))).await {
            None => None,
            Some(Ok(found)) => found,
            Some(Err(e)) => return Err(ApiError::from(e)),
        };
        let mut cache = guard(&self.found);
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(hash, (found.clone(), Instant::now()));
        Ok(found)
    }

    /// Writes `last_used_at` in the background, at most every [`TOUCH_EVERY`].
    fn touch(&self, store: &Arc<dyn Store>, name: &str) {
        {
            let mut touched = guard(&self.touched);
            if touched
                .get(name)
                .is_some_and(|at| at.elapsed() < TOUCH_EVERY)
            {
                return;
            }
            if touched.len() >= CACHE_ENTRIES {
                touched.clear();
            }
            touched.insert(name.to_string(), Instant::now());
        }
        let store = store.clone();
        let name = name.to_string();
        let now = sextant_native::SystemEnv.now_unix_millis();
        tokio::spawn(async move {
            let _ = Self::ask(&store, move |t| {
                pollster::block_on(t.touch_token(&name, now))
            })
            .await;
        });
    }

    /// Forgets everything, after this server changed the tokens itself.
    pub(crate) fn clear(&self) {
        guard(&self.found).clear();
        *guard(&self.any) = None;
    }
}

/// Authenticates the request (the server's `--token`, or a named token the store keeps)
/// and checks its role; an open server (neither) lets everyone do everything. The
/// caller is known to the handlers through [`CALLER`].
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (given, from_query) = presented(&req);
    // MLflow's client reads `error_code`, so its routes answer in MLflow's shape.
    let path = req.uri().path().to_string();
    let mlflow = path.starts_with("/api/2.0/") || path.starts_with("/ajax-api/2.0/");
    let refuse = |status: StatusCode, message: &str| -> Response {
        if mlflow {
            let code = if status == StatusCode::FORBIDDEN {
                "PERMISSION_DENIED"
            } else {
                "UNAUTHENTICATED"
            };
            crate::mlflow::MlflowError::new(status, code, message).into_response()
        } else {
            ApiError::new(status, message).into_response()
        }
    };
    let caller = match &given {
        Some(t)
            if state
                .token
                .as_deref()
                .is_some_and(|expected| same(t, expected)) =>
        {
            Caller {
                token: None,
                role: Role::Admin,
            }
        }
        Some(t) => match state.tokens.find(&state.store, t).await {
            Ok(Some(info)) => {
                state.tokens.touch(&state.store, &info.name);
                Caller {
                    token: Some(info.name),
                    role: info.role,
                }
            }
            Ok(None) => return refuse(StatusCode::UNAUTHORIZED, "invalid token"),
            Err(e) => return e.into_response(),
        },
        None => {
            let required = match state.token {
                Some(_) => true,
                None => match state.tokens.any(&state.store).await {
                    Ok(any) => any,
                    Err(e) => return e.into_response(),
                },
            };
            if required {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "this server requires a token: send 'Authorization: Bearer TOKEN' (or open /?token=TOKEN once; MLflow clients: set MLFLOW_TRACKING_TOKEN)",
                );
            }
            Caller {
                token: None,
                role: Role::Admin,
            }
        }
    };
    let need = needed(req.method(), &path);
    if !caller.role.allows(need) {
        let who = caller.token.as_deref().unwrap_or("this token");
        return refuse(
            StatusCode::FORBIDDEN,
            &format!(
                "token {who:?} has the {} role; {} {path} needs {need}",
                caller.role,
                req.method()
            ),
        );
    }
    let token_for_cookie = if from_query { given } else { None };
    let mut resp = CALLER.scope(caller, next.run(req)).await;
    if let Some(t) = token_for_cookie {
        remember(&mut resp, &t);
    }
    resp
}

//! Bearer-token auth. Browsers cannot add a header to a page load or an <img>, so a token
//! given once as `?token=` is turned into an HttpOnly cookie that later requests carry.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::AppState;

const COOKIE: &str = "sextant_token";

/// Compares without an early exit, so timing does not reveal how much of a guess matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn presented(req: &Request) -> (Option<String>, bool) {
    let headers = req.headers();
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return (Some(t.trim().to_string()), false);
        }
    }
    for cookie in headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for part in cookie.split(';') {
            if let Some(t) = part.trim().strip_prefix(&format!("{COOKIE}=")) {
                return (Some(t.to_string()), false);
            }
        }
    }
    let query = req.uri().query().unwrap_or("");
    for pair in query.split('&') {
        if let Some(t) = pair.strip_prefix("token=") {
            return (Some(t.to_string()), true);
        }
    }
    (None, false)
}

pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.token.as_deref() else {
        return next.run(req).await;
    };
    let (given, from_query) = presented(&req);
    match given {
        Some(t) if same(&t, expected) => {
            let mut resp = next.run(req).await;
            if from_query {
                let cookie = format!("{COOKIE}={t}; HttpOnly; SameSite=Strict; Path=/");
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Some(_) => ApiError::new(StatusCode::UNAUTHORIZED, "invalid token").into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this server requires a token: send 'Authorization: Bearer TOKEN' (or open /?token=TOKEN once)",
        )
        .into_response(),
    }
}

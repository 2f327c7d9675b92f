//! Bearer-token auth. Browsers cannot add a header to a page load or an <img>, so a token
//! given once as `?token=` is turned into an HttpOnly cookie that later requests carry.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use percent_encoding::percent_decode_str;
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

pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.token.as_deref() else {
        return next.run(req).await;
    };
    let (given, from_query) = presented(&req);
    // MLflow's client reads `error_code`, so its routes answer in MLflow's shape.
    let path = req.uri().path();
    let mlflow = path.starts_with("/api/2.0/") || path.starts_with("/ajax-api/2.0/");
    let refuse = |message: &str| -> Response {
        if mlflow {
            crate::mlflow::MlflowError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
                .into_response()
        } else {
            ApiError::new(StatusCode::UNAUTHORIZED, message).into_response()
        }
    };
    match given {
        Some(t) if same(&t, expected) => {
            let mut resp = next.run(req).await;
            if from_query {
                remember(&mut resp, &t);
            }
            resp
        }
        Some(_) => refuse("invalid token"),
        None => refuse(
            "this server requires a token: send 'Authorization: Bearer TOKEN' (or open /?token=TOKEN once; MLflow clients: set MLFLOW_TRACKING_TOKEN)",
        ),
    }
}

//! Defences for a server that browsers can reach: only known `Host` names (DNS
//! rebinding), writes only from this origin or a `--cors` origin and only as
//! `application/json` (so a cross-site "simple" form or `no-cors` fetch cannot write), and
//! headers that stop other sites framing the dashboard.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// What the guard accepts, built once from the serve options.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Host names (lowercase, no port) accepted besides IP literals and `localhost`.
    hosts: Arc<Vec<String>>,
    /// Origins (`scheme://host[:port]`) allowed to write cross-origin.
    cors: Arc<Vec<String>>,
}

impl Guard {
    pub fn new(bound_host: &str, allowed_hosts: &[String], cors: &[String]) -> Self {
        let mut hosts: Vec<String> = allowed_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        if bound_host.parse::<IpAddr>().is_err() {
            hosts.push(bound_host.to_ascii_lowercase());
        }
        Guard {
            hosts: Arc::new(hosts),
            cors: Arc::new(
                cors.iter()
                    .map(|o| o.trim_end_matches('/').to_string())
                    .collect(),
            ),
        }
    }

    /// IP literals cannot be rebound by an attacker's DNS, `localhost` resolves locally;
    /// any other name must have been named with `--allowed-host`.
    fn host_allowed(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        let name = name.trim_start_matches('[').trim_end_matches(']');
        name.parse::<IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self.hosts.iter().any(|h| h == name)
    }

    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/');
        let own = host.is_some_and(|h| {
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h))
        });
        own || self.cors.iter().any(|c| c == origin)
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..h.len() + 1]);
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// `PUT /api/experiments/{id}/attachments/{name}`: a streamed attachment upload, raw bytes.
pub fn is_attachment_upload(path: &str) -> bool {
    path.strip_prefix("/api/experiments/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, rest)| rest.starts_with("attachments/"))
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn check(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    if let Some(h) = &host {
        if !guard.host_allowed(h) {
            return ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                format!("host {h:?} is not served here: start the server with --allowed-host {} to allow it", strip_port(h)),
            )
            .into_response();
        }
    }
    if is_write(req.method()) {
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            if !guard.origin_allowed(origin, host.as_deref()) {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!("writes from origin {origin:?} are refused: start the server with --cors {origin} to allow that site"),
                )
                .into_response();
            }
        }
        let has_body = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v != "0")
            || headers.contains_key(header::TRANSFER_ENCODING);
        let media = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim);
        let json = media.is_some_and(|v| v.eq_ignore_ascii_case("application/json"));
        // OTLP exporters send protobuf; a browser cannot send that type cross-site
        // without a CORS preflight, so it is as safe as JSON.
        let otlp = req.uri().path() == "/v1/traces"
            && media.is_some_and(|v| v.eq_ignore_ascii_case("application/x-protobuf"));
        // The binary batch: not a type a browser can send cross-site without a preflight.
        let binary = req.uri().path() == "/api/batch"
            && media.is_some_and(|v| v.eq_ignore_ascii_case(sextant_core::wire::BINARY_BATCH));
        // MLflow's artifact uploads are PUTs of raw file bytes; PUT is never a CORS "simple"
        // method, so a browser always preflights it cross-site.
        let path = req.uri().path();
        let artifact = *req.method() == Method::PUT
            && (path.starts_with("/api/2.0/mlflow-artifacts/")
                || path.starts_with("/ajax-api/2.0/mlflow-artifacts/")
                || is_attachment_upload(path));
        if has_body && !json && !otlp && !binary && !artifact {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "writes must be sent as Content-Type: application/json (or application/cbor for /api/batch)",
            )
            .into_response();
        }
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Attachments set their own (stricter, sandboxed) policy.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'",
        ));
    resp
}

/// Bodies cut off while streaming in (no `Content-Length`) get the same JSON 413 as the
/// ones refused up front.
pub async fn json_413(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body is over the server's limit (see --max-body)",
        )
        .into_response();
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let g = Guard::new("127.0.0.1", &["team.example".into()], &[]);
        for ok in [
            "127.0.0.1:5000",
            "localhost:5000",
            "[::1]:80",
            "10.0.0.2",
            "TEAM.example:443",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "attacker.example:5000",
            "127.0.0.1.nip.io",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
        let named = Guard::new("box.lan", &[], &[]);
        assert!(named.host_allowed("box.lan:5000"));
    }

    #[test]
    fn origins() {
        let g = Guard::new("127.0.0.1", &[], &["http://app.example:3000".into()]);
        assert!(g.origin_allowed("http://127.0.0.1:5000", Some("127.0.0.1:5000")));
        assert!(g.origin_allowed("http://app.example:3000/", Some("127.0.0.1:5000")));
        assert!(!g.origin_allowed("http://evil.example", Some("127.0.0.1:5000")));
        assert!(!g.origin_allowed("null", Some("127.0.0.1:5000")));
    }
}

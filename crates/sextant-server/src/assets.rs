//! The dashboard's files, embedded at build time (see build.rs).

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

pub fn dashboard_built() -> bool {
    !ASSETS.is_empty()
}

pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

const NOT_BUILT: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sextant</title></head>
<body style="font-family:system-ui;max-width:44rem;margin:3rem auto;line-height:1.5">
<h1>The Sextant dashboard was not built into this binary</h1>
<p>The JSON API is running at <code>/api/experiments</code>. To get the dashboard, build it and
then rebuild <code>sextant</code>, which embeds it:</p>
<pre>bash scripts/build-dashboard.sh      # runs trunk build --release into dist/
cargo build --release -p sextant     # embeds dist/ into the binary</pre>
<p>Or point <code>SEXTANT_DASHBOARD_DIST</code> at a built <code>dist/</code> folder when building.</p>
</body></html>"#;

/// A dashboard file, or index.html for client-side routes (deep links).
pub fn serve(path: &str) -> Response {
    if !dashboard_built() {
        return (StatusCode::OK, Html(NOT_BUILT)).into_response();
    }
    let path = path.trim_start_matches('/');
    let wanted = if path.is_empty() { "index.html" } else { path };
    let found = ASSETS.iter().find(|(name, _)| *name == wanted).or_else(|| {
        // Unknown paths without an extension are app routes; files that are missing are 404s.
        let is_route = !wanted.rsplit('/').next().unwrap_or("").contains('.');
        is_route
            .then(|| ASSETS.iter().find(|(name, _)| *name == "index.html"))
            .flatten()
    });
    match found {
        Some((name, bytes)) => {
            ([(header::CONTENT_TYPE, content_type(name))], *bytes).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

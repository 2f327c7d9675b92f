//! The dashboard's files, embedded at build time (see build.rs).

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// The built dashboard (or an empty folder: see build.rs), embedded in release and debug
/// builds alike so every binary serves the same files.
#[derive(rust_embed::Embed)]
#[folder = "$SEXTANT_ASSETS_DIR"]
struct Assets;

pub fn dashboard_built() -> bool {
    Assets::get("index.html").is_some()
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
    let found = Assets::get(wanted).or_else(|| {
        // Unknown paths without an extension are app routes; files that are missing are 404s.
        let is_route = !wanted.rsplit('/').next().unwrap_or("").contains('.');
        is_route.then(|| Assets::get("index.html")).flatten()
    });
    match found {
        Some(file) => {
            let mime = file.metadata.mimetype();
            // Text types without a charset would be sniffed; the dashboard is UTF-8.
            let content_type = if mime.starts_with("text/") && !mime.contains("charset") {
                format!("{mime}; charset=utf-8")
            } else {
                mime.to_owned()
            };
            ([(header::CONTENT_TYPE, content_type)], file.data).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

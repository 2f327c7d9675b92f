//! `sextant ui` / `sextant serve`: the dashboard and a JSON API over any store, and the
//! write endpoint `http://` stores log through.

mod api;
mod assets;
mod auth;
mod body;
mod error;
mod evals_api;
mod events;
mod group;
mod guard;
mod mlflow;
mod otlp;
mod params;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method, Uri};
use axum::routing::{get, post};
use axum::Router;
use sextant_core::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use assets::dashboard_built;
pub use error::{ApiError, SERVER_CODES};
pub use otlp::{EXPERIMENT_ATTRIBUTE, EXPERIMENT_HEADER};

/// `sextant import mlflow+sqlite:///…`: an MLflow store into any Sextant store.
pub mod mlflow_import {
    pub use crate::mlflow::{import, ImportReport};
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub host: String,
    pub port: u16,
    /// When set, every request must carry it (see the `auth` module).
    pub token: Option<String>,
    /// Browser origins allowed to call the API (CORS); none by default.
    pub cors: Vec<String>,
    /// Largest request body (a batch with attachments), bytes; bigger gets 413.
    pub max_body_bytes: usize,
    /// Largest attachment streamed in with `PUT /api/experiments/{id}/attachments/{name}`,
    /// bytes (such uploads are not held in memory, so this is far above `max_body_bytes`).
    pub max_attachment_bytes: u64,
    /// Host names (besides IP literals and localhost) the server answers to; requests
    /// naming any other `Host` are refused, so a rebound DNS name cannot reach it.
    pub allowed_hosts: Vec<String>,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// A client that has not sent a request's headers within this is disconnected.
    pub header_read_timeout: std::time::Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: "127.0.0.1".into(),
            port: 5000,
            token: None,
            cors: Vec::new(),
            max_body_bytes: 64 << 20,
            max_attachment_bytes: 64 << 30,
            allowed_hosts: Vec::new(),
            max_connections: 512,
            header_read_timeout: std::time::Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    store: Arc<dyn Store>,
    token: Option<Arc<str>>,
    events: Arc<events::Events>,
    max_body_bytes: usize,
    max_attachment_bytes: u64,
    otlp: Arc<otlp::Known>,
    tokens: Arc<auth::TokenCache>,
    /// Group commit for stores that write one batch at a time.
    group: Option<group::GroupWriter>,
}

/// Runs blocking store work on tokio's blocking pool; a panic there becomes a 500.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> sextant_core::Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {e}"),
        )),
    }
}

/// Refuses a body announced as too big before reading any of it, so the client hears 413
/// instead of a connection closed under its upload. Bodies without a length are cut off by
/// `DefaultBodyLimit` as they arrive.
async fn refuse_oversize(
    axum::extract::State(limit): axum::extract::State<usize>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Streamed attachment uploads are never held whole: the handler applies their limit.
    let streamed =
        req.method() == axum::http::Method::PUT && guard::is_attachment_upload(req.uri().path());
    match announced {
        Some(len) if len > limit as u64 && !streamed => {
            // A client still uploading when the connection closes gets a reset, not the
            // 413: read (and drop) a moderately oversized body first, within bounds.
            if len <= (limit as u64).saturating_mul(4).min(DRAIN_MAX) {
                drain(req.into_body().into_data_stream(), DRAIN_MAX).await;
            }
            axum::response::IntoResponse::into_response(ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body of {len} bytes is over the server's limit of {limit} bytes"),
            ))
        }
        _ => next.run(req).await,
    }
}

/// The most of an oversized body the server reads and drops so the client hears its 413.
const DRAIN_MAX: u64 = 64 << 20;

/// Reads and drops what is left of a refused request body, up to `max` bytes and for at
/// most 10 s: a client still uploading when the connection closes hears a reset, not the
/// answer.
pub(crate) async fn drain(mut body: axum::body::BodyDataStream, max: u64) {
    let read = async {
        let mut drained = 0u64;
        while let Some(Ok(chunk)) = tokio_stream::StreamExt::next(&mut body).await {
            drained += chunk.len() as u64;
            if drained > max {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
}

async fn dashboard(uri: Uri) -> axum::response::Response {
    assets::serve(uri.path())
}

/// The whole app. Also spawns the live-update poller, so call it inside a tokio runtime.
pub fn router(store: Arc<dyn Store>, opts: &ServeOptions) -> Result<Router, String> {
    let events = events::Events::new();
    // Stores that hear other writers commit (PostgreSQL's LISTEN/NOTIFY: other replicas)
    // report what they touched, steps included, so a metric that plateaus still moves the
    // charts of this replica's clients; the poller covers every other store.
    let heard = events.clone();
    if let Err(e) = store.watch(Arc::new(move |touched| heard.touched(touched))) {
        eprintln!("warning: live updates from other writers fall back to polling: {e}");
    }
    tokio::spawn(events::poll(store.clone(), events.clone()));
    let group = store
        .writes_one_at_a_time()
        .then(|| group::GroupWriter::start(store.clone()));
    let state = AppState {
        group,
        store,
        token: opts.token.as_deref().map(Arc::from),
        events,
        max_body_bytes: opts.max_body_bytes,
        max_attachment_bytes: opts.max_attachment_bytes,
        otlp: Arc::default(),
        tokens: Arc::default(),
    };
    let api = Router::new()
        .route("/health", get(api::health))
        .route("/experiments", get(api::list_experiments))
        .route(
            "/experiments/{id}",
            get(api::get_experiment)
                .patch(api::patch_experiment)
                .delete(api::delete_experiment),
        )
        .route("/experiments/{id}/metrics", get(api::list_metrics))
        .route("/experiments/{id}/metrics/{*key}", get(api::metric_series))
        .route("/experiments/{id}/attachments", get(api::list_attachments))
        .route(
            "/experiments/{id}/attachments/{*name}",
            get(api::get_attachment).put(api::put_attachment),
        )
        .route("/experiments/{id}/traces", get(api::list_traces))
        .route("/experiments/{id}/traces/{trace_id}", get(api::get_trace))
        .route("/experiments/{id}/models", get(api::list_models))
        .route("/experiments/{id}/evals", get(evals_api::page))
        .route("/experiments/{id}/evals/all", get(evals_api::all))
        .route("/experiments/{id}/evals/summary", get(evals_api::summary))
        .route("/experiments/{id}/annotations", get(evals_api::annotations))
        .route("/experiments/{id}/export", get(api::export))
        .route("/groups", get(api::list_groups))
        .route("/batch", post(api::write_batch))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{name}", axum::routing::delete(tokens::revoke))
        .route("/events", get(events::stream))
        .merge(mlflow::routes())
        .fallback(|| async {
            ApiError::new(axum::http::StatusCode::NOT_FOUND, "no such API endpoint")
        });
    let mut app = Router::new()
        .nest("/api", api)
        .nest("/ajax-api", mlflow::routes())
        .route("/v1/traces", post(otlp::export))
        .fallback(dashboard)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(DefaultBodyLimit::max(opts.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            opts.max_body_bytes,
            refuse_oversize,
        ))
        .layer(axum::middleware::from_fn(guard::json_413))
        .layer(axum::middleware::from_fn_with_state(
            guard::Guard::new(&opts.host, &opts.allowed_hosts, &opts.cors),
            guard::check,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
            ))
        }))
        .with_state(state);
    if !opts.cors.is_empty() {
        let origins = opts
            .cors
            .iter()
            .map(|o| {
                HeaderValue::from_str(o).map_err(|_| format!("--cors {o:?} is not a valid origin"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        app = app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
    }
    Ok(app)
}

/// What a server with these options should warn about before it starts.
pub fn warnings(opts: &ServeOptions) -> Vec<String> {
    let public = opts
        .host
        .parse::<std::net::IpAddr>()
        .map_or(true, |ip| !ip.is_loopback());
    let mut out = Vec::new();
    if public && opts.token.is_none() {
        out.push(format!(
            "sextant: serving on {} without a token: anyone who can reach this address can read and write every run; set --token (or SEXTANT_TOKEN)",
            opts.host
        ));
    }
    out
}

/// Binds and serves until the process is stopped; `ready` hears the bound address
/// (useful with port 0). Connections are capped at `max_connections` and a client must
/// send its request headers within `header_read_timeout`, so slow or idle clients cannot
/// hold the server's file descriptors.
pub async fn serve(
    store: Arc<dyn Store>,
    opts: ServeOptions,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let app = router(store, &opts).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.port)).await?;
    ready(listener.local_addr()?);
    let slots = Arc::new(tokio::sync::Semaphore::new(opts.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout);
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                // Out of file descriptors or a connection reset before accept: go on.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let conn =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    Ok(())
}

/// [`serve`] on a fresh multi-threaded runtime, for the blocking `sextant` command.
pub fn serve_blocking(
    store: Arc<dyn Store>,
    opts: ServeOptions,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(store, opts, ready))
}

//! The JSON API handlers. Reads go through the core's read contract; writes arrive as the
//! core's own `Batch` of records, exactly what the `http://` store sends.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sextant_core::{
    validate, Batch, ExperimentDump, ExperimentFilter, ExperimentUpdate, Sort, StepRange, Store,
};

use crate::error::{ApiError, ApiResult};
use crate::params::{AttachmentParams, ListParams, Params, SeriesParams, UploadParams};
use crate::{blocking, AppState};

/// Default and largest page of the experiment list.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;
/// Points a series returns when the client does not say.
const DEFAULT_MAX_POINTS: usize = 2_000;
const MAX_MAX_POINTS: usize = 1_000_000;

/// Runs a store call off the async workers (SQLite blocks).
pub(crate) async fn with_store<T, F>(state: &AppState, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(Arc<dyn Store>) -> sextant_core::BoxFuture<'static, sextant_core::Result<T>>
        + Send
        + 'static,
{
    let store = state.store.clone();
    blocking(move || pollster::block_on(f(store))).await
}

fn check_id(id: &str) -> ApiResult<()> {
    validate::experiment_id(id).map_err(ApiError::from)
}

pub async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "ok": true, "version": env!("CARGO_PKG_VERSION") }))
}

pub async fn list_experiments(
    State(state): State<AppState>,
    Params(q): Params<ListParams>,
) -> ApiResult<Response> {
    let filter = ExperimentFilter::from_query(|k| match k {
        "group" => q.group.as_deref(),
        "tag" => q.tag.as_deref(),
        "status" => q.status.as_deref(),
        "q" => q.q.as_deref(),
        "text" => q.text.as_deref(),
        _ => None,
    })?;
    let search = sextant_core::search::Query::parse(&q.filter, &q.order_by)?;
    let ordered = !search.order_by.is_empty();
    let sort: Sort = q.sort.unwrap_or_default();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let cursor = q.cursor;
    // The store narrows by the search filter (in SQL where it can) and sorts by `order_by`;
    // the older params narrow further; `order_by`, when given, replaces `sort`.
    let searched = with_store(&state, |s| {
        Box::pin(async move { s.search_experiments(&search).await })
    })
    .await?;
    let mut kept: Vec<_> = searched.into_iter().filter(|e| filter.matches(e)).collect();
    if !ordered {
        sextant_core::query::sort(&mut kept, &sort);
    }
    let page = sextant_core::query::cut(kept, cursor.as_deref(), limit)?;
    Ok(Json(page).into_response())
}

pub async fn get_experiment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let info = with_store(&state, move |s| {
        Box::pin(async move { s.get_experiment(&id).await })
    })
    .await?;
    Ok(Json(info).into_response())
}

pub async fn patch_experiment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    check_id(&id)?;
    let update: ExperimentUpdate = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("body is not an experiment update: {e}")))?;
    if let Some(n) = &update.name {
        validate::label("experiment name", n)?;
    }
    for t in update.tags.iter().flatten() {
        validate::label("tag", t)?;
    }
    let info = with_store(&state, move |s| {
        Box::pin(async move {
            s.update_experiment(&id, &update).await?;
            s.get_experiment(&id).await
        })
    })
    .await?;
    state
        .events
        .touched(vec![(info.id.clone(), Default::default())]);
    Ok(Json(info).into_response())
}

pub async fn delete_experiment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    with_store(&state, move |s| {
        Box::pin(async move { s.delete_experiment(&id).await })
    })
    .await?;
    state.events.wake.notify_one();
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_groups(State(state): State<AppState>) -> ApiResult<Response> {
    let groups = with_store(&state, |s| Box::pin(async move { s.list_groups().await })).await?;
    Ok(Json(groups).into_response())
}

pub async fn list_metrics(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let m = with_store(&state, move |s| {
        Box::pin(async move { s.list_metrics(&id).await })
    })
    .await?;
    Ok(Json(m).into_response())
}

pub async fn metric_series(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    Params(q): Params<SeriesParams>,
) -> ApiResult<Response> {
    check_id(&id)?;
    validate::key("metric key", &key)?;
    let range = StepRange::new(q.from, q.to);
    if let (Some(f), Some(t)) = (range.from, range.to) {
        if f > t {
            return Err(ApiError::bad_request(format!("from={f} is after to={t}")));
        }
    }
    let max_points = q.max_points.unwrap_or(DEFAULT_MAX_POINTS);
    if !(4..=MAX_MAX_POINTS).contains(&max_points) {
        return Err(ApiError::bad_request(format!(
            "max_points must be 4 to {MAX_MAX_POINTS}"
        )));
    }
    let raw = q.raw;
    let k = key.clone();
    let points = with_store(&state, move |s| {
        Box::pin(async move {
            s.get_experiment(&id).await?;
            if raw {
                s.metric_points(&id, &k, range).await
            } else {
                s.metric_series(&id, &k, range, max_points).await
            }
        })
    })
    .await?;
    Ok(Json(SeriesBody {
        key: &key,
        from: range.from,
        to: range.to,
        points: &points,
    })
    .into_response())
}

/// The series answer, serialized straight from the points (building a `serde_json::Value`
/// first cost an allocation per field of every point).
#[derive(serde::Serialize)]
struct SeriesBody<'a> {
    key: &'a str,
    from: Option<i64>,
    to: Option<i64>,
    points: &'a [sextant_core::MetricPoint],
}

pub async fn list_attachments(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let a = with_store(&state, move |s| {
        Box::pin(async move { s.list_attachments(&id).await })
    })
    .await?;
    Ok(Json(a).into_response())
}

/// Content types for previews; anything that could run script is served as plain text or
/// bytes, never as HTML.
fn attachment_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "md" | "markdown" => "text/markdown; charset=utf-8",
        "txt" | "log" | "yaml" | "yml" | "toml" | "py" | "rs" | "js" | "ts" | "html" | "htm" => {
            "text/plain; charset=utf-8"
        }
        _ => "application/octet-stream",
    }
}

fn disposition(name: &str, inline: bool) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let ascii: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = base
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub async fn get_attachment(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Params(q): Params<AttachmentParams>,
) -> ApiResult<Response> {
    check_id(&id)?;
    validate::attachment_name(&name)?;
    let data = stream_out(&state, id, name.clone()).await?;
    let inline = q.inline;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(attachment_type(&name)),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Even an SVG opened directly cannot run script or load anything.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&name, inline)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((headers, data).into_response())
}

/// Chunks per attachment download held in flight between the store and the socket.
const IN_FLIGHT: usize = 4;

/// An attachment's bytes as a streamed body: a blocking task reads the store's chunks
/// (SQLite reads files) and hands them over, so a large file never sits whole in memory.
/// Errors found before the first byte (unknown experiment or name) are answered as such.
async fn stream_out(state: &AppState, id: String, name: String) -> ApiResult<axum::body::Body> {
    let store = state.store.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<sextant_core::Result<Vec<u8>>>(IN_FLIGHT);
    let (opened_tx, opened_rx) = tokio::sync::oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let opened = pollster::block_on(store.read_attachment(&id, &name));
        let mut chunks = match opened {
            Ok((_, chunks)) => {
                let _ = opened_tx.send(Ok(()));
                chunks
            }
            Err(e) => {
                let _ = opened_tx.send(Err(e));
                return;
            }
        };
        while let Some(chunk) = pollster::block_on(sextant_core::chunks::next_chunk(&mut chunks)) {
            if tx.blocking_send(chunk).is_err() {
                break;
            }
        }
    });
    match opened_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: the attachment reader stopped",
            ))
        }
    }
    Ok(axum::body::Body::from_stream(
        tokio_stream::wrappers::ReceiverStream::new(rx),
    ))
}

/// The most of a refused upload read (and dropped) so its client hears the refusal.
const UPLOAD_DRAIN_MAX: u64 = 256 << 20;

/// An upload's body as the store's chunks, counted against the attachment limit. The body
/// is shared so the handler can drain what is left when the store gives up early.
struct Upload {
    body: Arc<std::sync::Mutex<Option<axum::body::BodyDataStream>>>,
    seen: u64,
    limit: u64,
}

impl sextant_core::chunks::Stream for Upload {
    type Item = sextant_core::Result<Vec<u8>>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let polled = match self.body.lock() {
            Ok(mut body) => match body.as_mut() {
                Some(b) => sextant_core::chunks::Stream::poll_next(std::pin::Pin::new(b), cx),
                None => Poll::Ready(None),
            },
            Err(_) => Poll::Ready(None),
        };
        let chunk = match polled {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => {
                return Poll::Ready(Some(Err(sextant_core::Error::storage(format!(
                    "upload interrupted: {e}"
                )))))
            }
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        self.seen += chunk.len() as u64;
        if self.seen > self.limit {
            return Poll::Ready(Some(Err(sextant_core::Error::InvalidInput {
                what: "attachment",
                value: String::new(),
                reason: format!(
                    "is over the server's limit of {} bytes (--max-attachment-mib)",
                    self.limit
                ),
            })));
        }
        Poll::Ready(Some(Ok(chunk.to_vec())))
    }
}

/// `PUT /api/experiments/{id}/attachments/{name}`: the request body, raw, becomes the
/// attachment, streamed into the store (files or object storage) chunk by chunk, so its
/// size is bounded by `--max-attachment-mib`, not by memory or `--max-body-mib`.
pub async fn put_attachment(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Params(q): Params<UploadParams>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    check_id(&id)?;
    validate::attachment_name(&name)?;
    // `created_at` keeps a synced copy's time, so a later sync sees it unchanged.
    let at = match q.created_at {
        Some(at) => {
            validate::millis("created_at", at)?;
            at
        }
        None => sextant_core::Env::now_unix_millis(&sextant_native::SystemEnv),
    };
    let body = Arc::new(std::sync::Mutex::new(Some(body.into_data_stream())));
    let chunks: sextant_core::ByteStream = Box::pin(Upload {
        body: body.clone(),
        seen: 0,
        limit: state.max_attachment_bytes,
    });
    let (store, e_id, n) = (state.store.clone(), id.clone(), name.clone());
    let stored =
        blocking(move || pollster::block_on(store.put_attachment(&e_id, &n, at, chunks))).await;
    let size = match stored {
        Ok(size) => size,
        Err(e) => {
            // A client still sending hears the answer only if the rest is read first.
            let rest = body.lock().ok().and_then(|mut b| b.take());
            if let Some(rest) = rest {
                crate::drain(rest, UPLOAD_DRAIN_MAX).await;
            }
            return Err(e);
        }
    };
    state.events.touched(vec![(id, Default::default())]);
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "name": name, "size": size, "created_at": at })),
    )
        .into_response())
}

pub async fn list_traces(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let t = with_store(&state, move |s| {
        Box::pin(async move { s.list_traces(&id).await })
    })
    .await?;
    Ok(Json(t).into_response())
}

pub async fn get_trace(
    State(state): State<AppState>,
    Path((id, trace)): Path<(String, String)>,
) -> ApiResult<Response> {
    check_id(&id)?;
    validate::span_ids(&trace, "0000000000000001", None)?;
    let t = trace.clone();
    let id_copy = id.clone();
    let spans = with_store(&state, move |s| {
        Box::pin(async move { s.list_spans(&id, Some(&t)).await })
    })
    .await?;
    if spans.is_empty() {
        return Err(sextant_core::Error::TraceNotFound {
            experiment: id_copy,
            trace_id: trace,
        }
        .into());
    }
    Ok(Json(spans).into_response())
}

pub async fn list_models(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let m = with_store(&state, move |s| {
        Box::pin(async move { s.list_models(&id).await })
    })
    .await?;
    Ok(Json(m).into_response())
}

/// The experiment as a luml snapshot tar, for download.
pub async fn export(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    check_id(&id)?;
    let file = format!("{id}.tar");
    let bytes = with_store(&state, move |s| {
        Box::pin(async move {
            let dump = ExperimentDump::read(s.as_ref(), &id).await?;
            sextant_sqlite::snapshot::to_tar_bytes(&dump)
        })
    })
    .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&file, false)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((headers, bytes).into_response())
}

/// The write endpoint: one `Batch` of records, applied in order (what `http://` stores
/// send), as JSON or the binary batch, gzip-compressed or not.
pub async fn write_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let limit = state.max_body_bytes;
    // Inflating and decoding a large body is CPU work: keep it off the async workers.
    let mut batch: Batch =
        blocking(move || Ok(crate::body::batch(&headers, body, limit))).await??;
    // The same rules the tracker applies when logging, before the store sees any of it.
    batch.validate()?;
    crate::auth::stamp(&mut batch, crate::auth::caller_token().as_deref());
    match &state.group {
        Some(group) => {
            let (batch, result) = group.write(batch).await;
            result?;
            if let Some(batch) = batch {
                state.events.wrote(&batch);
            }
        }
        None => {
            let batch = Arc::new(batch);
            let b = batch.clone();
            with_store(&state, move |s| Box::pin(async move { s.write(&b).await })).await?;
            state.events.wrote(&batch);
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

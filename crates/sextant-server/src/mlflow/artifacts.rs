//! MLflow's proxied artifact routes (`/api/2.0/mlflow-artifacts/artifacts/...`) onto Sextant
//! attachments. Runs report `mlflow-artifacts:/<experiment>/<run>/artifacts` as their
//! artifact URI, so the client uploads and downloads through here; the artifact path under
//! `artifacts/` is the attachment name.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sextant_core::{validate, Batch, Record};

use super::errors::{MlResult, MlflowError};
use super::request::Req;
use super::{env, mapping, with_store};
use crate::AppState;

/// `<experiment>/<run>/artifacts[/<name>]` → (run id, name under the run, maybe empty).
fn locate(path: &str) -> MlResult<(String, String)> {
    let mut parts = path.trim_matches('/').splitn(4, '/');
    let (_exp, run, root) = (parts.next(), parts.next(), parts.next());
    match (run, root) {
        (Some(run), Some("artifacts")) if !run.is_empty() => {
            let name = parts.next().unwrap_or("").trim_end_matches('/').to_string();
            Ok((run.to_string(), name))
        }
        _ => Err(MlflowError::invalid(format!(
            "artifact path {path:?} is not of the form <experiment_id>/<run_id>/artifacts/<path>"
        ))),
    }
}

fn check_name(name: &str) -> MlResult<()> {
    validate::attachment_name(name).map_err(|e| MlflowError::invalid(e.to_string()))
}

pub async fn upload(
    State(state): State<AppState>,
    Path(path): Path<String>,
    body: Bytes,
) -> MlResult<Json<Value>> {
    let (run, name) = locate(&path)?;
    check_name(&name)?;
    with_store(&state, move |ctx| async move {
        mapping::load_active_run(ctx.store.as_ref(), &run).await?;
        ctx.write(Batch {
            records: vec![Record::Attachment {
                experiment: run,
                name,
                data: body.to_vec(),
                created_at: env::now_ms(),
            }],
        })
        .await
    })
    .await?;
    Ok(Json(json!({})))
}

pub async fn download(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> MlResult<Response> {
    let (run, name) = locate(&path)?;
    check_name(&name)?;
    let data = with_store(&state, move |ctx| async move {
        mapping::load_run(ctx.store.as_ref(), &run).await?;
        Ok(ctx.store.get_attachment(&run, &name).await?)
    })
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        data,
    )
        .into_response())
}

/// The files and folders right under `dir` (relative to it): name -> size, `None` for a
/// folder.
fn children(all: Vec<sextant_core::AttachmentInfo>, dir: &str) -> BTreeMap<String, Option<u64>> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut entries: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for a in all {
        let Some(rest) = a.name.strip_prefix(&prefix) else {
            continue;
        };
        match rest.split_once('/') {
            Some((folder, _)) => {
                entries.insert(folder.to_string(), None);
            }
            None => {
                entries.entry(rest.to_string()).or_insert(Some(a.size));
            }
        }
    }
    entries
}

fn file_json(path: String, size: Option<u64>) -> Value {
    match size {
        Some(s) => json!({"path": path, "is_dir": false, "file_size": s}),
        None => json!({"path": path, "is_dir": true}),
    }
}

async fn listing(
    state: &AppState,
    run: String,
    dir: String,
) -> MlResult<BTreeMap<String, Option<u64>>> {
    if !dir.is_empty() {
        check_name(&dir)?;
    }
    with_store(state, move |ctx| async move {
        mapping::load_run(ctx.store.as_ref(), &run).await?;
        let all = ctx.store.list_attachments(&run).await?;
        Ok(children(all, &dir))
    })
    .await
}

/// The proxied listing: paths relative to the listed folder, as MLflow's server answers.
pub async fn list(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let path = req.str("path").unwrap_or("").to_string();
    let (run, dir) = locate(&path)?;
    let files: Vec<Value> = listing(&state, run, dir)
        .await?
        .into_iter()
        .map(|(name, size)| file_json(name, size))
        .collect();
    Ok(Json(json!({ "files": files })))
}

/// `artifacts/list?run_id=&path=`, the tracking API's own listing (MLflow's UI uses it):
/// paths relative to the run's artifact root.
pub async fn list_run(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let run = req.run_id()?;
    let dir = req.str("path").unwrap_or("").trim_matches('/').to_string();
    let r = run.clone();
    let root = with_store(&state, move |ctx| async move {
        let info = mapping::load_run(ctx.store.as_ref(), &r).await?;
        let groups = mapping::Groups::load(ctx.store.as_ref()).await?;
        Ok(mapping::artifact_uri(&groups.id_of(&info.group), &r))
    })
    .await?;
    let files: Vec<Value> = listing(&state, run, dir.clone())
        .await?
        .into_iter()
        .map(|(name, size)| {
            let full = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            file_json(full, size)
        })
        .collect();
    Ok(Json(json!({ "root_uri": root, "files": files })))
}

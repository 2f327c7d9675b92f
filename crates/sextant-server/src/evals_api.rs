//! The eval endpoints: pages of a run's samples, all of them, score averages and
//! annotations. Writes (samples, links, annotations, their updates and deletes) arrive as
//! records in `POST /api/batch`, like every other write.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sextant_core::{validate, EvalQuery};

use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::AppState;

fn check_id(id: &str) -> ApiResult<()> {
    validate::experiment_id(id).map_err(ApiError::from)
}

/// `GET /api/experiments/{id}/evals?dataset_id=&search=&filter=&sort_by=&order=&limit=&cursor=`:
/// one page of samples (see [`EvalQuery::from_params`]).
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Params(q): Params<HashMap<String, String>>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let query = EvalQuery::from_params(|k| q.get(k).map(String::as_str))?;
    let page = crate::api::with_store(&state, move |s| {
        Box::pin(async move { s.eval_page(&id, &query).await })
    })
    .await?;
    Ok(Json(page).into_response())
}
pub async fn all(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    check_id(&id)?;
    let samples = crate::api::with_store(&state, move |s| {
        Box::pin(async move { s.list_eval_samples(&id).await })
    })
    .await?;
    Ok(Json(samples).into_response())
}

pub async fn summary(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    check_id(&id)?;
    let summary = crate::api::with_store(&state, move |s| {
        Box::pin(async move { s.eval_summary(&id).await })
    })
    .await?;
    Ok(Json(summary).into_response())
}

pub async fn annotations(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let list = crate::api::with_store(&state, move |s| {
        Box::pin(async move { s.list_annotations(&id).await })
    })
    .await?;
    Ok(Json(list).into_response())
}

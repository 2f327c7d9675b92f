//! The eval endpoints: pages of a run's samples, all of them, score averages and
//! annotations. Writes (samples, links, annotations, their updates and deletes) arrive as
//! records in `POST /api/batch`, like every other write.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sextant_core::{validate, EvalQuery, EvalSortKey, ScoreFilter};

use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::AppState;

/// `GET /api/experiments/{id}/evals`: [`EvalQuery`] as parameters.
#[derive(Debug, Default, Deserialize)]
pub struct EvalParams {
    #[serde(default)]
    pub dataset_id: Option<String>,
    #[serde(default)]
    pub search: Option<String>,
    /// Score filters joined by ` and ` (`acc >= 0.5 and f1 < 0.3`).
    #[serde(default)]
    pub filter: String,
    #[serde(default)]
    pub sort_by: String,
    /// `asc` or `desc` (the default).
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

fn check_id(id: &str) -> ApiResult<()> {
    validate::experiment_id(id).map_err(ApiError::from)
}

fn blank(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Params(q): Params<EvalParams>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let ascending = match q.order.as_str() {
        "" | "desc" => false,
        "asc" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "order must be asc or desc, not {other:?}"
            )))
        }
    };
    let limit = match blank(q.limit) {
        None => 0,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=sextant_core::evals::MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "limit must be 1 to {}",
                    sextant_core::evals::MAX_LIMIT
                )))
            }
        },
    };
    let filters = ScoreFilter::parse_all(&q.filter)?;
    let sort_text = q.sort_by;
    let query_base = EvalQuery {
        dataset_id: blank(q.dataset_id),
        search: blank(q.search),
        filters,
        sort_by: EvalSortKey::CreatedAt,
        ascending,
        limit,
        cursor: blank(q.cursor),
    };
    let page = crate::api::with_store(&state, move |s| {
        Box::pin(async move {
            // A bare key is resolved against the run's samples, as luml resolves it.
            let sort_by = match EvalSortKey::parse(&sort_text, &[]) {
                Ok(k) => k,
                Err(_) => EvalSortKey::parse(&sort_text, &s.list_eval_samples(&id).await?)?,
            };
            s.eval_page(&id, &EvalQuery { sort_by, ..query_base }).await
        })
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

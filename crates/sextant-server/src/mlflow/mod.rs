//! MLflow's tracking REST API (`/api/2.0/mlflow/...`, its `/ajax-api/` twin and the proxied
//! artifact routes) over any [`Store`], so training code using the `mlflow` client logs into
//! Sextant by setting `MLFLOW_TRACKING_URI`. The mapping (an MLflow experiment is a Sextant
//! group, a run is an experiment, tags are `tags#KEY` static values) is in `mapping` and
//! `docs/mlflow.md`.

mod artifacts;
mod errors;
mod experiments;
mod importer;
mod mapping;
mod metrics;
mod request;
mod runs;
mod search;

use std::future::Future;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use sextant_core::Store;

use crate::events::Events;
use crate::AppState;
pub use errors::{MlResult, MlflowError};
pub use importer::{import, ImportReport};

/// The routes under one prefix (`/api` and `/ajax-api` both mount them).
pub fn routes() -> Router<AppState> {
    let m = "/2.0/mlflow";
    Router::new()
        .route(
            &format!("{m}/experiments/create"),
            post(experiments::create),
        )
        .route(&format!("{m}/experiments/get"), get(experiments::get))
        .route(
            &format!("{m}/experiments/get-by-name"),
            get(experiments::get_by_name),
        )
        .route(
            &format!("{m}/experiments/search"),
            get(experiments::search).post(experiments::search),
        )
        .route(
            &format!("{m}/experiments/update"),
            post(experiments::update),
        )
        .route(
            &format!("{m}/experiments/delete"),
            post(experiments::delete),
        )
        .route(
            &format!("{m}/experiments/restore"),
            post(experiments::restore),
        )
        .route(
            &format!("{m}/experiments/set-experiment-tag"),
            post(experiments::set_tag),
        )
        .route(
            &format!("{m}/experiments/delete-experiment-tag"),
            post(experiments::delete_tag),
        )
        .route(&format!("{m}/runs/create"), post(runs::create))
        .route(&format!("{m}/runs/get"), get(runs::get))
        .route(&format!("{m}/runs/update"), post(runs::update))
        .route(&format!("{m}/runs/delete"), post(runs::delete))
        .route(&format!("{m}/runs/restore"), post(runs::restore))
        .route(
            &format!("{m}/runs/search"),
            get(runs::search).post(runs::search),
        )
        .route(&format!("{m}/runs/log-metric"), post(metrics::log_metric))
        .route(&format!("{m}/runs/log-batch"), post(metrics::log_batch))
        .route(&format!("{m}/runs/log-parameter"), post(runs::log_param))
        .route(&format!("{m}/runs/set-tag"), post(runs::set_tag))
        .route(&format!("{m}/runs/delete-tag"), post(runs::delete_tag))
        .route(&format!("{m}/runs/log-inputs"), post(runs::log_inputs))
        .route(&format!("{m}/runs/log-model"), post(runs::log_model))
        .route(&format!("{m}/metrics/get-history"), get(metrics::history))
        .route(
            &format!("{m}/metrics/get-history-bulk-interval"),
            get(metrics::bulk_interval),
        )
        .route(&format!("{m}/artifacts/list"), get(artifacts::list_run))
        .route(
            &format!("{m}/logged-models/search"),
            post(runs::search_logged_models),
        )
        .route(&format!("{m}/{{*rest}}"), axum::routing::any(unknown))
        .route("/2.0/mlflow-artifacts/artifacts", get(artifacts::list))
        .route(
            "/2.0/mlflow-artifacts/artifacts/{*path}",
            get(artifacts::download).put(artifacts::upload),
        )
}

async fn unknown(uri: axum::http::Uri) -> MlflowError {
    MlflowError::new(
        axum::http::StatusCode::NOT_FOUND,
        "ENDPOINT_NOT_FOUND",
        format!(
            "this server does not implement MLflow endpoint {}",
            uri.path()
        ),
    )
}

/// The clock and ids MLflow endpoints use.
pub(crate) mod env {
    use sextant_core::Env;

    pub fn now_ms() -> i64 {
        sextant_native::SystemEnv.now_unix_nanos() / 1_000_000
    }

    /// A 32-hex-digit id, MLflow's run id shape.
    pub fn new_id() -> String {
        format!("{:032x}", sextant_native::SystemEnv.random_u128())
    }

    pub fn random() -> u128 {
        sextant_native::SystemEnv.random_u128()
    }
}

/// What a handler's store work gets: the store and the live-update hub.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub store: Arc<dyn Store>,
    pub events: Arc<Events>,
    /// The named token of the request, recorded on the runs it creates.
    pub caller: Option<String>,
}

/// Runs store work on the blocking pool (SQLite blocks); a panic there is a 500.
pub(crate) async fn with_store<T, F, Fut>(state: &AppState, f: F) -> MlResult<T>
where
    T: Send + 'static,
    F: FnOnce(Ctx) -> Fut + Send + 'static,
    Fut: Future<Output = MlResult<T>>,
{
    let ctx = Ctx {
        store: state.store.clone(),
        events: state.events.clone(),
        caller: crate::auth::caller_token(),
    };
    match tokio::task::spawn_blocking(move || pollster::block_on(f(ctx))).await {
        Ok(r) => r,
        Err(e) => Err(MlflowError::internal(format!("internal error: {e}"))),
    }
}

impl Ctx {
    /// Validates and writes a batch, then tells live clients.
    pub async fn write(&self, mut batch: sextant_core::Batch) -> MlResult<()> {
        batch.validate()?;
        crate::auth::stamp(&mut batch, self.caller.as_deref());
        self.store.write(&batch).await?;
        self.events.wrote(&batch);
        Ok(())
    }
}

//! `runs/log-metric`, `runs/log-batch` and the metric history reads.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use sextant_core::{Batch, MetricPoint, ParamValue, Record, StepRange};

use super::errors::{MlResult, MlflowError};
use super::mapping;
use super::request::{self, field, Req};
use super::runs::{check_params, key_values, write_tags};
use super::search::Page;
use super::with_store;
use crate::AppState;

/// Points by key, in the order logged (one `Metrics` record per key).
fn metric_records(run: &str, metrics: Vec<(String, MetricPoint)>) -> Vec<Record> {
    let mut records: Vec<Record> = Vec::new();
    for (key, point) in metrics {
        let found = records.iter_mut().find_map(|r| match r {
            Record::Metrics { key: k, points, .. } if *k == key => Some(points),
            _ => None,
        });
        match found {
            Some(points) => points.push(point),
            None => records.push(Record::Metrics {
                experiment: run.to_string(),
                key,
                points: vec![point],
            }),
        }
    }
    records
}

/// One MLflow metric: `value`, `timestamp` (ms) and `step` (0 when not given).
fn point(v: &Value) -> MlResult<(String, MetricPoint)> {
    let key = field(v, "key").ok_or_else(|| MlflowError::missing("metrics.key"))?;
    let value = v
        .get("value")
        .and_then(request::float)
        .ok_or_else(|| MlflowError::invalid(format!("metric {key:?} has no numeric value")))?;
    let timestamp = v
        .get("timestamp")
        .and_then(request::int)
        .ok_or_else(|| MlflowError::invalid(format!("metric {key:?} has no timestamp")))?;
    let step = v.get("step").and_then(request::int).unwrap_or(0);
    Ok((
        key.to_string(),
        MetricPoint {
            step,
            value,
            logged_at: timestamp,
        },
    ))
}

pub async fn log_metric(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let key = req.required("key")?;
    let value = req
        .f64("value")?
        .ok_or_else(|| MlflowError::missing("value"))?;
    let timestamp = req
        .i64("timestamp")?
        .ok_or_else(|| MlflowError::missing("timestamp"))?;
    let step = req.i64("step")?.unwrap_or(0);
    with_store(&state, move |ctx| async move {
        mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        let p = MetricPoint {
            step,
            value,
            logged_at: timestamp,
        };
        ctx.write(Batch {
            records: metric_records(&id, vec![(key, p)]),
        })
        .await
    })
    .await?;
    Ok(Json(json!({})))
}

/// Metrics, params and tags in one call; metrics and params land in one store batch.
pub async fn log_batch(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let metrics = req
        .list("metrics")
        .iter()
        .map(point)
        .collect::<MlResult<Vec<_>>>()?;
    let params = key_values(&req.list("params"), "params")?;
    let tags = key_values(&req.list("tags"), "tags")?;
    with_store(&state, move |ctx| async move {
        let info = mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        check_params(&info, &params)?;
        let mut records = metric_records(&id, metrics);
        if !params.is_empty() {
            records.push(Record::Params {
                experiment: id.clone(),
                params: params
                    .into_iter()
                    .map(|(k, v)| (k, ParamValue::Str(v)))
                    .collect(),
            });
        }
        if !records.is_empty() {
            ctx.write(Batch { records }).await?;
        }
        if !tags.is_empty() {
            write_tags(&ctx, &id, &tags).await?;
        }
        Ok(())
    })
    .await?;
    Ok(Json(json!({})))
}

fn metric_json(key: &str, p: &MetricPoint) -> Value {
    json!({"key": key, "value": mapping::number(p.value), "timestamp": p.logged_at, "step": p.step})
}

/// Every point of one metric, by step, paged.
pub async fn history(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let key = req.required("metric_key")?;
    let page = Page::from_request(&req, 25_000_000, 25_000_000)?;
    let (points, next) = with_store(&state, move |ctx| async move {
        mapping::load_run(ctx.store.as_ref(), &id).await?;
        let points = ctx.store.metric_points(&id, &key, StepRange::ALL).await?;
        let (page_points, next) = page.cut(points);
        Ok((
            page_points
                .iter()
                .map(|p| metric_json(&key, p))
                .collect::<Vec<_>>(),
            next,
        ))
    })
    .await?;
    let mut out = json!({ "metrics": points });
    if let Some(t) = next {
        out["next_page_token"] = json!(t);
    }
    Ok(Json(out))
}

/// MLflow's chart endpoint: at most `max_results` points per run over a step range,
/// served from the stores' min/max series (each bucket's extremes).
pub async fn bulk_interval(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let run_ids = req.strings("run_ids");
    if run_ids.is_empty() {
        return Err(MlflowError::missing("run_ids"));
    }
    if run_ids.len() > 100 {
        return Err(MlflowError::invalid("at most 100 run_ids may be given"));
    }
    let key = req.required("metric_key")?;
    let range = StepRange::new(req.i64("start_step")?, req.i64("end_step")?);
    if let (Some(a), Some(b)) = (range.from, range.to) {
        if a > b {
            return Err(MlflowError::invalid(format!(
                "end_step {b} must be at least start_step {a}"
            )));
        }
    }
    let max = match req.i64("max_results")? {
        None => 320,
        Some(n) if (1..=2500).contains(&n) => n as usize,
        Some(n) => {
            return Err(MlflowError::invalid(format!(
                "max_results {n} must be 1 to 2500"
            )))
        }
    };
    let metrics = with_store(&state, move |ctx| async move {
        let mut out = Vec::new();
        for id in run_ids {
            mapping::load_run(ctx.store.as_ref(), &id).await?;
            // The series keeps extremes, so it may hold a few more than asked; trim evenly.
            let mut points = ctx
                .store
                .metric_series(&id, &key, range, max.max(4))
                .await?;
            if points.len() > max {
                let n = points.len();
                points = (0..max).map(|i| points[i * n / max]).collect();
            }
            for p in &points {
                let mut m = metric_json(&key, p);
                m["run_id"] = json!(id);
                out.push(m);
            }
        }
        Ok(out)
    })
    .await?;
    Ok(Json(json!({ "metrics": metrics })))
}

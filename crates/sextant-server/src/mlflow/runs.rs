//! `runs/*` except metrics: MLflow runs over Sextant experiments (see `mapping`).

use std::collections::HashSet;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use sextant_core::{
    Batch, ExperimentInfo, ExperimentUpdate, ModelInfo, NewExperiment, ParamValue, Record,
};

use super::errors::{MlResult, MlflowError};
use super::mapping::{self, Groups};
use super::request::{field, Req};
use super::search::{self, Page};
use super::{env, with_store, Ctx};
use crate::AppState;

/// The run as `runs/get` answers it (latest metrics with their timestamps).
pub(crate) async fn full_run(ctx: &Ctx, info: &ExperimentInfo) -> MlResult<Value> {
    let groups = Groups::load(ctx.store.as_ref()).await?;
    let metrics = mapping::latest_metrics(ctx.store.as_ref(), &info.id, true).await?;
    Ok(mapping::run(info, &groups.id_of(&info.group), &metrics))
}

/// Static values and renames for tags: `mlflow.runName` and `mlflow.note.content` go to the
/// name and description, the rest to `tags#KEY`.
fn split_tags(
    tags: &[(String, String)],
) -> MlResult<(Vec<(String, ParamValue)>, ExperimentUpdate)> {
    let mut params = Vec::new();
    let mut update = ExperimentUpdate::default();
    for (k, v) in tags {
        mapping::check_user_key("tag", k)?;
        match k.as_str() {
            mapping::RUN_NAME_TAG => update.name = Some(v.clone()),
            mapping::NOTE_TAG => update.description = Some(v.clone()),
            _ => params.push((mapping::tag_key(k), ParamValue::Str(v.clone()))),
        }
    }
    Ok((params, update))
}

pub(crate) fn key_values(items: &[Value], what: &str) -> MlResult<Vec<(String, String)>> {
    items
        .iter()
        .map(|t| {
            let key =
                field(t, "key").ok_or_else(|| MlflowError::missing(&format!("{what}.key")))?;
            Ok((key.to_string(), field(t, "value").unwrap_or("").to_string()))
        })
        .collect()
}

async fn apply_update(ctx: &Ctx, id: &str, update: &ExperimentUpdate) -> MlResult<()> {
    if update.name.is_none() && update.description.is_none() && update.tags.is_none() {
        return Ok(());
    }
    if let Some(n) = &update.name {
        sextant_core::validate::label("run name", n)?;
    }
    ctx.store
        .update_experiment(id, update)
        .await
        .map_err(super::errors::for_run(id))?;
    ctx.events
        .touched(vec![(id.to_string(), Default::default())]);
    Ok(())
}

pub async fn create(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let experiment_id = req
        .str("experiment_id")
        .filter(|s| !s.is_empty())
        .unwrap_or(mapping::DEFAULT_EXPERIMENT_ID)
        .to_string();
    let tags = key_values(&req.list("tags"), "tags")?;
    let (mut params, update) = split_tags(&tags)?;
    let run_name = req
        .str("run_name")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or(update.name)
        .unwrap_or_else(|| sextant_core::names::generate(env::random()));
    if let Some(user) = req.str("user_id").filter(|u| !u.is_empty()) {
        params.push((mapping::USER.into(), ParamValue::Str(user.into())));
    }
    let start = req.i64("start_time")?.unwrap_or_else(env::now_ms);
    let description = update.description;
    let run = with_store(&state, move |ctx| async move {
        let exp = mapping::experiment_by_id(ctx.store.as_ref(), &experiment_id).await?;
        if exp.deleted {
            return Err(MlflowError::invalid(format!(
                "The experiment {experiment_id} must be in the 'active' state. Current state is deleted."
            )));
        }
        let id = env::new_id();
        let mut records = vec![Record::Create(NewExperiment {
            id: id.clone(),
            name: run_name,
            group: exp.group.clone(),
            tags: Vec::new(),
            created_at: start,
            description,
            source: None,
            created_by: None,
        })];
        if !params.is_empty() {
            records.push(Record::Params {
                experiment: id.clone(),
                params,
            });
        }
        ctx.write(Batch { records }).await?;
        let info = ctx.store.get_experiment(&id).await?;
        full_run(&ctx, &info).await
    })
    .await?;
    Ok(Json(json!({ "run": run })))
}

pub async fn get(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let run = with_store(&state, move |ctx| async move {
        let info = mapping::load_run(ctx.store.as_ref(), &id).await?;
        full_run(&ctx, &info).await
    })
    .await?;
    Ok(Json(json!({ "run": run })))
}

pub async fn update(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let status = req
        .str("status")
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let end_time = req.i64("end_time")?;
    let name = req
        .str("run_name")
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let info = with_store(&state, move |ctx| async move {
        let info = mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        let mut records = Vec::new();
        if status.is_some() || end_time.is_some() {
            let (new_status, kept) = match &status {
                Some(s) => (mapping::parse_status(s)?, s.clone()),
                None => (info.status, mapping::status_name(&info).to_string()),
            };
            let duration = end_time.map(|end| ((end - info.created_at).max(0)) as f64 / 1000.0);
            records.push(Record::SetStatus {
                experiment: id.clone(),
                status: new_status,
                duration: duration.or(info.duration),
            });
            records.push(Record::Params {
                experiment: id.clone(),
                params: vec![(mapping::STATUS.into(), ParamValue::Str(kept))],
            });
        }
        if !records.is_empty() {
            ctx.write(Batch { records }).await?;
        }
        let update = ExperimentUpdate {
            name,
            ..Default::default()
        };
        apply_update(&ctx, &id, &update).await?;
        let info = ctx.store.get_experiment(&id).await?;
        let groups = Groups::load(ctx.store.as_ref()).await?;
        Ok(mapping::run_info(&info, &groups.id_of(&info.group)))
    })
    .await?;
    Ok(Json(json!({ "run_info": info })))
}

async fn set_lifecycle(state: &AppState, req: &Req, stage: &'static str) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    with_store(state, move |ctx| async move {
        mapping::load_run(ctx.store.as_ref(), &id).await?;
        ctx.write(Batch {
            records: vec![Record::Params {
                experiment: id,
                params: vec![(mapping::LIFECYCLE.into(), ParamValue::Str(stage.into()))],
            }],
        })
        .await
    })
    .await?;
    Ok(Json(json!({})))
}

pub async fn delete(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    set_lifecycle(&state, &req, "deleted").await
}

pub async fn restore(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    set_lifecycle(&state, &req, "active").await
}

pub async fn search(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let experiment_ids: HashSet<String> = req.strings("experiment_ids").into_iter().collect();
    let view = search::view_type(&req, "run_view_type")?;
    let page = Page::from_request(&req, 1000, 50_000)?;
    let query = search::run_query(req.str("filter").unwrap_or(""), &req.strings("order_by"))?;
    let (runs, next) = with_store(&state, move |ctx| async move {
        let groups = Groups::load(ctx.store.as_ref()).await?;
        // The store evaluates the filter (SQL where it can) and sorts; narrowing a sorted
        // list keeps its order.
        let all = ctx.store.search_experiments(&query).await?;
        let kept: Vec<ExperimentInfo> = all
            .into_iter()
            .filter(|e| !mapping::is_internal(&e.id) && e.unreadable.is_none())
            .filter(|e| {
                experiment_ids.is_empty() || experiment_ids.contains(&groups.id_of(&e.group))
            })
            .filter(|e| view.keeps(mapping::is_deleted(e)))
            .collect();
        let (page_runs, next) = page.cut(kept);
        let mut runs = Vec::with_capacity(page_runs.len());
        for info in &page_runs {
            let metrics = mapping::latest_metrics(ctx.store.as_ref(), &info.id, false).await?;
            runs.push(mapping::run(info, &groups.id_of(&info.group), &metrics));
        }
        Ok((runs, next))
    })
    .await?;
    let mut out = json!({ "runs": runs });
    if let Some(t) = next {
        out["next_page_token"] = json!(t);
    }
    Ok(Json(out))
}

/// Params are write-once in MLflow: the same value again is fine, a different one is not.
pub(crate) fn check_params(info: &ExperimentInfo, params: &[(String, String)]) -> MlResult<()> {
    for (k, v) in params {
        mapping::check_user_key("param", k)?;
        if let Some(old) = info.params.get(k).and_then(mapping::text) {
            if &old != v {
                return Err(MlflowError::invalid(format!(
                    "Changing param values is not allowed. Param with key='{k}' was already logged with value='{old}' for run ID='{}'. Attempted logging new value '{v}'.",
                    info.id
                )));
            }
        }
    }
    Ok(())
}

pub async fn log_param(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let key = req.required("key")?;
    let value = req.str("value").unwrap_or("").to_string();
    with_store(&state, move |ctx| async move {
        let info = mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        check_params(&info, &[(key.clone(), value.clone())])?;
        ctx.write(Batch {
            records: vec![Record::Params {
                experiment: id,
                params: vec![(key, ParamValue::Str(value))],
            }],
        })
        .await
    })
    .await?;
    Ok(Json(json!({})))
}

/// Writes tags on a loaded run: static values plus any rename or note.
pub(crate) async fn write_tags(ctx: &Ctx, id: &str, tags: &[(String, String)]) -> MlResult<()> {
    let (params, update) = split_tags(tags)?;
    if !params.is_empty() {
        ctx.write(Batch {
            records: vec![Record::Params {
                experiment: id.to_string(),
                params,
            }],
        })
        .await?;
    }
    apply_update(ctx, id, &update).await
}

pub async fn set_tag(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let key = req.required("key")?;
    let value = req.str("value").unwrap_or("").to_string();
    with_store(&state, move |ctx| async move {
        mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        write_tags(&ctx, &id, &[(key, value)]).await
    })
    .await?;
    Ok(Json(json!({})))
}

pub async fn delete_tag(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let key = req.required("key")?;
    with_store(&state, move |ctx| async move {
        let info = mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        let kv = info
            .params
            .get(&mapping::tag_key(&key))
            .and_then(mapping::text)
            .is_some();
        let listed = info.tags.iter().any(|t| t == &key);
        if key == mapping::NOTE_TAG && info.description.is_some() {
            return apply_update(
                &ctx,
                &id,
                &ExperimentUpdate {
                    description: Some(String::new()),
                    ..Default::default()
                },
            )
            .await;
        }
        if !kv && !listed {
            return Err(MlflowError::not_found(format!(
                "No tag with name: {key} in run with id {id}"
            )));
        }
        if kv {
            ctx.write(Batch {
                records: vec![Record::Params {
                    experiment: id.clone(),
                    params: vec![(mapping::tag_key(&key), ParamValue::Json(Value::Null))],
                }],
            })
            .await?;
        }
        if listed {
            let tags = info.tags.iter().filter(|t| *t != &key).cloned().collect();
            apply_update(
                &ctx,
                &id,
                &ExperimentUpdate {
                    tags: Some(tags),
                    ..Default::default()
                },
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    Ok(Json(json!({})))
}

/// Datasets become JSON static values `mlflow#input.<digest>` and come back in `inputs`.
pub async fn log_inputs(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let mut params = Vec::new();
    for d in req.list("datasets") {
        let dataset = d
            .get("dataset")
            .ok_or_else(|| MlflowError::missing("datasets.dataset"))?;
        let name = field(dataset, "name").ok_or_else(|| MlflowError::missing("dataset.name"))?;
        let digest = field(dataset, "digest").unwrap_or("");
        let key = format!("{}{name}.{digest}", mapping::INPUT_PREFIX);
        params.push((key, ParamValue::Json(d.clone())));
    }
    with_store(&state, move |ctx| async move {
        mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        if params.is_empty() {
            return Ok(());
        }
        ctx.write(Batch {
            records: vec![Record::Params {
                experiment: id,
                params,
            }],
        })
        .await
    })
    .await?;
    Ok(Json(json!({})))
}

/// A logged model becomes a Sextant model link to its artifact folder, and joins the run's
/// `mlflow.log-model.history` tag as MLflow's server keeps it.
pub async fn log_model(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.run_id()?;
    let text = req.required("model_json")?;
    let model: Value = serde_json::from_str(&text)
        .map_err(|e| MlflowError::invalid(format!("model_json is not valid JSON: {e}")))?;
    let artifact_path = model
        .get("artifact_path")
        .and_then(Value::as_str)
        .unwrap_or("model")
        .to_string();
    let model_id = model
        .get("model_uuid")
        .or_else(|| model.get("model_id"))
        .and_then(Value::as_str)
        .unwrap_or(&artifact_path)
        .to_string();
    with_store(&state, move |ctx| async move {
        let info = mapping::load_active_run(ctx.store.as_ref(), &id).await?;
        let groups = Groups::load(ctx.store.as_ref()).await?;
        let uri = mapping::artifact_uri(&groups.id_of(&info.group), &id);
        let history_key = mapping::tag_key("mlflow.log-model.history");
        let mut history: Vec<Value> = info
            .params
            .get(&history_key)
            .and_then(mapping::text)
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        history.push(model);
        ctx.write(Batch {
            records: vec![
                Record::Model {
                    experiment: id.clone(),
                    model: ModelInfo {
                        id: model_id,
                        name: artifact_path.clone(),
                        path: format!("{uri}/{artifact_path}"),
                        created_at: env::now_ms(),
                        size: None,
                    },
                },
                Record::Params {
                    experiment: id,
                    params: vec![(
                        history_key,
                        ParamValue::Str(Value::Array(history).to_string()),
                    )],
                },
            ],
        })
        .await
    })
    .await?;
    Ok(Json(json!({})))
}

/// MLflow 3's logged-model entities are not kept (a model is a Sextant model link on its
/// run); the client asks this before resolving `runs:/` URIs, and an empty answer sends it
/// to the run's artifacts.
pub async fn search_logged_models(_req: Req) -> MlResult<Json<Value>> {
    Ok(Json(json!({ "models": [] })))
}

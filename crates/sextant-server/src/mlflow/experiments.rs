//! `experiments/*`: MLflow experiments over Sextant groups (see `mapping`).

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use sextant_core::{validate, Batch, NewExperiment, ParamValue, Record, Status};

use super::env;
use super::errors::{MlResult, MlflowError};
use super::mapping::{self, Experiment};
use super::request::{field, Req};
use super::search::{self, Page};
use super::{with_store, Ctx};
use crate::AppState;

fn check_name(name: &str) -> MlResult<()> {
    validate::label("experiment name", name)?;
    Ok(())
}

async fn taken(ctx: &Ctx, name: &str) -> MlResult<()> {
    let (_, all) = mapping::experiments(ctx.store.as_ref()).await?;
    if all.iter().any(|e| e.name == name || e.group == name) {
        return Err(MlflowError::exists(format!(
            "Experiment(name={name}) already exists."
        )));
    }
    Ok(())
}

/// Writes static values on the experiment's metadata experiment, creating it first.
pub(crate) async fn set_meta(
    ctx: &Ctx,
    exp: &Experiment,
    params: Vec<(String, ParamValue)>,
) -> MlResult<()> {
    let id = mapping::meta_run_id(&exp.id);
    let mut records = Vec::new();
    if !exp.has_meta {
        records.push(Record::Create(NewExperiment {
            id: id.clone(),
            name: format!("MLflow experiment {}", exp.name),
            group: exp.group.clone(),
            tags: vec![mapping::META_RUN_TAG.into()],
            created_at: env::now_ms(),
            description: Some("what the MLflow API keeps about this group".into()),
            source: None,
            created_by: None,
        }));
        records.push(Record::SetStatus {
            experiment: id.clone(),
            status: Status::Completed,
            duration: Some(0.0),
        });
    }
    records.push(Record::Params {
        experiment: id,
        params,
    });
    ctx.write(Batch { records }).await
}

fn tag_pairs(tags: &[Value]) -> MlResult<Vec<(String, ParamValue)>> {
    tags.iter()
        .map(|t| {
            let key = field(t, "key").ok_or_else(|| MlflowError::missing("tags.key"))?;
            mapping::check_user_key("tag", key)?;
            let value = field(t, "value").unwrap_or("");
            Ok((mapping::tag_key(key), ParamValue::Str(value.to_string())))
        })
        .collect()
}

/// Brings a group into being with no runs: an experiment names it and is removed at once
/// (groups outlive their experiments in every store).
pub(crate) async fn create_group(ctx: &Ctx, name: &str) -> MlResult<()> {
    let seed = format!("{}{}", mapping::SEED_RUN_PREFIX, env::new_id());
    let batch = Batch {
        records: vec![Record::Create(NewExperiment {
            id: seed.clone(),
            name: "mlflow experiment seed".into(),
            group: name.to_string(),
            tags: Vec::new(),
            created_at: env::now_ms(),
            description: None,
            source: None,
            created_by: None,
        })],
    };
    batch.validate()?;
    ctx.store.write(&batch).await?;
    ctx.store.delete_experiment(&seed).await?;
    Ok(())
}

pub async fn create(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let name = req.required("name")?;
    check_name(&name)?;
    let tags = tag_pairs(&req.list("tags"))?;
    let id = with_store(&state, move |ctx| async move {
        taken(&ctx, &name).await?;
        create_group(&ctx, &name).await?;
        let (groups, all) = mapping::experiments(ctx.store.as_ref()).await?;
        let id = groups.id_of(&name);
        if !tags.is_empty() {
            if let Some(exp) = all.iter().find(|e| e.id == id) {
                set_meta(&ctx, exp, tags).await?;
            }
        }
        Ok(id)
    })
    .await?;
    Ok(Json(json!({ "experiment_id": id })))
}

pub async fn get(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.required("experiment_id")?;
    let exp = with_store(&state, move |ctx| async move {
        mapping::experiment_by_id(ctx.store.as_ref(), &id).await
    })
    .await?;
    Ok(Json(json!({ "experiment": exp.to_json() })))
}

pub async fn get_by_name(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let name = req.required("experiment_name")?;
    let exp = with_store(&state, move |ctx| async move {
        let (_, all) = mapping::experiments(ctx.store.as_ref()).await?;
        all.into_iter().find(|e| e.name == name).ok_or_else(|| {
            MlflowError::not_found(format!("Could not find experiment with name '{name}'"))
        })
    })
    .await?;
    Ok(Json(json!({ "experiment": exp.to_json() })))
}

pub async fn search(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let view = search::view_type(&req, "view_type")?;
    let page = Page::from_request(&req, 1000, 50_000)?;
    let filter = req.str("filter").unwrap_or("").to_string();
    let order_by = req.strings("order_by");
    let query = search::experiment_query(&filter, &order_by)?;
    let (list, next) = with_store(&state, move |ctx| async move {
        let (_, all) = mapping::experiments(ctx.store.as_ref()).await?;
        let kept: Vec<Experiment> = all.into_iter().filter(|e| view.keeps(e.deleted)).collect();
        let kept = search::apply_to_experiments(&query, kept);
        Ok(page.cut(kept))
    })
    .await?;
    let mut out =
        json!({ "experiments": list.iter().map(Experiment::to_json).collect::<Vec<_>>() });
    if let Some(t) = next {
        out["next_page_token"] = json!(t);
    }
    Ok(Json(out))
}

/// Loads the experiment, applies `change` to its metadata and answers `{}`.
async fn change(
    state: &AppState,
    id: String,
    f: impl FnOnce(&Experiment) -> MlResult<Vec<(String, ParamValue)>> + Send + 'static,
) -> MlResult<Json<Value>> {
    with_store(state, move |ctx| async move {
        let exp = mapping::experiment_by_id(ctx.store.as_ref(), &id).await?;
        let params = f(&exp)?;
        set_meta(&ctx, &exp, params).await
    })
    .await?;
    Ok(Json(json!({})))
}

pub async fn update(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.required("experiment_id")?;
    let Some(new_name) = req
        .str("new_name")
        .filter(|n| !n.is_empty())
        .map(str::to_string)
    else {
        return Ok(Json(json!({})));
    };
    check_name(&new_name)?;
    with_store(&state, move |ctx| async move {
        let exp = mapping::experiment_by_id(ctx.store.as_ref(), &id).await?;
        if exp.name != new_name {
            taken(&ctx, &new_name).await?;
        }
        set_meta(
            &ctx,
            &exp,
            vec![(mapping::NAME.into(), ParamValue::Str(new_name))],
        )
        .await
    })
    .await?;
    Ok(Json(json!({})))
}

fn lifecycle(stage: &str) -> Vec<(String, ParamValue)> {
    vec![(mapping::LIFECYCLE.into(), ParamValue::Str(stage.into()))]
}

pub async fn delete(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.required("experiment_id")?;
    if id == mapping::DEFAULT_EXPERIMENT_ID {
        return Err(MlflowError::invalid(
            "Cannot delete the default experiment '0'.",
        ));
    }
    change(&state, id, |_| Ok(lifecycle("deleted"))).await
}

pub async fn restore(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.required("experiment_id")?;
    change(&state, id, |_| Ok(lifecycle("active"))).await
}

pub async fn set_tag(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.required("experiment_id")?;
    let key = req.required("key")?;
    mapping::check_user_key("tag", &key)?;
    let value = req.str("value").unwrap_or("").to_string();
    change(&state, id, move |_| {
        Ok(vec![(mapping::tag_key(&key), ParamValue::Str(value))])
    })
    .await
}

pub async fn delete_tag(State(state): State<AppState>, req: Req) -> MlResult<Json<Value>> {
    let id = req.required("experiment_id")?;
    let key = req.required("key")?;
    change(&state, id, move |exp| {
        if !exp.tags.contains_key(&key) {
            return Err(MlflowError::not_found(format!(
                "No tag with name: {key} in experiment with id {}",
                exp.id
            )));
        }
        Ok(vec![(
            mapping::tag_key(&key),
            ParamValue::Json(Value::Null),
        )])
    })
    .await
}

//! How MLflow's model sits on Sextant's, in one place.
//!
//! - An MLflow experiment is a Sextant group; its id is the group's id (`"0"` is the
//!   `default` group, MLflow's Default experiment). What a group cannot hold (a new name,
//!   tags, a deleted mark) lives in a metadata experiment `mlflowexp-<group id>` in that
//!   group, tagged `mlflow-experiment`, written only when needed.
//! - An MLflow run is a Sextant experiment: name, status, start (`created_at`) and end
//!   (`created_at` + `duration`) are the same fields; params are static values (strings);
//!   metrics are dynamic values with step and timestamp.
//! - MLflow's key/value tags are static values `tags#KEY` (`#` is outside MLflow's key
//!   alphabet); a deleted tag is a JSON `null` there. `mlflow.runName` is the run's name and
//!   `mlflow.note.content` its description. A Sextant tag list entry shows as a tag with an
//!   empty value.
//! - What else MLflow keeps about a run (`KILLED`, soft deletion, datasets) is under
//!   `mlflow#...` static values.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};
use sextant_core::search::KV_TAG_PREFIX;
use sextant_core::{ExperimentInfo, GroupInfo, ParamValue, Status, Store, DEFAULT_GROUP};

use super::errors::{MlResult, MlflowError};

pub const DEFAULT_EXPERIMENT_ID: &str = "0";
/// Ids of the metadata experiments that hold what a group cannot.
pub const META_RUN_PREFIX: &str = "mlflowexp-";
/// Sextant tag on those, so Sextant's own lists can filter them out (`tags != '...'`).
pub const META_RUN_TAG: &str = "mlflow-experiment";
/// Short-lived experiments that bring a new group into being.
pub const SEED_RUN_PREFIX: &str = "mlflowseed-";
/// Static values MLflow needs and Sextant has no field for.
pub const RESERVED_PREFIX: &str = "mlflow#";
pub const LIFECYCLE: &str = "mlflow#lifecycle";
pub const STATUS: &str = "mlflow#status";
pub const NAME: &str = "mlflow#name";
/// A run's `user_id` (MLflow keeps it apart from the `mlflow.user` tag).
pub const USER: &str = "mlflow#user";
pub const INPUT_PREFIX: &str = "mlflow#input.";
pub const RUN_NAME_TAG: &str = "mlflow.runName";
pub const NOTE_TAG: &str = "mlflow.note.content";
pub const USER_TAG: &str = "mlflow.user";

pub fn tag_key(key: &str) -> String {
    format!("{KV_TAG_PREFIX}{key}")
}

/// Ids that are bookkeeping, never shown as MLflow runs.
pub fn is_internal(id: &str) -> bool {
    id.starts_with(META_RUN_PREFIX) || id.starts_with(SEED_RUN_PREFIX)
}

/// MLflow keys may not use the reserved prefixes (they could not be told from ours).
pub fn check_user_key(what: &str, key: &str) -> MlResult<()> {
    if key.starts_with(KV_TAG_PREFIX) || key.starts_with(RESERVED_PREFIX) {
        return Err(MlflowError::invalid(format!(
            "{what} key {key:?} uses a prefix Sextant reserves ({KV_TAG_PREFIX}, {RESERVED_PREFIX})"
        )));
    }
    Ok(())
}

pub fn text(p: &ParamValue) -> Option<String> {
    match p {
        ParamValue::Json(Value::Null) => None,
        ParamValue::Str(s) => Some(s.clone()),
        other => Some(other.to_luml_text()),
    }
}

/// Group name ↔ MLflow experiment id.
pub struct Groups {
    list: Vec<GroupInfo>,
}

impl Groups {
    pub async fn load(store: &dyn Store) -> MlResult<Groups> {
        Ok(Groups {
            list: store.list_groups().await?,
        })
    }

    pub fn id_of(&self, group: &str) -> String {
        if group == DEFAULT_GROUP {
            return DEFAULT_EXPERIMENT_ID.to_string();
        }
        self.list
            .iter()
            .find(|g| g.name == group)
            .map_or_else(|| group.to_string(), |g| g.id.clone())
    }

    pub fn all(&self) -> &[GroupInfo] {
        &self.list
    }
}

/// The metadata experiment's id for an MLflow experiment id.
pub fn meta_run_id(experiment_id: &str) -> String {
    let clean = sextant_core::validate::id_safe(experiment_id);
    format!("{META_RUN_PREFIX}{clean}")
}

/// An MLflow experiment as the API shows it.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub id: String,
    /// The Sextant group its runs are in.
    pub group: String,
    pub name: String,
    pub deleted: bool,
    pub created_at: i64,
    pub tags: BTreeMap<String, String>,
    /// Whether its metadata experiment exists.
    pub has_meta: bool,
}

impl Experiment {
    fn new(id: String, group: &str, created_at: i64, meta: Option<&ExperimentInfo>) -> Self {
        let mut e = Experiment {
            id,
            group: group.to_string(),
            name: group.to_string(),
            deleted: false,
            created_at,
            tags: BTreeMap::new(),
            has_meta: meta.is_some(),
        };
        if let Some(m) = meta {
            if let Some(n) = m.params.get(NAME).and_then(text) {
                e.name = n;
            }
            e.deleted = m.params.get(LIFECYCLE).and_then(text).as_deref() == Some("deleted");
            for (k, v) in &m.params {
                if let (Some(key), Some(v)) = (k.strip_prefix(KV_TAG_PREFIX), text(v)) {
                    e.tags.insert(key.to_string(), v);
                }
            }
        }
        e
    }

    pub fn to_json(&self) -> Value {
        json!({
            "experiment_id": self.id,
            "name": self.name,
            "artifact_location": format!("mlflow-artifacts:/{}", self.id),
            "lifecycle_stage": if self.deleted { "deleted" } else { "active" },
            "creation_time": self.created_at,
            "last_update_time": self.created_at,
            "tags": self.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
        })
    }
}

/// Every MLflow experiment: one per group, plus Default (`"0"`) even before it has runs.
pub async fn experiments(store: &dyn Store) -> MlResult<(Groups, Vec<Experiment>)> {
    let groups = Groups::load(store).await?;
    let metas: HashMap<String, ExperimentInfo> = store
        .list_experiments()
        .await?
        .into_iter()
        .filter(|e| e.id.starts_with(META_RUN_PREFIX))
        .map(|e| (e.id.clone(), e))
        .collect();
    let mut out: Vec<Experiment> = groups
        .all()
        .iter()
        .map(|g| {
            let id = groups.id_of(&g.name);
            let meta = metas.get(&meta_run_id(&id));
            Experiment::new(id, &g.name, g.created_at, meta)
        })
        .collect();
    if !out.iter().any(|e| e.id == DEFAULT_EXPERIMENT_ID) {
        out.push(Experiment::new(
            DEFAULT_EXPERIMENT_ID.into(),
            DEFAULT_GROUP,
            0,
            metas.get(&meta_run_id(DEFAULT_EXPERIMENT_ID)),
        ));
    }
    Ok((groups, out))
}

pub async fn experiment_by_id(store: &dyn Store, id: &str) -> MlResult<Experiment> {
    let (_, all) = experiments(store).await?;
    all.into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| MlflowError::not_found(format!("No Experiment with id={id} exists")))
}

/// MLflow's run status names.
pub fn status_name(info: &ExperimentInfo) -> &'static str {
    let kept = info.params.get(STATUS).and_then(text);
    match (info.status, kept.as_deref()) {
        (Status::Failed, Some("KILLED")) => "KILLED",
        (Status::Running, Some("SCHEDULED")) => "SCHEDULED",
        (Status::Running, _) => "RUNNING",
        (Status::Completed, _) => "FINISHED",
        (Status::Failed, _) => "FAILED",
    }
}

pub fn parse_status(s: &str) -> MlResult<Status> {
    match s {
        "RUNNING" | "SCHEDULED" => Ok(Status::Running),
        "FINISHED" => Ok(Status::Completed),
        "FAILED" | "KILLED" => Ok(Status::Failed),
        other => Err(MlflowError::invalid(format!(
            "invalid run status {other:?}: use RUNNING, SCHEDULED, FINISHED, FAILED or KILLED"
        ))),
    }
}

pub fn is_deleted(info: &ExperimentInfo) -> bool {
    info.params.get(LIFECYCLE).and_then(text).as_deref() == Some("deleted")
}

pub fn end_time(info: &ExperimentInfo) -> Option<i64> {
    info.duration
        .map(|d| info.created_at + (d * 1000.0).round() as i64)
}

/// The run's MLflow tags: key/value tags, the name and note, list tags with empty values.
pub fn tags(info: &ExperimentInfo) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for t in &info.tags {
        out.insert(t.clone(), String::new());
    }
    for (k, v) in &info.params {
        if let (Some(key), Some(v)) = (k.strip_prefix(KV_TAG_PREFIX), text(v)) {
            out.insert(key.to_string(), v);
        }
    }
    out.insert(RUN_NAME_TAG.into(), info.name.clone());
    if let Some(d) = info.description.as_ref().filter(|d| !d.is_empty()) {
        out.insert(NOTE_TAG.into(), d.clone());
    }
    out
}

pub fn artifact_uri(experiment_id: &str, run_id: &str) -> String {
    format!("mlflow-artifacts:/{experiment_id}/{run_id}/artifacts")
}

pub fn run_info(info: &ExperimentInfo, experiment_id: &str) -> Value {
    let tags = tags(info);
    let mut v = json!({
        "run_id": info.id,
        "run_uuid": info.id,
        "run_name": info.name,
        "experiment_id": experiment_id,
        "user_id": info.params.get(USER).and_then(text)
            .or_else(|| tags.get(USER_TAG).cloned())
            .unwrap_or_default(),
        "status": status_name(info),
        "start_time": info.created_at,
        "artifact_uri": artifact_uri(experiment_id, &info.id),
        "lifecycle_stage": if is_deleted(info) { "deleted" } else { "active" },
    });
    if let Some(end) = end_time(info) {
        v["end_time"] = json!(end);
    }
    v
}

/// A double for protobuf-JSON: non-finite values by name.
pub fn number(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        json!(sextant_core::lossless_f64::name_non_finite(v))
    }
}

/// A metric's latest point, as MLflow lists it in a run.
pub struct Latest {
    pub key: String,
    pub value: f64,
    pub step: i64,
    pub timestamp: i64,
}

/// The whole run: info, data (latest metrics, params, tags) and inputs.
pub fn run(info: &ExperimentInfo, experiment_id: &str, metrics: &[Latest]) -> Value {
    let params: Vec<Value> = info
        .params
        .iter()
        .filter(|(k, _)| !k.starts_with(KV_TAG_PREFIX) && !k.starts_with(RESERVED_PREFIX))
        .filter_map(|(k, v)| text(v).map(|t| json!({"key": k, "value": t})))
        .collect();
    let tags: Vec<Value> = tags(info)
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    let metrics: Vec<Value> = metrics
        .iter()
        .map(|m| json!({"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}))
        .collect();
    let datasets: Vec<Value> = info
        .params
        .iter()
        .filter(|(k, _)| k.starts_with(INPUT_PREFIX))
        .filter_map(|(_, v)| match v {
            ParamValue::Json(d) if !d.is_null() => Some(d.clone()),
            _ => None,
        })
        .collect();
    json!({
        "info": run_info(info, experiment_id),
        "data": {"metrics": metrics, "params": params, "tags": tags},
        "inputs": {"dataset_inputs": datasets},
    })
}

/// Each metric's latest point; with `timestamps`, one more read per key for its time.
pub async fn latest_metrics(
    store: &dyn Store,
    id: &str,
    timestamps: bool,
) -> MlResult<Vec<Latest>> {
    let mut out = Vec::new();
    for m in store.list_metrics(id).await? {
        let mut timestamp = 0;
        if timestamps {
            let range = sextant_core::StepRange::new(Some(m.last_step), Some(m.last_step));
            if let Some(p) = store.metric_points(id, &m.key, range).await?.last() {
                timestamp = p.logged_at;
            }
        }
        out.push(Latest {
            key: m.key,
            value: m.last_value,
            step: m.last_step,
            timestamp,
        });
    }
    Ok(out)
}

/// The run for a run endpoint: unknown ids and bookkeeping ids are "not found".
pub async fn load_run(store: &dyn Store, id: &str) -> MlResult<ExperimentInfo> {
    if is_internal(id) || sextant_core::validate::experiment_id(id).is_err() {
        return Err(MlflowError::not_found(format!(
            "Run with id={id} not found"
        )));
    }
    store
        .get_experiment(id)
        .await
        .map_err(super::errors::for_run(id))
}

/// A run that may be written to: MLflow refuses writes to deleted runs.
pub async fn load_active_run(store: &dyn Store, id: &str) -> MlResult<ExperimentInfo> {
    let info = load_run(store, id).await?;
    if is_deleted(&info) {
        return Err(MlflowError::invalid(format!(
            "The run {id} must be in the 'active' state. Current state is deleted."
        )));
    }
    Ok(info)
}

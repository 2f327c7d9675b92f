//! `sextant import mlflow+sqlite:///path/mlflow.db` and `mlflow+http://host:port`: a whole
//! MLflow store (and its artifacts) into any Sextant store, with the same mapping the MLflow
//! API uses, so imported runs read back through `/api/2.0/mlflow` as MLflow served them.
//! Runs keep their ids; re-importing writes the same values again (params, points at the
//! same steps and attachments replace themselves), so it is idempotent and picks up new data.

mod http;
mod sqlite;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use sextant_core::{
    Batch, Error, ExperimentUpdate, MetricPoint, NewExperiment, ParamValue, Record, Result, Store,
    DEFAULT_GROUP,
};

use super::errors::MlflowError;
use super::{experiments, mapping, Ctx};
use crate::events::Events;

/// What an import brought across.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportReport {
    pub experiments: usize,
    pub runs: usize,
    pub params: usize,
    pub points: usize,
    pub artifacts: usize,
    /// Runs whose artifacts live somewhere this importer cannot read (`s3://`...).
    pub artifacts_skipped: Vec<String>,
}

pub(super) struct MlExperiment {
    /// MLflow's id (`"0"` is Default).
    pub id: String,
    pub name: String,
    pub deleted: bool,
    pub tags: Vec<(String, String)>,
}

pub(super) struct MlRun {
    pub id: String,
    pub experiment: String,
    pub name: String,
    pub user: String,
    pub status: String,
    pub start: i64,
    pub end: Option<i64>,
    pub deleted: bool,
    pub artifact_uri: String,
}

/// (name under the run's artifact root, bytes) of each artifact file.
pub(super) type Files = Vec<(String, Vec<u8>)>;

/// Everything logged to one run, read when the run is imported.
pub(super) struct RunData {
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    /// Each key's points by step (the last value logged at a step wins).
    pub metrics: BTreeMap<String, Vec<MetricPoint>>,
    /// (name under the run's artifact root, bytes); `None` when they cannot be reached.
    pub files: Option<Files>,
}

/// Where an import reads from.
pub(super) trait Reader {
    fn experiments(&mut self) -> Result<Vec<MlExperiment>>;
    fn runs(&mut self, experiments: &[MlExperiment]) -> Result<Vec<MlRun>>;
    fn run_data(&mut self, run: &MlRun) -> Result<RunData>;
}

pub(super) fn bad(source: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        what: "mlflow import source",
        value: source.to_string(),
        reason: reason.into(),
    }
}

fn from_mlflow(e: MlflowError) -> Error {
    Error::storage(format!("{}: {}", e.error_code, e.message))
}

/// Of several values at one step (MLflow keeps them all), the last logged wins.
pub(super) fn by_step(mut points: Vec<MetricPoint>) -> Vec<MetricPoint> {
    points.sort_by_key(|p| (p.step, p.logged_at));
    let mut out: Vec<MetricPoint> = Vec::with_capacity(points.len());
    for p in points {
        match out.last_mut() {
            Some(last) if last.step == p.step => *last = p,
            _ => out.push(p),
        }
    }
    out
}

/// Imports everything in the MLflow store at `source` into `store`. `token` is sent as a
/// bearer token to an `mlflow+http(s)://` server.
pub fn import(source: &str, store: Arc<dyn Store>, token: Option<&str>) -> Result<ImportReport> {
    let mut reader: Box<dyn Reader> = if source.starts_with("mlflow+sqlite://") {
        Box::new(sqlite::SqliteReader::open(source)?)
    } else if source.starts_with("mlflow+http://") || source.starts_with("mlflow+https://") {
        Box::new(http::HttpReader::new(source, token)?)
    } else {
        return Err(bad(
            source,
            "expected mlflow+sqlite:///path/to/mlflow.db[?artifacts=DIR] or mlflow+http://host:port",
        ));
    };
    let exps = reader.experiments()?;
    let group_of = |id: &str| -> String {
        match exps.iter().find(|x| x.id == id) {
            Some(x) if x.id == mapping::DEFAULT_EXPERIMENT_ID => DEFAULT_GROUP.to_string(),
            Some(x) => x.name.clone(),
            None => format!("mlflow-{id}"),
        }
    };
    let runs = reader.runs(&exps)?;
    let ctx = Ctx {
        store: store.clone(),
        events: Events::new(),
        caller: None,
    };
    let mut report = ImportReport::default();
    for run in &runs {
        let data = reader.run_data(run)?;
        report.params += data.params.len();
        report.points += data.metrics.values().map(Vec::len).sum::<usize>();
        match &data.files {
            Some(f) => report.artifacts += f.len(),
            None => report.artifacts_skipped.push(run.id.clone()),
        }
        report.runs += 1;
        pollster::block_on(write_run(&ctx, run, &group_of(&run.experiment), data))?;
    }
    pollster::block_on(async {
        for exp in &exps {
            let group = group_of(&exp.id);
            // An experiment without runs still becomes a group (Default always exists).
            if exp.id != mapping::DEFAULT_EXPERIMENT_ID
                && store.list_groups().await?.iter().all(|g| g.name != group)
            {
                experiments::create_group(&ctx, &group)
                    .await
                    .map_err(from_mlflow)?;
            }
            let (_, all) = mapping::experiments(store.as_ref())
                .await
                .map_err(from_mlflow)?;
            let Some(target) = all.iter().find(|x| x.group == group) else {
                continue;
            };
            let mut meta: Vec<(String, ParamValue)> = exp
                .tags
                .iter()
                .map(|(k, v)| (mapping::tag_key(k), ParamValue::Str(v.clone())))
                .collect();
            if exp.deleted || target.has_meta {
                let stage = if exp.deleted { "deleted" } else { "active" };
                meta.push((mapping::LIFECYCLE.into(), ParamValue::Str(stage.into())));
            }
            if !meta.is_empty() {
                experiments::set_meta(&ctx, target, meta)
                    .await
                    .map_err(from_mlflow)?;
            }
            report.experiments += 1;
        }
        Ok::<_, Error>(())
    })?;
    Ok(report)
}

async fn write_run(ctx: &Ctx, run: &MlRun, group: &str, data: RunData) -> Result<()> {
    let exists = match ctx.store.get_experiment(&run.id).await {
        Ok(_) => true,
        Err(Error::ExperimentNotFound(_)) => false,
        Err(e) => return Err(e),
    };
    let RunData {
        params,
        tags,
        metrics,
        files,
    } = data;
    let tag = |k: &str| tags.iter().find(|(t, _)| t == k).map(|(_, v)| v.clone());
    let name = tag(mapping::RUN_NAME_TAG)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            if run.name.is_empty() {
                run.id.clone()
            } else {
                run.name.clone()
            }
        });
    let note = tag(mapping::NOTE_TAG);
    let mut records = Vec::new();
    if !exists {
        records.push(Record::Create(NewExperiment {
            id: run.id.clone(),
            name: name.clone(),
            group: group.to_string(),
            tags: Vec::new(),
            created_at: run.start,
            description: note.clone(),
            source: None,
            created_by: None,
        }));
    }
    let mut statics: Vec<(String, ParamValue)> = params
        .into_iter()
        .map(|(k, v)| (k, ParamValue::Str(v)))
        .collect();
    for (k, v) in &tags {
        if k != mapping::RUN_NAME_TAG && k != mapping::NOTE_TAG {
            statics.push((mapping::tag_key(k), ParamValue::Str(v.clone())));
        }
    }
    if !run.user.is_empty() {
        statics.push((mapping::USER.into(), ParamValue::Str(run.user.clone())));
    }
    statics.push((mapping::STATUS.into(), ParamValue::Str(run.status.clone())));
    let stage = if run.deleted { "deleted" } else { "active" };
    statics.push((mapping::LIFECYCLE.into(), ParamValue::Str(stage.into())));
    records.push(Record::Params {
        experiment: run.id.clone(),
        params: statics,
    });
    for (key, points) in metrics {
        records.push(Record::Metrics {
            experiment: run.id.clone(),
            key,
            points,
        });
    }
    for (name, data) in files.unwrap_or_default() {
        records.push(Record::Attachment {
            experiment: run.id.clone(),
            name,
            data,
            created_at: run.end.unwrap_or(run.start),
        });
    }
    let status = mapping::parse_status(&run.status).map_err(from_mlflow)?;
    records.push(Record::SetStatus {
        experiment: run.id.clone(),
        status,
        duration: run.end.map(|end| (end - run.start).max(0) as f64 / 1000.0),
    });
    ctx.write(Batch { records }).await.map_err(from_mlflow)?;
    if exists {
        let update = ExperimentUpdate {
            name: Some(name),
            description: note,
            tags: None,
        };
        ctx.store.update_experiment(&run.id, &update).await?;
    }
    Ok(())
}

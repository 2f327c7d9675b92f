//! `sextant import mlflow+sqlite:///path/mlflow.db`: an MLflow SQLite backend store (and its
//! artifact folder) into any Sextant store, with the same mapping the MLflow API uses, so
//! imported runs read back through `/api/2.0/mlflow` exactly as MLflow served them. Runs
//! keep their ids; re-importing writes the same values again (params, points at the same
//! steps and attachments replace themselves), so it is idempotent and picks up new data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};
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

struct Source {
    db: PathBuf,
    /// Where `mlflow-artifacts:/...` URIs point (the server's `--artifacts-destination`).
    artifacts: PathBuf,
}

fn bad(source: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        what: "mlflow import source",
        value: source.to_string(),
        reason: reason.into(),
    }
}

fn parse(source: &str) -> Result<Source> {
    let rest = source.strip_prefix("mlflow+sqlite://").ok_or_else(|| {
        bad(
            source,
            "expected mlflow+sqlite:///path/to/mlflow.db[?artifacts=DIR]",
        )
    })?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(bad(source, "no database path after mlflow+sqlite://"));
    }
    let db = PathBuf::from(path);
    let mut artifacts = db
        .parent()
        .map_or_else(|| PathBuf::from("mlartifacts"), |p| p.join("mlartifacts"));
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "artifacts" => artifacts = PathBuf::from(v.as_ref()),
            other => {
                return Err(bad(
                    source,
                    format!("unknown option {other:?} (use artifacts=DIR)"),
                ))
            }
        }
    }
    Ok(Source { db, artifacts })
}

fn sql(db: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        Error::Corrupt(format!(
            "{} is not a readable MLflow database: {e}",
            db.display()
        ))
    }
}

struct MlExperiment {
    id: i64,
    name: String,
    deleted: bool,
    tags: Vec<(String, String)>,
}

struct MlRun {
    id: String,
    experiment: i64,
    name: String,
    user: String,
    status: String,
    start: i64,
    end: Option<i64>,
    deleted: bool,
    artifact_uri: String,
}

fn from_mlflow(e: MlflowError) -> Error {
    Error::Storage(format!("{}: {}", e.error_code, e.message))
}

/// Imports everything in the MLflow store at `source` into `store`.
pub fn import(source: &str, store: Arc<dyn Store>) -> Result<ImportReport> {
    let src = parse(source)?;
    if !src.db.is_file() {
        return Err(bad(source, format!("{} is not a file", src.db.display())));
    }
    let conn = Connection::open_with_flags(&src.db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sql(&src.db))?;
    let e = sql(&src.db);
    let mut exps = Vec::new();
    {
        let mut q = conn
            .prepare("SELECT experiment_id, name, lifecycle_stage FROM experiments ORDER BY experiment_id")
            .map_err(&e)?;
        let rows = q
            .query_map([], |r| {
                Ok(MlExperiment {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    deleted: r.get::<_, Option<String>>(2)?.as_deref() == Some("deleted"),
                    tags: Vec::new(),
                })
            })
            .map_err(&e)?;
        for row in rows {
            exps.push(row.map_err(&e)?);
        }
    }
    for exp in &mut exps {
        exp.tags = pairs(
            &conn,
            "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1",
            exp.id,
        )
        .map_err(&e)?;
    }
    let group_of = |id: i64| -> String {
        exps.iter().find(|x| x.id == id).map_or_else(
            || format!("mlflow-{id}"),
            |x| {
                if x.id == 0 {
                    DEFAULT_GROUP.to_string()
                } else {
                    x.name.clone()
                }
            },
        )
    };
    let mut runs = Vec::new();
    {
        let mut q = conn
            .prepare(
                "SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage,
                        artifact_uri, experiment_id FROM runs ORDER BY start_time, run_uuid",
            )
            .map_err(&e)?;
        let rows = q
            .query_map([], |r| {
                Ok(MlRun {
                    id: r.get(0)?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    user: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    status: r
                        .get::<_, Option<String>>(3)?
                        .unwrap_or_else(|| "FINISHED".into()),
                    start: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    end: r.get(5)?,
                    deleted: r.get::<_, Option<String>>(6)?.as_deref() == Some("deleted"),
                    artifact_uri: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                    experiment: r.get(8)?,
                })
            })
            .map_err(&e)?;
        for row in rows {
            runs.push(row.map_err(&e)?);
        }
    }

    let ctx = Ctx {
        store: store.clone(),
        events: Events::new(),
    };
    let mut report = ImportReport::default();
    for run in &runs {
        let params = pairs(
            &conn,
            "SELECT key, value FROM params WHERE run_uuid = ?1 ORDER BY key",
            &run.id,
        )
        .map_err(&e)?;
        let tags = pairs(
            &conn,
            "SELECT key, value FROM tags WHERE run_uuid = ?1 ORDER BY key",
            &run.id,
        )
        .map_err(&e)?;
        let metrics = metrics(&conn, &run.id).map_err(&e)?;
        let files = artifacts(&src, &run.artifact_uri, &mut report, &run.id)?;
        report.params += params.len();
        report.points += metrics.values().map(Vec::len).sum::<usize>();
        report.artifacts += files.len();
        report.runs += 1;
        pollster::block_on(write_run(
            &ctx,
            run,
            &group_of(run.experiment),
            params,
            tags,
            metrics,
            files,
        ))?;
    }
    pollster::block_on(async {
        for exp in &exps {
            let group = group_of(exp.id);
            // An experiment without runs still becomes a group (Default always exists).
            if exp.id != 0 && store.list_groups().await?.iter().all(|g| g.name != group) {
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

fn pairs<P: rusqlite::ToSql>(
    conn: &Connection,
    q: &str,
    id: P,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(q)?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        ))
    })?;
    rows.collect()
}

/// Each key's points by step; of several values at one step (MLflow keeps them all) the
/// last logged wins, as it does for Sextant's own writes.
fn metrics(conn: &Connection, run: &str) -> rusqlite::Result<BTreeMap<String, Vec<MetricPoint>>> {
    let mut stmt = conn.prepare(
        "SELECT key, step, timestamp, value, is_nan FROM metrics WHERE run_uuid = ?1
         ORDER BY key, step, timestamp",
    )?;
    let rows = stmt.query_map([run], |r| {
        let nan: Option<bool> = r.get(4)?;
        let value: Option<f64> = r.get(3)?;
        Ok((
            r.get::<_, String>(0)?,
            MetricPoint {
                step: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                logged_at: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                value: if nan == Some(true) {
                    f64::NAN
                } else {
                    value.unwrap_or(f64::NAN)
                },
            },
        ))
    })?;
    let mut out: BTreeMap<String, Vec<MetricPoint>> = BTreeMap::new();
    for row in rows {
        let (key, p) = row?;
        let points = out.entry(key).or_default();
        match points.last_mut() {
            Some(last) if last.step == p.step => *last = p,
            _ => points.push(p),
        }
    }
    Ok(out)
}

/// The run's artifact folder on this machine, if its URI names one.
fn artifact_dir(src: &Source, uri: &str) -> Option<PathBuf> {
    if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
        return Some(src.artifacts.join(rest.trim_start_matches('/')));
    }
    if let Some(rest) = uri.strip_prefix("file://") {
        return Some(PathBuf::from(rest));
    }
    if uri.contains("://") || uri.is_empty() {
        return None;
    }
    let p = PathBuf::from(uri);
    Some(if p.is_absolute() {
        p
    } else {
        src.db.parent().unwrap_or(Path::new(".")).join(p)
    })
}

/// Every file under the run's artifact folder: (name relative to it, bytes).
fn artifacts(
    src: &Source,
    uri: &str,
    report: &mut ImportReport,
    run: &str,
) -> Result<Vec<(String, Vec<u8>)>> {
    let Some(dir) = artifact_dir(src, uri) else {
        if !uri.is_empty() {
            report.artifacts_skipped.push(run.to_string());
        }
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut stack = vec![(dir.clone(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::Storage(format!("reading {}: {e}", path.display())))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let ft = entry
                .file_type()
                .map_err(|e| Error::Storage(format!("reading {}: {e}", entry.path().display())))?;
            if ft.is_dir() {
                stack.push((entry.path(), rel));
            } else if ft.is_file() {
                let data = std::fs::read(entry.path()).map_err(|e| {
                    Error::Storage(format!("reading {}: {e}", entry.path().display()))
                })?;
                out.push((rel, data));
            }
        }
    }
    out.sort();
    Ok(out)
}

async fn write_run(
    ctx: &Ctx,
    run: &MlRun,
    group: &str,
    params: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    metrics: BTreeMap<String, Vec<MetricPoint>>,
    files: Vec<(String, Vec<u8>)>,
) -> Result<()> {
    let exists = match ctx.store.get_experiment(&run.id).await {
        Ok(_) => true,
        Err(Error::ExperimentNotFound(_)) => false,
        Err(e) => return Err(e),
    };
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
    if !run.user.is_empty() && tag(mapping::USER_TAG).is_none() {
        statics.push((
            mapping::tag_key(mapping::USER_TAG),
            ParamValue::Str(run.user.clone()),
        ));
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
    for (name, data) in files {
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

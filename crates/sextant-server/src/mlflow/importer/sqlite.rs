//! Reading an MLflow SQLite backend store (`mlflow server --backend-store-uri sqlite:///…`
//! or `mlflow.set_tracking_uri("sqlite:///…")`) read-only, with its local artifact folders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use sextant_core::{Error, MetricPoint, Result};

use super::{bad, by_step, Files, MlExperiment, MlRun, Reader, RunData};

pub struct SqliteReader {
    src: Source,
    conn: Connection,
}

impl SqliteReader {
    pub fn open(source: &str) -> Result<Self> {
        let src = parse(source)?;
        if !src.db.is_file() {
            return Err(bad(source, format!("{} is not a file", src.db.display())));
        }
        let conn = Connection::open_with_flags(&src.db, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sql(&src.db))?;
        Ok(SqliteReader { src, conn })
    }
}

impl Reader for SqliteReader {
    fn experiments(&mut self) -> Result<Vec<MlExperiment>> {
        let e = sql(&self.src.db);
        let mut exps = Vec::new();
        {
            let mut q = self.conn
            .prepare("SELECT experiment_id, name, lifecycle_stage FROM experiments ORDER BY experiment_id")
            .map_err(&e)?;
            let rows = q
                .query_map([], |r| {
                    Ok(MlExperiment {
                        id: r.get::<_, i64>(0)?.to_string(),
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
                &self.conn,
                "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1",
                exp.id.parse::<i64>().unwrap_or(-1),
            )
            .map_err(&e)?;
        }
        Ok(exps)
    }

    fn runs(&mut self, _experiments: &[MlExperiment]) -> Result<Vec<MlRun>> {
        let e = sql(&self.src.db);
        let mut runs = Vec::new();
        {
            let mut q = self
                .conn
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
                        experiment: r.get::<_, i64>(8)?.to_string(),
                    })
                })
                .map_err(&e)?;
            for row in rows {
                runs.push(row.map_err(&e)?);
            }
        }

        Ok(runs)
    }

    fn run_data(&mut self, run: &MlRun) -> Result<RunData> {
        let e = sql(&self.src.db);
        let q = |sql: &str| pairs(&self.conn, sql, &run.id).map_err(&e);
        Ok(RunData {
            params: q("SELECT key, value FROM params WHERE run_uuid = ?1 ORDER BY key")?,
            tags: q("SELECT key, value FROM tags WHERE run_uuid = ?1 ORDER BY key")?,
            metrics: metrics(&self.conn, &run.id).map_err(&e)?,
            files: artifacts(&self.src, &run.artifact_uri)?,
        })
    }
}

struct Source {
    db: PathBuf,
    /// Where `mlflow-artifacts:/...` URIs point (the server's `--artifacts-destination`).
    artifacts: PathBuf,
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
        Error::corrupt(format!(
            "{} is not a readable MLflow database: {e}",
            db.display()
        ))
    }
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

/// Each key's points by step (see [`by_step`]).
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
        out.entry(key).or_default().push(p);
    }
    Ok(out.into_iter().map(|(k, v)| (k, by_step(v))).collect())
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
fn artifacts(src: &Source, uri: &str) -> Result<Option<Files>> {
    if uri.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let Some(dir) = artifact_dir(src, uri) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let mut stack = vec![(dir.clone(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::storage(format!("reading {}: {e}", path.display())))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let ft = entry
                .file_type()
                .map_err(|e| Error::storage(format!("reading {}: {e}", entry.path().display())))?;
            if ft.is_dir() {
                stack.push((entry.path(), rel));
            } else if ft.is_file() {
                let data = std::fs::read(entry.path()).map_err(|e| {
                    Error::storage(format!("reading {}: {e}", entry.path().display()))
                })?;
                out.push((rel, data));
            }
        }
    }
    out.sort();
    Ok(Some(out))
}

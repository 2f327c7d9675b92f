//! exp.db's eval tables (`evals`, `eval_traces_bridge`, `eval_annotations`,
//! `span_annotations`), read and written as luml-sdk 0.4 does: JSON objects as text,
//! empty objects as NULL, annotation values as text beside their type, times as SQLite's
//! `CURRENT_TIMESTAMP` text.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use sextant_core::evals::{annotation_not_found, sample_not_found, span_not_found};
use sextant_core::{
    Annotation, AnnotationKind, AnnotationSubject, AnnotationTarget, AnnotationValue,
    AnnotationValueType, Error, EvalSample, JsonObject, Record,
};

use crate::sql::{SqlContext, SqlResult};
use crate::time::{millis_from_iso, sql_from_millis};

fn json_or_null(obj: Option<&JsonObject>) -> Option<String> {
    obj.filter(|m| !m.is_empty())
        .map(|m| serde_json::Value::Object(m.clone()).to_string())
}

fn table(target: AnnotationTarget) -> &'static str {
    match target {
        AnnotationTarget::Eval => "eval_annotations",
        AnnotationTarget::Span => "span_annotations",
    }
}

/// Whether exp.db has the eval tables (a store written before they existed, opened
/// read-only, does not).
pub fn has_tables(conn: &Connection, path: &Path) -> SqlResult<bool> {
    conn.prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'evals'")
        .and_then(|mut s| s.exists([]))
        .at(path)
}

/// Upserts a sample, keeping the stored `created_at` of one logged before.
pub fn write_sample(conn: &Connection, path: &Path, s: &EvalSample) -> SqlResult<()> {
    conn.prepare_cached(
        "INSERT INTO evals(id, dataset_id, inputs, outputs, refs, scores, metadata, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(dataset_id, id) DO UPDATE SET inputs = excluded.inputs,
            outputs = excluded.outputs, refs = excluded.refs, scores = excluded.scores,
            metadata = excluded.metadata, updated_at = excluded.updated_at",
    )
    .and_then(|mut st| {
        st.execute(params![
            s.id,
            s.dataset_id,
            serde_json::Value::Object(s.inputs.clone()).to_string(),
            json_or_null(s.outputs.as_ref()),
            json_or_null(s.refs.as_ref()),
            json_or_null(s.scores.as_ref()),
            json_or_null(s.metadata.as_ref()),
            sql_from_millis(s.created_at),
            sql_from_millis(s.updated_at),
        ])
    })
    .at(path)?;
    Ok(())
}

fn sample_exists(
    conn: &Connection,
    path: &Path,
    dataset_id: &str,
    eval_id: &str,
) -> SqlResult<bool> {
    conn.prepare_cached("SELECT 1 FROM evals WHERE dataset_id = ?1 AND id = ?2")
        .and_then(|mut s| s.exists(params![dataset_id, eval_id]))
        .at(path)
}

/// Writes one eval record (samples, links, annotations and their changes); other
/// records are left to the caller.
pub fn write(conn: &Connection, path: &Path, record: &Record) -> SqlResult<()> {
    match record {
        Record::EvalSample { sample, .. } => write_sample(conn, path, sample),
        Record::EvalTraceLink {
            experiment,
            id,
            dataset_id,
            eval_id,
            trace_id,
            created_at,
        } => {
            // Once per (sample, trace): luml inserts a row per call.
            if !sample_exists(conn, path, dataset_id, eval_id)? {
                return Err(sample_not_found(experiment, dataset_id, eval_id));
            }
            conn.prepare_cached(
                "INSERT INTO eval_traces_bridge(id, eval_dataset_id, eval_id, trace_id, created_at)
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM eval_traces_bridge
                    WHERE eval_dataset_id = ?2 AND eval_id = ?3 AND trace_id = ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    dataset_id,
                    eval_id,
                    trace_id,
                    sql_from_millis(*created_at)
                ])
            })
            .at(path)?;
            Ok(())
        }
        Record::Annotation {
            experiment,
            annotation,
        } => write_annotation(conn, path, experiment, annotation),
        Record::UpdateAnnotation {
            experiment,
            target,
            id,
            value,
            rationale,
        } => update_annotation(
            conn,
            path,
            experiment,
            (*target, id),
            value.as_ref(),
            rationale.as_deref(),
        ),
        Record::DeleteAnnotation { target, id, .. } => delete_annotation(conn, path, *target, id),
        _ => Ok(()),
    }
}

/// Stores an annotation (replacing one with its id), after checking its subject exists.
pub fn write_annotation(
    conn: &Connection,
    path: &Path,
    experiment: &str,
    a: &Annotation,
) -> SqlResult<()> {
    let (sql, first, second) = match &a.subject {
        AnnotationSubject::Eval {
            dataset_id,
            eval_id,
        } => {
            if !sample_exists(conn, path, dataset_id, eval_id)? {
                return Err(sample_not_found(experiment, dataset_id, eval_id));
            }
            (
                "INSERT OR REPLACE INTO eval_annotations(id, dataset_id, eval_id, name, annotation_kind,
                    value_type, value, user, rationale, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                dataset_id,
                eval_id,
            )
        }
        AnnotationSubject::Span { trace_id, span_id } => {
            let found = conn
                .prepare_cached("SELECT 1 FROM spans WHERE trace_id = ?1 AND span_id = ?2")
                .and_then(|mut s| s.exists(params![trace_id, span_id]))
                .at(path)?;
            if !found {
                return Err(span_not_found(experiment, trace_id, span_id));
            }
            (
                "INSERT OR REPLACE INTO span_annotations(id, trace_id, span_id, name, annotation_kind,
                    value_type, value, user, rationale, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                trace_id,
                span_id,
            )
        }
    };
    conn.prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(params![
                a.id,
                first,
                second,
                a.name,
                a.annotation_kind.as_str(),
                a.value_type.as_str(),
                a.value.to_luml_text(),
                a.user,
                a.rationale,
                sql_from_millis(a.created_at),
            ])
        })
        .at(path)?;
    Ok(())
}

/// Changes a stored annotation's value and/or rationale.
pub fn update_annotation(
    conn: &Connection,
    path: &Path,
    experiment: &str,
    (target, id): (AnnotationTarget, &str),
    value: Option<&AnnotationValue>,
    rationale: Option<&str>,
) -> SqlResult<()> {
    let t = table(target);
    let stored: Option<String> = conn
        .prepare_cached(&format!("SELECT value_type FROM {t} WHERE id = ?1"))
        .and_then(|mut s| s.query_row(params![id], |r| r.get(0)).optional())
        .at(path)?;
    let stored = stored.ok_or_else(|| annotation_not_found(experiment, target, id))?;
    if let Some(v) = value {
        v.check_type(AnnotationValueType::parse(&stored)?)?;
        conn.prepare_cached(&format!("UPDATE {t} SET value = ?1 WHERE id = ?2"))
            .and_then(|mut s| s.execute(params![v.to_luml_text(), id]))
            .at(path)?;
    }
    if let Some(r) = rationale {
        conn.prepare_cached(&format!("UPDATE {t} SET rationale = ?1 WHERE id = ?2"))
            .and_then(|mut s| s.execute(params![r, id]))
            .at(path)?;
    }
    Ok(())
}

/// Deletes an annotation; an unknown id changes nothing.
pub fn delete_annotation(
    conn: &Connection,
    path: &Path,
    target: AnnotationTarget,
    id: &str,
) -> SqlResult<()> {
    conn.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", table(target)))
        .and_then(|mut s| s.execute(params![id]))
        .at(path)?;
    Ok(())
}

fn parse_object(path: &Path, text: Option<String>) -> SqlResult<Option<JsonObject>> {
    match text.filter(|t| !t.trim().is_empty()) {
        None => Ok(None),
        Some(t) => match serde_json::from_str::<serde_json::Value>(&t) {
            Ok(serde_json::Value::Object(m)) => Ok(Some(m)),
            Ok(serde_json::Value::Null) => Ok(None),
            // luml writes whatever json.dumps gave; keep a non-object under one key
            // rather than lose it.
            Ok(other) => Ok(Some(JsonObject::from_iter([("value".to_string(), other)]))),
            Err(e) => Err(Error::corrupt(format!(
                "{}: an evals row holds text that is not JSON ({e})",
                path.display()
            ))),
        },
    }
}

fn millis(text: Option<String>) -> i64 {
    text.as_deref().and_then(millis_from_iso).unwrap_or(0)
}

/// Every sample with its trace links, by (dataset id, id).
pub fn read_samples(conn: &Connection, path: &Path) -> SqlResult<Vec<EvalSample>> {
    if !has_tables(conn, path)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, dataset_id, inputs, outputs, refs, scores, metadata, created_at, updated_at
             FROM evals ORDER BY dataset_id, id",
        )
        .at(path)?;
    type Row = (
        String,
        String,
        [Option<String>; 5],
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .at(path)?
        .collect::<Result<_, _>>()
        .at(path)?;
    let mut links: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut stmt = conn
        .prepare_cached(
            "SELECT eval_dataset_id, eval_id, trace_id FROM eval_traces_bridge ORDER BY created_at, rowid",
        )
        .at(path)?;
    let bridge = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .at(path)?;
    for row in bridge {
        let (d, e, t) = row.at(path)?;
        let traces = links.entry((d, e)).or_default();
        if !traces.contains(&t) {
            traces.push(t);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (id, dataset_id, [inputs, outputs, refs, scores, metadata], created, updated) in rows {
        let trace_ids = links
            .remove(&(dataset_id.clone(), id.clone()))
            .unwrap_or_default();
        out.push(EvalSample {
            inputs: parse_object(path, inputs)?.unwrap_or_default(),
            outputs: parse_object(path, outputs)?,
            refs: parse_object(path, refs)?,
            scores: parse_object(path, scores)?,
            metadata: parse_object(path, metadata)?,
            created_at: millis(created),
            updated_at: millis(updated),
            trace_ids,
            annotations: None,
            id,
            dataset_id,
        });
    }
    Ok(out)
}

/// Every annotation of both tables, by creation time (ties as written; eval annotations
/// before span annotations).
pub fn read_annotations(conn: &Connection, path: &Path) -> SqlResult<Vec<Annotation>> {
    if !has_tables(conn, path)? {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for target in [AnnotationTarget::Eval, AnnotationTarget::Span] {
        let (a, b) = match target {
            AnnotationTarget::Eval => ("dataset_id", "eval_id"),
            AnnotationTarget::Span => ("trace_id", "span_id"),
        };
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT id, {a}, {b}, name, annotation_kind, value_type, value, user, rationale, created_at
                 FROM {} ORDER BY rowid",
                table(target)
            ))
            .at(path)?;
        type Row = ([String; 8], Option<String>, Option<String>);
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    [
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ],
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .at(path)?
            .collect::<Result<_, _>>()
            .at(path)?;
        for ([id, first, second, name, kind, value_type, value, user], rationale, created) in rows {
            let corrupt =
                |e: Error| Error::corrupt(format!("{}: annotation {id}: {e}", path.display()));
            let value_type = AnnotationValueType::parse(&value_type).map_err(corrupt)?;
            let annotation_kind = AnnotationKind::parse(&kind).map_err(corrupt)?;
            let subject = match target {
                AnnotationTarget::Eval => AnnotationSubject::Eval {
                    dataset_id: first,
                    eval_id: second,
                },
                AnnotationTarget::Span => AnnotationSubject::Span {
                    trace_id: first,
                    span_id: second,
                },
            };
            out.push(Annotation {
                value: AnnotationValue::from_luml_text(&value, value_type),
                id,
                subject,
                name,
                annotation_kind,
                value_type,
                user,
                rationale,
                created_at: millis(created),
            });
        }
    }
    // Stable: ties keep the order they were written in, as luml's `ORDER BY created_at`.
    out.sort_by_key(|a| a.created_at);
    Ok(out)
}

//! Eval samples, trace links and annotations in PostgreSQL (schema version 4): writes
//! inside the batch's transaction, reads per experiment.

use deadpool_postgres::Transaction;
use sextant_core::evals::{annotation_not_found, sample_not_found, span_not_found};
use sextant_core::{
    Annotation, AnnotationKind, AnnotationSubject, AnnotationTarget, AnnotationValue,
    AnnotationValueType, Error, EvalSample, JsonObject, Record, Result,
};

use crate::errors::query_error;
use crate::Inner;

/// The first schema version with the eval tables.
pub const VERSION: i32 = 4;

fn object(o: Option<&JsonObject>) -> Option<serde_json::Value> {
    o.filter(|m| !m.is_empty())
        .map(|m| serde_json::Value::Object(m.clone()))
}

async fn sample_exists(
    tx: &Transaction<'_>,
    seq: i64,
    dataset_id: &str,
    eval_id: &str,
) -> Result<bool> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM evals WHERE experiment = $1 AND dataset_id = $2 AND id = $3",
            &[&seq, &dataset_id, &eval_id],
        )
        .await
        .map_err(query_error)?
        .is_some())
}

/// Writes one eval record of experiment `seq` (named `experiment` in errors).
pub async fn write(
    tx: &Transaction<'_>,
    seq: i64,
    experiment: &str,
    record: &Record,
) -> Result<()> {
    match record {
        Record::EvalSample { sample: s, .. } => {
            tx.execute(
                "INSERT INTO evals (experiment, dataset_id, id, inputs, outputs, refs, scores, metadata, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (experiment, dataset_id, id) DO UPDATE SET inputs = excluded.inputs,
                   outputs = excluded.outputs, refs = excluded.refs, scores = excluded.scores,
                   metadata = excluded.metadata, updated_at = excluded.updated_at",
                &[
                    &seq,
                    &s.dataset_id,
                    &s.id,
                    &serde_json::Value::Object(s.inputs.clone()),
                    &object(s.outputs.as_ref()),
                    &object(s.refs.as_ref()),
                    &object(s.scores.as_ref()),
                    &object(s.metadata.as_ref()),
                    &s.created_at,
                    &s.updated_at,
                ],
            )
            .await
            .map_err(query_error)?;
        }
        Record::EvalTraceLink {
            id,
            dataset_id,
            eval_id,
            trace_id,
            created_at,
            ..
        } => {
            if !sample_exists(tx, seq, dataset_id, eval_id).await? {
                return Err(sample_not_found(experiment, dataset_id, eval_id));
            }
            tx.execute(
                "INSERT INTO eval_traces (experiment, dataset_id, eval_id, trace_id, id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&seq, dataset_id, eval_id, trace_id, id, created_at],
            )
            .await
            .map_err(query_error)?;
        }
        Record::Annotation { annotation: a, .. } => {
            let (first, second) = match &a.subject {
                AnnotationSubject::Eval {
                    dataset_id,
                    eval_id,
                } => {
                    if !sample_exists(tx, seq, dataset_id, eval_id).await? {
                        return Err(sample_not_found(experiment, dataset_id, eval_id));
                    }
                    (dataset_id, eval_id)
                }
                AnnotationSubject::Span { trace_id, span_id } => {
                    let found = tx
                        .query_opt(
                            "SELECT 1 FROM spans WHERE experiment = $1 AND trace_id = $2 AND span_id = $3",
                            &[&seq, trace_id, span_id],
                        )
                        .await
                        .map_err(query_error)?;
                    if found.is_none() {
                        return Err(span_not_found(experiment, trace_id, span_id));
                    }
                    (trace_id, span_id)
                }
            };
            let value = serde_json::to_value(&a.value)
                .map_err(|e| Error::storage(format!("annotation value cannot be encoded: {e}")))?;
            tx.execute(
                "INSERT INTO annotations (experiment, target, id, subject_a, subject_b, name, annotation_kind,
                    value_type, value, user_name, rationale, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (experiment, target, id) DO UPDATE SET subject_a = excluded.subject_a,
                   subject_b = excluded.subject_b, name = excluded.name,
                   annotation_kind = excluded.annotation_kind, value_type = excluded.value_type,
                   value = excluded.value, user_name = excluded.user_name,
                   rationale = excluded.rationale, created_at = excluded.created_at,
                   ord = nextval(pg_get_serial_sequence('annotations', 'ord'))",
                &[
                    &seq,
                    &a.subject.target().as_str(),
                    &a.id,
                    first,
                    second,
                    &a.name,
                    &a.annotation_kind.as_str(),
                    &a.value_type.as_str(),
                    &value,
                    &a.user,
                    &a.rationale,
                    &a.created_at,
                ],
            )
            .await
            .map_err(query_error)?;
        }
        Record::UpdateAnnotation {
            target,
            id,
            value,
            rationale,
            ..
        } => {
            let row = tx
                .query_opt(
                    "SELECT value_type FROM annotations WHERE experiment = $1 AND target = $2 AND id = $3",
                    &[&seq, &target.as_str(), id],
                )
                .await
                .map_err(query_error)?
                .ok_or_else(|| annotation_not_found(experiment, *target, id))?;
            let stored = AnnotationValueType::parse(row.get::<_, &str>(0))?;
            let value = match value {
                Some(v) => {
                    v.check_type(stored)?;
                    Some(serde_json::to_value(v).map_err(|e| {
                        Error::storage(format!("annotation value cannot be encoded: {e}"))
                    })?)
                }
                None => None,
            };
            tx.execute(
                "UPDATE annotations SET value = COALESCE($4, value), rationale = COALESCE($5, rationale)
                 WHERE experiment = $1 AND target = $2 AND id = $3",
                &[&seq, &target.as_str(), id, &value, rationale],
            )
            .await
            .map_err(query_error)?;
        }
        Record::DeleteAnnotation { target, id, .. } => {
            tx.execute(
                "DELETE FROM annotations WHERE experiment = $1 AND target = $2 AND id = $3",
                &[&seq, &target.as_str(), id],
            )
            .await
            .map_err(query_error)?;
        }
        _ => {}
    }
    Ok(())
}

fn opt_object(v: Option<serde_json::Value>) -> Option<JsonObject> {
    match v {
        Some(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Every sample of an experiment with its links, by (dataset id, id).
pub async fn samples(inner: &Inner, id: &str) -> Result<Vec<EvalSample>> {
    let client = inner.conn().await?;
    let seq = crate::read::seq(&client, id).await?;
    if inner.version < VERSION {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT dataset_id, id, inputs, outputs, refs, scores, metadata, created_at, updated_at
               FROM evals WHERE experiment = $1 ORDER BY dataset_id COLLATE \"C\", id COLLATE \"C\"",
            &[&seq],
        )
        .await
        .map_err(query_error)?;
    let links = client
        .query(
            "SELECT dataset_id, eval_id, trace_id FROM eval_traces WHERE experiment = $1 ORDER BY ord",
            &[&seq],
        )
        .await
        .map_err(query_error)?;
    let mut by: std::collections::HashMap<(String, String), Vec<String>> = Default::default();
    for l in &links {
        by.entry((l.get(0), l.get(1))).or_default().push(l.get(2));
    }
    Ok(rows
        .iter()
        .map(|r| {
            let dataset_id: String = r.get(0);
            let id: String = r.get(1);
            EvalSample {
                trace_ids: by
                    .remove(&(dataset_id.clone(), id.clone()))
                    .unwrap_or_default(),
                inputs: opt_object(r.get(2)).unwrap_or_default(),
                outputs: opt_object(r.get(3)),
                refs: opt_object(r.get(4)),
                scores: opt_object(r.get(5)),
                metadata: opt_object(r.get(6)),
                created_at: r.get(7),
                updated_at: r.get(8),
                annotations: None,
                dataset_id,
                id,
            }
        })
        .collect())
}

/// Every annotation of an experiment, by creation time (ties as written).
pub async fn annotations(inner: &Inner, id: &str) -> Result<Vec<Annotation>> {
    let client = inner.conn().await?;
    let seq = crate::read::seq(&client, id).await?;
    if inner.version < VERSION {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT target, id, subject_a, subject_b, name, annotation_kind, value_type, value,
                    user_name, rationale, created_at
               FROM annotations WHERE experiment = $1 ORDER BY created_at, ord",
            &[&seq],
        )
        .await
        .map_err(query_error)?;
    rows.iter()
        .map(|r| {
            let (a, b): (String, String) = (r.get(2), r.get(3));
            let subject = match AnnotationTarget::parse(r.get::<_, &str>(0))? {
                AnnotationTarget::Eval => AnnotationSubject::Eval {
                    dataset_id: a,
                    eval_id: b,
                },
                AnnotationTarget::Span => AnnotationSubject::Span {
                    trace_id: a,
                    span_id: b,
                },
            };
            let value: AnnotationValue = serde_json::from_value(r.get(7))
                .map_err(|e| Error::corrupt(format!("annotation value: {e}")))?;
            Ok(Annotation {
                id: r.get(1),
                subject,
                name: r.get(4),
                annotation_kind: AnnotationKind::parse(r.get::<_, &str>(5))?,
                value_type: AnnotationValueType::parse(r.get::<_, &str>(6))?,
                value,
                user: r.get(8),
                rationale: r.get(9),
                created_at: r.get(10),
            })
        })
        .collect()
}

//! The read path: typed queries, one or two statements each.

use std::collections::BTreeMap;

use deadpool_postgres::Object;
use sextant_core::search::sql::Bind;
use sextant_core::{
    AttachmentInfo, Error, ExperimentInfo, GroupInfo, MetricPoint, MetricSummary, ModelInfo,
    ParamValue, Result, Span, SpanStatus, Status, StepRange,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::errors::query_error;
use crate::Inner;

pub async fn seq<C: deadpool_postgres::GenericClient + Sync>(client: &C, id: &str) -> Result<i64> {
    client
        .query_opt("SELECT seq FROM experiments WHERE id = $1", &[&id])
        .await
        .map_err(query_error)?
        .map(|r| r.get(0))
        .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))
}

/// The interned id of `key`, `None` when the experiment never logged it.
pub async fn key_id(client: &Object, id: &str, key: &str) -> Result<Option<i64>> {
    let row = client
        .query_opt(
            "SELECT k.id FROM experiments e LEFT JOIN metric_keys k ON k.experiment = e.seq AND k.key = $2
             WHERE e.id = $1",
            &[&id, &key],
        )
        .await
        .map_err(query_error)?
        .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))?;
    Ok(row.get(0))
}

fn params(id: &str, json: serde_json::Value) -> Result<BTreeMap<String, ParamValue>> {
    serde_json::from_value(json)
        .map_err(|e| Error::corrupt(format!("params of experiment {id:?} in PostgreSQL: {e}")))
}

/// All experiments (or the one with `only`), newest first, with params and latest metrics.
pub async fn experiments(inner: &Inner, only: Option<&str>) -> Result<Vec<ExperimentInfo>> {
    match only {
        Some(id) => {
            experiments_where(inner, "e.id = $1::text", vec![Bind::Text(id.to_string())]).await
        }
        None => experiments_where(inner, "TRUE", Vec::new()).await,
    }
}

/// The experiments meeting `condition` (over `e` and its group `g`, placeholders `$1`… bound
/// to `binds`), newest first, with params and latest metrics.
pub async fn experiments_where(
    inner: &Inner,
    condition: &str,
    binds: Vec<Bind>,
) -> Result<Vec<ExperimentInfo>> {
    let client = inner.conn().await?;
    let values: Vec<Box<dyn ToSql + Sync + Send>> = binds
        .into_iter()
        .map(|b| -> Box<dyn ToSql + Sync + Send> {
            match b {
                Bind::Text(t) => Box::new(t),
                Bind::Real(r) => Box::new(r),
            }
        })
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = values
        .iter()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect();
    let rows =
        client
            .query(
                &format!(
                "SELECT e.seq, e.id, e.name, g.name, e.status, e.tags, e.created_at, e.duration,
                    e.description, e.source, e.params, {created_by}
               FROM experiments e JOIN groups g ON g.id = e.group_id
              WHERE {condition}",
                // Schema 3 added `created_by`; older schemas (upgrade tests) lack it.
                created_by = if inner.version >= 3 { "e.created_by" } else { "NULL::text" },
            ),
                &refs,
            )
            .await
            .map_err(query_error)?;
    let seqs: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let metric_rows = client
        .query(
            "SELECT k.experiment, k.key, k.last_value FROM metric_keys k
              WHERE k.count > 0 AND k.experiment = ANY($1::bigint[])",
            &[&seqs],
        )
        .await
        .map_err(query_error)?;
    let mut metrics: BTreeMap<i64, BTreeMap<String, f64>> = BTreeMap::new();
    for r in metric_rows {
        let value: Option<f64> = r.get(2);
        metrics
            .entry(r.get(0))
            .or_default()
            .insert(r.get(1), value.unwrap_or(f64::NAN));
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let seq: i64 = r.get(0);
        let id: String = r.get(1);
        let status: String = r.get(4);
        out.push(ExperimentInfo {
            params: params(&id, r.get(10))?,
            id,
            name: r.get(2),
            group: r.get(3),
            status: Status::parse_lenient(&status),
            tags: r.get(5),
            created_at: r.get(6),
            duration: r.get(7),
            description: r.get(8),
            source: r.get(9),
            metrics: metrics.remove(&seq).unwrap_or_default(),
            unreadable: None,
            created_by: r.get(11),
        });
    }
    sextant_core::query::newest_first(&mut out);
    Ok(out)
}

pub async fn groups(inner: &Inner) -> Result<Vec<GroupInfo>> {
    let client = inner.conn().await?;
    let rows = client
        .query(
            "SELECT g.id, g.name, g.description, g.created_at, count(e.seq)
               FROM groups g LEFT JOIN experiments e ON e.group_id = g.id
              GROUP BY g.id",
            &[],
        )
        .await
        .map_err(query_error)?;
    let mut out: Vec<GroupInfo> = rows
        .iter()
        .map(|r| GroupInfo {
            id: r.get::<_, i64>(0).to_string(),
            name: r.get(1),
            description: r.get(2),
            created_at: r.get(3),
            experiment_count: u64::try_from(r.get::<_, i64>(4)).unwrap_or(0),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub async fn metrics(inner: &Inner, id: &str) -> Result<Vec<MetricSummary>> {
    let client = inner.conn().await?;
    let seq = seq(&client, id).await?;
    // Extremes from the min/max blocks (about n / 1024 rows, NaN already left out) when
    // the schema has them, else from the points.
    let sql = if inner.version >= 2 {
        "SELECT k.key, k.count, k.first_step, k.last_step, k.last_value,
                (SELECT min(b.min_value) FROM metric_blocks b WHERE b.key_id = k.id),
                (SELECT max(b.max_value) FROM metric_blocks b WHERE b.key_id = k.id)
           FROM metric_keys k WHERE k.experiment = $1 AND k.count > 0"
    } else {
        "SELECT k.key, k.count, k.first_step, k.last_step, k.last_value,
                (SELECT min(p.value) FROM points p WHERE p.key_id = k.id AND p.value <> 'NaN'::float8),
                (SELECT max(p.value) FROM points p WHERE p.key_id = k.id AND p.value <> 'NaN'::float8)
           FROM metric_keys k WHERE k.experiment = $1 AND k.count > 0"
    };
    let rows = client.query(sql, &[&seq]).await.map_err(query_error)?;
    let mut out: Vec<MetricSummary> = rows
        .iter()
        .map(|r| MetricSummary {
            key: r.get(0),
            count: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
            first_step: r.get::<_, Option<i64>>(2).unwrap_or(0),
            last_step: r.get::<_, Option<i64>>(3).unwrap_or(0),
            last_value: r.get::<_, Option<f64>>(4).unwrap_or(f64::NAN),
            min: r.get(5),
            max: r.get(6),
        })
        .collect();
    // Byte order, as every other store sorts, whatever the database's collation.
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

pub fn point(r: &Row) -> MetricPoint {
    MetricPoint {
        step: r.get(0),
        value: r.get(1),
        logged_at: r.get(2),
    }
}

pub async fn points(client: &Object, key_id: i64, range: StepRange) -> Result<Vec<MetricPoint>> {
    let (from, to) = (range.from.unwrap_or(i64::MIN), range.to.unwrap_or(i64::MAX));
    if from > to {
        return Ok(Vec::new());
    }
    let stmt = client
        .prepare_cached(
            "SELECT step, value, logged_at FROM points
              WHERE key_id = $1 AND step BETWEEN $2 AND $3 ORDER BY step",
        )
        .await
        .map_err(query_error)?;
    let rows = client
        .query(&stmt, &[&key_id, &from, &to])
        .await
        .map_err(query_error)?;
    Ok(rows.iter().map(point).collect())
}

pub async fn attachments(inner: &Inner, id: &str) -> Result<Vec<AttachmentInfo>> {
    let client = inner.conn().await?;
    let seq = seq(&client, id).await?;
    let rows = client
        .query(
            "SELECT name, size, created_at FROM attachments WHERE experiment = $1",
            &[&seq],
        )
        .await
        .map_err(query_error)?;
    let mut out: Vec<AttachmentInfo> = rows
        .iter()
        .map(|r| AttachmentInfo {
            name: r.get(0),
            size: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
            created_at: r.get(2),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `columns` of one attachment's row; `AttachmentNotFound` when it has none of that name.
pub async fn attachment_row(inner: &Inner, id: &str, name: &str, columns: &str) -> Result<Row> {
    let client = inner.conn().await?;
    let seq = seq(&client, id).await?;
    client
        .query_opt(
            &format!("SELECT {columns} FROM attachments WHERE experiment = $1 AND name = $2"),
            &[&seq, &name],
        )
        .await
        .map_err(query_error)?
        .ok_or_else(|| Error::AttachmentNotFound {
            experiment: id.to_string(),
            name: name.to_string(),
        })
}

pub async fn attachment(inner: &Inner, id: &str, name: &str) -> Result<Vec<u8>> {
    let row = attachment_row(inner, id, name, "data, object_key").await?;
    let data: Option<Vec<u8>> = row.get(0);
    let key: Option<String> = row.get(1);
    match (data, key) {
        (Some(d), _) => Ok(d),
        (None, Some(k)) => inner.artifacts.get(&k).await,
        (None, None) => Err(Error::corrupt(format!(
            "attachment {name:?} of experiment {id:?} has no bytes in PostgreSQL"
        ))),
    }
}

fn span(r: &Row) -> Result<Span> {
    let span_id: String = r.get(1);
    let bad = |what: &str, e: serde_json::Error| {
        Error::corrupt(format!("span {span_id} {what} in PostgreSQL: {e}"))
    };
    let attributes = match r.get::<_, serde_json::Value>(10) {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    Ok(Span {
        events: serde_json::from_value(r.get(11)).map_err(|e| bad("events", e))?,
        links: serde_json::from_value(r.get(12)).map_err(|e| bad("links", e))?,
        trace_id: r.get(0),
        parent_span_id: r.get(2),
        name: r.get(3),
        kind: r.get(4),
        dfs_span_type: r.get(5),
        start_time_unix_nano: r.get(6),
        end_time_unix_nano: r.get(7),
        status: SpanStatus::from_code(i64::from(r.get::<_, i16>(8))),
        status_message: r.get(9),
        attributes,
        trace_flags: r.get(13),
        span_id,
    })
}

pub async fn spans(inner: &Inner, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>> {
    let client = inner.conn().await?;
    let seq = seq(&client, id).await?;
    let rows = client
        .query(
            "SELECT trace_id, span_id, parent_span_id, name, kind, dfs_span_type, start_ns, end_ns,
                    status, status_message, attributes, events, links, trace_flags
               FROM spans WHERE experiment = $1 AND ($2::text IS NULL OR trace_id = $2)
              ORDER BY start_ns, trace_id COLLATE \"C\", span_id COLLATE \"C\"",
            &[&seq, &trace_id],
        )
        .await
        .map_err(query_error)?;
    rows.iter().map(span).collect()
}

pub async fn models(inner: &Inner, id: &str) -> Result<Vec<ModelInfo>> {
    let client = inner.conn().await?;
    let seq = seq(&client, id).await?;
    let rows = client
        .query(
            "SELECT id, name, path, created_at, size FROM models WHERE experiment = $1 ORDER BY ord",
            &[&seq],
        )
        .await
        .map_err(query_error)?;
    Ok(rows
        .iter()
        .map(|r| ModelInfo {
            id: r.get(0),
            name: r.get(1),
            path: r.get(2),
            created_at: r.get(3),
            size: r
                .get::<_, Option<i64>>(4)
                .and_then(|s| u64::try_from(s).ok()),
        })
        .collect())
}

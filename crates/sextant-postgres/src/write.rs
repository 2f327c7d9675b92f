//! The write path: one transaction per batch. Points that only append (each key's steps
//! ascending above what it holds, as a run logs) go by binary `COPY` straight into
//! `points`; others go through the connection's staging table and one upsert (the last
//! value logged for a step wins). Either way one update refreshes each key's summary.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use sextant_core::{Batch, Error, ExperimentUpdate, MetricPoint, Record, Result};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use crate::errors::query_error;
use crate::Inner;

/// Experiment ids resolved to their `seq` within one transaction.
struct Seqs(HashMap<String, i64>);

impl Seqs {
    async fn get(&mut self, tx: &Transaction<'_>, id: &str) -> Result<i64> {
        if let Some(s) = self.0.get(id) {
            return Ok(*s);
        }
        let row = tx
            .query_opt("SELECT seq FROM experiments WHERE id = $1", &[&id])
            .await
            .map_err(query_error)?
            .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))?;
        let seq: i64 = row.get(0);
        self.0.insert(id.to_string(), seq);
        Ok(seq)
    }
}

pub async fn apply(inner: &Inner, batch: &Batch) -> Result<()> {
    // Objects this batch wrote (removed again if it fails) and the versions it replaced
    // (removed once it committed), so a failed batch never loses the previous bytes.
    let mut written = Vec::new();
    let mut replaced = Vec::new();
    let result = apply_tx(inner, batch, &mut written, &mut replaced).await;
    match &result {
        Ok(()) => inner.artifacts.delete_all(&replaced).await,
        Err(_) => inner.artifacts.delete_all(&written).await,
    }
    result
}

async fn apply_tx(
    inner: &Inner,
    batch: &Batch,
    written: &mut Vec<String>,
    replaced: &mut Vec<String>,
) -> Result<()> {
    let mut client = inner.conn().await?;
    let tx = client.transaction().await.map_err(query_error)?;
    let mut seqs = Seqs(HashMap::new());
    let mut series: Vec<(i64, &str, &[MetricPoint])> = Vec::new();
    for record in &batch.records {
        match record {
            Record::Create(n) => {
                tx.execute(
                    "INSERT INTO groups (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    &[&n.group, &n.created_at],
                )
                .await
                .map_err(query_error)?;
                // Schema 3 added `created_by`; older schemas (upgrade tests) lack it.
                let insert = if inner.version >= 3 {
                    "INSERT INTO experiments (id, name, group_id, status, tags, created_at, description, source, created_by)
                     SELECT $1, $2, g.id, 'running', $3, $4, $5, $6, $8 FROM groups g WHERE g.name = $7
                     ON CONFLICT (id) DO NOTHING RETURNING seq"
                } else {
                    "INSERT INTO experiments (id, name, group_id, status, tags, created_at, description, source)
                     SELECT $1, $2, g.id, 'running', $3, $4, $5, $6 FROM groups g WHERE g.name = $7 AND ($8::text IS NULL OR TRUE)
                     ON CONFLICT (id) DO NOTHING RETURNING seq"
                };
                let row = tx
                    .query_opt(
                        insert,
                        &[
                            &n.id,
                            &n.name,
                            &n.tags,
                            &n.created_at,
                            &n.description,
                            &n.source,
                            &n.group,
                            &n.created_by,
                        ],
                    )
                    .await
                    .map_err(query_error)?
                    .ok_or_else(|| Error::ExperimentExists(n.id.clone()))?;
                seqs.0.insert(n.id.clone(), row.get(0));
            }
            Record::SetStatus {
                experiment,
                status,
                duration,
            } => {
                let seq = seqs.get(&tx, experiment).await?;
                tx.execute(
                    "UPDATE experiments SET status = $2, duration = COALESCE($3, duration) WHERE seq = $1",
                    &[&seq, &status.as_str(), duration],
                )
                .await
                .map_err(query_error)?;
            }
            Record::Params { experiment, params } => {
                let seq = seqs.get(&tx, experiment).await?;
                let mut map = serde_json::Map::new();
                for (k, v) in params {
                    let v = serde_json::to_value(v).map_err(|e| {
                        Error::storage(format!("param {k:?} cannot be encoded: {e}"))
                    })?;
                    map.insert(k.clone(), v);
                }
                tx.execute(
                    "UPDATE experiments SET params = params || $2 WHERE seq = $1",
                    &[&seq, &serde_json::Value::Object(map)],
                )
                .await
                .map_err(query_error)?;
            }
            Record::Metrics {
                experiment,
                key,
                points,
            } => {
                let seq = seqs.get(&tx, experiment).await?;
                if !points.is_empty() {
                    series.push((seq, key, points));
                }
            }
            Record::Spans { experiment, spans } => {
                let seq = seqs.get(&tx, experiment).await?;
                write_spans(&tx, seq, spans).await?;
            }
            Record::Attachment {
                experiment,
                name,
                data,
                created_at,
            } => {
                let seq = seqs.get(&tx, experiment).await?;
                let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
                let old: Option<String> = tx
                    .query_opt(
                        "SELECT object_key FROM attachments WHERE experiment = $1 AND name = $2",
                        &[&seq, name],
                    )
                    .await
                    .map_err(query_error)?
                    .and_then(|r| r.get(0));
                let key = inner.artifacts.put(experiment, name, data).await?;
                let in_db = key.is_none().then_some(data.as_slice());
                if let Some(k) = &key {
                    written.push(k.clone());
                }
                replaced.extend(old);
                tx.execute(
                    "INSERT INTO attachments (experiment, name, size, created_at, data, object_key)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (experiment, name) DO UPDATE SET size = excluded.size,
                       created_at = excluded.created_at, data = excluded.data, object_key = excluded.object_key",
                    &[&seq, name, &size, created_at, &in_db, &key],
                )
                .await
                .map_err(query_error)?;
            }
            Record::Model { experiment, model } => {
                let seq = seqs.get(&tx, experiment).await?;
                let size = model.size.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
                tx.execute(
                    "INSERT INTO models (experiment, id, name, path, created_at, size) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (experiment, id) DO UPDATE SET name = excluded.name, path = excluded.path,
                       created_at = excluded.created_at, size = excluded.size, ord = nextval(pg_get_serial_sequence('models', 'ord'))",
                    &[&seq, &model.id, &model.name, &model.path, &model.created_at, &size],
                )
                .await
                .map_err(query_error)?;
            }
            r => {
                if inner.version < crate::evals::VERSION {
                    return Err(sextant_core::evals::unsupported(
                        "PostgreSQL (schema older than version 4)",
                    ));
                }
                let seq = seqs.get(&tx, r.experiment()).await?;
                crate::evals::write(&tx, seq, r.experiment(), r).await?;
            }
        }
    }
    if !series.is_empty() {
        write_points(&tx, &series, crate::blocks::levels(inner.version)).await?;
    }
    crate::notify::announce(&tx, &inner.cfg, &inner.origin, batch.touched()).await?;
    tx.commit().await.map_err(query_error)
}

async fn write_spans(tx: &Transaction<'_>, seq: i64, spans: &[sextant_core::Span]) -> Result<()> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO spans (experiment, trace_id, span_id, parent_span_id, name, kind, dfs_span_type,
               start_ns, end_ns, status, status_message, attributes, events, links, trace_flags)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (experiment, trace_id, span_id) DO UPDATE SET parent_span_id = excluded.parent_span_id,
               name = excluded.name, kind = excluded.kind, dfs_span_type = excluded.dfs_span_type,
               start_ns = excluded.start_ns, end_ns = excluded.end_ns, status = excluded.status,
               status_message = excluded.status_message, attributes = excluded.attributes,
               events = excluded.events, links = excluded.links, trace_flags = excluded.trace_flags",
        )
        .await
        .map_err(query_error)?;
    for s in spans {
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(|e| Error::storage(format!("span {} cannot be encoded: {e}", s.span_id)))
        };
        let attributes = serde_json::Value::Object(s.attributes.clone());
        let events = json(serde_json::to_value(&s.events))?;
        let links = json(serde_json::to_value(&s.links))?;
        let status = s.status.code() as i16;
        tx.execute(
            &stmt,
            &[
                &seq,
                &s.trace_id,
                &s.span_id,
                &s.parent_span_id,
                &s.name,
                &s.kind,
                &s.dfs_span_type,
                &s.start_time_unix_nano,
                &s.end_time_unix_nano,
                &status,
                &s.status_message,
                &attributes,
                &events,
                &links,
                &s.trace_flags,
            ],
        )
        .await
        .map_err(query_error)?;
    }
    Ok(())
}

/// `levels`: the min/max block summaries this schema keeps, kept current too.
async fn write_points(
    tx: &Transaction<'_>,
    series: &[(i64, &str, &[MetricPoint])],
    levels: &[crate::blocks::Level],
) -> Result<()> {
    let mut key_ids: HashMap<(i64, &str), i64> = HashMap::new();
    // Each key's highest stored step before this batch: appends above it take the fast
    // path for block summaries.
    let mut last_before: HashMap<i64, Option<i64>> = HashMap::new();
    let intern = tx
        .prepare_cached(
            "INSERT INTO metric_keys (experiment, key) VALUES ($1, $2)
             ON CONFLICT (experiment, key) DO UPDATE SET key = excluded.key RETURNING id, last_step",
        )
        .await
        .map_err(query_error)?;
    for (seq, key, _) in series {
        if let std::collections::hash_map::Entry::Vacant(slot) = key_ids.entry((*seq, *key)) {
            let row = tx
                .query_one(&intern, &[seq, key])
                .await
                .map_err(query_error)?;
            slot.insert(row.get(0));
            last_before.insert(row.get(0), row.get(1));
        }
    }
    // A step logged twice in one batch must reach the upsert once (the last value); only
    // then is the staging table sorted, as logging normally sends each step once.
    // (Steps out of ascending order count as possible repeats: sorting is then safe.)
    let mut top: HashMap<i64, i64> = HashMap::new();
    let mut repeats = false;
    for (seq, key, points) in series {
        let id = key_ids[&(*seq, *key)];
        for p in points.iter() {
            match top.get_mut(&id) {
                Some(t) if p.step <= *t => repeats = true,
                Some(t) => *t = p.step,
                None => {
                    top.insert(id, p.step);
                }
            }
        }
    }
    // The common case, a run logging new steps: every key's points ascend above all it
    // holds (its `last_step`, read under the row lock the intern upsert took), so no step can
    // collide and the points go straight into `points`: no staging copy, no conflict checks.
    let appends = !repeats
        && series.iter().all(|(seq, key, points)| {
            let id = key_ids[&(*seq, *key)];
            match (last_before.get(&id).copied().flatten(), points.first()) {
                (Some(last), Some(p)) => p.step > last,
                _ => true,
            }
        });
    if !(appends && append_points(tx, series, &key_ids).await?) {
        upsert_points(tx, series, &key_ids, repeats).await?;
    }
    if levels.is_empty() {
        return Ok(());
    }
    let mut by_key: HashMap<i64, Vec<&[MetricPoint]>> = HashMap::new();
    for (seq, key, points) in series {
        by_key
            .entry(key_ids[&(*seq, *key)])
            .or_default()
            .push(points);
    }
    crate::blocks::update(tx, &by_key, &last_before, levels).await
}

/// Copies the batch's points into `table` (binary `COPY`), with each point's position in the
/// batch when `ord` (the staging table orders repeated steps by it).
async fn copy_points(
    tx: &Transaction<'_>,
    table: &str,
    ord: bool,
    series: &[(i64, &str, &[MetricPoint])],
    key_ids: &HashMap<(i64, &str), i64>,
) -> std::result::Result<(), tokio_postgres::Error> {
    let columns = if ord {
        "key_id, step, value, logged_at, ord"
    } else {
        "key_id, step, value, logged_at"
    };
    let sink = tx
        .copy_in(&format!("COPY {table} ({columns}) FROM STDIN BINARY"))
        .await?;
    let types: &[Type] = if ord {
        &[Type::INT8, Type::INT8, Type::FLOAT8, Type::INT8, Type::INT8]
    } else {
        &[Type::INT8, Type::INT8, Type::FLOAT8, Type::INT8]
    };
    let writer = BinaryCopyInWriter::new(sink, types);
    let mut writer = std::pin::pin!(writer);
    let mut at: i64 = 0;
    for (seq, key, points) in series {
        let key_id = key_ids[&(*seq, *key)];
        for p in points.iter() {
            if ord {
                writer
                    .as_mut()
                    .write(&[&key_id, &p.step, &p.value, &p.logged_at, &at])
                    .await?;
            } else {
                writer
                    .as_mut()
                    .write(&[&key_id, &p.step, &p.value, &p.logged_at])
                    .await?;
            }
            at += 1;
        }
    }
    writer.finish().await?;
    Ok(())
}

/// The append path: the points straight into `points`, then each key's summary from what
/// was sent. `Ok(false)` when a step collided after all (points written by something that
/// did not move `last_step`): nothing of this path is kept and the caller upserts instead.
async fn append_points(
    tx: &Transaction<'_>,
    series: &[(i64, &str, &[MetricPoint])],
    key_ids: &HashMap<(i64, &str), i64>,
) -> Result<bool> {
    tx.batch_execute("SAVEPOINT sextant_append")
        .await
        .map_err(query_error)?;
    if let Err(e) = copy_points(tx, "points", false, series, key_ids).await {
        if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
            tx.batch_execute("ROLLBACK TO SAVEPOINT sextant_append")
                .await
                .map_err(query_error)?;
            return Ok(false);
        }
        return Err(query_error(e));
    }
    tx.batch_execute("RELEASE SAVEPOINT sextant_append")
        .await
        .map_err(query_error)?;
    // Per key: points added, lowest and highest step, the value at the highest.
    let mut sums: HashMap<i64, (i64, i64, i64, f64)> = HashMap::new();
    for (seq, key, points) in series {
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            continue;
        };
        let id = key_ids[&(*seq, *key)];
        let n = points.len() as i64;
        sums.entry(id)
            .and_modify(|s| {
                s.0 += n;
                s.1 = s.1.min(first.step);
                s.2 = last.step;
                s.3 = last.value;
            })
            .or_insert((n, first.step, last.step, last.value));
    }
    let (mut ids, mut added, mut lo, mut hi, mut value) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, (n, l, h, v)) in sums {
        ids.push(id);
        added.push(n);
        lo.push(l);
        hi.push(h);
        value.push(v);
    }
    tx.execute(
        "UPDATE metric_keys k SET count = k.count + s.added,
           first_step = LEAST(k.first_step, s.lo), last_step = s.hi, last_value = s.value
         FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::float8[])
           AS s(id, added, lo, hi, value)
         WHERE k.id = s.id",
        &[&ids, &added, &lo, &hi, &value],
    )
    .await
    .map_err(query_error)?;
    Ok(true)
}

/// The general path: through the staging table and one upsert (the last value logged for
/// a step wins), refreshing each key's summary from what the upsert did.
async fn upsert_points(
    tx: &Transaction<'_>,
    series: &[(i64, &str, &[MetricPoint])],
    key_ids: &HashMap<(i64, &str), i64>,
    repeats: bool,
) -> Result<()> {
    copy_points(tx, "sextant_staging", true, series, key_ids)
        .await
        .map_err(query_error)?;
    let source = if repeats {
        "SELECT DISTINCT ON (key_id, step) key_id, step, value, logged_at
           FROM sextant_staging ORDER BY key_id, step, ord DESC"
    } else {
        "SELECT key_id, step, value, logged_at FROM sextant_staging"
    };
    tx.batch_execute(&format!(
        "WITH up AS (
           INSERT INTO points (key_id, step, value, logged_at)
           {source}
           ON CONFLICT (key_id, step) DO UPDATE SET value = excluded.value, logged_at = excluded.logged_at
           RETURNING key_id, step, (xmax = 0) AS inserted
         ), s AS (
           SELECT key_id, count(*) FILTER (WHERE inserted) AS added, min(step) AS lo, max(step) AS hi
             FROM up GROUP BY key_id
         )
         UPDATE metric_keys k SET count = k.count + s.added,
           first_step = LEAST(k.first_step, s.lo),
           last_step = GREATEST(k.last_step, s.hi),
           last_value = CASE WHEN k.last_step IS NULL OR s.hi >= k.last_step
             THEN (SELECT st.value FROM sextant_staging st WHERE st.key_id = k.id AND st.step = s.hi ORDER BY st.ord DESC LIMIT 1)
             ELSE k.last_value END
         FROM s WHERE k.id = s.key_id"
    ))
    .await
    .map_err(query_error)
}

pub async fn update(inner: &Inner, id: &str, u: &ExperimentUpdate) -> Result<()> {
    let client = inner.conn().await?;
    let n = client
        .execute(
            "UPDATE experiments SET name = COALESCE($2, name), description = COALESCE($3, description),
               tags = COALESCE($4, tags) WHERE id = $1",
            &[&id, &u.name, &u.description, &u.tags],
        )
        .await
        .map_err(query_error)?;
    if n == 0 {
        return Err(Error::ExperimentNotFound(id.to_string()));
    }
    let touched = vec![(id.to_string(), Default::default())];
    crate::notify::announce(&client, &inner.cfg, &inner.origin, touched).await
}

pub async fn delete(inner: &Inner, id: &str) -> Result<()> {
    let mut client = inner.conn().await?;
    let tx = client.transaction().await.map_err(query_error)?;
    let seq: i64 = tx
        .query_opt(
            "SELECT seq FROM experiments WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await
        .map_err(query_error)?
        .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))?
        .get(0);
    let objects: Vec<String> = tx
        .query(
            "SELECT object_key FROM attachments WHERE experiment = $1 AND object_key IS NOT NULL",
            &[&seq],
        )
        .await
        .map_err(query_error)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let levels = crate::blocks::levels(inner.version);
    for table in std::iter::once("points").chain(levels.iter().map(|l| l.table)) {
        tx.execute(
            &format!("DELETE FROM {table} WHERE key_id IN (SELECT id FROM metric_keys WHERE experiment = $1)"),
            &[&seq],
        )
        .await
        .map_err(query_error)?;
    }
    tx.execute("DELETE FROM experiments WHERE seq = $1", &[&seq])
        .await
        .map_err(query_error)?;
    let touched = vec![(id.to_string(), Default::default())];
    crate::notify::announce(&tx, &inner.cfg, &inner.origin, touched).await?;
    tx.commit().await.map_err(query_error)?;
    inner.artifacts.delete_all(&objects).await;
    Ok(())
}

//! Reads and writes of one experiment's `exp.db`, shared by the store and snapshots.

use crate::sql::SqlContext;
use std::collections::BTreeMap;
use std::path::Path;

use crate::time::{iso_from_millis, millis_from_iso};
use rusqlite::{params, Connection, OptionalExtension};
use sextant_core::{
    AttachmentInfo, HexId, MetricPoint, MetricSummary, ParamValue, Span, SpanEvent, SpanLink,
    SpanRecord, SpanStatus, SpanText, StepRange,
};

use crate::sql::SqlResult;

/// Points closer together than this share one stored timestamp: `logged_at` is written on
/// the first and last point of each key in a batch, on the points either side of a jump of
/// this many ms, and left NULL (zero bytes) elsewhere; reads interpolate by step, so a point
/// logged in step order reads back less than this far from when it was logged. Wall time keeps
/// sub-second accuracy for real training loops at a few bytes per point instead of ~30.
const ANCHOR_INTERVAL_MS: i64 = 1_000;
/// And at least every this many points, so finding the stored time nearest a step never
/// scans far, however fast points were logged.
const ANCHOR_EVERY_POINTS: usize = 4_096;

pub fn write_params(
    conn: &Connection,
    path: &Path,
    params: &[(String, ParamValue)],
) -> SqlResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT OR REPLACE INTO static_params(key, value, value_type) VALUES (?1, ?2, ?3)",
        )
        .at(path)?;
    for (key, value) in params {
        stmt.execute(params![
            key,
            value.to_luml_text(),
            value.param_type().as_str()
        ])
        .at(path)?;
    }
    Ok(())
}

/// Rows per multi-row INSERT: fewer statement steps per point (the write path's main cost).
const ROWS_PER_INSERT: usize = 64;

/// How a chunk of points goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conflict {
    /// A point at a stored step replaces it.
    Replace,
    /// For points known to be new: `OR FAIL` keeps what a failing statement wrote, so
    /// SQLite keeps no statement journal (a copy of every page the statement touches) and
    /// checks the key once per row instead of twice; a conflict falls back to `Replace`.
    Fail,
}

fn insert_sql(rows: usize, conflict: Conflict) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| format!("(?1, ?{}, ?{}, ?{})", 2 + 3 * r, 3 + 3 * r, 4 + 3 * r))
        .collect();
    let or = match conflict {
        Conflict::Replace => "REPLACE",
        Conflict::Fail => "FAIL",
    };
    format!(
        "INSERT OR {or} INTO dynamic_metrics(key, value, step, logged_at) VALUES {}",
        values.join(", ")
    )
}

/// Which points carry a stored `logged_at` (see [`ANCHOR_INTERVAL_MS`]).
fn anchors(points: &[MetricPoint]) -> Vec<bool> {
    let mut last_anchor = i64::MIN;
    let mut last_anchor_at = 0usize;
    let last = points.len().saturating_sub(1);
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // The point before a jump is stored too, so every point between two stored
            // times was logged within ANCHOR_INTERVAL_MS of the first: interpolation is
            // then off by less than that, however long the pause after it.
            let jump_next = points
                .get(i + 1)
                .is_some_and(|n| n.logged_at.saturating_sub(last_anchor) >= ANCHOR_INTERVAL_MS);
            let anchor = i == 0
                || i == last
                || p.logged_at.saturating_sub(last_anchor) >= ANCHOR_INTERVAL_MS
                || jump_next
                || i - last_anchor_at >= ANCHOR_EVERY_POINTS;
            if anchor {
                last_anchor = p.logged_at;
                last_anchor_at = i;
            }
            anchor
        })
        .collect()
}

/// Binds one chunk (the key and three parameters per point) and runs the statement.
fn insert_chunk(
    stmt: &mut rusqlite::Statement<'_>,
    key: &str,
    chunk: &[MetricPoint],
    anchored: &[bool],
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(1, key)?;
    for (j, (p, anchor)) in chunk.iter().zip(anchored).enumerate() {
        let base = 2 + 3 * j;
        // SQLite stores NaN as NULL; reads turn NULL back into NaN, so the point survives.
        let value = if p.value.is_nan() {
            None
        } else {
            Some(p.value)
        };
        stmt.raw_bind_parameter(base, value)?;
        stmt.raw_bind_parameter(base + 1, p.step)?;
        if *anchor {
            stmt.raw_bind_parameter(base + 2, iso_from_millis(p.logged_at))?;
        } else {
            stmt.raw_bind_parameter(base + 2, rusqlite::types::Null)?;
        }
    }
    stmt.raw_execute().map(|_| ())
}

/// Writes points of one key; a point at a stored step replaces it. `fresh`: the caller
/// knows every step is above the key's stored steps and comes once (an append), which
/// takes the cheaper insert; a wrong `fresh` costs time, not correctness.
pub fn write_metrics(
    conn: &Connection,
    path: &Path,
    key: &str,
    points: &[MetricPoint],
    fresh: bool,
) -> SqlResult<()> {
    let anchored = anchors(points);
    let conflict = if fresh {
        Conflict::Fail
    } else {
        Conflict::Replace
    };
    // One prepared statement for all full chunks: its SQL is long, so looking it up in the
    // statement cache per chunk would cost more than the rows it inserts.
    let mut full = conn
        .prepare_cached(&insert_sql(ROWS_PER_INSERT, conflict))
        .at(path)?;
    for (chunk, flags) in points
        .chunks(ROWS_PER_INSERT)
        .zip(anchored.chunks(ROWS_PER_INSERT))
    {
        let done = if chunk.len() == ROWS_PER_INSERT {
            insert_chunk(&mut full, key, chunk, flags)
        } else {
            let mut tail = conn
                .prepare_cached(&insert_sql(chunk.len(), conflict))
                .at(path)?;
            insert_chunk(&mut tail, key, chunk, flags)
        };
        match done {
            Ok(()) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if conflict == Conflict::Fail
                    && e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                // A step was stored after all: the rows before it are in, and replacing
                // the whole chunk writes each point once.
                let mut again = conn
                    .prepare_cached(&insert_sql(chunk.len(), Conflict::Replace))
                    .at(path)?;
                insert_chunk(&mut again, key, chunk, flags).at(path)?;
            }
            Err(e) => return Err(e).at(path),
        }
    }
    Ok(())
}

const INSERT_SPAN: &str = "INSERT OR REPLACE INTO spans(trace_id, span_id, parent_span_id, name,
    kind, dfs_span_type, start_time_unix_nano, end_time_unix_nano, status_code, status_message,
    attributes, events, links, trace_flags) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)";

pub fn write_spans(conn: &Connection, path: &Path, spans: &[Span]) -> SqlResult<()> {
    let mut stmt = conn.prepare_cached(INSERT_SPAN).at(path)?;
    for s in spans {
        let attributes = serde_json::to_string(&s.attributes).unwrap_or_else(|_| "{}".into());
        let events = json_or_null(&s.events);
        let links = json_or_null(&s.links);
        stmt.execute(params![
            s.trace_id,
            s.span_id,
            s.parent_span_id,
            s.name,
            s.kind,
            s.dfs_span_type,
            s.start_time_unix_nano,
            s.end_time_unix_nano,
            s.status.code(),
            s.status_message,
            attributes,
            events,
            links,
            s.trace_flags,
        ])
        .at(path)?;
    }
    Ok(())
}

/// Spans recorded in-process, written from their typed fields: ids and attribute JSON go
/// from reused buffers to the statement, with no `Span` and no string per field.
pub fn write_span_records(conn: &Connection, path: &Path, spans: &[SpanRecord]) -> SqlResult<()> {
    let mut stmt = conn.prepare_cached(INSERT_SPAN).at(path)?;
    let mut text = SpanText::default();
    for s in spans {
        text.render(s);
        stmt.execute(params![
            text.trace_id.as_str(),
            text.span_id.as_str(),
            text.parent_span_id.as_ref().map(HexId::as_str),
            s.name,
            s.kind,
            s.dfs_span_type,
            s.start_time_unix_nano,
            s.end_time_unix_nano,
            s.status().code(),
            s.error,
            text.attributes(),
            json_or_null(&s.events),
            None::<&str>,
            1_i64,
        ])
        .at(path)?;
    }
    Ok(())
}

fn json_or_null<T: serde::Serialize>(items: &[T]) -> Option<String> {
    if items.is_empty() {
        None
    } else {
        serde_json::to_string(items).ok()
    }
}

/// Records an attachment file (replacing an earlier one of the same name).
pub fn write_attachment_row(
    conn: &Connection,
    path: &Path,
    id: &str,
    name: &str,
    size: u64,
    created_at: i64,
) -> SqlResult<()> {
    conn.execute("DELETE FROM attachments WHERE name = ?1", params![name])
        .at(path)?;
    conn.execute(
        "INSERT INTO attachments(id, name, file_path, created_at, size) VALUES (?1, ?2, ?2, ?3, ?4)",
        params![id, name, iso_from_millis(created_at), size as i64],
    )
    .at(path)?;
    Ok(())
}

pub fn read_params(conn: &Connection, path: &Path) -> SqlResult<BTreeMap<String, ParamValue>> {
    let mut stmt = conn
        .prepare_cached("SELECT key, value, value_type FROM static_params")
        .at(path)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            ))
        })
        .at(path)?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (k, v, t) = row.at(path)?;
        out.insert(k, ParamValue::from_luml_text(&v, &t));
    }
    Ok(out)
}

/// Distinct keys by index skip-scan, so a 10M-point table is not read to list three keys.
pub fn metric_keys(conn: &Connection, path: &Path) -> SqlResult<Vec<String>> {
    let mut stmt = conn
        .prepare_cached(
            "WITH RECURSIVE k(key) AS (
                SELECT MIN(key) FROM dynamic_metrics
                UNION ALL
                SELECT (SELECT MIN(key) FROM dynamic_metrics WHERE key > k.key) FROM k WHERE k.key IS NOT NULL)
             SELECT key FROM k WHERE key IS NOT NULL",
        )
        .at(path)?;
    let keys = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .at(path)?
        .collect::<Result<Vec<_>, _>>()
        .at(path)?;
    Ok(keys)
}

pub fn list_metrics(conn: &Connection, path: &Path) -> SqlResult<Vec<MetricSummary>> {
    metric_keys(conn, path)?
        .into_iter()
        .map(|key| key_summary(conn, path, key))
        .collect()
}

/// One key's summary by a scan of its rows.
pub fn key_summary(conn: &Connection, path: &Path, key: String) -> SqlResult<MetricSummary> {
    // The extremes come from the same scan of the key's rows as the count (NaN is
    // stored as NULL, which MIN and MAX skip).
    let (count, first, last, min, max): (i64, i64, i64, Option<f64>, Option<f64>) = conn
        .prepare_cached(
            "SELECT COUNT(*), MIN(step), MAX(step), MIN(value), MAX(value)
               FROM dynamic_metrics WHERE key = ?1",
        )
        .and_then(|mut s| {
            s.query_row(params![key], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
        })
        .at(path)?;
    let last_value = value_at(conn, path, &key, last)?;
    Ok(MetricSummary {
        key,
        count: count as u64,
        first_step: first,
        last_step: last,
        last_value,
        min,
        max,
    })
}

/// The key's value at `step` (NaN when the step is missing or NaN was logged).
pub fn value_at(conn: &Connection, path: &Path, key: &str, step: i64) -> SqlResult<f64> {
    let v: Option<Option<f64>> = conn
        .prepare_cached("SELECT value FROM dynamic_metrics WHERE key = ?1 AND step = ?2")
        .and_then(|mut s| s.query_row(params![key, step], |r| r.get(0)).optional())
        .at(path)?;
    Ok(v.flatten().unwrap_or(f64::NAN))
}

/// Each key's value at its highest step.
pub fn latest_values(conn: &Connection, path: &Path) -> SqlResult<BTreeMap<String, (i64, f64)>> {
    let mut out = BTreeMap::new();
    for key in metric_keys(conn, path)? {
        let last: i64 = conn
            .prepare_cached("SELECT MAX(step) FROM dynamic_metrics WHERE key = ?1")
            .and_then(|mut s| s.query_row(params![key], |r| r.get(0)))
            .at(path)?;
        let v = value_at(conn, path, &key, last)?;
        out.insert(key, (last, v));
    }
    Ok(out)
}

/// A stored timestamp: ISO text (ours and luml's), or a number of unix ms / seconds.
fn parse_logged_at(v: rusqlite::types::ValueRef<'_>, cache: &mut (String, i64)) -> Option<i64> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Text(t) => {
            let t = std::str::from_utf8(t).ok()?;
            if t != cache.0 {
                cache.1 = millis_from_iso(t)?;
                cache.0 = t.to_string();
            }
            Some(cache.1)
        }
        ValueRef::Integer(i) if i > 100_000_000_000 => Some(i),
        ValueRef::Integer(i) => Some(i * 1000),
        ValueRef::Real(f) => Some((f * 1000.0) as i64),
        _ => None,
    }
}

/// Points of one key in `range`, by step, with missing timestamps interpolated.
pub fn read_points(
    conn: &Connection,
    path: &Path,
    key: &str,
    range: StepRange,
) -> SqlResult<Vec<MetricPoint>> {
    let from = range.from.unwrap_or(i64::MIN);
    let to = range.to.unwrap_or(i64::MAX);
    let mut stmt = conn
        .prepare_cached(
            "SELECT step, value, logged_at FROM dynamic_metrics WHERE key = ?1 AND step BETWEEN ?2 AND ?3 ORDER BY step",
        )
        .at(path)?;
    let mut rows = stmt.query(params![key, from, to]).at(path)?;
    let mut points = Vec::new();
    let mut known: Vec<bool> = Vec::new();
    let mut cache = (String::new(), 0);
    while let Some(r) = rows.next().at(path)? {
        let step: i64 = r.get(0).at(path)?;
        let value: Option<f64> = r.get(1).at(path)?;
        let at = r
            .get_ref(2)
            .ok()
            .and_then(|v| parse_logged_at(v, &mut cache));
        known.push(at.is_some());
        points.push(MetricPoint {
            step,
            value: value.unwrap_or(f64::NAN),
            logged_at: at.unwrap_or(0),
        });
    }
    if known.iter().any(|k| !k) {
        let before = anchor(conn, path, key, from, true)?;
        let after = anchor(conn, path, key, to, false)?;
        interpolate(&mut points, &known, before, after);
    }
    Ok(points)
}

/// A stored (step, unix ms), or none on that side.
type Anchor = Option<(i64, i64)>;

/// The points at `steps` (ascending; missing steps are skipped), each exactly as
/// [`read_points`] returns it, timestamps interpolated the same way. For a chart's few
/// hundred chosen points: one lookup each, and anchor lookups shared between neighbours.
pub fn points_at(
    conn: &Connection,
    path: &Path,
    key: &str,
    steps: &[i64],
) -> SqlResult<Vec<MetricPoint>> {
    let mut stmt = conn
        .prepare_cached("SELECT value, logged_at FROM dynamic_metrics WHERE key = ?1 AND step = ?2")
        .at(path)?;
    let mut out = Vec::with_capacity(steps.len());
    let mut cache = (String::new(), 0);
    // The anchors around the last interpolated point: valid for any later step before
    // the next anchor.
    let mut around: Option<(Anchor, Anchor)> = None;
    for &step in steps {
        let mut rows = stmt.query(params![key, step]).at(path)?;
        let Some(r) = rows.next().at(path)? else {
            continue;
        };
        let value: Option<f64> = r.get(0).at(path)?;
        let at = r
            .get_ref(1)
            .ok()
            .and_then(|v| parse_logged_at(v, &mut cache));
        let logged_at = match at {
            Some(t) => {
                around = None;
                t
            }
            None => {
                let (before, after) = match around {
                    Some((b, Some(a))) if step < a.0 => (b, Some(a)),
                    _ => (
                        anchor(conn, path, key, step, true)?,
                        anchor(conn, path, key, step, false)?,
                    ),
                };
                around = Some((before, after));
                let mut one = [MetricPoint {
                    step,
                    value: 0.0,
                    logged_at: 0,
                }];
                interpolate(&mut one, &[false], before, after);
                one[0].logged_at
            }
        };
        out.push(MetricPoint {
            step,
            value: value.unwrap_or(f64::NAN),
            logged_at,
        });
    }
    Ok(out)
}

/// The nearest stored timestamp strictly before `from` (or after `to`).
fn anchor(
    conn: &Connection,
    path: &Path,
    key: &str,
    edge: i64,
    before: bool,
) -> SqlResult<Option<(i64, i64)>> {
    let sql = if before {
        "SELECT step, logged_at FROM dynamic_metrics WHERE key = ?1 AND step < ?2 AND logged_at IS NOT NULL ORDER BY step DESC LIMIT 1"
    } else {
        "SELECT step, logged_at FROM dynamic_metrics WHERE key = ?1 AND step > ?2 AND logged_at IS NOT NULL ORDER BY step LIMIT 1"
    };
    let mut stmt = conn.prepare_cached(sql).at(path)?;
    let mut rows = stmt.query(params![key, edge]).at(path)?;
    let mut cache = (String::new(), 0);
    match rows.next().at(path)? {
        Some(r) => {
            let step: i64 = r.get(0).at(path)?;
            let at = r
                .get_ref(1)
                .ok()
                .and_then(|v| parse_logged_at(v, &mut cache));
            Ok(at.map(|a| (step, a)))
        }
        None => Ok(None),
    }
}

fn interpolate(
    points: &mut [MetricPoint],
    known: &[bool],
    before: Option<(i64, i64)>,
    after: Option<(i64, i64)>,
) {
    let mut prev = before;
    let mut i = 0;
    while i < points.len() {
        if known[i] {
            prev = Some((points[i].step, points[i].logged_at));
            i += 1;
            continue;
        }
        let gap_end = (i..points.len())
            .find(|&j| known[j])
            .unwrap_or(points.len());
        let next = points.get(gap_end).map(|p| (p.step, p.logged_at)).or(after);
        for p in &mut points[i..gap_end] {
            p.logged_at = match (prev, next) {
                (Some((s0, t0)), Some((s1, t1))) if s1 > s0 => {
                    t0 + ((t1 - t0) as i128 * i128::from(p.step - s0) / i128::from(s1 - s0)) as i64
                }
                (Some((_, t)), _) | (None, Some((_, t))) => t,
                (None, None) => 0,
            };
        }
        i = gap_end;
    }
}

pub fn read_spans(conn: &Connection, path: &Path, trace_id: Option<&str>) -> SqlResult<Vec<Span>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT trace_id, span_id, parent_span_id, name, kind, dfs_span_type, start_time_unix_nano,
                end_time_unix_nano, status_code, status_message, attributes, events, links, trace_flags
             FROM spans WHERE ?1 IS NULL OR trace_id = ?1 ORDER BY start_time_unix_nano, span_id",
        )
        .at(path)?;
    let rows = stmt
        .query_map(params![trace_id], |r| {
            let parent: Option<String> = r.get(2)?;
            let attributes: Option<String> = r.get(10)?;
            let events: Option<String> = r.get(11)?;
            let links: Option<String> = r.get(12)?;
            Ok(Span {
                trace_id: r.get(0)?,
                span_id: r.get(1)?,
                parent_span_id: parent.filter(|p| !p.is_empty()),
                name: r.get(3)?,
                kind: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                dfs_span_type: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                start_time_unix_nano: r.get(6)?,
                end_time_unix_nano: r.get(7)?,
                status: SpanStatus::from_code(r.get::<_, Option<i64>>(8)?.unwrap_or(0)),
                status_message: r.get::<_, Option<String>>(9)?.filter(|m| !m.is_empty()),
                attributes: parse_json_or_default::<serde_json::Map<String, serde_json::Value>>(
                    attributes,
                ),
                events: parse_json_or_default::<Vec<SpanEvent>>(events),
                links: parse_json_or_default::<Vec<SpanLink>>(links),
                trace_flags: r.get(13)?,
            })
        })
        .at(path)?;
    rows.collect::<Result<Vec<_>, _>>().at(path)
}

fn parse_json_or_default<T: serde::de::DeserializeOwned + Default>(text: Option<String>) -> T {
    text.filter(|t| !t.trim().is_empty())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Attachment rows: the public info and the stored relative file path.
pub fn read_attachments(
    conn: &Connection,
    path: &Path,
) -> SqlResult<Vec<(AttachmentInfo, String)>> {
    let mut stmt = conn
        .prepare_cached("SELECT name, file_path, created_at, size FROM attachments ORDER BY name")
        .at(path)?;
    let rows = stmt
        .query_map([], |r| {
            let name: String = r.get(0)?;
            let file: Option<String> = r.get(1)?;
            let created: Option<String> = r.get(2)?;
            let size: Option<i64> = r.get(3)?;
            Ok((
                AttachmentInfo {
                    created_at: created.as_deref().and_then(millis_from_iso).unwrap_or(0),
                    size: size.unwrap_or(0).max(0) as u64,
                    name: name.clone(),
                },
                file.unwrap_or(name),
            ))
        })
        .at(path)?;
    rows.collect::<Result<Vec<_>, _>>().at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(step: i64, logged_at: i64) -> MetricPoint {
        MetricPoint {
            step,
            value: 0.0,
            logged_at,
        }
    }

    /// A batch wrongly taken for an append (a step already stored) is still written
    /// exactly: each step once, with the batch's value, and the other rows of the chunk.
    #[test]
    fn a_fresh_write_over_stored_steps_replaces_them() {
        let path = Path::new("exp.db");
        let conn = Connection::open_in_memory().unwrap();
        crate::schema::create_exp(&conn, path).unwrap();
        let at = 1_700_000_000_000;
        let point = |step: i64, value: f64| MetricPoint {
            step,
            value,
            logged_at: at + step,
        };
        let old: Vec<_> = (0..200).map(|s| point(s, -1.0)).collect();
        write_metrics(&conn, path, "loss", &old, true).unwrap();
        // Steps 150..350: the first 50 collide, in the first chunk and across a full one.
        let new: Vec<_> = (150..350).map(|s| point(s, s as f64)).collect();
        write_metrics(&conn, path, "loss", &new, true).unwrap();
        let back = read_points(&conn, path, "loss", StepRange::ALL).unwrap();
        assert_eq!(back.len(), 350);
        for (i, q) in back.iter().enumerate() {
            assert_eq!(q.step, i as i64);
            let want = if i < 150 { -1.0 } else { i as f64 };
            assert_eq!(q.value, want, "step {i}");
        }
    }

    /// Points a second or more apart around a pause: without the point before the jump
    /// stored, its time would read back near the end of the pause (minutes off).
    #[test]
    fn stored_times_bound_the_interpolation_error() {
        // In memory: this file is also compiled into the snapshot module, without tempfile.
        let path = Path::new("exp.db");
        let conn = Connection::open_in_memory().unwrap();
        crate::schema::create_exp(&conn, path).unwrap();
        let mut logged = Vec::new();
        let mut t = 1_700_000_000_000;
        for step in 0..5_000 {
            // 7 ms a step, with a 10-minute pause (evaluation, say) every 1,000 steps.
            t += if step % 1_000 == 999 { 600_000 } else { 7 };
            logged.push(p(step, t));
        }
        write_metrics(&conn, path, "loss", &logged, false).unwrap();
        let back = read_points(&conn, path, "loss", StepRange::ALL).unwrap();
        let worst = back
            .iter()
            .zip(&logged)
            .map(|(b, l)| (b.logged_at - l.logged_at).abs())
            .max()
            .unwrap();
        assert!(worst < ANCHOR_INTERVAL_MS, "off by {worst} ms");
    }

    #[test]
    fn interpolates_between_anchors_by_step() {
        let mut pts = vec![p(0, 1000), p(1, 0), p(2, 0), p(3, 0), p(4, 2000)];
        let known = [true, false, false, false, true];
        interpolate(&mut pts, &known, None, None);
        let got: Vec<i64> = pts.iter().map(|p| p.logged_at).collect();
        assert_eq!(got, vec![1000, 1250, 1500, 1750, 2000]);
        let mut tail = vec![p(5, 0), p(6, 0)];
        interpolate(&mut tail, &[false, false], Some((4, 2000)), Some((8, 4000)));
        assert_eq!(
            tail.iter().map(|p| p.logged_at).collect::<Vec<_>>(),
            vec![2500, 3000]
        );
    }
}

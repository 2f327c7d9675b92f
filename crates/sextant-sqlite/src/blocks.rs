//! A min/max pyramid over each metric, so a chart of a 10M-point series reads a few
//! thousand rows instead of ten million. Level `i` summarises aligned step blocks of
//! `1 << SHIFTS[i]` steps. Blocks are kept current on write (appends merge in memory;
//! rewrites of old steps recompute their blocks) and rebuilt on read when the points
//! table has moved on without them (luml writing into the same store, or an older store).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use sextant_core::{MetricPoint, StepRange};

use sextant_luml::expdb;
use sextant_luml::sql::{in_write_tx, sql_err, SqlResult};

/// Block sizes 64, 2,048 and 65,536 steps: each level is 32× the one below, so a range
/// edge never needs more than ~32 rows per level.
pub const SHIFTS: [u32; 3] = [6, 11, 16];

pub const DDL: &str = "
CREATE TABLE IF NOT EXISTS sextant_metric_blocks (
    key TEXT NOT NULL,
    level INTEGER NOT NULL,
    block INTEGER NOT NULL,
    count INTEGER NOT NULL,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    min_step INTEGER NOT NULL,
    min_value REAL,
    max_step INTEGER NOT NULL,
    max_value REAL,
    PRIMARY KEY (key, level, block)
) WITHOUT ROWID;";

/// The summary of a run of points: count, span, and where the extremes are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agg {
    pub count: i64,
    pub first_step: i64,
    pub last_step: i64,
    pub first_at: i64,
    pub min: (i64, f64),
    pub max: (i64, f64),
}

impl Agg {
    pub fn of(p: &MetricPoint) -> Agg {
        Agg {
            count: 1,
            first_step: p.step,
            last_step: p.step,
            first_at: p.logged_at,
            min: (p.step, p.value),
            max: (p.step, p.value),
        }
    }

    /// Combines two summaries. NaN never wins an extreme over a number.
    pub fn merge(&mut self, o: &Agg) {
        if o.first_step < self.first_step {
            self.first_step = o.first_step;
            self.first_at = o.first_at;
        }
        self.last_step = self.last_step.max(o.last_step);
        self.count += o.count;
        if self.min.1.is_nan() || (!o.min.1.is_nan() && o.min.1 < self.min.1) {
            self.min = o.min;
        }
        if self.max.1.is_nan() || (!o.max.1.is_nan() && o.max.1 > self.max.1) {
            self.max = o.max;
        }
    }
}

fn nan_to_null(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

fn upsert(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: usize,
    block: i64,
    a: &Agg,
) -> SqlResult<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sextant_metric_blocks(key, level, block, count, first_step, last_step,
            first_at, min_step, min_value, max_step, max_value) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    )
    .and_then(|mut s| {
        s.execute(params![
            key,
            level as i64,
            block,
            a.count,
            a.first_step,
            a.last_step,
            a.first_at,
            a.min.0,
            nan_to_null(a.min.1),
            a.max.0,
            nan_to_null(a.max.1)
        ])
    })
    .map(|_| ())
    .map_err(|e| sql_err(path, e))
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Agg)> {
    let min_v: Option<f64> = r.get(7)?;
    let max_v: Option<f64> = r.get(9)?;
    Ok((
        r.get(0)?,
        Agg {
            count: r.get(1)?,
            first_step: r.get(2)?,
            last_step: r.get(3)?,
            first_at: r.get(4)?,
            min: (r.get(5)?, min_v.unwrap_or(f64::NAN)),
            max: (r.get(8)?, max_v.unwrap_or(f64::NAN)),
        },
    ))
}

/// Stored blocks of `level` with index in `[lo, hi]`.
fn blocks(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: usize,
    lo: i64,
    hi: i64,
) -> SqlResult<Vec<(i64, Agg)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT block, count, first_step, last_step, first_at, min_step, 0, min_value, max_step, max_value
             FROM sextant_metric_blocks WHERE key = ?1 AND level = ?2 AND block BETWEEN ?3 AND ?4 ORDER BY block",
        )
        .map_err(|e| sql_err(path, e))?;
    let rows = stmt
        .query_map(params![key, level as i64, lo, hi], read_row)
        .map_err(|e| sql_err(path, e))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_err(path, e))
}

fn block_range(level: usize, block: i64) -> (i64, i64) {
    let s = SHIFTS[level];
    (block << s, ((block + 1) << s) - 1)
}

fn write_or_delete(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: usize,
    block: i64,
    agg: Option<Agg>,
) -> SqlResult<()> {
    match agg {
        Some(a) => upsert(conn, path, key, level, block, &a),
        None => conn
            .execute(
                "DELETE FROM sextant_metric_blocks WHERE key = ?1 AND level = ?2 AND block = ?3",
                params![key, level as i64, block],
            )
            .map(|_| ())
            .map_err(|e| sql_err(path, e)),
    }
}

/// Recomputes the parents of changed level-0 blocks, level by level, from their children.
fn propagate(conn: &Connection, path: &Path, key: &str, mut touched: Vec<i64>) -> SqlResult<()> {
    for level in 1..SHIFTS.len() {
        let d = SHIFTS[level] - SHIFTS[level - 1];
        touched = touched.iter().map(|b| b >> d).collect();
        touched.sort_unstable();
        touched.dedup();
        for &b in &touched {
            let kids = blocks(conn, path, key, level - 1, b << d, ((b + 1) << d) - 1)?;
            write_or_delete(
                conn,
                path,
                key,
                level,
                b,
                fold(kids.iter().map(|(_, a)| *a)),
            )?;
        }
    }
    Ok(())
}

/// Recomputes level-0 blocks from the points themselves, then their parents.
fn recompute(conn: &Connection, path: &Path, key: &str, mut level0: Vec<i64>) -> SqlResult<()> {
    level0.sort_unstable();
    level0.dedup();
    for &b in &level0 {
        let (lo, hi) = block_range(0, b);
        let pts = expdb::read_points(conn, path, key, StepRange::new(Some(lo), Some(hi)))?;
        write_or_delete(conn, path, key, 0, b, fold(pts.iter().map(Agg::of)))?;
    }
    propagate(conn, path, key, level0)
}

/// Level-0 summaries of `points`. Points usually come in step order, so runs of one block
/// are folded in a single pass; the map only sorts out the rare out-of-order batch.
fn level0_summaries(points: &[MetricPoint]) -> BTreeMap<i64, Agg> {
    let mut out: BTreeMap<i64, Agg> = BTreeMap::new();
    let mut run: Option<(i64, Agg)> = None;
    for p in points {
        let b = p.step >> SHIFTS[0];
        match &mut run {
            Some((rb, agg)) if *rb == b => agg.merge(&Agg::of(p)),
            _ => {
                if let Some((rb, agg)) = run.take() {
                    out.entry(rb).and_modify(|x| x.merge(&agg)).or_insert(agg);
                }
                run = Some((b, Agg::of(p)));
            }
        }
    }
    if let Some((rb, agg)) = run {
        out.entry(rb).and_modify(|x| x.merge(&agg)).or_insert(agg);
    }
    out
}

fn fold(mut it: impl Iterator<Item = Agg>) -> Option<Agg> {
    let mut acc = it.next()?;
    for a in it {
        acc.merge(&a);
    }
    Some(acc)
}

/// Keeps the pyramid current after `points` were written. `appended` means every point
/// lies after the key's previous highest step, so level-0 blocks merge the new points
/// into what they hold without re-reading them.
pub fn after_write(
    conn: &Connection,
    path: &Path,
    key: &str,
    points: &[MetricPoint],
    appended: bool,
) -> SqlResult<()> {
    if points.is_empty() {
        return Ok(());
    }
    if !appended {
        return recompute(
            conn,
            path,
            key,
            points.iter().map(|p| p.step >> SHIFTS[0]).collect(),
        );
    }
    let mut fresh = level0_summaries(points);
    let lo = fresh.keys().next().copied().unwrap_or(0);
    let hi = fresh.keys().next_back().copied().unwrap_or(0);
    let stored: BTreeMap<i64, Agg> = blocks(conn, path, key, 0, lo, hi)?.into_iter().collect();
    for (b, agg) in &mut fresh {
        if let Some(old) = stored.get(b) {
            agg.merge(old);
        }
        upsert(conn, path, key, 0, *b, agg)?;
    }
    propagate(conn, path, key, fresh.into_keys().collect())
}

/// Extends the key's blocks when the points table holds steps the pyramid does not
/// cover (points written by luml, or before the pyramid existed). Returns false when the
/// pyramid is behind and `writable` is false (a read-only store): then the caller reads
/// the points instead.
fn ensure_current(conn: &Connection, path: &Path, key: &str, writable: bool) -> SqlResult<bool> {
    let max_step: Option<i64> = conn
        .prepare_cached("SELECT MAX(step) FROM dynamic_metrics WHERE key = ?1")
        .and_then(|mut s| s.query_row(params![key], |r| r.get(0)))
        .map_err(|e| sql_err(path, e))?;
    let Some(max_step) = max_step else {
        return Ok(true);
    };
    let covered = conn
        .prepare_cached(
            "SELECT MAX(last_step) FROM sextant_metric_blocks WHERE key = ?1 AND level = 0",
        )
        .and_then(|mut s| {
            s.query_row(params![key], |r| r.get::<_, Option<i64>>(0))
                .optional()
        });
    let covered = match covered {
        Ok(c) => c.flatten(),
        // A luml-written exp.db opened read-only has no pyramid table at all.
        Err(_) if !writable => return Ok(false),
        Err(e) => return Err(sql_err(path, e)),
    };
    if covered == Some(max_step) {
        return Ok(true);
    }
    if !writable {
        return Ok(false);
    }
    in_write_tx(conn, path, |conn| extend(conn, path, key, covered))?;
    Ok(true)
}

/// Folds the points after `covered` into the pyramid (inside the caller's transaction).
fn extend(conn: &Connection, path: &Path, key: &str, covered: Option<i64>) -> SqlResult<()> {
    // Steps after the covered ones, in one pass: level 0 straight from the points.
    let from = covered.map_or(i64::MIN, |c| (c >> SHIFTS[0]) << SHIFTS[0]);
    let pts = expdb::read_points(conn, path, key, StepRange::new(Some(from), None))?;
    let fresh = level0_summaries(&pts);
    for (b, agg) in &fresh {
        upsert(conn, path, key, 0, *b, agg)?;
    }
    propagate(conn, path, key, fresh.into_keys().collect())
}

/// Summaries covering exactly `[lo, hi]`, coarsest first where whole blocks fit.
fn cover(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: Option<usize>,
    lo: i64,
    hi: i64,
    out: &mut Vec<Agg>,
) -> SqlResult<()> {
    if lo > hi {
        return Ok(());
    }
    let Some(level) = level else {
        let pts = expdb::read_points(conn, path, key, StepRange::new(Some(lo), Some(hi)))?;
        out.extend(pts.iter().map(Agg::of));
        return Ok(());
    };
    let size = 1i64 << SHIFTS[level];
    let first_full = lo.div_euclid(size) + i64::from(lo.rem_euclid(size) != 0);
    let last_full = (hi + 1).div_euclid(size) - 1;
    let below = level.checked_sub(1);
    if first_full > last_full {
        return cover(conn, path, key, below, lo, hi, out);
    }
    cover(
        conn,
        path,
        key,
        below,
        lo,
        (first_full << SHIFTS[level]) - 1,
        out,
    )?;
    out.extend(
        blocks(conn, path, key, level, first_full, last_full)?
            .into_iter()
            .map(|(_, a)| a),
    );
    cover(
        conn,
        path,
        key,
        below,
        (last_full + 1) << SHIFTS[level],
        hi,
        out,
    )
}

/// At most `max_points` points over `range`: per equal-width step bucket, its minimum and
/// maximum, plus the range's first and last point.
pub fn series(
    conn: &Connection,
    path: &Path,
    key: &str,
    range: StepRange,
    max_points: usize,
    writable: bool,
) -> SqlResult<Option<Vec<MetricPoint>>> {
    let bounds: (Option<i64>, Option<i64>) = conn
        .prepare_cached("SELECT MIN(step), MAX(step) FROM dynamic_metrics WHERE key = ?1 AND step BETWEEN ?2 AND ?3")
        .and_then(|mut s| {
            s.query_row(params![key, range.from.unwrap_or(i64::MIN), range.to.unwrap_or(i64::MAX)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
        .map_err(|e| sql_err(path, e))?;
    let (Some(lo), Some(hi)) = bounds else {
        return Ok(Some(Vec::new()));
    };
    let buckets = (max_points.max(4) as i64 - 2) / 2;
    let width = (hi - lo + 1) / buckets.max(1);
    // Narrow ranges read the points themselves: the caller downsamples them exactly.
    if width < (1 << SHIFTS[0]) {
        return Ok(None);
    }
    if !ensure_current(conn, path, key, writable)? {
        return Ok(None);
    }
    let level = SHIFTS.iter().rposition(|s| (1i64 << s) <= width);
    let mut parts = Vec::new();
    cover(conn, path, key, level, lo, hi, &mut parts)?;
    let span = i128::from(hi - lo + 1);
    let mut per_bucket: BTreeMap<i64, Agg> = BTreeMap::new();
    for a in &parts {
        let b = (i128::from(a.first_step - lo) * i128::from(buckets) / span) as i64;
        per_bucket.entry(b).and_modify(|x| x.merge(a)).or_insert(*a);
    }
    let ends = expdb::read_points(conn, path, key, StepRange::new(Some(lo), Some(lo)))?
        .into_iter()
        .chain(expdb::read_points(
            conn,
            path,
            key,
            StepRange::new(Some(hi), Some(hi)),
        )?);
    let mut out: Vec<MetricPoint> = Vec::with_capacity(per_bucket.len() * 2 + 2);
    for a in per_bucket.values() {
        let at = a.first_at;
        let (x, y) = if a.min.0 <= a.max.0 {
            (a.min, a.max)
        } else {
            (a.max, a.min)
        };
        out.push(MetricPoint {
            step: x.0,
            value: x.1,
            logged_at: at,
        });
        if y.0 != x.0 {
            out.push(MetricPoint {
                step: y.0,
                value: y.1,
                logged_at: at,
            });
        }
    }
    out.extend(ends);
    out.sort_by_key(|p| p.step);
    out.dedup_by_key(|p| p.step);
    Ok(Some(out))
}

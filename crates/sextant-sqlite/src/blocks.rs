//! A min/max pyramid over each metric, so a chart of a 10M-point series reads a few
//! thousand rows instead of ten million. Level `i` summarises aligned step blocks of
//! `1 << SHIFTS[i]` steps. Blocks are kept current on write (appends merge in memory;
//! rewrites of old steps recompute their blocks) and rebuilt on read when the points
//! table has moved on without them (luml writing into the same store, or an older store).
//!
//! [`series`] answers exactly what `sextant_core::downsample` would over the raw points:
//! each bucket is covered by whole blocks, and only blocks straddling a bucket edge are
//! opened (their children, then the points of one 64-step block).

use sextant_luml::sql::SqlContext;
use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use sextant_core::{MetricPoint, StepRange};

use sextant_luml::expdb;
use sextant_luml::sql::{in_write_tx, sql_err, SqlResult};

/// Block sizes 64, 2,048 and 65,536 steps: each level is 32× the one below, so a range
/// edge never needs more than ~32 rows per level.
pub const SHIFTS: [u32; 3] = [6, 11, 16];

/// The pyramid's rules, per key in `sextant_metric_pyramid`. 2: extremes tie to the
/// smaller step (as `downsample` does); version 1 kept whichever block merged first, so
/// its keys are rebuilt on their first wide read.
const VERSION: i64 = 2;

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
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sextant_metric_pyramid (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sextant_metric_anchors ON dynamic_metrics(key, step, logged_at)
    WHERE logged_at IS NOT NULL;";

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

/// Whether `new` replaces `cur` as an extreme (`better` is `<` for minima, `>` for
/// maxima): NaN never wins over a number, and equal values go to the smaller step, so
/// the answer does not depend on the order blocks were merged in.
fn wins(new: (i64, f64), cur: (i64, f64), better: fn(&f64, &f64) -> bool) -> bool {
    !new.1.is_nan()
        && (cur.1.is_nan() || better(&new.1, &cur.1) || (new.1 == cur.1 && new.0 < cur.0))
}

impl Agg {
    pub fn of(p: &MetricPoint) -> Agg {
        Agg::point(p.step, p.value, p.logged_at)
    }

    fn point(step: i64, value: f64, at: i64) -> Agg {
        Agg {
            count: 1,
            first_step: step,
            last_step: step,
            first_at: at,
            min: (step, value),
            max: (step, value),
        }
    }

    /// Combines two summaries, in any order.
    pub fn merge(&mut self, o: &Agg) {
        if o.first_step < self.first_step {
            self.first_step = o.first_step;
            self.first_at = o.first_at;
        }
        self.last_step = self.last_step.max(o.last_step);
        self.count += o.count;
        if wins(o.min, self.min, f64::lt) {
            self.min = o.min;
        }
        if wins(o.max, self.max, f64::gt) {
            self.max = o.max;
        }
    }
}

/// Blocks per multi-row upsert: an append of 1M points rewrites ~16k level-0 blocks, and
/// one statement per block cost more than the summaries' arithmetic.
const UPSERT_ROWS: usize = 32;

fn upsert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let b = 3 + 9 * r;
            format!(
                "(?1,?2,?{},?{},?{},?{},?{},?{},?{},?{},?{})",
                b,
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8
            )
        })
        .collect();
    format!(
        "INSERT OR REPLACE INTO sextant_metric_blocks(key, level, block, count, first_step, last_step,
            first_at, min_step, min_value, max_step, max_value) VALUES {}",
        values.join(",")
    )
}

/// Made once: formatting it per statement cost more than binding its rows.
static UPSERT_FULL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| upsert_sql(UPSERT_ROWS));

/// Writes every block of `rows` (one level), up to [`UPSERT_ROWS`] per statement.
fn upsert_many(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: usize,
    rows: &BTreeMap<i64, Agg>,
) -> SqlResult<()> {
    let rows: Vec<(&i64, &Agg)> = rows.iter().collect();
    for chunk in rows.chunks(UPSERT_ROWS) {
        upsert_rows(conn, path, key, level, chunk)?;
    }
    Ok(())
}

/// One statement writing `rows` (at most [`UPSERT_ROWS`]) of one key and level.
fn upsert_rows(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: usize,
    rows: &[(&i64, &Agg)],
) -> SqlResult<()> {
    let mut stmt = if rows.len() == UPSERT_ROWS {
        conn.prepare_cached(&UPSERT_FULL)
    } else {
        conn.prepare_cached(&upsert_sql(rows.len()))
    }
    .at(path)?;
    stmt.raw_bind_parameter(1, key).at(path)?;
    stmt.raw_bind_parameter(2, level as i64).at(path)?;
    for (r, (b, a)) in rows.iter().enumerate() {
        let at = 3 + 9 * r;
        stmt.raw_bind_parameter(at, **b).at(path)?;
        stmt.raw_bind_parameter(at + 1, a.count).at(path)?;
        stmt.raw_bind_parameter(at + 2, a.first_step).at(path)?;
        stmt.raw_bind_parameter(at + 3, a.last_step).at(path)?;
        stmt.raw_bind_parameter(at + 4, a.first_at).at(path)?;
        stmt.raw_bind_parameter(at + 5, a.min.0).at(path)?;
        stmt.raw_bind_parameter(at + 6, nan_to_null(a.min.1))
            .at(path)?;
        stmt.raw_bind_parameter(at + 7, a.max.0).at(path)?;
        stmt.raw_bind_parameter(at + 8, nan_to_null(a.max.1))
            .at(path)?;
    }
    stmt.raw_execute().map(|_| ()).at(path)
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
    upsert_rows(conn, path, key, level, &[(&block, a)])
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
        .at(path)?;
    let rows = stmt
        .query_map(params![key, level as i64, lo, hi], read_row)
        .at(path)?;
    rows.collect::<Result<Vec<_>, _>>().at(path)
}

/// The first and last step of a block (the last clamped for blocks ending past i64::MAX).
fn block_range(level: usize, block: i64) -> (i64, i64) {
    let s = SHIFTS[level];
    let first = i128::from(block) << s;
    let last = ((i128::from(block) + 1) << s) - 1;
    (clamp(first), clamp(last))
}

fn clamp(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
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
            .at(path),
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

/// [`propagate`] after an append. Nothing is stored past the batch's first block, so a
/// parent is the fold of the batch's blocks under it, except the one parent that may also
/// hold stored blocks before the batch, which reads its children (already written).
fn propagate_appended(
    conn: &Connection,
    path: &Path,
    key: &str,
    mut children: BTreeMap<i64, Agg>,
) -> SqlResult<()> {
    for level in 1..SHIFTS.len() {
        let d = SHIFTS[level] - SHIFTS[level - 1];
        let Some(&lo) = children.keys().next() else {
            return Ok(());
        };
        let mut parents: BTreeMap<i64, Agg> = BTreeMap::new();
        for (b, a) in &children {
            parents
                .entry(b >> d)
                .and_modify(|p| p.merge(a))
                .or_insert(*a);
        }
        let first = lo >> d;
        if first << d < lo {
            let kids = blocks(
                conn,
                path,
                key,
                level - 1,
                first << d,
                ((first + 1) << d) - 1,
            )?;
            if let Some(agg) = fold(kids.iter().map(|(_, a)| *a)) {
                parents.insert(first, agg);
            }
        }
        upsert_many(conn, path, key, level, &parents)?;
        children = parents;
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

/// The key's pyramid version; an error when the table is missing (a store opened
/// read-only that sextant never wrote, or an older sextant's).
fn version(conn: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT version FROM sextant_metric_pyramid WHERE key = ?1")
        .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())
}

fn mark_current(conn: &Connection, path: &Path, key: &str) -> SqlResult<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sextant_metric_pyramid(key, version) VALUES (?1, ?2)",
    )
    .and_then(|mut s| s.execute(params![key, VERSION]))
    .map(|_| ())
    .at(path)
}

/// Keeps the pyramid current after `points` were written. `fresh` means every point lies
/// after the key's previous highest step, each step once and ascending, so level-0 blocks
/// merge the new points into what they hold without re-reading them; `first` that the key
/// held no points before this write.
pub fn after_write(
    conn: &Connection,
    path: &Path,
    key: &str,
    points: &[MetricPoint],
    fresh: bool,
    first: bool,
) -> SqlResult<()> {
    if points.is_empty() {
        return Ok(());
    }
    // A key's first write builds its whole pyramid: mark it current, so its first wide
    // read need not rebuild it. Keys with older blocks, or with points written without
    // a pyramid (luml), stay unmarked and are rebuilt on read.
    if version(conn, key).at(path)? != Some(VERSION) {
        let has_blocks = conn
            .prepare_cached("SELECT 1 FROM sextant_metric_blocks WHERE key = ?1 LIMIT 1")
            .and_then(|mut s| s.exists(params![key]))
            .at(path)?;
        if !has_blocks && first {
            mark_current(conn, path, key)?;
        }
    }
    // Level-0 blocks merge the new points only when each step is new and comes once: a
    // batch repeating a step stores its last value once, which counting would not see.
    if !fresh {
        return recompute(
            conn,
            path,
            key,
            points.iter().map(|p| p.step >> SHIFTS[0]).collect(),
        );
    }
    let mut summaries = level0_summaries(points);
    let lo = summaries.keys().next().copied().unwrap_or(0);
    let hi = summaries.keys().next_back().copied().unwrap_or(0);
    let stored: BTreeMap<i64, Agg> = blocks(conn, path, key, 0, lo, hi)?.into_iter().collect();
    for (b, agg) in &mut summaries {
        if let Some(old) = stored.get(b) {
            agg.merge(old);
        }
    }
    upsert_many(conn, path, key, 0, &summaries)?;
    propagate_appended(conn, path, key, summaries)
}

/// One indexed step lookup: the first (or last) step of `key` in `[from, to]`.
fn edge_step(
    conn: &Connection,
    path: &Path,
    key: &str,
    from: i64,
    to: i64,
    last: bool,
) -> SqlResult<Option<i64>> {
    // Two statements: SQLite answers MIN or MAX alone from the index, but scans every
    // row for both in one query (that scan was most of a wide query's time).
    let sql = if last {
        "SELECT step FROM dynamic_metrics WHERE key = ?1 AND step BETWEEN ?2 AND ?3 ORDER BY step DESC LIMIT 1"
    } else {
        "SELECT step FROM dynamic_metrics WHERE key = ?1 AND step BETWEEN ?2 AND ?3 ORDER BY step LIMIT 1"
    };
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row(params![key, from, to], |r| r.get(0)).optional())
        .at(path)
}

/// The key's pyramid version and highest covered step. An error when the tables are
/// missing (a luml-written exp.db opened read-only).
fn pyramid_state(conn: &Connection, key: &str) -> rusqlite::Result<(Option<i64>, Option<i64>)> {
    // Blocks are step-aligned, so the highest block holds the highest covered step.
    let covered = conn
        .prepare_cached(
            "SELECT last_step FROM sextant_metric_blocks WHERE key = ?1 AND level = 0
             ORDER BY block DESC LIMIT 1",
        )
        .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())?;
    Ok((version(conn, key)?, covered))
}

/// Makes the key's pyramid cover every stored point, in one write transaction: rebuilt
/// when missing or of an older version, extended when the points table holds steps
/// after the covered ones (points written by luml).
fn bring_up_to_date(conn: &Connection, path: &Path, key: &str) -> SqlResult<()> {
    in_write_tx(conn, path, |conn| {
        let (version, covered) = pyramid_state(conn, key).at(path)?;
        if version == Some(VERSION) {
            return extend(conn, path, key, covered);
        }
        conn.execute(
            "DELETE FROM sextant_metric_blocks WHERE key = ?1",
            params![key],
        )
        .at(path)?;
        extend(conn, path, key, None)?;
        mark_current(conn, path, key)
    })
}

/// Points read per pass when extending, as aligned windows of this many steps, so a
/// rebuild of a 100M-point series never holds more than one window in memory.
const EXTEND_WINDOW_SHIFT: u32 = 20;

/// Folds the points after `covered` into the pyramid (inside the caller's transaction).
fn extend(conn: &Connection, path: &Path, key: &str, covered: Option<i64>) -> SqlResult<()> {
    // Steps after the covered ones, window by window: level 0 straight from the points.
    let mut from = covered.map_or(i64::MIN, |c| (c >> SHIFTS[0]) << SHIFTS[0]);
    let mut touched = Vec::new();
    while let Some(first) = edge_step(conn, path, key, from, i64::MAX, false)? {
        let end =
            clamp(((i128::from(first >> EXTEND_WINDOW_SHIFT) + 1) << EXTEND_WINDOW_SHIFT) - 1);
        let pts = expdb::read_points(conn, path, key, StepRange::new(Some(first), Some(end)))?;
        for (b, agg) in level0_summaries(&pts) {
            upsert(conn, path, key, 0, b, &agg)?;
            touched.push(b);
        }
        if end == i64::MAX {
            break;
        }
        from = end + 1;
    }
    propagate(conn, path, key, touched)
}

/// The key's count, first and last step and extremes from the top level of a current
/// pyramid (a few hundred rows for 10M points) instead of a scan of its points; `None`
/// when the pyramid is missing, of an older version or behind the points (the caller
/// scans). Read only: the next wide chart read brings the pyramid up to date.
pub fn summary(conn: &Connection, path: &Path, key: &str) -> SqlResult<Option<Agg>> {
    let tx = conn.unchecked_transaction().at(path)?;
    let Some(last) = edge_step(&tx, path, key, i64::MIN, i64::MAX, true)? else {
        return Ok(None);
    };
    match pyramid_state(&tx, key) {
        Ok((Some(VERSION), Some(covered))) if covered >= last => {}
        // No pyramid tables (a luml exp.db opened read-only) or not current.
        _ => return Ok(None),
    }
    let top = SHIFTS.len() - 1;
    let all = blocks(&tx, path, key, top, i64::MIN, i64::MAX)?;
    Ok(fold(all.into_iter().map(|(_, a)| a)))
}

/// A block's summary as the read path needs it.
#[derive(Debug, Clone, Copy)]
struct Summary {
    block: i64,
    agg: Agg,
}

/// Stored blocks of `level` with index in `[lo, hi]`, only the columns a read needs
/// (this loop and the points loop below are most of a wide query's time, hence
/// `get_ref_unwrap` on columns whose types the schema fixes).
#[allow(clippy::too_many_arguments)]
fn summaries(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: usize,
    lo: i64,
    hi: i64,
    out: &mut Vec<Summary>,
) -> SqlResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT count, first_step, min_step, min_value, max_step, max_value
             FROM sextant_metric_blocks WHERE key = ?1 AND level = ?2 AND block BETWEEN ?3 AND ?4",
        )
        .at(path)?;
    let mut rows = stmt.query(params![key, level as i64, lo, hi]).at(path)?;
    while let Some(r) = rows.next().at(path)? {
        let first_step = int(r.get_ref_unwrap(1));
        out.push(Summary {
            block: first_step >> SHIFTS[level],
            agg: Agg {
                count: int(r.get_ref_unwrap(0)),
                first_step,
                last_step: first_step,
                first_at: 0,
                min: (int(r.get_ref_unwrap(2)), real(r.get_ref_unwrap(3))),
                max: (int(r.get_ref_unwrap(4)), real(r.get_ref_unwrap(5))),
            },
        });
    }
    Ok(())
}

fn int(v: rusqlite::types::ValueRef<'_>) -> i64 {
    match v {
        rusqlite::types::ValueRef::Integer(i) => i,
        rusqlite::types::ValueRef::Real(f) => f as i64,
        _ => 0,
    }
}

/// A stored value: NULL (how NaN is stored) and anything unreadable as NaN.
fn real(v: rusqlite::types::ValueRef<'_>) -> f64 {
    match v {
        rusqlite::types::ValueRef::Real(f) => f,
        rusqlite::types::ValueRef::Integer(i) => i as f64,
        _ => f64::NAN,
    }
}

/// Equal-width step buckets over the points strictly inside `(lo, hi)`, numbered as
/// `downsample` numbers them.
struct Buckets {
    lo: i128,
    span: i128,
    count: i128,
    each: Vec<Option<Agg>>,
    /// Points counted so far (block counts included, opened or not).
    points: i64,
}

impl Buckets {
    fn of(&self, step: i64) -> usize {
        ((i128::from(step) - self.lo) * self.count / self.span) as usize
    }

    /// Adds a part lying within one bucket.
    fn add(&mut self, a: &Agg) {
        let b = self.of(a.first_step);
        self.points += a.count;
        match &mut self.each[b] {
            Some(x) => x.merge(a),
            slot => *slot = Some(*a),
        }
    }

    /// Whether a block over `[s, e]` summarised by `bound`, which straddles a bucket
    /// edge, could change any bucket it overlaps. It cannot when the buckets it ends
    /// and starts already hold extremes at least as far out (ties go to the smaller
    /// step, so the bucket it starts must beat it strictly): the parts of a block never
    /// reach past the block's own minimum and maximum.
    fn could_change(&self, s: i64, e: i64, bound: &Agg) -> bool {
        let (first, last) = (self.of(s), self.of(e));
        if last > first + 1 {
            return true;
        }
        let all_nan = bound.min.1.is_nan();
        let ends = match &self.each[first] {
            None => true,
            Some(x) if x.min.1.is_nan() => !all_nan,
            Some(x) => !all_nan && (bound.min.1 < x.min.1 || bound.max.1 > x.max.1),
        };
        let starts = match &self.each[last] {
            // An all-NaN bucket shows its first point, which may lie in this block.
            None => true,
            Some(y) if y.min.1.is_nan() => true,
            Some(y) => !all_nan && (bound.min.1 <= y.min.1 || bound.max.1 >= y.max.1),
        };
        ends || starts
    }
}

/// Reads the points of `[a, b]` into `out`, one part each.
fn add_points(
    conn: &Connection,
    path: &Path,
    key: &str,
    a: i64,
    b: i64,
    out: &mut Buckets,
) -> SqlResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT step, value FROM dynamic_metrics WHERE key = ?1 AND step BETWEEN ?2 AND ?3",
        )
        .at(path)?;
    let mut rows = stmt.query(params![key, a, b]).at(path)?;
    while let Some(r) = rows.next().at(path)? {
        let step = int(r.get_ref_unwrap(0));
        out.add(&Agg::point(step, real(r.get_ref_unwrap(1)), 0));
    }
    Ok(())
}

/// A block that straddles a bucket edge, set aside until every whole part is in.
struct Straddler {
    level: usize,
    summary: Summary,
}

/// Feeds `[a, b]` into `out`: whole blocks of `level` where they fit in one bucket,
/// finer levels (then points) for the range's ragged edges; blocks straddling a bucket
/// edge go to `later`.
#[allow(clippy::too_many_arguments)]
fn cover(
    conn: &Connection,
    path: &Path,
    key: &str,
    level: Option<usize>,
    a: i64,
    b: i64,
    out: &mut Buckets,
    later: &mut Vec<Straddler>,
) -> SqlResult<()> {
    if a > b {
        return Ok(());
    }
    let Some(level) = level else {
        return add_points(conn, path, key, a, b, out);
    };
    let shift = SHIFTS[level];
    let size = 1i128 << shift;
    let first_full = (i128::from(a) + size - 1).div_euclid(size);
    let last_full = (i128::from(b) + 1).div_euclid(size) - 1;
    let below = level.checked_sub(1);
    if first_full > last_full {
        return cover(conn, path, key, below, a, b, out, later);
    }
    let before = clamp((first_full << shift) - 1);
    cover(conn, path, key, below, a, before, out, later)?;
    let mut rows = Vec::new();
    summaries(
        conn,
        path,
        key,
        level,
        clamp(first_full),
        clamp(last_full),
        &mut rows,
    )?;
    sort_in(level, rows, out, later);
    let after = clamp((last_full + 1) << shift);
    cover(conn, path, key, below, after, b, out, later)
}

/// Adds the blocks that fit in one bucket, sets aside the others.
fn sort_in(level: usize, rows: Vec<Summary>, out: &mut Buckets, later: &mut Vec<Straddler>) {
    for summary in rows {
        let (s, e) = block_range(level, summary.block);
        if out.of(s) == out.of(e) {
            out.add(&summary.agg);
        } else {
            later.push(Straddler { level, summary });
        }
    }
}

/// Opens the straddling blocks that could change an answer (their children, or their
/// points at level 0), and counts the rest unopened.
fn settle(
    conn: &Connection,
    path: &Path,
    key: &str,
    out: &mut Buckets,
    mut later: Vec<Straddler>,
) -> SqlResult<()> {
    let mut kids = Vec::new();
    while let Some(Straddler { level, summary }) = later.pop() {
        let (s, e) = block_range(level, summary.block);
        if !out.could_change(s, e, &summary.agg) {
            out.points += summary.agg.count;
            continue;
        }
        match level.checked_sub(1) {
            None => add_points(conn, path, key, s, e, out)?,
            Some(below) => {
                let d = SHIFTS[level] - SHIFTS[below];
                let first = summary.block << d;
                kids.clear();
                summaries(
                    conn,
                    path,
                    key,
                    below,
                    first,
                    first + (1 << d) - 1,
                    &mut kids,
                )?;
                sort_in(below, std::mem::take(&mut kids), out, &mut later);
            }
        }
    }
    Ok(())
}

/// Buckets narrower than this many steps read the points: the pyramid would open
/// nearly every block it touches.
const PYRAMID_FROM_WIDTH: i128 = 1 << SHIFTS[0];

/// Exactly `sextant_core::downsample` of the points in `range` (the first and last point,
/// and each equal-width bucket's minimum and maximum), answered from the pyramid.
/// `None` when reading the points is the better way (narrow ranges, few points, or a
/// read-only store whose pyramid is behind): the caller then downsamples them.
pub fn series(
    conn: &Connection,
    path: &Path,
    key: &str,
    range: StepRange,
    max_points: usize,
    writable: bool,
) -> SqlResult<Option<Vec<MetricPoint>>> {
    let (from, to) = (range.from.unwrap_or(i64::MIN), range.to.unwrap_or(i64::MAX));
    for attempt in 0..2 {
        // One read transaction: every statement sees the same snapshot (the pyramid
        // checked against the very points it answers for), and SQLite takes its read
        // lock once instead of per statement.
        let mut tx = conn.unchecked_transaction().at(path)?;
        tx.set_drop_behavior(rusqlite::DropBehavior::Commit);
        let Some(lo) = edge_step(&tx, path, key, from, to, false)? else {
            return Ok(Some(Vec::new()));
        };
        let hi = edge_step(&tx, path, key, from, to, true)?.unwrap_or(lo);
        let count = ((max_points.max(4) - 2) / 2).max(1) as i128;
        let span = i128::from(hi) - i128::from(lo) + 1;
        if span / count < PYRAMID_FROM_WIDTH {
            return Ok(None);
        }
        match pyramid_state(&tx, key) {
            Ok((Some(VERSION), Some(covered))) if covered >= hi => {
                return from_pyramid(&tx, path, key, lo, hi, count, max_points);
            }
            Ok(_) => {}
            // A luml-written exp.db opened read-only has no pyramid tables at all.
            Err(_) if !writable => return Ok(None),
            Err(e) => return Err(sql_err(path, e)),
        }
        drop(tx);
        if !writable || attempt > 0 {
            break;
        }
        bring_up_to_date(conn, path, key)?;
    }
    Ok(None)
}

/// The answer over `[lo, hi]` (its first and last stored steps) from a current pyramid.
fn from_pyramid(
    conn: &Connection,
    path: &Path,
    key: &str,
    lo: i64,
    hi: i64,
    count: i128,
    max_points: usize,
) -> SqlResult<Option<Vec<MetricPoint>>> {
    let span = i128::from(hi) - i128::from(lo) + 1;
    let mut buckets = Buckets {
        lo: i128::from(lo),
        span,
        count,
        each: vec![None; count as usize],
        points: 2,
    };
    let level = SHIFTS.iter().rposition(|s| (1i128 << s) <= span / count);
    let mut later = Vec::new();
    cover(
        conn,
        path,
        key,
        level,
        lo + 1,
        hi - 1,
        &mut buckets,
        &mut later,
    )?;
    settle(conn, path, key, &mut buckets, later)?;
    if buckets.points <= max_points.max(2) as i64 {
        // Few enough to return them all, as downsample does.
        return Ok(None);
    }
    let mut steps = Vec::with_capacity(buckets.each.len() * 2 + 2);
    steps.push(lo);
    for a in buckets.each.iter().flatten() {
        if a.min.1.is_nan() {
            // Only NaN in this bucket: its first point stands for it.
            steps.push(a.first_step);
        } else {
            steps.push(a.min.0.min(a.max.0));
            if a.min.0 != a.max.0 {
                steps.push(a.min.0.max(a.max.0));
            }
        }
    }
    steps.push(hi);
    // The chosen points as stored (value, and logged_at with the same interpolation a
    // range read applies).
    let out = expdb::points_at(conn, path, key, &steps)?;
    Ok(Some(out))
}

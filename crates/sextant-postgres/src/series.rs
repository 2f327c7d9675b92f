//! Chart reads: at most `max_points` points over a step range, each equal-width bucket's
//! minimum and maximum, so a wide query over millions of points ships a few hundred rows.
//! Exactly the answer of `sextant_core::downsample` over all points: narrow buckets are
//! aggregated from the points by PostgreSQL; wide ones from block summaries, where a
//! block lying inside one bucket counts whole and a block a bucket edge cuts is opened
//! (its 32-step blocks, then the points of the one 32-step block the edge cuts).

use deadpool_postgres::Object;
use sextant_core::{MetricPoint, Result, StepRange};

use crate::blocks::{self, Level};
use crate::errors::query_error;
use crate::read;

/// How many points `[from, to]` holds (counted up to `keep_all + 1`) and its first and
/// last step. A range covering the whole series (the usual wide chart) is answered from
/// the key's summary row; others walk the primary-key index.
async fn bounds(
    client: &Object,
    key_id: i64,
    from: i64,
    to: i64,
    keep_all: i64,
) -> Result<(i64, Option<i64>, Option<i64>)> {
    let row = client
        .query_one(
            "SELECT count, first_step, last_step FROM metric_keys WHERE id = $1",
            &[&key_id],
        )
        .await
        .map_err(query_error)?;
    let (count, first, last): (i64, Option<i64>, Option<i64>) =
        (row.get(0), row.get(1), row.get(2));
    if let (Some(f), Some(l)) = (first, last) {
        if from <= f && to >= l {
            return Ok((count, first, last));
        }
    }
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM points WHERE key_id = $1 AND step BETWEEN $2 AND $3 ORDER BY step LIMIT $4) t),
                    (SELECT step FROM points WHERE key_id = $1 AND step BETWEEN $2 AND $3 ORDER BY step LIMIT 1),
                    (SELECT step FROM points WHERE key_id = $1 AND step BETWEEN $2 AND $3 ORDER BY step DESC LIMIT 1)",
            &[&key_id, &from, &to, &(keep_all.saturating_add(1))],
        )
        .await
        .map_err(query_error)?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// Steps below this are exact in float8, which the single-pass aggregate relies on.
const EXACT_STEPS: i64 = 1 << 53;

/// `version`: the schema's, which says which block summaries it keeps.
pub async fn series(
    client: &Object,
    key_id: i64,
    range: StepRange,
    max_points: usize,
    version: i32,
) -> Result<Vec<MetricPoint>> {
    let (from, to) = (range.from.unwrap_or(i64::MIN), range.to.unwrap_or(i64::MAX));
    if from > to {
        return Ok(Vec::new());
    }
    let keep_all = i64::try_from(max_points.max(2)).unwrap_or(i64::MAX);
    let (count, lo, hi) = bounds(client, key_id, from, to, keep_all).await?;
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(Vec::new());
    };
    if count <= keep_all {
        return read::points(client, key_id, StepRange::new(Some(lo), Some(hi))).await;
    }
    let buckets = ((max_points.max(4) - 2) / 2).max(1) as i64;
    let span = i128::from(hi) - i128::from(lo) + 1;
    if hi >= EXACT_STEPS || span * i128::from(buckets) > i128::from(i64::MAX) {
        // Astronomically large steps: exact, slow, and in practice never reached.
        let points = read::points(client, key_id, StepRange::new(Some(lo), Some(hi))).await?;
        return Ok(sextant_core::downsample::downsample(&points, max_points));
    }
    let span = span as i64;
    // Summaries help once buckets are wider than a block. Exactness needs every level
    // down to the fine one, so a schema with the coarse level only aggregates points.
    let levels = blocks::levels(version);
    let start = levels
        .iter()
        .position(|l| l.size() <= span / buckets)
        .filter(|_| levels.last() == Some(&blocks::FINE));
    let steps = match start {
        Some(i) => from_blocks(client, key_id, lo, hi, buckets, span, &levels[i..]).await?,
        None => exact(client, key_id, lo, hi, buckets, span).await?,
    };
    let rows = client
        .query(
            "SELECT p.step, p.value, p.logged_at FROM unnest($2::int8[]) AS s(step)
               CROSS JOIN LATERAL (SELECT step, value, logged_at FROM points
                                    WHERE key_id = $1 AND step = s.step) p
              ORDER BY p.step",
            &[&key_id, &steps],
        )
        .await
        .map_err(query_error)?;
    Ok(rows.iter().map(read::point).collect())
}

/// The steps to show, per bucket from the points themselves: one pass in PostgreSQL.
async fn exact(
    client: &Object,
    key_id: i64,
    lo: i64,
    hi: i64,
    buckets: i64,
    span: i64,
) -> Result<Vec<i64>> {
    let stmt = client
        .prepare_cached(
            "SELECT min(ARRAY[value, step::float8]) FILTER (WHERE value <> 'NaN'::float8),
                    max(ARRAY[value, -step::float8]) FILTER (WHERE value <> 'NaN'::float8),
                    min(step)
               FROM points WHERE key_id = $1 AND step > $2 AND step < $3
              GROUP BY ((step - $2) * $4) / $5",
        )
        .await
        .map_err(query_error)?;
    let rows = client
        .query(&stmt, &[&key_id, &lo, &hi, &buckets, &span])
        .await
        .map_err(query_error)?;
    let mut steps: Vec<i64> = Vec::with_capacity(rows.len() * 2 + 2);
    steps.extend([lo, hi]);
    for r in &rows {
        let min: Option<Vec<f64>> = r.get(0);
        let max: Option<Vec<f64>> = r.get(1);
        match (min, max) {
            (Some(a), Some(b)) if a.len() == 2 && b.len() == 2 => {
                steps.push(a[1] as i64);
                steps.push(-b[1] as i64);
            }
            _ => steps.push(r.get(2)),
        }
    }
    steps.sort_unstable();
    steps.dedup();
    Ok(steps)
}

/// One bucket's running extremes: `(value, step)`, NaN never, ties to the smaller step.
/// Adding the same point twice changes nothing, so overlapping reads are harmless.
#[derive(Default)]
struct Extremes {
    first: Option<i64>,
    min: Option<(f64, i64)>,
    max: Option<(f64, i64)>,
}

impl Extremes {
    fn add(&mut self, first: Option<i64>, min: Option<(f64, i64)>, max: Option<(f64, i64)>) {
        if let Some(f) = first {
            self.first = Some(self.first.map_or(f, |c| c.min(f)));
        }
        if let Some(m) = min {
            if self
                .min
                .is_none_or(|c| m.0 < c.0 || (m.0 == c.0 && m.1 < c.1))
            {
                self.min = Some(m);
            }
        }
        if let Some(m) = max {
            if self
                .max
                .is_none_or(|c| m.0 > c.0 || (m.0 == c.0 && m.1 < c.1))
            {
                self.max = Some(m);
            }
        }
    }
}

/// A block summary row: `(value, step)` extremes, as [`Extremes`] keeps them.
struct Block {
    start: i64,
    end: i64,
    first: i64,
    min: Option<(f64, i64)>,
    max: Option<(f64, i64)>,
}

/// Whether the part of a cut block in a bucket must be read to know that bucket's
/// extremes. `known`: the bucket's extremes so far (real points of it, so the final ones
/// are at least as extreme); `leads`: the part is the bucket's first steps (else its last),
/// so it wins ties. The block's own extremes bound the part's; a part holding the
/// block's extreme already counted it.
fn must_read(b: &Block, range: (i64, i64), known: Option<&Extremes>, leads: bool) -> bool {
    let inside = |step: i64| step >= range.0 && step <= range.1;
    let Some(known) = known else { return true };
    let (Some(bmin), Some(bmax)) = (b.min, b.max) else {
        // Only NaN in the block: the part matters only to a bucket with no number yet.
        return known.min.is_none();
    };
    let min_open = !inside(bmin.1)
        && known
            .min
            .is_none_or(|c| bmin.0 < c.0 || (leads && bmin.0 == c.0));
    let max_open = !inside(bmax.1)
        && known
            .max
            .is_none_or(|c| bmax.0 > c.0 || (leads && bmax.0 == c.0));
    min_open || max_open
}

/// The steps to show, from block summaries: whole blocks of `levels[0]` inside `(lo, hi)`
/// that lie in one bucket count whole; where a bucket edge cuts a block, each part counts
/// the block's extreme it holds, and a part that could hold its bucket's other extreme is
/// opened: into the next level's blocks, at the last level into its points (as are the
/// partial blocks at either end). About `n / 1024` summaries plus a few dozen rows per
/// bucket edge, not `n`.
async fn from_blocks(
    client: &Object,
    key_id: i64,
    lo: i64,
    hi: i64,
    buckets: i64,
    span: i64,
    levels: &[Level],
) -> Result<Vec<i64>> {
    let bucket =
        |step: i64| (i128::from(step - lo) * i128::from(buckets) / i128::from(span)) as i64;
    // The first step of bucket `b`: the least s with (s - lo) * buckets >= b * span.
    let bucket_start = |b: i64| {
        let n = i128::from(b) * i128::from(span);
        let d = i128::from(buckets);
        lo + ((n + d - 1) / d) as i64
    };
    let (a, z) = (lo + 1, hi - 1);
    let Some(top) = levels.first() else {
        return exact(client, key_id, lo, hi, buckets, span).await;
    };
    let size = top.size();
    let first_block = a.div_euclid(size) + i64::from(a.rem_euclid(size) != 0);
    let last_block = (z + 1).div_euclid(size) - 1;
    if first_block > last_block {
        return exact(client, key_id, lo, hi, buckets, span).await;
    }
    // Step ranges read as points: the partial blocks at either end, then opened parts.
    let mut point_ranges: (Vec<i64>, Vec<i64>) = (
        vec![a, (last_block + 1) * size],
        vec![first_block * size - 1, z],
    );
    // Block ranges to read at the current level.
    let mut block_ranges: (Vec<i64>, Vec<i64>) = (vec![first_block], vec![last_block]);
    let mut per: std::collections::BTreeMap<i64, Extremes> = std::collections::BTreeMap::new();
    for (i, level) in levels.iter().enumerate() {
        if block_ranges.0.is_empty() {
            break;
        }
        // LATERAL with a LIMIT (exact: block numbers are unique per key) so each range is
        // an index range scan: as a plain join the planner may scan the table whole.
        let rows = client
            .query(
                &format!(
                    "SELECT b.block, b.first_step, b.min_step, b.min_value, b.max_step, b.max_value
                       FROM unnest($2::int8[], $3::int8[]) AS r(lo, hi)
                       CROSS JOIN LATERAL (SELECT * FROM {} WHERE key_id = $1
                           AND block >= r.lo AND block <= r.hi ORDER BY block
                           LIMIT 1 + (r.hi - r.lo)) b",
                    level.table
                ),
                &[&key_id, &block_ranges.0, &block_ranges.1],
            )
            .await
            .map_err(query_error)?;
        let mut cut = Vec::new();
        for r in &rows {
            let block: i64 = r.get(0);
            let start = block << level.shift;
            let b = Block {
                start,
                end: start + level.size() - 1,
                first: r.get(1),
                min: r
                    .get::<_, Option<i64>>(2)
                    .zip(r.get::<_, Option<f64>>(3))
                    .map(|(s, v)| (v, s)),
                max: r
                    .get::<_, Option<i64>>(4)
                    .zip(r.get::<_, Option<f64>>(5))
                    .map(|(s, v)| (v, s)),
            };
            if bucket(b.start) == bucket(b.end) {
                per.entry(bucket(b.start))
                    .or_default()
                    .add(Some(b.first), b.min, b.max);
                continue;
            }
            // Blocks are no wider than a bucket: an edge cuts one in two parts. Each part
            // counts the block's extremes it holds.
            let edge = bucket_start(bucket(b.end));
            for m in [b.min, b.max].into_iter().flatten() {
                per.entry(bucket(m.1))
                    .or_default()
                    .add(None, Some(m), Some(m));
            }
            cut.push((b, edge));
        }
        // Only now, with every whole block counted, is it known which parts could matter.
        block_ranges = Default::default();
        for (b, edge) in &cut {
            for (range, leads) in [((b.start, edge - 1), false), ((*edge, b.end), true)] {
                if !must_read(b, range, per.get(&bucket(range.0)), leads) {
                    continue;
                }
                match levels.get(i + 1) {
                    Some(n) => {
                        block_ranges.0.push(range.0 >> n.shift);
                        block_ranges.1.push(range.1 >> n.shift);
                    }
                    None => {
                        point_ranges.0.push(range.0);
                        point_ranges.1.push(range.1);
                    }
                }
            }
        }
    }
    // As a plain join, 100M points made the planner scan `points` whole for a few
    // thousand rows (12 s); LATERAL with a LIMIT (exact: steps are unique per key, so a
    // range holds at most its width) keeps each range an index range scan (18 ms).
    let points = client
        .query(
            "SELECT p.step, p.value FROM unnest($2::int8[], $3::int8[]) AS r(lo, hi)
               CROSS JOIN LATERAL (SELECT step, value FROM points WHERE key_id = $1
                   AND step >= r.lo AND step <= r.hi ORDER BY step LIMIT 1 + (r.hi - r.lo)) p",
            &[&key_id, &point_ranges.0, &point_ranges.1],
        )
        .await
        .map_err(query_error)?;
    for r in &points {
        let (step, value): (i64, f64) = (r.get(0), r.get(1));
        let v = (!value.is_nan()).then_some((value, step));
        per.entry(bucket(step)).or_default().add(Some(step), v, v);
    }
    let mut steps = vec![lo, hi];
    for e in per.values() {
        match (e.min, e.max) {
            (Some(a), Some(b)) => steps.extend([a.1, b.1]),
            _ => steps.extend(e.first),
        }
    }
    steps.sort_unstable();
    steps.dedup();
    Ok(steps)
}

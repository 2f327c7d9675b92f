//! Chart reads: at most `max_points` points over a step range, each equal-width bucket's
//! minimum and maximum computed by PostgreSQL, so a wide query over millions of points
//! ships a few hundred rows. Same answer as `sextant_core::downsample` over all points.

use deadpool_postgres::Object;
use sextant_core::{MetricPoint, Result, StepRange};

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

/// Block size of `metric_blocks` (steps), as `step >> 10` in SQL.
const BLOCK: i64 = 1 << 10;
/// Buckets at least this wide read blocks: every bucket then holds the start of a block,
/// and a block straddling two buckets counts in the one its first step falls in (as the
/// SQLite store's pyramid does). Narrower buckets (ranges of at most ~1,024 points per
/// bucket) are computed exactly from the points.
const BLOCKS_FROM_WIDTH: i64 = BLOCK;

/// `blocks`: the schema has `metric_blocks` (version 2 on).
pub async fn series(
    client: &Object,
    key_id: i64,
    range: StepRange,
    max_points: usize,
    blocks: bool,
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
    let steps = if blocks && span / buckets >= BLOCKS_FROM_WIDTH {
        from_blocks(client, key_id, lo, hi, buckets, span).await?
    } else {
        exact(client, key_id, lo, hi, buckets, span).await?
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
#[derive(Default)]
struct Extremes {
    first: Option<i64>,
    min: Option<(f64, i64)>,
    max: Option<(f64, i64)>,
}

impl Extremes {
    fn add(&mut self, first: i64, min: Option<(f64, i64)>, max: Option<(f64, i64)>) {
        self.first = Some(self.first.map_or(first, |f| f.min(first)));
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

/// The steps to show from the block summaries whole blocks inside `(lo, hi)`, plus the
/// points of the partial blocks at either end: about `n / 1024` rows, not `n`.
async fn from_blocks(
    client: &Object,
    key_id: i64,
    lo: i64,
    hi: i64,
    buckets: i64,
    span: i64,
) -> Result<Vec<i64>> {
    let (a, z) = (lo + 1, hi - 1);
    let first_block = a.div_euclid(BLOCK) + i64::from(a.rem_euclid(BLOCK) != 0);
    let last_block = (z + 1).div_euclid(BLOCK) - 1;
    if first_block > last_block {
        return exact(client, key_id, lo, hi, buckets, span).await;
    }
    let bucket =
        |step: i64| (i128::from(step - lo) * i128::from(buckets) / i128::from(span)) as i64;
    let mut per: std::collections::BTreeMap<i64, Extremes> = std::collections::BTreeMap::new();
    let rows = client
        .query(
            "SELECT first_step, min_step, min_value, max_step, max_value FROM metric_blocks
              WHERE key_id = $1 AND block BETWEEN $2 AND $3",
            &[&key_id, &first_block, &last_block],
        )
        .await
        .map_err(query_error)?;
    for r in &rows {
        let first: i64 = r.get(0);
        let min = r.get::<_, Option<i64>>(1).zip(r.get::<_, Option<f64>>(2));
        let max = r.get::<_, Option<i64>>(3).zip(r.get::<_, Option<f64>>(4));
        per.entry(bucket(first)).or_default().add(
            first,
            min.map(|(s, v)| (v, s)),
            max.map(|(s, v)| (v, s)),
        );
    }
    let edges = client
        .query(
            "SELECT step, value FROM points WHERE key_id = $1
               AND (step BETWEEN $2 AND $3 OR step BETWEEN $4 AND $5)",
            &[
                &key_id,
                &a,
                &(first_block * BLOCK - 1),
                &((last_block + 1) * BLOCK),
                &z,
            ],
        )
        .await
        .map_err(query_error)?;
    for r in &edges {
        let (step, value): (i64, f64) = (r.get(0), r.get(1));
        let v = (!value.is_nan()).then_some((value, step));
        per.entry(bucket(step)).or_default().add(step, v, v);
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

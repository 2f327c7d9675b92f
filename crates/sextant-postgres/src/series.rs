//! Chart reads: at most `max_points` points over a step range, each equal-width bucket's
//! minimum and maximum computed by PostgreSQL, so a wide query over millions of points
//! ships a few hundred rows. Same answer as `sextant_core::downsample` over all points.

use deadpool_postgres::Object;
use sextant_core::{MetricPoint, Result, StepRange};

use crate::errors::query_error;
use crate::read;

/// Steps below this are exact in float8, which the single-pass aggregate relies on.
const EXACT_STEPS: i64 = 1 << 53;

pub async fn series(
    client: &Object,
    key_id: i64,
    range: StepRange,
    max_points: usize,
) -> Result<Vec<MetricPoint>> {
    let (from, to) = (range.from.unwrap_or(i64::MIN), range.to.unwrap_or(i64::MAX));
    if from > to {
        return Ok(Vec::new());
    }
    let keep_all = i64::try_from(max_points.max(2)).unwrap_or(i64::MAX);
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM points WHERE key_id = $1 AND step BETWEEN $2 AND $3 LIMIT $4) t),
                    min(step), max(step)
               FROM points WHERE key_id = $1 AND step BETWEEN $2 AND $3",
            &[&key_id, &from, &to, &(keep_all.saturating_add(1))],
        )
        .await
        .map_err(query_error)?;
    let (count, lo, hi): (i64, Option<i64>, Option<i64>) = (row.get(0), row.get(1), row.get(2));
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
    let rows = client
        .query(
            "SELECT step, value, logged_at FROM points WHERE key_id = $1 AND step = ANY($2) ORDER BY step",
            &[&key_id, &steps],
        )
        .await
        .map_err(query_error)?;
    Ok(rows.iter().map(read::point).collect())
}

//! Keeping the min/max block summaries current within a batch's transaction: per
//! 1,024-step block in `metric_blocks` and, from schema version 3, per 32-step block in
//! `metric_fine_blocks` (what an exact chart query opens where a bucket edge cuts a
//! block). Appends — every step above the key's highest stored one, which is how training
//! logs — are summarised here from the batch's own points and merged into the stored
//! block (the trailing, partly filled one); anything that rewrites older steps has its
//! touched blocks recomputed from `points` by PostgreSQL.

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::Transaction;
use sextant_core::{MetricPoint, Result};

use crate::errors::query_error;

/// One level of summaries: its table and `step >> shift`, its block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub table: &'static str,
    pub shift: u32,
}

/// 1,024-step blocks (schema version 2 on).
pub const COARSE: Level = Level {
    table: "metric_blocks",
    shift: 10,
};
/// 32-step blocks (schema version 3 on).
pub const FINE: Level = Level {
    table: "metric_fine_blocks",
    shift: 5,
};

impl Level {
    /// Steps per block.
    pub fn size(self) -> i64 {
        1 << self.shift
    }
}

/// The levels a schema of `version` keeps, coarsest first.
pub fn levels(version: i32) -> &'static [Level] {
    match version {
        ..=1 => &[],
        // Versions 3 (tokens) and 4 (evals) kept only the coarse level; 5 added the fine.
        2..=4 => &[COARSE],
        _ => &[COARSE, FINE],
    }
}

/// One block's summary: NaN never counts as an extreme; ties go to the smaller step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub first_step: i64,
    pub min: Option<(i64, f64)>,
    pub max: Option<(i64, f64)>,
}

/// Summaries of `points` (ascending steps, one value per step) per block of `level`.
pub fn summarise(points: &BTreeMap<i64, f64>, level: Level) -> BTreeMap<i64, Summary> {
    let mut out: BTreeMap<i64, Summary> = BTreeMap::new();
    for (&step, &value) in points {
        let s = out.entry(step >> level.shift).or_insert(Summary {
            first_step: step,
            min: None,
            max: None,
        });
        if value.is_nan() {
            continue;
        }
        if s.min.is_none_or(|(_, m)| value < m) {
            s.min = Some((step, value));
        }
        if s.max.is_none_or(|(_, m)| value > m) {
            s.max = Some((step, value));
        }
    }
    out
}

fn merge_sql(level: Level) -> String {
    format!(
        "INSERT INTO {table} AS b (key_id, block, first_step, min_step, min_value, max_step, max_value)
    SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::float8[], $6::int8[], $7::float8[])
    ON CONFLICT (key_id, block) DO UPDATE SET
      first_step = LEAST(b.first_step, excluded.first_step),
      min_step = CASE WHEN b.min_value IS NULL OR excluded.min_value < b.min_value
                 THEN excluded.min_step ELSE b.min_step END,
      min_value = CASE WHEN b.min_value IS NULL OR excluded.min_value < b.min_value
                  THEN excluded.min_value ELSE b.min_value END,
      max_step = CASE WHEN b.max_value IS NULL OR excluded.max_value > b.max_value
                 THEN excluded.max_step ELSE b.max_step END,
      max_value = CASE WHEN b.max_value IS NULL OR excluded.max_value > b.max_value
                  THEN excluded.max_value ELSE b.max_value END",
        table = level.table
    )
}

/// The same summary computed from `points` for the listed blocks (any write pattern). Each
/// block a LATERAL range with a LIMIT (exact: a block holds at most `size` steps): as a
/// plain range join the planner may scan `points` whole once the table is large.
fn recompute_sql(level: Level) -> String {
    format!(
        "INSERT INTO {table} (key_id, block, first_step, min_step, min_value, max_step, max_value)
    SELECT t.key_id, t.block, min(p.step),
           (array_agg(p.step ORDER BY p.value, p.step) FILTER (WHERE p.value <> 'NaN'::float8))[1],
           min(p.value) FILTER (WHERE p.value <> 'NaN'::float8),
           (array_agg(p.step ORDER BY p.value DESC, p.step) FILTER (WHERE p.value <> 'NaN'::float8))[1],
           max(p.value) FILTER (WHERE p.value <> 'NaN'::float8)
      FROM unnest($1::int8[], $2::int8[]) AS t(key_id, block)
      CROSS JOIN LATERAL (SELECT step, value FROM points WHERE key_id = t.key_id
          AND step >= t.block << {shift} AND step <= (t.block << {shift}) + {last}
          ORDER BY step LIMIT {size}) p
     GROUP BY t.key_id, t.block
    ON CONFLICT (key_id, block) DO UPDATE SET first_step = excluded.first_step,
      min_step = excluded.min_step, min_value = excluded.min_value,
      max_step = excluded.max_step, max_value = excluded.max_value",
        table = level.table,
        shift = level.shift,
        last = level.size() - 1,
        size = level.size()
    )
}

/// Block summaries to merge, as the columns `unnest` takes.
#[derive(Default)]
struct Merge {
    key_id: Vec<i64>,
    block: Vec<i64>,
    first_step: Vec<i64>,
    min_step: Vec<Option<i64>>,
    min_value: Vec<Option<f64>>,
    max_step: Vec<Option<i64>>,
    max_value: Vec<Option<f64>>,
}

/// Brings the blocks (at every level in `levels`) of every key written in this batch up
/// to date. `points`: the batch's points per key id, in logging order; `last_before`:
/// each key's highest step before it.
pub async fn update(
    tx: &Transaction<'_>,
    points: &HashMap<i64, Vec<&[MetricPoint]>>,
    last_before: &HashMap<i64, Option<i64>>,
    levels: &[Level],
) -> Result<()> {
    let mut merge: Vec<Merge> = levels.iter().map(|_| Merge::default()).collect();
    let mut recompute: Vec<(Vec<i64>, Vec<i64>)> =
        levels.iter().map(|_| Default::default()).collect();
    for (&key_id, parts) in points {
        // Last value per step wins, as in the upsert.
        let mut latest: BTreeMap<i64, f64> = BTreeMap::new();
        for part in parts {
            for p in part.iter() {
                latest.insert(p.step, p.value);
            }
        }
        let Some((&lowest, _)) = latest.first_key_value() else {
            continue;
        };
        let appends = last_before
            .get(&key_id)
            .copied()
            .flatten()
            .is_none_or(|last| lowest > last);
        for (i, &level) in levels.iter().enumerate() {
            if appends {
                let m = &mut merge[i];
                for (block, s) in summarise(&latest, level) {
                    m.key_id.push(key_id);
                    m.block.push(block);
                    m.first_step.push(s.first_step);
                    m.min_step.push(s.min.map(|m| m.0));
                    m.min_value.push(s.min.map(|m| m.1));
                    m.max_step.push(s.max.map(|m| m.0));
                    m.max_value.push(s.max.map(|m| m.1));
                }
            } else {
                let mut blocks: Vec<i64> = latest.keys().map(|s| s >> level.shift).collect();
                blocks.dedup();
                let r = &mut recompute[i];
                r.0.extend(std::iter::repeat_n(key_id, blocks.len()));
                r.1.extend(blocks);
            }
        }
    }
    for (i, &level) in levels.iter().enumerate() {
        let m = &merge[i];
        if !m.key_id.is_empty() {
            tx.execute(
                &merge_sql(level),
                &[
                    &m.key_id,
                    &m.block,
                    &m.first_step,
                    &m.min_step,
                    &m.min_value,
                    &m.max_step,
                    &m.max_value,
                ],
            )
            .await
            .map_err(query_error)?;
        }
        let r = &recompute[i];
        if !r.0.is_empty() {
            tx.execute(&recompute_sql(level), &[&r.0, &r.1])
                .await
                .map_err(query_error)?;
        }
    }
    Ok(())
}

//! Metric points are stored in chunks of consecutive steps rather than one record per point:
//! a flush of N points touches about N / 1024 records, and a step range is a key range.
//! Shared by the IndexedDB and the key/value (localStorage) stores.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sextant_core::{lossless_f64, MetricPoint, MetricSummary, StepRange};

/// log2 of the steps per chunk. 1024 keeps a chunk near 20 KB in IndexedDB and a few KB of
/// text in localStorage, and makes the largest chunk number (`i64::MAX >> 10` = 2^53 - 1)
/// exactly representable as a JS number, so IndexedDB keys never round.
pub const CHUNK_BITS: u32 = 10;

pub fn chunk_of(step: i64) -> i64 {
    step >> CHUNK_BITS
}

pub fn chunk_base(chunk: i64) -> i64 {
    chunk << CHUNK_BITS
}

/// The first and last chunk a step range touches, or `None` for an empty range.
pub fn chunk_span(range: StepRange) -> Option<(i64, i64)> {
    let from = range.from.unwrap_or(0).max(0);
    let to = range.to.unwrap_or(i64::MAX);
    (from <= to).then(|| (chunk_of(from), chunk_of(to)))
}

/// New points grouped by chunk, in logging order within each chunk.
pub fn by_chunk(points: &[MetricPoint]) -> BTreeMap<i64, Vec<MetricPoint>> {
    let mut out: BTreeMap<i64, Vec<MetricPoint>> = BTreeMap::new();
    for p in points {
        out.entry(chunk_of(p.step)).or_default().push(*p);
    }
    out
}

/// Merges new points into a chunk's step-ordered points; a new point replaces the one at
/// its step, and of two new points at one step the later wins.
pub fn merge(mut existing: Vec<MetricPoint>, new: &[MetricPoint]) -> Vec<MetricPoint> {
    // The common case, appending increasing steps, needs no map.
    let appends = new.windows(2).all(|w| w[0].step < w[1].step)
        && match (existing.last(), new.first()) {
            (Some(last), Some(first)) => last.step < first.step,
            _ => true,
        };
    if appends {
        existing.extend_from_slice(new);
        return existing;
    }
    let mut by_step: BTreeMap<i64, MetricPoint> =
        existing.into_iter().map(|p| (p.step, p)).collect();
    for p in new {
        by_step.insert(p.step, *p);
    }
    by_step.into_values().collect()
}

/// What a store keeps per metric key so listing metrics reads no points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricTotals {
    pub count: u64,
    pub first_step: i64,
    pub last_step: i64,
    #[serde(with = "lossless_f64")]
    pub last_value: f64,
    /// Lowest and highest value (NaN left out), valid while `extremes_known`.
    #[serde(default, with = "lossless_f64::option")]
    pub min: Option<f64>,
    #[serde(default, with = "lossless_f64::option")]
    pub max: Option<f64>,
    /// False once a point was overwritten (its old value may have been the extreme) and
    /// for totals stored before extremes were kept: listing then reports none rather
    /// than read every chunk.
    #[serde(default)]
    pub extremes_known: bool,
}

impl Default for MetricTotals {
    fn default() -> Self {
        MetricTotals {
            count: 0,
            first_step: i64::MAX,
            last_step: -1,
            last_value: f64::NAN,
            min: None,
            max: None,
            extremes_known: true,
        }
    }
}

impl MetricTotals {
    /// Accounts for one chunk that held `old_len` points and now holds `merged`, after
    /// `new` points were merged in.
    pub fn absorb(&mut self, old_len: usize, new: &[MetricPoint], merged: &[MetricPoint]) {
        if merged.len() == old_len + new.len() {
            for p in new {
                (self.min, self.max) = sextant_core::extremes_with((self.min, self.max), p.value);
            }
        } else {
            self.extremes_known = false;
        }
        self.count = self.count + merged.len() as u64 - old_len as u64;
        if let (Some(first), Some(last)) = (merged.first(), merged.last()) {
            self.first_step = self.first_step.min(first.step);
            if last.step >= self.last_step {
                self.last_step = last.step;
                self.last_value = last.value;
            }
        }
    }

    pub fn summary(&self, key: &str) -> MetricSummary {
        MetricSummary {
            key: key.to_string(),
            count: self.count,
            first_step: self.first_step,
            last_step: self.last_step,
            last_value: self.last_value,
            min: self.min.filter(|_| self.extremes_known),
            max: self.max.filter(|_| self.extremes_known),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(step: i64, value: f64) -> MetricPoint {
        MetricPoint {
            step,
            value,
            logged_at: 1,
        }
    }

    #[test]
    fn largest_chunk_number_is_a_safe_js_integer() {
        assert_eq!(chunk_of(i64::MAX), (1i64 << 53) - 1);
        assert_eq!(chunk_base(chunk_of(5000)), 4096);
        assert_eq!(chunk_span(StepRange::new(Some(10), Some(5))), None);
        assert_eq!(
            chunk_span(StepRange::new(Some(1023), Some(1024))),
            Some((0, 1))
        );
    }

    #[test]
    fn merge_replaces_by_step_and_keeps_order() {
        let merged = merge(
            vec![p(1, 1.0), p(3, 3.0)],
            &[p(2, 2.0), p(3, 9.0), p(3, 10.0)],
        );
        let got: Vec<(i64, f64)> = merged.iter().map(|x| (x.step, x.value)).collect();
        assert_eq!(got, vec![(1, 1.0), (2, 2.0), (3, 10.0)]);
        let appended = merge(vec![p(1, 1.0)], &[p(2, 2.0), p(5, 5.0)]);
        assert_eq!(appended.len(), 3);
    }

    #[test]
    fn totals_follow_the_highest_step() {
        let mut t = MetricTotals::default();
        t.absorb(0, &[p(5, 0.5), p(6, 0.6)], &[p(5, 0.5), p(6, 0.6)]);
        t.absorb(0, &[p(2000, 2.0)], &[p(2000, 2.0)]);
        assert_eq!((t.count, t.first_step, t.last_step), (3, 5, 2000));
        assert_eq!(
            (t.summary("k").min, t.summary("k").max),
            (Some(0.5), Some(2.0))
        );
        // Replacing the last point changes the latest value, not the count; the value it
        // replaced may have been an extreme, so extremes are no longer reported.
        t.absorb(1, &[p(2000, 3.0)], &[p(2000, 3.0)]);
        assert_eq!((t.count, t.last_value), (3, 3.0));
        assert_eq!((t.summary("k").min, t.summary("k").max), (None, None));
        // An earlier chunk growing leaves the latest value alone.
        t.absorb(2, &[p(1, 0.1)], &[p(1, 0.1), p(5, 0.5), p(6, 0.6)]);
        assert_eq!((t.count, t.first_step, t.last_value), (4, 1, 3.0));
    }

    #[test]
    fn totals_stored_before_extremes_report_none() {
        let old: MetricTotals =
            serde_json::from_str(r#"{"count":2,"first_step":0,"last_step":1,"last_value":1.0}"#)
                .unwrap();
        assert_eq!(old.summary("k").min, None);
        let mut t = MetricTotals::default();
        t.absorb(
            0,
            &[p(0, f64::NAN), p(1, -1.0)],
            &[p(0, f64::NAN), p(1, -1.0)],
        );
        let back: MetricTotals = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(
            (back.summary("k").min, back.summary("k").max),
            (Some(-1.0), Some(-1.0))
        );
    }
}

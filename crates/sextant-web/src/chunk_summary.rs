//! What a chart needs to know about one chunk of a metric without reading its points: how
//! many there are, the first and last, and the first occurrence of the lowest and highest
//! value. The IndexedDB store keeps one per chunk (grouped into page rows, see
//! `idb::pages`) so a wide `metric_series` reads summaries instead of millions of points
//! (`wide_series`).

use sextant_core::MetricPoint;

/// log2 of the chunks summarised by one page row: 64 chunks, 65,536 steps, so a
/// 10M-point series has about 150 page rows, each a few KB.
pub const PAGE_BITS: u32 = 6;

pub fn page_of(chunk: i64) -> i64 {
    chunk >> PAGE_BITS
}

/// A chunk's position in its page (below 64).
pub fn slot_of(chunk: i64) -> u8 {
    (chunk & ((1 << PAGE_BITS) - 1)) as u8
}

pub fn chunk_at(page: i64, slot: u8) -> i64 {
    (page << PAGE_BITS) | i64::from(slot)
}

/// One chunk's summary. `min`/`max` are the earliest point holding the lowest/highest
/// value, NaN left out (`None` when the chunk holds only NaN), as `downsample` picks them.
#[derive(Debug, Clone, Copy)]
pub struct ChunkSummary {
    pub count: u32,
    pub first: MetricPoint,
    pub last: MetricPoint,
    pub min: Option<MetricPoint>,
    pub max: Option<MetricPoint>,
}

impl ChunkSummary {
    /// The summary of one chunk's points (in step order); `None` for no points.
    pub fn of(points: &[MetricPoint]) -> Option<ChunkSummary> {
        let (first, last) = (*points.first()?, *points.last()?);
        let mut min: Option<MetricPoint> = None;
        let mut max: Option<MetricPoint> = None;
        for p in points.iter().filter(|p| !p.value.is_nan()) {
            if min.is_none_or(|m| p.value < m.value) {
                min = Some(*p);
            }
            if max.is_none_or(|m| p.value > m.value) {
                max = Some(*p);
            }
        }
        Some(ChunkSummary {
            count: u32::try_from(points.len()).unwrap_or(u32::MAX),
            first,
            last,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(step: i64, value: f64) -> MetricPoint {
        MetricPoint {
            step,
            value,
            logged_at: step * 10,
        }
    }

    #[test]
    fn extremes_are_first_occurrences_and_skip_nan() {
        let s = ChunkSummary::of(&[p(1, f64::NAN), p(2, 3.0), p(3, -1.0), p(4, 3.0), p(5, -1.0)])
            .unwrap();
        assert_eq!((s.count, s.first.step, s.last.step), (5, 1, 5));
        assert_eq!(s.min.map(|m| m.step), Some(3));
        assert_eq!(s.max.map(|m| m.step), Some(2));
        let nan = ChunkSummary::of(&[p(7, f64::NAN)]).unwrap();
        assert!(nan.min.is_none() && nan.max.is_none());
        assert!(ChunkSummary::of(&[]).is_none());
    }

    #[test]
    fn pages_and_slots_round_trip() {
        for chunk in [0, 63, 64, 65, (1 << 53) - 1] {
            assert_eq!(chunk_at(page_of(chunk), slot_of(chunk)), chunk);
        }
    }
}

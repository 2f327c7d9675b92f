//! The exact wide chart query from chunk summaries: the same points as
//! `sextant_core::downsample` over every point of the range, from one summary per
//! 1024-step chunk plus the points of the few chunks that decide something.
//!
//! A chunk lying inside one bucket counts whole (its first point, minimum and maximum).
//! Buckets are at least a chunk wide here, so a bucket edge cuts a chunk in at most two
//! parts; each part counts the chunk's extremes it holds, and a part is read only when it
//! could still hold its bucket's minimum or maximum (or its first point, for a bucket of
//! NaN only) once every whole chunk is counted. The chunks holding the range's first and
//! last point are read too, since those two points stay out of the buckets.
//!
//! Two steps, so the store can do its reads in one transaction: [`plan`] with the range's
//! end chunks and the summaries of the chunks between, then [`Pending::finish`] with the
//! points of the chunks it names.

use std::collections::{BTreeMap, BTreeSet};

use sextant_core::{MetricPoint, StepRange};

use crate::chunk_summary::ChunkSummary;
use crate::chunks::{self, CHUNK_BITS};

/// What the store does next.
#[derive(Debug)]
pub enum Next {
    /// The answer.
    Done(Vec<MetricPoint>),
    /// Summaries cannot help (the points fit the budget, or buckets are narrower than a
    /// chunk): the answer is `downsample` over every point of the range.
    AllPoints,
    /// Read the points of `Pending::chunks`, then [`Pending::finish`].
    Read(Pending),
}

/// A query waiting for the points of some chunks.
#[derive(Debug)]
pub struct Pending {
    /// The chunks to read, ascending.
    pub chunks: Vec<i64>,
    lo: MetricPoint,
    hi: MetricPoint,
    grid: Grid,
    per: BTreeMap<i64, Extremes>,
}

/// Equal-width buckets over `[lo, lo + span)`, as `downsample` numbers them.
#[derive(Debug, Clone, Copy)]
struct Grid {
    lo: i64,
    buckets: i128,
    span: i128,
}

impl Grid {
    fn bucket(&self, step: i64) -> i64 {
        // Below `buckets`, so it fits.
        ((i128::from(step) - i128::from(self.lo)) * self.buckets / self.span) as i64
    }

    /// The first step of bucket `b`: the least `s` with `(s - lo) * buckets >= b * span`.
    fn start(&self, b: i64) -> i64 {
        let n = i128::from(b) * self.span;
        (i128::from(self.lo) + (n + self.buckets - 1) / self.buckets) as i64
    }
}

/// One bucket's candidates so far: its first point, and its earliest lowest and highest
/// non-NaN points. Adding a point twice changes nothing, so a chunk counted from its
/// summary and then read is harmless.
#[derive(Debug, Default)]
struct Extremes {
    first: Option<MetricPoint>,
    min: Option<MetricPoint>,
    max: Option<MetricPoint>,
}

impl Extremes {
    fn add(
        &mut self,
        first: Option<MetricPoint>,
        min: Option<MetricPoint>,
        max: Option<MetricPoint>,
    ) {
        if let Some(f) = first {
            if self.first.is_none_or(|c| f.step < c.step) {
                self.first = Some(f);
            }
        }
        if let Some(m) = min {
            if self
                .min
                .is_none_or(|c| m.value < c.value || (m.value == c.value && m.step < c.step))
            {
                self.min = Some(m);
            }
        }
        if let Some(m) = max {
            if self
                .max
                .is_none_or(|c| m.value > c.value || (m.value == c.value && m.step < c.step))
            {
                self.max = Some(m);
            }
        }
    }

    fn point(&mut self, p: MetricPoint) {
        let number = (!p.value.is_nan()).then_some(p);
        self.add(Some(p), number, number);
    }
}

/// Whether the part `[part.0, part.1]` of a cut chunk must be read to know its bucket.
/// `known`: the bucket's candidates from everything else counted (real points of the
/// bucket, so its final extremes are at least as extreme); `leads`: the part is the
/// bucket's first steps, so it wins ties. The chunk's extremes bound the part's, and a
/// part holding one of them has it counted already.
fn must_read(s: &ChunkSummary, part: (i64, i64), known: Option<&Extremes>, leads: bool) -> bool {
    let inside = |step: i64| step >= part.0 && step <= part.1;
    let Some(known) = known else { return true };
    let (Some(min), Some(max)) = (s.min, s.max) else {
        // NaN only: the part matters only to a bucket with no number yet (its first point).
        return known.min.is_none();
    };
    let min_open = !inside(min.step)
        && known
            .min
            .is_none_or(|c| min.value < c.value || (leads && min.value == c.value));
    let max_open = !inside(max.step)
        && known
            .max
            .is_none_or(|c| max.value > c.value || (leads && max.value == c.value));
    min_open || max_open
}

/// The buckets `downsample` makes for `max_points`.
fn buckets(max_points: usize) -> i128 {
    ((max_points.max(4) - 2) / 2).max(1) as i128
}

/// Whether `range` is too narrow for summaries to help whatever points it holds (its
/// buckets would be narrower than a chunk): the store then reads the points at once.
pub fn too_narrow(range: StepRange, max_points: usize) -> bool {
    match (range.from, range.to) {
        (from, Some(to)) => {
            let width = i128::from(to) - i128::from(from.unwrap_or(0).max(0)) + 1;
            width / buckets(max_points) < 1 << CHUNK_BITS
        }
        _ => false,
    }
}

/// Starts a query. `ends`: the points of the range's first and last chunk (as stored;
/// absent when the chunk is); `summaries`: summaries of stored chunks, of which those
/// strictly between the end chunks are used.
pub fn plan(
    range: StepRange,
    max_points: usize,
    ends: &BTreeMap<i64, Vec<MetricPoint>>,
    summaries: &BTreeMap<i64, ChunkSummary>,
) -> Next {
    let Some((cf, ct)) = chunks::chunk_span(range) else {
        return Next::Done(Vec::new());
    };
    let end_points = |c: i64| -> Vec<MetricPoint> {
        ends.get(&c)
            .map(|ps| {
                ps.iter()
                    .filter(|p| range.contains(p.step))
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    };
    let head = end_points(cf);
    let tail = if ct > cf { end_points(ct) } else { Vec::new() };
    let middle: Vec<(i64, ChunkSummary)> = if ct > cf + 1 {
        summaries.range(cf + 1..ct).map(|(c, s)| (*c, *s)).collect()
    } else {
        Vec::new()
    };
    let count = (head.len() + tail.len()) as u64
        + middle.iter().map(|(_, s)| u64::from(s.count)).sum::<u64>();
    if count == 0 {
        return Next::Done(Vec::new());
    }
    if count <= max_points.max(2) as u64 {
        return Next::AllPoints;
    }
    let first_of_middle = middle.first().map(|(_, s)| s.first);
    let last_of_middle = middle.last().map(|(_, s)| s.last);
    let (Some(lo), Some(hi)) = (
        head.first()
            .copied()
            .or(first_of_middle)
            .or(tail.first().copied()),
        tail.last()
            .copied()
            .or(last_of_middle)
            .or(head.last().copied()),
    ) else {
        return Next::AllPoints;
    };
    let buckets = buckets(max_points);
    let span = i128::from(hi.step) - i128::from(lo.step) + 1;
    if span / buckets < 1 << CHUNK_BITS {
        return Next::AllPoints;
    }
    let grid = Grid {
        lo: lo.step,
        buckets,
        span,
    };
    let (lo_chunk, hi_chunk) = (chunks::chunk_of(lo.step), chunks::chunk_of(hi.step));
    let mut per: BTreeMap<i64, Extremes> = BTreeMap::new();
    let mut read: BTreeSet<i64> = BTreeSet::new();
    let mut cuts = Vec::new();
    for (c, s) in &middle {
        if *c == lo_chunk || *c == hi_chunk {
            // Its summary may count the first or last point, which no bucket holds.
            read.insert(*c);
            continue;
        }
        let (b1, b2) = (grid.bucket(s.first.step), grid.bucket(s.last.step));
        if b1 == b2 {
            per.entry(b1).or_default().add(Some(s.first), s.min, s.max);
            continue;
        }
        per.entry(b1).or_default().add(Some(s.first), None, None);
        for m in [s.min, s.max].into_iter().flatten() {
            per.entry(grid.bucket(m.step))
                .or_default()
                .add(None, Some(m), Some(m));
        }
        cuts.push((*c, *s, grid.start(b2)));
    }
    for p in head.iter().chain(&tail) {
        if p.step != lo.step && p.step != hi.step {
            per.entry(grid.bucket(p.step)).or_default().point(*p);
        }
    }
    // Only now, with every whole chunk counted, is it known which parts could matter.
    for (c, s, edge) in &cuts {
        let parts = [
            ((s.first.step, edge - 1), false),
            ((*edge, s.last.step), true),
        ];
        if parts
            .iter()
            .any(|(part, leads)| must_read(s, *part, per.get(&grid.bucket(part.0)), *leads))
        {
            read.insert(*c);
        }
    }
    let pending = Pending {
        chunks: read.into_iter().collect(),
        lo,
        hi,
        grid,
        per,
    };
    if pending.chunks.is_empty() {
        Next::Done(pending.finish(std::iter::empty()))
    } else {
        Next::Read(pending)
    }
}

impl Pending {
    /// The answer, given the points of [`Pending::chunks`] (any order).
    pub fn finish(mut self, points: impl IntoIterator<Item = MetricPoint>) -> Vec<MetricPoint> {
        for p in points {
            if p.step > self.lo.step && p.step < self.hi.step {
                self.per
                    .entry(self.grid.bucket(p.step))
                    .or_default()
                    .point(p);
            }
        }
        let mut out = Vec::with_capacity(self.per.len() * 2 + 2);
        out.push(self.lo);
        for e in self.per.values() {
            match (e.min, e.max) {
                (Some(a), Some(b)) if a.step == b.step => out.push(a),
                (Some(a), Some(b)) if a.step < b.step => out.extend([a, b]),
                (Some(a), Some(b)) => out.extend([b, a]),
                _ => out.extend(e.first),
            }
        }
        out.push(self.hi);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk_summary::ChunkSummary;
    use sextant_core::downsample::downsample;
    use sextant_core::series_check::Xorshift;

    /// The answer through `plan`/`finish`, reading chunks from `stored`, and whether the
    /// summaries answered it.
    fn fast(
        stored: &BTreeMap<i64, Vec<MetricPoint>>,
        range: StepRange,
        budget: usize,
    ) -> (Vec<MetricPoint>, bool) {
        let summaries: BTreeMap<i64, ChunkSummary> = stored
            .iter()
            .filter_map(|(c, ps)| ChunkSummary::of(ps).map(|s| (*c, s)))
            .collect();
        let all = || -> Vec<MetricPoint> {
            stored
                .values()
                .flatten()
                .filter(|p| range.contains(p.step))
                .copied()
                .collect()
        };
        let (cf, ct) = chunks::chunk_span(range).unwrap_or((0, -1));
        let ends: BTreeMap<i64, Vec<MetricPoint>> = stored
            .iter()
            .filter(|(c, _)| **c == cf || **c == ct)
            .map(|(c, ps)| (*c, ps.clone()))
            .collect();
        match plan(range, budget, &ends, &summaries) {
            Next::Done(out) => (out, true),
            Next::AllPoints => (downsample(&all(), budget), false),
            Next::Read(p) => {
                let points: Vec<MetricPoint> =
                    p.chunks.iter().flat_map(|c| stored[c].clone()).collect();
                (p.finish(points), true)
            }
        }
    }

    fn series(rng: &mut Xorshift) -> Vec<MetricPoint> {
        let n = 1 + rng.below(60_000) as i64;
        let gap = 1 + rng.below(4) as i64;
        let shape = rng.below(4);
        let mut points = Vec::new();
        let mut step = rng.below(3000) as i64;
        for i in 0..n {
            let value = match rng.below(40) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => f64::NEG_INFINITY,
                3 => 0.0,
                4 => -0.0,
                _ => match shape {
                    0 => -(i as f64),
                    1 => i as f64,
                    2 => (rng.below(7) as f64) - 3.0,
                    _ => (i as f64 * 0.001).sin(),
                },
            };
            points.push(MetricPoint {
                step,
                value,
                logged_at: step * 3,
            });
            step += if rng.below(500) == 0 {
                rng.below(200_000) as i64
            } else {
                gap
            };
        }
        if shape == 2 && rng.below(2) == 0 {
            // A run of NaN wider than a bucket.
            let at = rng.below(n as u64) as usize;
            for p in points.iter_mut().skip(at).take(30_000) {
                p.value = f64::NAN;
            }
        }
        points
    }

    #[test]
    fn equals_downsample_over_the_points() {
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        let mut pyramid_answers = 0;
        for case in 0..300 {
            let points = series(&mut rng);
            let mut stored: BTreeMap<i64, Vec<MetricPoint>> = BTreeMap::new();
            for p in &points {
                stored.entry(chunks::chunk_of(p.step)).or_default().push(*p);
            }
            let last = points.last().map_or(0, |p| p.step);
            for _ in 0..10 {
                let from = (rng.below(4) > 0).then(|| rng.below(last as u64 + 10) as i64 / 2);
                let to = (rng.below(4) > 0).then(|| last / 2 + rng.below(last as u64 + 10) as i64);
                let range = StepRange::new(from, to);
                let budget = [0, 1, 3, 4, 5, 10, 101, 1000][rng.below(8) as usize];
                let want: Vec<MetricPoint> = {
                    let all: Vec<MetricPoint> = points
                        .iter()
                        .filter(|p| range.contains(p.step))
                        .copied()
                        .collect();
                    downsample(&all, budget)
                };
                let (got, summarised) = fast(&stored, range, budget);
                // A range judged too narrow never has an answer from summaries.
                let narrow = too_narrow(range, budget);
                assert!(
                    !narrow || !summarised || got.is_empty(),
                    "{range:?} {budget}"
                );
                assert!(
                    got.len() == want.len()
                        && got.iter().zip(&want).all(|(a, b)| a.same_as(b)
                            && a.logged_at == b.logged_at
                            && a.value.to_bits() == b.value.to_bits()),
                    "case {case}, {range:?}, budget {budget}:\n got {got:?}\nwant {want:?}"
                );
                pyramid_answers += usize::from(summarised);
            }
        }
        assert!(
            pyramid_answers > 500,
            "too few answers from summaries: {pyramid_answers}"
        );
    }
}

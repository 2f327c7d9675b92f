//! Random series for the chart stores' exactness proptests (feature `series-strategies`):
//! runs of consecutive steps with gaps, ties, NaN and infinities, written in a few batches
//! and then partly rewritten. One generator, so each store is tried on the same shapes.

use std::ops::Range;

use proptest::prelude::*;

use crate::model::MetricPoint;

/// A series as written: batches of points, some appending and some rewriting.
#[derive(Clone)]
pub struct Series {
    /// In write order.
    pub batches: Vec<Vec<MetricPoint>>,
}

/// Sizes and ends only: a failing case's points would fill the terminal.
impl std::fmt::Debug for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .batches
            .iter()
            .map(|b| {
                format!(
                    "{} points, steps {:?}..{:?}",
                    b.len(),
                    b.first().map(|p| p.step),
                    b.last().map(|p| p.step)
                )
            })
            .collect();
        f.debug_list().entries(parts).finish()
    }
}

/// How the points' `logged_at` advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Bursts and pauses, so a store that keeps sparse timestamps interpolates on read.
    Irregular,
    /// One millisecond per step: every point's time is known from its step.
    PerStep,
}

/// The shape of the series a store's summaries need: runs long enough to fill its
/// largest blocks.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Lengths of the long runs.
    pub long_runs: Range<i64>,
    /// Their weight against 3 for short runs and 1 for middling ones.
    pub long_weight: u32,
    /// At most this many runs, less one.
    pub runs: usize,
    /// How times advance.
    pub clock: Clock,
}

/// Values with plenty of ties, and the non-finite ones.
pub fn values() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => (0i32..6).prop_map(f64::from),
        6 => -1e3f64..1e3,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

/// Runs of consecutive steps (flat, noisy, a sine or descending) with gaps between, split
/// into 1–4 appending batches, then a batch rewriting up to 5 random steps.
pub fn series(shape: Shape) -> impl Strategy<Value = Series> {
    let clock = shape.clock;
    let run = (
        prop_oneof![3 => 1i64..300, 1 => 300i64..5_000, shape.long_weight => shape.long_runs],
        prop_oneof![3 => Just(0i64), 1 => 1i64..3_000],
        values(),
        0u8..4,
    );
    (
        proptest::collection::vec(run, 1..shape.runs),
        proptest::collection::vec((0.0f64..1.0, values()), 0..6),
        1usize..5,
    )
        .prop_map(move |(runs, rewrites, split)| {
            let mut points = Vec::new();
            let mut step = 0i64;
            let mut at = 1_700_000_000_000i64;
            for (len, gap, base, form) in runs {
                step += gap;
                for i in 0..len {
                    let value = match form {
                        0 => base,
                        1 => base + ((i * 7919) % 13) as f64,
                        2 => (i as f64 * 0.01).sin() * 10.0,
                        _ => -(i as f64),
                    };
                    at = match clock {
                        Clock::Irregular => at + if i % 1_500 == 0 { 1_700 } else { i % 3 },
                        Clock::PerStep => 1_700_000_000_000 + step,
                    };
                    points.push(MetricPoint {
                        step,
                        value,
                        logged_at: at,
                    });
                    step += 1;
                }
            }
            let chunk = points.len().div_ceil(split).max(1);
            let mut batches: Vec<Vec<MetricPoint>> =
                points.chunks(chunk).map(<[MetricPoint]>::to_vec).collect();
            let last = points.last().map_or(0, |p| p.step);
            let rewrite: Vec<MetricPoint> = rewrites
                .into_iter()
                .map(|(f, value)| {
                    let step = (f * last as f64) as i64;
                    let logged_at = match clock {
                        Clock::Irregular => at + 5_000,
                        Clock::PerStep => 1_800_000_000_000 + step,
                    };
                    MetricPoint {
                        step,
                        value,
                        logged_at,
                    }
                })
                .collect();
            if !rewrite.is_empty() {
                batches.push(rewrite);
            }
            Series { batches }
        })
}

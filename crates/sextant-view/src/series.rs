//! A chart's data: which points to draw, when a zoom needs a finer query, how live points
//! join a series, and the x positions for each axis kind. Points are always in step order.

use sextant_core::downsample::downsample;
use sextant_core::MetricPoint;

use super::ema::ema;
use super::scale::Interval;

/// What the x axis shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XAxis {
    #[default]
    Step,
    /// Unix milliseconds when each point was logged.
    WallTime,
    /// Milliseconds since the series' first point.
    Relative,
}

impl XAxis {
    pub fn name(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::WallTime => "time",
            XAxis::Relative => "relative",
        }
    }

    pub fn parse(s: &str) -> XAxis {
        match s {
            "time" | "wall" => XAxis::WallTime,
            "relative" => XAxis::Relative,
            _ => XAxis::Step,
        }
    }

    pub fn is_time(self) -> bool {
        self != XAxis::Step
    }
}

/// How many points to ask for across a chart `width_px` wide: two per pixel (a bucket's
/// minimum and maximum), within sane bounds.
pub fn budget(width_px: f64) -> usize {
    let w = if width_px.is_finite() {
        width_px
    } else {
        600.0
    };
    ((w * 2.0) as usize).clamp(200, 4000) & !1
}

/// Points fetched for a step range, and whether they are every stored point there.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    pub points: Vec<MetricPoint>,
    pub from: i64,
    pub to: i64,
    pub complete: bool,
}

impl Loaded {
    /// A query's answer for steps `from..=to` with at most `asked` points. It is complete
    /// when the range holds no more steps than were asked for, or when it has all `total`
    /// points the store reported for that range. (A short answer alone proves nothing:
    /// equal-width buckets over gappy steps come back short yet downsampled.)
    pub fn new(
        points: Vec<MetricPoint>,
        from: i64,
        to: i64,
        asked: usize,
        total: Option<u64>,
    ) -> Loaded {
        let span = u64::try_from(to.saturating_sub(from)).unwrap_or(0) + 1;
        let complete = span <= asked as u64 || total.is_some_and(|t| points.len() as u64 >= t);
        Loaded {
            points,
            from,
            to,
            complete,
        }
    }

    fn covers(&self, from: i64, to: i64) -> bool {
        self.from <= from && to <= self.to
    }

    /// Points this holds per step in the window, scaled to the window's width.
    fn expected_in(&self, from: i64, to: i64) -> f64 {
        let span = (self.to - self.from + 1).max(1) as f64;
        self.points.len() as f64 * ((to - from + 1).max(1) as f64 / span)
    }
}

/// Whether showing steps `from..=to` needs a new query: only when neither the overview nor
/// the held detail has every point there or enough points for the chart's width.
pub fn needs_detail(
    overview: &Loaded,
    detail: Option<&Loaded>,
    from: i64,
    to: i64,
    budget: usize,
) -> bool {
    if overview.complete {
        return false;
    }
    let enough = budget as f64 * 0.5;
    match detail.filter(|d| d.covers(from, to)) {
        Some(d) => !d.complete && d.expected_in(from, to) < enough,
        None => overview.expected_in(from, to) < enough,
    }
}

/// The overview with the detail's points in place of its own inside the detail's range.
pub fn splice(overview: &[MetricPoint], detail: Option<&Loaded>) -> Vec<MetricPoint> {
    let Some(d) = detail else {
        return overview.to_vec();
    };
    let before = overview.partition_point(|p| p.step < d.from);
    let after = overview.partition_point(|p| p.step <= d.to);
    let mut out = Vec::with_capacity(before + d.points.len() + overview.len() - after);
    out.extend_from_slice(&overview[..before]);
    out.extend_from_slice(&d.points);
    out.extend_from_slice(&overview[after..]);
    out
}

/// Adds live points (a step already held is replaced) and, past twice the budget,
/// downsamples again so a long-running series stays cheap to draw. Returns whether it
/// downsampled (the series then no longer holds every point).
pub fn append(points: &mut Vec<MetricPoint>, new: &[MetricPoint], budget: usize) -> bool {
    for p in new {
        match points.last() {
            Some(last) if p.step > last.step => points.push(*p),
            None => points.push(*p),
            Some(_) => match points.binary_search_by_key(&p.step, |q| q.step) {
                Ok(i) => points[i] = *p,
                Err(i) => points.insert(i, *p),
            },
        }
    }
    if points.len() > budget.saturating_mul(2).max(8) {
        *points = downsample(points, budget);
        return true;
    }
    false
}

/// Whether the store recorded when points were logged (time axes need it).
pub fn has_times(points: &[MetricPoint]) -> bool {
    points.iter().any(|p| p.logged_at > 0)
}

/// A series ready to draw: x positions, raw values and smoothed values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prepared {
    pub steps: Vec<i64>,
    pub xs: Vec<f64>,
    pub raw: Vec<f64>,
    pub smooth: Vec<f64>,
}

pub fn prepare(points: &[MetricPoint], axis: XAxis, smoothing: f64) -> Prepared {
    let t0 = points
        .iter()
        .map(|p| p.logged_at)
        .find(|t| *t > 0)
        .unwrap_or(0);
    let xs = points
        .iter()
        .map(|p| match axis {
            XAxis::Step => p.step as f64,
            XAxis::WallTime if p.logged_at > 0 => p.logged_at as f64,
            XAxis::Relative if p.logged_at > 0 => (p.logged_at - t0) as f64,
            _ => f64::NAN,
        })
        .collect();
    let raw: Vec<f64> = points.iter().map(|p| p.value).collect();
    let smooth = ema(&raw, smoothing);
    Prepared {
        steps: points.iter().map(|p| p.step).collect(),
        xs,
        raw,
        smooth,
    }
}

impl Prepared {
    /// The x extent (finite positions only).
    pub fn x_extent(&self) -> Option<Interval> {
        Interval::covering(self.xs.iter().copied())
    }

    /// The y extent of raw and smoothed values inside an x window; positive values only
    /// for a log axis.
    pub fn y_extent(&self, window: Interval, log: bool) -> Option<Interval> {
        let (a, b) = self.index_window(window);
        let ok = |v: &f64| v.is_finite() && (!log || *v > 0.0);
        Interval::covering(
            self.raw[a..b]
                .iter()
                .chain(&self.smooth[a..b])
                .copied()
                .filter(ok),
        )
    }

    /// Indices of the points inside the window, widened by one on each side so lines reach
    /// the chart's edges.
    pub fn index_window(&self, window: Interval) -> (usize, usize) {
        let a = self.xs.partition_point(|x| *x < window.lo);
        let b = self.xs.partition_point(|x| *x <= window.hi);
        (a.saturating_sub(1), (b + 1).min(self.xs.len()))
    }

    /// The point nearest to `x` (for hover), by binary search.
    pub fn nearest(&self, x: f64) -> Option<usize> {
        if self.xs.is_empty() || !x.is_finite() {
            return None;
        }
        let i = self.xs.partition_point(|v| *v < x);
        let candidates = [i.checked_sub(1), (i < self.xs.len()).then_some(i)];
        candidates
            .into_iter()
            .flatten()
            .filter(|j| self.xs[*j].is_finite())
            .min_by(|a, b| (self.xs[*a] - x).abs().total_cmp(&(self.xs[*b] - x).abs()))
    }

    /// The steps to query for an x window: exact on a step axis, and from the points just
    /// outside the window on a time axis (times grow with steps).
    pub fn step_window(&self, window: Interval) -> Option<(i64, i64)> {
        if self.steps.is_empty() {
            return None;
        }
        let (a, b) = self.index_window(window);
        if a >= b {
            return None;
        }
        Some((self.steps[a], self.steps[b - 1]))
    }
}

/// The steps of an x window on a step axis.
pub fn step_bounds(window: Interval) -> (i64, i64) {
    (window.lo.floor() as i64, window.hi.ceil() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(steps: impl IntoIterator<Item = i64>) -> Vec<MetricPoint> {
        steps
            .into_iter()
            .map(|s| MetricPoint {
                step: s,
                value: s as f64,
                logged_at: 1_000 + s * 10,
            })
            .collect()
    }

    #[test]
    fn budget_is_two_points_a_pixel_within_bounds() {
        assert_eq!(budget(800.0), 1600);
        assert_eq!(budget(10.0), 200);
        assert_eq!(budget(1e9), 4000);
        assert_eq!(budget(f64::NAN), 1200);
    }

    #[test]
    fn complete_answers_need_no_refetch() {
        let overview = Loaded::new(pts(0..100), 0, 99, 1000, Some(100));
        assert!(overview.complete);
        assert!(!needs_detail(&overview, None, 10, 20, 1000));
    }

    #[test]
    fn zooming_into_a_downsampled_series_refetches_once() {
        // 10M steps shown by 1000 points.
        let overview = Loaded::new(
            pts((0..1000).map(|i| i * 10_000)),
            0,
            9_999_999,
            1000,
            Some(10_000_000),
        );
        assert!(!overview.complete);
        // Barely zoomed: the overview still has enough points.
        assert!(!needs_detail(&overview, None, 0, 8_000_000, 1000));
        // Zoomed to 1%: refetch.
        assert!(needs_detail(&overview, None, 0, 100_000, 1000));
        // A detail for that window at full budget covers a slightly narrower zoom too.
        let detail = Loaded::new(pts((0..1000).map(|i| i * 100)), 0, 100_000, 1000, None);
        assert!(!needs_detail(
            &overview,
            Some(&detail),
            10_000,
            80_000,
            1000
        ));
        // Much deeper: refetch again.
        assert!(needs_detail(&overview, Some(&detail), 10_000, 11_000, 1000));
        // Panning outside the detail: refetch.
        assert!(needs_detail(
            &overview,
            Some(&detail),
            200_000,
            300_000,
            1000
        ));
        // A complete detail serves any zoom inside it.
        let full = Loaded::new(pts(10_000..10_500), 10_000, 10_500, 1000, None);
        assert!(!needs_detail(&overview, Some(&full), 10_100, 10_110, 1000));
    }

    #[test]
    fn short_answers_over_gappy_steps_are_not_complete() {
        // Two clusters far apart: a downsampled answer is short but not everything.
        let gappy = Loaded::new(pts([0, 1, 2, 1_000_000]), 0, 1_000_000, 1000, None);
        assert!(!gappy.complete);
        let all = Loaded::new(pts([0, 1, 2, 1_000_000]), 0, 1_000_000, 1000, Some(4));
        assert!(all.complete);
    }

    #[test]
    fn splice_replaces_the_detail_range() {
        let overview = pts([0, 50, 100, 150, 200]);
        let detail = Loaded::new(pts(90..=110), 90, 110, 1000, None);
        let out = splice(&overview, Some(&detail));
        let steps: Vec<i64> = out.iter().map(|p| p.step).collect();
        assert_eq!(steps[..2], [0, 50]);
        assert_eq!(steps[2], 90);
        assert_eq!(steps[steps.len() - 2..], [150, 200]);
        assert_eq!(out.len(), 2 + 21 + 2);
        assert_eq!(splice(&overview, None), overview);
    }

    #[test]
    fn live_points_append_replace_and_downsample() {
        let mut s = pts(0..5);
        assert!(!append(&mut s, &pts([5, 6]), 100));
        assert_eq!(s.len(), 7);
        let replaced = MetricPoint {
            step: 3,
            value: -1.0,
            logged_at: 0,
        };
        assert!(!append(&mut s, &[replaced], 100));
        assert_eq!(s.len(), 7);
        assert_eq!(s[3].value, -1.0);
        assert!(append(&mut s, &pts(7..1000), 100));
        assert!(s.len() <= 100, "{}", s.len());
        assert_eq!(s.last().map(|p| p.step), Some(999));
    }

    #[test]
    fn prepare_maps_each_axis() {
        let p = prepare(&pts(0..4), XAxis::Relative, 0.0);
        assert_eq!(p.xs, vec![0.0, 10.0, 20.0, 30.0]);
        let p = prepare(&pts(0..4), XAxis::WallTime, 0.0);
        assert_eq!(p.xs[0], 1000.0);
        let untimed: Vec<MetricPoint> = pts(0..3)
            .into_iter()
            .map(|mut q| {
                q.logged_at = 0;
                q
            })
            .collect();
        assert!(!has_times(&untimed));
        assert!(prepare(&untimed, XAxis::WallTime, 0.0)
            .xs
            .iter()
            .all(|x| x.is_nan()));
    }

    #[test]
    fn hover_and_windows() {
        let p = prepare(&pts([0, 10, 20, 30]), XAxis::Step, 0.0);
        assert_eq!(p.nearest(14.0), Some(1));
        assert_eq!(p.nearest(16.0), Some(2));
        assert_eq!(p.nearest(-5.0), Some(0));
        assert_eq!(p.nearest(99.0), Some(3));
        let w = Interval::new(12.0, 18.0);
        assert_eq!(p.index_window(w), (1, 3));
        assert_eq!(p.step_window(w), Some((10, 20)));
        let y = p.y_extent(w, false);
        assert_eq!(y, Some(Interval::new(10.0, 20.0)));
        assert_eq!(step_bounds(Interval::new(1.5, 7.2)), (1, 8));
    }

    #[test]
    fn log_extent_skips_non_positive() {
        let mut points = pts(0..3);
        points[0].value = -1.0;
        let p = prepare(&points, XAxis::Step, 0.0);
        let y = p.y_extent(Interval::new(0.0, 2.0), true);
        assert_eq!(y, Some(Interval::new(1.0, 2.0)));
    }
}

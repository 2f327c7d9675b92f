//! Axis intervals and the data-to-pixel mapping, with the zoom and pan arithmetic the chart
//! gestures use. Log scales map through log10 and drop non-positive values.

/// A closed interval of data values, `lo < hi` always (degenerate input is widened).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// An interval from two ends in any order; equal ends are widened so a flat line
    /// still gets an axis.
    pub fn new(a: f64, b: f64) -> Interval {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        if hi > lo {
            return Interval { lo, hi };
        }
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        Interval {
            lo: lo - pad,
            hi: hi + pad,
        }
    }

    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    pub fn contains(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }

    /// The smallest interval covering the finite values, or `None` when there are none.
    pub fn covering(values: impl IntoIterator<Item = f64>) -> Option<Interval> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        (lo <= hi).then(|| Interval::new(lo, hi))
    }

    /// Zooms by `factor` (below 1 zooms in) keeping `anchor` at the same place.
    pub fn zoom(self, anchor: f64, factor: f64) -> Interval {
        let f = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        Interval::new(
            anchor - (anchor - self.lo) * f,
            anchor + (self.hi - anchor) * f,
        )
    }

    pub fn shift(self, delta: f64) -> Interval {
        Interval::new(self.lo + delta, self.hi + delta)
    }

    /// Keeps the width but moves the interval inside `bounds` (pan stops at the data's ends).
    pub fn within(self, bounds: Interval) -> Interval {
        if self.width() >= bounds.width() {
            return bounds;
        }
        if self.lo < bounds.lo {
            return self.shift(bounds.lo - self.lo);
        }
        if self.hi > bounds.hi {
            return self.shift(bounds.hi - self.hi);
        }
        self
    }

    /// Adds `fraction` of the width on both sides (a linear axis's breathing room).
    pub fn padded(self, fraction: f64) -> Interval {
        let pad = self.width() * fraction;
        Interval::new(self.lo - pad, self.hi + pad)
    }

    /// The same in log space, for a log axis (both ends must be positive).
    pub fn padded_log(self, fraction: f64) -> Interval {
        if self.lo <= 0.0 {
            return self.padded(fraction);
        }
        let (a, b) = (self.lo.log10(), self.hi.log10());
        let pad = ((b - a) * fraction).max(0.02);
        Interval::new(10f64.powf(a - pad), 10f64.powf(b + pad))
    }
}

/// Maps a data interval onto a pixel range (which may run backwards, as y does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub domain: Interval,
    pub px_from: f64,
    pub px_to: f64,
    pub log: bool,
}

impl Scale {
    pub fn linear(domain: Interval, px_from: f64, px_to: f64) -> Scale {
        Scale {
            domain,
            px_from,
            px_to,
            log: false,
        }
    }

    /// A log scale; a domain reaching zero or below is clamped to a positive one.
    pub fn log(domain: Interval, px_from: f64, px_to: f64) -> Scale {
        let hi = if domain.hi > 0.0 { domain.hi } else { 1.0 };
        let lo = if domain.lo > 0.0 { domain.lo } else { hi / 1e6 };
        Scale {
            domain: Interval::new(lo, hi),
            px_from,
            px_to,
            log: true,
        }
    }

    fn unit(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.domain.lo.log10()) / (self.domain.hi.log10() - self.domain.lo.log10())
        } else {
            (v - self.domain.lo) / self.domain.width()
        }
    }

    /// Pixel position of `v`; `None` for values the scale cannot show (≤ 0 on a log scale,
    /// NaN).
    pub fn to_px(&self, v: f64) -> Option<f64> {
        if v.is_nan() || (self.log && v <= 0.0) {
            return None;
        }
        let u = self.unit(v);
        u.is_finite()
            .then_some(self.px_from + u * (self.px_to - self.px_from))
    }

    /// The data value at a pixel.
    pub fn from_px(&self, px: f64) -> f64 {
        let u = (px - self.px_from) / (self.px_to - self.px_from);
        if self.log {
            let (a, b) = (self.domain.lo.log10(), self.domain.hi.log10());
            10f64.powf(a + u * (b - a))
        } else {
            self.domain.lo + u * self.domain.width()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_intervals_widen() {
        let i = Interval::new(5.0, 5.0);
        assert!(i.lo < 5.0 && i.hi > 5.0);
        let z = Interval::new(0.0, 0.0);
        assert_eq!((z.lo, z.hi), (-1.0, 1.0));
        assert_eq!(Interval::new(3.0, 1.0), Interval { lo: 1.0, hi: 3.0 });
    }

    #[test]
    fn zoom_keeps_the_anchor_and_pan_stops_at_bounds() {
        let i = Interval::new(0.0, 100.0).zoom(25.0, 0.5);
        assert_eq!((i.lo, i.hi), (12.5, 62.5));
        let bounds = Interval::new(0.0, 100.0);
        let moved = Interval::new(90.0, 110.0).within(bounds);
        assert_eq!((moved.lo, moved.hi), (80.0, 100.0));
        assert_eq!(Interval::new(-10.0, 200.0).within(bounds), bounds);
    }

    #[test]
    fn covering_ignores_non_finite() {
        let i = Interval::covering([f64::NAN, 2.0, f64::INFINITY, -1.0]);
        assert_eq!(i, Some(Interval { lo: -1.0, hi: 2.0 }));
        assert_eq!(Interval::covering([f64::NAN]), None);
    }

    #[test]
    fn linear_and_log_scales_round_trip() {
        let s = Scale::linear(Interval::new(0.0, 10.0), 100.0, 0.0);
        assert_eq!(s.to_px(0.0), Some(100.0));
        assert_eq!(s.to_px(10.0), Some(0.0));
        assert!((s.from_px(50.0) - 5.0).abs() < 1e-12);
        let l = Scale::log(Interval::new(1.0, 1000.0), 0.0, 300.0);
        assert!((l.to_px(10.0).unwrap_or(-1.0) - 100.0).abs() < 1e-9);
        assert!((l.from_px(200.0) - 100.0).abs() < 1e-9);
        assert_eq!(l.to_px(0.0), None);
        assert_eq!(l.to_px(-3.0), None);
        assert_eq!(s.to_px(f64::NAN), None);
    }

    #[test]
    fn log_scale_survives_a_non_positive_domain() {
        let l = Scale::log(Interval::new(-5.0, 100.0), 0.0, 1.0);
        assert!(l.domain.lo > 0.0);
        assert!(l.to_px(50.0).is_some());
    }
}

//! Where axis ticks go: round numbers on linear axes, powers of ten on log axes, and
//! calendar-friendly steps on time axes.

use super::scale::Interval;

/// The smallest "nice" step (1, 2, 2.5 or 5 × 10^k) that puts at most `max_ticks` ticks
/// over `width`. Neighbouring nice steps are at most 2× apart, so the count lands between
/// about half of `max_ticks` and `max_ticks`: ask for 7 to get 4 to 7.
pub fn nice_step(width: f64, max_ticks: usize) -> f64 {
    let raw = width / (max_ticks.max(2) - 1) as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|step| *step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// Decimals that show multiples of `step` exactly (0.25 → 2).
fn decimals_of(step: f64) -> i32 {
    (0..15)
        .find(|d| {
            let s = step * 10f64.powi(*d);
            (s - s.round()).abs() <= 1e-9 * s.max(1.0)
        })
        .unwrap_or(15)
}

/// Ticks at multiples of a nice step inside the interval, and the step.
pub fn linear(range: Interval, max_ticks: usize) -> (Vec<f64>, f64) {
    let step = nice_step(range.width(), max_ticks);
    let first = (range.lo / step).ceil();
    let last = (range.hi / step).floor();
    if !(first.is_finite() && last.is_finite()) || last - first > 1000.0 {
        return (Vec::new(), step);
    }
    // Rounds float noise (0.6000000000000001) to the step's decimals, and -0 to 0.
    let scale = 10f64.powi(decimals_of(step));
    let ticks = (0..=((last - first) as i64))
        .map(|i| {
            let v = ((first + i as f64) * step * scale).round() / scale;
            if v == 0.0 {
                0.0
            } else {
                v
            }
        })
        .collect();
    (ticks, step)
}

/// Powers of ten inside a positive interval; with fewer than three decades also 2× and 5×,
/// with many decades every n-th power.
pub fn log(range: Interval, max_ticks: usize) -> Vec<f64> {
    if range.hi <= 0.0 {
        return Vec::new();
    }
    let lo = range.lo.max(range.hi * 1e-300);
    let (a, b) = (lo.log10().floor() as i32, range.hi.log10().ceil() as i32);
    let decades = (b - a).max(1) as usize;
    let mut out = Vec::new();
    if decades < 3 {
        for e in a..=b {
            for m in [1.0, 2.0, 5.0] {
                let v = m * 10f64.powi(e);
                if range.contains(v) {
                    out.push(v);
                }
            }
        }
    } else {
        let every = decades.div_ceil(max_ticks.max(1)).max(1) as i32;
        let mut e = a;
        while e <= b {
            let v = 10f64.powi(e);
            if range.contains(v) {
                out.push(v);
            }
            e += every;
        }
    }
    if out.is_empty() {
        return linear(range, max_ticks).0;
    }
    out
}

const SECOND: f64 = 1_000.0;
const MINUTE: f64 = 60.0 * SECOND;
const HOUR: f64 = 60.0 * MINUTE;
const DAY: f64 = 24.0 * HOUR;

/// Steps that read well on a clock or as a duration, in milliseconds.
const TIME_STEPS: [f64; 22] = [
    SECOND,
    2.0 * SECOND,
    5.0 * SECOND,
    10.0 * SECOND,
    15.0 * SECOND,
    30.0 * SECOND,
    MINUTE,
    2.0 * MINUTE,
    5.0 * MINUTE,
    10.0 * MINUTE,
    15.0 * MINUTE,
    30.0 * MINUTE,
    HOUR,
    2.0 * HOUR,
    3.0 * HOUR,
    6.0 * HOUR,
    12.0 * HOUR,
    DAY,
    2.0 * DAY,
    7.0 * DAY,
    14.0 * DAY,
    30.0 * DAY,
];

/// Ticks for a time axis in milliseconds, aligned to the local clock (`offset_ms` is the
/// time zone's offset from UTC); below a second the steps are plain decimal ones.
pub fn time(range: Interval, max_ticks: usize, offset_ms: f64) -> (Vec<f64>, f64) {
    let wanted = range.width() / max_ticks.max(1) as f64;
    if wanted < SECOND {
        return linear(range, max_ticks);
    }
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|s| *s >= wanted)
        .unwrap_or_else(|| (wanted / DAY).ceil() * DAY);
    let first = ((range.lo + offset_ms) / step).ceil() * step - offset_ms;
    let mut out = Vec::new();
    let mut t = first;
    while t <= range.hi && out.len() <= 1000 {
        out.push(t);
        t += step;
    }
    (out, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_1_2_2_5_5() {
        assert_eq!(nice_step(100.0, 11), 10.0);
        assert_eq!(nice_step(100.0, 6), 20.0);
        assert_eq!(nice_step(1.0, 5), 0.25);
        assert_eq!(nice_step(0.0, 4), 1.0);
    }

    /// The complaint: a 0–999 axis showed only 0 and 500. Any width gets 4 to 7 ticks.
    #[test]
    fn every_axis_gets_four_to_seven_ticks() {
        let (t, _) = linear(Interval::new(0.0, 999.0), 7);
        assert_eq!(t, vec![0.0, 200.0, 400.0, 600.0, 800.0]);
        for hi in [
            0.9, 1.0, 1.1, 3.3, 7.0, 13.0, 24.0, 49.0, 99.0, 101.0, 150.0, 999.0, 1e6, 12345.0,
        ] {
            let (t, step) = linear(Interval::new(0.0, hi), 7);
            assert!((4..=7).contains(&t.len()), "0..{hi}: {t:?} (step {step})");
        }
        let (t, _) = linear(Interval::new(0.0, 1.0), 7);
        assert_eq!(t, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let (t, _) = linear(Interval::new(0.0, 0.75), 4);
        assert_eq!(t, vec![0.0, 0.25, 0.5, 0.75]);
    }

    #[test]
    fn linear_ticks_are_round_and_inside() {
        let (t, step) = linear(Interval::new(0.13, 0.92), 5);
        assert_eq!(step, 0.2);
        assert_eq!(t, vec![0.2, 0.4, 0.6, 0.8]);
        let (t, _) = linear(Interval::new(-1.0, 1.0), 4);
        assert!(t.contains(&0.0) && t.iter().all(|v| !(v.is_sign_negative() && *v == 0.0)));
        let (t, _) = linear(Interval::new(0.0, 10_000_000.0), 5);
        assert_eq!(t.first(), Some(&0.0));
        assert_eq!(t.last(), Some(&10_000_000.0));
    }

    #[test]
    fn log_ticks_use_powers_of_ten() {
        assert_eq!(
            log(Interval::new(0.001, 1000.0), 8),
            vec![0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
        );
        let few = log(Interval::new(1.5, 30.0), 8);
        assert_eq!(few, vec![2.0, 5.0, 10.0, 20.0]);
        let many = log(Interval::new(1e-12, 1e12), 6);
        assert!(many.len() <= 7, "{many:?}");
    }

    #[test]
    fn time_ticks_align_to_the_local_clock() {
        let hour = 3_600_000.0;
        let start = 1_700_000_123_456.0;
        let (t, step) = time(Interval::new(start, start + 6.0 * hour), 6, 0.0);
        assert_eq!(step, hour);
        assert!(t.iter().all(|v| v % hour == 0.0));
        // At UTC+05:30 ticks fall on the local hour, i.e. at :30 UTC.
        let offset = 5.5 * hour;
        let (t, _) = time(Interval::new(start, start + 6.0 * hour), 6, offset);
        assert!(t.iter().all(|v| (v + offset) % hour == 0.0));
        let (t, step) = time(Interval::new(0.0, 500.0), 7, 0.0);
        assert_eq!(step, 100.0);
        assert_eq!(t.len(), 6);
    }
}

//! Chart downsampling: min and max per step bucket, so spikes never vanish.

use crate::model::MetricPoint;

/// Reduces sorted `points` to at most `max_points`, keeping the first and last point and
/// each equal-width step bucket's minimum and maximum (in step order). NaN points are
/// kept only when a bucket holds nothing else. Returns the input when it already fits.
pub fn downsample(points: &[MetricPoint], max_points: usize) -> Vec<MetricPoint> {
    if points.len() <= max_points.max(2) {
        return points.to_vec();
    }
    let max_points = max_points.max(4);
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let buckets = ((max_points - 2) / 2).max(1) as i128;
    let span = i128::from(last.step) - i128::from(first.step) + 1;
    let mut out = Vec::with_capacity(max_points);
    out.push(*first);
    let inner = &points[1..points.len() - 1];
    let mut i = 0;
    while i < inner.len() {
        let bucket = (i128::from(inner[i].step) - i128::from(first.step)) * buckets / span;
        let start = i;
        while i < inner.len()
            && (i128::from(inner[i].step) - i128::from(first.step)) * buckets / span == bucket
        {
            i += 1;
        }
        push_extremes(&inner[start..i], &mut out);
    }
    out.push(*last);
    out
}

fn push_extremes(bucket: &[MetricPoint], out: &mut Vec<MetricPoint>) {
    let mut min: Option<usize> = None;
    let mut max: Option<usize> = None;
    for (i, p) in bucket.iter().enumerate() {
        if p.value.is_nan() {
            continue;
        }
        if min.is_none_or(|m| p.value < bucket[m].value) {
            min = Some(i);
        }
        if max.is_none_or(|m| p.value > bucket[m].value) {
            max = Some(i);
        }
    }
    match (min, max) {
        (Some(a), Some(b)) if a == b => out.push(bucket[a]),
        (Some(a), Some(b)) => {
            out.push(bucket[a.min(b)]);
            out.push(bucket[a.max(b)]);
        }
        _ => {
            if let Some(p) = bucket.first() {
                out.push(*p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Vec<MetricPoint> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| MetricPoint {
                step: i as i64,
                value: *v,
                logged_at: 0,
            })
            .collect()
    }

    #[test]
    fn small_series_pass_through() {
        let s = series(&[1.0, 2.0, 3.0]);
        assert_eq!(downsample(&s, 10), s);
    }

    #[test]
    fn keeps_first_last_and_spikes_within_budget() {
        let mut values: Vec<f64> = (0..100_000).map(|i| (i as f64 * 0.01).sin()).collect();
        values[54_321] = 1e9;
        values[77_777] = -1e9;
        values[88_888] = f64::INFINITY;
        let s = series(&values);
        let d = downsample(&s, 500);
        assert!(d.len() <= 500, "{}", d.len());
        assert!(d.len() >= 400, "budget badly used: {}", d.len());
        assert_eq!(d.first().map(|p| p.step), Some(0));
        assert_eq!(d.last().map(|p| p.step), Some(99_999));
        for spike in [54_321, 77_777, 88_888] {
            assert!(d.iter().any(|p| p.step == spike), "spike at {spike} lost");
        }
        assert!(
            d.windows(2).all(|w| w[0].step < w[1].step),
            "not in step order"
        );
    }

    #[test]
    fn all_nan_bucket_keeps_a_point() {
        let mut values = vec![1.0; 1000];
        for v in values.iter_mut().take(600).skip(400) {
            *v = f64::NAN;
        }
        let d = downsample(&series(&values), 20);
        assert!(d.iter().any(|p| p.value.is_nan()));
    }
}

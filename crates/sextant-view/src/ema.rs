//! EMA smoothing for charts, debiased as TensorBoard and W&B do it, so the start of a curve
//! is not dragged towards zero.

/// Smooths `values` with weight `weight` in `[0, 1)` (0: unchanged; 0.99: very smooth).
/// Non-finite values come out as NaN and do not disturb the average.
pub fn ema(values: &[f64], weight: f64) -> Vec<f64> {
    let w = if weight.is_finite() {
        weight.clamp(0.0, 0.999)
    } else {
        0.0
    };
    if w == 0.0 {
        return values.to_vec();
    }
    let mut last = 0.0;
    let mut debias_power = 1.0;
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return f64::NAN;
            }
            last = last * w + (1.0 - w) * v;
            debias_power *= w;
            last / (1.0 - debias_power)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_weight_is_identity() {
        assert_eq!(ema(&[1.0, 5.0, -2.0], 0.0), vec![1.0, 5.0, -2.0]);
    }

    #[test]
    fn debiased_start_and_constant_series() {
        let out = ema(&[3.0; 50], 0.9);
        assert!(out.iter().all(|v| (v - 3.0).abs() < 1e-12), "{out:?}");
        let out = ema(&[10.0, 0.0], 0.5);
        assert!((out[0] - 10.0).abs() < 1e-12);
        // (0.5*10*0.5 + 0.5*0) / (1 - 0.25) = 2.5 / 0.75
        assert!((out[1] - 2.5 / 0.75).abs() < 1e-12);
    }

    #[test]
    fn non_finite_values_are_skipped() {
        let out = ema(&[1.0, f64::NAN, f64::INFINITY, 1.0], 0.8);
        assert!(out[1].is_nan() && out[2].is_nan());
        assert!((out[3] - 1.0).abs() < 1e-12, "{out:?}");
    }

    #[test]
    fn smoothing_reduces_noise() {
        let noisy: Vec<f64> = (0..1000)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let out = ema(&noisy, 0.95);
        assert!(out[500..].iter().all(|v| v.abs() < 0.1));
    }
}

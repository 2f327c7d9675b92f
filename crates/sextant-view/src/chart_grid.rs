//! How the chart page lays sections of charts across its width: one grid of equal
//! columns for the whole page, each section spanning as many columns as it has charts
//! (at most a row), so three one-chart sections sit side by side instead of stacking in
//! a narrow column.

/// Columns of at least `min_width` pixels (with `gap` between them) that fit `width`;
/// at least one.
pub fn columns(width: f64, min_width: f64, gap: f64) -> usize {
    if !(width.is_finite() && min_width > 0.0) {
        return 1;
    }
    (((width + gap) / (min_width + gap)).floor() as usize).max(1)
}

/// Columns each section spans: its chart count, at most `columns`, at least one.
pub fn spans(counts: &[usize], columns: usize) -> Vec<usize> {
    let columns = columns.max(1);
    counts.iter().map(|n| (*n).clamp(1, columns)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_the_width() {
        assert_eq!(columns(1400.0, 360.0, 16.0), 3);
        assert_eq!(columns(360.0, 360.0, 16.0), 1);
        assert_eq!(columns(100.0, 360.0, 16.0), 1, "never zero");
        assert_eq!(columns(f64::NAN, 360.0, 16.0), 1);
        assert_eq!(columns(2000.0, 0.0, 16.0), 1);
    }

    #[test]
    fn sections_span_their_charts_up_to_a_row() {
        assert_eq!(spans(&[1, 1, 1], 3), [1, 1, 1]);
        assert_eq!(spans(&[5, 2, 0], 3), [3, 2, 1]);
        assert_eq!(spans(&[4], 0), [1]);
    }
}

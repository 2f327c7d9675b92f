//! Series colours: distinct on light and dark backgrounds, stable per position so a run
//! keeps its colour across charts.

const COLORS: [&str; 10] = [
    "#3b82f6", "#f97316", "#10b981", "#e11d48", "#8b5cf6", "#ca8a04", "#06b6d4", "#db2777",
    "#65a30d", "#64748b",
];

pub fn color(index: usize) -> &'static str {
    COLORS[index % COLORS.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn colours_cycle() {
        assert_eq!(super::color(0), super::color(10));
        assert_ne!(super::color(0), super::color(1));
    }
}

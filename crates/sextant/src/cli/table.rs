//! Aligned plain-text tables (comfy-table, without borders) and the value formats the CLI
//! shares with the dashboard (`sextant_view::format`), so a number reads the same in both.

use std::io::{self, Write};

use comfy_table::{presets, CellAlignment};

/// Column alignment: text left, numbers right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table written with columns padded to their widest cell, two spaces apart.
#[derive(Debug)]
pub struct Table {
    inner: comfy_table::Table,
    rows: usize,
}

impl Table {
    pub fn new(columns: &[(&'static str, Align)]) -> Self {
        let mut inner = comfy_table::Table::new();
        inner
            .load_style(presets::NOTHING)
            .set_header(columns.iter().map(|c| c.0));
        let last = columns.len().saturating_sub(1);
        for (i, column) in inner.column_iter_mut().enumerate() {
            let align = match columns[i].1 {
                Align::Left => CellAlignment::Left,
                Align::Right => CellAlignment::Right,
            };
            column.set_padding((0, if i == last { 0 } else { 2 }));
            column.set_cell_alignment(align);
        }
        Table { inner, rows: 0 }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.inner.add_row(cells);
        self.rows += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Writes the table with every line starting with `indent`.
    pub fn write(&self, out: &mut dyn Write, indent: &str) -> io::Result<()> {
        for line in self.inner.lines() {
            writeln!(out, "{indent}{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// Unix milliseconds as `2026-11-28 16:05:12` (UTC).
pub fn time(ms: i64) -> String {
    sextant_view::format::datetime(ms, 0)
}

/// Seconds as `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`; `-` when unknown.
pub fn duration(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "-".to_string(), sextant_view::format::duration_secs)
}

pub use sextant_view::format::{bytes as size, duration_ns, exact, value as number};

/// For each id, the shortest prefix of at least `min` characters no other id shares, so
/// tables stay narrow and every shown id can be typed back.
pub fn short_ids(ids: &[&str], min: usize) -> Vec<String> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| ids[i]);
    let common = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let mut out = vec![String::new(); ids.len()];
    for (pos, &i) in order.iter().enumerate() {
        let prev = pos
            .checked_sub(1)
            .map_or(0, |p| common(ids[order[p]], ids[i]));
        let next = order.get(pos + 1).map_or(0, |&n| common(ids[n], ids[i]));
        let keep = (prev.max(next) + 1).max(min);
        out[i] = ids[i].chars().take(keep).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact_and_exact_enough() {
        assert_eq!(number(0.123456789), "0.123457");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1234.0), "1234");
        assert_eq!(number(3e-7), "3e-7");
        assert_eq!(number(1.5e9), "1500000000");
        assert_eq!(number(1.5e20), "1.5e20");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(exact(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(exact(5.999999999999999e-6), "5.999999999999999e-6");
        assert_eq!(number(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(exact(f64::INFINITY), "Infinity");
    }

    #[test]
    fn short_ids_stay_unique() {
        let ids = ["abcdef12345", "abcdef12999", "0123456789", "run-1"];
        let short = short_ids(&ids, 8);
        assert_eq!(short, vec!["abcdef123", "abcdef129", "01234567", "run-1"]);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(None), "-");
        assert_eq!(duration(Some(0.25)), "250 ms");
        assert_eq!(duration(Some(12.34)), "12.3 s");
        assert_eq!(duration(Some(245.0)), "4m 05s");
        assert_eq!(duration(Some(7380.0)), "2h 03m");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(time(0), "1970-01-01 00:00:00");
    }

    #[test]
    fn tables_align_columns() {
        let mut t = Table::new(&[("name", Align::Left), ("n", Align::Right)]);
        t.row(vec!["a".into(), "10".into()]);
        t.row(vec!["long".into(), "5".into()]);
        let mut out = Vec::new();
        t.write(&mut out, "").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name   n\na     10\nlong   5\n"
        );
    }
}

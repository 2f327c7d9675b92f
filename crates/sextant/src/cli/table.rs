//! Aligned plain-text tables and the value formats the tables use.

use std::io::{self, Write};

/// Column alignment: text left, numbers right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table written with columns padded to their widest cell, two spaces apart.
#[derive(Debug)]
pub struct Table {
    headers: Vec<&'static str>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&'static str, Align)]) -> Self {
        Table {
            headers: columns.iter().map(|c| c.0).collect(),
            align: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table with every line starting with `indent`.
    pub fn write(&self, out: &mut dyn Write, indent: &str) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let headers: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::from(indent);
            for (i, cell) in row.iter().enumerate() {
                let width = widths.get(i).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count());
                let last = i + 1 == row.len();
                match self.align.get(i).copied().unwrap_or(Align::Left) {
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(cell);
                    }
                    Align::Left => {
                        line.push_str(cell);
                        if !last {
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// Unix milliseconds as `2026-11-28 16:05:12` (UTC).
pub fn time(ms: i64) -> String {
    let iso = sextant_luml::time::iso_from_millis(ms);
    iso.get(..19).unwrap_or(&iso).replacen('T', " ", 1)
}

/// Seconds as `420µs`, `8.5ms`, `850ms`, `12.3s`, `4m05s`, `2h03m`.
pub fn duration(seconds: Option<f64>) -> String {
    let Some(s) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else {
        return "-".to_string();
    };
    if s < 1e-3 {
        format!("{:.0}µs", s * 1e6)
    } else if s < 1e-2 {
        format!("{:.1}ms", s * 1000.0)
    } else if s < 1.0 {
        format!("{:.0}ms", s * 1000.0)
    } else if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        let whole = s as u64;
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        let whole = s as u64;
        format!("{}h{:02}m", whole / 3600, (whole % 3600) / 60)
    }
}

/// Nanoseconds, in the same format as [`duration`].
pub fn duration_ns(ns: i64) -> String {
    duration(Some(ns as f64 / 1e9))
}

/// A byte count as `812 B`, `1.4 KiB`, `3.0 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A metric value with six significant digits: compact, and NaN/inf spelled out.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return sextant_core::lossless_f64::name_non_finite(v).to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        let text = format!("{v:.5e}");
        return match text.split_once('e') {
            Some((mantissa, exp)) if mantissa.contains('.') => {
                let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{mantissa}e{exp}")
            }
            _ => text,
        };
    }
    let decimals = usize::try_from(5 - magnitude).unwrap_or(0);
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A metric value exactly (shortest text that reads back the same), in exponent form when
/// plain decimals would be long.
pub fn exact(v: f64) -> String {
    if !v.is_finite() {
        return number(v);
    }
    if v == 0.0 || (1e-4..1e15).contains(&v.abs()) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

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
        assert_eq!(number(1.5e9), "1.5e9");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(exact(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(exact(5.999999999999999e-6), "5.999999999999999e-6");
        assert_eq!(number(f64::NEG_INFINITY), "-Infinity");
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
        assert_eq!(duration(Some(0.25)), "250ms");
        assert_eq!(duration(Some(12.34)), "12.3s");
        assert_eq!(duration(Some(245.0)), "4m05s");
        assert_eq!(duration(Some(7380.0)), "2h03m");
        assert_eq!(size(1536), "1.5 KiB");
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

//! How numbers, times, durations and sizes read in tables, tooltips and axes.

use sextant_core::ParamValue;

/// A value at full useful precision: 6 significant digits, exponent form for tiny or huge
/// magnitudes, and names for the non-finite.
pub fn value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        // Spelled as JSON-lossless, Python and JS spell them, so copied text reads back.
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor();
    if !(-4.0..15.0).contains(&mag) {
        return exponent(v, 4);
    }
    if v.fract() == 0.0 {
        return format!("{v:.0}");
    }
    let decimals = (5.0 - mag).clamp(0.0, 12.0) as usize;
    trim_zeros(format!("{v:.decimals$}"))
}

fn exponent(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$e}");
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{e}", trim_zeros(m.to_string())),
        None => s,
    }
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A value exactly (the shortest text that reads back the same), in exponent form when
/// plain decimals would be long: for tables of raw points, where rounding would hide steps.
pub fn exact(v: f64) -> String {
    if !v.is_finite() {
        return value(v);
    }
    if v == 0.0 || (1e-4..1e15).contains(&v.abs()) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// An axis label for `v` on an axis whose ticks are `step` apart: as many decimals as
/// the step needs, `k`/`M`/`G` for large numbers, exponents for tiny steps.
pub fn tick(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return value(v);
    }
    if v == 0.0 {
        return "0".into();
    }
    let step = step.abs();
    if step > 0.0 && step < 1e-4 {
        return exponent(v, 2);
    }
    for (unit, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if v.abs() >= unit && step >= unit / 1000.0 {
            let decimals = decimals_for(step / unit);
            return format!("{}{suffix}", trim_zeros(format!("{:.decimals$}", v / unit)));
        }
    }
    let decimals = decimals_for(step);
    trim_zeros(format!("{v:.decimals$}"))
}

/// Decimals that show a step of this size exactly (0.25 → 2).
fn decimals_for(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 2;
    }
    let mut d = 0usize;
    let mut s = step;
    while d < 10 && (s - s.round()).abs() > 1e-9 * s.max(1.0) {
        s *= 10.0;
        d += 1;
    }
    d
}

/// A duration given in seconds: "850 ms", "12.3 s", "4m 05s", "2h 03m", "3d 04h".
pub fn duration_secs(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".into();
    }
    if secs < 1.0 {
        return format!("{:.0} ms", secs * 1000.0);
    }
    if secs < 60.0 {
        return format!("{secs:.1} s");
    }
    let total = secs.round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3600,
        total % 3600 / 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m {s:02}s")
    }
}

/// Nanoseconds as a span duration: "340 ns", "12.5 µs", "3.21 ms", "1.50 s".
pub fn duration_ns(ns: i64) -> String {
    let n = ns.max(0) as f64;
    if n < 1e3 {
        format!("{n:.0} ns")
    } else if n < 1e6 {
        format!("{:.1} µs", n / 1e3)
    } else if n < 1e9 {
        format!("{:.2} ms", n / 1e6)
    } else {
        duration_secs(n / 1e9)
    }
}

/// A relative time axis label (milliseconds since the run began): "0", "45s", "2m 30s",
/// "1h", "1h 30m", "2d 3h".
pub fn elapsed_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return value(ms);
    }
    let sign = if ms < 0.0 { "-" } else { "" };
    let ms = ms.abs();
    if ms < 1000.0 {
        return if ms == 0.0 {
            "0".into()
        } else {
            format!("{sign}{ms:.0}ms")
        };
    }
    let total = (ms / 1000.0).round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3600,
        total % 3600 / 60,
        total % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    format!("{sign}{}", parts.join(" "))
}

/// Local date and time from unix milliseconds (`offset_ms`: the zone's offset from UTC).
pub fn datetime(ms: i64, offset_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms.saturating_add(offset_ms))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "—".into())
}

/// A clock label for a time axis, as fine as the tick step needs.
pub fn clock(ms: f64, step_ms: f64, offset_ms: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis((ms as i64).saturating_add(offset_ms))
    else {
        return "—".into();
    };
    let fmt = if step_ms >= 86_400_000.0 {
        "%m-%d"
    } else if step_ms >= 60_000.0 {
        "%H:%M"
    } else if step_ms >= 1000.0 {
        "%H:%M:%S"
    } else {
        "%H:%M:%S%.3f"
    };
    t.format(fmt).to_string()
}

/// "1.2 MB"-style sizes (powers of 1024, as file managers show them).
pub fn bytes(n: u64) -> String {
    let mut v = n as f64;
    for unit in ["B", "KB", "MB", "GB"] {
        if v < 1024.0 {
            return if unit == "B" {
                format!("{n} B")
            } else {
                format!("{v:.1} {unit}")
            };
        }
        v /= 1024.0;
    }
    format!("{v:.1} TB")
}

/// A param as a table cell shows it.
pub fn param(p: &ParamValue) -> String {
    match p {
        ParamValue::Str(s) => s.clone(),
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => value(*f),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Json(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_six_significant_digits() {
        assert_eq!(value(0.123456789), "0.123457");
        assert_eq!(value(12345.678), "12345.7");
        assert_eq!(value(3.0), "3");
        assert_eq!(value(1.5e-7), "1.5e-7");
        assert_eq!(value(2.0e20), "2e20");
        assert_eq!(value(f64::NAN), "NaN");
        assert_eq!(value(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(value(-0.5), "-0.5");
    }

    #[test]
    fn ticks_follow_the_step() {
        assert_eq!(tick(0.25, 0.05), "0.25");
        assert_eq!(tick(0.2, 0.2), "0.2");
        assert_eq!(tick(2_000_000.0, 500_000.0), "2M");
        assert_eq!(tick(2_500_000.0, 500_000.0), "2.5M");
        assert_eq!(tick(15_000.0, 5_000.0), "15k");
        assert_eq!(tick(1500.0, 100.0), "1.5k");
        assert_eq!(tick(120.0, 20.0), "120");
        assert_eq!(tick(0.00002, 0.00001), "2e-5");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_secs(0.85), "850 ms");
        assert_eq!(duration_secs(12.34), "12.3 s");
        assert_eq!(duration_secs(245.0), "4m 05s");
        assert_eq!(duration_secs(7380.0), "2h 03m");
        assert_eq!(duration_secs(273_600.0), "3d 04h");
        assert_eq!(duration_ns(12_500), "12.5 µs");
        assert_eq!(duration_ns(3_210_000), "3.21 ms");
        assert_eq!(elapsed_ms(150_000.0), "2m 30s");
        assert_eq!(elapsed_ms(3_600_000.0), "1h");
        assert_eq!(elapsed_ms(0.0), "0");
    }

    #[test]
    fn times_and_sizes() {
        assert_eq!(datetime(0, 0), "1970-01-01 00:00:00");
        assert_eq!(datetime(0, 3_600_000), "1970-01-01 01:00:00");
        assert_eq!(clock(90_000.0, 60_000.0, 0), "00:01");
        assert_eq!(clock(90_000.0, 5_000.0, 0), "00:01:30");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(param(&ParamValue::Float(0.001)), "0.001");
        assert_eq!(param(&ParamValue::Json(serde_json::json!([1, 2]))), "[1,2]");
    }
}

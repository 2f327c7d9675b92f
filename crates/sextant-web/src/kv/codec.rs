//! Text encodings for string-only backends: metric chunks as delta-coded text, bytes as
//! base64. localStorage holds a few MB of UTF-16, so every character counts.

use std::fmt::Write as _;

use sextant_core::{Error, MetricPoint, Result};

/// Encodes step-ordered points as `dstep,value,dtime` joined by `;`. Steps are deltas from
/// the previous point (the first from `base`), times deltas from the previous point (the
/// first from 0): a training loop's point costs about a dozen characters. Values use Rust's
/// shortest round-trip form, which spells non-finite values `NaN`, `inf` and `-inf`.
pub fn encode_points(base: i64, points: &[MetricPoint]) -> String {
    let mut out = String::with_capacity(points.len() * 14);
    let (mut prev_step, mut prev_time) = (base, 0i64);
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{},{:?},{}",
            p.step - prev_step,
            p.value,
            p.logged_at - prev_time
        );
        prev_step = p.step;
        prev_time = p.logged_at;
    }
    out
}

/// Reads what [`encode_points`] wrote; `what` names the key for the error message.
pub fn decode_points(base: i64, text: &str, what: &str) -> Result<Vec<MetricPoint>> {
    let bad = |detail: &str| Error::corrupt(format!("metric chunk {what:?}: {detail}"));
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let (mut step, mut time) = (base, 0i64);
    let mut out = Vec::with_capacity(text.len() / 12);
    for item in text.split(';') {
        let mut parts = item.split(',');
        let (Some(ds), Some(v), Some(dt), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(&format!("{item:?} is not step,value,time")));
        };
        let ds: i64 = ds
            .parse()
            .map_err(|_| bad(&format!("bad step in {item:?}")))?;
        let dt: i64 = dt
            .parse()
            .map_err(|_| bad(&format!("bad time in {item:?}")))?;
        let value: f64 = v
            .parse()
            .map_err(|_| bad(&format!("bad value in {item:?}")))?;
        step = step.checked_add(ds).ok_or_else(|| bad("step overflows"))?;
        time = time.checked_add(dt).ok_or_else(|| bad("time overflows"))?;
        out.push(MetricPoint {
            step,
            value,
            logged_at: time,
        });
    }
    Ok(out)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(text: &str, what: &str) -> Result<Vec<u8>> {
    let mut lookup = [255u8; 256];
    for (i, c) in ALPHABET.iter().enumerate() {
        lookup[usize::from(*c)] = i as u8;
    }
    let body = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            let v = lookup[usize::from(*b)];
            if v == 255 {
                return Err(Error::corrupt(format!("{what:?} is not valid base64")));
            }
            n |= u32::from(v) << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_with_special_values() {
        let pts: Vec<MetricPoint> = [
            (1024, 0.5, 1_764_000_000_000),
            (1025, f64::NAN, 1_764_000_000_000),
            (1030, f64::INFINITY, 1_764_000_000_003),
            (1031, f64::NEG_INFINITY, 1_764_000_000_002),
            (1500, 1e-300, 0),
            (2047, -0.0, 5),
        ]
        .iter()
        .map(|&(step, value, logged_at)| MetricPoint {
            step,
            value,
            logged_at,
        })
        .collect();
        let text = encode_points(1024, &pts);
        assert!(
            text.starts_with("0,0.5,1764000000000;1,NaN,0;5,inf,3"),
            "{text}"
        );
        let back = decode_points(1024, &text, "k").unwrap();
        assert_eq!(back.len(), pts.len());
        for (a, b) in back.iter().zip(&pts) {
            assert!(a.same_as(b) && a.logged_at == b.logged_at, "{a:?} {b:?}");
        }
        assert!(back[5].value.is_sign_negative());
        assert!(decode_points(0, "1,2", "k").is_err());
        assert!(decode_points(0, "", "k").unwrap().is_empty());
    }

    #[test]
    fn base64_round_trips_every_length() {
        for len in 0..10usize {
            let data: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(97)).collect();
            assert_eq!(base64_decode(&base64_encode(&data), "x").unwrap(), data);
        }
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert!(base64_decode("T@Fu", "x").is_err());
    }
}

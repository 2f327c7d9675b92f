//! Trace and span ids: random per process, then a counter mixed through splitmix64, so
//! making an id costs nanoseconds instead of a system call.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct IdSource {
    seed: u64,
    counter: AtomicU64,
}

fn splitmix(mut z: u64) -> u64 {
    sextant_core::env::splitmix64(&mut z)
}

impl IdSource {
    pub fn new(seed: u128) -> Self {
        IdSource {
            seed: (seed as u64) ^ ((seed >> 64) as u64),
            counter: AtomicU64::new(1),
        }
    }

    fn next(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        // Never zero: OpenTelemetry treats all-zero ids as invalid.
        splitmix(self.seed ^ splitmix(n)).max(1)
    }

    /// 16 lowercase hex digits.
    pub fn span_id(&self) -> String {
        let mut s = String::with_capacity(16);
        push_hex(&mut s, self.next());
        s
    }

    /// 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        let mut s = String::with_capacity(32);
        push_hex(&mut s, self.next());
        push_hex(&mut s, self.next());
        s
    }
}

/// `format!("{:016x}")` without the formatting machinery (it was a tenth of a span's cost).
fn push_hex(out: &mut String, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        out.push(DIGITS[((v >> (shift * 4)) & 0xf) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_have_otel_shape_and_do_not_repeat() {
        let ids = super::IdSource::new(42);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let s = ids.span_id();
            assert_eq!(s.len(), 16);
            assert!(seen.insert(s));
        }
        assert_eq!(ids.trace_id().len(), 32);
        let mut s = String::new();
        super::push_hex(&mut s, 0x0123_4567_89ab_cdef);
        assert_eq!(s, "0123456789abcdef");
    }
}

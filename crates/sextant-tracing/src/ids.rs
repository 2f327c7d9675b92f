//! Trace and span ids: random per process, then a counter mixed through splitmix64, so
//! making an id costs nanoseconds instead of a system call. Kept as numbers; they become
//! hex strings when the span is flushed.

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

    /// A span id: never zero.
    pub fn span_id(&self) -> u64 {
        self.next()
    }

    /// A trace id: never zero.
    pub fn trace_id(&self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_non_zero_and_do_not_repeat() {
        let ids = super::IdSource::new(42);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let s = ids.span_id();
            assert_ne!(s, 0);
            assert!(seen.insert(s));
        }
        assert_ne!(ids.trace_id() >> 64, 0);
    }
}

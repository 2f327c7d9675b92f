//! The native platform under Sextant's core: the system clock and random source, and a
//! coarse millisecond clock kept by a small thread. They live outside `sextant-core` so the
//! core stays free of threads and OS calls (it builds for wasm32 unchanged); browser
//! bindings supply their own `Env` from JS.

use sextant_core::env::splitmix64;
use sextant_core::Env;

/// The operating system's clock and random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemEnv;

impl Env for SystemEnv {
    fn now_unix_nanos(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    fn random_u128(&self) -> u128 {
        let mut buf = [0u8; 16];
        if getrandom::fill(&mut buf).is_err() {
            // No OS randomness: fall back to time mixed with an address, still unique enough
            // for names and ids within one process.
            let t = self.now_unix_nanos() as u128;
            let addr = &buf as *const _ as usize as u128;
            return splitmix(t ^ (addr << 64));
        }
        u128::from_le_bytes(buf)
    }
}

/// The system's randomness with clocks cheap enough for the hot paths. Milliseconds cost an
/// atomic load: a small thread refreshes them every [`CoarseClockEnv::TICK`]. Reading the
/// OS clock costs ~50 ns on a VM, half the budget of a buffered log call; points are
/// stamped in milliseconds anyway. Nanoseconds (span start and end, twice per span) come
/// from the CPU's counter through `quanta` (a few ns where the TSC is invariant; quanta
/// falls back to the OS clock elsewhere), as an offset from the wall clock that the same
/// thread re-reads every [`CoarseClockEnv::REANCHOR`], so the counter's drift against NTP's
/// clock stays within microseconds. The thread ends when the last clone of the env is
/// dropped.
#[derive(Debug, Clone)]
pub struct CoarseClockEnv {
    shared: std::sync::Arc<Shared>,
    ticking: bool,
}

/// What the clock thread keeps current.
#[derive(Debug)]
struct Shared {
    now_ms: std::sync::atomic::AtomicI64,
    /// Wall-clock nanoseconds minus the counter's nanoseconds since `base`.
    offset_ns: std::sync::atomic::AtomicI64,
    counter: quanta::Clock,
    base: u64,
}

impl Shared {
    fn counter_ns(&self) -> i64 {
        let now = self.counter.raw();
        i64::try_from(self.counter.delta_as_nanos(self.base, now)).unwrap_or(i64::MAX)
    }

    fn reanchor(&self) {
        use std::sync::atomic::Ordering;
        let counter = self.counter_ns();
        let wall = SystemEnv.now_unix_nanos();
        self.offset_ns
            .store(wall.saturating_sub(counter), Ordering::Relaxed);
    }
}

impl CoarseClockEnv {
    pub const TICK: std::time::Duration = std::time::Duration::from_millis(2);
    pub const REANCHOR: std::time::Duration = std::time::Duration::from_secs(1);

    pub fn start() -> Self {
        use std::sync::atomic::{AtomicI64, Ordering};
        let counter = quanta::Clock::new();
        let base = counter.raw();
        let shared = std::sync::Arc::new(Shared {
            now_ms: AtomicI64::new(SystemEnv.now_unix_millis()),
            offset_ns: AtomicI64::new(0),
            counter,
            base,
        });
        shared.reanchor();
        let weak = std::sync::Arc::downgrade(&shared);
        let ticks_per_anchor = (Self::REANCHOR.as_millis() / Self::TICK.as_millis()).max(1);
        let ticking = std::thread::Builder::new()
            .name("sextant-clock".into())
            .spawn(move || {
                let mut tick = 0u128;
                while let Some(shared) = weak.upgrade() {
                    shared
                        .now_ms
                        .store(SystemEnv.now_unix_millis(), Ordering::Relaxed);
                    tick += 1;
                    if tick % ticks_per_anchor == 0 {
                        shared.reanchor();
                    }
                    drop(shared);
                    std::thread::sleep(Self::TICK);
                }
            })
            .is_ok();
        CoarseClockEnv { shared, ticking }
    }
}

impl Env for CoarseClockEnv {
    fn now_unix_nanos(&self) -> i64 {
        if self.ticking {
            let offset = self
                .shared
                .offset_ns
                .load(std::sync::atomic::Ordering::Relaxed);
            offset.saturating_add(self.shared.counter_ns())
        } else {
            SystemEnv.now_unix_nanos()
        }
    }

    fn now_unix_millis(&self) -> i64 {
        if self.ticking {
            self.shared
                .now_ms
                .load(std::sync::atomic::Ordering::Relaxed)
        } else {
            SystemEnv.now_unix_millis()
        }
    }

    fn random_u128(&self) -> u128 {
        SystemEnv.random_u128()
    }
}

fn splitmix(seed: u128) -> u128 {
    let mut x = seed as u64 ^ (seed >> 64) as u64;
    (u128::from(splitmix64(&mut x)) << 64) | u128::from(splitmix64(&mut x))
}

/// A new access-token secret ([`sextant_core::token_secret`]) from the operating system's
/// randomness. Unlike ids, a secret has no fallback: without OS randomness it fails.
pub fn new_token_secret() -> sextant_core::Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| {
        sextant_core::Error::storage(format!(
            "no randomness from the operating system for a token: {e}"
        ))
    })?;
    Ok(sextant_core::token_secret(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_clock_follows_the_system_clock() {
        let env = CoarseClockEnv::start();
        let first = env.now_unix_millis();
        assert!((first - SystemEnv.now_unix_millis()).abs() < 1000);
        std::thread::sleep(std::time::Duration::from_millis(30));
        let later = env.now_unix_millis();
        assert!(
            later - first >= 20,
            "clock did not advance: {first} -> {later}"
        );
        assert!((later - SystemEnv.now_unix_millis()).abs() < 50);
    }

    #[test]
    fn counter_nanoseconds_are_wall_time() {
        let env = CoarseClockEnv::start();
        let before = SystemEnv.now_unix_nanos();
        let a = env.now_unix_nanos();
        let b = env.now_unix_nanos();
        let after = SystemEnv.now_unix_nanos();
        // Within a millisecond of the wall clock read around it (reads are nanoseconds
        // apart; the anchor is re-read every second).
        assert!(
            a >= before - 1_000_000 && a <= after + 1_000_000,
            "{before} {a} {after}"
        );
        assert!(b >= a, "went back: {a} -> {b}");
        std::thread::sleep(std::time::Duration::from_millis(5));
        let c = env.now_unix_nanos();
        let gap = c - b;
        assert!(
            (4_000_000..1_000_000_000).contains(&gap),
            "a 5 ms sleep measured {gap} ns"
        );
    }

    #[test]
    fn uuids_are_v4_and_distinct() {
        let env = SystemEnv;
        let a = env.new_uuid();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, env.new_uuid());
    }
}

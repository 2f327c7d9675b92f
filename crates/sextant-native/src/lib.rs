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

/// The system's randomness with a millisecond clock that costs an atomic load: a small
/// thread refreshes it every [`CoarseClockEnv::TICK`]. Reading the OS clock costs ~50 ns
/// on a VM, half the budget of a buffered log call; points are stamped in milliseconds
/// anyway. The thread ends when the last clone of the env is dropped.
#[derive(Debug, Clone)]
pub struct CoarseClockEnv {
    now_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
    ticking: bool,
}

impl CoarseClockEnv {
    pub const TICK: std::time::Duration = std::time::Duration::from_millis(2);

    pub fn start() -> Self {
        use std::sync::atomic::{AtomicI64, Ordering};
        let now_ms = std::sync::Arc::new(AtomicI64::new(SystemEnv.now_unix_millis()));
        let weak = std::sync::Arc::downgrade(&now_ms);
        let ticking = std::thread::Builder::new()
            .name("sextant-clock".into())
            .spawn(move || {
                while let Some(now) = weak.upgrade() {
                    now.store(SystemEnv.now_unix_millis(), Ordering::Relaxed);
                    drop(now);
                    std::thread::sleep(Self::TICK);
                }
            })
            .is_ok();
        CoarseClockEnv { now_ms, ticking }
    }
}

impl Env for CoarseClockEnv {
    fn now_unix_nanos(&self) -> i64 {
        SystemEnv.now_unix_nanos()
    }

    fn now_unix_millis(&self) -> i64 {
        if self.ticking {
            self.now_ms.load(std::sync::atomic::Ordering::Relaxed)
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
    fn uuids_are_v4_and_distinct() {
        let env = SystemEnv;
        let a = env.new_uuid();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, env.new_uuid());
    }
}

//! The two things the core needs from its platform: a clock and randomness. Native code
//! gets [`SystemEnv`]; wasm bindings supply their own (JS `Date`, `crypto`).

use std::future::Future;
use std::pin::Pin;

/// `Send` natively, nothing on wasm, where IndexedDB and `fetch` handles are not `Send`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` natively, nothing on wasm.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Clock and randomness, injected so the core has no platform code.
pub trait Env: MaybeSend + MaybeSync + std::fmt::Debug {
    fn now_unix_nanos(&self) -> i64;
    fn random_u128(&self) -> u128;

    fn now_unix_millis(&self) -> i64 {
        self.now_unix_nanos() / 1_000_000
    }

    /// A random (v4) UUID in its hyphenated lowercase form.
    fn new_uuid(&self) -> String {
        uuid::Builder::from_random_bytes(self.random_u128().to_le_bytes())
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

/// The operating system's clock and random source.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemEnv;

#[cfg(not(target_arch = "wasm32"))]
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
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct CoarseClockEnv {
    now_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
    ticking: bool,
}

#[cfg(not(target_arch = "wasm32"))]
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

#[cfg(not(target_arch = "wasm32"))]
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

/// One step of splitmix64: advances `state` and returns a well-mixed 64-bit value. The
/// cheap generator behind demo noise and span ids; not for secrets.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(not(target_arch = "wasm32"))]
fn splitmix(seed: u128) -> u128 {
    let mut x = seed as u64 ^ (seed >> 64) as u64;
    (u128::from(splitmix64(&mut x)) << 64) | u128::from(splitmix64(&mut x))
}

/// Formats unix milliseconds as ISO-8601 UTC text, the way luml's Python writes timestamps.
pub fn iso_from_millis(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
        None => "1970-01-01T00:00:00.000000+00:00".to_string(),
    }
}

/// Parses the timestamp forms found in luml stores (`2026-11-28 16:05:12`,
/// `2026-11-28T16:05:12.123456+00:00`, with or without zone) into unix milliseconds.
pub fn millis_from_iso(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(dt) = chrono::DateTime::parse_from_str(t, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_luml_timestamp_forms() {
        assert_eq!(millis_from_iso("1970-01-01 00:00:01"), Some(1000));
        assert_eq!(
            millis_from_iso("1970-01-01T00:00:01.500000+00:00"),
            Some(1500)
        );
        assert_eq!(millis_from_iso("1970-01-01T01:00:01+01:00"), Some(1000));
        assert_eq!(
            millis_from_iso(&iso_from_millis(1_764_345_912_123)),
            Some(1_764_345_912_123)
        );
        assert_eq!(millis_from_iso("yesterday"), None);
    }

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

//! The two things the core needs from its platform, a clock and randomness, as the [`Env`]
//! trait (native code gets `sextant_native::SystemEnv`; wasm bindings supply JS `Date` and
//! `crypto`), and the `Send` bounds that differ between native and wasm.

use std::future::Future;
use std::pin::Pin;

/// `Send` natively, nothing on wasm, where IndexedDB and `fetch` handles are not `Send`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// Nothing on wasm (see the native definition).
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` natively, nothing on wasm.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}
/// Nothing on wasm (see the native definition).
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

/// A boxed future: `Send` natively, not on wasm (see [`MaybeSend`]).
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A boxed future: `Send` natively, not on wasm (see [`MaybeSend`]).
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Clock and randomness, injected so the core has no platform code.
pub trait Env: MaybeSend + MaybeSync + std::fmt::Debug {
    /// Wall-clock time in nanoseconds since the Unix epoch (span times use it as is).
    fn now_unix_nanos(&self) -> i64;
    /// 128 random bits for experiment ids and generated names; need not be cryptographic,
    /// but must differ between processes so two runs never pick the same id.
    fn random_u128(&self) -> u128;

    /// Wall-clock time in milliseconds since the Unix epoch, the unit of every
    /// `created_at` and `logged_at`.
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

/// One step of splitmix64: advances `state` and returns a well-mixed 64-bit value. The
/// cheap generator behind demo noise and span ids; not for secrets.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

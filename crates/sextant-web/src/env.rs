//! The core's clock and randomness from JS: `Date.now()` and `crypto.getRandomValues`
//! (browsers, workers and Node 20 all have both).

use std::cell::Cell;

use sextant_core::Env;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

thread_local! {
    /// A clock reading supplied by the caller (NaN: none).
    static PINNED_MS: Cell<f64> = const { Cell::new(f64::NAN) };
}

/// Runs `f` with the clock reading `now_ms`. The JS fast path reads `Date.now()` itself,
/// which the JIT makes far cheaper than a call out of wasm, once per logged point.
pub fn with_time<T>(now_ms: f64, f: impl FnOnce() -> T) -> T {
    PINNED_MS.with(|p| p.set(if now_ms.is_finite() { now_ms } else { f64::NAN }));
    let out = f();
    PINNED_MS.with(|p| p.set(f64::NAN));
    out
}

fn now_ms() -> f64 {
    let pinned = PINNED_MS.with(Cell::get);
    if pinned.is_nan() {
        js_sys::Date::now()
    } else {
        pinned
    }
}

/// The JS platform's [`Env`].
#[derive(Debug, Default, Clone, Copy)]
pub struct JsEnv;

impl Env for JsEnv {
    fn now_unix_nanos(&self) -> i64 {
        (now_ms() * 1e6) as i64
    }

    fn now_unix_millis(&self) -> i64 {
        now_ms() as i64
    }

    fn random_u128(&self) -> u128 {
        let mut buf = [0u8; 16];
        if get_random_values(&mut buf).is_ok() {
            return u128::from_le_bytes(buf);
        }
        // No Web Crypto (an unusual embedding): Math.random still gives unique ids and
        // names within a page; nothing here is a secret.
        (0..4).fold(0u128, |acc, _| {
            (acc << 32) | u128::from((js_sys::Math::random() * 4_294_967_296.0) as u32)
        })
    }
}

//! Core errors as JS `Error`s: the core's message (which names the bad input) plus a
//! stable `code` for programs that branch on the kind.

use js_sys::Reflect;
use sextant_core::Error;
use wasm_bindgen::prelude::*;

/// The stable code JS errors carry (`err.code`): the core's own.
pub fn code(e: &Error) -> &'static str {
    e.code()
}

/// The JS `Error` thrown (or rejected) for a core error.
pub fn to_js(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(
        &err,
        &JsValue::from_str("code"),
        &JsValue::from_str(code(e)),
    );
    err.into()
}

/// `Result<T, Error>` → `Result<T, JsValue>` for wasm-bindgen exports.
pub trait IntoJs<T> {
    fn js(self) -> Result<T, JsValue>;
}

impl<T> IntoJs<T> for sextant_core::Result<T> {
    fn js(self) -> Result<T, JsValue> {
        self.map_err(|e| to_js(&e))
    }
}

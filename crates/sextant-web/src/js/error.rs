//! Core errors as JS `Error`s: the core's message (which names the bad input) plus a
//! stable `code` for programs that branch on the kind.

use js_sys::Reflect;
use sextant_core::Error;
use wasm_bindgen::prelude::*;

pub fn code(e: &Error) -> &'static str {
    match e {
        Error::InvalidConnectionString { .. } => "INVALID_CONNECTION_STRING",
        Error::UnknownBackend { .. } => "UNKNOWN_BACKEND",
        Error::NoActiveExperiment => "NO_ACTIVE_EXPERIMENT",
        Error::ExperimentNotFound(_) => "EXPERIMENT_NOT_FOUND",
        Error::ExperimentExists(_) => "EXPERIMENT_EXISTS",
        Error::ExperimentNotOpen(_) => "EXPERIMENT_NOT_OPEN",
        Error::ExperimentEnded { .. } => "EXPERIMENT_ENDED",
        Error::InvalidInput { .. } => "INVALID_INPUT",
        Error::AttachmentNotFound { .. } => "ATTACHMENT_NOT_FOUND",
        Error::TraceNotFound { .. } => "TRACE_NOT_FOUND",
        Error::QuotaExceeded(_) => "QUOTA_EXCEEDED",
        Error::Corrupt(_) => "CORRUPT",
        Error::Snapshot(_) => "SNAPSHOT",
        Error::Storage(_) => "STORAGE",
    }
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

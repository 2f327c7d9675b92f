//! What happens to data a store would not take: `tracker.pending()` / `discardPending()`
//! for data kept for retry after a transient failure, `tracker.onError` for failures of
//! flushes nobody awaited, and the `dropped` count on errors of flushes that had to drop
//! records the store refused for good (a full localStorage, a deleted experiment).

use js_sys::{Function, Object, Reflect};
use sextant_core::Dropped;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{ExperimentTracker, Inner};

fn counts(d: Dropped) -> JsValue {
    let obj = Object::new();
    // Setting fields of a fresh object cannot fail.
    let _ = Reflect::set(
        &obj,
        &"records".into(),
        &JsValue::from_f64(d.records as f64),
    );
    let _ = Reflect::set(&obj, &"points".into(), &JsValue::from_f64(d.points as f64));
    obj.into()
}

/// Adds `dropped: {records, points}` to a JS error, and says so in its message.
pub fn with_dropped(err: JsValue, dropped: Dropped) -> JsValue {
    if dropped.is_empty() {
        return err;
    }
    let message = Reflect::get(&err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default();
    let message = format!(
        "{message} ({} points in {} records could not be written and were dropped; \
         later data is not held up)",
        dropped.points, dropped.records
    );
    let _ = Reflect::set(&err, &"message".into(), &JsValue::from_str(&message));
    let _ = Reflect::set(&err, &"dropped".into(), &counts(dropped));
    err
}

/// A failed background flush: to `onError` when set, else a console warning.
pub fn report(inner: &Inner, err: &JsValue) {
    let handler = inner.on_error.borrow().clone();
    if let Some(f) = handler {
        if f.call1(&JsValue::UNDEFINED, err).is_ok() {
            return;
        }
    }
    web_sys::console::warn_2(
        &JsValue::from_str(
            "sextant: a background flush failed (storage errors are retried by the next \
             flush; what the store refused for good was dropped, as the error says):",
        ),
        err,
    );
}

/// Runs `fut` to completion if it completes without waiting, which Node's stores (memory,
/// file) always do: exit paths cannot wait for a promise.
fn run_now<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => Some(out),
        std::task::Poll::Pending => None,
    }
}

#[wasm_bindgen]
impl ExperimentTracker {
    /// For the Node entry's exit hooks (`exit`, `uncaughtExceptionMonitor`, SIGINT,
    /// SIGTERM): marks running experiments failed and writes everything buffered, now.
    /// False when the store needed to wait (nothing is then lost beyond what was
    /// unflushed). Not part of the API.
    #[wasm_bindgen(js_name = __failOpenNow)]
    pub fn fail_open_now(&self) -> bool {
        if self.inner.closed.get() {
            return true;
        }
        let tracker = &self.inner.tracker;
        run_now(async {
            let closed = tracker.close_all(sextant_core::Status::Failed).await;
            let flushed = tracker.flush().await;
            closed.and(flushed)
        })
        .is_some_and(|r| r.is_ok())
    }

    /// `{records, points}` kept for retry after a transient storage failure.
    pub fn pending(&self) -> JsValue {
        counts(self.inner.tracker.pending())
    }

    /// Gives up on the data kept for retry; returns `{records, points}` discarded.
    #[wasm_bindgen(js_name = discardPending)]
    pub fn discard_pending(&self) -> JsValue {
        counts(self.inner.tracker.discard_pending())
    }

    /// The handler for errors of flushes nobody awaited (timer, full buffer, page hidden).
    #[wasm_bindgen(getter = onError)]
    pub fn on_error(&self) -> JsValue {
        self.inner
            .on_error
            .borrow()
            .clone()
            .map_or(JsValue::NULL, JsValue::from)
    }

    #[wasm_bindgen(setter = onError)]
    pub fn set_on_error(&self, handler: JsValue) -> Result<(), JsValue> {
        let handler = if handler.is_undefined() || handler.is_null() {
            None
        } else {
            Some(handler.dyn_into::<Function>().map_err(|v| {
                super::error::to_js(&sextant_core::Error::InvalidInput {
                    what: "onError handler",
                    value: super::input::describe(&v),
                    reason: "must be a function or null".into(),
                })
            })?)
        };
        *self.inner.on_error.borrow_mut() = handler;
        Ok(())
    }
}

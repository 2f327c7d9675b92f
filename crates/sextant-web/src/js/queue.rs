//! One promise chain per tracker: every async operation (flushes from the timer and from
//! a full buffer, end/fail, reads, attachments) starts after the previous one settled. The
//! core requires that flushes never overlap, and chaining everything also keeps a read
//! behind the flush that makes its data visible.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// A queued operation. Boxed so the promise plumbing is compiled once, not once per
/// method: that alone keeps tens of KB out of the wasm.
pub type Op = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

pub struct Queue {
    /// Settles when the last queued operation has; never rejects.
    tail: RefCell<Promise>,
    ignore: Closure<dyn FnMut(JsValue)>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queue")
    }
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            tail: RefCell::new(Promise::resolve(&JsValue::UNDEFINED)),
            ignore: Closure::new(|_: JsValue| {}),
        }
    }
}

impl Queue {
    /// Runs `op` once everything queued before it has settled; the promise settles with it.
    pub fn run(&self, op: Op) -> Promise {
        let previous = self.tail.borrow().clone();
        let promise = future_to_promise(async move {
            // The tail never rejects, so this only waits.
            let _ = JsFuture::from(previous).await;
            op.await
        });
        // A failure belongs to the caller's promise; the chain goes on regardless.
        *self.tail.borrow_mut() = promise.catch(&self.ignore);
        promise
    }

    /// Settles when everything queued so far has.
    pub fn idle(&self) -> Promise {
        self.tail.borrow().clone()
    }
}

//! Futures over IndexedDB's events. A request or transaction reports by events; this turns
//! "the first of these events fired" into a future, and removes its listeners when dropped.
//!
//! Continuations run as microtasks inside the event's dispatch, while the transaction is
//! still active, so a write can read, decide and then put within one transaction.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use sextant_core::{Error, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DomException, EventTarget, IdbRequest, IdbRequestReadyState, IdbTransaction};

#[derive(Default)]
struct Shared {
    fired: Option<&'static str>,
    waker: Option<Waker>,
}

/// An event name and the callback listening for it.
type Listener = (&'static str, Closure<dyn FnMut()>);

/// Resolves with the name of the first of its events to fire on a target.
pub struct EventFuture {
    shared: Rc<RefCell<Shared>>,
    target: EventTarget,
    listeners: Vec<Listener>,
}

impl std::fmt::Debug for EventFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventFuture")
            .field(
                "events",
                &self.listeners.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl EventFuture {
    pub fn new(target: &EventTarget, events: &[&'static str]) -> Result<Self> {
        let shared = Rc::new(RefCell::new(Shared::default()));
        let mut listeners = Vec::with_capacity(events.len());
        for &name in events {
            let state = shared.clone();
            let callback = Closure::<dyn FnMut()>::new(move || {
                let mut s = state.borrow_mut();
                if s.fired.is_none() {
                    s.fired = Some(name);
                    if let Some(w) = s.waker.take() {
                        w.wake();
                    }
                }
            });
            target
                .add_event_listener_with_callback(name, callback.as_ref().unchecked_ref())
                .map_err(|e| js_failure("listening for IndexedDB events", &e))?;
            listeners.push((name, callback));
        }
        Ok(EventFuture {
            shared,
            target: target.clone(),
            listeners,
        })
    }
}

impl Future for EventFuture {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let mut s = self.shared.borrow_mut();
        match s.fired {
            Some(name) => Poll::Ready(name),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for EventFuture {
    fn drop(&mut self) {
        for (name, callback) in &self.listeners {
            // Removing a listener cannot fail for a live target; nothing to do if it did.
            let _ = self
                .target
                .remove_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
        }
    }
}

/// The request's result once it is done; an error aborts the transaction it belongs to.
pub async fn result(req: &IdbRequest, context: &str) -> Result<JsValue> {
    if req.ready_state() != IdbRequestReadyState::Done {
        EventFuture::new(req, &["success", "error"])?.await;
    }
    if let Ok(Some(e)) = req.error() {
        return Err(dom_failure(context, &e));
    }
    req.result().map_err(|e| js_failure(context, &e))
}

/// Waits for a transaction to commit; an abort reports the error that caused it.
pub async fn committed(tx: &IdbTransaction, context: &str) -> Result<()> {
    let outcome = EventFuture::new(tx, &["complete", "abort"])?.await;
    if outcome == "complete" {
        return Ok(());
    }
    Err(match tx.error() {
        Some(e) => dom_failure(context, &e),
        None => Error::storage(format!("IndexedDB {context}: the transaction was aborted")),
    })
}

/// A DOMException from IndexedDB as a core error; a full disk or origin quota is
/// [`Error::QuotaExceeded`].
pub fn dom_failure(context: &str, e: &DomException) -> Error {
    if e.name() == "QuotaExceededError" {
        Error::quota_exceeded(format!(
            "IndexedDB {context}: {}; the write was rolled back and earlier data is intact",
            e.message()
        ))
    } else {
        Error::storage(format!(
            "IndexedDB {context}: {}: {}",
            e.name(),
            e.message()
        ))
    }
}

/// Any thrown JS value as a core error.
pub fn js_failure(context: &str, e: &JsValue) -> Error {
    if let Some(dom) = e.dyn_ref::<DomException>() {
        return dom_failure(context, dom);
    }
    let text = e
        .dyn_ref::<js_sys::Error>()
        .map(|err| String::from(err.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    Error::storage(format!("IndexedDB {context}: {text}"))
}

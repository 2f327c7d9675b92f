//! What makes buffered data durable without the caller asking: a one-shot timer armed by
//! logging (about a second), and platform exit hooks — in browsers `visibilitychange`
//! (hidden: flush) and `pagehide` (flush; leaving for good: fail running experiments, as
//! the contract says of a page that exits), in Node `beforeExit` (the same). The timer is
//! `unref`'d in Node so it never keeps a finished script alive.

use std::rc::Weak;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::Inner;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

fn global_field(name: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn method(target: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(target, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

/// The flush timer: armed by a log call when not already armed.
pub struct Timer {
    handle: std::cell::RefCell<Option<JsValue>>,
    callback: Closure<dyn FnMut()>,
    interval_ms: i32,
}

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timer")
            .field("armed", &self.handle.borrow().is_some())
            .finish()
    }
}

impl Timer {
    pub fn new(inner: Weak<Inner>, interval_ms: i64) -> Timer {
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = inner.upgrade() {
                inner.timer.handle.borrow_mut().take();
                inner.flush_in_background();
            }
        });
        Timer {
            handle: std::cell::RefCell::new(None),
            callback,
            interval_ms: interval_ms.clamp(1, i64::from(i32::MAX)) as i32,
        }
    }

    #[inline]
    pub fn arm(&self) {
        if self.handle.borrow().is_some() {
            return;
        }
        let handle = set_timeout(self.callback.as_ref().unchecked_ref(), self.interval_ms);
        if let Some(unref) = method(&handle, "unref") {
            let _ = unref.call0(&handle);
        }
        *self.handle.borrow_mut() = Some(handle);
    }

    pub fn disarm(&self) {
        if let Some(handle) = self.handle.borrow_mut().take() {
            clear_timeout(&handle);
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// One installed listener: its target, the method that removes it, the event, the callback.
type Listener = (
    JsValue,
    &'static str,
    &'static str,
    Closure<dyn FnMut(JsValue)>,
);

/// Listeners on the page or the Node process, removed when dropped.
pub struct ExitHooks {
    listeners: Vec<Listener>,
}

impl std::fmt::Debug for ExitHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.listeners.iter().map(|(_, _, event, _)| event))
            .finish()
    }
}

impl ExitHooks {
    pub fn install(inner: Weak<Inner>) -> ExitHooks {
        let mut hooks = ExitHooks {
            listeners: Vec::new(),
        };
        let document = global_field("document");
        let process = global_field("process");
        if document.is_object() {
            let target = js_sys::global().into();
            let weak = inner.clone();
            hooks.listen(
                &document,
                "addEventListener",
                "removeEventListener",
                "visibilitychange",
                move |_| {
                    let hidden = Reflect::get(
                        &global_field("document"),
                        &JsValue::from_str("visibilityState"),
                    )
                    .ok()
                    .and_then(|s| s.as_string())
                    .is_some_and(|s| s == "hidden");
                    if let (true, Some(inner)) = (hidden, weak.upgrade()) {
                        inner.flush_in_background();
                    }
                },
            );
            hooks.listen(
                &target,
                "addEventListener",
                "removeEventListener",
                "pagehide",
                move |event| {
                    let Some(inner) = inner.upgrade() else { return };
                    // `persisted`: the page may come back from the back/forward cache.
                    let persisted = Reflect::get(&event, &JsValue::from_str("persisted"))
                        .ok()
                        .and_then(|p| p.as_bool())
                        .unwrap_or(false);
                    if persisted {
                        inner.flush_in_background();
                    } else {
                        inner.page_closing();
                    }
                },
            );
        } else if method(&process, "once").is_some() {
            hooks.listen(
                &process,
                "once",
                "removeListener",
                "beforeExit",
                move |_| {
                    if let Some(inner) = inner.upgrade() {
                        inner.fail_open_in_background();
                    }
                },
            );
        }
        hooks
    }

    fn listen(
        &mut self,
        target: &JsValue,
        add: &'static str,
        remove: &'static str,
        event: &'static str,
        handler: impl FnMut(JsValue) + 'static,
    ) {
        let Some(add_fn) = method(target, add) else {
            return;
        };
        let callback = Closure::<dyn FnMut(JsValue)>::new(handler);
        if add_fn
            .call2(target, &JsValue::from_str(event), callback.as_ref())
            .is_ok()
        {
            self.listeners
                .push((target.clone(), remove, event, callback));
        }
    }
}

impl Drop for ExitHooks {
    fn drop(&mut self) {
        for (target, remove, event, callback) in &self.listeners {
            if let Some(f) = method(target, remove) {
                let _ = f.call2(target, &JsValue::from_str(event), callback.as_ref());
            }
        }
    }
}

//! `ExperimentTracker`, the class wasm-bindgen exports: the tracker contract
//! (tracker-api.md) in camelCase, with an options object for optional arguments. Logging
//! is synchronous and only buffers; everything async goes through one [`queue::Queue`],
//! so flushes never overlap. The hand-written TypeScript types are in www/index.d.ts.

mod durability;
mod error;
mod evals;
mod hooks;
mod input;
mod logging;
mod output;
mod queue;
mod reads;
mod snapshot;
mod wal;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use js_sys::Promise;
use sextant_core::{Error, Status, Tracker};
use wasm_bindgen::prelude::*;

use crate::env::JsEnv;
use error::{to_js, IntoJs};
pub use snapshot::{install_snapshot_codec, SnapshotCodec};

/// State shared by the JS object, its timer, its exit hooks and queued operations.
pub(crate) struct Inner {
    tracker: Tracker,
    /// Metric keys the JS fast path refers to by number (see `internKey`).
    keys: RefCell<Vec<String>>,
    queue: queue::Queue,
    timer: hooks::Timer,
    hooks: RefCell<Option<hooks::ExitHooks>>,
    /// A background flush is queued and has not started: do not queue another.
    flush_queued: Cell<bool>,
    closed: Cell<bool>,
    /// Called with the error of a flush nobody awaited (`tracker.onError`); else a warning.
    on_error: RefCell<Option<js_sys::Function>>,
    /// The experiment this tracker ended last: reads without an id use it while no
    /// experiment is current.
    last_ended: RefCell<Option<String>>,
    report: Closure<dyn FnMut(JsValue)>,
}

impl Inner {
    #[inline]
    fn after_log(self: &Rc<Self>, flush_due: bool) {
        if flush_due {
            self.flush_in_background();
        } else {
            self.timer.arm();
        }
    }

    /// Queues a flush whose failure goes to `onError` (or the console) rather than to a
    /// caller: transient failures are retried by the next flush, data refused for good was
    /// dropped and the error says how much.
    pub(crate) fn flush_in_background(self: &Rc<Self>) {
        if self.flush_queued.replace(true) {
            return;
        }
        let inner = self.clone();
        let promise = self.queue.run(Box::pin(async move {
            inner.flush_queued.set(false);
            inner.tracker.flush().await.map_err(|e| inner.error(&e))?;
            Ok(JsValue::UNDEFINED)
        }));
        let _ = promise.catch(&self.report);
    }

    /// What happens when the page or process goes away: running experiments fail.
    pub(crate) fn fail_open_in_background(self: &Rc<Self>) {
        let inner = self.clone();
        let promise = self.queue.run(Box::pin(async move {
            inner
                .tracker
                .close_all(Status::Failed)
                .await
                .map_err(|e| inner.error(&e))?;
            inner.tracker.flush().await.map_err(|e| inner.error(&e))?;
            Ok(JsValue::UNDEFINED)
        }));
        let _ = promise.catch(&self.report);
    }

    /// A page is being unloaded: save synchronously what an async store could not finish
    /// writing (see `wal`), with running experiments marked failed; otherwise, or when it
    /// does not fit, fail them through the queue as far as the page allows.
    pub(crate) fn page_closing(self: &Rc<Self>) {
        let location = self.tracker.store().location();
        if !wal::needed(&location) {
            self.fail_open_in_background();
            return;
        }
        let batch = self.tracker.write_ahead(Status::Failed);
        if wal::save(&location, &batch) {
            return;
        }
        let inner = self.clone();
        let promise = self.queue.run(Box::pin(async move {
            inner
                .tracker
                .store()
                .write(&batch)
                .await
                .map_err(|e| inner.error(&e))?;
            Ok(JsValue::UNDEFINED)
        }));
        let _ = promise.catch(&self.report);
    }

    /// The JS error for a core error, with what flushes dropped since the last report.
    pub(crate) fn error(&self, e: &Error) -> JsValue {
        durability::with_dropped(to_js(e), self.tracker.take_dropped())
    }

    /// The experiment a read without an id is about: none (the core uses the current
    /// one) while one is current, else the one ended last.
    fn default_read_id(&self, id: Option<String>) -> Option<String> {
        if id.is_some() || self.tracker.current_experiment().is_some() {
            return id;
        }
        self.last_ended.borrow().clone()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.timer.disarm();
    }
}

/// Tracks experiments into a store. Create with `await ExperimentTracker.open(connection)`.
#[wasm_bindgen]
pub struct ExperimentTracker {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for ExperimentTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExperimentTracker")
            .field("store", &self.inner.tracker.store())
            .finish()
    }
}

/// A rejected promise for an error found before anything was queued.
fn rejected(e: &Error) -> Promise {
    Promise::reject(&to_js(e))
}

fn done() -> Result<JsValue, JsValue> {
    Ok(JsValue::UNDEFINED)
}

fn unknown_key(key: u32) -> JsValue {
    to_js(&Error::InvalidInput {
        what: "metric key number",
        value: key.to_string(),
        reason: "was not interned by this tracker".into(),
    })
}

#[wasm_bindgen]
impl ExperimentTracker {
    /// Opens the store a connection string names (`idb://NAME`, `localstorage://PREFIX`,
    /// `memory://`, and in Node `sqlite://DIR`); in Node, none means
    /// `sqlite://./experiments`, as natively.
    #[wasm_bindgen(js_name = open)]
    pub async fn open(connection: JsValue) -> Result<ExperimentTracker, JsValue> {
        let connection = match (
            input::opt_string(&connection, "connection string").js()?,
            crate::DEFAULT_CONNECTION,
        ) {
            (Some(c), _) => c,
            (None, Some(default)) => default.to_string(),
            (None, None) => {
                return Err(to_js(&Error::InvalidInput {
                    what: "connection string",
                    value: String::new(),
                    reason:
                        "is needed in a browser: idb://NAME, localstorage://PREFIX or memory://"
                            .into(),
                }))
            }
        };
        let store = crate::registry().open(&connection).await.js()?;
        if wal::needed(&store.location()) {
            // What pages closed before their writes finished left behind.
            if let Err(e) = wal::replay(store.as_ref()).await {
                web_sys::console::warn_2(
                    &JsValue::from_str(
                        "sextant: data saved by a closed page could not be restored yet:",
                    ),
                    &to_js(&e),
                );
            }
        }
        Ok(Self::with_store(store))
    }

    /// `store.location`: the connection string the store was opened with.
    #[wasm_bindgen(getter)]
    pub fn location(&self) -> String {
        self.inner.tracker.store().location()
    }

    /// The current experiment's id, or `null`.
    #[wasm_bindgen(getter = currentExperiment)]
    pub fn current_experiment(&self) -> JsValue {
        self.inner
            .tracker
            .current_experiment()
            .map_or(JsValue::NULL, |id| JsValue::from_str(&id))
    }

    // ---- durability ----

    /// Makes everything logged so far durable.
    pub fn flush(&self) -> Promise {
        if let Err(e) = self.usable() {
            return rejected(&e);
        }
        self.run(|inner| async move {
            inner.tracker.flush().await.map_err(|e| inner.error(&e))?;
            done()
        })
    }

    /// Flushes, then stops the timer and exit hooks; the tracker is unusable afterwards.
    /// Running experiments stay running (end them first).
    pub fn close(&self) -> Promise {
        if self.inner.closed.replace(true) {
            return self.inner.queue.idle();
        }
        self.inner.timer.disarm();
        self.inner.hooks.borrow_mut().take();
        self.run(|inner| async move {
            inner.tracker.flush().await.map_err(|e| inner.error(&e))?;
            done()
        })
    }
}

/// Aborts the instance (a wasm trap), so tests can check what the package does after a
/// crash (www/scripts/guard.js). Not part of the API.
#[wasm_bindgen(js_name = __sextantAbortForTests)]
pub fn abort_for_tests() {
    std::process::abort();
}

/// A tracker sharing the inner state, for queued closures that need `&Tracker`.
#[derive(Clone)]
struct TrackerRef(Rc<Inner>);

impl std::ops::Deref for TrackerRef {
    type Target = Tracker;
    fn deref(&self) -> &Tracker {
        &self.0.tracker
    }
}

impl TrackerRef {
    /// `id`, or the experiment ended last when none is given and none is current.
    fn or_last(&self, id: Option<String>) -> Option<String> {
        self.0.default_read_id(id)
    }
}

impl ExperimentTracker {
    /// Wraps a store (tests use this to skip the registry).
    pub fn with_store(store: Arc<dyn sextant_core::Store>) -> ExperimentTracker {
        let location = store.location();
        let tracker = Tracker::new(store, Arc::new(JsEnv));
        // A browser's storage quota does not free itself: what does not fit is dropped and
        // reported rather than retried (and appended to) forever. A disk (sqlite://) may be.
        tracker.set_full_store_final(
            location.starts_with("localstorage://") || location.starts_with("idb://"),
        );
        let interval = tracker.policy().interval_ms;
        let inner = Rc::new_cyclic(|weak| Inner {
            tracker,
            keys: RefCell::new(Vec::new()),
            queue: queue::Queue::default(),
            timer: hooks::Timer::new(weak.clone(), interval),
            hooks: RefCell::new(None),
            flush_queued: Cell::new(false),
            closed: Cell::new(false),
            on_error: RefCell::new(None),
            last_ended: RefCell::new(None),
            report: {
                let weak = weak.clone();
                Closure::new(move |e: JsValue| {
                    if let Some(inner) = weak.upgrade() {
                        durability::report(&inner, &e);
                    }
                })
            },
        });
        *inner.hooks.borrow_mut() = Some(hooks::ExitHooks::install(Rc::downgrade(&inner)));
        ExperimentTracker { inner }
    }

    fn usable(&self) -> sextant_core::Result<()> {
        if self.inner.closed.get() {
            return Err(Error::storage(format!(
                "this ExperimentTracker ({}) was closed",
                self.inner.tracker.store().location()
            )));
        }
        Ok(())
    }

    fn option_id(&self, options: &JsValue) -> sextant_core::Result<Option<String>> {
        input::options(options, "option", &["experimentId"])?;
        input::option_experiment_id(options)
    }

    fn run<F, Fut>(&self, op: F) -> Promise
    where
        F: FnOnce(Rc<Inner>) -> Fut,
        Fut: Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        self.inner.queue.run(Box::pin(op(self.inner.clone())))
    }

    /// Queues a core call whose result becomes the promise's value.
    fn read<F, Fut>(&self, op: F) -> Promise
    where
        F: FnOnce(TrackerRef) -> Fut,
        Fut: Future<Output = sextant_core::Result<JsValue>> + 'static,
    {
        if let Err(e) = self.usable() {
            return rejected(&e);
        }
        let fut: Pin<Box<dyn Future<Output = sextant_core::Result<JsValue>>>> =
            Box::pin(op(TrackerRef(self.inner.clone())));
        let inner = self.inner.clone();
        self.inner.queue.run(Box::pin(
            async move { fut.await.map_err(|e| inner.error(&e)) },
        ))
    }

    fn finish(&self, experiment_id: JsValue, status: Status) -> Promise {
        let id = match self
            .usable()
            .and_then(|()| input::experiment_id(&experiment_id))
        {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.run(|inner| async move {
            let id = match id {
                Some(id) => id,
                None => inner
                    .tracker
                    .current_experiment()
                    .ok_or_else(|| to_js(&Error::NoActiveExperiment))?,
            };
            let was_open = inner.tracker.open_experiments().contains(&id);
            let result = match status {
                Status::Failed => inner.tracker.fail_experiment(Some(&id)).await,
                _ => inner.tracker.end_experiment(Some(&id)).await,
            };
            // Ended even when data refused for good was dropped on the way (the error says).
            if was_open && !inner.tracker.open_experiments().contains(&id) {
                *inner.last_ended.borrow_mut() = Some(id);
            }
            result.map_err(|e| inner.error(&e))?;
            done()
        })
    }
}

//! Serialized access to the store, and the thread that flushes the buffer on a timer.

use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use sextant_core::{Error, Result, Tracker};

/// The core tracker plus the lock that keeps its store work one-at-a-time: the core requires
/// that no two flushes overlap, and every read and end flushes first.
#[derive(Debug)]
pub(crate) struct Shared {
    pub tracker: Arc<Tracker>,
    io: Mutex<()>,
    /// A background or size-triggered flush whose batch the store refused for good
    /// (so the data is lost); reported by the next explicit flush, end or fail.
    deferred: Mutex<Option<Error>>,
}

impl Shared {
    pub fn new(tracker: Tracker) -> Self {
        Shared {
            tracker: Arc::new(tracker),
            io: Mutex::new(()),
            deferred: Mutex::new(None),
        }
    }

    /// Runs one store operation to completion while holding the I/O lock. The native
    /// stores' futures finish without waiting, so blocking on them costs nothing.
    pub fn run<'a, F: Future>(&'a self, op: impl FnOnce(&'a Tracker) -> F) -> F::Output {
        // The guard protects no data, so a panic elsewhere does not make it unusable.
        let _guard = self.io.lock().unwrap_or_else(PoisonError::into_inner);
        pollster::block_on(op(self.tracker.as_ref()))
    }

    /// A flush nobody is waiting on: failures that lost data (the core drops what a store
    /// refuses for good, a full store included) are kept for the next explicit call;
    /// transient ones are retried by the core on the next flush.
    pub fn flush_quietly(&self) {
        if let Err(e) = self.run(Tracker::flush) {
            if !e.is_transient() {
                let mut slot = self.deferred.lock().unwrap_or_else(PoisonError::into_inner);
                slot.get_or_insert(e);
            }
        }
    }

    /// Passes `result` through, unless an earlier quiet flush lost data: then that error.
    pub fn with_deferred<T>(&self, result: Result<T>) -> Result<T> {
        let value = result?;
        match self.take_deferred() {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }

    pub fn take_deferred(&self) -> Option<Error> {
        self.deferred
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// What the flush thread can be told.
#[derive(Debug)]
enum Wake {
    /// The buffer is full: write it now, while the caller keeps logging.
    Flush,
    Stop,
}

/// The background flush thread. It wakes every `tick`, flushes when the core says a flush
/// is due or when nudged, and stops as soon as it is told to (a channel, so dropping a
/// tracker is quick).
#[derive(Debug)]
pub(crate) struct Flusher {
    wake: Sender<Wake>,
    handle: JoinHandle<()>,
}

impl Flusher {
    /// Starts the thread; `None` if the OS refuses one (then flushes happen only at size,
    /// on `flush()`, and at end).
    pub fn spawn(shared: Arc<Shared>, tick: Duration) -> Option<Flusher> {
        let (wake, woken) = mpsc::channel::<Wake>();
        let handle = std::thread::Builder::new()
            .name("sextant-flush".into())
            .spawn(move || loop {
                match woken.recv_timeout(tick) {
                    Ok(Wake::Flush) => shared.flush_quietly(),
                    Err(RecvTimeoutError::Timeout) => {
                        if shared.tracker.flush_due() {
                            shared.flush_quietly();
                        }
                    }
                    Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                }
            });
        match handle {
            Ok(handle) => Some(Flusher { wake, handle }),
            Err(e) => {
                eprintln!("sextant: cannot start the background flush thread ({e}); data is made durable at flush() and at end only");
                None
            }
        }
    }

    /// Asks for a flush on the thread; false if the thread is gone.
    pub fn nudge(&self) -> bool {
        self.wake.send(Wake::Flush).is_ok()
    }

    /// Stops the thread and waits for it (at most one flush in progress).
    pub fn stop(self) {
        let _ = self.wake.send(Wake::Stop);
        if self.handle.join().is_err() {
            eprintln!("sextant: the background flush thread panicked");
        }
    }
}

/// How often the thread looks at the buffer: a fifth of the flush interval, 10–200 ms.
pub(crate) fn tick_for(interval_ms: i64) -> Duration {
    let ms = (interval_ms / 5).clamp(10, 200);
    Duration::from_millis(ms.unsigned_abs())
}

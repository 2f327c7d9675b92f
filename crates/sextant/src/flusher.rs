//! Serialized access to the store, and the thread that flushes the buffer on a timer.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Background flushes run, for the tests.
    #[cfg(test)]
    quiet_flushes: std::sync::atomic::AtomicUsize,
}

impl Shared {
    pub fn new(tracker: Tracker) -> Self {
        Shared {
            tracker: Arc::new(tracker),
            io: Mutex::new(()),
            deferred: Mutex::new(None),
            #[cfg(test)]
            quiet_flushes: std::sync::atomic::AtomicUsize::new(0),
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
        #[cfg(test)]
        self.quiet_flushes.fetch_add(1, Ordering::Relaxed);
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
    /// A nudge is queued and its flush has not started. While the thread writes one
    /// buffer the next one fills, and every log call until the write ends finds the
    /// buffer full: without this, each sent a message (one per point, tens of thousands
    /// per write) and the thread then ran a flush for each, writing tiny batches.
    pending: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl Flusher {
    /// Starts the thread; `None` if the OS refuses one (then flushes happen only at size,
    /// on `flush()`, and at end).
    pub fn spawn(shared: Arc<Shared>, tick: Duration) -> Option<Flusher> {
        let (wake, woken) = mpsc::channel::<Wake>();
        let pending = Arc::new(AtomicBool::new(false));
        let asked = pending.clone();
        let handle = std::thread::Builder::new()
            .name("sextant-flush".into())
            .spawn(move || loop {
                match woken.recv_timeout(tick) {
                    Ok(Wake::Flush) => {
                        // Cleared before the flush drains the buffer: what is logged after
                        // the drain needs (and gets) a nudge of its own.
                        asked.store(false, Ordering::Release);
                        shared.flush_quietly();
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if shared.tracker.flush_due() {
                            shared.flush_quietly();
                        }
                    }
                    Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                }
            });
        match handle {
            Ok(handle) => Some(Flusher {
                wake,
                pending,
                handle,
            }),
            Err(e) => {
                eprintln!("sextant: cannot start the background flush thread ({e}); data is made durable at flush() and at end only");
                None
            }
        }
    }

    /// Asks for a flush on the thread, unless one is already asked for and not yet
    /// started; false if the thread is gone.
    pub fn nudge(&self) -> bool {
        if self.pending.swap(true, Ordering::AcqRel) {
            return true;
        }
        let sent = self.wake.send(Wake::Flush).is_ok();
        if !sent {
            self.pending.store(false, Ordering::Release);
        }
        sent
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

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::{FlushPolicy, MemoryStore};

    /// While the thread is held up (behind a long write), every log call that finds the
    /// buffer full nudges it; those nudges must cost one flush, not one each.
    #[test]
    fn nudges_while_the_thread_is_busy_become_one_flush() {
        let policy = FlushPolicy {
            max_buffered_points: 10,
            interval_ms: 3_600_000,
        };
        let tracker = Tracker::with_policy(
            Arc::new(MemoryStore::new()),
            Arc::new(sextant_native::SystemEnv),
            policy,
        );
        let shared = Arc::new(Shared::new(tracker));
        let Some(flusher) = Flusher::spawn(shared.clone(), Duration::from_secs(3600)) else {
            panic!("no flush thread");
        };
        {
            let _writing = shared.io.lock().unwrap_or_else(PoisonError::into_inner);
            for _ in 0..1000 {
                assert!(flusher.nudge());
            }
            // The thread takes the first nudge and waits for the lock, as behind a write.
            std::thread::sleep(Duration::from_millis(50));
            for _ in 0..1000 {
                assert!(flusher.nudge());
            }
        }
        // Stop is queued behind every nudge sent, so joining runs all their flushes.
        flusher.stop();
        let flushes = shared.quiet_flushes.load(Ordering::Relaxed);
        assert!(
            (1..=2).contains(&flushes),
            "2,000 nudges ran {flushes} flushes"
        );
    }
}

//! Group commit for `POST /api/batch` on stores that write one batch at a time (SQLite):
//! batches that arrive while a write runs go to the store together in the next write, so
//! eight clients sending 1,000-point batches pay one transaction (its commits and the
//! caches' update) per group instead of one per batch. A group the store refuses is
//! written again batch by batch, so every request still gets its own all-or-nothing answer.

use std::sync::Arc;

use sextant_core::{Batch, Error, Result, Store};
use tokio::sync::{mpsc, oneshot};

/// A group closes at this many points or batches, whichever comes first: bigger groups
/// save little and hold the first request's answer longer.
const GROUP_POINTS: usize = 50_000;
const GROUP_BATCHES: usize = 64;

struct Job {
    batch: Batch,
    reply: oneshot::Sender<(Batch, Result<()>)>,
}

/// The queue in front of one store; its writer task lives as long as the queue.
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("records", &self.batch.records.len())
            .finish()
    }
}

impl GroupWriter {
    /// Starts the writer task (needs a tokio runtime).
    pub(crate) fn start(store: Arc<dyn Store>) -> GroupWriter {
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, rx));
        GroupWriter { jobs }
    }

    /// Writes `batch` (validated) with whatever else is waiting; gives it back, for the
    /// change events, with the store's answer for it.
    pub(crate) async fn write(&self, batch: Batch) -> (Option<Batch>, Result<()>) {
        let (reply, answer) = oneshot::channel();
        if let Err(e) = self.jobs.send(Job { batch, reply }) {
            return (
                Some(e.0.batch),
                Err(Error::storage("the write queue has stopped")),
            );
        }
        match answer.await {
            Ok((batch, result)) => (Some(batch), result),
            Err(_) => (
                None,
                Err(Error::storage("the write was lost: its writer stopped")),
            ),
        }
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut points = first.batch.point_count();
        let mut jobs = vec![first];
        while jobs.len() < GROUP_BATCHES && points < GROUP_POINTS {
            match rx.try_recv() {
                Ok(job) => {
                    points += job.batch.point_count();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let store = store.clone();
        // The store blocks (SQLite): off the async workers. A panic there drops the
        // replies, which their requests report as a lost write.
        let _ = tokio::task::spawn_blocking(move || write_group(store.as_ref(), jobs)).await;
    }
}

fn write_group(store: &dyn Store, jobs: Vec<Job>) {
    let (batches, replies): (Vec<Batch>, Vec<_>) =
        jobs.into_iter().map(|j| (j.batch, j.reply)).unzip();
    if batches.len() == 1 {
        for (batch, reply) in batches.into_iter().zip(replies) {
            let result = pollster::block_on(store.write(&batch));
            let _ = reply.send((batch, result));
        }
        return;
    }
    let lens: Vec<usize> = batches.iter().map(|b| b.records.len()).collect();
    let merged = Batch {
        records: batches.into_iter().flat_map(|b| b.records).collect(),
    };
    let together = pollster::block_on(store.write(&merged));
    let mut records = merged.records.into_iter();
    for (len, reply) in lens.into_iter().zip(replies) {
        let batch = Batch {
            records: records.by_ref().take(len).collect(),
        };
        // Nothing of a refused group landed: each batch then gets its own answer.
        let result = match &together {
            Ok(()) => Ok(()),
            Err(_) => pollster::block_on(store.write(&batch)),
        };
        let _ = reply.send((batch, result));
    }
}

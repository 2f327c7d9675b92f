//! Group commit: on a store that writes one batch at a time, batches posted while a write
//! runs share the next write. Many clients at once must each get their own answer — a bad
//! batch its error, the others 204 — and every acknowledged point must be stored once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sextant_core::{
    AttachmentInfo, Batch, Error, ExperimentInfo, ExperimentUpdate, GroupInfo, MetricPoint,
    MetricSummary, ModelInfo, NewExperiment, Record, Span, StepRange, Store,
};
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

/// SQLite, made slow to write (so requests pile up behind a write), remembering the
/// most records one successful write carried.
#[derive(Debug)]
struct SlowStore {
    inner: SqliteStore,
    widest: AtomicUsize,
}

#[async_trait::async_trait]
impl Store for SlowStore {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn writes_one_at_a_time(&self) -> bool {
        true
    }
    async fn write(&self, batch: &Batch) -> Result<(), Error> {
        std::thread::sleep(Duration::from_millis(40));
        self.inner.write(batch).await?;
        self.widest
            .fetch_max(batch.records.len(), Ordering::Relaxed);
        Ok(())
    }
    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>, Error> {
        self.inner.list_experiments().await
    }
    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo, Error> {
        self.inner.get_experiment(id).await
    }
    async fn list_groups(&self) -> Result<Vec<GroupInfo>, Error> {
        self.inner.list_groups().await
    }
    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>, Error> {
        self.inner.list_metrics(id).await
    }
    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        r: StepRange,
    ) -> Result<Vec<MetricPoint>, Error> {
        self.inner.metric_points(id, key, r).await
    }
    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>, Error> {
        self.inner.list_attachments(id).await
    }
    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>, Error> {
        self.inner.get_attachment(id, name).await
    }
    async fn list_spans(&self, id: &str, trace: Option<&str>) -> Result<Vec<Span>, Error> {
        self.inner.list_spans(id, trace).await
    }
    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>, Error> {
        self.inner.list_models(id).await
    }
    async fn update_experiment(&self, id: &str, u: &ExperimentUpdate) -> Result<(), Error> {
        self.inner.update_experiment(id, u).await
    }
    async fn delete_experiment(&self, id: &str) -> Result<(), Error> {
        self.inner.delete_experiment(id).await
    }
}

fn create(id: &str) -> Record {
    Record::Create(NewExperiment::new(id, id, "g", 1_700_000_000_000))
}

fn metrics(experiment: &str, key: &str, n: i64, scale: f64) -> Record {
    Record::Metrics {
        experiment: experiment.into(),
        key: key.into(),
        points: (0..n)
            .map(|s| MetricPoint {
                step: s,
                value: s as f64 * scale,
                logged_at: 1_700_000_000_000 + s,
            })
            .collect(),
    }
}

fn post(addr: &str, batch: &Batch) -> (u16, String) {
    let body = serde_json::to_vec(batch).unwrap();
    let (status, _, text) = common::raw(
        addr,
        &format!("POST /api/batch HTTP/1.1\nHost: {addr}\nContent-Type: application/json\n"),
        &body,
    );
    (status, text)
}

#[test]
fn concurrent_batches_share_writes_and_keep_their_own_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SlowStore {
        inner: SqliteStore::open(dir.path()).unwrap(),
        widest: AtomicUsize::new(0),
    });
    let addr = common::serve(store.clone(), ServeOptions::default()).to_string();
    let runs = ["r0", "r1", "r2"];
    let (status, text) = post(
        &addr,
        &Batch {
            records: runs.iter().map(|r| create(r)).collect(),
        },
    );
    assert_eq!(status, 204, "{text}");
    // 24 clients with a batch each, two of them bad (an unknown run, a second create).
    let clients: Vec<_> = (0..24)
        .map(|c| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let batch = match c {
                    7 => Batch {
                        records: vec![metrics("missing", "k", 10, 1.0)],
                    },
                    15 => Batch {
                        records: vec![create("r1")],
                    },
                    _ => Batch {
                        records: vec![metrics(runs[c % 3], &format!("k{c}"), 1_000, c as f64)],
                    },
                };
                (c, post(&addr, &batch))
            })
        })
        .collect();
    for client in clients {
        let (c, (status, text)) = client.join().unwrap();
        match c {
            7 => assert!(status == 404 && text.contains("missing"), "{status} {text}"),
            15 => assert!(status == 409 && text.contains("r1"), "{status} {text}"),
            _ => assert_eq!(status, 204, "client {c}: {text}"),
        }
    }
    assert!(
        store.widest.load(Ordering::Relaxed) > 1,
        "no write carried more than one batch"
    );
    for c in (0..24).filter(|c| *c != 7 && *c != 15) {
        let key = format!("k{c}");
        let back =
            pollster::block_on(store.metric_points(runs[c % 3], &key, StepRange::ALL)).unwrap();
        assert_eq!(back.len(), 1_000, "{key}");
        assert!(
            back.iter().all(|p| p.value == p.step as f64 * c as f64),
            "{key}"
        );
    }
    let listed = pollster::block_on(store.list_experiments()).unwrap();
    assert_eq!(listed.len(), 3, "the refused create made nothing");
}

//! Cost of recording one span (enter, a field, exit, close, buffered into the experiment)
//! against the same instrumented code with no subscriber installed, into a store that
//! renders each span's stored text as the SQLite store does (hex ids, attribute JSON) and
//! then discards it. Two ways: flushed by another thread every 2 ms, as the native
//! `ExperimentTracker`'s flush thread does (the cost on the traced thread), and flushed
//! inline every 1,000 spans (all the CPU a span costs, its rendering and freeing at flush
//! included). Beside them, the Registry under a layer that records nothing: what any
//! `tracing-subscriber` layer pays before it does anything (the limit).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sextant_core::{
    AttachmentInfo, Batch, Error, ExperimentInfo, ExperimentUpdate, FlushPolicy, GroupInfo,
    MemoryStore, MetricPoint, MetricSummary, ModelInfo, Record, Span, SpanText, StartOptions,
    StepRange, Store, Tracker,
};
use sextant_native::CoarseClockEnv;
use sextant_tracing::SextantLayer;
use tracing_subscriber::layer::SubscriberExt;

#[tracing::instrument]
fn work(i: u64) -> u64 {
    black_box(i.wrapping_mul(31))
}

/// Keeps experiments (so logging is allowed), renders spans to their stored text (the work
/// a real store does before its insert) and drops everything else, counting the spans it
/// was given (so a variant that lost its spans would show).
#[derive(Debug, Default)]
struct DiscardStore {
    inner: MemoryStore,
    spans: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl Store for DiscardStore {
    fn location(&self) -> String {
        "discard://".into()
    }
    fn takes_span_records(&self) -> bool {
        true
    }

    async fn write(&self, batch: &Batch) -> Result<(), Error> {
        let mut text = SpanText::default();
        for r in &batch.records {
            let n = match r {
                Record::Spans { spans, .. } => spans.len(),
                Record::SpanRecords { spans, .. } => {
                    for s in spans {
                        text.render(s);
                        black_box(&text);
                    }
                    spans.len()
                }
                _ => 0,
            };
            self.spans
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        }
        let kept: Vec<Record> = batch
            .records
            .iter()
            .filter(|r| matches!(r, Record::Create(_) | Record::SetStatus { .. }))
            .cloned()
            .collect();
        self.inner.write(&Batch { records: kept }).await
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

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("span");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function("tracing off (baseline)", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            work(i)
        })
    });
    // The floor for any layer on tracing-subscriber's Registry: the Registry's own span
    // bookkeeping (slab slot, span stack, close) under a layer that records nothing.
    let registry_only = tracing::Dispatch::new(
        tracing_subscriber::registry().with(tracing_subscriber::layer::Identity::new()),
    );
    tracing::dispatcher::with_default(&registry_only, || {
        g.bench_function("Registry alone (the floor for any layer)", |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                work(i)
            })
        });
    });
    let policy = FlushPolicy {
        max_buffered_points: usize::MAX,
        interval_ms: i64::MAX,
    };
    let store = Arc::new(DiscardStore::default());
    let stored = {
        let store = store.clone();
        move || store.spans.load(std::sync::atomic::Ordering::Relaxed)
    };
    let tracker = Arc::new(Tracker::with_policy(
        store.clone(),
        Arc::new(CoarseClockEnv::start()),
        policy,
    ));
    if pollster::block_on(tracker.start_experiment(StartOptions::new())).is_err() {
        return;
    }
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry().with(SextantLayer::new(tracker.clone())),
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flusher = {
        let (tracker, stop) = (tracker.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(2));
                let _ = pollster::block_on(tracker.flush());
            }
        })
    };
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("recorded by SextantLayer, flushed by another thread", |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                work(i)
            })
        });
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = flusher.join();
    let _ = pollster::block_on(tracker.flush());
    eprintln!("spans stored so far: {}", stored());
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("recorded by SextantLayer, flushed inline", |b| {
            // Counted across samples: a sample of fewer than 1,000 spans must still pay
            // its share of flushes.
            let mut recorded = 0u64;
            b.iter_custom(|iters| {
                let start = std::time::Instant::now();
                for i in 0..iters {
                    work(i);
                    recorded += 1;
                    if recorded % 1000 == 0 {
                        let _ = pollster::block_on(tracker.flush());
                    }
                }
                start.elapsed()
            })
        });
    });
    let _ = pollster::block_on(tracker.flush());
    eprintln!("spans stored so far: {}", stored());
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

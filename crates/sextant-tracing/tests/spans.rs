//! `tracing` spans land in the experiment with the right tree, timings and statuses.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sextant_core::{MemoryStore, Span, SpanStatus, StartOptions, TraceState, Tracker};
use sextant_native::SystemEnv;
use sextant_tracing::SextantLayer;
use tracing::instrument;
use tracing_subscriber::layer::SubscriberExt;

fn setup() -> (Arc<Tracker>, tracing::Dispatch) {
    let tracker = Arc::new(Tracker::new(
        Arc::new(MemoryStore::new()),
        Arc::new(SystemEnv),
    ));
    pollster::block_on(tracker.start_experiment(StartOptions::new())).unwrap();
    let subscriber = tracing_subscriber::registry().with(SextantLayer::new(tracker.clone()));
    (tracker, tracing::Dispatch::new(subscriber))
}

fn spans(tracker: &Tracker) -> Vec<Span> {
    let traces = pollster::block_on(tracker.list_traces(None)).unwrap();
    traces
        .iter()
        .flat_map(|t| pollster::block_on(tracker.get_trace(None, &t.trace_id)).unwrap())
        .collect()
}

fn by_name<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name}"))
}

#[instrument]
fn forward(batch: u32) -> u32 {
    std::thread::sleep(std::time::Duration::from_millis(2));
    batch * 2
}

#[instrument]
fn backward(batch: u32) {
    tracing::info!(grad_norm = 0.5, "gradients computed");
}

#[instrument(fields(loss))]
fn train_batch(batch: u32) {
    forward(batch);
    backward(batch);
    tracing::Span::current().record("loss", 0.25);
}

#[instrument]
fn epoch(n: u32) {
    for b in 0..3 {
        train_batch(b);
    }
}

#[test]
fn nested_instrumented_functions_form_one_tree() {
    let (tracker, dispatch) = setup();
    tracing::dispatcher::with_default(&dispatch, || epoch(1));
    let all = spans(&tracker);
    assert_eq!(
        all.len(),
        1 + 3 * 3,
        "epoch, 3 batches, each with forward and backward"
    );
    let root = by_name(&all, "epoch");
    assert!(root.parent_span_id.is_none());
    assert_eq!(root.attributes["n"], 1);
    // Where the span was opened, as OpenTelemetry's code.* attributes.
    assert_eq!(root.attributes["code.namespace"], module_path!());
    assert!(root.attributes["code.filepath"]
        .as_str()
        .is_some_and(|f| f.ends_with("spans.rs")));
    assert!(root.attributes["code.lineno"]
        .as_u64()
        .is_some_and(|l| l > 0));
    assert!(
        all.iter().all(|s| s.trace_id == root.trace_id),
        "one trace per root span"
    );
    let batches: Vec<&Span> = all.iter().filter(|s| s.name == "train_batch").collect();
    assert!(batches
        .iter()
        .all(|b| b.parent_span_id.as_deref() == Some(root.span_id.as_str())));
    assert_eq!(
        batches[0].attributes["loss"], 0.25,
        "recorded later fields are kept"
    );
    for f in all.iter().filter(|s| s.name == "forward") {
        let parent = all
            .iter()
            .find(|p| Some(p.span_id.as_str()) == f.parent_span_id.as_deref())
            .unwrap();
        assert_eq!(parent.name, "train_batch");
        assert!(f.start_time_unix_nano >= parent.start_time_unix_nano);
        assert!(
            f.end_time_unix_nano <= parent.end_time_unix_nano,
            "child inside parent"
        );
        assert!(
            f.end_time_unix_nano - f.start_time_unix_nano >= 2_000_000,
            "timing measured"
        );
    }
    let back = by_name(&all, "backward");
    assert_eq!(back.events.len(), 1);
    assert_eq!(back.events[0].name, "gradients computed");
    assert_eq!(back.events[0].attributes["grad_norm"], 0.5);
    let mut ids: Vec<&str> = all.iter().map(|s| s.span_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "span ids unique");
    let traces = pollster::block_on(tracker.list_traces(None)).unwrap();
    assert_eq!(traces[0].state, TraceState::Ok);
    assert_eq!(traces[0].root_name.as_deref(), Some("epoch"));
}

#[test]
fn an_error_event_marks_the_span_failed() {
    let (tracker, dispatch) = setup();
    tracing::dispatcher::with_default(&dispatch, || {
        let _outer = tracing::info_span!("pipeline").entered();
        let _inner = tracing::info_span!("load").entered();
        tracing::error!(path = "/data/x", "file missing");
    });
    let all = spans(&tracker);
    let load = by_name(&all, "load");
    assert_eq!(load.status, SpanStatus::Error);
    assert_eq!(load.status_message.as_deref(), Some("file missing"));
    assert_eq!(by_name(&all, "pipeline").status, SpanStatus::Ok);
}

/// A future that is pending once, so the span is exited and re-entered across an await.
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[instrument]
async fn fetch(i: u32) -> u32 {
    YieldOnce(false).await;
    std::thread::sleep(std::time::Duration::from_millis(1));
    YieldOnce(false).await;
    i
}

#[instrument]
async fn gather() -> u32 {
    fetch(1).await + fetch(2).await
}

#[test]
fn async_spans_cover_their_awaits() {
    let (tracker, dispatch) = setup();
    let sum = tracing::dispatcher::with_default(&dispatch, || pollster::block_on(gather()));
    assert_eq!(sum, 3);
    let all = spans(&tracker);
    assert_eq!(all.len(), 3);
    let root = by_name(&all, "gather");
    for f in all.iter().filter(|s| s.name == "fetch") {
        assert_eq!(f.parent_span_id.as_deref(), Some(root.span_id.as_str()));
        assert!(f.end_time_unix_nano - f.start_time_unix_nano >= 1_000_000);
    }
}

#[test]
fn spans_on_two_threads_become_two_traces() {
    let (tracker, dispatch) = setup();
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let d = dispatch.clone();
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&d, || {
                    let _s = tracing::info_span!("worker", thread = t).entered();
                    forward(t);
                })
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let traces = pollster::block_on(tracker.list_traces(None)).unwrap();
    assert_eq!(traces.len(), 2);
    assert!(traces
        .iter()
        .all(|t| t.span_count == 2 && t.root_name.as_deref() == Some("worker")));
}

#[test]
fn huge_values_are_truncated_not_fatal() {
    let (tracker, dispatch) = setup();
    let big = "x".repeat(1_000_000);
    tracing::dispatcher::with_default(&dispatch, || {
        let _s = tracing::info_span!("big", payload = big.as_str()).entered();
    });
    let all = spans(&tracker);
    let v = all[0].attributes["payload"].as_str().unwrap();
    assert!(v.len() < 20_000 && v.ends_with("[truncated]"));
}

#[test]
fn llm_spans_get_their_luml_type() {
    let (tracker, dispatch) = setup();
    tracing::dispatcher::with_default(&dispatch, || {
        let _s = tracing::info_span!("ask", "gen_ai.operation.name" = "chat").entered();
    });
    assert_eq!(spans(&tracker)[0].dfs_span_type, 1);
}

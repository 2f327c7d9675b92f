//! The browser stores in headless Chromium (wasm-bindgen-test-runner with webdriver.json):
//! conformance for idb://, localstorage:// and memory://, localStorage running full, the
//! IndexedDB upgrade path and all-or-nothing batches, and the JS tracker's flush queue.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
#![allow(clippy::arc_with_non_send_sync)] // stores are Arc<dyn Store>; wasm is single-threaded

use std::cell::Cell;
use std::sync::Arc;

use sextant_core::{
    conformance, AttachmentInfo, Batch, Env, Error, ExperimentInfo, ExperimentUpdate, GroupInfo,
    MemoryStore, MetricPoint, MetricSummary, ModelInfo, Record, Result, Span, StartOptions,
    StepRange, Store, Tracker,
};
use sextant_web::env::JsEnv;
use sextant_web::idb::{schema, IndexedDbStore};
use sextant_web::js::ExperimentTracker;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn env() -> Arc<dyn Env> {
    Arc::new(JsEnv)
}

/// A name no earlier run or test used.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &JsEnv.new_uuid()[..8])
}

async fn idb(name: &str) -> Arc<dyn Store> {
    Arc::new(IndexedDbStore::open(name, env()).await.unwrap())
}

fn local(prefix: &str) -> Arc<dyn Store> {
    Arc::new(sextant_web::local::open(prefix, env()).unwrap())
}

#[wasm_bindgen_test]
async fn indexeddb_store_conforms() {
    conformance::run_without_evals(env(), || async { idb(&unique("conformance")).await }).await;
}

#[wasm_bindgen_test]
async fn localstorage_store_conforms() {
    conformance::run_without_evals(env(), || async { local(&unique("conformance")) }).await;
    clear_local_storage();
}

#[wasm_bindgen_test]
async fn memory_store_conforms_under_wasm() {
    conformance::run_all(env(), || async {
        Arc::new(MemoryStore::new()) as Arc<dyn Store>
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_registry_opens_every_browser_backend() {
    let registry = sextant_web::registry();
    for conn in [
        "memory://",
        "idb://registry-check",
        "localstorage://registry-check",
    ] {
        let store = registry.open(conn).await.unwrap();
        assert_eq!(store.location(), conn);
    }
    let err = registry.open("file://x").await.unwrap_err();
    assert!(err.to_string().contains("sqlite://DIR"), "{err}");
    // The browser build carries no SQLite: sqlite:// says where it works.
    let err = registry.open("sqlite://x").await.unwrap_err();
    assert!(err.to_string().contains("need Node"), "{err}");
    let err = registry.open("nosuch://x").await.unwrap_err();
    assert!(err.to_string().contains("idb://NAME"), "{err}");
    clear_local_storage();
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn clear_local_storage() {
    storage().clear().unwrap();
}

/// Fills localStorage until only `room` characters are left (roughly).
fn fill_local_storage(room: usize) -> usize {
    let s = storage();
    let mut n = 0;
    let mut size = 1 << 20;
    while size >= room.max(64) {
        let filler = "x".repeat(size);
        if s.set_item(&format!("filler-{n}"), &filler).is_ok() {
            n += 1;
        } else {
            size /= 2;
        }
    }
    n
}

#[wasm_bindgen_test]
async fn a_full_localstorage_fails_cleanly_and_keeps_earlier_data() {
    clear_local_storage();
    let store = local("quota");
    let t = Tracker::new(store.clone(), env());
    // As the JS tracker does for browser storage: a full store is final, not retried.
    t.set_full_store_final(true);
    let id = t
        .start_experiment(StartOptions::new().name("before"))
        .await
        .unwrap();
    for i in 0..2_000 {
        t.log_dynamic("loss", 1.0 / f64::from(i + 1), None, None)
            .unwrap();
    }
    t.flush().await.unwrap();
    let keys_before = snapshot_keys("quota:");
    let fillers = fill_local_storage(2_000);
    assert!(fillers > 0);

    // The store itself: one batch too big for what is left rolls back whole.
    let big = Batch {
        records: (0..50)
            .map(|k| Record::Metrics {
                experiment: id.clone(),
                key: format!("m{k}"),
                points: (0..100)
                    .map(|i| sextant_core::MetricPoint {
                        step: i,
                        value: i as f64 / 7.0,
                        logged_at: 1,
                    })
                    .collect(),
            })
            .collect(),
    };
    let err = store.write(&big).await.unwrap_err();
    assert!(matches!(err, Error::QuotaExceeded { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("localStorage is full") && msg.contains("intact"),
        "{msg}"
    );
    assert_eq!(
        snapshot_keys("quota:"),
        keys_before,
        "the batch was rolled back"
    );

    // The tracker: the flush fails with the quota error, keeps what fits record by record,
    // drops the rest and says how much, and holds nothing back for later flushes.
    for k in 0..50 {
        for i in 0..100 {
            t.log_dynamic(&format!("m{k}"), f64::from(i) / 7.0, None, None)
                .unwrap();
        }
    }
    let err = t.flush().await.unwrap_err();
    assert!(matches!(err, Error::QuotaExceeded { .. }), "{err}");
    let dropped = t.take_dropped();
    assert!(dropped.points > 0, "{dropped:?}");
    assert_eq!(
        t.pending(),
        sextant_core::Dropped::default(),
        "nothing kept"
    );
    let points = store
        .metric_points(&id, "loss", StepRange::ALL)
        .await
        .unwrap();
    assert_eq!(points.len(), 2_000, "earlier data intact");
    let stored: Vec<_> = store.list_metrics(&id).await.unwrap();
    for m in &stored {
        assert!(
            m.key == "loss" || m.count == 100,
            "each record whole: {m:?}"
        );
    }
    assert_eq!(
        (stored.len() - 1) * 100 + dropped.points,
        5_000,
        "stored + dropped = logged"
    );

    // Room again: later data flows, and ending the run works.
    for n in 0..fillers {
        storage().remove_item(&format!("filler-{n}")).unwrap();
    }
    t.log_dynamic("late", 1.0, None, None).unwrap();
    t.flush().await.unwrap();
    t.end_experiment(None).await.unwrap();
    let info = store.get_experiment(&id).await.unwrap();
    assert_eq!(info.status, sextant_core::Status::Completed);
    assert!(info.metrics.contains_key("late"));
    clear_local_storage();
}

/// The JS tracker with localStorage full: flushes reject with `QUOTA_EXCEEDED` and a
/// `dropped` count, background failures reach `onError`, `pending()` stays empty,
/// `endExperiment()` still ends the run, and a later run logs normally.
#[wasm_bindgen_test]
async fn the_js_tracker_is_never_wedged_by_a_full_localstorage() {
    clear_local_storage();
    let tracker = ExperimentTracker::open("localstorage://wedge".into())
        .await
        .unwrap();
    let errors = js_sys::Array::new();
    let sink = errors.clone();
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        sink.push(&e);
    });
    tracker.set_on_error(handler.as_ref().clone()).unwrap();
    let id = JsFuture::from(tracker.start_experiment(obj(&[("name", "full".into())])))
        .await
        .unwrap();
    for i in 0..1_000 {
        tracker
            .log_dynamic("loss".into(), f64::from(i).into(), JsValue::UNDEFINED)
            .unwrap();
    }
    JsFuture::from(tracker.flush()).await.unwrap();
    let fillers = fill_local_storage(2_000);

    let log_many = |prefix: &str| {
        for k in 0..40 {
            for i in 0..100 {
                tracker
                    .log_dynamic(
                        format!("{prefix}{k}").into(),
                        (f64::from(i) / 3.0).into(),
                        JsValue::UNDEFINED,
                    )
                    .unwrap();
            }
        }
    };
    let field = |v: &JsValue, name: &str| js_sys::Reflect::get(v, &name.into()).unwrap();
    log_many("a");
    let err = JsFuture::from(tracker.flush()).await.unwrap_err();
    assert_eq!(field(&err, "code").as_string().unwrap(), "QUOTA_EXCEEDED");
    let dropped = field(&field(&err, "dropped"), "points").as_f64().unwrap();
    assert!(dropped > 0.0, "{dropped}");
    let message = field(&err, "message").as_string().unwrap();
    assert!(message.contains("were dropped"), "{message}");
    assert_eq!(field(&tracker.pending(), "points").as_f64(), Some(0.0));

    // A background flush (the timer) fails the same way, to onError.
    log_many("b");
    sleep(1_500).await;
    assert!(errors.length() >= 1, "onError was called");
    let background = errors.get(0);
    assert_eq!(
        field(&background, "code").as_string().unwrap(),
        "QUOTA_EXCEEDED"
    );

    // The run still ends, and reads of it work.
    let _ = JsFuture::from(tracker.end_experiment(JsValue::UNDEFINED)).await;
    let info = JsFuture::from(tracker.get_experiment(id.clone()))
        .await
        .unwrap();
    assert_eq!(field(&info, "status").as_string().unwrap(), "completed");
    let loss = JsFuture::from(tracker.get_metric_history("loss".into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(
        js_sys::Array::from(&loss).length(),
        1_000,
        "earlier data intact"
    );

    // Room again: a new run logs and reads back normally.
    for n in 0..fillers {
        storage().remove_item(&format!("filler-{n}")).unwrap();
    }
    JsFuture::from(tracker.start_experiment(JsValue::UNDEFINED))
        .await
        .unwrap();
    for i in 0..10 {
        tracker
            .log_dynamic("after".into(), f64::from(i).into(), JsValue::UNDEFINED)
            .unwrap();
    }
    JsFuture::from(tracker.end_experiment(JsValue::UNDEFINED))
        .await
        .unwrap();
    let after = JsFuture::from(tracker.get_metric_history("after".into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(js_sys::Array::from(&after).length(), 10);
    clear_local_storage();
}

fn snapshot_keys(prefix: &str) -> Vec<(String, String)> {
    let s = storage();
    let mut out = Vec::new();
    for i in 0..s.length().unwrap() {
        let key = s.key(i).unwrap().unwrap();
        if key.starts_with(prefix) {
            let value = s.get_item(&key).unwrap().unwrap();
            out.push((key, value));
        }
    }
    out.sort();
    out
}

#[wasm_bindgen_test]
async fn an_older_indexeddb_schema_is_upgraded_with_its_data() {
    let name = unique("upgrade");
    {
        let v1 = IndexedDbStore::open_at(&name, 1, env()).await.unwrap();
        let t = Tracker::new(Arc::new(v1), env());
        t.start_experiment(StartOptions::new().name("old").group("g"))
            .await
            .unwrap();
        t.log_dynamic("loss", 0.5, None, None).unwrap();
        t.end_experiment(None).await.unwrap();
    }
    let current = IndexedDbStore::open(&name, env()).await.unwrap();
    let list = current.list_experiments().await.unwrap();
    assert_eq!(list.len(), 1, "read through the index added in version 2");
    assert_eq!(list[0].name, "old");
    assert_eq!(list[0].metrics.get("loss"), Some(&0.5));
    let groups = current.list_groups().await.unwrap();
    assert_eq!(
        (groups[0].name.as_str(), groups[0].experiment_count),
        ("g", 1)
    );
    drop(current);

    let err = IndexedDbStore::open_at(&name, 1, env()).await.unwrap_err();
    assert!(err.to_string().contains("newer schema"), "{err}");
    assert_eq!(schema::VERSION, 3);
}

#[wasm_bindgen_test]
async fn an_indexeddb_batch_lands_whole_or_not_at_all() {
    let store = idb(&unique("atomic")).await;
    let t = Tracker::new(store.clone(), env());
    let id = t.start_experiment(StartOptions::new()).await.unwrap();
    let point = |step| MetricPoint {
        step,
        value: 1.0,
        logged_at: 1,
    };
    let batch = Batch {
        records: vec![
            Record::Metrics {
                experiment: id.clone(),
                key: "x".into(),
                points: (0..3000).map(point).collect(),
            },
            Record::Params {
                experiment: id.clone(),
                params: vec![("p".into(), 1.into())],
            },
            Record::Metrics {
                experiment: "not-there".into(),
                key: "x".into(),
                points: vec![point(0)],
            },
        ],
    };
    let err = store.write(&batch).await.unwrap_err();
    assert!(matches!(err, Error::ExperimentNotFound(_)), "{err}");
    assert!(store.list_metrics(&id).await.unwrap().is_empty());
    assert!(store.get_experiment(&id).await.unwrap().params.is_empty());
}

/// Counts writes in flight; each write yields to the event loop so overlaps would show.
#[derive(Debug)]
struct Overlap {
    inner: MemoryStore,
    in_flight: Cell<u32>,
    max_in_flight: Cell<u32>,
    writes: Cell<u32>,
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global: web_sys::Window = js_sys::global().unchecked_into();
        global
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

#[async_trait::async_trait(?Send)]
impl Store for Overlap {
    fn location(&self) -> String {
        "overlap://".into()
    }
    async fn write(&self, batch: &Batch) -> Result<()> {
        self.in_flight.set(self.in_flight.get() + 1);
        self.max_in_flight
            .set(self.max_in_flight.get().max(self.in_flight.get()));
        sleep(5).await;
        let r = self.inner.write(batch).await;
        self.in_flight.set(self.in_flight.get() - 1);
        self.writes.set(self.writes.get() + 1);
        r
    }
    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        self.inner.list_experiments().await
    }
    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo> {
        self.inner.get_experiment(id).await
    }
    async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        self.inner.list_groups().await
    }
    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>> {
        self.inner.list_metrics(id).await
    }
    async fn metric_points(&self, id: &str, key: &str, r: StepRange) -> Result<Vec<MetricPoint>> {
        self.inner.metric_points(id, key, r).await
    }
    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        self.inner.list_attachments(id).await
    }
    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        self.inner.get_attachment(id, name).await
    }
    async fn list_spans(&self, id: &str, trace: Option<&str>) -> Result<Vec<Span>> {
        self.inner.list_spans(id, trace).await
    }
    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>> {
        self.inner.list_models(id).await
    }
    async fn update_experiment(&self, id: &str, u: &ExperimentUpdate) -> Result<()> {
        self.inner.update_experiment(id, u).await
    }
    async fn delete_experiment(&self, id: &str) -> Result<()> {
        self.inner.delete_experiment(id).await
    }
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

#[wasm_bindgen_test]
async fn the_js_tracker_never_runs_two_flushes_at_once() {
    let overlap = Arc::new(Overlap {
        inner: MemoryStore::new(),
        in_flight: Cell::new(0),
        max_in_flight: Cell::new(0),
        writes: Cell::new(0),
    });
    let tracker = ExperimentTracker::with_store(overlap.clone());
    let id = JsFuture::from(tracker.start_experiment(obj(&[("name", "q".into())])))
        .await
        .unwrap();
    let mut pending = Vec::new();
    for round in 0..20 {
        for i in 0..50 {
            let step = f64::from(round * 50 + i);
            tracker
                .log_dynamic("loss".into(), step.into(), obj(&[("step", step.into())]))
                .unwrap();
        }
        // Fired without waiting: each must still run after the previous one.
        pending.push(tracker.flush());
        if round % 5 == 0 {
            sleep(1).await;
        }
    }
    for p in pending {
        JsFuture::from(p).await.unwrap();
    }
    // The timer flush may also have run; none overlapped.
    assert_eq!(overlap.max_in_flight.get(), 1);
    assert!(overlap.writes.get() >= 2);
    let points = JsFuture::from(tracker.get_metric_history("loss".into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(js_sys::Array::from(&points).length(), 1000);
    JsFuture::from(tracker.end_experiment(id)).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_js_tracker_rejects_bad_input_with_named_errors() {
    let tracker = ExperimentTracker::with_store(Arc::new(MemoryStore::new()));
    JsFuture::from(tracker.start_experiment(JsValue::UNDEFINED))
        .await
        .unwrap();
    let message = |e: JsValue| -> String {
        js_sys::Reflect::get(&e, &"message".into())
            .unwrap()
            .as_string()
            .unwrap()
    };
    let err = tracker
        .log_dynamic("loss".into(), "0.5".into(), JsValue::UNDEFINED)
        .unwrap_err();
    let text = message(err);
    assert!(
        text.contains("invalid metric value \"0.5\"") && text.contains("not a string"),
        "{text}"
    );
    let err = tracker
        .log_dynamic("loss".into(), 1.0.into(), obj(&[("step", f64::NAN.into())]))
        .unwrap_err();
    let code = js_sys::Reflect::get(&err, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("INVALID_INPUT"));
    let text = message(err);
    assert!(text.contains("invalid step \"NaN\""), "{text}");
    // NaN as a value is fine.
    tracker
        .log_dynamic("loss".into(), f64::NAN.into(), JsValue::UNDEFINED)
        .unwrap();
}

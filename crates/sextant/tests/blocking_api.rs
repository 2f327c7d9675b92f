//! The blocking API over the in-memory store: lifecycle, buffering and the background
//! flush, and what dropping a tracker does to the experiments it left open.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sextant::{
    Error, ExperimentTracker, FlushPolicy, MemoryStore, ParamValue, StartOptions, Status, Store,
};

fn shared_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

#[test]
fn lifecycle_logging_and_reads() {
    let t = ExperimentTracker::new("memory://").unwrap();
    assert!(matches!(
        t.log_dynamic("loss", 1.0, None, None),
        Err(Error::NoActiveExperiment)
    ));
    let id = t
        .start_experiment(
            StartOptions::new()
                .name("baseline")
                .group("mnist")
                .tags(["cnn"]),
        )
        .unwrap();
    assert_eq!(t.current_experiment().as_deref(), Some(id.as_str()));

    t.log_static("lr", 0.001, None).unwrap();
    t.log_static("optimizer", "adamw", None).unwrap();
    let steps: Vec<i64> = [0.9, 0.7, 0.5]
        .iter()
        .map(|v| t.log_dynamic("loss", *v, None, None).unwrap())
        .collect();
    assert_eq!(steps, vec![0, 1, 2], "auto-step counts from 0");
    assert_eq!(t.log_dynamic("loss", 0.6, Some(1), None).unwrap(), 1);
    t.log_dynamics(&[("acc", 0.8), ("f1", 0.7)], Some(10), None)
        .unwrap();
    t.log_dynamic("odd", f64::NAN, None, None).unwrap();

    // Reads see buffered data without an explicit flush (they flush first).
    let history = t.get_metric_history(None, "loss").unwrap();
    let values: Vec<(i64, f64)> = history.iter().map(|p| (p.step, p.value)).collect();
    assert_eq!(
        values,
        vec![(0, 0.9), (1, 0.6), (2, 0.5)],
        "step 1 replaced"
    );
    assert!(t.get_metric_history(None, "odd").unwrap()[0].value.is_nan());
    let keys: Vec<String> = t
        .list_metrics(None)
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["acc", "f1", "loss", "odd"]);
    for i in 0..500 {
        t.log_dynamic("long", f64::from(i % 7), None, None).unwrap();
    }
    let series = t.get_metric_series(None, "long", 50).unwrap();
    assert!(series.len() <= 50 && series.len() > 10, "{}", series.len());
    assert_eq!((series[0].step, series[series.len() - 1].step), (0, 499));

    t.end_experiment(None).unwrap();
    let info = t.get_experiment(Some(&id)).unwrap();
    assert_eq!(info.status, Status::Completed);
    assert!(info.duration.is_some_and(|d| d >= 0.0));
    assert_eq!(info.params.get("lr"), Some(&ParamValue::Float(0.001)));
    assert_eq!(
        (info.name.as_str(), info.group.as_str()),
        ("baseline", "mnist")
    );
    assert!(t.current_experiment().is_none());
    assert!(matches!(
        t.log_dynamic("loss", 1.0, None, Some(&id)),
        Err(Error::ExperimentEnded { .. })
    ));

    let second = t.start("second").unwrap();
    t.fail_experiment(None).unwrap();
    assert_eq!(
        t.get_experiment(Some(&second)).unwrap().status,
        Status::Failed
    );
    let listed: Vec<String> = t
        .list_experiments()
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&"second".to_string()));
    assert_eq!(t.list_groups().unwrap().len(), 2);

    t.delete_experiment(&second).unwrap();
    assert!(matches!(
        t.get_experiment(Some(&second)),
        Err(Error::ExperimentNotFound(_))
    ));
}

#[test]
fn resuming_continues_steps() {
    let store = shared_store();
    let id = {
        let t = ExperimentTracker::with_store(store.clone());
        let id = t.start("resumable").unwrap();
        t.log_dynamic("loss", 1.0, None, None).unwrap();
        t.end_experiment(None).unwrap();
        id
    };
    let t = ExperimentTracker::with_store(store);
    t.start_experiment(StartOptions::new().id(&id)).unwrap();
    assert_eq!(t.get_experiment(None).unwrap().status, Status::Running);
    assert_eq!(t.log_dynamic("loss", 0.5, None, None).unwrap(), 1);
}

#[test]
fn logging_buffers_and_the_background_thread_makes_it_durable() {
    let store = shared_store();
    let writer = ExperimentTracker::with_store(store.clone());
    let reader = ExperimentTracker::with_store(store.clone());
    let id = writer.start("auto-flush").unwrap();
    writer.log_dynamic("loss", 0.25, None, None).unwrap();
    let logged = Instant::now();

    // Logging did not write through: the store has no point yet.
    assert!(reader
        .get_metric_history(Some(&id), "loss")
        .unwrap()
        .is_empty());

    // Without any flush call, the point reaches the store within about a second.
    let points = loop {
        let points = reader.get_metric_history(Some(&id), "loss").unwrap();
        if !points.is_empty() || logged.elapsed() > Duration::from_secs(5) {
            break points;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(points.len(), 1, "background flush never happened");
    assert_eq!(points[0].value, 0.25);
    assert!(
        logged.elapsed() < Duration::from_secs(3),
        "took {:?}",
        logged.elapsed()
    );
    // The experiment is still running: the flush did not end it.
    assert_eq!(
        reader.get_experiment(Some(&id)).unwrap().status,
        Status::Running
    );
}

#[test]
fn a_full_buffer_is_flushed_at_once_not_at_the_interval() {
    let store = shared_store();
    let policy = FlushPolicy {
        max_buffered_points: 10,
        interval_ms: 3_600_000,
    };
    let writer = ExperimentTracker::with_policy(store.clone(), policy);
    let reader = ExperimentTracker::with_store(store);
    let id = writer.start("size-flush").unwrap();
    for i in 0..9 {
        writer.log_dynamic("x", f64::from(i), None, None).unwrap();
    }
    assert!(reader
        .get_metric_history(Some(&id), "x")
        .unwrap()
        .is_empty());
    writer.log_dynamic("x", 9.0, None, None).unwrap();
    // The flush thread writes it while the caller goes on; the hour-long interval plays no part.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while reader.get_metric_history(Some(&id), "x").unwrap().len() < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "full buffer not flushed"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn explicit_flush_makes_data_visible_to_other_handles() {
    let store = shared_store();
    let writer = ExperimentTracker::with_store(store.clone());
    let reader = ExperimentTracker::with_store(store);
    let id = writer.start("flush").unwrap();
    writer.log_static("seed", 7, None).unwrap();
    writer.log_dynamic("loss", 0.5, None, None).unwrap();
    writer.flush().unwrap();
    let info = reader.get_experiment(Some(&id)).unwrap();
    assert_eq!(info.params.get("seed"), Some(&ParamValue::Int(7)));
    assert_eq!(info.metrics.get("loss"), Some(&0.5));
}

#[test]
fn normal_drop_completes_open_experiments() {
    let store = shared_store();
    let id = {
        let t = ExperimentTracker::with_store(store.clone());
        let id = t.start("dropped").unwrap();
        t.log_dynamic("loss", 0.5, None, None).unwrap();
        id
    };
    let info = ExperimentTracker::with_store(store)
        .get_experiment(Some(&id))
        .unwrap();
    assert_eq!(info.status, Status::Completed);
    assert_eq!(
        info.metrics.get("loss"),
        Some(&0.5),
        "buffered data flushed at drop"
    );
}

#[test]
fn drop_during_a_panic_fails_open_experiments() {
    let store = shared_store();
    let mut started = None;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let t = ExperimentTracker::with_store(store.clone());
        started = Some(t.start("doomed").unwrap());
        t.log_dynamic("loss", 0.5, None, None).unwrap();
        panic!("training diverged");
    }));
    assert!(result.is_err());
    let id = started.unwrap();
    let info = ExperimentTracker::with_store(store)
        .get_experiment(Some(&id))
        .unwrap();
    assert_eq!(info.status, Status::Failed);
    assert_eq!(info.metrics.get("loss"), Some(&0.5));
}

#[test]
fn dropping_a_tracker_is_quick() {
    let t = ExperimentTracker::new("memory://").unwrap();
    t.start("quick").unwrap();
    let start = Instant::now();
    drop(t);
    // The flush thread is woken, not waited out.
    assert!(
        start.elapsed() < Duration::from_millis(150),
        "drop took {:?}",
        start.elapsed()
    );
}

#[test]
fn one_tracker_serves_many_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ExperimentTracker>();

    let t = Arc::new(ExperimentTracker::new("memory://").unwrap());
    let id = t.start("threads").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let t = t.clone();
            let id = id.clone();
            std::thread::spawn(move || {
                let key = format!("worker{k}");
                for i in 0..1_000 {
                    t.log_dynamic(&key, f64::from(i), None, Some(&id)).unwrap();
                    if i % 250 == 0 {
                        t.flush().unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for k in 0..4 {
        let points = t.get_metric_history(None, &format!("worker{k}")).unwrap();
        assert_eq!(points.len(), 1_000);
        assert!(points.iter().enumerate().all(|(i, p)| p.step == i as i64));
    }
}

#[test]
fn attachments_bytes_text_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let t = ExperimentTracker::new("memory://").unwrap();
    t.start("files").unwrap();
    t.log_attachment("notes.md", "# hello", None).unwrap();
    t.log_attachment("data/raw.bin", vec![0u8, 159, 146, 150], None)
        .unwrap();
    let file = dir.path().join("weights.txt");
    std::fs::write(&file, b"copied").unwrap();
    t.log_attachment_file("copies/weights.txt", &file, None)
        .unwrap();
    std::fs::write(&file, b"changed later").unwrap();

    assert_eq!(t.get_attachment(None, "notes.md").unwrap(), b"# hello");
    assert_eq!(
        t.get_attachment(None, "data/raw.bin").unwrap(),
        [0u8, 159, 146, 150]
    );
    assert_eq!(
        t.get_attachment(None, "copies/weights.txt").unwrap(),
        b"copied",
        "the file was copied at log time"
    );
    assert_eq!(t.list_attachments(None).unwrap().len(), 3);

    let missing = dir.path().join("nope.bin");
    let err = t.log_attachment_file("x", &missing, None).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("nope.bin") && msg.contains("does not exist"),
        "{msg}"
    );
}

#[test]
fn escaping_attachment_names_are_rejected_and_nothing_is_lost() {
    let t = ExperimentTracker::new("memory://").unwrap();
    common::escaping_names_rejected(&t);
}

#[test]
fn linking_a_missing_model_names_the_path() {
    let t = ExperimentTracker::new("memory://").unwrap();
    t.start("model").unwrap();
    let err = t
        .link_to_model("/no/such/dir/model.luml", None)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("/no/such/dir/model.luml") && msg.contains("does not exist"),
        "{msg}"
    );
    assert!(t.list_models(None).unwrap().is_empty());
}

#[test]
fn spans_are_validated_and_stored() {
    let t = ExperimentTracker::new("memory://").unwrap();
    t.start("trace").unwrap();
    let span = sextant::Span {
        trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
        span_id: "b7ad6b7169203331".into(),
        parent_span_id: None,
        name: "epoch".into(),
        kind: 1,
        dfs_span_type: 0,
        start_time_unix_nano: 1_000,
        end_time_unix_nano: 2_000,
        status: sextant::SpanStatus::Ok,
        status_message: None,
        attributes: Default::default(),
        events: vec![],
        links: vec![],
        trace_flags: None,
    };
    let bad = sextant::Span {
        span_id: "xyz".into(),
        ..span.clone()
    };
    assert!(matches!(
        t.log_span(bad, None),
        Err(Error::InvalidInput { .. })
    ));
    t.log_span(span.clone(), None).unwrap();
    let traces = t.list_traces(None).unwrap();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].root_name.as_deref(), Some("epoch"));
    assert_eq!(t.get_trace(None, &span.trace_id).unwrap(), vec![span]);
}

/// The Rust-shaped API: a run handle with auto-steps, explicit steps and params from any
/// serializable config, landing exactly as the seed-shaped calls would.
#[test]
fn a_run_handle_logs_without_ids_or_steps() {
    #[derive(serde::Serialize)]
    struct Config {
        lr: f64,
        layers: u32,
        optimizer: &'static str,
        schedule: Vec<u32>,
    }
    let t = ExperimentTracker::new("memory://").unwrap();
    let run = t
        .start_run(sextant::StartOptions::new().name("handle"))
        .unwrap();
    let other = t
        .start_run(sextant::StartOptions::new().name("other"))
        .unwrap();
    run.log_params(&Config {
        lr: 1e-3,
        layers: 4,
        optimizer: "adamw",
        schedule: vec![10, 20],
    })
    .unwrap();
    for i in 0..5 {
        assert_eq!(
            run.log_dynamic("loss", 1.0 / f64::from(i + 1)).unwrap(),
            i64::from(i)
        );
    }
    run.log_dynamic_at("acc", 0.9f32, 40).unwrap();
    other.log_dynamic("loss", 7.0).unwrap();
    assert!(
        run.log_params(&3).is_err(),
        "a bare number has no field names"
    );
    let id = run.id().to_string();
    let info = run.info().unwrap();
    assert_eq!(info.params["layers"], sextant::ParamValue::Int(4));
    assert_eq!(
        info.params["optimizer"],
        sextant::ParamValue::Str("adamw".into())
    );
    assert_eq!(
        info.params["schedule"],
        sextant::ParamValue::Json(serde_json::json!([10, 20]))
    );
    let loss = run.metric_history("loss").unwrap();
    assert_eq!(
        loss.iter().map(|p| p.step).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(run.metric_history("acc").unwrap()[0].step, 40);
    run.end().unwrap();
    assert_eq!(
        t.get_experiment(Some(&id)).unwrap().status,
        Status::Completed
    );
    assert!(matches!(
        t.run(&id),
        Err(sextant::Error::ExperimentNotOpen(_))
    ));
    assert_eq!(
        t.run(other.id())
            .unwrap()
            .metric_history("loss")
            .unwrap()
            .len(),
        1
    );
}

/// A record the store refuses for good (its experiment deleted under the tracker) is
/// dropped and reported; the rest of the same flush lands, and later flushes are not
/// blocked by it.
#[test]
fn a_permanently_refused_record_never_blocks_the_rest() {
    let store = shared_store();
    let t = ExperimentTracker::with_store(store.clone());
    let a = t.start_run(StartOptions::new().name("kept")).unwrap();
    let b = t.start_run(StartOptions::new().name("doomed")).unwrap();
    t.flush().unwrap();
    for i in 0..100 {
        a.log_dynamic("x", f64::from(i)).unwrap();
        b.log_dynamic("x", f64::from(i)).unwrap();
    }
    pollster::block_on(store.delete_experiment(b.id())).unwrap();
    let err = t.flush().unwrap_err();
    assert!(
        matches!(err, Error::ExperimentNotFound(ref id) if id == b.id()),
        "{err}"
    );
    assert_eq!(
        a.metric_history("x").unwrap().len(),
        100,
        "the good half was dropped too"
    );
    for i in 100..200 {
        a.log_dynamic("x", f64::from(i)).unwrap();
    }
    t.flush().unwrap();
    assert_eq!(a.metric_history("x").unwrap().len(), 200);
    a.end().unwrap();
}

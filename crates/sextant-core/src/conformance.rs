//! The store conformance suite: every store runs these same cases (memory, SQLite, and the
//! browser and HTTP stores as they arrive). Each case gets a fresh, empty store.

use std::future::Future;
use std::sync::Arc;

use crate::env::Env;
use crate::model::{
    ExperimentUpdate, ModelInfo, ParamValue, Span, SpanEvent, SpanStatus, Status, StepRange,
    TraceState,
};
use crate::store::Store;
use crate::tracker::{StartOptions, Tracker};
use crate::{Error, ExperimentDump};

/// Runs every case; panics (with the case name) on the first broken expectation.
pub async fn run_all<F, Fut>(env: Arc<dyn Env>, make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    run_without_evals(env.clone(), &make).await;
    let t = |store: Arc<dyn Store>| Tracker::new(store, env.clone());
    evals(&t(make().await)).await;
    annotations(&t(make().await)).await;
    let from = t(make().await);
    let to = t(make().await);
    evals_round_trip(&from, &to).await;
}

/// Every case but eval samples and annotations, for the stores that do not hold them yet
/// (the browser's IndexedDB and localStorage stores refuse eval records).
pub async fn run_without_evals<F, Fut>(env: Arc<dyn Env>, make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let t = |store: Arc<dyn Store>| Tracker::new(store, env.clone());
    lifecycle(&t(make().await)).await;
    params(&t(make().await)).await;
    metrics(&t(make().await)).await;
    series_and_ranges(&t(make().await)).await;
    attachments(&t(make().await)).await;
    traces(&t(make().await)).await;
    groups_update_delete(&t(make().await)).await;
    errors_keep_data(&t(make().await)).await;
    batches_are_whole(&t(make().await)).await;
    resume_continues_steps(&t(make().await)).await;
    models(&t(make().await)).await;
    creators_and_tokens(&t(make().await)).await;
    let from = t(make().await);
    let to = t(make().await);
    dump_round_trip(&from, &to).await;
}

fn ok<T>(r: crate::Result<T>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error: {e}"),
    }
}

/// Start, end and fail: status, default group, generated names, duration set at end.
pub async fn lifecycle(t: &Tracker) {
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    let info = ok(t.get_experiment(Some(&id)).await, "get");
    assert_eq!(info.status, Status::Running, "new experiment runs");
    assert_eq!(info.group, "default", "default group");
    assert_eq!(
        info.name.split('-').count(),
        3,
        "generated name {:?}",
        info.name
    );
    assert_eq!(t.current_experiment().as_deref(), Some(id.as_str()));
    ok(t.end_experiment(None).await, "end");
    let info = ok(t.get_experiment(Some(&id)).await, "get ended");
    assert_eq!(info.status, Status::Completed);
    assert!(
        info.duration.is_some_and(|d| d >= 0.0),
        "duration set at end"
    );
    assert!(t.current_experiment().is_none());

    let named = StartOptions::new()
        .name("baseline")
        .group("mnist")
        .tags(["cnn", "small"]);
    let id2 = ok(t.start_experiment(named).await, "start named");
    ok(t.fail_experiment(None).await, "fail");
    let info = ok(t.get_experiment(Some(&id2)).await, "get failed");
    assert_eq!(info.status, Status::Failed);
    assert_eq!(
        (info.name.as_str(), info.group.as_str()),
        ("baseline", "mnist")
    );
    assert_eq!(info.tags, vec!["cnn".to_string(), "small".to_string()]);
    let all = ok(t.list_experiments().await, "list");
    assert_eq!(all.len(), 2);
}

/// Params of every type (unicode too) read back typed; a key logged again replaces it.
pub async fn params(t: &Tracker) {
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    ok(t.log_static("lr", 0.001, None), "lr");
    ok(t.log_static("epochs", 10, None), "epochs");
    ok(t.log_static("optimizer", "adamw", None), "optimizer");
    ok(t.log_static("amp", true, None), "amp");
    ok(
        t.log_static("layers", serde_json::json!([64, 32]), None),
        "layers",
    );
    ok(
        t.log_static("note", "température ✓ 学习率", None),
        "unicode",
    );
    ok(t.log_static("optimizer", "sgd", None), "replace");
    let info = ok(t.get_experiment(Some(&id)).await, "get");
    let p = &info.params;
    assert_eq!(p.get("lr"), Some(&ParamValue::Float(0.001)));
    assert_eq!(p.get("epochs"), Some(&ParamValue::Int(10)));
    assert_eq!(
        p.get("optimizer"),
        Some(&ParamValue::Str("sgd".into())),
        "second log replaces"
    );
    assert_eq!(p.get("amp"), Some(&ParamValue::Bool(true)));
    assert_eq!(
        p.get("layers"),
        Some(&ParamValue::Json(serde_json::json!([64, 32])))
    );
    assert_eq!(
        p.get("note"),
        Some(&ParamValue::Str("température ✓ 学习率".into()))
    );
    // Params are visible in the list while the experiment still runs.
    let listed = ok(t.list_experiments().await, "list");
    assert_eq!(listed[0].params.len(), 6);
}

/// Auto-step, replacing a step, NaN and ±infinity kept, latest values and key listing.
pub async fn metrics(t: &Tracker) {
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    for v in [1.0, 0.8, 0.6] {
        ok(t.log_dynamic("loss", v, None, None), "auto-step");
    }
    let steps: Vec<i64> = ok(t.get_metric_history(None, "loss").await, "history")
        .iter()
        .map(|p| p.step)
        .collect();
    assert_eq!(
        steps,
        vec![0, 1, 2],
        "auto-step counts from 0 and never overwrites"
    );
    ok(
        t.log_dynamic("loss", 0.5, None, None),
        "auto-step after flush",
    );
    ok(t.log_dynamic("loss", 0.55, Some(1), None), "replace step 1");
    ok(t.log_dynamic("acc", 0.9, Some(10), None), "explicit");
    let (s, _) = ok(
        t.log_dynamic("acc", 0.91, None, None),
        "auto after explicit",
    );
    assert_eq!(s, 11, "auto-step follows the highest step");
    ok(t.log_dynamic("special", f64::INFINITY, None, None), "inf");
    ok(t.log_dynamic("special", f64::NAN, None, None), "nan");
    ok(
        t.log_dynamic("special", f64::NEG_INFINITY, None, None),
        "-inf",
    );
    ok(
        t.log_dynamics(&[("train/a", 1.0), ("train/b", 2.0)], Some(5), None),
        "batch",
    );

    let loss = ok(t.get_metric_history(None, "loss").await, "loss");
    let got: Vec<(i64, f64)> = loss.iter().map(|p| (p.step, p.value)).collect();
    assert_eq!(got, vec![(0, 1.0), (1, 0.55), (2, 0.6), (3, 0.5)]);
    assert!(loss.iter().all(|p| p.logged_at > 0), "logged_at recorded");
    let special = ok(t.get_metric_history(None, "special").await, "special");
    assert_eq!(special.len(), 3, "non-finite points are kept");
    assert_eq!(special[0].value, f64::INFINITY);
    assert!(special[1].value.is_nan(), "NaN stays NaN, not missing");
    assert_eq!(special[2].value, f64::NEG_INFINITY);
    let batch = ok(t.get_metric_history(None, "train/b").await, "batch read");
    assert_eq!((batch[0].step, batch[0].value), (5, 2.0));

    let summaries = ok(t.list_metrics(None).await, "keys");
    let keys: Vec<&str> = summaries.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, vec!["acc", "loss", "special", "train/a", "train/b"]);
    // Extremes leave NaN out and keep ±inf. A store may not know them after a step was
    // overwritten (loss's step 1 was), but what it reports must be right.
    let extremes = |k: &str| {
        summaries
            .iter()
            .find(|m| m.key == k)
            .map(|m| (m.min, m.max))
    };
    assert_eq!(extremes("acc"), Some((Some(0.9), Some(0.91))));
    assert_eq!(
        extremes("special"),
        Some((Some(f64::NEG_INFINITY), Some(f64::INFINITY)))
    );
    assert!(
        matches!(
            extremes("loss"),
            Some((None, None) | (Some(0.5), Some(1.0)))
        ),
        "loss extremes: {:?}",
        extremes("loss")
    );
    let info = ok(t.get_experiment(Some(&id)).await, "latest");
    assert_eq!(
        info.metrics.get("loss"),
        Some(&0.5),
        "latest = value at highest step, while running"
    );
    assert_eq!(info.metrics.get("acc"), Some(&0.91));
    assert!(ok(t.get_metric_history(None, "nope").await, "unknown key").is_empty());
}

/// Downsampling keeps spikes and both ends within the budget; narrow ranges come whole.
pub async fn series_and_ranges(t: &Tracker) {
    ok(t.start_experiment(StartOptions::new()).await, "start");
    for i in 0..10_000i64 {
        let v = if i == 6_789 {
            1e6
        } else {
            (i as f64 / 100.0).sin()
        };
        ok(t.log_dynamic("wave", v, Some(i), None), "log");
    }
    let s = ok(
        t.get_metric_series(None, "wave", StepRange::ALL, 200).await,
        "series",
    );
    assert!(s.len() <= 200 && s.len() > 100, "budget used: {}", s.len());
    assert_eq!(s.first().map(|p| p.step), Some(0));
    assert_eq!(s.last().map(|p| p.step), Some(9_999));
    assert!(s.iter().any(|p| p.step == 6_789), "spike kept");
    let r = ok(
        t.get_metric_series(None, "wave", StepRange::new(Some(100), Some(149)), 200)
            .await,
        "zoom",
    );
    assert_eq!(r.len(), 50, "small ranges come back at full resolution");
    assert_eq!((r[0].step, r[49].step), (100, 149));
    let summary = ok(t.list_metrics(None).await, "summary");
    assert_eq!(
        (
            summary[0].count,
            summary[0].first_step,
            summary[0].last_step
        ),
        (10_000, 0, 9_999)
    );
    assert_eq!(summary[0].max, Some(1e6), "the spike is the maximum");
    assert!(summary[0].min.is_some_and(|m| (-1.0..-0.99).contains(&m)));
}

/// Nested and binary attachments, replacement, `AttachmentNotFound`, escaping names refused.
pub async fn attachments(t: &Tracker) {
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    ok(
        t.log_attachment("notes.md", b"# hello".to_vec(), None)
            .await,
        "text",
    );
    let bytes: Vec<u8> = (0..=255u8).collect();
    ok(
        t.log_attachment("plots/curve.bin", bytes.clone(), None)
            .await,
        "nested binary",
    );
    for bad in ["../x", "/etc/passwd", "a/../../b", ""] {
        let err = t.log_attachment(bad, b"evil".to_vec(), None).await;
        assert!(
            matches!(err, Err(Error::InvalidInput { .. })),
            "{bad:?} must be rejected"
        );
    }
    let list = ok(t.list_attachments(Some(&id)).await, "list");
    let names: Vec<(&str, u64)> = list.iter().map(|a| (a.name.as_str(), a.size)).collect();
    assert_eq!(names, vec![("notes.md", 7), ("plots/curve.bin", 256)]);
    assert_eq!(
        ok(t.get_attachment(Some(&id), "plots/curve.bin").await, "get"),
        bytes
    );
    ok(
        t.log_attachment("notes.md", b"v2".to_vec(), None).await,
        "replace",
    );
    assert_eq!(
        ok(t.get_attachment(Some(&id), "notes.md").await, "get v2"),
        b"v2"
    );
    assert!(matches!(
        t.get_attachment(Some(&id), "missing.txt").await,
        Err(Error::AttachmentNotFound { .. })
    ));
    assert!(t.get_attachment(Some(&id), "../exp.db").await.is_err());
}

/// A span for tests: ids derived from small numbers.
pub fn test_span(trace: u8, span: u8, parent: Option<u8>, start: i64, end: i64) -> Span {
    Span {
        trace_id: format!("{trace:032x}"),
        span_id: format!("{span:016x}"),
        parent_span_id: parent.map(|p| format!("{p:016x}")),
        name: format!("span-{span}"),
        kind: 1,
        dfs_span_type: 0,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        status: SpanStatus::Unset,
        status_message: None,
        attributes: serde_json::Map::new(),
        events: Vec::new(),
        links: Vec::new(),
        trace_flags: Some(1),
    }
}

/// Spans read back exactly, trace summaries and states, `TraceNotFound`, bad spans refused.
pub async fn traces(t: &Tracker) {
    ok(t.start_experiment(StartOptions::new()).await, "start");
    let mut root = test_span(1, 1, None, 1_000, 9_000);
    root.status = SpanStatus::Ok;
    root.attributes.insert("epoch".into(), serde_json::json!(1));
    let mut child = test_span(1, 2, Some(1), 2_000, 5_000);
    child.events.push(SpanEvent {
        name: "checkpoint".into(),
        timestamp: 3_000,
        attributes: serde_json::Map::new(),
    });
    let mut failed = test_span(2, 3, None, 10_000, 12_000);
    failed.status = SpanStatus::Error;
    failed.status_message = Some("boom".into());
    let orphan = test_span(3, 4, Some(9), 20_000, 21_000);
    for s in [root.clone(), child.clone(), failed, orphan] {
        ok(t.log_span(s, None), "span");
    }
    let bad = test_span(4, 5, None, 5_000, 4_000);
    assert!(
        matches!(t.log_span(bad, None), Err(Error::InvalidInput { .. })),
        "end before start"
    );
    let mut bad_id = test_span(4, 5, None, 1, 2);
    bad_id.trace_id = "xyz".into();
    assert!(t.log_span(bad_id, None).is_err(), "bad trace id");

    let traces = ok(t.list_traces(None).await, "traces");
    assert_eq!(traces.len(), 3);
    assert_eq!(traces[0].span_count, 2);
    assert_eq!(traces[0].duration_ns, 8_000);
    assert_eq!(traces[0].state, TraceState::Ok);
    assert_eq!(traces[0].root_name.as_deref(), Some("span-1"));
    assert_eq!(traces[1].state, TraceState::Error);
    assert_eq!(traces[2].state, TraceState::InProgress, "no root yet");
    let spans = ok(t.get_trace(None, &root.trace_id).await, "trace");
    assert_eq!(
        spans,
        vec![root, child],
        "spans read back exactly, by start time"
    );
    assert!(matches!(
        t.get_trace(None, &format!("{:032x}", 99)).await,
        Err(Error::TraceNotFound { .. })
    ));
}

/// Group counts, `update_experiment`, and `delete_experiment` (twice: `ExperimentNotFound`).
pub async fn groups_update_delete(t: &Tracker) {
    let a = ok(
        t.start_experiment(StartOptions::new().group("g1")).await,
        "a",
    );
    ok(t.log_dynamic("x", 1.0, None, None), "x");
    ok(t.end_experiment(None).await, "end a");
    let b = ok(
        t.start_experiment(StartOptions::new().group("g1")).await,
        "b",
    );
    ok(t.end_experiment(None).await, "end b");
    ok(
        t.start_experiment(StartOptions::new().group("g2")).await,
        "c",
    );
    let groups = ok(t.list_groups().await, "groups");
    let counts: Vec<(&str, u64)> = groups
        .iter()
        .map(|g| (g.name.as_str(), g.experiment_count))
        .collect();
    assert!(
        counts.contains(&("g1", 2)) && counts.contains(&("g2", 1)),
        "{counts:?}"
    );
    let update = ExperimentUpdate {
        name: Some("renamed".into()),
        description: Some("why this run".into()),
        tags: Some(vec!["keep".into()]),
    };
    ok(t.update_experiment(Some(&a), update).await, "update");
    let info = ok(t.get_experiment(Some(&a)).await, "get a");
    assert_eq!(info.name, "renamed");
    assert_eq!(info.description.as_deref(), Some("why this run"));
    assert_eq!(info.tags, vec!["keep".to_string()]);
    ok(t.delete_experiment(&a).await, "delete");
    assert!(matches!(
        t.get_experiment(Some(&a)).await,
        Err(Error::ExperimentNotFound(_))
    ));
    assert!(ok(t.get_experiment(Some(&b)).await, "b survives").status == Status::Completed);
    assert!(matches!(
        t.delete_experiment(&a).await,
        Err(Error::ExperimentNotFound(_))
    ));
}

/// Every error kind the tracker promises for bad calls, with nothing logged lost.
pub async fn errors_keep_data(t: &Tracker) {
    assert!(matches!(
        t.log_dynamic("x", 1.0, None, None),
        Err(Error::NoActiveExperiment)
    ));
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    ok(t.log_dynamic("x", 1.0, None, None), "x");
    assert!(
        matches!(
            t.log_dynamic("", 1.0, None, None),
            Err(Error::InvalidInput { .. })
        ),
        "empty key"
    );
    assert!(
        matches!(t.log_static("", 1, None), Err(Error::InvalidInput { .. })),
        "empty param key"
    );
    assert!(matches!(
        t.log_dynamic("x", 1.0, Some(-1), None),
        Err(Error::InvalidInput { .. })
    ));
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert!(matches!(
        t.log_dynamic("x", 1.0, None, Some(unknown)),
        Err(Error::ExperimentNotOpen(_))
    ));
    assert!(matches!(
        t.get_experiment(Some(unknown)).await,
        Err(Error::ExperimentNotFound(_))
    ));
    assert!(matches!(
        t.list_metrics(Some(unknown)).await,
        Err(Error::ExperimentNotFound(_))
    ));
    assert!(matches!(
        t.start_experiment(StartOptions::new().id("../../etc"))
            .await,
        Err(Error::InvalidInput { .. })
    ));
    ok(t.end_experiment(None).await, "end");
    let Err(err) = t.log_dynamic("x", 2.0, None, Some(&id)) else {
        panic!("logging after end must fail");
    };
    assert!(matches!(err, Error::ExperimentEnded { .. }), "{err}");
    assert!(err.to_string().contains(&id));
    let points = ok(t.get_metric_history(Some(&id), "x").await, "data kept");
    assert_eq!(points.len(), 1, "errors lose nothing already logged");
}

/// A batch lands whole or not at all: one creating an id twice is refused with nothing of
/// it stored.
pub async fn batches_are_whole(t: &Tracker) {
    use crate::{Batch, NewExperiment, Record};
    let create = |id: &str| {
        Record::Create(NewExperiment {
            id: id.into(),
            name: format!("run {id}"),
            group: "whole".into(),
            tags: Vec::new(),
            created_at: 1_700_000_000_000,
            description: None,
            source: None,
            created_by: None,
        })
    };
    let twice = Batch {
        records: vec![create("whole-b"), create("whole-a"), create("whole-a")],
    };
    let err = t.store().write(&twice).await.err();
    assert!(
        matches!(err, Some(Error::ExperimentExists(_))),
        "creating one id twice in a batch: {err:?}"
    );
    for id in ["whole-a", "whole-b"] {
        assert!(
            matches!(
                t.store().get_experiment(id).await,
                Err(Error::ExperimentNotFound(_))
            ),
            "{id} from a refused batch was stored"
        );
    }
}

/// The token a run was created by is kept; stores that keep tokens add, find, list and
/// revoke them by hash.
pub async fn creators_and_tokens(t: &Tracker) {
    use crate::{token_hash, Batch, NewExperiment, NewToken, Record, Role};
    let create = Record::Create(NewExperiment {
        id: "made-by-alice".into(),
        name: "alice's run".into(),
        group: "tokens".into(),
        tags: Vec::new(),
        created_at: 1_700_000_000_000,
        description: None,
        source: None,
        created_by: Some("alice".into()),
    });
    ok(
        t.store()
            .write(&Batch {
                records: vec![create],
            })
            .await,
        "create with a creator",
    );
    let info = ok(t.store().get_experiment("made-by-alice").await, "get");
    assert_eq!(info.created_by.as_deref(), Some("alice"), "creator kept");
    let listed = ok(t.store().list_experiments().await, "list");
    assert_eq!(
        listed[0].created_by.as_deref(),
        Some("alice"),
        "creator listed"
    );

    let Some(tokens) = t.store().tokens() else {
        return;
    };
    let new = |name: &str, role, secret: &str| NewToken {
        name: name.into(),
        role,
        hash: token_hash(secret),
        prefix: secret.chars().take(8).collect(),
        created_at: 1_700_000_000_000,
    };
    ok(
        tokens
            .add_token(&new("ci", Role::Write, "sxt_secret-ci"))
            .await,
        "add",
    );
    ok(
        tokens
            .add_token(&new("ro", Role::Read, "sxt_secret-ro"))
            .await,
        "add",
    );
    let taken = tokens.add_token(&new("ci", Role::Admin, "sxt_other")).await;
    assert!(
        matches!(
            &taken,
            Err(Error::InvalidInput {
                what: "token name",
                ..
            })
        ),
        "a taken name: {taken:?}"
    );
    let bad = tokens.add_token(&new("a b", Role::Read, "sxt_x")).await;
    assert!(matches!(bad, Err(Error::InvalidInput { .. })), "{bad:?}");
    let found = ok(
        tokens.find_token(&token_hash("sxt_secret-ci")).await,
        "find",
    );
    let found = found.unwrap_or_else(|| panic!("token ci not found by its hash"));
    assert_eq!((found.name.as_str(), found.role), ("ci", Role::Write));
    assert_eq!(found.prefix, "sxt_secr");
    assert!(ok(tokens.find_token(&token_hash("sxt_guess")).await, "find").is_none());
    ok(tokens.touch_token("ci", 1_700_000_005_000).await, "touch");
    ok(tokens.revoke_token("ci", 1_700_000_009_000).await, "revoke");
    assert!(
        ok(
            tokens.find_token(&token_hash("sxt_secret-ci")).await,
            "find"
        )
        .is_none(),
        "a revoked token still authenticates"
    );
    let again = tokens.revoke_token("ci", 1_700_000_010_000).await;
    assert!(
        matches!(again, Err(Error::InvalidInput { .. })),
        "{again:?}"
    );
    // The name is free again once revoked.
    ok(
        tokens
            .add_token(&new("ci", Role::Admin, "sxt_secret-ci2"))
            .await,
        "reuse name",
    );
    let list = ok(tokens.list_tokens().await, "list");
    let names: Vec<_> = list
        .iter()
        .map(|t| (t.name.as_str(), t.role, t.revoked_at.is_some()))
        .collect();
    assert_eq!(
        names,
        [
            ("ci", Role::Write, true),
            ("ro", Role::Read, false),
            ("ci", Role::Admin, false)
        ]
    );
    assert_eq!(list[0].last_used_at, Some(1_700_000_005_000));
    assert_eq!(list[0].revoked_at, Some(1_700_000_009_000));
    assert!(!list.iter().any(|t| t.prefix.contains("secret-ci")));
}

/// Resuming an ended run sets it running and auto-step continues after the stored steps.
pub async fn resume_continues_steps(t: &Tracker) {
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    for _ in 0..5 {
        ok(t.log_dynamic("loss", 1.0, None, None), "log");
    }
    ok(t.end_experiment(None).await, "end");
    let again = ok(
        t.start_experiment(StartOptions::new().id(id.clone())).await,
        "resume",
    );
    assert_eq!(again, id);
    assert_eq!(
        ok(t.get_experiment(Some(&id)).await, "get").status,
        Status::Running
    );
    let (step, _) = ok(t.log_dynamic("loss", 0.5, None, None), "log after resume");
    assert_eq!(step, 5, "auto-step continues after the stored highest step");
    ok(t.end_experiment(None).await, "end again");
    assert_eq!(
        ok(t.get_metric_history(Some(&id), "loss").await, "h").len(),
        6
    );
}

/// A linked model reads back as given.
pub async fn models(t: &Tracker) {
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    let model = ModelInfo {
        id: "m1".into(),
        name: "model.luml".into(),
        path: "/models/model.luml".into(),
        created_at: 1,
        size: Some(10),
    };
    ok(t.record_model(model.clone(), None).await, "link");
    assert_eq!(ok(t.list_models(Some(&id)).await, "models"), vec![model]);
}

/// Export from one store, import into another: identical data; a second import is refused.
pub async fn dump_round_trip(from: &Tracker, to: &Tracker) {
    let id = ok(
        from.start_experiment(StartOptions::new().group("g").tags(["t"]))
            .await,
        "start",
    );
    ok(from.log_static("lr", 0.1, None), "p");
    for i in 0..100 {
        ok(
            from.log_dynamic("loss", 1.0 / f64::from(i + 1), None, None),
            "m",
        );
    }
    ok(from.log_dynamic("loss", f64::NAN, Some(100), None), "nan");
    ok(from.log_span(test_span(7, 1, None, 1, 2), None), "span");
    ok(
        from.log_attachment("a/b.txt", b"hi".to_vec(), None).await,
        "att",
    );
    ok(from.end_experiment(None).await, "end");
    let dump = ok(from.dump(Some(&id)).await, "dump");
    let imported = ok(to.import_dump(dump.clone()).await, "import");
    assert_eq!(imported, id);
    let again = ok(
        ExperimentDump::read(to.store().as_ref(), &id).await,
        "read back",
    );
    assert_eq!(again.info.status, Status::Completed);
    assert_eq!(again.info.group, "g");
    assert_eq!(again.info.params, dump.info.params);
    let (a, b) = (&again.metrics["loss"], &dump.metrics["loss"]);
    assert!(
        a.len() == 101 && a.iter().zip(b).all(|(x, y)| x.same_as(y)),
        "metrics identical"
    );
    assert_eq!(again.spans, dump.spans);
    assert_eq!(again.attachments.len(), 1);
    assert_eq!(again.attachments[0].1, b"hi");
    assert!(
        matches!(to.import_dump(dump).await, Err(Error::ExperimentExists(_))),
        "no silent overwrite"
    );
}

fn some<T>(v: Option<T>, what: &str) -> T {
    match v {
        Some(v) => v,
        None => panic!("{what}: missing"),
    }
}

fn obj(v: serde_json::Value) -> crate::JsonObject {
    match v {
        serde_json::Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn invalid<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) {
    assert!(
        matches!(r, Err(Error::InvalidInput { .. })),
        "{what}: expected INVALID_INPUT, got {r:?}"
    );
}

/// Eval samples (luml's `log_eval_sample`): read back field for field, replaced by key with
/// the first `created_at` kept, linked to traces once, paged, sorted and filtered by score,
/// averaged per dataset; a link to a sample not logged is refused and the batch with it.
pub async fn evals(t: &Tracker) {
    use crate::evals::{EvalQuery, EvalSortKey, ScoreFilter};
    use crate::model::{EvalColumn, EvalSample};
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    let scores = [0.9, 0.2, 0.6, 0.4];
    for (i, acc) in scores.iter().enumerate() {
        let ds = if i < 3 { "qa" } else { "math" };
        let sample = EvalSample::new(
            format!("s{i}"),
            ds,
            obj(serde_json::json!({"prompt": format!("question {i}"), "n": i})),
        )
        .outputs(obj(serde_json::json!({"answer": format!("answer {i}")})))
        .references(obj(serde_json::json!({"expected": "ünïcode ✓"})))
        .scores(obj(serde_json::json!({"acc": acc, "exact": i % 2 == 0})))
        .metadata(obj(
            serde_json::json!({"latency_ms": 12.5, "tags": ["a", "b"]}),
        ));
        ok(t.log_eval_sample(sample, None), "log sample");
    }
    // Empty objects are stored as none, as luml stores them.
    let bare =
        EvalSample::new("bare", "qa", crate::JsonObject::new()).outputs(crate::JsonObject::new());
    ok(t.log_eval_sample(bare, None), "bare sample");
    let trace = test_span(7, 1, None, 1_000, 2_000);
    ok(t.log_span(trace.clone(), None), "span");
    ok(
        t.link_eval_sample_to_trace("qa", "s0", &trace.trace_id, None),
        "link",
    );
    ok(
        t.link_eval_sample_to_trace("qa", "s0", &trace.trace_id, None),
        "link again",
    );
    invalid(
        t.link_eval_sample_to_trace("qa", "s0", "not-hex", None),
        "bad trace id",
    );
    invalid(
        t.log_eval_sample(EvalSample::new("", "qa", crate::JsonObject::new()), None),
        "empty eval id",
    );

    let all = ok(t.get_experiment_evals_all(None).await, "all");
    assert_eq!(all.len(), 5);
    let s0 = some(all.iter().find(|s| s.id == "s0"), "s0 read back");
    assert_eq!(s0.dataset_id, "qa");
    assert_eq!(
        s0.inputs,
        obj(serde_json::json!({"prompt": "question 0", "n": 0}))
    );
    assert_eq!(
        s0.outputs,
        Some(obj(serde_json::json!({"answer": "answer 0"})))
    );
    assert_eq!(
        s0.refs,
        Some(obj(serde_json::json!({"expected": "ünïcode ✓"})))
    );
    assert_eq!(
        s0.scores,
        Some(obj(serde_json::json!({"acc": 0.9, "exact": true})))
    );
    assert_eq!(
        s0.metadata,
        Some(obj(
            serde_json::json!({"latency_ms": 12.5, "tags": ["a", "b"]})
        ))
    );
    assert_eq!(s0.trace_ids, vec![trace.trace_id.clone()], "linked once");
    assert!(s0.created_at > 0 && s0.updated_at == s0.created_at);
    let bare = some(all.iter().find(|s| s.id == "bare"), "bare read back");
    assert!(bare.inputs.is_empty() && bare.outputs.is_none() && bare.scores.is_none());

    // The same key again replaces the sample but keeps when it was first logged.
    let again = EvalSample::new("s1", "qa", obj(serde_json::json!({"prompt": "v2"})))
        .scores(obj(serde_json::json!({"acc": 0.3})));
    ok(t.log_eval_sample(again, None), "relog");
    let one = some(ok(t.get_eval(None, "s1", Some("qa")).await, "get"), "s1");
    let before = some(all.iter().find(|s| s.id == "s1"), "s1 before");
    assert_eq!(one.inputs, obj(serde_json::json!({"prompt": "v2"})));
    assert_eq!(one.outputs, None, "replaced whole");
    assert_eq!(one.created_at, before.created_at, "first created_at kept");
    assert!(one.updated_at >= before.updated_at);
    assert!(ok(t.get_eval(None, "nope", None).await, "get missing").is_none());
    assert_eq!(
        ok(t.get_experiment_eval_dataset_ids(None).await, "datasets"),
        vec!["math".to_string(), "qa".to_string()]
    );

    // Pages sorted by a score (descending: missing scores last), filtered, by dataset.
    let by_acc = EvalQuery {
        sort_by: EvalSortKey::Field(EvalColumn::Scores, "acc".into()),
        limit: 2,
        ..EvalQuery::default()
    };
    let p1 = ok(t.get_experiment_evals(None, &by_acc).await, "page 1");
    let ids = |p: &crate::EvalPage| p.items.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&p1), vec!["s0", "s2"]);
    assert_eq!(p1.total, 5);
    let p2 = ok(
        t.get_experiment_evals(
            None,
            &EvalQuery {
                cursor: p1.cursor.clone(),
                ..by_acc.clone()
            },
        )
        .await,
        "page 2",
    );
    assert_eq!(ids(&p2), vec!["s3", "s1"]);
    let p3 = ok(
        t.get_experiment_evals(
            None,
            &EvalQuery {
                cursor: p2.cursor.clone(),
                ..by_acc.clone()
            },
        )
        .await,
        "page 3",
    );
    assert_eq!(ids(&p3), vec!["bare"], "no score sorts last descending");
    assert!(p3.cursor.is_none());
    let filtered = EvalQuery {
        filters: vec![ok(ScoreFilter::parse("acc >= 0.4"), "filter")],
        ascending: true,
        sort_by: ok(EvalSortKey::parse("acc"), "a bare key"),
        dataset_id: Some("qa".into()),
        ..EvalQuery::default()
    };
    let page = ok(t.get_experiment_evals(None, &filtered).await, "filtered");
    assert_eq!(ids(&page), vec!["s2", "s0"]);
    let search = EvalQuery {
        search: Some("QUESTION 3".into()),
        ..EvalQuery::default()
    };
    assert_eq!(
        ids(&ok(t.get_experiment_evals(None, &search).await, "search")),
        vec!["s3"]
    );
    invalid(
        t.get_experiment_evals(
            None,
            &EvalQuery {
                cursor: Some("x".into()),
                ..EvalQuery::default()
            },
        )
        .await,
        "bad cursor",
    );

    // Averages over all samples and per dataset (booleans as 1/0; missing ones skipped).
    let summary = ok(t.get_eval_summary(None).await, "summary");
    assert_eq!(summary.overall.samples, 5);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(
        summary.overall.averages["acc"],
        (0.9 + 0.3 + 0.6 + 0.4) / 4.0
    ));
    let qa = some(
        summary
            .datasets
            .iter()
            .find(|d| d.dataset_id.as_deref() == Some("qa")),
        "qa",
    );
    assert_eq!(qa.samples, 4);
    assert!(close(qa.averages["acc"], (0.9 + 0.3 + 0.6) / 3.0));
    assert!(close(qa.averages["exact"], 1.0), "bools average as 1/0");
    let math = ok(t.get_evals_average_scores(None, Some("math")).await, "math");
    assert!(close(math["acc"], 0.4));

    // A batch linking a sample that was never logged is refused whole.
    let sneaky = crate::Batch {
        records: vec![
            crate::Record::EvalSample {
                experiment: id.clone(),
                sample: EvalSample {
                    created_at: 1_700_000_000_000,
                    updated_at: 1_700_000_000_000,
                    ..EvalSample::new("late", "qa", crate::JsonObject::new())
                },
            },
            crate::Record::EvalTraceLink {
                experiment: id.clone(),
                id: "link-1".into(),
                dataset_id: "qa".into(),
                eval_id: "ghost".into(),
                trace_id: trace.trace_id.clone(),
                created_at: 1_700_000_000_000,
            },
        ],
    };
    invalid(t.store().write(&sneaky).await, "link to a missing sample");
    assert!(
        ok(t.get_eval(None, "late", None).await, "late").is_none(),
        "nothing of a refused batch is stored"
    );
    ok(t.end_experiment(None).await, "end");
    ok(t.delete_experiment(&id).await, "delete");
    assert!(matches!(
        t.store().list_eval_samples(&id).await,
        Err(Error::ExperimentNotFound(_))
    ));
}

/// Annotations (luml's `log_eval_annotation` / `log_span_annotation`): kinds and value
/// types read back, feedback only as a bool, subjects must exist, updates and deletes,
/// summaries by name.
pub async fn annotations(t: &Tracker) {
    use crate::model::{
        AnnotationKind, AnnotationSubject, AnnotationTarget, AnnotationValue, EvalSample,
    };
    use crate::tracker::NewAnnotation;
    let id = ok(t.start_experiment(StartOptions::new()).await, "start");
    for e in ["e1", "e2"] {
        ok(
            t.log_eval_sample(
                EvalSample::new(e, "ds", obj(serde_json::json!({"q": e}))),
                None,
            ),
            "sample",
        );
    }
    let span = test_span(5, 2, None, 10, 20);
    ok(t.log_span(span.clone(), None), "span");
    let on = |e: &str| AnnotationSubject::Eval {
        dataset_id: "ds".into(),
        eval_id: e.into(),
    };
    let new = |name: &str, kind, value, rationale: Option<&str>| NewAnnotation {
        name: name.into(),
        kind,
        value,
        user: "alice".into(),
        rationale: rationale.map(Into::into),
    };
    let good = ok(
        t.log_annotation(
            on("e1"),
            new(
                "correct",
                AnnotationKind::Feedback,
                AnnotationValue::Bool(true),
                Some("right ✓"),
            ),
            None,
        )
        .await,
        "feedback",
    );
    ok(
        t.log_annotation(
            on("e2"),
            new(
                "correct",
                AnnotationKind::Feedback,
                AnnotationValue::Bool(false),
                None,
            ),
            None,
        )
        .await,
        "feedback 2",
    );
    ok(
        t.log_annotation(
            on("e1"),
            new(
                "correct",
                AnnotationKind::Feedback,
                AnnotationValue::Bool(true),
                None,
            ),
            Some(&id),
        )
        .await,
        "feedback 3",
    );
    let int = ok(
        t.log_annotation(
            on("e1"),
            new(
                "stars",
                AnnotationKind::Expectation,
                AnnotationValue::Int(4),
                None,
            ),
            None,
        )
        .await,
        "int",
    );
    ok(
        t.log_annotation(
            on("e2"),
            new(
                "answer",
                AnnotationKind::Expectation,
                AnnotationValue::String("Paris".into()),
                None,
            ),
            None,
        )
        .await,
        "string",
    );
    let on_span = AnnotationSubject::Span {
        trace_id: span.trace_id.clone(),
        span_id: span.span_id.clone(),
    };
    let sa = ok(
        t.log_annotation(
            on_span.clone(),
            new(
                "latency_ok",
                AnnotationKind::Feedback,
                AnnotationValue::Bool(true),
                None,
            ),
            None,
        )
        .await,
        "span",
    );

    invalid(
        t.log_annotation(
            on("e1"),
            new("x", AnnotationKind::Feedback, AnnotationValue::Int(1), None),
            None,
        )
        .await,
        "feedback must be a bool",
    );
    invalid(
        t.log_annotation(
            on("ghost"),
            new(
                "x",
                AnnotationKind::Expectation,
                AnnotationValue::Int(1),
                None,
            ),
            None,
        )
        .await,
        "annotation of a missing sample",
    );
    let no_span = AnnotationSubject::Span {
        trace_id: span.trace_id.clone(),
        span_id: format!("{:016x}", 99),
    };
    invalid(
        t.log_annotation(
            no_span,
            new(
                "x",
                AnnotationKind::Expectation,
                AnnotationValue::Int(1),
                None,
            ),
            None,
        )
        .await,
        "annotation of a missing span",
    );

    let back = ok(t.get_eval_annotations(None, "ds", "e1").await, "read");
    assert_eq!(back.len(), 3);
    assert!(
        back.iter().any(|a| a == &good),
        "read back field for field: {back:?}"
    );
    assert!(back.iter().any(|a| a == &int));
    assert_eq!(
        ok(
            t.get_span_annotations(None, &span.trace_id, &span.span_id)
                .await,
            "span read"
        ),
        vec![sa.clone()]
    );

    let summary = ok(t.get_eval_annotation_summary(None, "ds").await, "summary");
    assert_eq!(summary.feedback.len(), 1);
    assert_eq!(summary.feedback[0].total, 3);
    assert_eq!(summary.feedback[0].counts.get("true"), Some(&2));
    assert_eq!(summary.feedback[0].counts.get("false"), Some(&1));
    let names: Vec<&str> = summary
        .expectations
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, vec!["answer", "stars"]);
    assert_eq!(summary.expectations[1].value, Some(AnnotationValue::Int(4)));
    let page = ok(
        t.get_experiment_evals(None, &crate::EvalQuery::default())
            .await,
        "page",
    );
    let e1 = some(page.items.iter().find(|s| s.id == "e1"), "e1");
    assert_eq!(
        e1.annotations.as_ref().map(|a| a.feedback[0].total),
        Some(2),
        "per-sample summary"
    );

    // Updates: value and/or rationale, of the right type, of an annotation that exists.
    let upd = ok(
        t.update_annotation(
            &id,
            &good.id,
            AnnotationTarget::Eval,
            Some(AnnotationValue::Bool(false)),
            Some("on review".into()),
        )
        .await,
        "update",
    );
    assert_eq!(
        (upd.value.clone(), upd.rationale.as_deref()),
        (AnnotationValue::Bool(false), Some("on review"))
    );
    assert_eq!(
        (upd.name.as_str(), upd.user.as_str(), upd.created_at),
        ("correct", "alice", good.created_at)
    );
    let upd = ok(
        t.update_annotation(
            &id,
            &int.id,
            AnnotationTarget::Eval,
            None,
            Some("why".into()),
        )
        .await,
        "rationale only",
    );
    assert_eq!(upd.value, AnnotationValue::Int(4), "value kept");
    invalid(
        t.update_annotation(
            &id,
            &int.id,
            AnnotationTarget::Eval,
            Some(AnnotationValue::Bool(true)),
            None,
        )
        .await,
        "wrong type",
    );
    invalid(
        t.update_annotation(&id, &int.id, AnnotationTarget::Eval, None, None)
            .await,
        "nothing to update",
    );
    invalid(
        t.update_annotation(
            &id,
            "no-such-id",
            AnnotationTarget::Eval,
            None,
            Some("x".into()),
        )
        .await,
        "unknown id",
    );
    invalid(
        t.update_annotation(&id, &sa.id, AnnotationTarget::Eval, None, Some("x".into()))
            .await,
        "wrong table",
    );

    ok(
        t.delete_annotation(&id, &good.id, AnnotationTarget::Eval)
            .await,
        "delete",
    );
    ok(
        t.delete_annotation(&id, &good.id, AnnotationTarget::Eval)
            .await,
        "delete again: no-op",
    );
    ok(
        t.delete_annotation(&id, &sa.id, AnnotationTarget::Span)
            .await,
        "delete span annotation",
    );
    let left = ok(t.list_annotations(None).await, "left");
    assert_eq!(left.len(), 4);
    assert!(
        left.windows(2).all(|w| w[0].created_at <= w[1].created_at),
        "by creation time"
    );
    assert!(left.iter().all(|a| a.id != good.id && a.id != sa.id));
}

/// Samples, links and annotations survive a dump and an import into another store.
pub async fn evals_round_trip(from: &Tracker, to: &Tracker) {
    use crate::model::{AnnotationKind, AnnotationSubject, AnnotationValue, EvalSample};
    let id = ok(from.start_experiment(StartOptions::new()).await, "start");
    let sample = EvalSample::new("e1", "ds", obj(serde_json::json!({"q": "2+2"})))
        .outputs(obj(serde_json::json!({"a": "4"})))
        .scores(obj(serde_json::json!({"acc": 1.0})));
    ok(from.log_eval_sample(sample, None), "sample");
    let span = test_span(9, 1, None, 1, 2);
    ok(from.log_span(span.clone(), None), "span");
    ok(
        from.link_eval_sample_to_trace("ds", "e1", &span.trace_id, None),
        "link",
    );
    let new = crate::tracker::NewAnnotation {
        name: "ok".into(),
        kind: AnnotationKind::Feedback,
        value: AnnotationValue::Bool(true),
        user: "bob".into(),
        rationale: None,
    };
    let on = AnnotationSubject::Eval {
        dataset_id: "ds".into(),
        eval_id: "e1".into(),
    };
    ok(
        from.log_annotation(on, new.clone(), None).await,
        "annotation",
    );
    let on_span = AnnotationSubject::Span {
        trace_id: span.trace_id.clone(),
        span_id: span.span_id.clone(),
    };
    ok(
        from.log_annotation(on_span, new, None).await,
        "span annotation",
    );
    ok(from.end_experiment(None).await, "end");
    let dump = ok(from.dump(Some(&id)).await, "dump");
    assert_eq!(dump.evals.len(), 1);
    assert_eq!(dump.annotations.len(), 2);
    ok(to.import_dump(dump.clone()).await, "import");
    let back = ok(to.dump(Some(&id)).await, "dump back");
    assert_eq!(back.evals, dump.evals, "samples and links kept");
    assert_eq!(back.annotations, dump.annotations, "annotations kept");
}

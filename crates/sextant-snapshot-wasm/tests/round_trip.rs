//! Natively: an exported batch becomes a snapshot the native importer reads back whole,
//! and a snapshot read here becomes the same batch.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use sextant_core::{
    conformance::test_span, ExperimentDump, MemoryStore, StartOptions, Status, Store, Tracker,
};
use sextant_native::SystemEnv;

async fn sample() -> (Tracker, String) {
    let t = Tracker::new(Arc::new(MemoryStore::new()), Arc::new(SystemEnv));
    let id = t
        .start_experiment(
            StartOptions::new()
                .name("browser run")
                .group("web")
                .tags(["wasm"]),
        )
        .await
        .unwrap();
    t.log_static("lr", 0.001, None).unwrap();
    t.log_static("layers", serde_json::json!([64, 32]), None)
        .unwrap();
    for i in 0..500 {
        t.log_dynamic("loss", 1.0 / f64::from(i + 1), None, None)
            .unwrap();
    }
    t.log_dynamic("loss", f64::NAN, Some(500), None).unwrap();
    t.log_span(test_span(1, 1, None, 10, 20), None).unwrap();
    t.log_attachment("plots/a.bin", vec![0, 1, 2, 255], None)
        .await
        .unwrap();
    t.end_experiment(None).await.unwrap();
    (t, id)
}

#[test]
fn a_batch_becomes_a_snapshot_the_native_importer_reads() {
    pollster::block_on(async {
        let (t, id) = sample().await;
        let dump = t.dump(Some(&id)).await.unwrap();
        let json = serde_json::to_vec(&dump.clone().into_batch()).unwrap();
        let tar = sextant_snapshot_wasm::write_snapshot(&json).unwrap();

        let back = sextant_sqlite::snapshot::from_tar_bytes(&tar).unwrap();
        assert_eq!(back.info.id, id);
        assert_eq!(back.info.name, "browser run");
        assert_eq!(back.info.group, "web");
        assert_eq!(back.info.status, Status::Completed);
        assert_eq!(back.info.params, dump.info.params);
        let (a, b) = (&back.metrics["loss"], &dump.metrics["loss"]);
        assert_eq!(a.len(), 501);
        for (x, y) in a.iter().zip(b) {
            assert!(x.same_as(y), "{x:?} != {y:?}");
        }
        assert_eq!(back.spans, dump.spans);
        assert_eq!(back.attachments[0].1, vec![0, 1, 2, 255]);

        // And the other way: a snapshot to a batch any store can write.
        let batch: sextant_core::Batch =
            serde_json::from_slice(&sextant_snapshot_wasm::read_snapshot(&tar).unwrap()).unwrap();
        let store = MemoryStore::new();
        store.write(&batch).await.unwrap();
        let again = ExperimentDump::read(&store, &id).await.unwrap();
        assert_eq!(again.info.params, dump.info.params);
        assert_eq!(again.metrics["loss"].len(), 501);
    });
}

#[test]
fn bad_input_is_a_snapshot_error() {
    let err = sextant_snapshot_wasm::write_snapshot(b"{}").unwrap_err();
    assert!(err.to_string().contains("not a batch"), "{err}");
    let err = sextant_snapshot_wasm::read_snapshot(b"not a tar").unwrap_err();
    assert!(err.to_string().starts_with("invalid snapshot"), "{err}");
}

#[test]
fn search_keeps_sorts_and_explains_a_bad_filter() {
    let mut a = sextant_core::ExperimentInfo::from(sextant_core::NewExperiment {
        id: "a".into(),
        name: "a".into(),
        group: "g".into(),
        tags: vec![],
        created_at: 1,
        description: None,
        source: None,
        created_by: None,
    });
    a.metrics.insert("acc".into(), 0.5);
    let mut b = a.clone();
    b.id = "b".into();
    b.name = "b".into();
    b.metrics.insert("acc".into(), f64::NAN);
    let mut c = a.clone();
    c.id = "c".into();
    c.name = "c".into();
    c.metrics.insert("acc".into(), 0.9);
    let list = serde_json::to_vec(&vec![a, b, c]).unwrap();
    let reply: serde_json::Value = serde_json::from_slice(
        &sextant_snapshot_wasm::search_experiments(&list, "metrics.acc > 0.1", "metrics.acc DESC")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(reply["ids"], serde_json::json!(["c", "a"]));
    let bad: serde_json::Value = serde_json::from_slice(
        &sextant_snapshot_wasm::search_experiments(&list, "metrics.acc >", "").unwrap(),
    )
    .unwrap();
    assert_eq!(bad["what"], "filter");
    assert!(
        bad["reason"].as_str().unwrap().contains("column 14"),
        "{bad}"
    );
}

//! A store and a snapshot written by luml-sdk 0.4 read back as luml logged them
//! (`tests/fixtures/luml-0.4/EXPECTED.json`, a copy of the shared fixture), and Sextant can keep writing into them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sextant_core::{ParamValue, StartOptions, Status, Store, Tracker};
use sextant_native::SystemEnv;
use sextant_sqlite::{snapshot, SqliteStore};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/luml-0.4")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(fixture_dir().join("EXPECTED.json")).unwrap()).unwrap()
}

fn writable_store() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture_dir().join("store"), &tmp.path().join("store"));
    let store = Arc::new(SqliteStore::open(tmp.path().join("store")).unwrap());
    (tmp, store)
}

fn expected_param(v: &Value) -> ParamValue {
    match v {
        Value::String(s) => ParamValue::Str(s.clone()),
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Number(n) if n.is_i64() => ParamValue::Int(n.as_i64().unwrap()),
        Value::Number(n) => ParamValue::Float(n.as_f64().unwrap()),
        other => ParamValue::Json(other.clone()),
    }
}

#[test]
fn every_experiment_reads_back_as_logged() {
    let (_tmp, store) = writable_store();
    let expected = expected();
    let list = pollster::block_on(store.list_experiments()).unwrap();
    assert_eq!(list.len(), 3);
    for exp in expected["experiments"].as_array().unwrap() {
        let id = exp["id"].as_str().unwrap();
        let info = pollster::block_on(store.get_experiment(id)).unwrap();
        assert_eq!(info.name, exp["name"].as_str().unwrap());
        assert_eq!(info.group, exp["group"].as_str().unwrap());
        let tags: Vec<String> = serde_json::from_value(exp["tags"].clone()).unwrap();
        assert_eq!(info.tags, tags);
        let status = Status::parse_lenient(exp["status"].as_str().unwrap());
        assert_eq!(info.status, status, "{id}");
        for (key, value) in exp["params"].as_object().unwrap() {
            assert_eq!(
                info.params.get(key),
                Some(&expected_param(value)),
                "{id} param {key}"
            );
        }
        // The list view has params and latest metrics even where luml left its caches empty.
        let listed = list.iter().find(|e| e.id == id).unwrap();
        assert_eq!(
            listed.params.len(),
            exp["params"].as_object().unwrap().len(),
            "{id}"
        );
        assert!(
            listed.metrics.contains_key("train/loss"),
            "{id} latest metrics"
        );
        assert_eq!(listed.metrics.get("special"), Some(&-1.5), "{id}");

        let metrics = pollster::block_on(store.list_metrics(id)).unwrap();
        for (key, count) in exp["metric_counts"].as_object().unwrap() {
            let m = metrics.iter().find(|m| &m.key == key).unwrap();
            assert_eq!(m.count, count.as_u64().unwrap(), "{id} {key}");
            let points =
                pollster::block_on(store.metric_points(id, key, Default::default())).unwrap();
            assert_eq!(points.len() as u64, m.count);
            assert!(points.iter().all(|p| p.logged_at > 0), "timestamps parsed");
        }
        let special =
            pollster::block_on(store.metric_points(id, "special", Default::default())).unwrap();
        assert_eq!(special[0].value, f64::INFINITY, "{id}: +inf kept");
        assert_eq!((special[1].step, special[1].value), (1, -1.5));

        let mut names: Vec<String> = pollster::block_on(store.list_attachments(id))
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        let mut want: Vec<String> = serde_json::from_value(exp["attachments"].clone()).unwrap();
        names.sort();
        want.sort();
        assert_eq!(names, want);
        let notes = pollster::block_on(store.get_attachment(id, "notes.md")).unwrap();
        assert!(String::from_utf8(notes)
            .unwrap()
            .contains(exp["name"].as_str().unwrap()));
        assert_eq!(
            pollster::block_on(store.get_attachment(id, "plots/curve.bin"))
                .unwrap()
                .len(),
            512
        );

        let traces = pollster::block_on(store.list_traces(id)).unwrap();
        assert_eq!(traces.len(), 1);
        assert_eq!(traces[0].trace_id, exp["trace_id"].as_str().unwrap());
        assert_eq!(traces[0].span_count, exp["span_count"].as_u64().unwrap());
        let spans = pollster::block_on(store.list_spans(id, Some(&traces[0].trace_id))).unwrap();
        let child = spans.iter().find(|s| s.parent_span_id.is_some()).unwrap();
        assert_eq!(child.events.len(), 1, "span events read");
        assert_eq!(child.events[0].name, "checkpoint");
    }
    let groups = pollster::block_on(store.list_groups()).unwrap();
    let g: Vec<(&str, u64)> = groups
        .iter()
        .map(|g| (g.name.as_str(), g.experiment_count))
        .collect();
    assert_eq!(g, vec![("delta404-group", 1), ("oscar970-group", 2)]);
}

#[test]
fn sextant_keeps_logging_into_a_luml_experiment() {
    let (_tmp, store) = writable_store();
    let tracker = Tracker::new(store.clone(), Arc::new(SystemEnv));
    let id = "cf3b4d31-e004-4552-9d6a-c7f4002dc111";
    pollster::block_on(tracker.start_experiment(StartOptions::new().id(id))).unwrap();
    let (step, _) = tracker.log_dynamic("train/loss", 0.1, None, None).unwrap();
    assert_eq!(step, 589, "auto-step continues after luml's last step");
    pollster::block_on(tracker.end_experiment(None)).unwrap();
    let info = pollster::block_on(store.get_experiment(id)).unwrap();
    assert_eq!(info.status, Status::Completed);
    assert_eq!(info.metrics.get("train/loss"), Some(&0.1));
    // A new experiment joins an existing luml group by name.
    pollster::block_on(tracker.start_experiment(StartOptions::new().group("oscar970-group")))
        .unwrap();
    let groups = pollster::block_on(store.list_groups()).unwrap();
    assert_eq!(
        groups
            .iter()
            .find(|g| g.name == "oscar970-group")
            .unwrap()
            .experiment_count,
        3
    );
}

#[test]
fn luml_snapshot_imports() {
    let bytes = std::fs::read(fixture_dir().join("snapshot.tar")).unwrap();
    let dump = snapshot::from_tar_bytes(&bytes).unwrap();
    let expected = expected();
    let exp = &expected["experiments"][0];
    assert_eq!(dump.info.id, expected["snapshot_of"].as_str().unwrap());
    assert_eq!(dump.info.name, exp["name"].as_str().unwrap());
    assert_eq!(dump.info.status, Status::Completed);
    assert_eq!(dump.metrics["train/loss"].len(), 323);
    assert_eq!(dump.metrics["special"][0].value, f64::INFINITY);
    assert_eq!(dump.attachments.len(), 3);
    assert_eq!(dump.spans.len(), 2);
    for (key, value) in exp["params"].as_object().unwrap() {
        assert_eq!(
            dump.info.params.get(key),
            Some(&expected_param(value)),
            "param {key}"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(tmp.path()).unwrap());
    let tracker = Tracker::new(store.clone(), Arc::new(SystemEnv));
    let id = pollster::block_on(tracker.import_dump(dump)).unwrap();
    let curve = pollster::block_on(store.get_attachment(&id, "plots/curve.bin")).unwrap();
    let original =
        std::fs::read(fixture_dir().join(format!("store/{id}/attachments/plots/curve.bin")))
            .unwrap();
    assert_eq!(curve, original, "attachment bytes survive the snapshot");
}

#[test]
fn our_snapshot_round_trips_and_matches_luml_shape() {
    let (_tmp, store) = writable_store();
    let tracker = Tracker::new(store.clone(), Arc::new(SystemEnv));
    let id = "53bcf9d1-d6be-47b5-86fb-b8528010fd61";
    let dump = pollster::block_on(tracker.dump(Some(id))).unwrap();
    let bytes = snapshot::to_tar_bytes(&dump).unwrap();
    let mut names = Vec::new();
    let mut archive = tar::Archive::new(std::io::Cursor::new(&bytes));
    let mut index = Value::Null;
    let mut inner = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if name == "attachments.index.json" {
            index = serde_json::from_slice(&data).unwrap();
        }
        if name == "attachments.tar" {
            inner = data;
        }
        names.push(name);
    }
    assert_eq!(
        names,
        [
            "manifest.json",
            "exp.db.zip",
            "attachments.tar",
            "attachments.index.json"
        ]
    );
    // The index points at each member's bytes inside attachments.tar, as luml reads it.
    let [off, size] = [
        &index["attachments/notes.md"][0],
        &index["attachments/notes.md"][1],
    ]
    .map(|v| v.as_u64().unwrap() as usize);
    assert!(inner[off..off + size].starts_with(b"# alpha74-run-0"));
    let back = snapshot::from_tar_bytes(&bytes).unwrap();
    assert_eq!(back.info.group, "oscar970-group");
    assert_eq!(back.info.params, dump.info.params);
    assert_eq!(back.metrics["train/loss"].len(), 323);
    assert_eq!(back.attachments.len(), 3);
}

#[test]
fn corrupt_meta_db_is_reported_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let meta = tmp.path().join("meta.db");
    let garbage = b"this is not a database, but someone's data".repeat(100);
    std::fs::write(&meta, &garbage).unwrap();
    let err = SqliteStore::open(tmp.path()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, sextant_core::Error::Corrupt { .. }), "{msg}");
    assert!(msg.contains("meta.db"), "{msg}");
    assert_eq!(
        std::fs::read(&meta).unwrap(),
        garbage,
        "the file is untouched"
    );
}

#[test]
fn link_appends_snapshot_inside_a_luml_model() {
    let (tmp, store) = writable_store();
    let tracker = Tracker::new(store, Arc::new(SystemEnv));
    let dump =
        pollster::block_on(tracker.dump(Some("53bcf9d1-d6be-47b5-86fb-b8528010fd61"))).unwrap();
    let model = tmp.path().join("model.luml");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(5);
    h.set_mode(0o644);
    b.append_data(&mut h, "model/weights.bin", &b"12345"[..])
        .unwrap();
    std::fs::write(&model, b.into_inner().unwrap()).unwrap();
    let sid = snapshot::append_to_model(&model, &dump).unwrap();
    assert!(sid.starts_with("dataforce.studio~c~~c~experiment_snapshot~c~v1~~et~~"));
    let mut names = Vec::new();
    let mut archive = tar::Archive::new(std::fs::File::open(&model).unwrap());
    for e in archive.entries().unwrap() {
        names.push(e.unwrap().path().unwrap().to_string_lossy().into_owned());
    }
    assert_eq!(
        names[0], "model/weights.bin",
        "the model's own files stay first"
    );
    assert!(names.contains(&format!("meta_artifacts/{sid}/exp.db.zip")));
    assert!(names
        .iter()
        .any(|n| n.starts_with("meta-") && n.ends_with(".json")));
}

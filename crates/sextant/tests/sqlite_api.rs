//! The blocking API over the SQLite store: durability through a second handle, attachment
//! safety on disk, export/import and linking models.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sextant::{Error, ExperimentDump, ExperimentTracker, ParamValue, Status};

fn store_in(dir: &Path) -> (String, PathBuf) {
    let root = dir.join("store");
    (format!("sqlite://{}", root.display()), root)
}

/// An experiment with a bit of everything, ended.
fn populated(t: &ExperimentTracker) -> String {
    let id = t
        .start_experiment(
            sextant::StartOptions::new()
                .name("full")
                .group("g")
                .tags(["a", "b"])
                .description("d"),
        )
        .unwrap();
    t.log_static("lr", 0.01, None).unwrap();
    t.log_static("layers", serde_json::json!([3, 4]), None)
        .unwrap();
    for i in 0..300 {
        t.log_dynamics(
            &[
                ("loss", 1.0 / f64::from(i + 1)),
                ("acc", f64::from(i) / 300.0),
            ],
            None,
            None,
        )
        .unwrap();
    }
    t.log_dynamic("weird", f64::INFINITY, None, None).unwrap();
    t.log_attachment("notes.md", "# notes", None).unwrap();
    t.log_attachment("plots/a.bin", vec![1u8, 2, 3, 255], None)
        .unwrap();
    t.log_span(
        sextant::Span {
            trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
            span_id: "b7ad6b7169203331".into(),
            parent_span_id: None,
            name: "epoch".into(),
            kind: 1,
            dfs_span_type: 0,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_001_000_000_000,
            status: sextant::SpanStatus::Ok,
            status_message: None,
            attributes: Default::default(),
            events: vec![],
            links: vec![],
            trace_flags: None,
        },
        None,
    )
    .unwrap();
    t.end_experiment(None).unwrap();
    id
}

/// What must survive a snapshot: everything but store-assigned details.
fn assert_same_experiment(a: &ExperimentDump, b: &ExperimentDump) {
    assert_eq!(a.info.id, b.info.id);
    assert_eq!(a.info.name, b.info.name);
    assert_eq!(a.info.group, b.info.group);
    assert_eq!(a.info.status, b.info.status);
    assert_eq!(a.info.tags, b.info.tags);
    assert_eq!(a.info.params, b.info.params);
    assert_eq!(a.info.metrics, b.info.metrics);
    assert_eq!(
        a.metrics.keys().collect::<Vec<_>>(),
        b.metrics.keys().collect::<Vec<_>>()
    );
    for (key, points) in &a.metrics {
        let other = &b.metrics[key];
        assert_eq!(points.len(), other.len(), "{key}");
        assert!(points.iter().zip(other).all(|(p, q)| p.same_as(q)), "{key}");
    }
    assert_eq!(a.spans, b.spans);
    let files = |d: &ExperimentDump| {
        d.attachments
            .iter()
            .map(|(info, data)| (info.name.clone(), data.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(files(a), files(b));
}

#[test]
fn background_flush_reaches_disk_for_a_second_handle() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, _) = store_in(dir.path());
    let writer = ExperimentTracker::new(&conn).unwrap();
    let id = writer.start("durable").unwrap();
    writer.log_dynamic("loss", 0.75, None, None).unwrap();
    let logged = Instant::now();
    let reader = ExperimentTracker::new(&conn).unwrap();
    let points = loop {
        let points = reader.get_metric_history(Some(&id), "loss").unwrap();
        if !points.is_empty() || logged.elapsed() > Duration::from_secs(5) {
            break points;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(points.len(), 1, "never flushed to disk");
    assert_eq!(
        reader.get_experiment(Some(&id)).unwrap().status,
        Status::Running
    );
}

#[test]
fn escaping_attachment_names_never_touch_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, root) = store_in(dir.path());
    let t = ExperimentTracker::new(&conn).unwrap();
    let id = common::escaping_names_rejected(&t);
    let exp_dir = root.join(&id);
    for escaped in [
        exp_dir.join("x"),
        exp_dir.join("b"),
        root.join("x"),
        root.join("b"),
    ] {
        assert!(!escaped.exists(), "{} was written", escaped.display());
    }
    assert!(exp_dir.join("attachments").join("ok.txt").is_file());
}

#[test]
fn export_then_import_into_another_store() {
    let dir = tempfile::tempdir().unwrap();
    let (conn_a, _) = store_in(&dir.path().join("a"));
    let (conn_b, _) = store_in(&dir.path().join("b"));
    let a = ExperimentTracker::new(&conn_a).unwrap();
    let id = populated(&a);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let file = out_dir.join("run.tar");
    a.export(&file, Some(&id)).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["run.tar"], "no temporary files left behind");

    let b = ExperimentTracker::new(&conn_b).unwrap();
    assert_eq!(b.import(&file).unwrap(), id);
    assert_same_experiment(&a.dump(Some(&id)).unwrap(), &b.dump(Some(&id)).unwrap());
    assert!(matches!(b.import(&file), Err(Error::ExperimentExists(_))));

    let missing = dir.path().join("nope.tar");
    let msg = b.import(&missing).unwrap_err().to_string();
    assert!(msg.contains("nope.tar"), "{msg}");
}

#[test]
fn linking_a_plain_model_file_writes_a_sibling_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, _) = store_in(dir.path());
    let t = ExperimentTracker::new(&conn).unwrap();
    let id = populated(&t);
    let model = dir.path().join("model.onnx");
    std::fs::write(&model, b"not really onnx").unwrap();

    let linked = t.link_to_model(&model, Some(&id)).unwrap();
    assert_eq!(linked.name, "model.onnx");
    assert!(Path::new(&linked.path).is_absolute());
    assert_eq!(linked.size, Some(15));
    assert_eq!(t.list_models(Some(&id)).unwrap(), vec![linked]);
    assert_eq!(
        std::fs::read(&model).unwrap(),
        b"not really onnx",
        "model untouched"
    );

    let sibling = dir.path().join("model.onnx.snapshot.tar");
    let bytes = std::fs::read(&sibling).unwrap();
    let dump = sextant_sqlite::snapshot::from_tar_bytes(&bytes).unwrap();
    assert_eq!(dump.info.id, id);
    assert_eq!(dump.info.params.get("lr"), Some(&ParamValue::Float(0.01)));
}

#[test]
fn linking_a_luml_model_appends_the_snapshot_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, _) = store_in(dir.path());
    let t = ExperimentTracker::new(&conn).unwrap();
    let id = populated(&t);
    let model = dir.path().join("classifier.luml");
    {
        let mut builder = tar::Builder::new(std::fs::File::create(&model).unwrap());
        let data = b"weights";
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, "model.bin", &data[..])
            .unwrap();
        builder.finish().unwrap();
    }

    let linked = t.link_to_model(&model, Some(&id)).unwrap();
    assert_eq!(t.list_models(Some(&id)).unwrap(), vec![linked.clone()]);
    assert_eq!(linked.size, Some(std::fs::metadata(&model).unwrap().len()));
    assert!(!dir.path().join("classifier.luml.snapshot.tar").exists());

    let mut archive = tar::Archive::new(std::fs::File::open(&model).unwrap());
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"model.bin".to_string()), "{names:?}");
    for member in [
        "manifest.json",
        "exp.db.zip",
        "attachments.tar",
        "attachments.index.json",
    ] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("meta_artifacts/") && n.ends_with(member)),
            "{member} missing in {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("meta-") && n.ends_with(".json")),
        "{names:?}"
    );
}

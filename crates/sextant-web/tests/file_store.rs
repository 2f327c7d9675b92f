//! The file store (the key/value layout logged to a file) with a `std::fs` host:
//! conformance, persistence, exact values, torn lines, foreign files.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::Write;
use std::sync::Arc;

use sextant_core::{conformance, Error, ParamValue, Result, StartOptions, Status, Store, Tracker};
use sextant_native::SystemEnv;
use sextant_web::filelog::{self, FileHost};

#[derive(Debug, Clone, Copy)]
struct StdFs;

impl FileHost for StdFs {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::storage(e.to_string())),
        }
    }
    fn append(&self, path: &str, data: &[u8]) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::storage(e.to_string()))?;
        f.write_all(data)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::storage(e.to_string()))
    }
}

fn open(path: &str) -> filelog::FileStore<StdFs> {
    filelog::open(StdFs, path, Arc::new(SystemEnv)).unwrap()
}

#[test]
fn file_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.path().join(format!("s{i}.sextant"));
        async move { Arc::new(open(path.to_str().unwrap())) as Arc<dyn Store> }
    }));
}

#[test]
fn data_survives_reopening_exactly_and_a_torn_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.sextant");
    let path = path.to_str().unwrap();
    pollster::block_on(async {
        let t = Tracker::new(Arc::new(open(path)), Arc::new(SystemEnv));
        let id = t
            .start_experiment(StartOptions::new().name("kept"))
            .await
            .unwrap();
        t.log_static("lr", 0.1 + 0.2, None).unwrap();
        for i in 0..100 {
            t.log_dynamic("loss", 1.0 / f64::from(i + 7), None, None)
                .unwrap();
        }
        t.log_dynamic("loss", f64::NAN, Some(100), None).unwrap();
        t.end_experiment(None).await.unwrap();
        let gone = t.start_experiment(StartOptions::new()).await.unwrap();
        t.log_dynamic("x", 1.0, None, None).unwrap();
        t.flush().await.unwrap();
        t.delete_experiment(&gone).await.unwrap();

        // A crash in the middle of a write leaves half a line.
        StdFs.append(path, br#"{"sextant:e:abc":"{\"info"#).unwrap();
        let reopened = open(path);
        assert_eq!(reopened.backend().skipped_lines(), 1);
        let info = reopened.get_experiment(&id).await.unwrap();
        assert_eq!(
            (info.name.as_str(), info.status),
            ("kept", Status::Completed)
        );
        assert_eq!(info.params["lr"], ParamValue::Float(0.1 + 0.2), "bit-exact");
        let points = reopened
            .metric_points(&id, "loss", Default::default())
            .await
            .unwrap();
        assert_eq!(points.len(), 101);
        assert!(points
            .iter()
            .take(100)
            .zip(0..)
            .all(|(p, i)| p.value.to_bits() == (1.0 / f64::from(i + 7)).to_bits()));
        assert!(points[100].value.is_nan());
        assert_eq!(
            reopened.list_experiments().await.unwrap().len(),
            1,
            "delete replayed"
        );

        // Writing after the torn line starts a fresh one, so the next open reads it.
        let t2 = Tracker::new(Arc::new(reopened), Arc::new(SystemEnv));
        let second = t2.start_experiment(StartOptions::new()).await.unwrap();
        t2.end_experiment(None).await.unwrap();
        let third = open(path);
        assert_eq!(third.backend().skipped_lines(), 1);
        assert!(third.get_experiment(&second).await.is_ok());
    });
}

#[test]
fn a_file_from_something_else_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.json");
    std::fs::write(&path, "{\"hello\": 1}\n").unwrap();
    let err = filelog::open(StdFs, path.to_str().unwrap(), Arc::new(SystemEnv)).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("line 1"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"hello\": 1}\n",
        "left untouched"
    );
}

//! Defects a hostile test found in the SQLite store, each pinned: batches are all or
//! nothing across experiments, every valid attachment name can be written, one unreadable
//! exp.db does not hide the others, read-only stores can be read, symlinked attachment
//! files are refused, timestamps outside the calendar are refused, and a clean close
//! leaves nothing only in the WAL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;

use pollster::block_on;
use sextant_core::{Batch, Error, MetricPoint, NewExperiment, ParamValue, Record, Store};
use sextant_sqlite::SqliteStore;

fn create(id: &str) -> Record {
    Record::Create(NewExperiment::new(
        id,
        format!("run {id}"),
        "g",
        1_700_000_000_000,
    ))
}

fn points(id: &str, key: &str, steps: std::ops::Range<i64>) -> Record {
    Record::Metrics {
        experiment: id.into(),
        key: key.into(),
        points: steps
            .map(|s| MetricPoint {
                step: s,
                value: s as f64,
                logged_at: 1_700_000_000_000 + s,
            })
            .collect(),
    }
}

fn attachment(id: &str, name: &str, data: &[u8]) -> Record {
    Record::Attachment {
        experiment: id.into(),
        name: name.into(),
        data: data.to_vec(),
        created_at: 1_700_000_000_000,
    }
}

fn write(store: &SqliteStore, records: Vec<Record>) -> sextant_core::Result<()> {
    block_on(store.write(&Batch { records }))
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn a_failed_batch_leaves_nothing_of_any_experiment() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    write(
        &store,
        vec![create("a"), create("b"), points("a", "loss", 0..3)],
    )
    .unwrap();

    // A's points, then a record for an experiment that does not exist: all or nothing.
    let err = write(
        &store,
        vec![
            points("a", "loss", 3..10),
            attachment("a", "notes.txt", b"hello"),
            points("nosuch", "loss", 0..2),
        ],
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::ExperimentNotFound(ref id) if id == "nosuch"),
        "{err}"
    );
    let a = block_on(store.metric_points("a", "loss", Default::default())).unwrap();
    assert_eq!(a.len(), 3, "A's points of the failed batch were committed");
    assert!(block_on(store.list_attachments("a")).unwrap().is_empty());
    let info = block_on(store.get_experiment("a")).unwrap();
    assert_eq!(
        info.metrics.get("loss"),
        Some(&2.0),
        "cache moved with the failed batch"
    );
    let listed = block_on(store.list_experiments()).unwrap();
    let a_listed = listed.iter().find(|e| e.id == "a").unwrap();
    assert_eq!(a_listed.metrics.get("loss"), Some(&2.0));
    assert!(
        !files_under(&dir.path().join("a"))
            .iter()
            .any(|f| f.contains("/.sextant-") || f.ends_with("notes.txt")),
        "a failed batch left files: {:?}",
        files_under(dir.path())
    );

    // A bad name for B is refused before anything of A is written.
    let err = write(
        &store,
        vec![
            points("a", "loss", 3..10),
            attachment("b", "../escape", b"x"),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    assert_eq!(
        block_on(store.metric_points("a", "loss", Default::default()))
            .unwrap()
            .len(),
        3
    );

    // A create that fails (the id exists) takes the rest of its batch with it.
    let err = write(
        &store,
        vec![create("c"), points("c", "x", 0..5), create("a")],
    )
    .unwrap_err();
    assert!(matches!(err, Error::ExperimentExists(_)), "{err}");
    assert!(matches!(
        block_on(store.get_experiment("c")),
        Err(Error::ExperimentNotFound(_))
    ));

    // And the store still takes good batches.
    write(&store, vec![points("a", "loss", 3..10)]).unwrap();
    assert_eq!(
        block_on(store.get_experiment("a"))
            .unwrap()
            .metrics
            .get("loss"),
        Some(&9.0)
    );
}

#[test]
fn every_valid_attachment_name_can_be_written_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    write(&store, vec![create("a")]).unwrap();
    let longest = "n".repeat(255);
    let nested = format!("d/{}", "m".repeat(255));
    for name in [
        "..hidden",
        "..x",
        "sub/..x",
        "x..y",
        ".env",
        longest.as_str(),
        nested.as_str(),
    ] {
        write(&store, vec![attachment("a", name, name.as_bytes())])
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        let back = block_on(store.get_attachment("a", name)).unwrap();
        assert_eq!(back, name.as_bytes(), "{name:?}");
    }
    let too_long = "n".repeat(256);
    let err = write(&store, vec![attachment("a", &too_long, b"x")]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { .. }) && err.to_string().contains("255"),
        "{err}"
    );
    let names: Vec<String> = block_on(store.list_attachments("a"))
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(
        !files_under(dir.path())
            .iter()
            .any(|f| f.contains(".sextant-")),
        "temporary files left: {:?}",
        files_under(dir.path())
    );
}

#[test]
fn one_unreadable_exp_db_is_listed_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        write(
            &store,
            vec![
                create("good"),
                create("bad"),
                points("good", "x", 0..3),
                points("bad", "x", 0..3),
            ],
        )
        .unwrap();
    }
    // The bad one's exp.db is garbage and its cached summary empty (as luml leaves a
    // running run): the list must still show both.
    let exp_dir = dir.path().join("bad");
    for f in ["exp.db-wal", "exp.db-shm"] {
        let _ = std::fs::remove_file(exp_dir.join(f));
    }
    std::fs::write(exp_dir.join("exp.db"), vec![0x55u8; 8192]).unwrap();
    let meta = rusqlite::Connection::open(dir.path().join("meta.db")).unwrap();
    meta.execute(
        "UPDATE experiments SET static_params = NULL, dynamic_params = NULL WHERE id = 'bad'",
        [],
    )
    .unwrap();
    drop(meta);

    let store = SqliteStore::open(dir.path()).unwrap();
    let list = block_on(store.list_experiments()).unwrap();
    assert_eq!(list.len(), 2);
    let good = list.iter().find(|e| e.id == "good").unwrap();
    assert!(good.unreadable.is_none());
    assert_eq!(good.metrics.get("x"), Some(&2.0));
    let bad = list.iter().find(|e| e.id == "bad").unwrap();
    let why = bad.unreadable.as_deref().unwrap();
    assert!(why.contains("exp.db"), "{why}");
    // The garbage file was left as it was.
    assert_eq!(
        std::fs::read(exp_dir.join("exp.db")).unwrap(),
        vec![0x55u8; 8192]
    );
}

#[test]
fn a_read_only_store_reads_and_refuses_writes_clearly() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        write(&store, vec![create("a"), points("a", "x", 0..100_000)]).unwrap();
        write(
            &store,
            vec![Record::Params {
                experiment: "a".into(),
                params: vec![("lr".into(), ParamValue::from_json(serde_json::json!(0.1)))],
            }],
        )
        .unwrap();
    }
    let db_files = |d: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = files_under(d)
            .into_iter()
            .filter(|f| f.ends_with(".db"))
            .map(|f| (f.clone(), std::fs::read(&f).unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = db_files(dir.path());
    let store = SqliteStore::open_read_only(dir.path()).unwrap();
    assert!(store.is_read_only());
    assert_eq!(block_on(store.list_experiments()).unwrap().len(), 1);
    let info = block_on(store.get_experiment("a")).unwrap();
    assert_eq!(info.params.len(), 1);
    let series = block_on(store.metric_series("a", "x", Default::default(), 1000)).unwrap();
    assert!(
        !series.is_empty() && series.len() <= 1002,
        "{}",
        series.len()
    );
    assert_eq!(series.last().unwrap().step, 99_999);
    let err = write(&store, vec![points("a", "x", 0..1)]).unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("read-only"), "{err}");
    drop(store);
    assert!(
        db_files(dir.path()) == before,
        "a read-only open changed a database"
    );
}

/// On a real read-only mount (when this machine lets the test make one) `open` itself
/// falls back to reading.
#[test]
fn a_store_on_a_read_only_mount_opens_for_reading() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let ro = dir.path().join("ro");
    {
        let store = SqliteStore::open(&src).unwrap();
        write(&store, vec![create("a"), points("a", "x", 0..10)]).unwrap();
    }
    std::fs::create_dir_all(&ro).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["--bind", "-o", "ro"])
        .arg(&src)
        .arg(&ro)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipping: cannot bind-mount read-only here (open_read_only is tested above)");
        return;
    }
    // Some kernels need a remount for `ro` to apply to a bind mount.
    let _ = std::process::Command::new("mount")
        .args(["-o", "remount,bind,ro"])
        .arg(&ro)
        .status();
    let result = std::panic::catch_unwind(|| {
        let store = SqliteStore::open(&ro).unwrap();
        assert!(store.is_read_only());
        assert_eq!(block_on(store.list_experiments()).unwrap().len(), 1);
        assert_eq!(
            block_on(store.metric_points("a", "x", Default::default()))
                .unwrap()
                .len(),
            10
        );
        let err = write(&store, vec![points("a", "x", 10..11)]).unwrap_err();
        assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    });
    let _ = std::process::Command::new("umount").arg(&ro).status();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn a_symlinked_attachment_file_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    write(
        &store,
        vec![create("a"), attachment("a", "notes.txt", b"mine")],
    )
    .unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, b"not yours").unwrap();
    let file = dir.path().join("a/attachments/notes.txt");
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&secret, &file).unwrap();
    let err = block_on(store.get_attachment("a", "notes.txt")).unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
}

#[test]
fn timestamps_outside_the_calendar_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let Record::Create(mut new) = create("a") else {
        unreachable!()
    };
    new.created_at = i64::MAX;
    let err = write(&store, vec![Record::Create(new)]).unwrap_err();
    assert!(err.to_string().contains("created_at"), "{err}");
    let err = write(&store, vec![create("b"), points("b", "x", -3..-1)]).unwrap_err();
    assert!(err.to_string().contains("step"), "{err}");
    assert!(block_on(store.list_experiments()).unwrap().is_empty());
}

#[test]
fn a_clean_close_leaves_nothing_only_in_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        write(&store, vec![create("a"), points("a", "x", 0..5000)]).unwrap();
    }
    // Copy only the .db files, as a user backing up might.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("meta.db"), copy.path().join("meta.db")).unwrap();
    std::fs::create_dir_all(copy.path().join("a")).unwrap();
    std::fs::copy(dir.path().join("a/exp.db"), copy.path().join("a/exp.db")).unwrap();
    let store = SqliteStore::open(copy.path()).unwrap();
    assert_eq!(
        block_on(store.metric_points("a", "x", Default::default()))
            .unwrap()
            .len(),
        5000
    );
}

/// A full disk is `QUOTA_EXCEEDED` (the server's 507), not a generic storage error, and
/// what was stored before stays readable. Uses a 1 MiB tmpfs when the machine allows it.
#[test]
fn a_full_disk_is_quota_exceeded_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipping: cannot mount a small tmpfs here");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        let store = SqliteStore::open(dir.path().join("s")).unwrap();
        write(&store, vec![create("a"), points("a", "x", 0..10)]).unwrap();
        let err = write(
            &store,
            vec![attachment("a", "big.bin", &vec![7u8; 4 << 20])],
        )
        .unwrap_err();
        assert!(matches!(err, Error::QuotaExceeded { .. }), "{err}");
        assert!(err.is_transient(), "space may be freed: keep and retry");
        assert_eq!(
            block_on(store.metric_points("a", "x", Default::default()))
                .unwrap()
                .len(),
            10
        );
        assert!(block_on(store.list_attachments("a")).unwrap().is_empty());
    });
    let _ = std::process::Command::new("umount")
        .arg(dir.path())
        .status();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

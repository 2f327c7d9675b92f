//! `sextant sync` between two SQLite stores (the same code syncs any two backends; the
//! PostgreSQL target is covered in postgres_cli.rs): a full copy, nothing sent twice, a
//! running experiment synced incrementally, and the command's output.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Command;

use sextant::sync::sync_once;
use sextant::{ExperimentDump, ExperimentTracker, Status};

fn sqlite(dir: &std::path::Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

#[test]
fn copies_everything_once_and_then_only_new_points() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (sqlite(dir.path(), "a"), sqlite(dir.path(), "b"));
    let src = ExperimentTracker::new(&a).unwrap();
    let dst = sextant::open_store(&b).unwrap();

    let id = src.start("training").unwrap();
    src.log_static("lr", 0.1, None).unwrap();
    for i in 0..1000 {
        src.log_dynamic("loss", 1.0 / f64::from(i + 1), None, None)
            .unwrap();
    }
    src.log_attachment("notes.md", "# run", None).unwrap();
    src.flush().unwrap();

    let r = pollster::block_on(sync_once(src.store().as_ref(), dst.as_ref(), None)).unwrap();
    assert_eq!(
        (r.experiments_created, r.points, r.attachments, r.params),
        (1, 1000, 1, 1)
    );
    assert_eq!(
        pollster::block_on(dst.get_experiment(&id)).unwrap().status,
        Status::Running
    );

    let again = pollster::block_on(sync_once(src.store().as_ref(), dst.as_ref(), None)).unwrap();
    assert!(again.is_empty(), "a second pass sends nothing: {again:?}");

    // The run goes on: only the new points travel, then the end.
    for i in 0..250 {
        src.log_dynamic("loss", f64::from(i), None, None).unwrap();
    }
    src.log_dynamic("acc", 0.5, None, None).unwrap();
    src.end_experiment(None).unwrap();
    let r = pollster::block_on(sync_once(src.store().as_ref(), dst.as_ref(), None)).unwrap();
    assert_eq!((r.experiments_created, r.points, r.statuses), (0, 251, 1));

    let want = pollster::block_on(ExperimentDump::read(src.store().as_ref(), &id)).unwrap();
    let got = pollster::block_on(ExperimentDump::read(dst.as_ref(), &id)).unwrap();
    assert_eq!(got.info.status, Status::Completed);
    assert_eq!(got.info.params, want.info.params);
    assert_eq!(got.attachments, want.attachments);
    for (key, points) in &want.metrics {
        let other = &got.metrics[key];
        assert!(
            points.len() == other.len() && points.iter().zip(other).all(|(x, y)| x.same_as(y)),
            "{key} differs"
        );
    }
}

#[test]
fn the_command_reports_what_it_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (sqlite(dir.path(), "a"), sqlite(dir.path(), "b"));
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sextant"))
            .env_remove("SEXTANT_STORE")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let id = run(&["--store", &a, "demo"]).trim().to_string();
    let first: serde_json::Value =
        serde_json::from_str(&run(&["--json", "sync", "--from", &a, "--to", &b])).unwrap();
    assert_eq!(first["experiments_created"], 1);
    assert!(first["points"].as_u64().unwrap() > 100, "{first}");
    let second = run(&["sync", "--from", &a, "--to", &b]);
    assert!(second.contains("(0 new): 0 points"), "{second}");
    let listed = run(&["--store", &b, "--json", "ls"]);
    assert!(listed.contains(&id), "{listed}");
}

#[test]
fn watch_keeps_pushing_while_a_run_trains() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (sqlite(dir.path(), "a"), sqlite(dir.path(), "b"));
    let src = ExperimentTracker::new(&a).unwrap();
    let id = src.start("live").unwrap();
    src.log_dynamic("loss", 1.0, None, None).unwrap();
    src.flush().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sextant"))
        .args([
            "sync",
            "--from",
            &a,
            "--to",
            &b,
            "--watch",
            "--interval",
            "0.1",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dst = sextant::open_store(&b).unwrap();
    let wait_for = |points: u64| {
        let start = std::time::Instant::now();
        loop {
            let have = pollster::block_on(dst.list_metrics(&id))
                .ok()
                .and_then(|m| m.first().map(|m| m.count))
                .unwrap_or(0);
            if have >= points {
                return have;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "target stuck at {have} of {points} points"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    assert_eq!(wait_for(1), 1);
    for i in 0..500 {
        src.log_dynamic("loss", f64::from(i), None, None).unwrap();
    }
    src.flush().unwrap();
    assert_eq!(wait_for(501), 501, "new points followed, none twice");
    src.end_experiment(None).unwrap();
    let start = std::time::Instant::now();
    while pollster::block_on(dst.get_experiment(&id)).unwrap().status != Status::Completed {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "end not synced"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A laptop pushes a run with a checkpoint larger than the server takes in one request:
/// the file streams through, a second sync sends nothing, and the team server records
/// the token that pushed it.
#[test]
fn a_large_attachment_syncs_through_a_server_and_the_run_records_the_token() {
    use sextant::{NewToken, Role, Store, TokenStore};
    let dir = tempfile::tempdir().unwrap();
    let src = ExperimentTracker::new(&sqlite(dir.path(), "laptop")).unwrap();
    let id = src.start("big-checkpoint").unwrap();
    let ckpt: Vec<u8> = (0..(6u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    src.log_attachment("ckpt.bin", ckpt.clone(), None).unwrap();
    src.end_experiment(None).unwrap();

    let team_dir = dir.path().join("team");
    let team = std::sync::Arc::new(sextant_sqlite::SqliteStore::open(&team_dir).unwrap());
    let secret = sextant_native::new_token_secret().unwrap();
    pollster::block_on(
        team.add_token(&NewToken::new("laptop-1", Role::Write, &secret, 1).unwrap()),
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let served: std::sync::Arc<dyn sextant::Store> = team.clone();
    std::thread::spawn(move || {
        let opts = sextant_server::ServeOptions {
            port: 0,
            max_body_bytes: 1 << 20,
            ..Default::default()
        };
        let _ = sextant_server::serve_blocking(served, opts, move |a| {
            let _ = tx.send(a);
        });
    });
    let addr = rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap();
    let remote = sextant_http::HttpStore::new(&format!("http://{addr}"), Some(secret)).unwrap();

    let r = pollster::block_on(sync_once(src.store().as_ref(), &remote, None)).unwrap();
    assert_eq!((r.experiments_created, r.attachments), (1, 1));
    let again = pollster::block_on(sync_once(src.store().as_ref(), &remote, None)).unwrap();
    assert!(again.is_empty(), "a second pass sends nothing: {again:?}");
    let stored = pollster::block_on(team.get_attachment(&id, "ckpt.bin")).unwrap();
    assert!(stored == ckpt, "the checkpoint arrived changed");
    let info = pollster::block_on(team.get_experiment(&id)).unwrap();
    assert_eq!(info.created_by.as_deref(), Some("laptop-1"));
}

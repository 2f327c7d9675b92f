//! The `sextant` command over `postgres://`: demo, ls, and two stateless `serve` replicas
//! over one database that both see runs written through either. Needs a PostgreSQL
//! (`SEXTANT_TEST_POSTGRES`, set by scripts/test-postgres.sh); skipped with a notice without.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

mod common;

fn pg_store() -> Option<String> {
    let Ok(url) = std::env::var("SEXTANT_TEST_POSTGRES") else {
        eprintln!("SKIPPED: SEXTANT_TEST_POSTGRES is not set; run scripts/test-postgres.sh");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!(
        "{url}{sep}schema=cli_{}_{nanos}",
        std::process::id()
    ))
}

fn sextant(store: &str, args: &[&str]) -> String {
    let run = common::sextant(store, args);
    assert!(run.code == 0, "sextant {args:?} failed: {}", run.stderr);
    run.stdout
}

fn ls(store: &str) -> Vec<Value> {
    let out = sextant(store, &["--json", "ls"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// A `sextant serve` on a free port; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(store: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sextant"))
            .env_remove("SEXTANT_TOKEN")
            .args(["--store", store, "serve", "--port", "0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("server output").unwrap();
            if let Some(rest) = line.trim().strip_prefix("dashboard: ") {
                break rest.trim().trim_end_matches('/').to_string();
            }
        };
        Server { child, url }
    }

    fn experiment_ids(&self) -> Vec<String> {
        let mut r = ureq::get(&format!("{}/api/experiments", self.url))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        let list = body
            .get("experiments")
            .or(Some(&body))
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no experiment list in {body}"));
        list.iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_unreachable_server_is_one_clear_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_sextant"))
        .args([
            "--store",
            &format!("postgres://u:hunter2@127.0.0.1:{port}/db"),
            "ls",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ")
            && stderr.contains(&format!("cannot reach PostgreSQL at 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn demo_ls_and_show_over_postgres() {
    let Some(store) = pg_store() else { return };
    let id = sextant(&store, &["demo"]).trim().to_string();
    assert_eq!(id.len(), 36, "{id}");
    let listed = ls(&store);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["status"], "completed");
    let shown = sextant(&store, &["show", &id]);
    assert!(shown.contains(&id), "{shown}");
}

#[test]
fn two_replicas_over_one_database_serve_the_same_runs() {
    let Some(store) = pg_store() else { return };
    let a = Server::start(&store);
    let b = Server::start(&store);
    assert_ne!(a.url, b.url);
    assert!(a.experiment_ids().is_empty() && b.experiment_ids().is_empty());
    // A run logged through replica A's http:// ingest, another straight into PostgreSQL.
    let via_a = sextant(&format!("{}/", a.url), &["demo"])
        .trim()
        .to_string();
    let direct = sextant(&store, &["demo"]).trim().to_string();
    for server in [&a, &b] {
        let ids = server.experiment_ids();
        assert!(
            ids.contains(&via_a) && ids.contains(&direct),
            "{} sees {ids:?}",
            server.url
        );
    }
    let via_b = sextant(&b.url, &["--json", "ls"]);
    assert!(via_b.contains(&via_a), "{via_b}");
    // A laptop's local run pushed through replica B shows up on replica A.
    let dir = tempfile::tempdir().unwrap();
    let local = format!("sqlite://{}", dir.path().join("laptop").display());
    let laptop = sextant(&local, &["demo"]).trim().to_string();
    sextant(&local, &["sync", "--from", &local, "--to", &b.url]);
    assert!(a.experiment_ids().contains(&laptop));
}

#[test]
fn a_killed_sync_into_postgres_resumes_and_sends_nothing_twice() {
    let Some(store) = pg_store() else { return };
    let dir = tempfile::tempdir().unwrap();
    let local = format!("sqlite://{}", dir.path().join("local").display());
    let total = 400_000u64;
    let id = {
        let t = sextant::ExperimentTracker::new(&local).unwrap();
        let id = t.start("offline-cluster").unwrap();
        for i in 0..total {
            t.log_dynamic("loss", 1.0 / (i as f64 + 1.0), None, None)
                .unwrap();
        }
        t.end_experiment(None).unwrap();
        id
    };
    let target = sextant::open_store(&store).unwrap();
    let count = |target: &std::sync::Arc<dyn sextant::Store>| -> u64 {
        match pollster::block_on(target.list_metrics(&id)) {
            Ok(m) => m.first().map_or(0, |m| m.count),
            Err(_) => 0,
        }
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_sextant"))
        .args(["sync", "--from", &local, "--to", &store])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while count(&target) == 0 && start.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let partial = count(&target);
    assert!(partial > 0, "the sync never wrote");
    let info = pollster::block_on(target.get_experiment(&id)).unwrap();
    if partial < total {
        assert_eq!(
            info.status,
            sextant::Status::Running,
            "an interrupted copy is not marked completed"
        );
    }
    let out = sextant(
        &local,
        &["--json", "sync", "--from", &local, "--to", &store],
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["points"].as_u64().unwrap(),
        total - partial,
        "{report}"
    );
    assert_eq!(count(&target), total, "every point exactly once");
    let info = pollster::block_on(target.get_experiment(&id)).unwrap();
    assert_eq!(info.status, sextant::Status::Completed);
    let again = sextant(
        &local,
        &["--json", "sync", "--from", &local, "--to", &store],
    );
    let report: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(report["points"], 0, "{report}");
    eprintln!("killed after {partial} of {total} points; the rerun sent the rest");
}

/// One raw request to a server URL (`http://127.0.0.1:PORT`); returns the status.
fn post_batch(url: &str, body: &Value) -> u16 {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let body = serde_json::to_vec(body).unwrap();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST /api/batch HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(&body).unwrap();
    let mut out = String::new();
    let _ = conn.read_to_string(&mut out);
    out.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn live_updates_reach_the_clients_of_every_replica_even_when_a_metric_plateaus() {
    use std::io::Write;
    let Some(store) = pg_store() else { return };
    let a = Server::start(&store);
    let b = Server::start(&store);
    let points = |from: i64, to: i64| -> Vec<Value> {
        (from..=to)
            .map(|s| serde_json::json!({"step": s, "value": 1.0, "logged_at": 1_700_000_000_000i64 + s}))
            .collect()
    };
    let first = serde_json::json!({"records": [
        {"op": "create", "id": "live-1", "name": "live", "group": "g", "tags": [], "created_at": 1_700_000_000_000i64},
        {"op": "metrics", "experiment": "live-1", "key": "loss", "points": points(0, 0)},
    ]});
    assert_eq!(post_batch(&a.url, &first), 204);

    // A dashboard connected to replica B.
    let addr = b.url.trim_start_matches("http://").to_string();
    let mut events = std::net::TcpStream::connect(&addr).unwrap();
    events
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    write!(
        events,
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(events).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:") {
                if let Ok(v) = serde_json::from_str::<Value>(data.trim()) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(500));

    // The same value at later steps, through replica A: the run's list entry does not change
    // (same latest value), so only A's notification can tell B's clients.
    let plateau = serde_json::json!({"records": [
        {"op": "metrics", "experiment": "live-1", "key": "loss", "points": points(1, 50)},
    ]});
    assert_eq!(post_batch(&a.url, &plateau), 204);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(change) => {
                if change["experiment"] == "live-1" && change["last_steps"]["loss"] == 50 {
                    break;
                }
                seen.push(change);
            }
            Err(_) => panic!("replica B never reported step 50 of live-1; it sent {seen:?}"),
        }
    }
}

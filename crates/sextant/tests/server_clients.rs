//! Eight trainers (native processes through the http:// store, and Node processes posting
//! batches) log at once into one `sextant serve`; every point arrives exactly once and the
//! server keeps answering while they do.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sextant::{ExperimentTracker, StartOptions};

const POINTS: i64 = 20_000;
const CHILD_ENV: &str = "SEXTANT_TEST_CLIENT_URL";

/// The native trainer, run in a child process (this test binary re-executed).
#[test]
fn native_client_child() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let tracker = ExperimentTracker::new(&url).unwrap();
    let id = tracker
        .start_experiment(StartOptions::new().group("clients").tags(["native"]))
        .unwrap();
    for step in 0..POINTS {
        tracker
            .log_dynamic("loss", step as f64 * 0.5, Some(step), None)
            .unwrap();
        if step % 2_000 == 1_999 {
            tracker.flush().unwrap();
        }
    }
    tracker.end_experiment(None).unwrap();
    println!("{id}");
}

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn eight_clients_log_into_one_server() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_sextant"))
        .args(["--store", &store, "serve", "--port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.trim().strip_prefix("dashboard: ") {
            break rest.trim().trim_end_matches('/').to_string();
        }
    };
    let node_script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/node/http_client.mjs"
    );
    let node = node_available();
    let mut clients: Vec<(Child, &str)> = Vec::new();
    for i in 0..8 {
        let child = if node && i % 3 == 2 {
            let id = format!("node-client-{i}");
            let c = Command::new("node")
                .args([node_script, &url, &id, &POINTS.to_string(), "2000"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            (c, "node")
        } else {
            let c = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "native_client_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, &url)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            (c, "native")
        };
        clients.push(child);
    }
    // The server keeps answering reads while eight writers post.
    let mut slowest = Duration::ZERO;
    let start = Instant::now();
    while clients
        .iter_mut()
        .any(|(c, _)| c.try_wait().unwrap().is_none())
    {
        let t = Instant::now();
        let mut r = ureq::get(&format!("{url}/api/experiments?limit=5"))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let _ = r.body_mut().read_to_string().unwrap();
        slowest = slowest.max(t.elapsed());
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "clients did not finish"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        slowest < Duration::from_secs(5),
        "a read waited {slowest:?} during the writes"
    );
    let kinds: Vec<&str> = clients.iter().map(|(_, k)| *k).collect();
    for (c, kind) in clients {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{kind} client failed");
    }
    let reader = ExperimentTracker::new(&store).unwrap();
    let runs = reader.list_experiments().unwrap();
    assert_eq!(runs.len(), 8, "every client's experiment exists");
    for run in &runs {
        assert_eq!(run.status, sextant::Status::Completed, "{}", run.name);
        let points = reader.get_metric_history(Some(&run.id), "loss").unwrap();
        assert_eq!(
            points.len() as i64,
            POINTS,
            "{}: every point once",
            run.name
        );
        assert!(points
            .iter()
            .enumerate()
            .all(|(i, p)| p.step == i as i64 && p.value == i as f64 * 0.5));
    }
    if node {
        assert!(
            kinds.contains(&"node") && kinds.contains(&"native"),
            "a mix of clients ran"
        );
    }
    server.kill().unwrap();
    let _ = server.wait();
}

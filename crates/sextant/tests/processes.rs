//! Real processes against one SQLite store: a writer killed with SIGKILL loses nothing it
//! reported flushed, and two writers at once both succeed.
//!
//! The children are this test binary run again with `CHILD_ROLE` set and `--exact` naming
//! the test that spawned them; that test then plays the child instead of the parent.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use sextant::{ExperimentTracker, Status};

const CHILD_ROLE: &str = "SEXTANT_TEST_CHILD_ROLE";
const CHILD_STORE: &str = "SEXTANT_TEST_CHILD_STORE";
const CHILD_NAME: &str = "SEXTANT_TEST_CHILD_NAME";
/// Starts every child report: libtest may print its own text on the same line first.
const MARK: &str = "@@child: ";

/// Points each concurrent writer logs, and how often it flushes.
const WRITER_POINTS: i64 = 20_000;
const WRITER_FLUSH_EVERY: i64 = 500;
/// How often the crash child flushes, and how many flushes the parent waits for.
const CRASH_FLUSH_EVERY: i64 = 1_000;
const CRASH_AFTER_FLUSHES: usize = 5;

fn spawn_child(test: &str, role: &str, store: &str, name: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role)
        .env(CHILD_STORE, store)
        .env(CHILD_NAME, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The child's side: `Some(())` when this process is a child and did its work.
fn run_as_child() -> Option<()> {
    let role = std::env::var(CHILD_ROLE).ok()?;
    let store = std::env::var(CHILD_STORE).unwrap();
    let name = std::env::var(CHILD_NAME).unwrap();
    let t = ExperimentTracker::new(&store).unwrap();
    let id = t.start(&name).unwrap();
    println!("{MARK}id {id}");
    t.log_static("role", role.as_str(), None).unwrap();
    match role.as_str() {
        "crash" => {
            // Logs until killed, reporting each flush that returned; gives up after a
            // minute so a broken parent cannot leave it filling the disk.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            for step in 0..i64::MAX {
                if std::time::Instant::now() > deadline {
                    break;
                }
                t.log_dynamic("x", step as f64, None, None).unwrap();
                if (step + 1) % CRASH_FLUSH_EVERY == 0 {
                    t.flush().unwrap();
                    println!("{MARK}flushed {step}");
                }
            }
        }
        "writer" => {
            for step in 0..WRITER_POINTS {
                t.log_dynamic("x", step as f64, None, None).unwrap();
                if (step + 1) % WRITER_FLUSH_EVERY == 0 {
                    t.flush().unwrap();
                }
            }
            t.end_experiment(None).unwrap();
            println!("{MARK}done");
        }
        other => panic!("unknown child role {other}"),
    }
    Some(())
}

/// The child's report in a line of its stdout, without libtest's text around it.
fn report(line: &str) -> Option<&str> {
    line.split_once(MARK).map(|(_, r)| r.trim_end())
}

/// Reads the child's stdout up to its `id <id>` report.
fn read_id(lines: &mut impl Iterator<Item = String>) -> String {
    lines
        .find_map(|l| {
            report(&l)
                .and_then(|r| r.strip_prefix("id "))
                .map(str::to_string)
        })
        .expect("child printed no id")
}

#[test]
fn sigkill_loses_nothing_that_was_flushed() {
    if run_as_child().is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().display());
    let mut child = spawn_child(
        "sigkill_loses_nothing_that_was_flushed",
        "crash",
        &store,
        "crashy",
    );
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let id = read_id(&mut lines);
    let mut last_flushed = None;
    let mut flushes = 0;
    for line in lines.by_ref() {
        if let Some(step) = report(&line).and_then(|r| r.strip_prefix("flushed ")) {
            last_flushed = Some(step.parse::<i64>().unwrap());
            flushes += 1;
            if flushes == CRASH_AFTER_FLUSHES {
                break;
            }
        }
    }
    // SIGKILL on Unix: no destructors, no atexit, no final flush.
    child.kill().unwrap();
    child.wait().unwrap();
    let last_flushed = last_flushed.expect("child never reported a flush");

    let t = ExperimentTracker::new(&store).unwrap();
    let info = t.get_experiment(Some(&id)).unwrap();
    assert_eq!(info.status, Status::Running, "killed runs stay active");
    assert_eq!(info.name, "crashy");
    let points = t.get_metric_history(Some(&id), "x").unwrap();
    assert!(
        points.len() as i64 > last_flushed,
        "{} points on disk, step {last_flushed} was reported flushed",
        points.len()
    );
    for (i, p) in points.iter().enumerate() {
        assert_eq!((p.step, p.value), (i as i64, i as f64), "point {i}");
    }
    // The store is still fully usable.
    assert_eq!(t.list_experiments().unwrap().len(), 1);
    t.start_experiment(sextant::StartOptions::new().id(&id))
        .unwrap();
    assert_eq!(
        t.log_dynamic("x", -1.0, None, None).unwrap(),
        points.len() as i64,
        "resuming continues after the last durable step"
    );
    t.end_experiment(None).unwrap();
}

#[test]
fn two_processes_log_into_one_store_at_once() {
    if run_as_child().is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().display());
    let children: Vec<Child> = ["left", "right"]
        .iter()
        .map(|name| {
            spawn_child(
                "two_processes_log_into_one_store_at_once",
                "writer",
                &store,
                name,
            )
        })
        .collect();
    let mut ids = Vec::new();
    for mut child in children {
        let stdout = child.stdout.take().unwrap();
        let lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect();
        let status = child.wait().unwrap();
        assert!(status.success(), "a writer failed: {lines:?}");
        assert!(lines.iter().any(|l| report(l) == Some("done")), "{lines:?}");
        ids.push(read_id(&mut lines.into_iter()));
    }

    let t = ExperimentTracker::new(&store).unwrap();
    assert_eq!(t.list_experiments().unwrap().len(), 2);
    for (id, name) in ids.iter().zip(["left", "right"]) {
        let info = t.get_experiment(Some(id)).unwrap();
        assert_eq!((info.name.as_str(), info.status), (name, Status::Completed));
        let points = t.get_metric_history(Some(id), "x").unwrap();
        assert_eq!(points.len() as i64, WRITER_POINTS, "{name}");
        assert!(points
            .iter()
            .enumerate()
            .all(|(i, p)| p.step == i as i64 && p.value == i as f64));
    }
}

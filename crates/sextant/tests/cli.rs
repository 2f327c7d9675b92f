//! The `sextant` binary, run as a user would, against temporary stores.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;

use common::{sextant, Run};

/// Runs a command that must succeed and returns its stdout.
fn ok(store: &str, args: &[&str]) -> String {
    let run = sextant(store, args);
    assert_eq!(run.code, 0, "sextant {args:?} failed: {}", run.stderr);
    run.stdout
}

fn json(store: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ok(store, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

/// A failed command: the expected exit code, nothing on stdout, one line on stderr that
/// mentions every `needle`.
fn fails(run: &Run, code: i32, needles: &[&str]) {
    assert_eq!(run.code, code, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {:?}", run.stderr);
    assert!(run.stderr.starts_with("error: "), "{:?}", run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "{needle:?} not in {:?}",
            run.stderr
        );
    }
}

fn store_at(dir: &Path) -> String {
    format!("sqlite://{}", dir.display())
}

/// Runs `demo` and returns the printed id (stdout is the id and nothing else).
fn demo(store: &str) -> String {
    let out = ok(store, &["demo"]);
    let id = out.trim().to_string();
    assert_eq!(out, format!("{id}\n"), "demo prints only its id");
    assert_eq!(id.len(), 36, "{id}");
    id
}

#[test]
fn demo_then_ls_show_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(&dir.path().join("experiments"));
    let id = demo(&store);

    let listed = json(&store, &["ls"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["group"], "demo");
    assert_eq!(listed[0]["status"], "completed");
    assert!(listed[0]["name"].as_str().unwrap().starts_with("demo-"));

    let table = ok(&store, &["ls"]);
    assert!(table.lines().next().unwrap().starts_with("ID"));
    assert!(
        table.contains(&id[..8]) && table.contains("completed"),
        "{table}"
    );

    let show = json(&store, &["show", &id]);
    let exp = &show["experiment"];
    assert_eq!(
        exp["params"]["lr"],
        serde_json::json!({"type": "float", "value": 3e-4})
    );
    assert_eq!(exp["params"]["batch_size"]["value"], 64);
    assert_eq!(exp["params"]["optimizer"]["value"], "adamw");
    assert_eq!(exp["params"]["model"]["type"], "json");
    assert!(exp["tags"].as_array().unwrap().len() >= 2);
    let metrics = show["metrics"].as_array().unwrap();
    let keys: Vec<&str> = metrics.iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["lr", "train/loss", "val/accuracy"]);
    assert!(metrics.iter().all(|m| m["count"] == 1000));
    let attachments: Vec<&str> = show["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(attachments.len(), 3, "{attachments:?}");
    assert!(attachments.contains(&"notes.md") && attachments.contains(&"config.json"));
    assert!(attachments.iter().any(|a| a.ends_with(".svg")));
    let traces = show["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 1);
    // Recorded through enable_tracing from #[instrument]ed functions: epoch → 4 batches →
    // forward + backward each.
    assert_eq!(traces[0]["root_name"], "train_epoch");
    assert_eq!(traces[0]["span_count"], 13);
    assert_eq!(traces[0]["state"], "ok");

    // The plot is a real SVG chart.
    let svg = std::fs::read_to_string(
        dir.path()
            .join("experiments")
            .join(&id)
            .join("attachments")
            .join(attachments.iter().find(|a| a.ends_with(".svg")).unwrap()),
    )
    .unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<polyline"),
        "{svg}"
    );

    // The human overview, reached by a unique prefix of the id.
    let text = ok(&store, &["show", &id[..8]]);
    for needle in [
        id.as_str(),
        "params:",
        "optimizer",
        "adamw",
        "train/loss",
        "notes.md",
        "epoch",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from\n{text}");
    }

    for key in ["train/loss", "val/accuracy", "lr"] {
        let points = json(&store, &["metrics", &id, key]);
        let points = points.as_array().unwrap();
        assert_eq!(points.len(), 1000, "{key}");
        assert!(points
            .iter()
            .enumerate()
            .all(|(i, p)| p["step"] == i as i64));
    }
    let loss = json(&store, &["metrics", &id, "train/loss"]);
    let first = loss[0]["value"].as_f64().unwrap();
    let last = loss[999]["value"].as_f64().unwrap();
    assert!(first > 3.0 * last, "loss decays: {first} -> {last}");

    let series = json(
        &store,
        &["metrics", &id, "train/loss", "--max-points", "50"],
    );
    let series = series.as_array().unwrap();
    assert!(series.len() <= 50 && series.len() >= 10, "{}", series.len());
    assert_eq!(series[0]["step"], 0);
    assert_eq!(series[series.len() - 1]["step"], 999);

    let table = ok(&store, &["metrics", &id, "lr"]);
    assert_eq!(table.lines().count(), 1001, "header and 1000 rows");

    let run = sextant(&store, &["metrics", &id, "nope"]);
    fails(&run, 1, &["nope", "train/loss"]);
}

#[test]
fn export_import_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let a = store_at(&dir.path().join("a"));
    let b = store_at(&dir.path().join("b"));
    let id = demo(&a);
    let file = dir.path().join("demo.tar");
    let file_arg = file.to_str().unwrap();
    ok(&a, &["export", &id, file_arg]);
    assert!(file.is_file());

    let imported = ok(&b, &["import", file_arg]);
    assert_eq!(imported.trim(), id);
    let (from, to) = (json(&a, &["show", &id]), json(&b, &["show", &id]));
    for field in [
        "name",
        "group",
        "status",
        "tags",
        "params",
        "metrics",
        "description",
    ] {
        assert_eq!(
            from["experiment"][field], to["experiment"][field],
            "{field}"
        );
    }
    assert_eq!(from["metrics"], to["metrics"]);
    assert_eq!(from["traces"], to["traces"]);
    let names = |v: &Value| -> Vec<Value> {
        v["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].clone())
            .collect()
    };
    assert_eq!(names(&from), names(&to));
    assert_eq!(
        json(&a, &["metrics", &id, "val/accuracy"]),
        json(&b, &["metrics", &id, "val/accuracy"])
    );

    // Importing the same snapshot again is refused.
    fails(
        &sextant(&b, &["import", file_arg]),
        1,
        &[&id, "already exists"],
    );
}

#[test]
fn rm_deletes_and_says_what() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path());
    let keep = demo(&store);
    let gone = demo(&store);
    let out = ok(&store, &["rm", &gone]);
    assert!(out.contains(&gone) && out.contains("deleted"), "{out}");
    assert!(!dir.path().join(&gone).exists(), "its directory is removed");
    let listed = json(&store, &["ls"]);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [keep.as_str()]);
    fails(&sextant(&store, &["show", &gone]), 1, &[&gone, "not found"]);
}

#[test]
fn bad_input_is_one_line_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        &sextant("nosuch://x", &["ls"]),
        1,
        &["nosuch", "sqlite://", "memory://"],
    );
    fails(
        &sextant("./dir", &["ls"]),
        1,
        &["./dir", "backend://config"],
    );
    let store = store_at(dir.path());
    fails(
        &sextant(&store, &["show", "no-such-run"]),
        1,
        &["experiment \"no-such-run\" not found"],
    );
    fails(
        &sextant(&store, &["rm", "no-such-run"]),
        1,
        &["no-such-run"],
    );
    fails(
        &sextant(&store, &["import", "/no/such/file.tar"]),
        1,
        &["/no/such/file.tar"],
    );
    fails(
        &sextant("memory://", &["show", "no-such-run"]),
        1,
        &["not found"],
    );
    // Usage errors exit with 2.
    fails(&sextant(&store, &["frobnicate"]), 2, &["frobnicate"]);
    fails(&sextant(&store, &["metrics", "only-id"]), 2, &["KEY"]);
    fails(
        &sextant(&store, &["metrics", "a", "b", "--max-points", "0"]),
        2,
        &["--max-points"],
    );
}

#[test]
fn ids_resolve_exactly_or_by_unique_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path());
    {
        let t = sextant::ExperimentTracker::new(&store).unwrap();
        for id in ["run-10", "run-11", "other"] {
            t.start_experiment(sextant::StartOptions::new().id(id))
                .unwrap();
            t.end_experiment(None).unwrap();
        }
    }
    let shown = |arg: &str| json(&store, &["show", arg])["experiment"]["id"].clone();
    assert_eq!(shown("run-10"), "run-10");
    assert_eq!(shown("oth"), "other");
    fails(
        &sextant(&store, &["show", "run-1"]),
        1,
        &["ambiguous", "run-10", "run-11"],
    );
}

#[test]
fn store_comes_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path());
    let id = demo(&store);
    let out = Command::new(env!("CARGO_BIN_EXE_sextant"))
        .env("SEXTANT_STORE", &store)
        .args(["--json", "ls"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
}

#[test]
fn demo_works_in_memory() {
    // Nothing persists, but the whole demo (plot included) runs.
    demo("memory://");
}

#[test]
fn traces_and_trace_tree() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(&dir.path().join("experiments"));
    let id = demo(&store);
    let traces = json(&store, &["traces", &id]);
    let trace_id = traces[0]["trace_id"].as_str().unwrap().to_string();
    assert_eq!(trace_id.len(), 32);
    let table = ok(&store, &["traces", &id[..8]]);
    assert!(
        table.contains("train_epoch") && table.contains(&trace_id),
        "{table}"
    );
    let tree = ok(&store, &["trace", &id, &trace_id[..8]]);
    let lines: Vec<&str> = tree.lines().collect();
    assert_eq!(lines.len(), 13, "{tree}");
    assert!(lines[0].starts_with("train_epoch"));
    assert!(lines[1].starts_with("  train_batch"));
    assert!(
        lines[2].starts_with("    forward") && lines[3].starts_with("    backward"),
        "{tree}"
    );
    let spans = json(&store, &["trace", &id, &trace_id]);
    assert_eq!(spans.as_array().unwrap().len(), 13);
    fails(
        &sextant(&store, &["trace", &id, &"f".repeat(32)]),
        1,
        &["trace", "not found"],
    );
}

/// `sextant ui` on a free port serves the API over the store the demo wrote.
#[test]
fn ui_serves_the_store() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(&dir.path().join("experiments"));
    let id = demo(&store);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sextant"))
        .args(["--store", &store, "ui", "--port", "0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut url = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("dashboard: ") {
            url = Some(rest.trim().to_string());
            break;
        }
    }
    let url = url.expect("ui prints the dashboard address");
    let body = ureq::get(&format!("{url}api/experiments"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["experiments"][0]["id"], id.as_str());
    let html = ureq::get(&url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(html.contains("<html"), "the root serves a page: {html}");
    child.kill().unwrap();
    let _ = child.wait();
}

/// `demo` exits with its WAL folded in: a copy of only the `.db` files has the whole run
/// (the tracing layer keeps the store alive past the tracker, so this needs the explicit
/// checkpoint on drop).
#[test]
fn demo_leaves_nothing_only_in_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("experiments");
    let id = demo(&store_at(&root));
    for wal in [root.join("meta.db-wal"), root.join(&id).join("exp.db-wal")] {
        let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(len, 0, "{} holds {len} bytes", wal.display());
    }
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(copy.join(&id)).unwrap();
    std::fs::copy(root.join("meta.db"), copy.join("meta.db")).unwrap();
    std::fs::copy(root.join(&id).join("exp.db"), copy.join(&id).join("exp.db")).unwrap();
    let original = json(&store_at(&root), &["show", &id]);
    let copied = json(&store_at(&copy), &["show", &id]);
    assert_eq!(original["metrics"], copied["metrics"]);
    assert_eq!(copied["experiment"]["status"], "completed");
}

/// One unreadable run is listed and marked, not fatal to `ls`.
#[test]
fn ls_lists_around_an_unreadable_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("experiments");
    let store = store_at(&root);
    let good = demo(&store);
    let bad = demo(&store);
    std::fs::write(root.join(&bad).join("exp.db"), vec![0x55u8; 4096]).unwrap();
    let meta = rusqlite::Connection::open(root.join("meta.db")).unwrap();
    meta.execute(
        "UPDATE experiments SET static_params = NULL, dynamic_params = NULL WHERE id = ?1",
        [&bad],
    )
    .unwrap();
    drop(meta);
    let run = sextant(&store, &["ls"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&good[..8]), "{}", run.stdout);
    assert!(run.stdout.contains("unreadable"), "{}", run.stdout);
    let listed = json(&store, &["ls"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

/// `sextant token`: a secret printed once, lists without secrets, revocation, and clear
/// one-line errors; a server over the store accepts the token it made.
#[test]
fn tokens_are_made_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path());
    let secret = ok(&store, &["token", "create", "ci-runner", "--role", "write"]);
    let secret = secret.trim().to_string();
    assert!(
        secret.starts_with("sxt_") && secret.len() == 68,
        "{secret:?}"
    );
    let list = json(&store, &["token", "list"]);
    assert_eq!(list[0]["name"], "ci-runner");
    assert_eq!(list[0]["role"], "write");
    assert!(
        !list.to_string().contains(&secret[8..]),
        "the secret is listed"
    );
    let table = ok(&store, &["token", "list"]);
    assert!(
        table.contains("ci-runner") && table.contains("write"),
        "{table}"
    );

    fails(
        &sextant(&store, &["token", "create", "ci-runner"]),
        1,
        &["token name", "ci-runner", "taken"],
    );
    fails(
        &sextant(&store, &["token", "create", "a b"]),
        1,
        &["token name"],
    );
    fails(
        &sextant(&store, &["token", "create", "x", "--role", "owner"]),
        2,
        &["owner", "read, write, admin"],
    );

    // The store's server asks for the token now, and takes this one.
    let store_obj: std::sync::Arc<dyn sextant::Store> =
        std::sync::Arc::new(sextant_sqlite::SqliteStore::open(dir.path()).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let opts = sextant_server::ServeOptions {
            port: 0,
            ..Default::default()
        };
        let _ = sextant_server::serve_blocking(store_obj, opts, move |a| {
            let _ = tx.send(a);
        });
    });
    let addr = rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap();
    let http = format!("http://{addr}");
    fails(&sextant(&http, &["ls"]), 1, &["token"]);
    let with = format!("http://{addr}?token={secret}");
    let id = ok(&with, &["demo"]);
    // Tokens are managed on the database, not through a client of the server.
    fails(
        &sextant(&with, &["token", "list"]),
        1,
        &["keeps no access tokens"],
    );
    let shown = json(&store, &["show", id.trim()]);
    assert_eq!(shown["experiment"]["created_by"], "ci-runner", "{shown}");

    assert!(ok(&store, &["token", "revoke", "ci-runner"]).contains("revoked"));
    let list = json(&store, &["token", "list"]);
    assert!(list[0]["revoked_at"].is_i64(), "{list}");
    fails(
        &sextant(&store, &["token", "revoke", "ci-runner"]),
        1,
        &["no active token"],
    );
}

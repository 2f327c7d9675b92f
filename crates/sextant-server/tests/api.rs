//! The JSON API against a real server on a loopback port: every endpoint, auth, bad input,
//! live updates, and the `http://` store passing the store conformance suite through it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sextant_core::{conformance, StartOptions, Store, Tracker};
use sextant_http::HttpStore;
use sextant_native::SystemEnv;
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

struct Server {
    url: String,
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
}

fn start(opts: ServeOptions) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let addr = common::serve(store.clone(), opts);
    Server {
        url: format!("http://{addr}"),
        _dir: dir,
        store,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    )
}

/// (status, body as JSON or text) of a GET.
fn get(url: &str, token: Option<&str>) -> (u16, String, Option<String>) {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().unwrap();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_string().unwrap(),
        ct,
    )
}

fn json(url: &str) -> Value {
    let (status, body, _) = get(url, None);
    assert_eq!(status, 200, "{url}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Logs a small run through the http:// store, as a remote trainer would.
fn seed(url: &str) -> String {
    let store = Arc::new(HttpStore::new(url, None).unwrap());
    let t = Tracker::new(store, Arc::new(SystemEnv));
    let id = pollster::block_on(
        t.start_experiment(StartOptions::new().name("remote").group("g").tags(["x"])),
    )
    .unwrap();
    t.log_static("lr", 0.1, None).unwrap();
    for i in 0..5_000 {
        t.log_dynamic("train/loss", 1.0 / f64::from(i + 1), None, None)
            .unwrap();
    }
    t.log_span(conformance::test_span(1, 1, None, 10, 20), None)
        .unwrap();
    pollster::block_on(t.log_attachment("plots/a b.svg", b"<svg onload=alert(1)/>".to_vec(), None))
        .unwrap();
    pollster::block_on(t.end_experiment(None)).unwrap();
    id
}

#[test]
fn http_store_conforms_through_a_live_server() {
    let servers = std::sync::Mutex::new(Vec::new());
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || {
        let server = start(ServeOptions::default());
        let store = HttpStore::new(&server.url, None).unwrap();
        servers.lock().unwrap().push(server);
        async move { Arc::new(store) as Arc<dyn Store> }
    }));
}

#[test]
fn every_read_endpoint_answers() {
    let s = start(ServeOptions::default());
    let id = seed(&s.url);
    let api = format!("{}/api", s.url);
    assert_eq!(json(&format!("{api}/health"))["ok"], true);
    let page = json(&format!(
        "{api}/experiments?group=g&sort=-created_at&limit=10"
    ));
    assert_eq!(page["total"], 1);
    assert_eq!(page["experiments"][0]["id"], id.as_str());
    assert_eq!(
        page["experiments"][0]["metrics"]["train/loss"],
        1.0 / 5000.0
    );
    assert_eq!(
        json(&format!("{api}/experiments?status=running"))["total"],
        0
    );
    assert_eq!(json(&format!("{api}/experiments?q=REMOTE"))["total"], 1);
    let e = json(&format!("{api}/experiments/{id}"));
    assert_eq!(e["params"]["lr"]["value"], 0.1);
    assert_eq!(json(&format!("{api}/groups"))[0]["experiment_count"], 1);
    assert_eq!(
        json(&format!("{api}/experiments/{id}/metrics"))[0]["count"],
        5000
    );
    let series = json(&format!(
        "{api}/experiments/{id}/metrics/train/loss?max_points=100"
    ));
    let pts = series["points"].as_array().unwrap();
    assert!(pts.len() <= 100 && pts.len() > 50, "{}", pts.len());
    assert_eq!(pts[0]["value"], 1.0, "first point kept");
    let small = json(&format!(
        "{api}/experiments/{id}/metrics/train/loss?from=10&to=19"
    ));
    assert_eq!(
        small["points"].as_array().unwrap().len(),
        10,
        "full resolution when small"
    );
    assert_eq!(
        json(&format!("{api}/experiments/{id}/attachments"))[0]["name"],
        "plots/a b.svg"
    );
    assert_eq!(
        json(&format!("{api}/experiments/{id}/traces"))[0]["span_count"],
        1
    );
    let trace = format!("{:032x}", 1);
    assert_eq!(
        json(&format!("{api}/experiments/{id}/traces/{trace}"))[0]["name"],
        "span-1"
    );
    assert_eq!(
        json(&format!("{api}/experiments/{id}/models")),
        Value::Array(vec![])
    );

    // Attachment content: right type, download disposition, and never runnable.
    let mut resp = agent()
        .get(&format!(
            "{api}/experiments/{id}/attachments/plots/a%20b.svg"
        ))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/svg+xml");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"a_b.svg\""));
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "<svg onload=alert(1)/>"
    );

    let mut tar = agent()
        .get(&format!("{api}/experiments/{id}/export"))
        .call()
        .unwrap();
    let bytes = tar
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap();
    let dump = sextant_sqlite::snapshot::from_tar_bytes(&bytes).unwrap();
    assert_eq!(dump.metrics["train/loss"].len(), 5000);
}

#[test]
fn patch_and_delete() {
    let s = start(ServeOptions::default());
    let id = seed(&s.url);
    let url = format!("{}/api/experiments/{id}", s.url);
    let mut r = agent()
        .patch(&url)
        .header("Content-Type", "application/json")
        .send(r#"{"name":"renamed","tags":["a","b"]}"#)
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.body_mut().read_json().unwrap();
    assert_eq!(body["name"], "renamed");
    assert_eq!(body["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(agent().delete(&url).call().unwrap().status().as_u16(), 204);
    assert_eq!(get(&url, None).0, 404);
    assert!(
        pollster::block_on(s.store.list_experiments())
            .unwrap()
            .is_empty(),
        "gone from the store"
    );
}

#[test]
fn bad_input_gets_json_errors_with_the_right_status() {
    let s = start(ServeOptions {
        max_body_bytes: 1 << 20,
        ..ServeOptions::default()
    });
    let id = seed(&s.url);
    let api = format!("{}/api", s.url);
    let unknown = "00000000-0000-4000-8000-000000000000";
    for (url, status) in [
        (format!("{api}/experiments/{unknown}"), 404),
        (format!("{api}/experiments/{unknown}/metrics/loss"), 404),
        (
            format!("{api}/experiments/{id}/attachments/missing.txt"),
            404,
        ),
        (format!("{api}/experiments/{id}/traces/{:032x}", 7), 404),
        (format!("{api}/nope"), 404),
        (format!("{api}/experiments?limit=abc"), 400),
        (format!("{api}/experiments?sort=bogus"), 400),
        (format!("{api}/experiments?status=sleeping"), 400),
        (
            format!("{api}/experiments/{id}/metrics/train/loss?from=9&to=1"),
            400,
        ),
        (
            format!("{api}/experiments/{id}/metrics/train/loss?max_points=x"),
            400,
        ),
        (
            format!("{api}/experiments/{id}/attachments/..%2F..%2Fmeta.db"),
            400,
        ),
        (
            format!("{api}/experiments/{id}/attachments/a/../../exp.db"),
            400,
        ),
        (format!("{api}/experiments/..%2F..%2Fetc"), 400),
    ] {
        let (got, body, ct) = get(&url, None);
        assert_eq!(got, status, "{url}: {body}");
        assert_eq!(ct.as_deref(), Some("application/json"), "{url}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(!v["message"].as_str().unwrap().is_empty(), "{url}");
        let code = v["code"].as_str().unwrap();
        assert!(
            sextant_core::Error::CODES.contains(&code) || code == "NOT_FOUND",
            "{url}: unknown code {code}"
        );
    }
    let post = |body: Vec<u8>| {
        let mut r = agent()
            .post(&format!("{api}/batch"))
            .header("Content-Type", "application/json")
            .send(&body[..])
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(post(b"{not json".to_vec()).0, 400);
    let evil = serde_json::json!({"records": [{"op": "attachment", "experiment": id, "name": "../x", "data": "aGk=", "created_at": 1}]});
    let (status, body) = post(serde_json::to_vec(&evil).unwrap());
    assert_eq!(status, 400);
    assert!(body.contains("../x"), "{body}");
    assert_eq!(oversize_status(&s.url, 2 << 20), 413, "oversize body");
    // Nothing logged before was lost.
    assert_eq!(
        json(&format!("{api}/experiments/{id}/metrics"))[0]["count"],
        5000
    );
}

/// Announces a body over the limit and reads the answer without sending it: the server
/// refuses on the length alone (and closes the connection, so a client still writing the
/// body could see a broken pipe instead of the status).
fn oversize_status(base: &str, len: usize) -> u16 {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "POST /api/batch HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 64];
    let n = conn.read(&mut head).unwrap();
    let text = String::from_utf8_lossy(&head[..n]).to_string();
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn token_is_required_when_set() {
    let s = start(ServeOptions {
        token: Some("s3cret".into()),
        ..ServeOptions::default()
    });
    let url = format!("{}/api/experiments", s.url);
    assert_eq!(get(&url, None).0, 401);
    assert_eq!(get(&url, Some("wrong")).0, 401);
    assert_eq!(get(&url, Some("s3cret")).0, 200);
    let (status, _, _) = get(&format!("{}/?token=s3cret", s.url), None);
    assert_eq!(status, 200);
    let store = HttpStore::new(&s.url, None).unwrap();
    assert!(pollster::block_on(store.list_experiments()).is_err());
    let store = store.with_token("s3cret");
    assert!(pollster::block_on(store.list_experiments())
        .unwrap()
        .is_empty());
}

#[test]
fn cors_is_off_unless_allowed() {
    let s = start(ServeOptions::default());
    let r = agent()
        .get(&format!("{}/api/health", s.url))
        .header("Origin", "http://elsewhere")
        .call()
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let s = start(ServeOptions {
        cors: vec!["http://app.local".into()],
        ..ServeOptions::default()
    });
    let r = agent()
        .get(&format!("{}/api/health", s.url))
        .header("Origin", "http://app.local")
        .call()
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://app.local"
    );
}

#[test]
fn live_updates_arrive_as_server_sent_events() {
    let s = start(ServeOptions::default());
    let resp = agent()
        .get(&format!("{}/api/events", s.url))
        .call()
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let reader = BufReader::new(resp.into_body().into_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:") {
                let _ = tx.send(data.trim().to_string());
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let id = seed(&s.url);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let data = rx
            .recv_timeout(deadline - std::time::Instant::now())
            .expect("a change event");
        let change: Value = serde_json::from_str(&data).unwrap();
        if change["experiment"] == id.as_str() && change["last_steps"]["train/loss"] == 4999 {
            break;
        }
    }
}

#[test]
fn dashboard_route_explains_itself_when_not_built() {
    let s = start(ServeOptions::default());
    let (status, body, ct) = get(&format!("{}/experiments/some-id", s.url), None);
    assert_eq!(status, 200);
    assert!(ct.unwrap().starts_with("text/html"));
    if !sextant_server::dashboard_built() {
        assert!(body.contains("build-dashboard.sh"), "{body}");
    }
}

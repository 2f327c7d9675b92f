//! What a hostile page or client tried against a real server on a loopback port, each
//! pinned: cross-site and rebinding writes, error bodies with codes, tokens that need
//! decoding, the same validation as the tracker, plateaued live updates, chunked
//! oversize bodies, and clients that never finish their headers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::raw;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sextant_core::{Error, Store};
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

struct Server {
    addr: String,
    _dir: tempfile::TempDir,
}

fn start(opts: ServeOptions) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let addr = common::serve(store, opts);
    Server {
        addr: addr.to_string(),
        _dir: dir,
    }
}

fn batch_creating(id: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"records": [{"op": "create", "id": id, "name": "n", "group": "g",
        "tags": [], "created_at": 1_700_000_000_000i64, "description": null, "source": null}]}),
    )
    .unwrap()
}

fn exists(addr: &str, id: &str) -> bool {
    raw(
        addr,
        &format!("GET /api/experiments/{id} HTTP/1.1\nHost: {addr}\n"),
        b"",
    )
    .0 == 200
}

#[test]
fn cross_site_and_rebinding_writes_are_refused() {
    let s = start(ServeOptions::default());
    let a = &s.addr;
    // A `no-cors` fetch from another site: text/plain, its own Origin.
    let (status, _, body) = raw(
        a,
        &format!("POST /api/batch HTTP/1.1\nHost: {a}\nOrigin: http://evil.example\nContent-Type: text/plain\n"),
        &batch_creating("x1"),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("--cors"), "{body}");
    // The same without an Origin but as text/plain (a form post).
    let (status, _, body) = raw(
        a,
        &format!("POST /api/batch HTTP/1.1\nHost: {a}\nContent-Type: text/plain\n"),
        &batch_creating("x2"),
    );
    assert_eq!(status, 415, "{body}");
    // DNS rebinding: the page's own origin, but a Host this server does not answer to.
    let (status, _, body) = raw(
        a,
        "POST /api/batch HTTP/1.1\nHost: attacker.example:5000\nOrigin: http://attacker.example:5000\nContent-Type: application/json\n",
        &batch_creating("x3"),
    );
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("--allowed-host"), "{body}");
    let (status, _, _) = raw(
        a,
        "GET /api/experiments HTTP/1.1\nHost: attacker.example\n",
        b"",
    );
    assert_eq!(status, 421, "reads through a rebound name are refused too");
    for id in ["x1", "x2", "x3"] {
        assert!(!exists(a, id), "{id} was created");
    }
    // The dashboard's own origin writes fine, and pages cannot be framed.
    let (status, _, body) = raw(
        a,
        &format!("POST /api/batch HTTP/1.1\nHost: {a}\nOrigin: http://{a}\nContent-Type: application/json\n"),
        &batch_creating("ok1"),
    );
    assert_eq!(status, 204, "{body}");
    assert!(exists(a, "ok1"));
    let (_, head, _) = raw(a, &format!("GET / HTTP/1.1\nHost: {a}\n"), b"");
    assert!(head.contains("x-frame-options: deny"), "{head}");
    assert!(head.contains("frame-ancestors 'none'"), "{head}");

    // A name given with --allowed-host, and a --cors origin, are accepted.
    let s2 = start(ServeOptions {
        allowed_hosts: vec!["team.example".into()],
        cors: vec!["http://app.example".into()],
        ..ServeOptions::default()
    });
    let (status, _, body) = raw(
        &s2.addr,
        "POST /api/batch HTTP/1.1\nHost: team.example\nOrigin: http://app.example\nContent-Type: application/json\n",
        &batch_creating("ok2"),
    );
    assert_eq!(status, 204, "{body}");
}

#[test]
fn errors_carry_codes_and_the_http_store_rebuilds_them() {
    let s = start(ServeOptions {
        token: Some("t".into()),
        ..ServeOptions::default()
    });
    let a = &s.addr;
    let (status, _, body) = raw(
        a,
        &format!("GET /api/experiments/nosuch HTTP/1.1\nHost: {a}\nAuthorization: Bearer t\n"),
        b"",
    );
    assert_eq!(status, 404);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["code"], "EXPERIMENT_NOT_FOUND");
    assert_eq!(v["experiment"], "nosuch");
    assert!(v["message"].as_str().unwrap().contains("nosuch"));
    // Every error body has the same shape: a known code and a message.
    for (path, want) in [
        ("/api/experiments?limit=0", "INVALID_INPUT"),
        ("/api/nothing-here", "NOT_FOUND"),
    ] {
        let (_, _, body) = raw(
            a,
            &format!("GET {path} HTTP/1.1\nHost: {a}\nAuthorization: Bearer t\n"),
            b"",
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], want, "{path}: {body}");
        assert!(v["message"].is_string(), "{path}: {body}");
    }
    let (_, _, body) = raw(
        a,
        &format!("GET /api/experiments HTTP/1.1\nHost: {a}\n"),
        b"",
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["code"],
        "UNAUTHORIZED"
    );

    // The http:// store turns them back into the same kinds: a bad token is not retried.
    let bad = sextant_http::HttpStore::new(&format!("http://{a}"), Some("wrong".into())).unwrap();
    let err = pollster::block_on(bad.list_experiments()).unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err}");
    assert!(!err.is_transient());
    let good = sextant_http::HttpStore::new(&format!("http://{a}"), Some("t".into())).unwrap();
    let err = pollster::block_on(good.get_experiment("nosuch")).unwrap_err();
    assert!(
        matches!(err, Error::ExperimentNotFound(ref id) if id == "nosuch"),
        "{err}"
    );
    // Nothing listens here: unavailable, which trackers retry.
    let gone = sextant_http::HttpStore::new("http://127.0.0.1:9", None).unwrap();
    let err = pollster::block_on(gone.list_experiments()).unwrap_err();
    assert!(
        matches!(err, Error::Unavailable(_)) && err.is_transient(),
        "{err}"
    );
}

#[test]
fn tokens_are_decoded_and_bearer_is_case_insensitive() {
    let token = "a+b&c d%/é";
    let s = start(ServeOptions {
        token: Some(token.into()),
        ..ServeOptions::default()
    });
    let a = &s.addr;
    let encoded: String = form_encode(token);
    let (status, head, _) = raw(
        a,
        &format!("GET /api/experiments?token={encoded} HTTP/1.1\nHost: {a}\n"),
        b"",
    );
    assert_eq!(status, 200);
    // The cookie it sets works on its own.
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, _, _) = raw(
        a,
        &format!("GET /api/experiments HTTP/1.1\nHost: {a}\nCookie: {cookie}\n"),
        b"",
    );
    assert_eq!(status, 200, "cookie {cookie}");
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let mut conn = TcpStream::connect(a).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let req = format!("GET /api/experiments HTTP/1.1\r\nHost: {a}\r\nAuthorization: {scheme} ");
        conn.write_all(req.as_bytes()).unwrap();
        conn.write_all(token.as_bytes()).unwrap();
        conn.write_all(b"\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = conn.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 200"), "{scheme}: {out}");
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_api_refuses_what_the_tracker_refuses() {
    let s = start(ServeOptions::default());
    let a = &s.addr;
    let post = |records: Value| {
        raw(
            a,
            &format!("POST /api/batch HTTP/1.1\nHost: {a}\nContent-Type: application/json\n"),
            &serde_json::to_vec(&json!({ "records": records })).unwrap(),
        )
    };
    assert_eq!(post(json!([])).0, 204);
    let (status, _, _) =
        post(serde_json::from_slice::<Value>(&batch_creating("run1")).unwrap()["records"].clone());
    assert_eq!(status, 204);
    let long_key = "k".repeat(100_000);
    for (records, needle) in [
        (
            json!([{"op": "params", "experiment": "run1", "params": [["", {"type": "int", "value": 1}]]}]),
            "param key",
        ),
        (
            json!([{"op": "params", "experiment": "run1", "params": [["a\u{1}b", {"type": "int", "value": 1}]]}]),
            "param key",
        ),
        (
            json!([{"op": "params", "experiment": "run1", "params": [[long_key, {"type": "int", "value": 1}]]}]),
            "param key",
        ),
        (
            json!([{"op": "metrics", "experiment": "run1", "key": "x", "points": [{"step": i64::MIN, "value": 1.0, "logged_at": 0}]}]),
            "step",
        ),
        (
            json!([{"op": "create", "id": "run2", "name": "", "group": "g", "tags": [], "created_at": 0, "description": null, "source": null}]),
            "experiment name",
        ),
        (
            json!([{"op": "create", "id": "run2", "name": "n", "group": "", "tags": [], "created_at": 0, "description": null, "source": null}]),
            "group name",
        ),
        (
            json!([{"op": "create", "id": "run2", "name": "n", "group": "g", "tags": [""], "created_at": 0, "description": null, "source": null}]),
            "tag",
        ),
        (
            json!([{"op": "create", "id": "run2", "name": "n", "group": "g", "tags": [], "created_at": i64::MAX, "description": null, "source": null}]),
            "created_at",
        ),
        (
            json!([{"op": "spans", "experiment": "run1", "spans": [{"trace_id": "0123456789abcdef0123456789abcdef", "span_id": "01234567/9abcdef", "name": "s", "start_time_unix_nano": 0, "end_time_unix_nano": 1}]}]),
            "span id",
        ),
    ] {
        let (status, _, body) = post(records.clone());
        assert_eq!(status, 400, "{records}: {body}");
        assert!(body.contains(needle), "{needle}: {body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["code"],
            "INVALID_INPUT"
        );
    }
    assert!(!exists(a, "run2"));
}

#[test]
fn a_chunked_body_over_the_limit_gets_json_413() {
    let s = start(ServeOptions {
        max_body_bytes: 1 << 16,
        ..ServeOptions::default()
    });
    let a = &s.addr;
    let mut conn = TcpStream::connect(a).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(conn, "POST /api/batch HTTP/1.1\r\nHost: {a}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    let chunk = vec![b' '; 8192];
    for _ in 0..16 {
        if write!(conn, "{:x}\r\n", chunk.len()).is_err()
            || conn.write_all(&chunk).is_err()
            || conn.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n");
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let body = text.split_once("\r\n\r\n").unwrap().1;
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    assert_eq!(v["code"], "PAYLOAD_TOO_LARGE");
}

#[test]
fn a_client_that_never_sends_its_headers_is_dropped() {
    let s = start(ServeOptions {
        header_read_timeout: Duration::from_millis(500),
        max_connections: 4,
        ..ServeOptions::default()
    });
    // More idle connections than the cap: each is closed after the timeout, and a real
    // request still gets through.
    let idle: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut c = TcpStream::connect(&s.addr).unwrap();
            c.write_all(b"GET /api/health HTTP/1.1\r\nHost: x").unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            c
        })
        .collect();
    let started = Instant::now();
    for mut c in idle {
        let mut buf = Vec::new();
        let _ = c.read_to_end(&mut buf);
    }
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "idle connections were kept"
    );
    let (status, _, _) = raw(
        &s.addr,
        &format!("GET /api/health HTTP/1.1\nHost: {}\n", s.addr),
        b"",
    );
    assert_eq!(status, 200);
}

/// A metric that repeats its value, and a rename, still reach live clients.
#[test]
fn live_updates_follow_steps_and_edits_not_values() {
    let s = start(ServeOptions::default());
    let a = s.addr.clone();
    let mut conn = TcpStream::connect(&a).unwrap();
    write!(conn, "GET /api/events HTTP/1.1\r\nHost: {a}\r\n\r\n").unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(conn).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:") {
                if let Ok(v) = serde_json::from_str(data.trim()) {
                    let _ = tx.send(v);
                }
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let post = |records: Value| {
        let (status, _, body) = raw(
            &a,
            &format!("POST /api/batch HTTP/1.1\nHost: {a}\nContent-Type: application/json\n"),
            &serde_json::to_vec(&json!({ "records": records })).unwrap(),
        );
        assert_eq!(status, 204, "{body}");
    };
    post(serde_json::from_slice::<Value>(&batch_creating("live")).unwrap()["records"].clone());
    let wait_for = |pred: &dyn Fn(&Value) -> bool, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no event for {what}"));
            if v["experiment"] == "live" && pred(&v) {
                return;
            }
        }
    };
    for step in 1..=3 {
        post(
            json!([{"op": "metrics", "experiment": "live", "key": "acc", "points": [{"step": step, "value": 0.5, "logged_at": 1_700_000_000_000i64}]}]),
        );
        wait_for(&|v| v["last_steps"]["acc"] == step, &format!("step {step}"));
    }
    let (status, _, _) = raw(
        &a,
        &format!(
            "PATCH /api/experiments/live HTTP/1.1\nHost: {a}\nContent-Type: application/json\n"
        ),
        br#"{"name": "renamed"}"#,
    );
    assert_eq!(status, 200);
    wait_for(&|v| v["last_steps"]["acc"] == 3, "the rename");
}

#[test]
fn serving_beyond_loopback_without_a_token_warns() {
    let open = ServeOptions {
        host: "0.0.0.0".into(),
        ..ServeOptions::default()
    };
    let w = sextant_server::warnings(&open);
    assert!(w.iter().any(|m| m.contains("without a token")), "{w:?}");
    let with_token = ServeOptions {
        token: Some("t".into()),
        ..open.clone()
    };
    assert!(sextant_server::warnings(&with_token).is_empty());
    assert!(sextant_server::warnings(&ServeOptions::default()).is_empty());
}

//! Named tokens with roles: who may read, write and manage tokens, which token created a
//! run, and revocation reaching a server that did not do it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sextant_core::{NewToken, Role, Store, TokenStore};
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

struct Reply {
    status: u16,
    body: Value,
}

fn send(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Reply {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let auth = token.map(|t| format!("Bearer {t}"));
    let resp = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        ("DELETE", _) => {
            let mut r = agent.delete(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        (_, body) => {
            let mut r = agent.post(url).header("Content-Type", "application/json");
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.send(
                serde_json::to_vec(&body.unwrap_or(json!({})))
                    .unwrap()
                    .as_slice(),
            )
        }
    };
    let mut resp = resp.unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

fn add(store: &SqliteStore, name: &str, role: Role) -> String {
    let secret = sextant_native::new_token_secret().unwrap();
    let token = NewToken::new(name, role, &secret, 1_700_000_000_000).unwrap();
    pollster::block_on(store.add_token(&token)).unwrap();
    secret
}

fn create(id: &str, created_by: Option<&str>) -> Value {
    json!({"records": [{"op": "create", "id": id, "name": id, "group": "g", "tags": [],
        "created_at": 1_700_000_000_000i64, "created_by": created_by}]})
}

#[test]
fn roles_decide_what_a_token_may_do_and_runs_record_their_creator() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let reader = add(&store, "dashboards", Role::Read);
    let writer = add(&store, "ci-runner", Role::Write);
    let admin = add(&store, "ops", Role::Admin);
    let addr = common::serve(store.clone(), ServeOptions::default());
    let url = |p: &str| format!("http://{addr}{p}");

    // A store with tokens makes the server require one, though no --token was given.
    let r = send("GET", &url("/api/experiments"), None, None);
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
    let r = send("GET", &url("/api/experiments"), Some("sxt_guessed"), None);
    assert_eq!(r.status, 401, "{:?}", r.body);

    // read: reads only.
    assert_eq!(
        send("GET", &url("/api/experiments"), Some(&reader), None).status,
        200
    );
    let r = send(
        "POST",
        &url("/api/batch"),
        Some(&reader),
        Some(create("r1", None)),
    );
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("FORBIDDEN"))
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("dashboards"),
        "{:?}",
        r.body
    );
    assert!(pollster::block_on(store.list_experiments())
        .unwrap()
        .is_empty());

    // write: logs, and the run records the token, whatever the client claimed.
    let r = send(
        "POST",
        &url("/api/batch"),
        Some(&writer),
        Some(create("w1", Some("someone-else"))),
    );
    assert_eq!(r.status, 204, "{:?}", r.body);
    let info = pollster::block_on(store.get_experiment("w1")).unwrap();
    assert_eq!(info.created_by.as_deref(), Some("ci-runner"));
    let r = send("GET", &url("/api/experiments/w1"), Some(&reader), None);
    assert_eq!(r.body["created_by"], "ci-runner");
    // …but cannot manage tokens.
    assert_eq!(
        send("GET", &url("/api/tokens"), Some(&writer), None).status,
        403
    );

    // MLflow: a search is a read even as a POST; creating a run is a write.
    let r = send(
        "POST",
        &url("/api/2.0/mlflow/runs/search"),
        Some(&reader),
        Some(json!({"experiment_ids": ["0"]})),
    );
    assert_ne!(r.status, 403, "{:?}", r.body);
    let r = send(
        "POST",
        &url("/api/2.0/mlflow/runs/create"),
        Some(&reader),
        Some(json!({"experiment_id": "0"})),
    );
    assert_eq!(
        (r.status, r.body["error_code"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );

    // admin: creates a token whose secret is shown once and works at once, lists without
    // secrets, revokes.
    let r = send(
        "POST",
        &url("/api/tokens"),
        Some(&admin),
        Some(json!({"name": "laptop", "role": "write"})),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let laptop = r.body["secret"].as_str().unwrap().to_string();
    let r = send(
        "POST",
        &url("/api/batch"),
        Some(&laptop),
        Some(create("l1", None)),
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        pollster::block_on(store.get_experiment("l1"))
            .unwrap()
            .created_by
            .as_deref(),
        Some("laptop")
    );
    let r = send(
        "POST",
        &url("/api/tokens"),
        Some(&admin),
        Some(json!({"name": "laptop", "role": "read"})),
    );
    assert_eq!(
        (r.status, r.body["what"].as_str()),
        (400, Some("token name"))
    );
    let r = send(
        "POST",
        &url("/api/tokens"),
        Some(&admin),
        Some(json!({"name": "x", "role": "owner"})),
    );
    assert_eq!(r.status, 400, "{:?}", r.body);
    let list = send("GET", &url("/api/tokens"), Some(&admin), None).body;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dashboards", "ci-runner", "ops", "laptop"]);
    assert!(
        !list.to_string().contains(&laptop[4..]),
        "a secret leaked into the list"
    );
    assert_eq!(
        send("DELETE", &url("/api/tokens/laptop"), Some(&admin), None).status,
        204
    );
    assert_eq!(
        send("GET", &url("/api/experiments"), Some(&laptop), None).status,
        401
    );
    assert_eq!(
        send("DELETE", &url("/api/tokens/laptop"), Some(&admin), None).status,
        400
    );
}

#[test]
fn a_token_revoked_elsewhere_stops_working_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let secret = add(&store, "temp", Role::Read);
    let addr = common::serve(store.clone(), ServeOptions::default());
    let url = format!("http://{addr}/api/experiments");
    assert_eq!(send("GET", &url, Some(&secret), None).status, 200);
    // Another replica (or the CLI) revokes it in the database.
    let other = SqliteStore::open(dir.path()).unwrap();
    pollster::block_on(other.revoke_token("temp", 1_700_000_001_000)).unwrap();
    let start = Instant::now();
    let mut status = 200;
    while start.elapsed() < Duration::from_secs(15) {
        status = send("GET", &url, Some(&secret), None).status;
        if status == 401 {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(status, 401, "a revoked token still works after 15 s");
    // The token's last use was recorded.
    let listed = pollster::block_on(other.list_tokens()).unwrap();
    assert!(listed[0].last_used_at.is_some(), "{listed:?}");
}

#[test]
fn the_server_token_stays_an_admin_beside_named_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let reader = add(&store, "viewer", Role::Read);
    let addr = common::serve(
        store.clone(),
        ServeOptions {
            token: Some("bootstrap".into()),
            ..ServeOptions::default()
        },
    );
    let url = |p: &str| format!("http://{addr}{p}");
    assert_eq!(
        send("GET", &url("/api/tokens"), Some("bootstrap"), None).status,
        200
    );
    assert_eq!(
        send("GET", &url("/api/experiments"), Some(&reader), None).status,
        200
    );
    let r = send(
        "POST",
        &url("/api/batch"),
        Some("bootstrap"),
        Some(create("b1", Some("claimed"))),
    );
    assert_eq!(r.status, 204);
    // No named token: the run keeps what the client said.
    assert_eq!(
        pollster::block_on(store.get_experiment("b1"))
            .unwrap()
            .created_by
            .as_deref(),
        Some("claimed")
    );
}

#[test]
fn a_store_without_tokens_keeps_an_open_server_open() {
    let store: Arc<dyn Store> = Arc::new(sextant_core::MemoryStore::new());
    let addr = common::serve(store, ServeOptions::default());
    let r = send(
        "POST",
        &format!("http://{addr}/api/batch"),
        None,
        Some(create("o1", None)),
    );
    assert_eq!(r.status, 204, "{:?}", r.body);
}

//! Every error body the API sends matches `docs/api-error.schema.json`, the contract other
//! clients are written against, and the schema lists exactly the codes the server can send.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};
use sextant_core::{Error, Store};
use sextant_server::{ServeOptions, SERVER_CODES};
use sextant_sqlite::SqliteStore;

const SCHEMA: &str = include_str!("../../../docs/api-error.schema.json");

/// One raw request (so Host and Content-Type are exactly what the test says); returns
/// the status and the body parsed as JSON (`null` when empty).
fn request(addr: &str, head: &str, body: &[u8]) -> (u16, Value) {
    let (status, _, b) = common::raw(addr, head, body);
    let body = if b.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&b).unwrap_or_else(|e| panic!("{status}: {b:?}: {e}"))
    };
    (status, body)
}

#[test]
fn the_schema_lists_every_code_the_server_sends() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let listed: BTreeSet<&str> = schema["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let sent: BTreeSet<&str> = Error::CODES.iter().chain(SERVER_CODES).copied().collect();
    assert_eq!(listed, sent);
}

#[test]
fn every_error_body_matches_the_schema() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let addr = common::serve(
        store,
        ServeOptions {
            token: Some("s3cret".into()),
            max_body_bytes: 4096,
            ..ServeOptions::default()
        },
    )
    .to_string();
    let auth = "Authorization: Bearer s3cret\n";
    let json_type = "Content-Type: application/json\n";
    let create = serde_json::to_vec(&json!({"records": [{"op": "create", "id": "e1",
        "name": "n", "group": "g", "tags": [], "created_at": 1_700_000_000_000i64}]}))
    .unwrap();
    let (status, _) = request(
        &addr,
        &format!("POST /api/batch HTTP/1.1\nHost: {addr}\n{auth}{json_type}"),
        &create,
    );
    assert!(status < 300, "{status}");

    let bad_key = serde_json::to_vec(&json!({"records": [{"op": "metrics",
        "experiment": "e1", "key": "", "points": [{"step": 0, "value": 1.0, "logged_at": 1}]}]}))
    .unwrap();
    let cases: Vec<(&str, String, Vec<u8>, u16, &str)> = vec![
        (
            "unknown experiment",
            format!("GET /api/experiments/nope HTTP/1.1\nHost: {addr}\n{auth}"),
            vec![],
            404,
            "EXPERIMENT_NOT_FOUND",
        ),
        (
            "unknown attachment",
            format!(
                "GET /api/experiments/e1/attachments/missing.txt HTTP/1.1\nHost: {addr}\n{auth}"
            ),
            vec![],
            404,
            "ATTACHMENT_NOT_FOUND",
        ),
        (
            "an invalid metric key",
            format!("POST /api/batch HTTP/1.1\nHost: {addr}\n{auth}{json_type}"),
            bad_key,
            400,
            "INVALID_INPUT",
        ),
        (
            "no token",
            format!("GET /api/experiments HTTP/1.1\nHost: {addr}\n"),
            vec![],
            401,
            "UNAUTHORIZED",
        ),
        (
            "a form post",
            format!("POST /api/batch HTTP/1.1\nHost: {addr}\n{auth}Content-Type: text/plain\n"),
            create.clone(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "a body over the limit",
            format!("POST /api/batch HTTP/1.1\nHost: {addr}\n{auth}{json_type}"),
            vec![b' '; 10_000],
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "a rebound host name",
            format!("GET /api/experiments HTTP/1.1\nHost: evil.example\n{auth}"),
            vec![],
            421,
            "HOST_NOT_ALLOWED",
        ),
        (
            "a limit that is not a number",
            format!("GET /api/experiments?limit=ten HTTP/1.1\nHost: {addr}\n{auth}"),
            vec![],
            400,
            "INVALID_INPUT",
        ),
        (
            "a step that is not a number",
            format!("GET /api/experiments/e1/metrics/loss?from=x HTTP/1.1\nHost: {addr}\n{auth}"),
            vec![],
            400,
            "INVALID_INPUT",
        ),
        (
            "a bad filter",
            format!("GET /api/experiments?filter=metrics.acc%20%3E HTTP/1.1\nHost: {addr}\n{auth}"),
            vec![],
            400,
            "INVALID_INPUT",
        ),
    ];
    for (what, head, body, want_status, want_code) in cases {
        let (status, body) = request(&addr, &head, &body);
        assert_eq!(status, want_status, "{what}: {body}");
        assert_eq!(body["code"], want_code, "{what}: {body}");
        let problems: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            problems.is_empty(),
            "{what}: {body} breaks the schema: {problems:?}"
        );
    }
}

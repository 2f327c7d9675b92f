//! `POST /api/batch` in the binary form (`application/cbor`, gzip or not) beside JSON,
//! against a real server on a loopback port: the `http://` store in each of its encodings
//! writes the same data bit for bit; hostile bodies (garbage, ragged columns, a gzip bomb,
//! an unknown encoding, values the tracker would refuse) get clear 4xx answers and lose
//! nothing already logged.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::Write;
use std::sync::Arc;

use serde_json::Value;
use sextant_core::{
    conformance, wire, Batch, MetricPoint, NewExperiment, Record, StepRange, Store,
};
use sextant_http::{BatchEncoding, HttpStore};
use sextant_native::SystemEnv;
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

const LIMIT: usize = 1 << 20;

struct Server {
    addr: String,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

fn start(max_body_bytes: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let addr = common::serve(
        store.clone(),
        ServeOptions {
            max_body_bytes,
            ..ServeOptions::default()
        },
    );
    Server {
        addr: addr.to_string(),
        store,
        _dir: dir,
    }
}

fn create(id: &str) -> Record {
    Record::Create(NewExperiment::new(id, "binary", "g", 1_700_000_000_000))
}

/// Points that JSON has to spell out (NaN, ±∞, huge steps) and enough of them for
/// the store to gzip the body.
fn points(n: i64) -> Vec<MetricPoint> {
    (0..n)
        .map(|s| MetricPoint {
            step: if s == n - 1 { i64::MAX / 2 } else { s },
            value: match s % 5 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => f64::NEG_INFINITY,
                3 => -0.0,
                _ => s as f64 / 3.0,
            },
            logged_at: 1_700_000_000_000 + s,
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn post(addr: &str, media: &str, encoding: Option<&str>, body: &[u8]) -> (u16, Value) {
    let enc = encoding.map_or(String::new(), |e| format!("Content-Encoding: {e}\n"));
    let (status, _, text) = common::raw(
        addr,
        &format!("POST /api/batch HTTP/1.1\nHost: {addr}\nContent-Type: {media}\n{enc}"),
        body,
    );
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, v)
}

#[test]
fn every_encoding_writes_the_same_points() {
    let s = start(16 * LIMIT);
    let url = format!("http://{}", s.addr);
    let pts = points(20_000);
    for (i, enc) in [
        BatchEncoding::Json,
        BatchEncoding::Binary,
        BatchEncoding::BinaryGzip,
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("e{i}");
        let client = HttpStore::new(&url, None).unwrap().with_batch_encoding(enc);
        let batch = Batch {
            records: vec![
                create(&id),
                Record::Metrics {
                    experiment: id.clone(),
                    key: "train/loss".into(),
                    points: pts.clone(),
                },
                Record::Attachment {
                    experiment: id.clone(),
                    name: "blob.bin".into(),
                    data: (0..=255u8).collect(),
                    created_at: 1,
                },
            ],
        };
        pollster::block_on(client.write(&batch)).unwrap();
        let back =
            pollster::block_on(s.store.metric_points(&id, "train/loss", StepRange::ALL)).unwrap();
        assert_eq!(back.len(), pts.len(), "{enc:?}");
        // The store keeps steps and values (NaN and ±∞ included); SQLite keeps only
        // some timestamps and reads -0.0 back as 0.0, so those are not compared here
        // (the wire itself is bit-exact: the fuzz round trip in sextant-core).
        for (a, b) in back.iter().zip(&pts) {
            assert!(a.same_as(b), "{enc:?}: {a:?} != {b:?}");
        }
        let blob = pollster::block_on(s.store.get_attachment(&id, "blob.bin")).unwrap();
        assert_eq!(blob, (0..=255u8).collect::<Vec<_>>(), "{enc:?}");
    }
}

#[test]
fn json_encoded_http_store_still_conforms() {
    let servers = std::sync::Mutex::new(Vec::new());
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || {
        let server = start(LIMIT);
        let store = HttpStore::new(&format!("http://{}", server.addr), None)
            .unwrap()
            .with_batch_encoding(BatchEncoding::Json);
        servers.lock().unwrap().push(server);
        async move { Arc::new(store) as Arc<dyn Store> }
    }));
}

#[test]
fn bad_binary_bodies_get_clear_errors_and_lose_nothing() {
    let s = start(LIMIT);
    let a = &s.addr;
    let good = wire::encode(&Batch {
        records: vec![
            create("kept"),
            Record::Metrics {
                experiment: "kept".into(),
                key: "loss".into(),
                points: points(100),
            },
        ],
    })
    .unwrap();
    let (status, v) = post(a, "application/cbor", None, &good);
    assert_eq!(status, 204, "{v}");

    // Not CBOR at all, and JSON sent as CBOR.
    for body in [&b"\xff\x00garbage"[..], br#"{"records": []}"#] {
        let (status, v) = post(a, "application/cbor", None, body);
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["code"], "INVALID_INPUT");
        assert!(
            v["message"].as_str().unwrap().contains("binary batch"),
            "{v}"
        );
    }
    // Truncated mid-column.
    let (status, v) = post(a, "application/cbor", None, &good[..good.len() - 5]);
    assert_eq!(status, 400, "{v}");
    // A point the tracker would refuse (negative step): the same validation as JSON.
    let bad_step = wire::encode(&Batch {
        records: vec![Record::Metrics {
            experiment: "kept".into(),
            key: "loss".into(),
            points: vec![MetricPoint {
                step: -1,
                value: 1.0,
                logged_at: 0,
            }],
        }],
    })
    .unwrap();
    let (status, v) = post(a, "application/cbor", None, &bad_step);
    assert_eq!(status, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("step"), "{v}");
    // Not gzip, though it says so; an encoding the server does not speak.
    let (status, v) = post(a, "application/cbor", Some("gzip"), &good);
    assert_eq!(status, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("gzip"), "{v}");
    let (status, v) = post(a, "application/cbor", Some("br"), &good);
    assert_eq!(status, 415, "{v}");
    // A gzip bomb: 8 KiB on the wire, past the limit inflated.
    let bomb = gzip(&vec![0u8; 8 * LIMIT]);
    assert!(bomb.len() < LIMIT / 16);
    let (status, v) = post(a, "application/cbor", Some("gzip"), &bomb);
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["code"], "PAYLOAD_TOO_LARGE");
    // JSON may come gzip-compressed too; the same limit holds.
    let (status, v) = post(a, "application/json", Some("gzip"), &bomb);
    assert_eq!(status, 413, "{v}");
    let json = serde_json::to_vec(&Batch {
        records: vec![Record::Metrics {
            experiment: "kept".into(),
            key: "json".into(),
            points: points(10),
        }],
    })
    .unwrap();
    let (status, v) = post(a, "application/json", Some("gzip"), &gzip(&json));
    assert_eq!(status, 204, "{v}");
    // Cross-site forms cannot reach the binary path: other media types stay refused.
    let (status, _) = post(a, "text/plain", None, &good);
    assert_eq!(status, 415);

    let kept = pollster::block_on(s.store.metric_points("kept", "loss", StepRange::ALL)).unwrap();
    assert_eq!(kept.len(), 100, "nothing logged before was lost");
    let json_pts =
        pollster::block_on(s.store.metric_points("kept", "json", StepRange::ALL)).unwrap();
    assert_eq!(json_pts.len(), 10);
}

//! Attachments far larger than a request body may be stream through the server: uploaded
//! with PUT, downloaded as a stream, synced between stores, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use sextant_core::{chunks, Batch, NewExperiment, Record, Store};
use sextant_http::HttpStore;
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn create(store: &dyn Store, id: &str) {
    let batch = Batch {
        records: vec![Record::Create(NewExperiment {
            id: id.into(),
            name: id.into(),
            group: "big".into(),
            tags: Vec::new(),
            created_at: 1_700_000_000_000,
            description: None,
            source: None,
            created_by: None,
        })],
    };
    pollster::block_on(store.write(&batch)).unwrap();
}

fn read_all(store: &dyn Store, id: &str, name: &str) -> Vec<u8> {
    let (_, stream) = pollster::block_on(store.read_attachment(id, name)).unwrap();
    pollster::block_on(chunks::collect(stream, u64::MAX, name)).unwrap()
}

#[test]
fn an_attachment_over_the_body_limit_streams_up_and_down() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    create(store.as_ref(), "run");
    let addr = common::serve(
        store.clone(),
        ServeOptions {
            // Batches are capped at 1 MiB; the 24 MiB file must not go through that path.
            max_body_bytes: 1 << 20,
            max_attachment_bytes: 32 << 20,
            ..ServeOptions::default()
        },
    );
    let client = HttpStore::new(&format!("http://{addr}"), None).unwrap();
    let data = bytes(24 << 20, 7);
    let size = pollster::block_on(client.put_attachment(
        "run",
        "ckpt/model.bin",
        1_700_000_123_000,
        chunks::from_bytes(data.clone()),
    ))
    .unwrap();
    assert_eq!(size, data.len() as u64);
    // Stored as a file in luml's layout, with the time the client gave.
    let listed = pollster::block_on(store.list_attachments("run")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].size, listed[0].created_at),
        (data.len() as u64, 1_700_000_123_000)
    );
    assert!(
        read_all(store.as_ref(), "run", "ckpt/model.bin") == data,
        "stored bytes differ"
    );
    // Downloaded as a stream through the server.
    assert!(
        read_all(&client, "run", "ckpt/model.bin") == data,
        "downloaded bytes differ"
    );
    // The plain GET still serves it whole.
    assert!(pollster::block_on(client.get_attachment("run", "ckpt/model.bin")).unwrap() == data);
}

#[test]
fn an_upload_over_the_attachment_limit_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    create(store.as_ref(), "run");
    let small = bytes(1000, 3);
    pollster::block_on(store.put_attachment(
        "run",
        "keep.txt",
        1_700_000_000_000,
        chunks::from_bytes(small.clone()),
    ))
    .unwrap();
    let addr = common::serve(
        store.clone(),
        ServeOptions {
            max_attachment_bytes: 2 << 20,
            ..ServeOptions::default()
        },
    );
    let client = HttpStore::new(&format!("http://{addr}"), None).unwrap();
    let err = pollster::block_on(client.put_attachment(
        "run",
        "keep.txt",
        1,
        chunks::from_bytes(bytes(3 << 20, 5)),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    // The earlier version is intact and no temporary file is left behind.
    assert!(read_all(store.as_ref(), "run", "keep.txt") == small);
    let leftovers: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Unknown experiment and bad names are refused before any byte is kept.
    let err =
        pollster::block_on(client.put_attachment("nope", "a.bin", 1, chunks::from_bytes(vec![1])))
            .unwrap_err();
    assert_eq!(err.code(), "EXPERIMENT_NOT_FOUND", "{err}");
    let err = pollster::block_on(client.put_attachment(
        "run",
        "../escape",
        1,
        chunks::from_bytes(vec![1]),
    ))
    .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT", "{err}");
    let err = pollster::block_on(client.read_attachment("run", "missing.bin"))
        .err()
        .unwrap();
    assert_eq!(err.code(), "ATTACHMENT_NOT_FOUND", "{err}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

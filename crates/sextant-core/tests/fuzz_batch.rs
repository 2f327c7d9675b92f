//! Fuzzing the `Batch` decoders (JSON and the binary batch of `sextant_core::wire`, what
//! `POST /api/batch` and the `http://` store accept) and `Batch::validate` on whatever
//! they decode: random bytes and random edits of the corpus in `tests/fuzz/corpus/batch`
//! (for the binary decoder, that corpus re-encoded) never panic, and a decoded batch that
//! validates is accepted by a store without a panic either. `SEXTANT_FUZZ_CASES` sets the
//! count. Random batches also survive a binary round trip unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sextant_core::{wire, Batch, MemoryStore, Store};

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz/corpus/batch");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

/// A corpus file with a few bytes replaced, inserted or cut.
fn mutated(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = corpus.len();
    (
        0..n,
        prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 1..8),
    )
        .prop_map(move |(i, edits)| {
            let mut bytes = corpus[i].clone();
            for (pos, byte, kind) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let at = pos as usize % bytes.len();
                match kind {
                    0 => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ => {
                        bytes.truncate(at);
                    }
                }
            }
            bytes
        })
}

/// A leaf of a corpus batch replaced with a hostile value: structure kept, so the decoder
/// gets past the syntax and the validation rules are what is exercised.
fn leaf_edits(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let values: Vec<serde_json::Value> = corpus
        .iter()
        .filter_map(|b| serde_json::from_slice(b).ok())
        .collect();
    let n = values.len();
    let hostile = prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,300}".prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "",
            "..",
            "../x",
            "a/../b",
            "NaN",
            "-Infinity",
            "/etc/passwd",
            "\u{0}",
            "a//b",
            "completed",
            "bogus"
        ])
        .prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
    ];
    (0..n, prop::collection::vec((any::<usize>(), hostile), 1..4)).prop_map(move |(i, edits)| {
        let mut v = values[i].clone();
        for (pick, new) in edits {
            let mut leaves = Vec::new();
            collect_leaves(&v, String::new(), &mut leaves);
            if leaves.is_empty() {
                break;
            }
            let path = &leaves[pick % leaves.len()];
            if let Some(slot) = v.pointer_mut(path) {
                *slot = new;
            }
        }
        serde_json::to_vec(&v).unwrap()
    })
}

fn collect_leaves(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                collect_leaves(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_leaves(x, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

fn cases() -> u32 {
    std::env::var("SEXTANT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000u32)
}

/// The JSON corpus as binary batches, plus one with many points (long byte strings).
fn binary_corpus() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = corpus()
        .iter()
        .filter_map(|b| serde_json::from_slice::<Batch>(b).ok())
        .map(|b| wire::encode(&b).unwrap())
        .collect();
    let points = (0..300)
        .map(|s| sextant_core::MetricPoint {
            step: s,
            value: s as f64 * 0.5,
            logged_at: 1_700_000_000_000,
        })
        .collect();
    out.push(
        wire::encode(&Batch {
            records: vec![sextant_core::Record::Metrics {
                experiment: "e1".into(),
                key: "loss".into(),
                points,
            }],
        })
        .unwrap(),
    );
    assert!(out.len() > 2);
    out
}

#[test]
fn binary_batch_decoding_never_panics() {
    let cases = cases();
    let store = MemoryStore::new();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        6 => mutated(binary_corpus()),
    ];
    let decoded = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |bytes| {
            if let Ok(batch) = wire::decode(&bytes) {
                decoded.set(decoded.get() + 1);
                if batch.validate().is_ok() {
                    let _ = pollster::block_on(store.write(&batch));
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz binary batch: {cases} inputs, {} decoded as batches",
        decoded.get()
    );
}

fn metric_batch() -> impl Strategy<Value = Batch> {
    let point = (any::<i64>(), any::<f64>(), any::<i64>()).prop_map(|(step, value, logged_at)| {
        sextant_core::MetricPoint {
            step,
            value,
            logged_at,
        }
    });
    let record = (
        "[a-z0-9-]{1,12}",
        ".{0,20}",
        prop::collection::vec(point, 0..50),
    )
        .prop_map(|(experiment, key, points)| sextant_core::Record::Metrics {
            experiment,
            key,
            points,
        });
    prop::collection::vec(record, 0..6).prop_map(|records| Batch { records })
}

#[test]
fn binary_round_trip_keeps_every_bit() {
    let mut runner = TestRunner::new(Config {
        cases: cases().min(2_000),
        failure_persistence: None,
        ..Config::default()
    });
    let corpus: Vec<Batch> = corpus()
        .iter()
        .filter_map(|b| serde_json::from_slice(b).ok())
        .collect();
    for b in &corpus {
        // The JSON text compares NaN as "NaN", so equal text is an equal batch.
        let back = wire::decode(&wire::encode(b).unwrap()).unwrap();
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(b).unwrap()
        );
    }
    runner
        .run(&metric_batch(), |b| {
            let bytes = wire::encode(&b).unwrap();
            let back = wire::decode(&bytes).unwrap();
            // Bit-equal through NaN payloads and -0.0: re-encoding gives the same bytes.
            prop_assert_eq!(wire::encode(&back).unwrap(), bytes);
            prop_assert_eq!(back.records.len(), b.records.len());
            Ok(())
        })
        .unwrap();
}

#[test]
fn batch_decoding_never_panics() {
    let cases = cases();
    let store = MemoryStore::new();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        2 => mutated(corpus()),
        4 => leaf_edits(corpus()),
    ];
    let decoded = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |bytes| {
            if let Ok(batch) = serde_json::from_slice::<Batch>(&bytes) {
                decoded.set(decoded.get() + 1);
                if batch.validate().is_ok() {
                    let _ = pollster::block_on(store.write(&batch));
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz batch: {cases} inputs, {} decoded as batches",
        decoded.get()
    );
}

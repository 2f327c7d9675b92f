//! Fuzzing the snapshot importer (`sextant import`, the dashboard's file open): random
//! edits of real snapshots (`tests/fuzz/corpus/snapshot`) never panic or allocate from a
//! header's claims, and whatever imports can be written to a store. `SEXTANT_FUZZ_CASES`
//! sets the count.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sextant_luml::snapshot;

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz/corpus/snapshot");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    out
}

#[test]
fn snapshot_import_never_panics() {
    let cases = std::env::var("SEXTANT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(600, |c| c / 5);
    let corpus = corpus();
    assert!(!corpus.is_empty());
    let n = corpus.len();
    // Tar headers sit at 512-byte boundaries: aim edits at them (sizes, types, names)
    // as often as anywhere else.
    let edits = prop::collection::vec(
        (any::<u32>(), any::<u8>(), any::<bool>(), any::<bool>()),
        1..6,
    );
    let strategy = (0..n, edits).prop_map(move |(i, edits)| {
        let mut bytes = corpus[i].clone();
        for (pos, byte, in_header, cut) in edits {
            let len = bytes.len().max(1);
            let at = if in_header {
                ((pos as usize % (len / 512).max(1)) * 512 + (pos as usize >> 20) % 512) % len
            } else {
                pos as usize % len
            };
            if cut {
                bytes.truncate(at);
            } else if at < bytes.len() {
                bytes[at] = byte;
            }
        }
        bytes
    });
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let imported = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |bytes| {
            if let Ok(dump) = snapshot::from_tar_bytes(&bytes) {
                imported.set(imported.get() + 1);
                let _ = snapshot::to_tar_bytes(&dump);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("fuzz snapshot: {cases} inputs, {} imported", imported.get());
}

/// The hostile test's case: a tiny tar whose header claims 7 GiB.
#[test]
fn a_header_claiming_gigabytes_costs_nothing() {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(0);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "manifest.json", &[][..]).unwrap();
    let mut bytes = b.into_inner().unwrap();
    // Rewrite the size field (octal, bytes 124..136) to 7 GiB and fix the checksum.
    let size = format!("{:011o}\0", 7u64 << 30);
    bytes[124..136].copy_from_slice(size.as_bytes());
    bytes[148..156].copy_from_slice(b"        ");
    let sum: u32 = bytes[..512].iter().map(|&b| u32::from(b)).sum();
    bytes[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let err = snapshot::from_tar_bytes(&bytes).unwrap_err();
    assert!(matches!(err, sextant_core::Error::Snapshot(_)), "{err}");
}

//! `file://PATH`, the persistent store for Node: the key/value store ([`KvStore`], the
//! localStorage layout) on a file that logs every batch of key changes as one JSON line,
//! replayed into memory on open. One line per flush keeps logging to one `write` + `fsync`;
//! a line is the batch, so a crash mid-write loses that batch whole (its torn line is
//! skipped) and nothing else. Several processes may append to one file as long as they log
//! different experiments: each line only touches its own experiment's keys (and a group's,
//! identical either way), and each process reads the others' lines the next time it opens
//! the file.
//!
//! The file only grows: a deleted experiment's keys are removed by a later line.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::ser::{Serialize, SerializeMap, Serializer};
use sextant_core::{Env, Error, MaybeSend, MaybeSync, Result};

use crate::kv::{KvBackend, KvStore};

/// File access, supplied by the platform (Node's `fs` through JS; `std::fs` in tests).
pub trait FileHost: MaybeSend + MaybeSync + std::fmt::Debug {
    /// The whole file, or `None` when it does not exist.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// Appends in one write and syncs to disk before returning; creates the file if needed.
    fn append(&self, path: &str, data: &[u8]) -> Result<()>;
}

/// The first line of every file: `{"sextant_file_store":1}`.
const HEADER: &str = "sextant_file_store";
const FORMAT: u64 = 1;

/// The prefix of every key in a file store (the file itself is the namespace).
const PREFIX: &str = "sextant";

/// The file store.
pub type FileStore<H> = KvStore<FileBackend<H>>;

/// Opens (or creates) `file://PATH`.
pub fn open<H: FileHost>(host: H, path: &str, env: Arc<dyn Env>) -> Result<FileStore<H>> {
    let backend = FileBackend::open(host, path)?;
    Ok(KvStore::new(backend, PREFIX, format!("file://{path}"), env))
}

/// A key/value map kept in memory and logged to a file.
#[derive(Debug)]
pub struct FileBackend<H> {
    host: H,
    path: String,
    map: Mutex<BTreeMap<String, String>>,
    skipped: usize,
}

/// One logged batch: `{"key": "value" | null, ...}`.
struct Line<'a>(&'a [(String, Option<String>)]);

impl Serialize for Line<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<H: FileHost> FileBackend<H> {
    /// Reads the log into memory, creating the file (with its header line) if needed.
    pub fn open(host: H, path: &str) -> Result<Self> {
        if path.is_empty() {
            return Err(Error::InvalidInput {
                what: "file store path",
                value: String::new(),
                reason: "file:// needs a path, e.g. file://./experiments.sextant".into(),
            });
        }
        let mut map = BTreeMap::new();
        let mut skipped = 0;
        match host.read(path)? {
            None => host.append(path, format!("{{\"{HEADER}\":{FORMAT}}}\n").as_bytes())?,
            Some(bytes) => {
                skipped = replay(&bytes, path, &mut map)?;
                if !bytes.ends_with(b"\n") {
                    // Isolate a torn last line so the next batch starts a line of its own.
                    host.append(path, b"\n")?;
                }
            }
        }
        Ok(FileBackend {
            host,
            path: path.to_string(),
            map: Mutex::new(map),
            skipped,
        })
    }

    /// Lines skipped at open because a crash cut them short.
    pub fn skipped_lines(&self) -> usize {
        self.skipped
    }

    fn map(&self) -> Result<MutexGuard<'_, BTreeMap<String, String>>> {
        self.map
            .lock()
            .map_err(|_| Error::storage("file store lock poisoned by a panic"))
    }
}

/// Applies every line to `map`; returns how many torn lines were skipped.
fn replay(bytes: &[u8], path: &str, map: &mut BTreeMap<String, String>) -> Result<usize> {
    let corrupt = |line: usize, what: &str| {
        Error::corrupt(format!(
            "{path} line {line}: {what}; the file was left untouched"
        ))
    };
    let mut skipped = 0;
    let mut header_seen = false;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entries: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(line)
        {
            Ok(entries) => entries,
            // Not JSON: a write a crash cut short.
            Err(e) if e.is_syntax() || e.is_eof() => {
                skipped += 1;
                continue;
            }
            Err(_) => return Err(corrupt(i + 1, "not a Sextant file store line")),
        };
        // Processes that created the file at once each wrote a header: any line may be one.
        match entries.get(HEADER).map(serde_json::Value::as_u64) {
            Some(Some(v)) if v <= FORMAT => {
                header_seen = true;
                continue;
            }
            Some(_) => {
                return Err(corrupt(
                    i + 1,
                    "written by a newer Sextant (unknown file format)",
                ))
            }
            None if !header_seen => return Err(corrupt(i + 1, "not a Sextant file store")),
            None => {}
        }
        for (key, value) in entries {
            match value {
                serde_json::Value::String(v) => {
                    map.insert(key, v);
                }
                serde_json::Value::Null => {
                    map.remove(&key);
                }
                _ => return Err(corrupt(i + 1, &format!("key {key:?} has a non-text value"))),
            }
        }
    }
    Ok(skipped)
}

impl<H: FileHost> KvBackend for FileBackend<H> {
    fn name(&self) -> &'static str {
        "the file store"
    }

    fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.map()?.get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<()> {
        self.apply(&[(key.to_string(), Some(value.to_string()))])
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.apply(&[(key.to_string(), None)])
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self
            .map()?
            .range(prefix.to_string()..)
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }

    /// One line per batch, appended and synced before memory changes: if the append fails,
    /// neither the file nor memory holds any of it.
    fn apply(&self, writes: &[(String, Option<String>)]) -> Result<()> {
        let mut line = serde_json::to_vec(&Line(writes))
            .map_err(|e| Error::storage(format!("cannot encode a write for {}: {e}", self.path)))?;
        line.push(b'\n');
        let mut map = self.map()?;
        self.host.append(&self.path, &line)?;
        for (key, value) in writes {
            match value {
                Some(v) => map.insert(key.clone(), v.clone()),
                None => map.remove(key),
            };
        }
        Ok(())
    }
}

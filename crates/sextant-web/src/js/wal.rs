//! Write-ahead for pages that go away. IndexedDB cannot finish a write once a page is being
//! unloaded, so on `pagehide` the tracker saves everything not yet known to be stored (the
//! batch being written, the buffer) plus "failed" for each running experiment as one JSON
//! batch in localStorage, synchronously. The next `ExperimentTracker.open` of the same store,
//! in any tab, writes it into IndexedDB and removes it. Bounded by what localStorage holds
//! (about 5 MB: some 100,000 points); a batch that does not fit is written the usual way,
//! as far as the page lets it.

use sextant_core::{Batch, Env, Error, Record, Result, Store};

use crate::env::JsEnv;

const PREFIX: &str = "sextant-wal:";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Whether a page closing must save this store's data elsewhere (its writes are async).
pub fn needed(location: &str) -> bool {
    location.starts_with("idb://")
}

/// Saves `batch` for the next open of `location`; false when it could not be saved.
pub fn save(location: &str, batch: &Batch) -> bool {
    if batch.is_empty() {
        return true;
    }
    let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(batch)) else {
        return false;
    };
    let key = format!("{PREFIX}{location}:{}", JsEnv.new_uuid());
    storage.set_item(&key, &json).is_ok()
}

/// Spans already stored are skipped: the batch that was being written may have landed.
async fn without_stored_spans(store: &dyn Store, record: Record) -> Result<Option<Record>> {
    let Record::Spans { experiment, spans } = record else {
        return Ok(Some(record));
    };
    let stored = match store.list_spans(&experiment, None).await {
        Ok(stored) => stored,
        Err(Error::ExperimentNotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let spans: Vec<_> = spans
        .into_iter()
        .filter(|s| {
            !stored
                .iter()
                .any(|t| t.trace_id == s.trace_id && t.span_id == s.span_id)
        })
        .collect();
    Ok((!spans.is_empty()).then_some(Record::Spans { experiment, spans }))
}

/// Writes what closed pages saved for `store`, record by record (points and params are
/// upserts, so a batch that had landed anyway changes nothing), and removes it. Returns
/// the number of saved batches replayed; a storage error puts the rest back for next time.
pub async fn replay(store: &dyn Store) -> Result<usize> {
    let Some(storage) = storage() else {
        return Ok(0);
    };
    let prefix = format!("{PREFIX}{}:", store.location());
    let len = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(&prefix))
        .collect();
    let mut replayed = 0;
    for key in keys {
        // Claimed first, so another tab opening the store now does not replay it too.
        let Some(text) = storage.get_item(&key).ok().flatten() else {
            continue;
        };
        let _ = storage.remove_item(&key);
        let batch: Batch = serde_json::from_str(&text)
            .map_err(|e| Error::corrupt(format!("saved page data {key:?}: {e}")))?;
        for record in batch.records {
            let written = match without_stored_spans(store, record).await {
                Ok(Some(record)) => {
                    store
                        .write(&Batch {
                            records: vec![record],
                        })
                        .await
                }
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            match written {
                // The experiment was deleted meanwhile, or the like: nothing to restore.
                Ok(()) | Err(Error::ExperimentNotFound(_) | Error::InvalidInput { .. }) => {}
                Err(e) => {
                    let _ = storage.set_item(&key, &text);
                    return Err(e);
                }
            }
        }
        replayed += 1;
    }
    Ok(replayed)
}

//! Opening a luml snapshot tar (`sextant export`) in the browser. The tar holds a SQLite
//! `exp.db`, read by SQLite compiled to wasm in a web worker (`snapshot_worker`), which is
//! fetched only now: the dashboard itself stays small. The worker hands back the
//! experiment as a batch of records, written into a memory store.

use std::sync::Arc;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use sextant_core::{Batch, MemoryStore, Store};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, MessageEvent, Worker};

use super::dom::describe;

/// Where trunk puts the worker's loader (worker builds keep their names unhashed).
const WORKER_URL: &str = "/snapshot_worker_loader.js";

async fn read_file(file: &File) -> Result<Uint8Array, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("cannot read {}: {}", file.name(), describe(&e)))?;
    Ok(Uint8Array::new(&buffer))
}

/// The worker's next message (or its load error) as a promise.
fn next_message(worker: &Worker) -> Promise {
    let w = worker.clone();
    Promise::new(&mut |resolve, reject| {
        let on_message = Closure::once_into_js(move |e: MessageEvent| {
            let _ = resolve.call1(&JsValue::NULL, &e.data());
        });
        let on_error = Closure::once_into_js(move |e: web_sys::ErrorEvent| {
            let msg = if e.message().is_empty() {
                "the snapshot reader is not part of this build (trunk builds it with the \
                 `snapshot` feature)"
                    .to_string()
            } else {
                e.message()
            };
            let _ = reject.call1(&JsValue::NULL, &msg.into());
        });
        w.set_onmessage(Some(on_message.unchecked_ref()));
        w.set_onerror(Some(on_error.unchecked_ref()));
    })
}

/// Starts a worker, waits until it says it is ready (a message sent earlier would be
/// lost while its wasm loads), sends the tar and waits for the batch JSON or its error.
async fn in_worker(bytes: Uint8Array) -> Result<String, String> {
    let worker = Worker::new(WORKER_URL)
        .map_err(|e| format!("cannot start the snapshot reader: {}", describe(&e)))?;
    let result = exchange(&worker, bytes).await;
    worker.terminate();
    result
}

async fn exchange(worker: &Worker, bytes: Uint8Array) -> Result<String, String> {
    JsFuture::from(next_message(worker))
        .await
        .map_err(|e| describe(&e))?;
    let reply = next_message(worker);
    let buffer = bytes.buffer();
    worker
        .post_message_with_transfer(&bytes, &Array::of1(&buffer))
        .map_err(|e| describe(&e))?;
    let data = JsFuture::from(reply).await.map_err(|e| describe(&e))?;
    let ok = Reflect::get(&data, &"ok".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let text = |field: &str| {
        Reflect::get(&data, &field.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    if ok {
        Ok(text("batch"))
    } else {
        Err(text("error"))
    }
}

/// Reads a snapshot file into a memory store holding its experiment.
pub async fn open(file: &File) -> Result<Arc<MemoryStore>, String> {
    let bytes = read_file(file).await?;
    let json = in_worker(bytes).await?;
    let batch: Batch = serde_json::from_str(&json)
        .map_err(|e| format!("the snapshot reader sent something unexpected: {e}"))?;
    let store = MemoryStore::new();
    store.write(&batch).await.map_err(|e| e.to_string())?;
    Ok(Arc::new(store))
}

//! Node's side of `file://PATH`: the package's Node entry hands in an object whose methods
//! wrap `node:fs` (www/src/file-host.js), since wasm has no filesystem of its own.

use std::cell::RefCell;

use sextant_core::{Error, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::filelog::FileHost;

#[wasm_bindgen]
extern "C" {
    /// `{ read(path): Uint8Array | null, append(path, bytes): void }`, synchronous.
    #[derive(Debug, Clone)]
    pub type JsFileHost;

    #[wasm_bindgen(method, catch)]
    fn read(this: &JsFileHost, path: &str) -> std::result::Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn append(this: &JsFileHost, path: &str, data: &[u8]) -> std::result::Result<(), JsValue>;
}

thread_local! {
    static HOST: RefCell<Option<JsFileHost>> = const { RefCell::new(None) };
}

/// Called once by the Node entry of the npm package.
#[wasm_bindgen(js_name = installFileHost)]
pub fn install_file_host(host: JsFileHost) {
    HOST.with(|h| *h.borrow_mut() = Some(host));
}

/// The installed host, or an error saying `file://` needs Node.
pub fn host() -> Result<JsFileHost> {
    HOST.with(|h| h.borrow().clone()).ok_or_else(|| {
        Error::storage(
            "file:// stores need Node (the package's Node entry provides file access); in a \
             browser use idb://NAME",
        )
    })
}

fn failure(what: &str, path: &str, e: &JsValue) -> Error {
    let code = js_sys::Reflect::get(e, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default();
    let message = e
        .dyn_ref::<js_sys::Error>()
        .map(|err| String::from(err.message()))
        .unwrap_or_else(|| format!("{e:?}"));
    if code == "ENOSPC" || code == "EDQUOT" {
        Error::quota_exceeded(format!("{what} {path}: {message}"))
    } else {
        Error::storage(format!("{what} {path}: {message}"))
    }
}

impl FileHost for JsFileHost {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let data = JsFileHost::read(self, path).map_err(|e| failure("reading", path, &e))?;
        if data.is_null() || data.is_undefined() {
            return Ok(None);
        }
        data.dyn_into::<js_sys::Uint8Array>()
            .map(|bytes| Some(bytes.to_vec()))
            .map_err(|_| Error::storage(format!("reading {path}: the host returned no bytes")))
    }

    fn append(&self, path: &str, data: &[u8]) -> Result<()> {
        JsFileHost::append(self, path, data).map_err(|e| failure("appending to", path, &e))
    }
}

//! Node's synchronous `fs` (and `path`, `process`), imported straight into the wasm module:
//! the Node build's glue imports `node:fs`, so nothing has to be handed in at run time and
//! the browser build, which does not contain this crate, never sees the import.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "node:fs")]
extern "C" {
    #[wasm_bindgen(catch, js_name = openSync)]
    pub fn open_sync(path: &str, flags: &str) -> Result<i32, JsValue>;
    #[wasm_bindgen(catch, js_name = closeSync)]
    pub fn close_sync(fd: i32) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = readSync)]
    pub fn read_sync(
        fd: i32,
        buf: &mut [u8],
        offset: u32,
        length: u32,
        position: f64,
    ) -> Result<f64, JsValue>;
    #[wasm_bindgen(catch, js_name = writeSync)]
    pub fn write_sync(
        fd: i32,
        buf: &[u8],
        offset: u32,
        length: u32,
        position: f64,
    ) -> Result<f64, JsValue>;
    #[wasm_bindgen(catch, js_name = fsyncSync)]
    pub fn fsync_sync(fd: i32) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = fdatasyncSync)]
    pub fn fdatasync_sync(fd: i32) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = ftruncateSync)]
    pub fn ftruncate_sync(fd: i32, len: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = fstatSync)]
    fn fstat_sync(fd: i32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = statSync)]
    fn stat_sync(path: &str, options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = accessSync)]
    pub fn access_sync(path: &str, mode: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = unlinkSync)]
    pub fn unlink_sync(path: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = mkdirSync)]
    fn mkdir_sync(path: &str, options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = rmSync)]
    fn rm_sync(path: &str, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = realpathSync)]
    pub fn realpath_sync(path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_name = renameSync)]
    pub fn rename_sync(from: &str, to: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_name = readFileSync)]
    fn read_file_sync(path: &str) -> Result<js_sys::Uint8Array, JsValue>;
    #[wasm_bindgen(catch, js_name = readFileSync)]
    pub fn read_text_sync(path: &str, encoding: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_name = writeFileSync)]
    fn write_file_sync(path: &str, data: &[u8], options: &JsValue) -> Result<(), JsValue>;
}

#[wasm_bindgen(module = "node:path")]
extern "C" {
    /// An absolute path (the working directory applied), as SQLite wants file names.
    pub fn resolve(path: &str) -> String;
}

#[wasm_bindgen(module = "node:process")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn kill(pid: f64, signal: f64) -> Result<(), JsValue>;
}

/// `{ key: value }` for an options argument.
fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (k, v) in pairs {
        // Setting a field of a fresh object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(k), v);
    }
    obj.into()
}

/// The `code` of a Node error (`ENOENT`, `ENOSPC`, ...), empty when there is none.
pub fn code(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

pub fn message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|err| String::from(err.message()))
        .unwrap_or_else(|| format!("{e:?}"))
}

pub fn file_size(fd: i32) -> Result<f64, JsValue> {
    let stats = fstat_sync(fd)?;
    Reflect::get(&stats, &JsValue::from_str("size"))?
        .as_f64()
        .ok_or_else(|| JsValue::from_str("fstat gave no size"))
}

/// `Some(true)` for a directory, `Some(false)` for anything else, `None` when missing.
pub fn is_dir(path: &str) -> Result<Option<bool>, JsValue> {
    let stats = stat_sync(path, &options(&[("throwIfNoEntry", JsValue::FALSE)]))?;
    if stats.is_undefined() || stats.is_null() {
        return Ok(None);
    }
    let f = Reflect::get(&stats, &JsValue::from_str("isDirectory"))?;
    let f: &js_sys::Function = f.unchecked_ref();
    Ok(Some(f.call0(&stats)?.is_truthy()))
}

pub fn mkdir_all(path: &str) -> Result<(), JsValue> {
    mkdir_sync(path, &options(&[("recursive", JsValue::TRUE)])).map(|_| ())
}

pub fn remove_all(path: &str) -> Result<(), JsValue> {
    rm_sync(
        path,
        &options(&[("recursive", JsValue::TRUE), ("force", JsValue::TRUE)]),
    )
}

pub fn read_file(path: &str) -> Result<Vec<u8>, JsValue> {
    read_file_sync(path).map(|b| b.to_vec())
}

/// Writes a file; `exclusive` fails with `EEXIST` when it exists already.
pub fn write_file(path: &str, data: &[u8], exclusive: bool) -> Result<(), JsValue> {
    let flag = if exclusive { "wx" } else { "w" };
    write_file_sync(path, data, &options(&[("flag", JsValue::from_str(flag))]))
}

/// This process's id.
pub fn pid() -> u32 {
    Reflect::get(&js_sys::global(), &JsValue::from_str("process"))
        .and_then(|p| Reflect::get(&p, &JsValue::from_str("pid")))
        .ok()
        .and_then(|p| p.as_f64())
        .map_or(0, |p| p as u32)
}

/// Whether a process with this id is running (signal 0 only checks).
pub fn alive(pid: u32) -> bool {
    match kill(f64::from(pid), 0.0) {
        Ok(()) => true,
        Err(e) => code(&e) == "EPERM",
    }
}

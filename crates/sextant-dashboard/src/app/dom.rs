//! Small browser helpers: storage, time, object URLs, downloads, timing marks.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url, Window};

pub fn window() -> Option<Window> {
    web_sys::window()
}

/// The text of a JS exception, for messages.
pub fn describe(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

pub fn local_get(key: &str) -> Option<String> {
    window()?.local_storage().ok()??.get_item(key).ok()?
}

/// Best effort: a full or disabled localStorage only loses a preference.
pub fn local_set(key: &str, value: &str) {
    if let Some(Ok(Some(s))) = window().map(|w| w.local_storage()) {
        let _ = s.set_item(key, value);
    }
}

pub fn origin() -> String {
    window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Milliseconds from the page's time origin (for timings).
pub fn now_ms() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// The local time zone's offset from UTC in milliseconds (east positive).
pub fn tz_offset_ms() -> i64 {
    -(js_sys::Date::new_0().get_timezone_offset() as i64) * 60_000
}

/// Records a User Timing measure from `start` (a [`now_ms`] value) to now, so benchmarks
/// and devtools see first paints and re-queries under `sextant:*` names.
pub fn measure(name: &str, start: f64) {
    let Some(perf) = window().and_then(|w| w.performance()) else {
        return;
    };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"start".into(), &start.into());
    let _ = js_sys::Reflect::set(&options, &"end".into(), &perf.now().into());
    // The options form (`measure(name, {start, end})`) is not in web-sys; call it directly.
    if let Ok(f) = js_sys::Reflect::get(&perf, &"measure".into()) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call2(&perf, &name.into(), &options);
        }
    }
}

/// An object URL for bytes, revoked when dropped (so previews do not leak blobs).
#[derive(Debug)]
pub struct ObjectUrl(String);

impl ObjectUrl {
    pub fn new(bytes: &[u8], mime: &str) -> Result<ObjectUrl, String> {
        let parts = Array::of1(&Uint8Array::from(bytes).into());
        let props = BlobPropertyBag::new();
        props.set_type(mime);
        let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &props)
            .map_err(|e| describe(&e))?;
        Url::create_object_url_with_blob(&blob)
            .map(ObjectUrl)
            .map_err(|e| describe(&e))
    }

    pub fn url(&self) -> &str {
        &self.0
    }
}

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        let _ = Url::revoke_object_url(&self.0);
    }
}

/// Saves bytes as a file through a temporary download link.
pub fn download(bytes: &[u8], file_name: &str, mime: &str) -> Result<(), String> {
    let url = ObjectUrl::new(bytes, mime)?;
    let document = window().and_then(|w| w.document()).ok_or("no document")?;
    let a: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| describe(&e))?
        .unchecked_into();
    a.set_href(url.url());
    a.set_download(file_name);
    a.click();
    // Revoking right after click is fine in current browsers: the download has started.
    drop(url);
    Ok(())
}

pub fn confirm(message: &str) -> bool {
    window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

pub fn prefers_dark() -> bool {
    window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Sets `data-theme` on `<html>`, which the stylesheet's colour variables follow.
pub fn apply_theme(dark: bool) {
    if let Some(root) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

/// A CSS custom property's value on `<html>` (the charts draw in the theme's colours).
pub fn css_var(name: &str) -> String {
    let Some(w) = window() else {
        return String::new();
    };
    let Some(root) = w.document().and_then(|d| d.document_element()) else {
        return String::new();
    };
    w.get_computed_style(&root)
        .ok()
        .flatten()
        .and_then(|s| s.get_property_value(name).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

pub fn page_hidden() -> bool {
    window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Shows a fixed banner with a message (used by the panic hook: never a blank page).
/// Text only: the message never becomes markup.
pub fn banner(message: &str) {
    let Some(document) = window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(div) = document.create_element("div") else {
        return;
    };
    div.set_class_name("fatal-banner");
    div.set_text_content(Some(message));
    if let Some(body) = document.body() {
        let _ = body.append_child(&div);
    }
}

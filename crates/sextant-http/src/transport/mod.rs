//! How requests leave the process: ureq natively, `fetch` in the browser. The store above
//! sees one async call either way.

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::Transport;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::Transport;

/// One request. `query` applies to GETs; `body` to POST and PATCH, sent as `media`
/// (`application/json` unless a batch goes binary), `encoding` its `Content-Encoding`.
pub(crate) struct Call<'a> {
    pub method: &'static str,
    pub url: &'a str,
    pub query: &'a [(&'a str, String)],
    pub body: Option<Vec<u8>>,
    pub media: &'static str,
    pub encoding: Option<&'static str>,
    pub token: Option<&'a str>,
}

/// Any HTTP answer, error statuses included: the store maps those to core errors.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

//! Browser transport: the page's (or worker's) `fetch`. Same-origin requests carry the
//! server's token cookie, so a dashboard served by `sextant ui --token` needs no header.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

use super::{Call, Reply};

#[derive(Debug, Default)]
pub(crate) struct Transport;

/// The text of a JS exception, for error messages.
fn describe(e: JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
fn encode(s: &str) -> String {
    const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, QUERY).to_string()
}

/// `fetch` from a window or a worker, whichever this code runs in.
fn fetch(request: &Request) -> Result<Promise, String> {
    let global = js_sys::global();
    if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        return Ok(window.fetch_with_request(request));
    }
    if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        return Ok(worker.fetch_with_request(request));
    }
    Err("no fetch in this JavaScript context".into())
}

impl Transport {
    pub(crate) fn new() -> Self {
        Transport
    }

    pub(crate) async fn call(&self, call: Call<'_>) -> Result<Reply, String> {
        let mut url = call.url.to_string();
        for (i, (k, v)) in call.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.push_str(&encode(v));
        }
        let headers = Headers::new().map_err(describe)?;
        if let Some(t) = call.token {
            headers
                .set("Authorization", &format!("Bearer {t}"))
                .map_err(describe)?;
        }
        let init = RequestInit::new();
        init.set_method(call.method);
        init.set_credentials(RequestCredentials::SameOrigin);
        if let Some(body) = &call.body {
            headers.set("Content-Type", call.media).map_err(describe)?;
            if let Some(enc) = call.encoding {
                headers.set("Content-Encoding", enc).map_err(describe)?;
            }
            init.set_body(&Uint8Array::from(&body[..]).into());
        }
        init.set_headers(&headers);
        let request = Request::new_with_str_and_init(&url, &init).map_err(describe)?;
        let response: Response = JsFuture::from(fetch(&request)?)
            .await
            .map_err(describe)?
            .dyn_into()
            .map_err(describe)?;
        let status = response.status();
        let buffer = JsFuture::from(response.array_buffer().map_err(describe)?)
            .await
            .map_err(describe)?;
        Ok(Reply {
            status,
            body: Uint8Array::new(&buffer).to_vec(),
        })
    }
}

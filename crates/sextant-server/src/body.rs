//! Request bodies that come compressed or in more than one encoding: inflating within the
//! body limit, and the write endpoint's batch in JSON or the binary form.

use std::io::Read;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use sextant_core::{wire, Batch};

use crate::error::{ApiError, ApiResult};

/// The media type of a request, lowercase, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

/// Undoes `Content-Encoding: gzip`, refusing to inflate past `limit` bytes (a small
/// compressed body can expand without bound): that is a 413, like a body sent that large.
pub fn decompress(headers: &HeaderMap, body: Bytes, limit: usize) -> ApiResult<Bytes> {
    let enc = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match enc.as_deref() {
        None | Some("" | "identity") => Ok(body),
        Some("gzip") => {
            // Compressed bodies mostly shrink 2-4x; start there, grow as it inflates.
            let mut out = Vec::with_capacity(body.len().saturating_mul(3).min(limit));
            let mut reader = flate2::read::GzDecoder::new(&body[..]).take(limit as u64 + 1);
            reader
                .read_to_end(&mut out)
                .map_err(|e| ApiError::bad_request(format!("body is not valid gzip: {e}")))?;
            if out.len() > limit {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("gzip body inflates past the server's limit of {limit} bytes"),
                ));
            }
            Ok(Bytes::from(out))
        }
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Encoding {other:?} is not supported: send gzip or no encoding"),
        )),
    }
}

/// The batch of `POST /api/batch`: `application/cbor` is the binary batch
/// ([`sextant_core::wire`]), anything else JSON (the guard has already refused media
/// types a browser could send cross-site). Not validated yet.
pub fn batch(headers: &HeaderMap, body: Bytes, limit: usize) -> ApiResult<Batch> {
    let binary = media_type(headers).as_deref() == Some(wire::BINARY_BATCH);
    let body = decompress(headers, body, limit)?;
    if binary {
        return wire::decode(&body).map_err(ApiError::from);
    }
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("body is not a batch of records: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Bytes {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        Bytes::from(gz.finish().unwrap())
    }

    fn headers(media: &'static str, enc: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
        if let Some(e) = enc {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        h
    }

    #[test]
    fn inflation_stops_at_the_limit() {
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 8 << 10);
        let h = headers("application/cbor", Some("gzip"));
        let e = decompress(&h, bomb.clone(), 1 << 16).err();
        assert!(e.is_some_and(|e| e.status == StatusCode::PAYLOAD_TOO_LARGE));
        assert_eq!(decompress(&h, bomb, 1 << 20).unwrap().len(), 1 << 20);
        let e = decompress(&h, Bytes::from_static(b"nope"), 100).err();
        assert!(e.is_some_and(|e| e.status == StatusCode::BAD_REQUEST));
        let e = decompress(&headers("application/cbor", Some("br")), gzip(b"x"), 100).err();
        assert!(e.is_some_and(|e| e.status == StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
}

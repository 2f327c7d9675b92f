//! Query strings as typed structs: each endpoint says which parameters it takes and of
//! what type, and a malformed one is a JSON 400 naming it (axum's own `Query` rejection is
//! plain text). An empty value (`limit=`) reads as absent, as HTML forms send it; unknown
//! parameters are ignored (`token=` is the auth layer's).

use std::fmt::Display;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;

/// The request's query string as `T`.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// A value parsed with `FromStr`; empty is absent.
fn parsed<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match Option::<String>::deserialize(d)?.as_deref() {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e| D::Error::custom(format!("{v:?} is not valid here: {e}"))),
    }
}

/// `1` or `true` (any case) is on; anything else, or nothing, is off.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")))
}

/// `GET /api/experiments`. `group`, `tag`, `status` and `q` (or `text`) are read by
/// [`sextant_core::ExperimentFilter::from_query`], the one parser of that filter.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    /// The search language (docs/search.md).
    #[serde(default)]
    pub filter: String,
    #[serde(default)]
    pub order_by: String,
    #[serde(default, deserialize_with = "parsed")]
    pub sort: Option<sextant_core::Sort>,
    #[serde(default, deserialize_with = "parsed")]
    pub limit: Option<usize>,
    #[serde(default, deserialize_with = "parsed")]
    pub cursor: Option<String>,
}

/// `GET /api/experiments/{id}/metrics/{key}`.
#[derive(Debug, Default, Deserialize)]
pub struct SeriesParams {
    #[serde(default, deserialize_with = "parsed")]
    pub from: Option<i64>,
    #[serde(default, deserialize_with = "parsed")]
    pub to: Option<i64>,
    #[serde(default, deserialize_with = "parsed")]
    pub max_points: Option<usize>,
    /// Every point in the range (the `http://` store's history reads).
    #[serde(default, deserialize_with = "flag")]
    pub raw: bool,
}

/// `GET /api/experiments/{id}/attachments/{name}`.
#[derive(Debug, Default, Deserialize)]
pub struct AttachmentParams {
    /// Shown in the page rather than downloaded.
    #[serde(default, deserialize_with = "flag")]
    pub inline: bool,
}

/// `PUT /api/experiments/{id}/attachments/{name}`: the attachment's time, Unix ms (the
/// upload's time when absent).
#[derive(Debug, Default, Deserialize)]
pub struct UploadParams {
    #[serde(default, deserialize_with = "parsed")]
    pub created_at: Option<i64>,
}

//! Every failure leaves the API as JSON `{"error": "..."}` with a fitting status code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sextant_core::Error;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::ExperimentNotFound(_)
            | Error::AttachmentNotFound { .. }
            | Error::TraceNotFound { .. } => StatusCode::NOT_FOUND,
            Error::InvalidInput { .. }
            | Error::InvalidConnectionString { .. }
            | Error::UnknownBackend { .. }
            | Error::Snapshot(_)
            | Error::NoActiveExperiment
            | Error::ExperimentNotOpen(_)
            | Error::ExperimentEnded { .. } => StatusCode::BAD_REQUEST,
            Error::ExperimentExists(_) => StatusCode::CONFLICT,
            Error::QuotaExceeded(_) => StatusCode::INSUFFICIENT_STORAGE,
            Error::Corrupt(_) | Error::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

//! MLflow's error shape, `{"error_code", "message"}` with the status its client expects, so
//! `MlflowClient` raises its own `MlflowException` with the right `error_code`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sextant_core::Error;

#[derive(Debug)]
pub struct MlflowError {
    pub status: StatusCode,
    pub error_code: &'static str,
    pub message: String,
}

pub type MlResult<T> = Result<T, MlflowError>;

impl MlflowError {
    pub fn new(status: StatusCode, error_code: &'static str, message: impl Into<String>) -> Self {
        MlflowError {
            status,
            error_code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", message)
    }

    pub fn exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "RESOURCE_ALREADY_EXISTS", message)
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(format!("Missing value for required parameter '{param}'"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", message)
    }
}

/// Core error codes onto MLflow's `ErrorCode` names and the statuses MLflow's server
/// answers them with (client errors are never 5xx, which its client would retry).
impl From<Error> for MlflowError {
    fn from(e: Error) -> Self {
        let (status, error_code) = match e.code() {
            "EXPERIMENT_NOT_FOUND" | "ATTACHMENT_NOT_FOUND" | "TRACE_NOT_FOUND" => {
                (StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST")
            }
            "EXPERIMENT_EXISTS" => (StatusCode::BAD_REQUEST, "RESOURCE_ALREADY_EXISTS"),
            "UNAUTHORIZED" => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
            "FORBIDDEN" | "READ_ONLY" => (StatusCode::FORBIDDEN, "PERMISSION_DENIED"),
            "QUOTA_EXCEEDED" => (StatusCode::TOO_MANY_REQUESTS, "RESOURCE_EXHAUSTED"),
            "UNAVAILABLE" => (StatusCode::SERVICE_UNAVAILABLE, "TEMPORARILY_UNAVAILABLE"),
            "STORAGE" | "CORRUPT" => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
            _ => (StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE"),
        };
        MlflowError::new(status, error_code, e.to_string())
    }
}

impl IntoResponse for MlflowError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({
                "error_code": self.error_code,
                "message": self.message,
            })),
        )
            .into_response()
    }
}

/// What a run endpoint says about an unknown run: MLflow's wording, not "experiment".
pub fn for_run(id: &str) -> impl FnOnce(Error) -> MlflowError + '_ {
    move |e| match e {
        Error::ExperimentNotFound(_) => {
            MlflowError::not_found(format!("Run with id={id} not found"))
        }
        other => other.into(),
    }
}

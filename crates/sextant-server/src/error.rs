//! Every failure leaves the API as JSON `{"code", "message", ...fields}` with a fitting
//! status: `code` is [`sextant_core::Error::code`], so clients branch on the kind (and the
//! `http://` store rebuilds the very error) without parsing messages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use sextant_core::Error;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// What the error is about (`experiment`, `name`, `trace_id`, `what`, `value`).
    pub fields: Map<String, Value>,
}

/// Codes the server itself answers with (routing, transport, limits), beside the core's
/// [`Error::CODES`]; `docs/api-error.schema.json` lists both.
pub const SERVER_CODES: &[&str] = &[
    "NOT_FOUND",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "HOST_NOT_ALLOWED",
    "INTERNAL",
];

impl ApiError {
    /// An error of the server's own making (routing, transport), with the code that fits
    /// its status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let code = match status {
            StatusCode::UNAUTHORIZED => "UNAUTHORIZED",
            StatusCode::FORBIDDEN => "FORBIDDEN",
            StatusCode::NOT_FOUND => "NOT_FOUND",
            StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
            StatusCode::MISDIRECTED_REQUEST => "HOST_NOT_ALLOWED",
            StatusCode::SERVICE_UNAVAILABLE => "UNAVAILABLE",
            s if s.is_client_error() => "INVALID_INPUT",
            _ => "INTERNAL",
        };
        let message = message.into();
        let mut fields = Map::new();
        if code == "INVALID_INPUT" {
            // The same fields a core InvalidInput carries, so clients read one shape.
            fields.insert("what".into(), Value::String("request".into()));
            fields.insert("value".into(), Value::String(String::new()));
            fields.insert("reason".into(), Value::String(message.clone()));
        }
        ApiError {
            status,
            code,
            message,
            fields,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// The HTTP status for each kind of core error.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
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
        Error::QuotaExceeded { .. } => StatusCode::INSUFFICIENT_STORAGE,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) | Error::ReadOnly { .. } => StatusCode::FORBIDDEN,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Corrupt { .. } | Error::Storage { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let mut fields = Map::new();
        let mut put = |k: &str, v: &str| {
            fields.insert(k.to_string(), Value::String(v.to_string()));
        };
        match &e {
            Error::ExperimentNotFound(id)
            | Error::ExperimentExists(id)
            | Error::ExperimentNotOpen(id) => put("experiment", id),
            Error::ExperimentEnded { id, status } => {
                put("experiment", id);
                put("name", status);
            }
            Error::AttachmentNotFound { experiment, name } => {
                put("experiment", experiment);
                put("name", name);
            }
            Error::TraceNotFound {
                experiment,
                trace_id,
            } => {
                put("experiment", experiment);
                put("name", trace_id);
            }
            Error::InvalidInput {
                what,
                value,
                reason,
            } => {
                put("what", what);
                put("value", value);
                put("reason", &format!("{what}: {reason}"));
            }
            _ => {}
        }
        ApiError {
            status: status_of(&e),
            code: e.code(),
            message: e.to_string(),
            fields,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = self.fields;
        body.insert("code".into(), json!(self.code));
        body.insert("message".into(), json!(self.message));
        (self.status, Json(Value::Object(body))).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

//! One request shape for every endpoint: MLflow's client sends GET parameters in the query
//! (repeated keys for lists) and POST parameters as protobuf-JSON (int64 as numbers or
//! strings, doubles possibly `"NaN"`), so fields are read leniently by name.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::errors::MlflowError;

pub struct Req(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = MlflowError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut fields = Map::new();
        for (k, v) in form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
            let v = Value::String(v.into_owned());
            match fields.get_mut(k.as_ref()) {
                Some(Value::Array(items)) => items.push(v),
                Some(prev) => {
                    let first = prev.take();
                    *prev = Value::Array(vec![first, v]);
                }
                None => {
                    fields.insert(k.into_owned(), v);
                }
            }
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| MlflowError::invalid(format!("could not read the request body: {e}")))?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(m)) => fields.extend(m),
                Ok(_) => {
                    return Err(MlflowError::invalid(
                        "the request body must be a JSON object",
                    ))
                }
                Err(e) => {
                    return Err(MlflowError::invalid(format!(
                        "the request body is not valid JSON: {e}"
                    )))
                }
            }
        }
        Ok(Req(fields))
    }
}

impl Req {
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.0.get(name)? {
            Value::String(s) => Some(s),
            Value::Array(items) => items.first().and_then(Value::as_str),
            _ => None,
        }
    }

    /// A string the request must carry (empty counts as missing, as in MLflow).
    pub fn required(&self, name: &str) -> Result<String, MlflowError> {
        match self.str(name) {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(MlflowError::missing(name)),
        }
    }

    /// `run_id`, or the deprecated `run_uuid` older clients send.
    pub fn run_id(&self) -> Result<String, MlflowError> {
        self.required("run_id")
            .or_else(|_| self.required("run_uuid"))
            .map_err(|_| MlflowError::missing("run_id"))
    }

    pub fn i64(&self, name: &str) -> Result<Option<i64>, MlflowError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => int(v).map(Some).ok_or_else(|| {
                MlflowError::invalid(format!("parameter '{name}' must be an integer, got {v}"))
            }),
        }
    }

    pub fn f64(&self, name: &str) -> Result<Option<f64>, MlflowError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => float(v).map(Some).ok_or_else(|| {
                MlflowError::invalid(format!("parameter '{name}' must be a number, got {v}"))
            }),
        }
    }

    /// A repeated field: an array, or one value given alone.
    pub fn list(&self, name: &str) -> Vec<Value> {
        match self.0.get(name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(v) => vec![v.clone()],
        }
    }

    pub fn strings(&self, name: &str) -> Vec<String> {
        self.list(name)
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }
}

/// An int64 as protobuf-JSON writes it: a number or a decimal string.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A double as protobuf-JSON writes it: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => sextant_core::lossless_f64::parse_name(s.trim()),
        _ => None,
    }
}

/// A field of a nested object, as text.
pub fn field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

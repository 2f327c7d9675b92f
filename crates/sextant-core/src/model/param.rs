use serde::{Deserialize, Serialize};

/// A static value ("param"). The variant is the luml `value_type`, so a store round-trips it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum ParamValue {
    /// Text.
    Str(String),
    /// A whole number that fits in 64 bits.
    Int(i64),
    /// Any other number; NaN and ±infinity are kept.
    Float(#[serde(with = "super::lossless_f64")] f64),
    /// `true` or `false`.
    Bool(bool),
    /// Anything else (lists, objects, `null`), kept as JSON.
    Json(serde_json::Value),
}

/// The luml `value_type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `str`
    Str,
    /// `int`
    Int,
    /// `float`
    Float,
    /// `bool`
    Bool,
    /// `json`
    Json,
}

impl ParamType {
    /// The name luml stores in `static_params.value_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Str => "str",
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::Json => "json",
        }
    }
}

impl ParamValue {
    /// Which luml type this value is stored as.
    pub fn param_type(&self) -> ParamType {
        match self {
            ParamValue::Str(_) => ParamType::Str,
            ParamValue::Int(_) => ParamType::Int,
            ParamValue::Float(_) => ParamType::Float,
            ParamValue::Bool(_) => ParamType::Bool,
            ParamValue::Json(_) => ParamType::Json,
        }
    }

    /// Maps a JSON value onto the narrowest luml type, as luml does for Python values.
    pub fn from_json(value: serde_json::Value) -> ParamValue {
        use serde_json::Value;
        match value {
            Value::String(s) => ParamValue::Str(s),
            Value::Bool(b) => ParamValue::Bool(b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => ParamValue::Int(i),
                None => ParamValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            other => ParamValue::Json(other),
        }
    }

    /// The plain JSON form (non-finite floats become strings, as JSON has no NaN).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            ParamValue::Str(s) => Value::String(s.clone()),
            ParamValue::Int(i) => Value::from(*i),
            ParamValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| {
                    Value::String(super::lossless_f64::name_non_finite(*f).to_string())
                }),
            ParamValue::Bool(b) => Value::Bool(*b),
            ParamValue::Json(v) => v.clone(),
        }
    }

    /// The text luml keeps in `static_params.value`: Python's `str()` for scalars, JSON otherwise.
    pub fn to_luml_text(&self) -> String {
        match self {
            ParamValue::Str(s) => s.clone(),
            ParamValue::Int(i) => i.to_string(),
            ParamValue::Float(f) => python_float_repr(*f),
            ParamValue::Bool(true) => "True".to_string(),
            ParamValue::Bool(false) => "False".to_string(),
            ParamValue::Json(v) => v.to_string(),
        }
    }

    /// Reads luml's `(value, value_type)` pair; an unknown type or unparsable text stays a string.
    pub fn from_luml_text(value: &str, value_type: &str) -> ParamValue {
        match value_type {
            "int" => value
                .trim()
                .parse()
                .map(ParamValue::Int)
                .unwrap_or_else(|_| ParamValue::Str(value.to_string())),
            "float" => parse_python_float(value)
                .map(ParamValue::Float)
                .unwrap_or_else(|| ParamValue::Str(value.to_string())),
            "bool" => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => ParamValue::Bool(true),
                "false" | "0" => ParamValue::Bool(false),
                _ => ParamValue::Str(value.to_string()),
            },
            "json" => serde_json::from_str(value)
                .map(ParamValue::Json)
                .unwrap_or_else(|_| ParamValue::Str(value.to_string())),
            _ => ParamValue::Str(value.to_string()),
        }
    }
}

/// Python's `str(float)`: shortest round-trip digits, `1.0` not `1`, `inf`/`nan`.
fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        "nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{f:?}")
    }
}

fn parse_python_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "infinity" | "+inf" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => t.parse().ok(),
    }
}

impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_string())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Str(v)
    }
}
impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<f32> for ParamValue {
    fn from(v: f32) -> Self {
        ParamValue::Float(f64::from(v))
    }
}
macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl From<$t> for ParamValue {
            fn from(v: $t) -> Self {
                ParamValue::Int(i64::from(v))
            }
        }
    )*};
}
int_param!(i8, i16, i32, i64, u8, u16, u32);
impl From<usize> for ParamValue {
    fn from(v: usize) -> Self {
        i64::try_from(v)
            .map(ParamValue::Int)
            .unwrap_or(ParamValue::Float(v as f64))
    }
}
impl From<serde_json::Value> for ParamValue {
    fn from(v: serde_json::Value) -> Self {
        ParamValue::from_json(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luml_text_round_trips_every_type() {
        let cases = [
            ParamValue::Str("adamw".into()),
            ParamValue::Int(-16),
            ParamValue::Float(0.01),
            ParamValue::Float(1.0),
            ParamValue::Float(1e-10),
            ParamValue::Float(f64::INFINITY),
            ParamValue::Bool(true),
            ParamValue::Bool(false),
            ParamValue::Json(serde_json::json!({"k": [1, 2]})),
        ];
        for v in cases {
            let text = v.to_luml_text();
            let back = ParamValue::from_luml_text(&text, v.param_type().as_str());
            assert_eq!(back, v, "through {text:?}");
        }
        assert_eq!(ParamValue::Float(1.0).to_luml_text(), "1.0");
        assert_eq!(ParamValue::Bool(true).to_luml_text(), "True");
        let nan = ParamValue::from_luml_text("nan", "float");
        assert!(matches!(nan, ParamValue::Float(f) if f.is_nan()));
    }

    #[test]
    fn json_values_map_to_narrowest_type() {
        assert_eq!(
            ParamValue::from_json(serde_json::json!(3)),
            ParamValue::Int(3)
        );
        assert_eq!(
            ParamValue::from_json(serde_json::json!(0.5)),
            ParamValue::Float(0.5)
        );
        assert_eq!(
            ParamValue::from_json(serde_json::json!([1])),
            ParamValue::Json(serde_json::json!([1]))
        );
    }
}

use serde::{Deserialize, Serialize};

/// One point of a metric series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    /// The x position, `>= 0`; unique within a key (a new point at a step replaces the old).
    pub step: i64,
    /// NaN and ±infinity are kept; JSON carries them as `"NaN"`, `"Infinity"`, `"-Infinity"`.
    #[serde(with = "lossless_f64")]
    pub value: f64,
    /// Unix milliseconds when logged (0 when the store never recorded it).
    pub logged_at: i64,
}

impl MetricPoint {
    /// Equality that treats NaN as equal to NaN, for comparing stored series; ignores
    /// `logged_at`.
    pub fn same_as(&self, other: &MetricPoint) -> bool {
        self.step == other.step
            && (self.value == other.value || (self.value.is_nan() && other.value.is_nan()))
    }
}

/// An inclusive step range; open ends mean "from the first" / "to the last".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRange {
    /// First step included; `None` starts at the first point.
    pub from: Option<i64>,
    /// Last step included; `None` runs to the last point.
    pub to: Option<i64>,
}

impl StepRange {
    /// Every step.
    pub const ALL: StepRange = StepRange {
        from: None,
        to: None,
    };

    /// From `from` to `to`, both inclusive; `from > to` selects nothing.
    pub fn new(from: Option<i64>, to: Option<i64>) -> Self {
        StepRange { from, to }
    }

    /// Whether `step` lies in the range.
    pub fn contains(&self, step: i64) -> bool {
        self.from.is_none_or(|f| step >= f) && self.to.is_none_or(|t| step <= t)
    }
}

/// What a chart needs to know about a metric before fetching its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// The metric key.
    pub key: String,
    /// Points stored (one per step).
    pub count: u64,
    /// Lowest step.
    pub first_step: i64,
    /// Highest step.
    pub last_step: i64,
    /// The value at `last_step`.
    #[serde(with = "lossless_f64")]
    pub last_value: f64,
    /// The lowest and highest value over every step, NaN left out (±inf count): what
    /// runs tables show beside the last value. `None` when every value is NaN, or when
    /// the store cannot tell without reading every point (older servers, browser stores
    /// after a step was overwritten).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "lossless_f64::option"
    )]
    pub min: Option<f64>,
    /// The highest value (see `min`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "lossless_f64::option"
    )]
    pub max: Option<f64>,
}

impl MetricSummary {
    /// Folds `value` into the extremes (NaN changes nothing).
    pub fn absorb_extreme(&mut self, value: f64) {
        (self.min, self.max) = extremes_with((self.min, self.max), value);
    }
}

/// `(min, max)` after one more value: NaN is ignored, so all-NaN stays `(None, None)`.
pub fn extremes_with(
    (min, max): (Option<f64>, Option<f64>),
    value: f64,
) -> (Option<f64>, Option<f64>) {
    if value.is_nan() {
        return (min, max);
    }
    (
        Some(min.map_or(value, |m| m.min(value))),
        Some(max.map_or(value, |m| m.max(value))),
    )
}

/// Serde for f64 that survives JSON: finite values as numbers, the rest as named strings.
pub mod lossless_f64 {
    use serde::{de, Deserialize, Deserializer, Serializer};

    /// The JSON name of a non-finite value: `NaN`, `Infinity` or `-Infinity` (what Python's
    /// `json` writes). Only meaningful for non-finite `v`.
    pub fn name_non_finite(v: f64) -> &'static str {
        if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
    }

    /// Finite values as JSON numbers, the rest by name.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_str(name_non_finite(*v))
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Num(f64),
        Text(String),
        Null(()),
    }

    /// Reads a value written as text: the names above (and `nan`/`inf`) or a decimal number.
    pub fn parse_name(s: &str) -> Option<f64> {
        match s {
            "NaN" | "nan" => Some(f64::NAN),
            "Infinity" | "inf" | "+Infinity" => Some(f64::INFINITY),
            "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
            _ => s.parse().ok(),
        }
    }

    /// Accepts a number, a name or a number as text; `null` reads as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Num(v) => Ok(v),
            Repr::Null(()) => Ok(f64::NAN),
            Repr::Text(t) => {
                parse_name(&t).ok_or_else(|| de::Error::custom(format!("not a number: {t:?}")))
            }
        }
    }

    /// The same for optional values; `null` or absent reads as `None`.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] f64);

        /// `Some` as [`super::serialize`] writes it, `None` as `null`.
        pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        /// `null` as `None`, anything else as [`super::deserialize`] reads it.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
            Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
        }
    }

    /// The same for maps of values (latest metrics).
    pub mod map {
        use std::collections::BTreeMap;

        use serde::{ser::SerializeMap, Deserialize, Deserializer, Serializer};

        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] f64);

        struct Show(f64);
        impl serde::Serialize for Show {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::serialize(&self.0, s)
            }
        }

        /// Each value as [`super::serialize`] writes it.
        pub fn serialize<S: Serializer>(
            m: &BTreeMap<String, f64>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            let mut out = s.serialize_map(Some(m.len()))?;
            for (k, v) in m {
                out.serialize_entry(k, &Show(*v))?;
            }
            out.end()
        }

        /// Each value as [`super::deserialize`] reads it.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<BTreeMap<String, f64>, D::Error> {
            let m = BTreeMap::<String, Wrapped>::deserialize(d)?;
            Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_survive_json() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.5] {
            let p = MetricPoint {
                step: 3,
                value: v,
                logged_at: 7,
            };
            let text = serde_json::to_string(&p).unwrap();
            let back: MetricPoint = serde_json::from_str(&text).unwrap();
            assert!(back.same_as(&p), "{text}");
        }
    }

    #[test]
    fn extremes_skip_nan_and_survive_json() {
        let mut m = MetricSummary {
            key: "loss".into(),
            count: 4,
            first_step: 0,
            last_step: 3,
            last_value: f64::NAN,
            min: None,
            max: None,
        };
        m.absorb_extreme(f64::NAN);
        assert_eq!((m.min, m.max), (None, None), "all NaN: no extremes");
        let text = serde_json::to_string(&m).unwrap();
        assert!(!text.contains("min"), "{text}");
        for v in [2.0, f64::NEG_INFINITY, 5.0, f64::NAN] {
            m.absorb_extreme(v);
        }
        assert_eq!((m.min, m.max), (Some(f64::NEG_INFINITY), Some(5.0)));
        let text = serde_json::to_string(&m).unwrap();
        let back: MetricSummary = serde_json::from_str(&text).unwrap();
        assert_eq!((back.min, back.max), (m.min, m.max), "{text}");
        // What an older server sends: no extremes.
        let old: MetricSummary = serde_json::from_str(
            r#"{"key":"a","count":1,"first_step":0,"last_step":0,"last_value":1.0}"#,
        )
        .unwrap();
        assert_eq!((old.min, old.max), (None, None));
    }
}

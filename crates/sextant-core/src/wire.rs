//! The binary batch: what `http://` stores send to `POST /api/batch` as
//! [`BINARY_BATCH`] (`application/cbor`) beside the JSON [`Batch`].
//!
//! CBOR (RFC 8949, through serde) keeps it readable by any CBOR library. The document is
//! `{"records": [R, …]}` where each `R` is a one-key map:
//!
//! - `{"metrics": {"experiment", "key", "steps", "values", "logged_at"}}`: the points as
//!   three byte strings of little-endian columns (`i64` steps, `f64` values, `i64`
//!   `logged_at` Unix milliseconds, 8 bytes a point each, the same count in all three).
//!   A point costs 24 bytes and decodes without per-point parsing, which is where JSON
//!   spends its time.
//! - `{"attachment": {"experiment", "name", "data", "created_at"}}`: `data` a byte string,
//!   not base64.
//! - `{"record": {…}}`: any other record in its JSON shape (`{"op": "create", …}`).
//!
//! A decoded batch is the same [`Batch`] the JSON path gives, and goes through the same
//! [`Batch::validate`].

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::error::{Error, Result};
use crate::model::MetricPoint;
use crate::store::{Batch, Record};

/// The `Content-Type` of a binary batch.
pub const BINARY_BATCH: &str = "application/cbor";

/// How deep a decoded document may nest (CBOR arrays and maps): a batch needs a handful
/// of levels, and a hostile body cannot recurse the decoder off its stack.
const MAX_DEPTH: usize = 64;

#[derive(Serialize)]
struct BatchOut<'a> {
    records: Vec<RecordOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum RecordOut<'a> {
    Metrics {
        experiment: &'a str,
        key: &'a str,
        steps: ByteBuf,
        values: ByteBuf,
        logged_at: ByteBuf,
    },
    Attachment {
        experiment: &'a str,
        name: &'a str,
        #[serde(with = "serde_bytes")]
        data: &'a [u8],
        created_at: i64,
    },
    Record(&'a Record),
}

#[derive(Deserialize)]
struct BatchIn {
    records: Vec<RecordIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RecordIn {
    Metrics {
        experiment: String,
        key: String,
        steps: ByteBuf,
        values: ByteBuf,
        logged_at: ByteBuf,
    },
    Attachment {
        experiment: String,
        name: String,
        data: ByteBuf,
        created_at: i64,
    },
    Record(Record),
}

/// The binary form of `batch`.
pub fn encode(batch: &Batch) -> Result<Vec<u8>> {
    let records = batch
        .records
        .iter()
        .map(|r| match r {
            Record::Metrics {
                experiment,
                key,
                points,
            } => {
                let column = |f: &dyn Fn(&MetricPoint) -> [u8; 8]| {
                    let mut out = Vec::with_capacity(points.len() * 8);
                    for p in points {
                        out.extend_from_slice(&f(p));
                    }
                    ByteBuf::from(out)
                };
                RecordOut::Metrics {
                    experiment,
                    key,
                    steps: column(&|p| p.step.to_le_bytes()),
                    values: column(&|p| p.value.to_le_bytes()),
                    logged_at: column(&|p| p.logged_at.to_le_bytes()),
                }
            }
            Record::Attachment {
                experiment,
                name,
                data,
                created_at,
            } => RecordOut::Attachment {
                experiment,
                name,
                data,
                created_at: *created_at,
            },
            other => RecordOut::Record(other),
        })
        .collect();
    // 24 bytes a point plus a little framing; attachments as they are.
    let size: usize = batch
        .records
        .iter()
        .map(|r| match r {
            Record::Metrics { points, .. } => points.len() * 24 + 64,
            Record::Attachment { data, .. } => data.len() + 64,
            _ => 256,
        })
        .sum();
    let mut out = Vec::with_capacity(size + 16);
    ciborium::into_writer(&BatchOut { records }, &mut out)
        .map_err(|e| Error::storage(format!("cannot encode batch: {e}")))?;
    Ok(out)
}

/// Reads a binary batch. Bad bytes are an [`Error::InvalidInput`] naming what was wrong;
/// the batch is not validated here (call [`Batch::validate`]).
pub fn decode(bytes: &[u8]) -> Result<Batch> {
    let wire: BatchIn = ciborium::de::from_reader_with_recursion_limit(bytes, MAX_DEPTH)
        .map_err(|e| Error::invalid("batch", "", format!("body is not a binary batch: {e}")))?;
    let records = wire
        .records
        .into_iter()
        .map(|r| match r {
            RecordIn::Metrics {
                experiment,
                key,
                steps,
                values,
                logged_at,
            } => {
                let points = points(&key, &steps, &values, &logged_at)?;
                Ok(Record::Metrics {
                    experiment,
                    key,
                    points,
                })
            }
            RecordIn::Attachment {
                experiment,
                name,
                data,
                created_at,
            } => Ok(Record::Attachment {
                experiment,
                name,
                data: data.into_vec(),
                created_at,
            }),
            RecordIn::Record(r) => Ok(r),
        })
        .collect::<Result<Vec<Record>>>()?;
    Ok(Batch { records })
}

/// Points from the three columns of a metrics record.
fn points(key: &str, steps: &[u8], values: &[u8], logged_at: &[u8]) -> Result<Vec<MetricPoint>> {
    if steps.len() % 8 != 0 || values.len() != steps.len() || logged_at.len() != steps.len() {
        return Err(Error::invalid(
            "metric columns",
            key,
            format!(
                "steps, values and logged_at must hold 8 bytes a point each, the same count \
                 (got {}, {} and {} bytes)",
                steps.len(),
                values.len(),
                logged_at.len()
            ),
        ));
    }
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        w
    };
    Ok(steps
        .chunks_exact(8)
        .zip(values.chunks_exact(8))
        .zip(logged_at.chunks_exact(8))
        .map(|((s, v), t)| MetricPoint {
            step: i64::from_le_bytes(word(s)),
            value: f64::from_le_bytes(word(v)),
            logged_at: i64::from_le_bytes(word(t)),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewExperiment, ParamValue, Status};

    fn sample() -> Batch {
        Batch {
            records: vec![
                Record::Create(NewExperiment {
                    id: "e1".into(),
                    name: "run".into(),
                    group: "g".into(),
                    tags: vec!["a".into()],
                    created_at: 1_700_000_000_000,
                    description: None,
                    source: None,
                    created_by: None,
                }),
                Record::Params {
                    experiment: "e1".into(),
                    params: vec![("lr".into(), ParamValue::Float(f64::INFINITY))],
                },
                Record::Metrics {
                    experiment: "e1".into(),
                    key: "train/loss".into(),
                    points: vec![
                        MetricPoint {
                            step: 0,
                            value: -0.0,
                            logged_at: 1_700_000_000_000,
                        },
                        MetricPoint {
                            step: i64::MAX,
                            value: f64::NEG_INFINITY,
                            logged_at: 0,
                        },
                    ],
                },
                Record::Attachment {
                    experiment: "e1".into(),
                    name: "a/b.bin".into(),
                    data: vec![0, 255, 1],
                    created_at: 5,
                },
                Record::SetStatus {
                    experiment: "e1".into(),
                    status: Status::Completed,
                    duration: Some(1.5),
                },
            ],
        }
    }

    #[test]
    fn round_trips_every_record_kind() {
        let b = sample();
        let bytes = encode(&b).unwrap();
        assert_eq!(decode(&bytes).unwrap(), b);
    }

    #[test]
    fn points_cost_24_bytes() {
        let points = (0..10_000)
            .map(|s| MetricPoint {
                step: s,
                value: 0.5,
                logged_at: 1,
            })
            .collect();
        let b = Batch {
            records: vec![Record::Metrics {
                experiment: "e1".into(),
                key: "k".into(),
                points,
            }],
        };
        let n = encode(&b).unwrap().len();
        assert!((240_000..240_200).contains(&n), "{n}");
    }

    #[test]
    fn ragged_columns_are_named() {
        #[derive(Serialize)]
        struct Doc {
            records: Vec<RecordOut<'static>>,
        }
        let doc = Doc {
            records: vec![RecordOut::Metrics {
                experiment: "e1",
                key: "loss",
                steps: ByteBuf::from(vec![0u8; 16]),
                values: ByteBuf::from(vec![0u8; 8]),
                logged_at: ByteBuf::from(vec![0u8; 16]),
            }],
        };
        let mut bytes = Vec::new();
        ciborium::into_writer(&doc, &mut bytes).unwrap();
        let e = decode(&bytes).unwrap_err().to_string();
        assert!(e.contains("loss") && e.contains("16, 8 and 16"), "{e}");
        let e = decode(b"{\"records\": []}").unwrap_err().to_string();
        assert!(e.contains("not a binary batch"), "{e}");
    }
}

//! OTLP/HTTP trace ingest (`POST /v1/traces`), so services instrumented with any
//! OpenTelemetry SDK export straight into Sextant: protobuf or OTLP's JSON mapping, gzip or
//! not, answered in the encoding asked with an `ExportTraceServiceResponse`.
//!
//! Where spans land, first match wins: the span attribute `sextant.experiment_id`, the
//! resource attribute `sextant.experiment_id`, the request header `x-sextant-experiment`,
//! else an experiment per `service.name` (id `otlp-<service name>`, group `otlp`). A named
//! experiment that does not exist yet is created, so an exporter may start before its run.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1 as otel;
use prost::Message;
use serde_json::{Map, Value};
use sextant_core::{validate, Batch, Error, NewExperiment, Record, Span, SpanEvent, SpanLink};
use sextant_core::{SpanStatus, Store};

use crate::body::{decompress, media_type};
use crate::error::{ApiError, ApiResult};
use crate::{blocking, AppState};

/// The attribute (span or resource) naming the experiment spans belong to.
pub const EXPERIMENT_ATTRIBUTE: &str = "sextant.experiment_id";
/// The header naming it for a whole request.
pub const EXPERIMENT_HEADER: &str = "x-sextant-experiment";
/// The group experiments created for a `service.name` go in.
const GROUP: &str = "otlp";
const PROTOBUF: &str = "application/x-protobuf";

/// Experiments known to exist, so a steady exporter costs no lookup per request.
#[derive(Debug, Default)]
pub struct Known(Mutex<HashSet<String>>);

impl Known {
    fn contains(&self, id: &str) -> bool {
        self.0.lock().map(|s| s.contains(id)).unwrap_or(false)
    }
    fn insert(&self, id: &str) {
        if let Ok(mut s) = self.0.lock() {
            s.insert(id.to_string());
        }
    }
    /// After an experiment was deleted behind our back.
    fn forget(&self, ids: &[(String, String)]) {
        if let Ok(mut s) = self.0.lock() {
            for (id, _) in ids {
                s.remove(id);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    Protobuf,
    Json,
}

fn encoding_of(headers: &HeaderMap) -> ApiResult<Encoding> {
    match media_type(headers).as_deref() {
        Some(PROTOBUF) => Ok(Encoding::Protobuf),
        Some("application/json") => Ok(Encoding::Json),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "OTLP traces must be sent as {PROTOBUF} or application/json, not {}",
                other.unwrap_or("a body without Content-Type")
            ),
        )),
    }
}

fn decode(body: &[u8], enc: Encoding) -> ApiResult<ExportTraceServiceRequest> {
    match enc {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(body).map_err(|e| {
            ApiError::bad_request(format!(
                "body is not an OTLP ExportTraceServiceRequest protobuf: {e}"
            ))
        }),
        Encoding::Json => serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!(
                "body is not an OTLP ExportTraceServiceRequest in OTLP JSON: {e}"
            ))
        }),
    }
}

/// An OTLP attribute value as JSON: ints stay integers, bytes become base64 (as OTLP's own
/// JSON mapping does), non-finite doubles become strings (JSON has no NaN).
pub fn json_value(v: Option<&AnyValue>) -> Value {
    use base64::Engine;
    match v.and_then(|v| v.value.as_ref()) {
        // A string-table index only profiles use; there is no table here.
        None | Some(any_value::Value::StringValueStrindex(_)) => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::String(s.clone()),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => serde_json::Number::from_f64(*d)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(d.to_string())),
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().map(|v| json_value(Some(v))).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(attributes(&kv.values)),
        Some(any_value::Value::BytesValue(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
    }
}

pub fn attributes(kvs: &[KeyValue]) -> Map<String, Value> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), json_value(kv.value.as_ref())))
        .collect()
}

fn invalid(what: &'static str, value: String, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        what,
        value,
        reason: reason.into(),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// OTLP ids are bytes; luml stores lowercase hex. All-zero ids are invalid in OTLP.
fn id(what: &'static str, bytes: &[u8], len: usize) -> sextant_core::Result<String> {
    if bytes.len() != len || bytes.iter().all(|b| *b == 0) {
        return Err(invalid(
            what,
            hex(bytes),
            format!("must be {len} bytes, not all zero"),
        ));
    }
    Ok(hex(bytes))
}

fn nanos(what: &'static str, t: u64) -> sextant_core::Result<i64> {
    i64::try_from(t).map_err(|_| invalid(what, t.to_string(), "is past the year 2262"))
}

/// One OTLP span in luml's shape. Resource and scope attributes are folded into the span's
/// own (which win on a clash), since luml's table has no resource column.
pub fn to_span(s: &otel::Span, inherited: &Map<String, Value>) -> sextant_core::Result<Span> {
    let trace_id = id("trace id", &s.trace_id, 16)?;
    let span_id = id("span id", &s.span_id, 8)?;
    let parent_span_id = if s.parent_span_id.is_empty() {
        None
    } else {
        Some(id("parent span id", &s.parent_span_id, 8)?)
    };
    let start = nanos("start time", s.start_time_unix_nano)?;
    let end = nanos("end time", s.end_time_unix_nano)?;
    if end < start {
        return Err(invalid(
            "end time",
            end.to_string(),
            format!("is before the span's start time {start}"),
        ));
    }
    let mut attrs = inherited.clone();
    attrs.extend(attributes(&s.attributes));
    let events = s
        .events
        .iter()
        .map(|e| {
            Ok(SpanEvent {
                name: e.name.clone(),
                timestamp: nanos("event time", e.time_unix_nano)?,
                attributes: attributes(&e.attributes),
            })
        })
        .collect::<sextant_core::Result<Vec<_>>>()?;
    let links = s
        .links
        .iter()
        .map(|l| {
            Ok(SpanLink {
                trace_id: id("link trace id", &l.trace_id, 16)?,
                span_id: id("link span id", &l.span_id, 8)?,
                trace_flags: Some(i64::from(l.flags & 0xff)),
                attributes: attributes(&l.attributes),
            })
        })
        .collect::<sextant_core::Result<Vec<_>>>()?;
    let (status, status_message) = match &s.status {
        Some(st) => (
            SpanStatus::from_code(i64::from(st.code)),
            Some(st.message.clone()).filter(|m| !m.is_empty()),
        ),
        None => (SpanStatus::Unset, None),
    };
    Ok(Span {
        trace_id,
        span_id,
        parent_span_id,
        name: s.name.clone(),
        kind: i64::from(s.kind),
        dfs_span_type: sextant_tracing::span_type_of(&attrs),
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        status,
        status_message,
        attributes: attrs,
        events,
        links,
        trace_flags: Some(i64::from(s.flags & 0xff)),
    })
}

/// `otlp-<service>`: the service name with anything outside an experiment id's alphabet
/// made `_`, plus a hash of the real name when that changed it (so `a.b` and `a_b` differ).
pub fn service_experiment_id(service: &str) -> String {
    let clean = sextant_core::validate::id_safe(service);
    if clean == service && !clean.is_empty() {
        return format!("otlp-{clean}");
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = service.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("otlp-{clean}-{:08x}", hash as u32)
}

fn attr_str<'a>(attrs: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    attrs.get(key).and_then(Value::as_str)
}

/// Spans sorted into experiments, and what was refused.
#[derive(Debug, Default)]
pub struct Sorted {
    /// Experiment id → (name for a new one, spans).
    pub by_experiment: BTreeMap<String, (String, Vec<Span>)>,
    pub rejected: i64,
    pub first_error: Option<String>,
}

impl Sorted {
    fn reject(&mut self, err: String) {
        self.rejected += 1;
        self.first_error.get_or_insert(err);
    }
}

/// Maps a request onto experiments; a span that fails validation is counted, not fatal.
pub fn sort(req: &ExportTraceServiceRequest, header_experiment: Option<&str>) -> Sorted {
    let mut out = Sorted::default();
    for rs in &req.resource_spans {
        let resource = rs
            .resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        let service = attr_str(&resource, "service.name").unwrap_or("unknown_service");
        let (default_id, default_name) =
            match attr_str(&resource, EXPERIMENT_ATTRIBUTE).or(header_experiment) {
                Some(id) => (id.to_string(), id.to_string()),
                None => (service_experiment_id(service), service.to_string()),
            };
        for ss in &rs.scope_spans {
            let mut inherited = resource.clone();
            if let Some(scope) = &ss.scope {
                if !scope.name.is_empty() {
                    inherited.insert("otel.scope.name".into(), Value::from(scope.name.clone()));
                }
                if !scope.version.is_empty() {
                    inherited.insert(
                        "otel.scope.version".into(),
                        Value::from(scope.version.clone()),
                    );
                }
            }
            for s in &ss.spans {
                let span = match to_span(s, &inherited) {
                    Ok(span) => span,
                    Err(e) => {
                        out.reject(format!("span {:?}: {e}", s.name));
                        continue;
                    }
                };
                let (exp, name) = match attr_str(&span.attributes, EXPERIMENT_ATTRIBUTE) {
                    Some(own) if Some(own) != attr_str(&resource, EXPERIMENT_ATTRIBUTE) => {
                        (own.to_string(), own.to_string())
                    }
                    _ => (default_id.clone(), default_name.clone()),
                };
                if let Err(e) = validate::experiment_id(&exp) {
                    out.reject(format!("span {:?}: {e}", s.name));
                    continue;
                }
                out.by_experiment
                    .entry(exp)
                    .or_insert_with(|| (name, Vec::new()))
                    .1
                    .push(span);
            }
        }
    }
    out
}

/// Creates the experiments that do not exist yet; a concurrent creator winning is fine.
async fn ensure_experiments(
    store: &Arc<dyn Store>,
    known: &Known,
    wanted: Vec<(String, String)>,
    now_ms: i64,
    caller: Option<&str>,
) -> sextant_core::Result<Vec<String>> {
    let mut created = Vec::new();
    for (id, name) in wanted {
        if known.contains(&id) {
            continue;
        }
        match store.get_experiment(&id).await {
            Ok(_) => {}
            Err(Error::ExperimentNotFound(_)) => {
                let batch = Batch {
                    records: vec![Record::Create(NewExperiment {
                        id: id.clone(),
                        name: name.chars().take(200).collect(),
                        group: GROUP.into(),
                        tags: vec!["otlp".into()],
                        created_at: now_ms,
                        description: Some("spans received over OTLP".into()),
                        source: None,
                        created_by: caller.map(str::to_string),
                    })],
                };
                batch.validate()?;
                match store.write(&batch).await {
                    Ok(()) => created.push(id.clone()),
                    Err(Error::ExperimentExists(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
        known.insert(&id);
    }
    Ok(created)
}

fn respond(enc: Encoding, sorted: &Sorted) -> Response {
    let resp = ExportTraceServiceResponse {
        partial_success: (sorted.rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: sorted.rejected,
            error_message: format!(
                "{} span(s) rejected; first: {}",
                sorted.rejected,
                sorted.first_error.as_deref().unwrap_or("invalid span")
            ),
        }),
    };
    match enc {
        Encoding::Protobuf => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROTOBUF))],
            resp.encode_to_vec(),
        )
            .into_response(),
        Encoding::Json => axum::Json(resp).into_response(),
    }
}

pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let enc = encoding_of(&headers)?;
    let header_experiment = match headers.get(EXPERIMENT_HEADER) {
        None => None,
        Some(v) => {
            let v = v.to_str().map_err(|_| {
                ApiError::bad_request(format!("header {EXPERIMENT_HEADER} is not ASCII"))
            })?;
            validate::experiment_id(v)?;
            Some(v.to_string())
        }
    };
    let limit = state.max_body_bytes;
    // Inflating and decoding a large body is CPU work: keep it off the async workers.
    let sorted = blocking(move || {
        Ok(decompress(&headers, body, limit)
            .and_then(|body| decode(&body, enc))
            .map(|req| sort(&req, header_experiment.as_deref())))
    })
    .await??;
    if sorted.by_experiment.is_empty() {
        return Ok(respond(enc, &sorted));
    }
    let wanted: Vec<(String, String)> = sorted
        .by_experiment
        .iter()
        .map(|(id, (name, _))| (id.clone(), name.clone()))
        .collect();
    let batch = Batch {
        records: sorted
            .by_experiment
            .iter()
            .map(|(id, (_, spans))| Record::Spans {
                experiment: id.clone(),
                spans: spans.clone(),
            })
            .collect(),
    };
    batch.validate()?;
    let batch = Arc::new(batch);
    let (store, known, b) = (state.store.clone(), state.otlp.clone(), batch.clone());
    let caller = crate::auth::caller_token();
    let created = blocking(move || {
        pollster::block_on(async {
            let mut created = ensure_experiments(
                &store,
                &known,
                wanted.clone(),
                sextant_core::Env::now_unix_millis(&sextant_native::SystemEnv),
                caller.as_deref(),
            )
            .await?;
            match store.write(&b).await {
                // Deleted since we cached it: create it again, once.
                Err(Error::ExperimentNotFound(_)) => {
                    known.forget(&wanted);
                    created = ensure_experiments(
                        &store,
                        &known,
                        wanted,
                        sextant_core::Env::now_unix_millis(&sextant_native::SystemEnv),
                        caller.as_deref(),
                    )
                    .await?;
                    store.write(&b).await?;
                }
                other => other?,
            }
            Ok(created)
        })
    })
    .await?;
    if !created.is_empty() {
        state.events.wake.notify_one();
    }
    state.events.wrote(&batch);
    Ok(respond(enc, &sorted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

    fn kv(key: &str, v: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    fn span(name: &str, span_id: u8, attrs: Vec<KeyValue>) -> otel::Span {
        otel::Span {
            trace_id: vec![7; 16],
            span_id: vec![span_id; 8],
            name: name.into(),
            start_time_unix_nano: 10,
            end_time_unix_nano: 20,
            attributes: attrs,
            ..Default::default()
        }
    }

    fn request(resource: Vec<KeyValue>, spans: Vec<otel::Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: resource,
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn service_names_make_distinct_valid_ids() {
        assert_eq!(service_experiment_id("trainer"), "otlp-trainer");
        let dotted = service_experiment_id("a.b");
        assert_ne!(dotted, service_experiment_id("a_b"));
        for s in ["a.b", "", "ünïcode svc", &"x".repeat(500)] {
            let id = service_experiment_id(s);
            assert!(validate::experiment_id(&id).is_ok(), "{s:?} -> {id:?}");
        }
    }

    #[test]
    fn routing_prefers_span_then_resource_then_header_then_service() {
        let exp = |v: &str| {
            kv(
                EXPERIMENT_ATTRIBUTE,
                any_value::Value::StringValue(v.into()),
            )
        };
        let svc = kv("service.name", any_value::Value::StringValue("svc".into()));
        let spans = vec![span("own", 1, vec![exp("mine")]), span("plain", 2, vec![])];
        let by = |req: &ExportTraceServiceRequest, header| {
            sort(req, header)
                .by_experiment
                .iter()
                .map(|(id, (_, s))| (id.clone(), s.iter().map(|s| s.name.clone()).collect()))
                .collect::<Vec<(String, Vec<String>)>>()
        };
        let plain = request(vec![svc.clone()], spans.clone());
        assert_eq!(
            by(&plain, None),
            [
                ("mine".into(), vec!["own".into()]),
                ("otlp-svc".into(), vec!["plain".into()])
            ]
        );
        assert_eq!(by(&plain, Some("hdr"))[0].0, "hdr");
        let named = request(vec![svc, exp("res")], spans);
        assert_eq!(
            by(&named, Some("hdr"))[1],
            ("res".into(), vec!["plain".into()])
        );
    }

    #[test]
    fn bad_spans_are_counted_not_fatal() {
        let mut bad_time = span("backwards", 3, vec![]);
        bad_time.end_time_unix_nano = 5;
        let mut huge = span("huge", 4, vec![]);
        huge.end_time_unix_nano = u64::MAX;
        let bad_exp = span(
            "bad-exp",
            5,
            vec![kv(
                EXPERIMENT_ATTRIBUTE,
                any_value::Value::StringValue("../x".into()),
            )],
        );
        let req = request(
            vec![],
            vec![
                span("ok", 1, vec![]),
                bad_time,
                huge,
                bad_exp,
                span("zero", 0, vec![]),
            ],
        );
        let sorted = sort(&req, None);
        assert_eq!(sorted.rejected, 4);
        assert!(sorted
            .first_error
            .is_some_and(|e| e.contains("backwards") && e.contains("before")));
        let (_, spans) = &sorted.by_experiment["otlp-unknown_service"];
        assert_eq!(spans.len(), 1);
    }

    #[test]
    fn values_map_to_json() {
        use any_value::Value as V;
        let nested = AnyValue {
            value: Some(V::KvlistValue(
                opentelemetry_proto::tonic::common::v1::KeyValueList {
                    values: vec![kv("n", V::IntValue(i64::MAX))],
                },
            )),
        };
        assert_eq!(
            json_value(Some(&nested)),
            serde_json::json!({ "n": i64::MAX })
        );
        let nan = AnyValue {
            value: Some(V::DoubleValue(f64::NAN)),
        };
        assert_eq!(json_value(Some(&nan)), Value::String("NaN".into()));
        assert_eq!(json_value(None), Value::Null);
    }

    #[test]
    fn malformed_bodies_are_errors() {
        let e = decode(b"\xff\xff\xff", Encoding::Protobuf).err();
        assert!(e.is_some_and(|e| e.status == StatusCode::BAD_REQUEST));
        let e = decode(b"{\"resourceSpans\": 3}", Encoding::Json).err();
        assert!(e.is_some_and(|e| e.message.contains("OTLP JSON")));
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        let e = decompress(&h, Bytes::from_static(b"nope"), 100).err();
        assert!(e.is_some_and(|e| e.status == StatusCode::BAD_REQUEST));
    }
}

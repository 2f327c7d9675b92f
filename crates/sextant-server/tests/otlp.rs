//! `POST /v1/traces` over a real loopback server: a gzip protobuf export lands in the
//! per-service experiment and the reply is an `ExportTraceServiceResponse`. (The real
//! Python and JS exporters are driven by scripts/test-otlp.sh.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::Write;
use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{status, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use sextant_core::{SpanStatus, Store};
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

fn start() -> (String, Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let addr = common::serve(store.clone(), ServeOptions::default());
    (format!("http://{addr}"), store, dir)
}

fn string(key: &str, v: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    }
}

#[test]
fn gzip_protobuf_export_is_stored_and_answered_in_protobuf() {
    let (url, store, _dir) = start();
    let span = |id: u8, parent: Option<u8>, bad: bool| Span {
        trace_id: vec![9; 16],
        span_id: vec![if bad { 0 } else { id }; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: format!("s{id}"),
        kind: 3,
        start_time_unix_nano: 1_000 + u64::from(id),
        end_time_unix_nano: 2_000,
        attributes: vec![string("gen_ai.operation.name", "embeddings")],
        status: Some(Status {
            code: status::StatusCode::Error as i32,
            message: "nope".into(),
        }),
        ..Default::default()
    };
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", "embedder")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![
                    span(1, None, false),
                    span(2, Some(1), false),
                    span(3, None, true),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&req.encode_to_vec()).unwrap();
    let body = gz.finish().unwrap();
    let mut resp = ureq::post(&format!("{url}/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "gzip")
        .send(&body[..])
        .unwrap();
    assert_eq!(resp.status(), 200);
    let raw = resp.body_mut().read_to_vec().unwrap();
    let answer = ExportTraceServiceResponse::decode(&raw[..]).unwrap();
    let partial = answer.partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 1);
    assert!(partial.error_message.contains("span id"), "{partial:?}");

    let spans = pollster::block_on(store.list_spans("otlp-embedder", None)).unwrap();
    assert_eq!(spans.len(), 2);
    let child = spans.iter().find(|s| s.name == "s2").unwrap();
    assert_eq!(child.parent_span_id.as_deref(), Some("0101010101010101"));
    assert_eq!(child.trace_id, "09".repeat(16));
    assert_eq!(
        (child.start_time_unix_nano, child.end_time_unix_nano),
        (1_002, 2_000)
    );
    assert_eq!((child.kind, child.dfs_span_type), (3, 4));
    assert_eq!(child.status, SpanStatus::Error);
    assert_eq!(child.status_message.as_deref(), Some("nope"));
    assert_eq!(child.attributes["service.name"], "embedder");
    let info = pollster::block_on(store.get_experiment("otlp-embedder")).unwrap();
    assert_eq!(
        (info.name.as_str(), info.group.as_str()),
        ("embedder", "otlp")
    );
}

//! Spans recorded in-process reach SQLite as records (`Record::SpanRecords`, rendered
//! straight to the row); every column must hold exactly what writing the converted `Span`
//! stores, so nothing a reader sees depends on which path a span took.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use sextant_core::{
    AttrValue, Batch, CodeLocation, NewExperiment, Record, SpanAttributes, SpanEvent, SpanRecord,
    Store,
};
use sextant_sqlite::SqliteStore;

fn record(i: u64) -> SpanRecord {
    let mut attributes = SpanAttributes::new();
    attributes.push(("i", AttrValue::U64(i)));
    attributes.push(("loss", AttrValue::F64(0.25 / (i as f64 + 1.0))));
    attributes.push(("note", AttrValue::Str(format!("say \"{i}\"\n é"))));
    attributes.push(("bad", AttrValue::F64(f64::NAN)));
    attributes.push(("i", AttrValue::I64(-(i as i64))));
    SpanRecord {
        trace_id: 0x1234_5678_9abc_def0_1122_3344_5566_7788 + u128::from(i),
        span_id: 0x10 + i,
        parent_span_id: (i > 0).then_some(0x10),
        name: "step",
        kind: 1,
        dfs_span_type: (i % 3) as i64,
        start_time_unix_nano: 1_700_000_000_000_000_000 + i as i64,
        end_time_unix_nano: 1_700_000_000_000_000_500 + i as i64,
        error: (i % 2 == 1).then(|| format!("failed {i}")),
        attributes,
        code: Some(CodeLocation {
            namespace: "app::train",
            filepath: (i % 2 == 0).then_some("src/train.rs"),
            lineno: Some(40 + i as u32),
        }),
        events: if i == 2 {
            vec![SpanEvent {
                name: "checkpoint".into(),
                timestamp: 1_700_000_000_000_000_100,
                attributes: serde_json::json!({"level": "INFO"})
                    .as_object()
                    .cloned()
                    .unwrap(),
            }]
        } else {
            vec![]
        },
    }
}

fn rows(store: &SqliteStore, id: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let conn = rusqlite::Connection::open(store.exp_db_path(id)).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT trace_id, span_id, parent_span_id, name, kind, dfs_span_type,
                start_time_unix_nano, end_time_unix_nano, status_code, status_message, attributes,
                events, links, trace_flags FROM spans ORDER BY span_id",
        )
        .unwrap();
    stmt.query_map([], |r| (0..14).map(|i| r.get(i)).collect())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_span_record_is_stored_like_its_converted_span() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(store.takes_span_records());
    let spans: Vec<SpanRecord> = (0..4).map(record).collect();
    let create = |id: &str| Record::Create(NewExperiment::new(id, id, "g", 1_700_000_000_000));
    let batch = Batch {
        records: vec![
            create("as-records"),
            create("as-spans"),
            Record::SpanRecords {
                experiment: "as-records".into(),
                spans: spans.clone(),
            },
            Record::Spans {
                experiment: "as-spans".into(),
                spans: spans.into_iter().map(SpanRecord::into_span).collect(),
            },
        ],
    };
    pollster::block_on(store.write(&batch)).unwrap();
    let (a, b) = (rows(&store, "as-records"), rows(&store, "as-spans"));
    assert_eq!(a.len(), 4);
    assert_eq!(a, b);
    let listed = pollster::block_on(store.list_spans("as-records", None)).unwrap();
    assert_eq!(
        listed,
        pollster::block_on(store.list_spans("as-spans", None)).unwrap()
    );
}

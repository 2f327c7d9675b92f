//! Spans recorded from `tracing` are stored in the exact shape luml-sdk writes (compared
//! column by column, JSON key by JSON key, with the spans in the luml fixture), so luml's
//! trace reading works on a Sextant store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use sextant_core::{StartOptions, Tracker};
use sextant_native::SystemEnv;
use sextant_sqlite::SqliteStore;
use sextant_tracing::SextantLayer;
use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug)]
struct Row {
    trace_id: String,
    span_id: String,
    parent: Option<String>,
    kind: i64,
    start: i64,
    end: i64,
    status: i64,
    attributes: Value,
    events: Option<Value>,
}

fn rows(db: &Path) -> Vec<Row> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT trace_id, span_id, parent_span_id, kind, start_time_unix_nano, end_time_unix_nano,
                    status_code, attributes, events, typeof(start_time_unix_nano), typeof(kind)
             FROM spans ORDER BY start_time_unix_nano",
        )
        .unwrap();
    stmt.query_map([], |r| {
        assert_eq!(r.get::<_, String>(9)?, "integer");
        assert_eq!(r.get::<_, String>(10)?, "integer");
        let events: Option<String> = r.get(8)?;
        Ok(Row {
            trace_id: r.get(0)?,
            span_id: r.get(1)?,
            parent: r.get::<_, Option<String>>(2)?.filter(|p| !p.is_empty()),
            kind: r.get(3)?,
            start: r.get(4)?,
            end: r.get(5)?,
            status: r.get(6)?,
            attributes: serde_json::from_str(&r.get::<_, String>(7)?).unwrap(),
            events: events
                .filter(|e| !e.is_empty())
                .map(|e| serde_json::from_str(&e).unwrap()),
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn event_keys(rows: &[Row]) -> BTreeSet<String> {
    rows.iter()
        .flat_map(|r| r.events.iter().flat_map(|e| e.as_array().unwrap().iter()))
        .flat_map(|e| e.as_object().unwrap().keys().cloned())
        .collect()
}

fn lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn tracing_spans_are_stored_like_lumls() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/luml-0.4/store/53bcf9d1-d6be-47b5-86fb-b8528010fd61/exp.db");
    let luml = rows(&fixture);

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let tracker = Arc::new(Tracker::new(store.clone(), Arc::new(SystemEnv)));
    let id = pollster::block_on(tracker.start_experiment(StartOptions::new())).unwrap();
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry().with(SextantLayer::new(tracker.clone())),
    );
    tracing::dispatcher::with_default(&dispatch, || {
        let _epoch = tracing::info_span!("train_epoch", epoch = 1, lr = 0.01).entered();
        let _fwd = tracing::info_span!("forward", batch = 3).entered();
        tracing::info!("checkpoint");
    });
    pollster::block_on(tracker.end_experiment(None)).unwrap();
    let ours = rows(&store.exp_db_path(&id));

    assert_eq!(
        ours.len(),
        luml.len(),
        "a root and a child, like the fixture"
    );
    for (o, l) in ours.iter().zip(&luml) {
        assert!(lower_hex(&o.trace_id, 32) && lower_hex(&l.trace_id, 32));
        assert!(lower_hex(&o.span_id, 16) && lower_hex(&l.span_id, 16));
        assert_eq!(o.parent.is_some(), l.parent.is_some());
        assert_eq!(o.kind, l.kind, "internal spans");
        assert!(
            o.end >= o.start && o.start > 1_600_000_000_000_000_000,
            "unix nanoseconds"
        );
        assert!(o.attributes.is_object() && l.attributes.is_object());
        assert_eq!(o.status, 1, "completed spans are ok, as luml's root");
    }
    assert_eq!(ours[1].parent.as_deref(), Some(ours[0].span_id.as_str()));
    assert_eq!(ours[0].attributes["epoch"], 1);
    assert_eq!(ours[0].attributes["lr"], 0.01);
    assert_eq!(
        event_keys(&ours),
        event_keys(&luml),
        "event objects carry luml's keys"
    );
    assert!(
        ours[0].events.is_none() && luml[0].events.is_none(),
        "no events: NULL, as luml"
    );
}

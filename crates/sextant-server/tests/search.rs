//! `GET /api/experiments?filter=&order_by=` against a live loopback server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sextant_core::search::corpus;
use sextant_core::Store;
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

fn start(store: Arc<dyn Store>) -> String {
    format!("http://{}", common::serve(store, ServeOptions::default()))
}

fn list(base: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build(),
    );
    let mut req = agent.get(format!("{base}/api/experiments"));
    for (k, v) in params {
        req = req.query(*k, *v);
    }
    let mut resp = req.call().unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

fn ids(page: &Value) -> Vec<String> {
    page["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn filter_and_order_by_narrow_and_sort_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    pollster::block_on(corpus::seed(store.clone(), 40)).unwrap();
    let all = pollster::block_on(store.list_experiments()).unwrap();
    let base = start(store);

    let filter = "metrics.val_acc > 0.3 and params.optimizer IN ('adamw', 'sgd')";
    let query = sextant_core::search::Query::parse(filter, "metrics.val_acc DESC").unwrap();
    let want: Vec<String> = query.apply(all.clone()).into_iter().map(|e| e.id).collect();
    assert!(!want.is_empty() && want.len() < all.len());
    let (status, page) = list(
        &base,
        &[
            ("filter", filter),
            ("order_by", "metrics.val_acc DESC"),
            ("limit", "500"),
        ],
    );
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), want);
    assert_eq!(page["total"], want.len());

    // Paging walks the filtered, sorted list.
    let (_, first) = list(
        &base,
        &[
            ("filter", filter),
            ("order_by", "metrics.val_acc DESC"),
            ("limit", "2"),
        ],
    );
    assert_eq!(ids(&first), want[..2]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = list(
        &base,
        &[
            ("filter", filter),
            ("order_by", "metrics.val_acc DESC"),
            ("limit", "2"),
            ("cursor", &cursor),
        ],
    );
    assert_eq!(ids(&second), want[2..4.min(want.len())]);

    // The older params still apply, together with the filter.
    let (_, both) = list(
        &base,
        &[("filter", filter), ("group", "g1"), ("limit", "500")],
    );
    let g1: Vec<&String> = all
        .iter()
        .filter(|e| e.group == "g1" && want.contains(&e.id))
        .map(|e| &e.id)
        .collect();
    assert_eq!(ids(&both).len(), g1.len());
    assert!(both["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["group"] == "g1"));

    // A bad filter is a 400 naming the column.
    let (status, err) = list(&base, &[("filter", "metrics.val_acc > 0.9 and ")]);
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["code"], "INVALID_INPUT");
    let msg = err["message"].as_str().unwrap();
    assert!(msg.contains("expected a comparison at column 27"), "{msg}");
    let (status, err) = list(&base, &[("order_by", "metrics.val_acc sideways")]);
    assert_eq!(status, 400);
    assert!(
        err["message"].as_str().unwrap().contains("column 17"),
        "{err}"
    );
}

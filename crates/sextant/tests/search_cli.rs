//! `sextant ls --filter --order-by` and the blocking tracker's filtered listing, over a
//! generated SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::Value;
use sextant::ExperimentTracker;
use sextant_core::search::{corpus, Query};

mod common;

fn sextant(store: &str, args: &[&str]) -> (i32, String, String) {
    let run = common::sextant(store, args);
    (run.code, run.stdout, run.stderr)
}

#[test]
fn ls_filters_and_orders_like_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().display());
    let tracker = ExperimentTracker::new(&store).unwrap();
    pollster::block_on(corpus::seed(tracker.store().clone(), 30)).unwrap();
    let all = tracker.list_experiments().unwrap();

    let filter = "tags LIKE 'res%' or metrics.val_acc >= 0.5";
    let order = "metrics.val_acc DESC, attributes.created_at";
    let want: Vec<String> = Query::parse(filter, order)
        .unwrap()
        .apply(all.clone())
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert!(
        !want.is_empty() && want.len() < all.len(),
        "{} of {}",
        want.len(),
        all.len()
    );

    let (code, out, err) = sextant(
        &store,
        &["--json", "ls", "--filter", filter, "--order-by", order],
    );
    assert_eq!(code, 0, "{err}");
    let listed: Vec<String> = serde_json::from_str::<Vec<Value>>(&out)
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, want);

    // The blocking API answers the same.
    let got: Vec<String> = tracker
        .search_experiments(filter, order)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(got, want);
    let filtered = tracker
        .list_experiments_filtered("tags = 'baseline'")
        .unwrap();
    assert!(filtered
        .iter()
        .all(|e| e.tags.iter().any(|t| t == "baseline")));
    assert_eq!(
        filtered.len(),
        all.iter()
            .filter(|e| e.tags.iter().any(|t| t == "baseline"))
            .count()
    );

    // The table says when nothing matches; a bad filter is one line naming the column.
    let (code, out, _) = sextant(&store, &["ls", "--filter", "metrics.nothing > 1"]);
    assert_eq!(code, 0);
    assert!(out.contains("no experiments match the filter"), "{out}");
    let (code, out, err) = sextant(&store, &["ls", "--filter", "params.lr >"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("at column 12") && err.contains("params.lr >"),
        "{err}"
    );
}

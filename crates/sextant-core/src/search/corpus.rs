//! A generated set of runs and 30+ filters over it, so a store's test can check it lists
//! the same runs for every filter as the memory store (`check_store`).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use super::Query;
use crate::{Env, MemoryStore, StartOptions, Store, Tracker};

/// Filters over [`seed`]'s runs that luml-sdk 0.4's own validator accepts
/// (scripts/luml_search_check.py checks it).
pub const CORPUS: &[&str] = &[
    "metrics.val_acc > 0.5",
    "metrics.val_acc >= 0.5 and params.optimizer = 'adamw'",
    "metrics.val_acc > 0.3 and params.optimizer = 'adamw' and attribute.status = 'completed' and attribute.name LIKE '%resnet%'",
    "metrics.loss < 0.5",
    "metrics.loss <= 0.25",
    "metrics.val_acc != 0.5",
    "metrics.missing > 0",
    "params.optimizer = 'sgd'",
    "params.optimizer != 'sgd'",
    "params.optimizer LIKE 'adam%'",
    "params.optimizer ILIKE 'ADAM%'",
    "params.lr = 0.1",
    "params.lr = '0.1'",
    "params.note LIKE '%warm%'",
    "tags = 'baseline'",
    "tags != 'baseline'",
    "tags LIKE 'res%'",
    "tags ILIKE 'RES%'",
    "attribute.status = 'completed'",
    "attribute.status = 'error'",
    "attribute.status != 'active'",
    "attribute.name LIKE 'resnet-%'",
    "attribute.name ILIKE '%VIT%'",
    "attribute.group_id = 'g1'",
    "attribute.duration > 3",
    "attribute.description LIKE '%sweep%'",
    "attribute.created_at > 1700000020000",
    "metrics.val_acc > 0.5 or tags = 'baseline'",
    "(params.optimizer = 'sgd' or params.optimizer = 'adam') and metrics.loss < 1",
    "group_id = 'g0' and (tags = 'ablation' or metrics.val_acc < 0.2)",
    "name LIKE 'vit%' and metrics.loss > 0.1",
];

/// Filters only Sextant accepts: params compared by `<`/`IN`, keys with `/`, the
/// `attributes.` prefix. luml rejects each (the same script checks that too).
pub const SEXTANT_ONLY: &[&str] = &[
    "group = 'g0' and (tags = 'ablation' or metrics.val_acc < 0.2)",
    "metrics.`val/acc` > 0.5",
    "params.optimizer IN ('sgd', 'adam')",
    "params.optimizer NOT IN ('sgd')",
    "params.lr < 0.01",
    "params.epochs >= 10",
    "params.epochs IN (5, 20)",
    "attributes.status IN ('failed', 'running') or params.lr > 0.05",
];

/// A clock that ticks one second per reading and a counter for randomness, so two trackers
/// given the same calls produce the same ids and times.
#[derive(Debug, Default)]
pub struct StepEnv {
    ticks: AtomicI64,
    draws: AtomicU64,
}

impl Env for StepEnv {
    fn now_unix_nanos(&self) -> i64 {
        (1_700_000_000 + self.ticks.fetch_add(1, Ordering::Relaxed)) * 1_000_000_000
    }
    fn random_u128(&self) -> u128 {
        let n = u128::from(self.draws.fetch_add(1, Ordering::Relaxed));
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835) ^ 0xABCD
    }
}

/// Logs `n` varied runs: names, groups, tags, str/float/int params (some missing),
/// several steps of metrics, completed/failed/running.
pub async fn seed(store: Arc<dyn Store>, n: u64) -> crate::Result<()> {
    let t = Tracker::new(store, Arc::new(StepEnv::default()));
    let mut x: u64 = 42;
    let mut next = move |m: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % m
    };
    let names = ["resnet-18", "resnet-50", "vit-b", "mlp"];
    let tags = ["baseline", "res-small", "resnet", "ablation"];
    let opts = ["adamw", "sgd", "adam"];
    for i in 0..n {
        let run_tags: Vec<&str> = tags.iter().copied().filter(|_| next(3) == 0).collect();
        let mut start = StartOptions::new()
            .name(format!("{}-{i}", names[next(4) as usize]))
            .group(format!("g{}", next(3)))
            .tags(run_tags);
        if next(3) == 0 {
            start = start.description(format!("sweep {i}"));
        }
        t.start_experiment(start).await?;
        t.log_static("optimizer", opts[next(3) as usize], None)?;
        t.log_static("lr", [0.1, 0.01, 0.001][next(3) as usize], None)?;
        if next(4) != 0 {
            t.log_static("epochs", [5_i64, 10, 20][next(3) as usize], None)?;
        }
        if next(4) == 0 {
            t.log_static("note", "warmup on", None)?;
        }
        for step in 0..next(4) {
            let acc = next(100) as f64 / 100.0;
            t.log_dynamic("val_acc", acc, Some(step as i64), None)?;
            t.log_dynamic("loss", 1.0 - acc, Some(step as i64), None)?;
            if next(2) == 0 {
                t.log_dynamic("val/acc", acc, Some(step as i64), None)?;
            }
        }
        match next(3) {
            0 => t.end_experiment(None).await?,
            1 => t.fail_experiment(None).await?,
            _ => t.flush().await?,
        }
    }
    t.flush().await
}

/// Filters over [`seed_edges`]'s runs, where SQL and the in-memory rules part ways unless
/// a store translates with care: NaN and infinite metrics, numbers in text params, params
/// of every type, Unicode case, `GLOB`/`LIKE` characters in values and patterns, quotes in
/// keys, deleted key/value tags, missing values.
pub const EDGES: &[&str] = &[
    "metrics.m = 1",
    "metrics.m != 1",
    "metrics.m > 0",
    "metrics.m < 0",
    "metrics.m IN (1, 2)",
    "metrics.m NOT IN (1, 2)",
    "metrics.`a\"b` >= 0",
    "metrics.`a'b` < 10",
    "params.p = 5",
    "params.p != 5",
    "params.p > 4",
    "params.p < '10'",
    "params.p = 'abc'",
    "params.p LIKE '%5%'",
    "params.p ILIKE '%B%'",
    "params.p IN (5, 'abc', 'true')",
    "params.p NOT IN (5, 'x')",
    "params.p >= 'a'",
    "params.p = 'true'",
    "tags.team = 'nlp'",
    "tags.team != 'nlp'",
    "tags.team LIKE '%'",
    "attributes.name ILIKE '%straße%'",
    "attributes.name ILIKE 'ä%'",
    "attributes.name ILIKE '%STAN%'",
    "attributes.name LIKE '%*%'",
    "attributes.name LIKE '%[%'",
    "attributes.name LIKE '_?_'",
    "attributes.name LIKE 'Ä%'",
    "attributes.name < 'b'",
    "attributes.name >= 'Z'",
    "tags LIKE '%\\\\%'",
    "tags = '50%'",
    "tags NOT IN ('50%', 'a_b')",
    "tags LIKE 'a_b'",
    "attributes.description = ''",
    "attributes.description != 'x'",
    "attributes.status IN ('FINISHED', 'killed')",
    "attributes.status >= 'error'",
    "attributes.status LIKE '%a%'",
    "attributes.duration >= 0",
    "attributes.end_time > 1700000000000",
    "attributes.created_at IN (1700000001000, 1700000003000)",
    "attributes.id LIKE '%'",
];

/// Logs the few runs [`EDGES`] looks at (see there).
pub async fn seed_edges(store: Arc<dyn Store>) -> crate::Result<()> {
    use crate::ParamValue;
    let t = Tracker::new(store, Arc::new(StepEnv::default()));
    let params: [ParamValue; 12] = [
        ParamValue::Int(5),
        ParamValue::Float(5.0),
        ParamValue::Str(" 5 ".into()),
        ParamValue::Str("5e0".into()),
        ParamValue::Str("abc".into()),
        ParamValue::Str("ABC".into()),
        ParamValue::Bool(true),
        ParamValue::Json(serde_json::json!([5, "x"])),
        ParamValue::Str("10".into()),
        ParamValue::Float(0.5),
        ParamValue::Str("inf".into()),
        ParamValue::Json(serde_json::Value::Null),
    ];
    let metrics = [1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 2.0];
    let names = [
        "Straße",
        "ärger",
        "İstanbul",
        "a*b",
        "x[1]",
        "a?b",
        "Äpfel",
        "zed",
        "Zulu",
        "b",
        "STRASSE",
        "mlp",
    ];
    let tags: [&[&str]; 4] = [&["50%"], &["a_b", "x"], &["a\\b"], &[]];
    for i in 0..14_usize {
        let mut start = StartOptions::new()
            .name(names[i % names.len()].to_string())
            .tags(tags[i % tags.len()].to_vec());
        if i % 3 == 0 {
            start = start.description(if i % 2 == 0 { "" } else { "sweep" });
        }
        t.start_experiment(start).await?;
        if i < params.len() {
            t.log_static("p", params[i].clone(), None)?;
        }
        match i % 4 {
            0 => t.log_static("tags#team", "nlp", None)?,
            1 => t.log_static("tags#team", ParamValue::Json(serde_json::Value::Null), None)?,
            2 => t.log_static("tags#team", "vision", None)?,
            _ => {}
        }
        if i % 7 != 6 {
            t.log_dynamic("m", 0.5, Some(0), None)?;
            t.log_dynamic("m", metrics[i % metrics.len()], Some(1), None)?;
            t.log_dynamic("a\"b", i as f64, Some(0), None)?;
            t.log_dynamic("a'b", i as f64, Some(0), None)?;
        }
        match i % 3 {
            0 => t.end_experiment(None).await?,
            1 => t.fail_experiment(None).await?,
            _ => t.flush().await?,
        }
    }
    t.flush().await
}

/// `n` filters joining leaves of `leaves` with `and`/`or` and parentheses, at random
/// (deterministic for a `seed`): the generated half of the property check.
pub fn random_filters(leaves: &[&str], n: usize, seed: u64) -> Vec<String> {
    let mut x = seed | 1;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    fn build(leaves: &[&str], depth: u32, next: &mut dyn FnMut(u64) -> u64) -> String {
        if depth == 0 || next(3) == 0 {
            return format!("({})", leaves[next(leaves.len() as u64) as usize]);
        }
        let a = build(leaves, depth - 1, next);
        let b = build(leaves, depth - 1, next);
        let op = if next(2) == 0 { "and" } else { "OR" };
        format!("({a} {op} {b})")
    }
    (0..n).map(|_| build(leaves, 3, &mut next)).collect()
}

/// Checks `store.search_experiments` against the in-memory evaluation over the memory
/// store's list (`want`) for each filter, with the given `order_by`s in turn. Returns how
/// many runs each filter kept.
pub async fn agree(
    store: &dyn Store,
    want: &[crate::ExperimentInfo],
    filters: &[String],
    orders: &[&str],
) -> crate::Result<Vec<usize>> {
    let mut counts = Vec::new();
    for (filter, order) in filters.iter().zip(orders.iter().cycle()) {
        let q = Query::parse(filter, order)?;
        let w: Vec<String> = q.apply(want.to_vec()).into_iter().map(|e| e.id).collect();
        let g: Vec<String> = store
            .search_experiments(&q)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(
            w,
            g,
            "{} disagrees on {filter:?} order_by {order:?}",
            store.location()
        );
        counts.push(w.len());
    }
    Ok(counts)
}

/// Seeds `store` and a memory store alike and checks every corpus filter (and a few
/// `order_by`s) lists the same runs in the same order from `store.search_experiments` as
/// from the in-memory evaluation, then 150 random `and`/`or` combinations of them. Returns
/// how many runs each corpus filter kept, for the caller to check the corpus is not
/// trivially empty.
pub async fn check_store(store: Arc<dyn Store>, n: u64) -> crate::Result<Vec<usize>> {
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    seed(memory.clone(), n).await?;
    seed(store.clone(), n).await?;
    let want = memory.list_experiments().await?;
    let listed: Vec<String> = store
        .list_experiments()
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        listed,
        want.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        "{} lists other runs than the memory store",
        store.location()
    );
    let orders = [
        "",
        "metrics.val_acc DESC",
        "params.lr, attributes.name",
        "attributes.created_at",
    ];
    let leaves: Vec<&str> = CORPUS.iter().chain(SEXTANT_ONLY).copied().collect();
    let corpus: Vec<String> = leaves.iter().map(|f| f.to_string()).collect();
    let counts = agree(store.as_ref(), &want, &corpus, &orders).await?;
    agree(
        store.as_ref(),
        &want,
        &random_filters(&leaves, 150, n),
        &orders,
    )
    .await?;
    Ok(counts)
}

/// [`check_store`] for [`EDGES`] over [`seed_edges`]'s runs, each filter alone and in 150
/// random combinations, on a store of its own (`store` must be empty). Returns how many
/// runs each edge filter kept.
pub async fn check_edges(store: Arc<dyn Store>) -> crate::Result<Vec<usize>> {
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    seed_edges(memory.clone()).await?;
    seed_edges(store.clone()).await?;
    let want = memory.list_experiments().await?;
    let orders = [
        "",
        "params.p DESC",
        "metrics.m",
        "attributes.name DESC",
        "tags.team",
    ];
    let edges: Vec<String> = EDGES.iter().map(|f| f.to_string()).collect();
    let counts = agree(store.as_ref(), &want, &edges, &orders).await?;
    agree(
        store.as_ref(),
        &want,
        &random_filters(EDGES, 150, 7),
        &orders,
    )
    .await?;
    Ok(counts)
}

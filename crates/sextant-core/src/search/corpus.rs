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

/// Seeds `store` and a memory store alike and checks every corpus filter (and a few
/// `order_by`s) lists the same runs in the same order from both. Returns how many runs
/// each filter kept, for the caller to check the corpus is not trivially empty.
pub async fn check_store(store: Arc<dyn Store>, n: u64) -> crate::Result<Vec<usize>> {
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    seed(memory.clone(), n).await?;
    seed(store.clone(), n).await?;
    let (want, got) = (
        memory.list_experiments().await?,
        store.list_experiments().await?,
    );
    let mut counts = Vec::new();
    for (filter, order) in CORPUS.iter().chain(SEXTANT_ONLY).zip(
        [
            "",
            "metrics.val_acc DESC",
            "params.lr, attributes.name",
            "attributes.created_at",
        ]
        .iter()
        .cycle(),
    ) {
        let q = Query::parse(filter, order)?;
        let ids = |list: &[crate::ExperimentInfo]| -> Vec<String> {
            q.apply(list.to_vec()).into_iter().map(|e| e.id).collect()
        };
        let (w, g) = (ids(&want), ids(&got));
        assert_eq!(w, g, "{filter:?} order_by {order:?}");
        counts.push(w.len());
    }
    Ok(counts)
}

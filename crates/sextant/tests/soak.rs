//! Many processes logging into one new store at once (the CI flake and the hostile
//! test's "database is locked"): every run of every process succeeds, and every point each
//! acknowledged is there afterwards. `SEXTANT_SOAK_PROCESSES` and `SEXTANT_SOAK_RUNS` scale
//! it (the issue's figure: 8 × 25); `SEXTANT_SOAK_LUML_PYTHON`, a Python with luml-sdk,
//! adds two luml-sdk writers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;
use std::process::Command;

use sextant::{ExperimentTracker, Status};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const LUML_WRITER: &str = r#"
import sys
from luml.experiments.tracker import ExperimentTracker
t = ExperimentTracker(f"sqlite://{sys.argv[1]}")
for run in range(int(sys.argv[2])):
    eid = t.start_experiment(name=f"luml-{sys.argv[3]}-{run}", group="luml")
    for step in range(200):
        t.log_dynamic("x", float(step), step=step, experiment_id=eid)
    t.end_experiment(eid)
print("luml-done")
"#;

#[test]
fn many_processes_log_into_one_new_store_without_failures() {
    let processes = env_or("SEXTANT_SOAK_PROCESSES", 8);
    let runs = env_or("SEXTANT_SOAK_RUNS", 4);
    let dir = tempfile::tempdir().unwrap();
    // A store nobody has opened yet: creating it races too.
    let root = dir.path().join("store");
    let store = format!("sqlite://{}", root.display());
    let luml = std::env::var("SEXTANT_SOAK_LUML_PYTHON").ok();
    let luml_runs = 5;

    let mut workers = Vec::new();
    for p in 0..processes {
        let store = store.clone();
        workers.push(std::thread::spawn(move || {
            let mut failures = Vec::new();
            let mut ids = Vec::new();
            for r in 0..runs {
                let out = Command::new(env!("CARGO_BIN_EXE_sextant"))
                    .env_remove("SEXTANT_STORE")
                    .args(["--store", &store, "demo"])
                    .output()
                    .unwrap();
                if out.status.success() {
                    ids.push(String::from_utf8(out.stdout).unwrap().trim().to_string());
                } else {
                    failures.push(format!(
                        "process {p} run {r}: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
            }
            (ids, failures)
        }));
    }
    let luml_workers: Vec<_> = luml
        .iter()
        .flat_map(|py| (0..2).map(move |w| (py.clone(), w)))
        .map(|(py, w)| {
            let root = root.clone();
            std::thread::spawn(move || {
                // Let the Sextant writers create the store first: luml-sdk does not take
                // turns while setting a new one up.
                std::thread::sleep(std::time::Duration::from_millis(800));
                Command::new(py)
                    .args(["-c", LUML_WRITER])
                    .arg(&root)
                    .arg(luml_runs.to_string())
                    .arg(w.to_string())
                    .output()
                    .unwrap()
            })
        })
        .collect();

    let mut ids = Vec::new();
    let mut failures = Vec::new();
    for w in workers {
        let (i, f) = w.join().unwrap();
        ids.extend(i);
        failures.extend(f);
    }
    let mut luml_ok = 0;
    for w in luml_workers {
        let out = w.join().unwrap();
        assert!(
            out.status.success(),
            "a luml-sdk writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        luml_ok += 1;
    }
    eprintln!(
        "soak: {processes} processes x {runs} demo runs + {luml_ok} luml-sdk writers: {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} runs failed:\n{}",
        failures.len(),
        processes * runs,
        failures.join("\n")
    );

    let t = ExperimentTracker::new(&store).unwrap();
    let all = t.list_experiments().unwrap();
    assert_eq!(all.len(), processes * runs + luml_ok * luml_runs);
    // Every demo run holds exactly what a demo logs: the same keys with the same counts.
    let counts = |id: &str| -> BTreeMap<String, u64> {
        t.list_metrics(Some(id))
            .unwrap()
            .into_iter()
            .map(|m| (m.key, m.count))
            .collect()
    };
    let reference = counts(&ids[0]);
    assert!(!reference.is_empty());
    for id in &ids {
        let info = t.get_experiment(Some(id)).unwrap();
        assert_eq!(info.status, Status::Completed, "{id}");
        assert_eq!(counts(id), reference, "{id}");
    }
    for e in all.iter().filter(|e| e.group == "luml") {
        let points = t.get_metric_history(Some(&e.id), "x").unwrap();
        assert_eq!(points.len(), 200, "{}", e.name);
    }
}

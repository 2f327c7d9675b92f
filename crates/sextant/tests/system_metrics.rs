//! `system_metrics` on start: the run gets `system/*` series until it ends; a run without
//! the option gets none; no NVIDIA library means no GPU series and no error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use sextant::ExperimentTracker;
use sextant_core::StartOptions;

fn keys(t: &ExperimentTracker, id: &str) -> Vec<String> {
    t.list_metrics(Some(id))
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect()
}

#[test]
fn a_run_with_system_metrics_gets_system_series_and_one_without_does_not() {
    let mut t = ExperimentTracker::new("memory://").unwrap();
    t.set_system_metrics_interval(Duration::from_millis(20));
    let with = t
        .start_experiment(StartOptions::new().name("with").system_metrics(true))
        .unwrap();
    t.log_dynamic("loss", 1.0, None, None).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    t.end_experiment(None).unwrap();
    let without = t
        .start_experiment(StartOptions::new().name("without"))
        .unwrap();
    t.log_dynamic("loss", 1.0, None, None).unwrap();
    t.end_experiment(None).unwrap();

    let got = keys(&t, &with);
    for k in [
        "system/cpu_percent",
        "system/memory_used_mb",
        "system/memory_percent",
        "system/process_memory_mb",
        "system/disk_read_mb",
        "system/disk_written_mb",
        "system/network_received_mb",
        "system/network_sent_mb",
    ] {
        assert!(got.iter().any(|g| g == k), "{k} missing from {got:?}");
    }
    assert!(got.iter().any(|g| g == "loss"));
    assert_eq!(keys(&t, &without), vec!["loss".to_string()]);
    if nvml_wrapper::Nvml::init().is_err() {
        assert!(!got.iter().any(|k| k.contains("gpu")), "{got:?}");
    }

    // Values are sane, and nothing more is logged once the run has ended.
    let cpu = t
        .get_metric_history(Some(&with), "system/cpu_percent")
        .unwrap();
    assert!(!cpu.is_empty());
    assert!(cpu
        .iter()
        .all(|p| (0.0..=100.0 * 1024.0).contains(&p.value)));
    let mem = t
        .get_metric_history(Some(&with), "system/memory_percent")
        .unwrap();
    assert!(mem.iter().all(|p| p.value > 0.0 && p.value <= 100.0));
    let before = cpu.len();
    std::thread::sleep(Duration::from_millis(100));
    let after = t
        .get_metric_history(Some(&with), "system/cpu_percent")
        .unwrap()
        .len();
    assert_eq!(
        before, after,
        "the sampler kept logging after the run ended"
    );
}

#[test]
fn dropping_the_tracker_stops_the_sampler() {
    let dir = tempfile::tempdir().unwrap();
    let conn = format!("sqlite://{}", dir.path().display());
    let id = {
        let t = ExperimentTracker::new(&conn).unwrap();
        t.start_experiment(StartOptions::new().system_metrics(true))
            .unwrap()
    };
    let t = ExperimentTracker::new(&conn).unwrap();
    let info = t.get_experiment(Some(&id)).unwrap();
    assert_eq!(info.status, sextant_core::Status::Completed);
    assert!(keys(&t, &id).iter().any(|k| k == "system/cpu_percent"));
}

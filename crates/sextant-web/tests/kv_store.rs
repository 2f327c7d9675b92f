//! The key/value (localStorage) store on an in-memory map with a quota: conformance, and
//! the all-or-nothing write when the quota runs out.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sextant_core::{
    conformance, Batch, Error, MetricPoint, Record, Result, StartOptions, Store, Tracker,
};
use sextant_native::SystemEnv;
use sextant_web::kv::{KvBackend, KvStore};

/// A map that refuses writes past `quota` characters, as localStorage does.
#[derive(Debug, Default)]
struct MapBackend {
    map: Mutex<BTreeMap<String, String>>,
    quota: usize,
}

impl MapBackend {
    fn used(map: &BTreeMap<String, String>) -> usize {
        map.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

impl KvBackend for MapBackend {
    fn name(&self) -> &'static str {
        "test map"
    }
    fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.map.lock().unwrap().get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<()> {
        let mut map = self.map.lock().unwrap();
        let old = map.get(key).map_or(0, |v| key.len() + v.len());
        if self.quota > 0 && MapBackend::used(&map) - old + key.len() + value.len() > self.quota {
            return Err(Error::QuotaExceeded(format!(
                "quota of {} reached",
                self.quota
            )));
        }
        map.insert(key.to_string(), value.to_string());
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<()> {
        self.map.lock().unwrap().remove(key);
        Ok(())
    }
    fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self
            .map
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

fn store(backend: Arc<MapBackend>, prefix: &str) -> Arc<dyn Store> {
    Arc::new(KvStore::new(
        backend,
        prefix,
        format!("localstorage://{prefix}"),
        Arc::new(SystemEnv),
    ))
}

#[test]
fn kv_store_conforms() {
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || async {
        store(Arc::new(MapBackend::default()), "sextant")
    }));
}

#[test]
fn stores_with_different_prefixes_share_a_backend() {
    let backend = Arc::new(MapBackend::default());
    pollster::block_on(async {
        let a = Tracker::new(store(backend.clone(), "a"), Arc::new(SystemEnv));
        let ab = Tracker::new(store(backend.clone(), "a:e"), Arc::new(SystemEnv));
        a.start_experiment(StartOptions::new()).await.unwrap();
        ab.start_experiment(StartOptions::new()).await.unwrap();
        assert_eq!(a.list_experiments().await.unwrap().len(), 1);
        assert_eq!(ab.list_experiments().await.unwrap().len(), 1);
    });
}

#[test]
fn a_full_backend_rolls_the_batch_back_and_keeps_earlier_data() {
    let backend = Arc::new(MapBackend {
        quota: 60_000,
        ..MapBackend::default()
    });
    pollster::block_on(async {
        let t = Tracker::new(store(backend.clone(), "q"), Arc::new(SystemEnv));
        let id = t.start_experiment(StartOptions::new()).await.unwrap();
        for i in 0..1000 {
            t.log_dynamic("loss", 1.0 / f64::from(i + 1), None, None)
                .unwrap();
        }
        t.log_static("lr", 0.1, None).unwrap();
        t.flush().await.unwrap();
        let before = backend.map.lock().unwrap().clone();

        // Many keys, so the failure comes after some keys of the batch were already set.
        for k in 0..40 {
            for i in 0..200 {
                t.log_dynamic(&format!("m{k}"), f64::from(i) * 0.123_456_789, None, None)
                    .unwrap();
            }
        }
        let err = t.flush().await.unwrap_err();
        assert!(matches!(err, Error::QuotaExceeded(_)), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("rolled back") && msg.contains("intact"),
            "{msg}"
        );
        assert_eq!(
            *backend.map.lock().unwrap(),
            before,
            "nothing of the failed batch stays"
        );
        let history = t.get_metric_history(Some(&id), "loss").await;
        assert!(
            matches!(history, Err(Error::QuotaExceeded(_))),
            "reads flush first, and the batch is still too big"
        );
        let direct = t
            .store()
            .metric_points(&id, "loss", Default::default())
            .await;
        assert_eq!(direct.unwrap().len(), 1000, "earlier points intact");
    });
}

#[test]
fn a_bad_record_leaves_nothing_behind() {
    let backend = Arc::new(MapBackend::default());
    pollster::block_on(async {
        let s = store(backend.clone(), "p");
        let t = Tracker::new(s.clone(), Arc::new(SystemEnv));
        let id = t.start_experiment(StartOptions::new()).await.unwrap();
        let before = backend.map.lock().unwrap().clone();
        let point = MetricPoint {
            step: 0,
            value: 1.0,
            logged_at: 1,
        };
        let batch = Batch {
            records: vec![
                Record::Metrics {
                    experiment: id.clone(),
                    key: "x".into(),
                    points: vec![point],
                },
                Record::Metrics {
                    experiment: "missing".into(),
                    key: "x".into(),
                    points: vec![point],
                },
            ],
        };
        assert!(matches!(
            s.write(&batch).await,
            Err(Error::ExperimentNotFound(_))
        ));
        assert_eq!(*backend.map.lock().unwrap(), before);
    });
}

//! The SQLite store compiled to wasm, over Node's fs, passes the suite every store must
//! pass (the same cases the native SQLite store runs), and reads what it wrote after a
//! reopen. Runs under Node: `cargo test -p sextant-node --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
#![allow(clippy::arc_with_non_send_sync)] // wasm has one thread

use std::cell::Cell;
use std::sync::Arc;

use sextant_core::{conformance, Env, Store};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(module = "node:fs")]
extern "C" {
    #[wasm_bindgen(js_name = mkdtempSync)]
    fn mkdtemp_sync(prefix: &str) -> String;
    #[wasm_bindgen(js_name = existsSync)]
    fn exists_sync(path: &str) -> bool;
}

#[wasm_bindgen(module = "node:os")]
extern "C" {
    fn tmpdir() -> String;
}

#[derive(Debug, Default)]
struct TestEnv {
    state: Cell<u64>,
}

impl Env for TestEnv {
    fn now_unix_nanos(&self) -> i64 {
        (js_sys::Date::now() * 1e6) as i64
    }

    fn random_u128(&self) -> u128 {
        let mut s = self.state.get() ^ (js_sys::Math::random() * 1e15) as u64;
        let a = sextant_core::env::splitmix64(&mut s);
        let b = sextant_core::env::splitmix64(&mut s);
        self.state.set(s);
        (u128::from(a) << 64) | u128::from(b)
    }
}

fn fresh_dir() -> String {
    mkdtemp_sync(&format!("{}/sextant-node-", tmpdir()))
}

#[wasm_bindgen_test]
async fn node_sqlite_store_conforms() {
    conformance::run_all(Arc::new(TestEnv::default()), || async {
        let store = sextant_node::open(&format!("{}/store", fresh_dir())).unwrap();
        store as Arc<dyn Store>
    })
    .await;
}

#[wasm_bindgen_test]
async fn writes_the_luml_layout_and_reopens() {
    let dir = format!("{}/store", fresh_dir());
    let env: Arc<dyn Env> = Arc::new(TestEnv::default());
    {
        let store = sextant_node::open(&dir).unwrap();
        let t = sextant_core::Tracker::new(store as Arc<dyn Store>, env.clone());
        let id = t.start_experiment(Default::default()).await.unwrap();
        for step in 0..5000 {
            t.log_dynamic("loss", f64::from(step) * 0.5, None, None)
                .unwrap();
        }
        t.log_attachment("notes/a.txt", b"hello".to_vec(), None)
            .await
            .unwrap();
        t.end_experiment(None).await.unwrap();
        assert!(exists_sync(&format!("{dir}/meta.db")));
        assert!(exists_sync(&format!("{dir}/{id}/exp.db")));
        assert!(exists_sync(&format!("{dir}/{id}/attachments/notes/a.txt")));
        assert!(exists_sync(&format!("{dir}/meta.db-nodelock")));
    }
    // Every store handle dropped: the connections closed, the lock files went with them.
    assert!(!exists_sync(&format!("{dir}/meta.db-nodelock")));
    let store = sextant_node::open(&dir).unwrap();
    let exps = store.list_experiments().await.unwrap();
    assert_eq!(exps.len(), 1);
    let pts = store
        .metric_points(
            &exps[0].id,
            "loss",
            sextant_core::StepRange::new(Some(4000), None),
        )
        .await
        .unwrap();
    assert_eq!(pts.len(), 1000);
    assert_eq!(pts[999].value, 4999.0 * 0.5);
    assert_eq!(
        store
            .get_attachment(&exps[0].id, "notes/a.txt")
            .await
            .unwrap(),
        b"hello"
    );
}

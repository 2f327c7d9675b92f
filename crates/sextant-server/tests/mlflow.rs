//! The MLflow REST API over a real loopback server, on the memory and SQLite stores alike:
//! MLflow's error shape, paging tokens, the `/ajax-api` twin, token rules and what lands in
//! the Sextant store. (The real `mlflow` client is driven by scripts/test-mlflow.sh.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use serde_json::{json, Value};
use sextant_core::{MemoryStore, Store};
use sextant_server::ServeOptions;
use sextant_sqlite::SqliteStore;

struct Server {
    url: String,
    store: Arc<dyn Store>,
    token: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

fn stores() -> Vec<Server> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    vec![
        serve(memory, None, None),
        serve(sqlite, Some(dir), Some("t0ken".into())),
    ]
}

fn serve(store: Arc<dyn Store>, dir: Option<tempfile::TempDir>, token: Option<String>) -> Server {
    let opts = ServeOptions {
        token: token.clone(),
        ..ServeOptions::default()
    };
    let addr = common::serve(store.clone(), opts);
    Server {
        url: format!("http://{addr}"),
        store,
        token,
        _dir: dir,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    )
}

impl Server {
    fn auth(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let mut req = agent().post(&format!("{}/api/2.0/mlflow/{path}", self.url));
        if let Some(a) = self.auth() {
            req = req.header("Authorization", &a);
        }
        let mut resp = req.send_json(body).unwrap();
        (resp.status().as_u16(), resp.body_mut().read_json().unwrap())
    }

    fn get(&self, path_and_query: &str) -> (u16, Value) {
        let mut req = agent().get(&format!("{}{path_and_query}", self.url));
        if let Some(a) = self.auth() {
            req = req.header("Authorization", &a);
        }
        let mut resp = req.call().unwrap();
        (resp.status().as_u16(), resp.body_mut().read_json().unwrap())
    }

    fn ok_post(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post(path, body);
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    fn new_run(&self, exp: &str, name: &str, start: i64) -> String {
        let v = self.ok_post(
            "runs/create",
            json!({"experiment_id": exp, "run_name": name, "start_time": start,
                   "tags": [{"key": "mlflow.user", "value": "ada"}]}),
        );
        v["run"]["info"]["run_id"].as_str().unwrap().to_string()
    }
}

fn assert_error(got: (u16, Value), status: u16, code: &str, mentions: &str) {
    let (s, body) = got;
    assert_eq!(s, status, "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(mentions),
        "{message:?} should mention {mentions:?}"
    );
}

#[test]
fn errors_come_in_mlflows_shape() {
    for s in stores() {
        let unknown = "f".repeat(32);
        assert_error(
            s.get(&format!("/api/2.0/mlflow/runs/get?run_id={unknown}")),
            404,
            "RESOURCE_DOES_NOT_EXIST",
            &format!("Run with id={unknown} not found"),
        );
        assert_error(
            s.post(
                "runs/search",
                json!({"experiment_ids": ["0"], "filter": "metrics.acc > "}),
            ),
            400,
            "INVALID_PARAMETER_VALUE",
            "column 15",
        );
        assert_error(
            s.post(
                "runs/log-metric",
                json!({"key": "x", "value": 1, "timestamp": 1}),
            ),
            400,
            "INVALID_PARAMETER_VALUE",
            "'run_id'",
        );
        assert_error(
            s.get("/api/2.0/mlflow/experiments/get?experiment_id=nope"),
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "nope",
        );
        assert_error(
            s.post("no/such/endpoint", json!({})),
            404,
            "ENDPOINT_NOT_FOUND",
            "no/such/endpoint",
        );
        let exp = s.ok_post("experiments/create", json!({"name": "dup"}))["experiment_id"].clone();
        assert!(exp.is_string());
        assert_error(
            s.post("experiments/create", json!({"name": "dup"})),
            400,
            "RESOURCE_ALREADY_EXISTS",
            "dup",
        );
        let run = s.new_run("0", "r", 1_700_000_000_000);
        s.ok_post(
            "runs/log-parameter",
            json!({"run_id": run, "key": "lr", "value": "0.1"}),
        );
        // The same value again is fine; a different one is refused and nothing changes.
        s.ok_post(
            "runs/log-parameter",
            json!({"run_id": run, "key": "lr", "value": "0.1"}),
        );
        assert_error(
            s.post("runs/log-batch", json!({"run_id": run, "params": [{"key": "lr", "value": "0.2"}],
                                           "metrics": [{"key": "m", "value": 1, "timestamp": 5, "step": 0}]})),
            400,
            "INVALID_PARAMETER_VALUE",
            "Changing param values is not allowed",
        );
        let info = pollster::block_on(s.store.get_experiment(&run)).unwrap();
        assert!(info.metrics.is_empty(), "a refused batch writes nothing");
        assert_error(
            s.post(
                "runs/set-tag",
                json!({"run_id": run, "key": "tags#x", "value": "v"}),
            ),
            400,
            "INVALID_PARAMETER_VALUE",
            "reserves",
        );
        // A non-JSON body is a clear error too.
        let mut req = agent()
            .post(&format!("{}/api/2.0/mlflow/runs/update", s.url))
            .header("Content-Type", "application/json");
        if let Some(a) = s.auth() {
            req = req.header("Authorization", &a);
        }
        let mut resp = req.send("{not json").unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        let body: Value = resp.body_mut().read_json().unwrap();
        assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
    }
}

#[test]
fn token_rules_are_the_apis() {
    let s = &stores()[1];
    let mut resp = agent()
        .get(&format!(
            "{}/api/2.0/mlflow/experiments/get?experiment_id=0",
            s.url
        ))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.body_mut().read_json().unwrap();
    assert_eq!(body["error_code"], "UNAUTHENTICATED", "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("MLFLOW_TRACKING_TOKEN"));
    let (status, body) = s.get("/api/2.0/mlflow/experiments/get?experiment_id=0");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["experiment"]["experiment_id"], "0");
}

#[test]
fn runs_and_history_page_with_tokens() {
    for s in stores() {
        let exp = s.ok_post("experiments/create", json!({"name": "paging"}))["experiment_id"]
            .as_str()
            .unwrap()
            .to_string();
        let ids: Vec<String> = (0..5)
            .map(|i| s.new_run(&exp, &format!("run-{i}"), 1_700_000_000_000 + i))
            .collect();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let mut body = json!({"experiment_ids": [exp], "max_results": 2});
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page = s.ok_post("runs/search", body);
            for r in page["runs"].as_array().unwrap() {
                seen.push(r["info"]["run_id"].as_str().unwrap().to_string());
            }
            token = page["next_page_token"].as_str().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
        assert_eq!(seen, newest_first);
        assert_error(
            s.post(
                "runs/search",
                json!({"experiment_ids": [exp], "page_token": "bogus"}),
            ),
            400,
            "INVALID_PARAMETER_VALUE",
            "page token",
        );

        // Seven points; pages of three come back in step order with a token between.
        let run = &ids[0];
        let metrics: Vec<Value> = (0..7)
            .map(|i| json!({"key": "loss", "value": 1.0 / f64::from(i + 1), "timestamp": 1_700_000_000_000_i64 + i64::from(i), "step": i}))
            .collect();
        s.ok_post("runs/log-batch", json!({"run_id": run, "metrics": metrics}));
        let mut steps = Vec::new();
        let mut q = format!(
            "/api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key=loss&max_results=3"
        );
        for _ in 0..5 {
            let (status, page) = s.get(&q);
            assert_eq!(status, 200, "{page}");
            let pts = page["metrics"].as_array().unwrap();
            assert!(pts.len() <= 3);
            for p in pts {
                steps.push(p["step"].as_i64().unwrap());
                assert_eq!(
                    p["value"].as_f64().unwrap(),
                    1.0 / (p["step"].as_f64().unwrap() + 1.0)
                );
            }
            match page["next_page_token"].as_str() {
                Some(t) => q = format!("/api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key=loss&max_results=3&page_token={t}"),
                None => break,
            }
        }
        assert_eq!(steps, (0..7).collect::<Vec<_>>());

        // The chart endpoint: at most max_results points per run, over the asked steps.
        let (status, v) = s.get(&format!(
            "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={run}&run_ids={}&metric_key=loss&start_step=1&end_step=6&max_results=4",
            ids[1]
        ));
        assert_eq!(status, 200, "{v}");
        let pts = v["metrics"].as_array().unwrap();
        assert!(!pts.is_empty() && pts.len() <= 4, "{v}");
        assert!(pts
            .iter()
            .all(|p| p["run_id"] == json!(run) && (1..=6).contains(&p["step"].as_i64().unwrap())));
    }
}

#[test]
fn runs_land_in_the_sextant_model() {
    for s in stores() {
        let exp = s.ok_post(
            "experiments/create",
            json!({"name": "model", "tags": [{"key": "owner", "value": "ml"}]}),
        );
        let exp = exp["experiment_id"].as_str().unwrap().to_string();
        let got = s
            .get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=model")
            .1;
        assert_eq!(
            got["experiment"]["tags"],
            json!([{"key": "owner", "value": "ml"}])
        );
        let run = s.new_run(&exp, "trainer", 1_700_000_000_000);
        s.ok_post("runs/log-batch", json!({"run_id": run,
            "metrics": [{"key": "acc", "value": "NaN", "timestamp": 1_700_000_000_500_i64, "step": 3}],
            "params": [{"key": "lr", "value": "0.01"}],
            "tags": [{"key": "team", "value": "nlp"}, {"key": "mlflow.note.content", "value": "hi"}]}));
        s.ok_post(
            "runs/log-inputs",
            json!({"run_id": run, "datasets": [{"tags": [], "dataset":
            {"name": "train", "digest": "abc", "source_type": "http", "source": "{}"}}]}),
        );
        s.ok_post(
            "runs/log-model",
            json!({"run_id": run, "model_json":
            json!({"artifact_path": "model", "run_id": run, "flavors": {}}).to_string()}),
        );
        s.ok_post(
            "runs/update",
            json!({"run_id": run, "status": "KILLED", "end_time": 1_700_000_002_000_i64}),
        );

        let info = pollster::block_on(s.store.get_experiment(&run)).unwrap();
        assert_eq!(info.group, "model");
        assert_eq!(info.name, "trainer");
        assert_eq!(info.status, sextant_core::Status::Failed);
        assert_eq!(info.duration, Some(2.0));
        assert_eq!(info.description.as_deref(), Some("hi"));
        assert_eq!(
            info.params["lr"],
            sextant_core::ParamValue::Str("0.01".into())
        );
        assert_eq!(
            info.params["tags#team"],
            sextant_core::ParamValue::Str("nlp".into())
        );
        let pts = pollster::block_on(s.store.metric_points(
            &run,
            "acc",
            sextant_core::StepRange::ALL,
        ))
        .unwrap();
        assert_eq!(pts.len(), 1);
        assert!(pts[0].value.is_nan() && pts[0].step == 3);
        let models = pollster::block_on(s.store.list_models(&run)).unwrap();
        assert_eq!(models.len(), 1);
        assert_eq!(models[0].name, "model");

        let got = s.get(&format!("/api/2.0/mlflow/runs/get?run_id={run}")).1["run"].clone();
        assert_eq!(got["info"]["status"], "KILLED");
        assert_eq!(got["info"]["end_time"], 1_700_000_002_000_i64);
        assert_eq!(got["info"]["experiment_id"], json!(exp));
        assert_eq!(got["info"]["user_id"], "ada");
        assert_eq!(
            got["data"]["metrics"],
            json!([{"key": "acc", "value": "NaN", "timestamp": 1_700_000_000_500_i64, "step": 3}])
        );
        assert_eq!(
            got["data"]["params"],
            json!([{"key": "lr", "value": "0.01"}])
        );
        let tags: Vec<(String, String)> = got["data"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["key"].as_str().unwrap().into(),
                    t["value"].as_str().unwrap().into(),
                )
            })
            .collect();
        for want in [
            ("team", "nlp"),
            ("mlflow.note.content", "hi"),
            ("mlflow.runName", "trainer"),
            ("mlflow.user", "ada"),
        ] {
            assert!(
                tags.contains(&(want.0.into(), want.1.into())),
                "{tags:?} lacks {want:?}"
            );
        }
        assert_eq!(
            got["inputs"]["dataset_inputs"][0]["dataset"]["digest"],
            "abc"
        );
        // The bookkeeping experiment behind the experiment's tags is no MLflow run.
        let all = s.ok_post(
            "runs/search",
            json!({"experiment_ids": [exp], "run_view_type": "ALL"}),
        );
        assert_eq!(all["runs"].as_array().unwrap().len(), 1);

        // Artifacts through the proxied routes, raw bytes in and out.
        let path = format!(
            "{}/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/d/x.bin",
            s.url
        );
        let mut put = agent()
            .put(&path)
            .header("Content-Type", "application/octet-stream");
        if let Some(a) = s.auth() {
            put = put.header("Authorization", &a);
        }
        assert_eq!(
            put.send(&[0u8, 1, 2, 255][..]).unwrap().status().as_u16(),
            200
        );
        let mut get = agent().get(&path);
        if let Some(a) = s.auth() {
            get = get.header("Authorization", &a);
        }
        let bytes = get.call().unwrap().body_mut().read_to_vec().unwrap();
        assert_eq!(bytes, [0u8, 1, 2, 255]);
        let (_, listed) = s.get(&format!(
            "/api/2.0/mlflow-artifacts/artifacts?path={exp}/{run}/artifacts"
        ));
        assert_eq!(listed["files"], json!([{"path": "d", "is_dir": true}]));
        let (_, listed) = s.get(&format!(
            "/api/2.0/mlflow-artifacts/artifacts?path={exp}/{run}/artifacts/d"
        ));
        assert_eq!(
            listed["files"],
            json!([{"path": "x.bin", "is_dir": false, "file_size": 4}])
        );
        let (_, listed) = s.get(&format!(
            "/api/2.0/mlflow/artifacts/list?run_id={run}&path=d"
        ));
        assert_eq!(
            listed["files"],
            json!([{"path": "d/x.bin", "is_dir": false, "file_size": 4}])
        );
        assert_eq!(
            listed["root_uri"],
            json!(format!("mlflow-artifacts:/{exp}/{run}/artifacts"))
        );
        assert_error(
            s.get(&format!(
                "/api/2.0/mlflow-artifacts/artifacts?path={exp}/{run}/artifacts/../../x"
            )),
            400,
            "INVALID_PARAMETER_VALUE",
            "attachment name",
        );
    }
}

#[test]
fn import_sources_that_cannot_be_read_are_clear_errors() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let dir = tempfile::tempdir().unwrap();
    let not_db = dir.path().join("mlflow.db");
    std::fs::write(&not_db, b"not a database").unwrap();
    let cases = [
        ("mlflow+postgres://x".to_string(), "mlflow+sqlite:///path"),
        ("mlflow+http://127.0.0.1:1".to_string(), "127.0.0.1:1"),
        ("mlflow+sqlite://".to_string(), "no database path"),
        (
            format!("mlflow+sqlite://{}/none.db", dir.path().display()),
            "is not a file",
        ),
        (
            format!("mlflow+sqlite://{}?colour=red", not_db.display()),
            "unknown option",
        ),
        (
            format!("mlflow+sqlite://{}", not_db.display()),
            "not a readable MLflow database",
        ),
    ];
    for (source, says) in cases {
        let e = sextant_server::mlflow_import::import(&source, store.clone(), None).unwrap_err();
        assert!(e.to_string().contains(says), "{source}: {e}");
    }
    assert!(pollster::block_on(store.list_experiments())
        .unwrap()
        .is_empty());
}

#[test]
fn malformed_writes_are_400s_that_write_nothing() {
    let s = &stores()[1];
    let run = s.new_run("0", "strict", 1_700_000_000_000);
    let metric = |m: Value| json!({"run_id": run, "metrics": [m]});
    let cases = [
        (
            metric(json!({"key": "x", "value": {"no": 1}, "timestamp": 1})),
            "numeric value",
        ),
        (metric(json!({"key": "x", "value": 1})), "timestamp"),
        (
            metric(json!({"key": "x", "value": 1, "timestamp": 1, "step": -3})),
            "step",
        ),
        (
            metric(json!({"key": "x", "value": 1, "timestamp": -5, "step": 0})),
            "logged_at",
        ),
        (metric(json!({"value": 1, "timestamp": 1})), "metrics.key"),
        (
            metric(json!({"key": "", "value": 1, "timestamp": 1})),
            "metric key",
        ),
        (
            json!({"run_id": run, "params": [{"key": "a".repeat(300), "value": "v"}]}),
            "param key",
        ),
        (json!({"run_id": run, "tags": [{"value": "v"}]}), "tags.key"),
        (json!({"run_id": "../../etc", "metrics": []}), "not found"),
    ];
    for (body, says) in cases {
        let (status, v) = s.post("runs/log-batch", body.clone());
        assert!(status == 400 || status == 404, "{body}: {status} {v}");
        assert!(v["error_code"].is_string(), "{v}");
        assert!(v["message"].as_str().unwrap().contains(says), "{body}: {v}");
    }
    let info = pollster::block_on(s.store.get_experiment(&run)).unwrap();
    assert!(info.metrics.is_empty());
    assert!(!info.params.keys().any(|k| k.starts_with('a')));
    assert_error(
        s.post("runs/update", json!({"run_id": run, "status": "SLEEPING"})),
        400,
        "INVALID_PARAMETER_VALUE",
        "SLEEPING",
    );
    assert_error(
        s.get(&format!(
            "/api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key=x&max_results=zero"
        )),
        400,
        "INVALID_PARAMETER_VALUE",
        "max_results",
    );
}

//! Reading an MLflow tracking server through its REST API (`mlflow+http://host:port`):
//! experiment and run searches, metric histories, and artifacts through the proxied
//! `mlflow-artifacts` routes (runs whose artifact URI is elsewhere are reported skipped).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};
use sextant_core::{Error, MetricPoint, Result};

use super::{bad, by_step, Files, MlExperiment, MlRun, Reader, RunData};
use crate::mlflow::request::{float, int};

/// What a run search already told about a run: params, tags and metric keys.
type Searched = (Vec<(String, String)>, Vec<(String, String)>, Vec<String>);

pub struct HttpReader {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
    /// Params, tags and metric keys the run search returned, by run id.
    data: HashMap<String, Searched>,
}

/// The page token of the next page of a paged MLflow reply; `None` on the last page.
fn next_token(page: &Value) -> Option<String> {
    page["next_page_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("key")?.as_str()?.to_string(),
                t.get("value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ))
        })
        .collect()
}

impl HttpReader {
    pub fn new(source: &str, token: Option<&str>) -> Result<Self> {
        let base = source
            .strip_prefix("mlflow+")
            .ok_or_else(|| bad(source, "expected mlflow+http://host:port"))?
            .trim_end_matches('/')
            .to_string();
        if base.contains('?') {
            return Err(bad(
                source,
                "options are not taken here; pass the token in MLFLOW_TRACKING_TOKEN",
            ));
        }
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(std::time::Duration::from_secs(120)))
                .build(),
        );
        Ok(HttpReader {
            base,
            token: token.map(str::to_string),
            agent,
            data: HashMap::new(),
        })
    }

    fn fail(&self, path: &str, e: impl std::fmt::Display) -> Error {
        Error::Unavailable(format!("{}{path}: {e}", self.base))
    }

    /// A JSON call; an MLflow error body becomes a clear error naming the endpoint.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        query: &[(&str, String)],
    ) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let resp = if method == "GET" {
            let mut req = self.agent.get(&url);
            for (k, v) in query {
                req = req.query(*k, v);
            }
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.call()
        } else {
            let mut req = self.agent.post(&url);
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.send_json(body.unwrap_or_else(|| json!({})))
        };
        let mut resp = resp.map_err(|e| self.fail(path, e))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| self.fail(path, e))?;
        if status != 200 {
            let msg = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or(text);
            return Err(match status {
                401 => Error::Unauthorized(format!("{}{path}: {msg}", self.base)),
                403 => Error::Forbidden(format!("{}{path}: {msg}", self.base)),
                _ => self.fail(path, format!("HTTP {status}: {msg}")),
            });
        }
        serde_json::from_str(&text).map_err(|e| self.fail(path, format!("not JSON: {e}")))
    }

    fn bytes(&self, path: &str) -> Result<Vec<u8>> {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut resp = req.call().map_err(|e| self.fail(path, e))?;
        if resp.status().as_u16() != 200 {
            return Err(self.fail(path, format!("HTTP {}", resp.status())));
        }
        resp.body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(|e| self.fail(path, e))
    }

    /// Every file under a proxied artifact root (`<exp>/<run>/artifacts`).
    fn files(&self, root: &str) -> Result<Files> {
        let mut out = Vec::new();
        let mut stack = vec![String::new()];
        while let Some(dir) = stack.pop() {
            let path = if dir.is_empty() {
                root.to_string()
            } else {
                format!("{root}/{dir}")
            };
            let listed = self.call(
                "GET",
                "/api/2.0/mlflow-artifacts/artifacts",
                None,
                &[("path", path)],
            )?;
            for f in listed["files"].as_array().into_iter().flatten() {
                let Some(name) = f["path"].as_str() else {
                    continue;
                };
                let rel = if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                };
                if f["is_dir"].as_bool() == Some(true) {
                    stack.push(rel);
                } else {
                    let data =
                        self.bytes(&format!("/api/2.0/mlflow-artifacts/artifacts/{root}/{rel}"))?;
                    out.push((rel, data));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

impl Reader for HttpReader {
    fn experiments(&mut self) -> Result<Vec<MlExperiment>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"max_results": 1000, "view_type": "ALL"});
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page = self.call(
                "POST",
                "/api/2.0/mlflow/experiments/search",
                Some(body),
                &[],
            )?;
            for e in page["experiments"].as_array().into_iter().flatten() {
                out.push(MlExperiment {
                    id: e["experiment_id"].as_str().unwrap_or_default().to_string(),
                    name: e["name"].as_str().unwrap_or_default().to_string(),
                    deleted: e["lifecycle_stage"] == "deleted",
                    tags: pairs(&e["tags"]),
                });
            }
            token = next_token(&page);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    fn runs(&mut self, experiments: &[MlExperiment]) -> Result<Vec<MlRun>> {
        let mut out = Vec::new();
        for exp in experiments {
            let mut token: Option<String> = None;
            loop {
                let mut body = json!({"experiment_ids": [exp.id], "max_results": 1000, "run_view_type": "ALL"});
                if let Some(t) = &token {
                    body["page_token"] = json!(t);
                }
                let page = self.call("POST", "/api/2.0/mlflow/runs/search", Some(body), &[])?;
                for r in page["runs"].as_array().into_iter().flatten() {
                    let info = &r["info"];
                    let id = info["run_id"].as_str().unwrap_or_default().to_string();
                    let keys = r["data"]["metrics"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m["key"].as_str().map(str::to_string))
                        .collect();
                    self.data.insert(
                        id.clone(),
                        (pairs(&r["data"]["params"]), pairs(&r["data"]["tags"]), keys),
                    );
                    out.push(MlRun {
                        id,
                        experiment: exp.id.clone(),
                        name: info["run_name"].as_str().unwrap_or_default().to_string(),
                        user: info["user_id"].as_str().unwrap_or_default().to_string(),
                        status: info["status"].as_str().unwrap_or("FINISHED").to_string(),
                        start: int(&info["start_time"]).unwrap_or(0),
                        end: int(&info["end_time"]),
                        deleted: info["lifecycle_stage"] == "deleted",
                        artifact_uri: info["artifact_uri"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    });
                }
                token = next_token(&page);
                if token.is_none() {
                    break;
                }
            }
        }
        out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        Ok(out)
    }

    fn run_data(&mut self, run: &MlRun) -> Result<RunData> {
        let (params, tags, keys) = self.data.remove(&run.id).unwrap_or_default();
        let mut metrics = BTreeMap::new();
        for key in keys {
            let mut points = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut q = vec![
                    ("run_id", run.id.clone()),
                    ("metric_key", key.clone()),
                    ("max_results", "25000".to_string()),
                ];
                if let Some(t) = &token {
                    q.push(("page_token", t.clone()));
                }
                let page = self.call("GET", "/api/2.0/mlflow/metrics/get-history", None, &q)?;
                for m in page["metrics"].as_array().into_iter().flatten() {
                    points.push(MetricPoint {
                        step: int(&m["step"]).unwrap_or(0),
                        value: float(&m["value"]).unwrap_or(f64::NAN),
                        logged_at: int(&m["timestamp"]).unwrap_or(0),
                    });
                }
                token = next_token(&page);
                if token.is_none() {
                    break;
                }
            }
            metrics.insert(key, by_step(points));
        }
        let files = match run.artifact_uri.strip_prefix("mlflow-artifacts:") {
            Some(root) => Some(self.files(root.trim_start_matches('/'))?),
            None if run.artifact_uri.is_empty() => Some(Vec::new()),
            None => None,
        };
        Ok(RunData {
            params,
            tags,
            metrics,
            files,
        })
    }
}

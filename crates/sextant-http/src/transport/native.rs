//! Native transport: blocking ureq. The store's async methods run it inline, as the
//! tracker flushes on its own thread and the CLI blocks anyway.

use std::time::Duration;

use super::{Call, Reply};

/// Responses larger than this are refused (a 10M-point history is ~600 MB of JSON).
const MAX_RESPONSE_BYTES: u64 = 2 << 30;

#[derive(Debug)]
pub(crate) struct Transport {
    agent: ureq::Agent,
}

impl Transport {
    pub(crate) fn new() -> Self {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(120)))
                .build(),
        );
        Transport { agent }
    }

    pub(crate) async fn call(&self, call: Call<'_>) -> Result<Reply, String> {
        self.call_blocking(call)
    }

    pub(crate) fn call_blocking(&self, call: Call<'_>) -> Result<Reply, String> {
        let resp = match (call.method, call.body) {
            (method @ ("POST" | "PATCH"), Some(body)) => {
                let req = if method == "POST" {
                    self.agent.post(call.url)
                } else {
                    self.agent.patch(call.url)
                };
                let mut req = self
                    .auth(req, call.token)
                    .header("Content-Type", call.media);
                if let Some(enc) = call.encoding {
                    req = req.header("Content-Encoding", enc);
                }
                req.send(&body[..])
            }
            ("DELETE", _) => self.auth(self.agent.delete(call.url), call.token).call(),
            _ => {
                let mut req = self.auth(self.agent.get(call.url), call.token);
                for (k, v) in call.query {
                    req = req.query(*k, v);
                }
                req.call()
            }
        };
        let mut resp = resp.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok(Reply { status, body })
    }

    fn auth<B>(
        &self,
        req: ureq::RequestBuilder<B>,
        token: Option<&str>,
    ) -> ureq::RequestBuilder<B> {
        match token {
            Some(t) => req.header("Authorization", &format!("Bearer {t}")),
            None => req,
        }
    }
}

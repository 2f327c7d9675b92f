//! The `http://` (and `https://`) store: the same `Store` contract, served by
//! `sextant serve` on another process or machine. Writes ship the tracker's own batches.
//! Natively it talks through ureq; compiled for wasm32 (the dashboard) through `fetch`.
//! Natively, batches go as the binary batch (`sextant_core::wire`, gzip-compressed when
//! large); from the browser as JSON, which keeps the CBOR code out of the dashboard.

mod transport;

use serde::de::DeserializeOwned;
use sextant_core::{
    AttachmentInfo, Batch, Error, ExperimentInfo, ExperimentUpdate, GroupInfo, MetricPoint,
    MetricSummary, ModelInfo, OpenOptions, Registry, Result, Span, StepRange, Store, TraceSummary,
};

use transport::{Call, Reply, Transport};

/// A client of a Sextant server. The token (if the server wants one) comes from the
/// caller ([`OpenOptions::token`], `?token=` in the connection string, or
/// [`HttpStore::with_token`]); in a browser on the server's own origin the token cookie
/// serves instead.
#[derive(Debug)]
pub struct HttpStore {
    base: String,
    token: Option<String>,
    transport: Transport,
    #[cfg(not(target_arch = "wasm32"))]
    encoding: BatchEncoding,
}

/// How [`Store::write`] sends a batch. Servers from before the binary batch only take
/// [`BatchEncoding::Json`].
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchEncoding {
    /// `application/json`: the [`Batch`] as the server's JSON API describes it.
    Json,
    /// `application/cbor`: the binary batch of `sextant_core::wire`, uncompressed.
    Binary,
    /// The binary batch, gzip-compressed (fastest level) when over [`GZIP_FROM`] bytes.
    #[default]
    BinaryGzip,
}

/// Binary batches smaller than this go uncompressed: a few points are not worth it.
#[cfg(not(target_arch = "wasm32"))]
pub const GZIP_FROM: usize = 16 << 10;

/// Adds `http://host:port` and `https://…` to a registry.
pub fn register(registry: &mut Registry) {
    for (scheme, example) in [("http", "http://host:5000"), ("https", "https://host")] {
        registry.register_with(scheme, example, move |rest, opts: OpenOptions| {
            // The query carried options (the token), not part of the server's address.
            let address = rest.split_once('?').map_or(rest.as_str(), |(a, _)| a);
            let url = format!("{scheme}://{address}");
            Box::pin(async move {
                let store = HttpStore::new(&url, opts.token)?;
                store.check().await?;
                Ok(std::sync::Arc::new(store) as std::sync::Arc<dyn Store>)
            })
        });
    }
}

/// Metric keys and attachment names go into URL paths: every byte but unreserved ones and
/// `/` (which the server's `{*key}` routes take whole) is percent-encoded.
const PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

const JSON: &str = "application/json";

fn json_body(batch: &Batch) -> Result<Vec<u8>> {
    serde_json::to_vec(batch).map_err(|e| Error::storage(format!("cannot encode batch: {e}")))
}

fn encode_path(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, PATH).to_string()
}

impl HttpStore {
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self> {
        let base = base_url.trim_end_matches('/').to_string();
        let host = base.split_once("://").map(|(_, h)| h).unwrap_or("");
        if host.is_empty() {
            return Err(Error::InvalidInput {
                what: "server address",
                value: base_url.to_string(),
                reason: "expected http://host:port".into(),
            });
        }
        Ok(HttpStore {
            base,
            token: token.filter(|t| !t.is_empty()),
            transport: Transport::new(),
            #[cfg(not(target_arch = "wasm32"))]
            encoding: BatchEncoding::default(),
        })
    }

    /// Sends batches as `encoding` (binary and gzip-compressed when large by default).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_batch_encoding(mut self, encoding: BatchEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// A batch's body, its media type and its `Content-Encoding`.
    #[cfg(not(target_arch = "wasm32"))]
    fn batch_body(&self, batch: &Batch) -> Result<(Vec<u8>, &'static str, Option<&'static str>)> {
        if self.encoding == BatchEncoding::Json {
            return Ok((json_body(batch)?, JSON, None));
        }
        let body = sextant_core::wire::encode(batch)?;
        if self.encoding == BatchEncoding::Binary || body.len() < GZIP_FROM {
            return Ok((body, sextant_core::wire::BINARY_BATCH, None));
        }
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 2),
            flate2::Compression::fast(),
        );
        gz.write_all(&body)
            .and_then(|()| gz.finish())
            .map(|zipped| (zipped, sextant_core::wire::BINARY_BATCH, Some("gzip")))
            .map_err(|e| Error::storage(format!("cannot compress batch: {e}")))
    }

    #[cfg(target_arch = "wasm32")]
    fn batch_body(&self, batch: &Batch) -> Result<(Vec<u8>, &'static str, Option<&'static str>)> {
        Ok((json_body(batch)?, JSON, None))
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The server's address, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api{path}", self.base)
    }

    /// Fails with a clear message when nothing (or not a Sextant server) answers.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn health(&self) -> Result<()> {
        let url = self.url("/health");
        let reply = self
            .transport
            .call_blocking(self.call("GET", &url, &[], None));
        let body = self.finish(reply)?;
        serde_json::from_slice::<serde_json::Value>(&body)
            .map(|_| ())
            .map_err(|e| Error::storage(format!("unexpected reply from /health: {e}")))
    }

    /// [`HttpStore::health`] for any target: fails clearly when no Sextant server answers.
    pub async fn check(&self) -> Result<()> {
        let _: serde_json::Value = self.get("/health", &[]).await?;
        Ok(())
    }

    fn unreachable(&self, e: String) -> Error {
        Error::Unavailable(format!(
            "cannot reach the Sextant server at {}: {e}",
            self.base
        ))
    }

    /// Turns an error response back into the core error the server started from, by its
    /// `code`; replies without one (a proxy in between) by their status.
    fn error(&self, status: u16, body: &[u8]) -> Error {
        let json = serde_json::from_slice::<serde_json::Value>(body).ok();
        let field = |k: &str| {
            json.as_ref()
                .and_then(|v| v.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let message = field("message")
            .or_else(|| field("error"))
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(500).collect());
        if let Some(code) = field("code") {
            return Error::from_wire(&code, message, field);
        }
        match status {
            401 => Error::Unauthorized(format!(
                "the server at {} refused the token: {message}",
                self.base
            )),
            403 => Error::Forbidden(format!("the server at {}: {message}", self.base)),
            400 | 404 | 405 | 413 | 415 | 421 => Error::InvalidInput {
                what: "request",
                value: String::new(),
                reason: format!("server replied {status}: {message}"),
            },
            502..=504 => Error::Unavailable(format!(
                "the server at {} replied {status}: {message}",
                self.base
            )),
            507 => Error::quota_exceeded(message),
            _ => Error::storage(format!("server error {status}: {message}")),
        }
    }

    fn finish(&self, reply: std::result::Result<Reply, String>) -> Result<Vec<u8>> {
        let reply = reply.map_err(|e| self.unreachable(e))?;
        if reply.status >= 400 {
            return Err(self.error(reply.status, &reply.body));
        }
        Ok(reply.body)
    }

    fn call<'a>(
        &'a self,
        method: &'static str,
        url: &'a str,
        query: &'a [(&'a str, String)],
        body: Option<Vec<u8>>,
    ) -> Call<'a> {
        Call {
            method,
            url,
            query,
            body,
            media: JSON,
            encoding: None,
            token: self.token.as_deref(),
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let url = self.url(path);
        let reply = self
            .transport
            .call(self.call("GET", &url, query, None))
            .await;
        let body = self.finish(reply)?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::storage(format!("unexpected reply from {path}: {e}")))
    }

    async fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let url = self.url(path);
        let reply = self.transport.call(self.call("GET", &url, &[], None)).await;
        self.finish(reply)
    }

    async fn send(&self, method: &'static str, path: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        let url = self.url(path);
        let body = (method != "DELETE").then_some(body);
        let reply = self
            .transport
            .call(self.call(method, &url, &[], body))
            .await;
        self.finish(reply)
    }

    async fn series(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
        max_points: Option<usize>,
    ) -> Result<Vec<MetricPoint>> {
        #[derive(serde::Deserialize)]
        struct Series {
            points: Vec<MetricPoint>,
        }
        let mut q = Vec::new();
        if let Some(f) = range.from {
            q.push(("from", f.to_string()));
        }
        if let Some(t) = range.to {
            q.push(("to", t.to_string()));
        }
        match max_points {
            Some(m) => q.push(("max_points", m.clamp(4, 1_000_000).to_string())),
            None => q.push(("raw", "1".to_string())),
        }
        let s: Series = self
            .get(
                &format!(
                    "/experiments/{}/metrics/{}",
                    encode_path(id),
                    encode_path(key)
                ),
                &q,
            )
            .await?;
        Ok(s.points)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Store for HttpStore {
    fn location(&self) -> String {
        self.base.clone()
    }

    async fn write(&self, batch: &Batch) -> Result<()> {
        let (body, media, encoding) = self.batch_body(&batch.with_spans_converted())?;
        let url = self.url("/batch");
        let call = Call {
            media,
            encoding,
            ..self.call("POST", &url, &[], Some(body))
        };
        let reply = self.transport.call(call).await;
        self.finish(reply).map(|_| ())
    }

    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = vec![("limit", "10000".to_string())];
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let page: sextant_core::Page = self.get("/experiments", &q).await?;
            out.extend(page.experiments);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo> {
        self.get(&format!("/experiments/{}", encode_path(id)), &[])
            .await
    }

    async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        self.get("/groups", &[]).await
    }

    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>> {
        self.get(&format!("/experiments/{}/metrics", encode_path(id)), &[])
            .await
    }

    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>> {
        self.series(id, key, range, None).await
    }

    async fn metric_series(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        self.series(id, key, range, Some(max_points)).await
    }

    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        self.get(
            &format!("/experiments/{}/attachments", encode_path(id)),
            &[],
        )
        .await
    }

    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        sextant_core::validate::attachment_name(name)?;
        self.get_bytes(&format!(
            "/experiments/{}/attachments/{}",
            encode_path(id),
            encode_path(name)
        ))
        .await
        .map_err(|e| match e {
            Error::AttachmentNotFound { .. } => Error::AttachmentNotFound {
                experiment: id.into(),
                name: name.into(),
            },
            other => other,
        })
    }

    /// A streamed `PUT` of the raw bytes: neither side holds the whole file.
    #[cfg(not(target_arch = "wasm32"))]
    async fn put_attachment(
        &self,
        id: &str,
        name: &str,
        created_at: i64,
        chunks: sextant_core::ByteStream,
    ) -> Result<u64> {
        sextant_core::validate::attachment_name(name)?;
        let url = self.url(&format!(
            "/experiments/{}/attachments/{}?created_at={created_at}",
            encode_path(id),
            encode_path(name)
        ));
        let reply = self
            .transport
            .put_stream(&url, self.token.as_deref(), chunks)?;
        let body = self.finish(Ok(reply))?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| Error::storage(format!("unexpected reply to an upload: {e}")))?;
        Ok(v.get("size")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0))
    }

    /// A streamed `GET`: chunks as they arrive.
    #[cfg(not(target_arch = "wasm32"))]
    async fn read_attachment(
        &self,
        id: &str,
        name: &str,
    ) -> Result<(u64, sextant_core::ByteStream)> {
        sextant_core::validate::attachment_name(name)?;
        let size = self
            .list_attachments(id)
            .await?
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| a.size)
            .ok_or_else(|| Error::AttachmentNotFound {
                experiment: id.into(),
                name: name.into(),
            })?;
        let url = self.url(&format!(
            "/experiments/{}/attachments/{}",
            encode_path(id),
            encode_path(name)
        ));
        match self
            .transport
            .get_stream(&url, self.token.as_deref())
            .map_err(|e| self.unreachable(e))?
        {
            Ok(chunks) => Ok((size, chunks)),
            Err(reply) => Err(self.error(reply.status, &reply.body)),
        }
    }

    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>> {
        match trace_id {
            Some(t) => match self
                .get(
                    &format!("/experiments/{}/traces/{}", encode_path(id), encode_path(t)),
                    &[],
                )
                .await
            {
                Err(Error::TraceNotFound { .. }) => Ok(Vec::new()),
                Err(Error::InvalidInput { .. }) => Ok(Vec::new()),
                other => other,
            },
            None => {
                let traces: Vec<TraceSummary> = self.list_traces(id).await?;
                let mut all = Vec::new();
                for t in traces {
                    let spans: Vec<Span> = self
                        .get(
                            &format!("/experiments/{}/traces/{}", encode_path(id), t.trace_id),
                            &[],
                        )
                        .await?;
                    all.extend(spans);
                }
                all.sort_by_key(|s| s.start_time_unix_nano);
                Ok(all)
            }
        }
    }

    async fn list_traces(&self, id: &str) -> Result<Vec<TraceSummary>> {
        self.get(&format!("/experiments/{}/traces", encode_path(id)), &[])
            .await
    }

    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>> {
        self.get(&format!("/experiments/{}/models", encode_path(id)), &[])
            .await
    }

    async fn list_eval_samples(&self, id: &str) -> Result<Vec<sextant_core::EvalSample>> {
        self.get(&format!("/experiments/{}/evals/all", encode_path(id)), &[])
            .await
    }

    async fn list_annotations(&self, id: &str) -> Result<Vec<sextant_core::Annotation>> {
        self.get(
            &format!("/experiments/{}/annotations", encode_path(id)),
            &[],
        )
        .await
    }

    async fn eval_page(
        &self,
        id: &str,
        query: &sextant_core::EvalQuery,
    ) -> Result<sextant_core::EvalPage> {
        self.get(
            &format!("/experiments/{}/evals", encode_path(id)),
            &query.to_params(),
        )
        .await
    }

    async fn eval_summary(&self, id: &str) -> Result<sextant_core::EvalSummary> {
        self.get(
            &format!("/experiments/{}/evals/summary", encode_path(id)),
            &[],
        )
        .await
    }

    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()> {
        let body = serde_json::to_vec(update).map_err(|e| Error::storage(e.to_string()))?;
        self.send("PATCH", &format!("/experiments/{}", encode_path(id)), body)
            .await
            .map(|_| ())
    }

    async fn delete_experiment(&self, id: &str) -> Result<()> {
        self.send(
            "DELETE",
            &format!("/experiments/{}", encode_path(id)),
            Vec::new(),
        )
        .await
        .map(|_| ())
    }
}

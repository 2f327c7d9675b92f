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

/// A streamed transfer: no overall deadline (a multi-gigabyte file takes what it takes),
/// but the connection must not stall for longer than this.
const STALL: Duration = Duration::from_secs(120);

/// The bytes of a [`sextant_core::ByteStream`] as a blocking reader, for ureq's body.
struct ChunkReader {
    chunks: sextant_core::ByteStream,
    current: Vec<u8>,
    at: usize,
    /// The stream's error, kept for the caller: ureq only sees an I/O error.
    failed: Option<sextant_core::Error>,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.current.len() {
            match pollster::block_on(sextant_core::chunks::next_chunk(&mut self.chunks)) {
                None => return Ok(0),
                Some(Ok(chunk)) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Some(Err(e)) => {
                    let message = e.to_string();
                    self.failed = Some(e);
                    return Err(std::io::Error::other(message));
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Transport {
    fn streaming(&self) -> ureq::Agent {
        ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(Duration::from_secs(30)))
                .timeout_send_body(Some(STALL))
                .timeout_recv_response(Some(STALL))
                .timeout_recv_body(Some(STALL))
                .build(),
        )
    }

    /// PUTs the chunks as the raw body (chunked transfer encoding), never holding them all.
    pub(crate) fn put_stream(
        &self,
        url: &str,
        token: Option<&str>,
        chunks: sextant_core::ByteStream,
    ) -> Result<Reply, sextant_core::Error> {
        let mut reader = ChunkReader {
            chunks,
            current: Vec::new(),
            at: 0,
            failed: None,
        };
        let sent = self
            .auth(self.streaming().put(url), token)
            .header("Content-Type", "application/octet-stream")
            .send(ureq::SendBody::from_reader(&mut reader));
        if let Some(e) = reader.failed.take() {
            return Err(e);
        }
        let mut resp = sent.map_err(|e| sextant_core::Error::Unavailable(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| sextant_core::Error::Unavailable(e.to_string()))?;
        Ok(Reply { status, body })
    }

    /// GETs a body as a stream of chunks; a reply that is not 200 comes back whole
    /// instead, for the caller to turn into an error.
    pub(crate) fn get_stream(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> Result<Result<sextant_core::ByteStream, Reply>, String> {
        let resp = self
            .auth(self.streaming().get(url), token)
            .call()
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        if status != 200 {
            let body = body
                .with_config()
                .limit(1 << 20)
                .read_to_vec()
                .map_err(|e| e.to_string())?;
            return Ok(Err(Reply { status, body }));
        }
        let mut reader = body.into_reader();
        Ok(Ok(sextant_core::chunks::from_fn(move || {
            use std::io::Read;
            let mut chunk = vec![0u8; sextant_core::chunks::CHUNK];
            let mut filled = 0;
            // Fill whole chunks: the socket hands out small pieces.
            while filled < chunk.len() {
                let n = reader.read(&mut chunk[filled..]).map_err(|e| {
                    sextant_core::Error::Unavailable(format!("download interrupted: {e}"))
                })?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            chunk.truncate(filled);
            Ok((filled > 0).then_some(chunk))
        })))
    }
}

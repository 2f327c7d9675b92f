//! Shared by the server's test files: a real server on a free loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)] // tests fail loudly by design

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use sextant_core::Store;
use sextant_server::ServeOptions;

/// Serves `store` with `opts` on port 0 (a free one) in a background thread; returns the
/// bound address once the server listens.
pub fn serve(store: Arc<dyn Store>, opts: ServeOptions) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = ServeOptions { port: 0, ..opts };
    std::thread::spawn(move || {
        let _ = sextant_server::serve_blocking(store, opts, move |addr| {
            let _ = tx.send(addr);
        });
    });
    rx.recv_timeout(Duration::from_secs(20)).unwrap()
}

/// Sends one raw HTTP/1.1 request; returns (status, lowercased head, body).
pub fn raw(addr: &str, head: &str, body: &[u8]) -> (u16, String, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut req = head.replace('\n', "\r\n");
    if !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("Connection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (h, b) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = h
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, h.to_ascii_lowercase(), b.to_string())
}

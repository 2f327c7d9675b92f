//! Shared by the server's test files: a real server on a free loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)] // tests fail loudly by design

use std::net::SocketAddr;
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

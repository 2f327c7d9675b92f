//! `sextant ui` and `sextant serve`: the dashboard and JSON API over the store.

use std::io::Write;

use clap::Args;
use sextant::ExperimentTracker;
use sextant_server::ServeOptions;

use super::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to bind; the default keeps the server private to this machine.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 5000)]
    port: u16,
    /// Require this bearer token on every request (an admin token; named tokens with
    /// roles come from `sextant token create`).
    #[arg(long, env = "SEXTANT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Allow a browser app on this origin to call the API (repeatable).
    #[arg(long, value_name = "ORIGIN")]
    cors: Vec<String>,
    /// Largest request body in MiB (batches with attachments); bigger gets 413.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    max_body_mib: usize,
    /// Largest attachment uploaded with PUT /api/experiments/ID/attachments/NAME, in MiB;
    /// such uploads stream to the store, so this may exceed memory.
    #[arg(long, default_value_t = 65536, value_name = "MIB")]
    max_attachment_mib: u64,
    /// Also answer requests whose Host header names this host (repeatable). IP addresses
    /// and localhost always work; other names are refused so a DNS-rebinding page cannot
    /// reach the server.
    #[arg(long, value_name = "HOST")]
    allowed_host: Vec<String>,
    /// Connections served at once.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
}

pub fn run(tracker: &ExperimentTracker, args: &ServerArgs, open: bool) -> CliResult {
    let opts = ServeOptions {
        host: args.host.clone(),
        port: args.port,
        token: args.token.clone().filter(|t| !t.is_empty()),
        cors: args.cors.clone(),
        max_body_bytes: args.max_body_mib.saturating_mul(1 << 20),
        max_attachment_bytes: args.max_attachment_mib.saturating_mul(1 << 20),
        allowed_hosts: args.allowed_host.clone(),
        max_connections: args.max_connections,
        ..ServeOptions::default()
    };
    for w in sextant_server::warnings(&opts) {
        let _ = writeln!(std::io::stderr(), "{w}");
    }
    let store = tracker.store().clone();
    let location = store.location();
    let with_token = opts.token.is_some();
    let result = sextant_server::serve_blocking(store, opts, |addr| {
        let url = format!("http://{addr}/");
        let mut err = std::io::stderr();
        let _ = writeln!(err, "Sextant serving {location}");
        let _ = writeln!(
            err,
            "  dashboard: {url}{}",
            if with_token { "?token=…" } else { "" }
        );
        let _ = writeln!(
            err,
            "  JSON API:  {url}api/experiments   (log here with --store http://{addr})"
        );
        let _ = writeln!(err, "  OTLP traces: {url}v1/traces");
        if !sextant_server::dashboard_built() {
            let _ = writeln!(err, "  note: the dashboard is not built into this binary; run scripts/build-dashboard.sh and rebuild");
        }
        let _ = writeln!(err, "  press Ctrl-C to stop");
        if open {
            open_browser(&url);
        }
    });
    result.map_err(|source| CliError::Serve {
        addr: format!("{}:{}", args.host, args.port),
        source,
    })
}

/// Best effort: a missing opener is not an error, the URL is printed anyway.
fn open_browser(url: &str) {
    for opener in ["xdg-open", "open"] {
        let spawned = std::process::Command::new(opener)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if spawned.is_ok() {
            return;
        }
    }
}

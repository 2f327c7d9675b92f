//! Live updates across replicas: every committed write sends a `NOTIFY` on the schema's
//! channel with what it touched (experiments, each metric key's highest step); each store
//! instance `LISTEN`s on a connection of its own and hands what *other* instances wrote to
//! its watcher (a server's live-update hub). PostgreSQL delivers a notification only when
//! its transaction commits, so nothing is announced that could still roll back.

use std::collections::BTreeMap;
use std::time::Duration;

use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use sextant_core::{ChangeCallback, Error, Result, Touched};
use tokio_postgres::AsyncMessage;

use crate::config::ConnConfig;
use crate::errors::query_error;

/// PostgreSQL's limit is 8000 bytes; a larger set is sent in several notifications.
const MAX_PAYLOAD: usize = 7000;

/// The channel of a store's schema (schema names are lowercase identifiers of at most 63
/// bytes, so this is one too once cut to PostgreSQL's identifier length).
pub fn channel(schema: &str) -> String {
    let mut c = format!("sextant_changes_{schema}");
    c.truncate(63);
    c
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    /// The writing store instance, so it can skip its own notifications.
    o: String,
    /// Experiment id and each key's highest step.
    t: Vec<(String, BTreeMap<String, i64>)>,
}

/// Queues the notifications for what a write touched; sent when its transaction commits
/// (at once outside one).
pub async fn announce<C: GenericClient + Sync>(
    tx: &C,
    cfg: &ConnConfig,
    origin: &str,
    touched: Touched,
) -> Result<()> {
    if touched.is_empty() {
        return Ok(());
    }
    let channel = channel(&cfg.schema);
    let mut chunk: Vec<(String, BTreeMap<String, i64>)> = Vec::new();
    let mut size = 0;
    let mut payloads = Vec::new();
    for (id, mut steps) in touched {
        let mut cost = id.len() + steps.keys().map(|k| k.len() + 24).sum::<usize>() + 8;
        if cost > MAX_PAYLOAD {
            // Too many keys to list: the experiment alone (views then reload its keys).
            steps.clear();
            cost = id.len() + 8;
        }
        if size + cost > MAX_PAYLOAD && !chunk.is_empty() {
            payloads.push(std::mem::take(&mut chunk));
            size = 0;
        }
        size += cost;
        chunk.push((id, steps));
    }
    payloads.push(chunk);
    for t in payloads {
        let text = serde_json::to_string(&Payload {
            o: origin.to_string(),
            t,
        })
        .map_err(|e| Error::storage(format!("cannot encode a change notification: {e}")))?;
        tx.execute("SELECT pg_notify($1, $2)", &[&channel, &text])
            .await
            .map_err(query_error)?;
    }
    Ok(())
}

/// Listens until the store is dropped (the runtime stops), reconnecting after a lost
/// connection with a growing pause (1 s to 30 s).
pub async fn listen(cfg: ConnConfig, origin: String, on_change: ChangeCallback) {
    let mut pause = Duration::from_secs(1);
    loop {
        let started = std::time::Instant::now();
        if let Err(e) = listen_once(&cfg, &origin, &on_change).await {
            eprintln!("sextant-postgres: live updates paused ({e}); retrying in {pause:?}");
        }
        if started.elapsed() > Duration::from_secs(60) {
            pause = Duration::from_secs(1);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

async fn listen_once(cfg: &ConnConfig, origin: &str, on_change: &ChangeCallback) -> Result<()> {
    let mut pg = cfg.pg.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let client = if pg.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        let tls = crate::tls::connector(cfg.root_cert.as_deref())?;
        let (client, conn) = pg
            .connect(tls)
            .await
            .map_err(|e| crate::errors::connect_error(cfg, &e))?;
        tokio::spawn(forward(conn, tx));
        client
    } else {
        pg.ssl_mode(tokio_postgres::config::SslMode::Disable);
        let (client, conn) = pg
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| crate::errors::connect_error(cfg, &e))?;
        tokio::spawn(forward(conn, tx));
        client
    };
    client
        .batch_execute(&format!("LISTEN \"{}\"", channel(&cfg.schema)))
        .await
        .map_err(query_error)?;
    while let Some(payload) = rx.recv().await {
        let Ok(p) = serde_json::from_str::<Payload>(&payload) else {
            continue;
        };
        if p.o != origin {
            on_change(p.t);
        }
    }
    drop(client);
    Err(Error::storage("the LISTEN connection closed"))
}

/// Drives a connection, passing on its notifications; ends when the connection does.
async fn forward<S, T>(
    mut conn: tokio_postgres::Connection<S, T>,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio_postgres::tls::TlsStream + Unpin,
{
    let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
    use futures_util::StreamExt;
    while let Some(message) = messages.next().await {
        match message {
            Ok(AsyncMessage::Notification(n)) => {
                if tx.send(n.payload().to_string()).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

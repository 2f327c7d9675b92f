//! Live updates: "experiment X changed, its keys are now up to these steps", as an SSE
//! stream. A poller diffs the store's list every second (so trainers writing to the SQLite
//! directory directly are seen too) and at once after a batch arrives over HTTP.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Serialize;
use sextant_core::{Status, Store};
use tokio::sync::{broadcast, Notify};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use crate::{blocking, AppState};

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub experiment: String,
    /// `None` when the experiment was deleted.
    pub status: Option<Status>,
    /// Each metric key's highest step, so a chart fetches only `from = its last + 1`.
    pub last_steps: BTreeMap<String, i64>,
}

#[derive(Debug)]
pub struct Events {
    pub tx: broadcast::Sender<Change>,
    pub wake: Notify,
}

impl Events {
    pub fn new() -> Arc<Self> {
        let (tx, _) = broadcast::channel(1024);
        Arc::new(Events {
            tx,
            wake: Notify::new(),
        })
    }
}

async fn fingerprints(store: &Arc<dyn Store>) -> Option<HashMap<String, (Status, String)>> {
    let s = store.clone();
    let list = blocking(move || pollster::block_on(s.list_experiments()))
        .await
        .ok()?;
    Some(
        list.into_iter()
            .map(|e| {
                let print = serde_json::to_string(&(&e.metrics, e.duration, &e.params.len()))
                    .unwrap_or_default();
                (e.id, (e.status, print))
            })
            .collect(),
    )
}

pub async fn poll(store: Arc<dyn Store>, events: Arc<Events>) {
    let mut known = fingerprints(&store).await.unwrap_or_default();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = events.wake.notified() => {}
        }
        if events.tx.receiver_count() == 0 {
            continue;
        }
        let Some(now) = fingerprints(&store).await else {
            continue;
        };
        for (id, (status, print)) in &now {
            if known
                .get(id)
                .is_some_and(|(s, p)| s == status && p == print)
            {
                continue;
            }
            let s = store.clone();
            let key_id = id.clone();
            let last_steps = blocking(move || pollster::block_on(s.list_metrics(&key_id)))
                .await
                .map(|ms| ms.into_iter().map(|m| (m.key, m.last_step)).collect())
                .unwrap_or_default();
            let _ = events.tx.send(Change {
                experiment: id.clone(),
                status: Some(*status),
                last_steps,
            });
        }
        for id in known.keys().filter(|id| !now.contains_key(*id)) {
            let _ = events.tx.send(Change {
                experiment: id.clone(),
                status: None,
                last_steps: BTreeMap::new(),
            });
        }
        known = now;
    }
}

pub async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.events.tx.subscribe();
    state.events.wake.notify_one();
    let changes = BroadcastStream::new(rx).filter_map(|c| {
        let change = c.ok()?;
        Event::default()
            .event("change")
            .json_data(change)
            .ok()
            .map(Ok)
    });
    Sse::new(changes).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

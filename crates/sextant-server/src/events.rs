//! Live updates: "experiment X changed, its keys are now up to these steps", as an SSE
//! stream. Writes through this server report exactly what they touched (experiment, keys,
//! highest steps), so a metric that repeats its value still moves the chart; a poller also
//! diffs the whole experiment list every second, so trainers writing to the store directly
//! are seen too (renames, params, status, values).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Serialize;
use sextant_core::{Batch, Status, Store};
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
    /// What writes through this server touched since the poller last looked.
    written: std::sync::Mutex<Vec<(String, BTreeMap<String, i64>)>>,
}

impl Events {
    pub fn new() -> Arc<Self> {
        let (tx, _) = broadcast::channel(1024);
        Arc::new(Events {
            tx,
            wake: Notify::new(),
            written: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Records a write through this server: each experiment it touched and, per metric
    /// key, the highest step written.
    pub fn wrote(&self, batch: &Batch) {
        self.touched(batch.touched());
    }

    /// Marks experiments changed (an edit, a delete) without metric steps.
    pub fn touched(&self, touched: Vec<(String, BTreeMap<String, i64>)>) {
        if let Ok(mut w) = self.written.lock() {
            w.extend(touched);
        }
        self.wake.notify_one();
    }
}

/// Everything a list shows about each experiment: any difference is a change.
async fn fingerprints(store: &Arc<dyn Store>) -> Option<HashMap<String, (Status, String)>> {
    let s = store.clone();
    let list = blocking(move || pollster::block_on(s.list_experiments()))
        .await
        .ok()?;
    Some(
        list.into_iter()
            .map(|e| {
                let print = serde_json::to_string(&e).unwrap_or_default();
                (e.id, (e.status, print))
            })
            .collect(),
    )
}

async fn last_steps(store: &Arc<dyn Store>, id: &str) -> BTreeMap<String, i64> {
    let s = store.clone();
    let id = id.to_string();
    blocking(move || pollster::block_on(s.list_metrics(&id)))
        .await
        .map(|ms| ms.into_iter().map(|m| (m.key, m.last_step)).collect())
        .unwrap_or_default()
}

pub async fn poll(store: Arc<dyn Store>, events: Arc<Events>) {
    let mut known = fingerprints(&store).await.unwrap_or_default();
    // Each watched experiment's keys and highest steps, kept current from writes.
    let mut steps: HashMap<String, BTreeMap<String, i64>> = HashMap::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = events.wake.notified() => {}
        }
        let written = events
            .written
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        if events.tx.receiver_count() == 0 {
            steps.clear();
            continue;
        }
        let Some(now) = fingerprints(&store).await else {
            continue;
        };
        let mut sent = std::collections::HashSet::new();
        for (id, touched) in written {
            let Some((status, _)) = now.get(&id) else {
                continue;
            };
            if !steps.contains_key(&id) {
                let loaded = last_steps(&store, &id).await;
                steps.insert(id.clone(), loaded);
            }
            let known_steps = steps.entry(id.clone()).or_default();
            for (k, s) in touched {
                let e = known_steps.entry(k).or_insert(s);
                *e = (*e).max(s);
            }
            let _ = events.tx.send(Change {
                experiment: id.clone(),
                status: Some(*status),
                last_steps: known_steps.clone(),
            });
            sent.insert(id);
        }
        for (id, (status, print)) in &now {
            let same = known
                .get(id)
                .is_some_and(|(s, p)| s == status && p == print);
            if same || sent.contains(id) {
                continue;
            }
            let fresh = last_steps(&store, id).await;
            steps.insert(id.clone(), fresh.clone());
            let _ = events.tx.send(Change {
                experiment: id.clone(),
                status: Some(*status),
                last_steps: fresh,
            });
        }
        for id in known.keys().filter(|id| !now.contains_key(*id)) {
            steps.remove(id);
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

//! The min/max columns' data: each listed run's metric summaries (`list_metrics`, whose
//! min and max the stores keep cheaply), fetched only while such a column is shown, a
//! few requests at a time, and again for a run the live feed replaced.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use sextant_core::{ExperimentInfo, Store};
use yew::prelude::*;

use crate::view::table::Extremes;

/// Requests in flight at once.
const PARALLEL: usize = 6;
/// Answers gathered before the table re-renders (re-sorting 10,000 runs per answer
/// would cost more than the answers).
const PUBLISH_EVERY: usize = 25;

type RunExtremes = BTreeMap<String, (Option<f64>, Option<f64>)>;

#[derive(Default)]
struct Cache {
    /// Per run id: the record the answer was for (a live update replaces it) and the answer.
    entries: HashMap<String, (Rc<ExperimentInfo>, RunExtremes)>,
    queue: VecDeque<Rc<ExperimentInfo>>,
    queued: HashSet<String>,
    workers: usize,
    unpublished: usize,
    published: u64,
    /// The store generation the entries belong to; a reopened store starts over.
    generation: Option<u32>,
}

/// The extremes loaded so far, and how to ask for more.
#[derive(Clone)]
pub struct UseExtremes {
    pub map: Rc<Extremes>,
    cache: Rc<RefCell<Cache>>,
    version: UseStateHandle<u64>,
}

#[hook]
pub fn use_extremes() -> UseExtremes {
    let cache = use_mut_ref(Cache::default);
    let version = use_state(|| 0u64);
    let map = {
        let cache = cache.clone();
        use_memo(*version, move |_| {
            cache
                .borrow()
                .entries
                .iter()
                .map(|(id, (_, m))| (id.clone(), m.clone()))
                .collect::<Extremes>()
        })
    };
    UseExtremes {
        map,
        cache,
        version,
    }
}

impl UseExtremes {
    /// Fetches what is missing or stale for `runs` from `store`.
    pub fn want(
        &self,
        store: Arc<dyn Store>,
        generation: u32,
        runs: impl Iterator<Item = Rc<ExperimentInfo>>,
    ) {
        let mut c = self.cache.borrow_mut();
        if c.generation != Some(generation) {
            *c = Cache {
                generation: Some(generation),
                published: c.published,
                workers: c.workers,
                ..Cache::default()
            };
        }
        for run in runs {
            let fresh = c
                .entries
                .get(&run.id)
                .is_some_and(|(r, _)| Rc::ptr_eq(r, &run));
            if !fresh && c.queued.insert(run.id.clone()) {
                c.queue.push_back(run);
            }
        }
        while c.workers < PARALLEL && !c.queue.is_empty() {
            c.workers += 1;
            let (cache, version, store) = (self.cache.clone(), self.version.clone(), store.clone());
            wasm_bindgen_futures::spawn_local(work(cache, version, store, generation));
        }
    }
}

/// One worker: takes runs off the queue until it is empty.
async fn work(
    cache: Rc<RefCell<Cache>>,
    version: UseStateHandle<u64>,
    store: Arc<dyn Store>,
    generation: u32,
) {
    loop {
        let next = cache.borrow_mut().queue.pop_front();
        let Some(run) = next else {
            break;
        };
        // A run that cannot be read (deleted meanwhile) shows "—" rather than loading forever.
        let answer: RunExtremes = store
            .list_metrics(&run.id)
            .await
            .map(|list| list.into_iter().map(|m| (m.key, (m.min, m.max))).collect())
            .unwrap_or_default();
        // The borrow ends before `set`, which may render (and read the cache) at once.
        let publish = {
            let mut c = cache.borrow_mut();
            if c.generation != Some(generation) {
                break;
            }
            c.queued.remove(&run.id);
            c.entries.insert(run.id.clone(), (run, answer));
            c.unpublished += 1;
            (c.unpublished >= PUBLISH_EVERY).then(|| {
                c.unpublished = 0;
                c.published += 1;
                c.published
            })
        };
        if let Some(v) = publish {
            version.set(v);
        }
    }
    let publish = {
        let mut c = cache.borrow_mut();
        c.workers = c.workers.saturating_sub(1);
        (c.unpublished > 0).then(|| {
            c.unpublished = 0;
            c.published += 1;
            c.published
        })
    };
    if let Some(v) = publish {
        version.set(v);
    }
}

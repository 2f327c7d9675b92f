//! The list of runs a page shows: loaded when the store (re)opens, then kept current from
//! the live hub (one refetch per changed run, a full reload after a burst).

use std::rc::Rc;
use std::sync::Arc;

use sextant_core::{ExperimentInfo, Store};
use yew::prelude::*;

use crate::app::changes::use_changes;

/// A burst of more changes than this reloads the list instead of fetching each run.
const RELOAD_OVER: usize = 20;

#[derive(Default)]
pub struct Runs {
    pub list: Rc<Vec<Rc<ExperimentInfo>>>,
    pub version: u64,
    pub loaded: bool,
    pub error: Option<String>,
}

pub enum RunsAction {
    Loading,
    Loaded(Vec<ExperimentInfo>),
    Upsert(ExperimentInfo),
    Remove(String),
    Failed(String),
}

impl Reducible for Runs {
    type Action = RunsAction;

    fn reduce(self: Rc<Self>, action: RunsAction) -> Rc<Self> {
        let version = self.version + 1;
        let mut list = self.list.clone();
        let (loaded, error) = match action {
            RunsAction::Loading => (false, None),
            RunsAction::Loaded(all) => {
                list = Rc::new(all.into_iter().map(Rc::new).collect());
                (true, None)
            }
            RunsAction::Upsert(info) => {
                let l = Rc::make_mut(&mut list);
                match l.iter().position(|r| r.id == info.id) {
                    Some(i) => l[i] = Rc::new(info),
                    None => l.insert(0, Rc::new(info)),
                }
                (self.loaded, self.error.clone())
            }
            RunsAction::Remove(id) => {
                Rc::make_mut(&mut list).retain(|r| r.id != id);
                (self.loaded, self.error.clone())
            }
            RunsAction::Failed(e) => (true, Some(e)),
        };
        Rc::new(Runs {
            list,
            version,
            loaded,
            error,
        })
    }
}

/// The runs and a callback that reloads them all.
pub struct UseRuns {
    pub runs: UseReducerHandle<Runs>,
    pub reload: Callback<()>,
}

#[hook]
pub fn use_runs(store: Option<Arc<dyn Store>>, generation: u32) -> UseRuns {
    let runs = use_reducer(Runs::default);
    let changes = use_changes();
    // Load the list when the store (re)opens (`true`: show "loading" meanwhile), or
    // refresh it after a burst of changes (`false`: the current list stays on screen, so
    // the page and its views are not torn down and rebuilt).
    let fetch = {
        let runs = runs.dispatcher();
        let store = store.clone();
        Callback::from(move |show_loading: bool| {
            let Some(store) = store.clone() else {
                return;
            };
            let runs = runs.clone();
            if show_loading {
                runs.dispatch(RunsAction::Loading);
            }
            wasm_bindgen_futures::spawn_local(async move {
                match store.list_experiments().await {
                    Ok(list) => runs.dispatch(RunsAction::Loaded(list)),
                    Err(e) => runs.dispatch(RunsAction::Failed(e.to_string())),
                }
            });
        })
    };
    let reload = {
        let fetch = fetch.clone();
        Callback::from(move |_: ()| fetch.emit(true))
    };
    {
        let reload = reload.clone();
        use_effect_with(generation, move |_| reload.emit(()));
    }
    // Live: refetch only the runs that changed.
    {
        let runs = runs.dispatcher();
        let store = store.clone();
        let ch = changes.clone();
        use_effect_with(changes.version, move |_| {
            let batch = ch.take();
            if batch.len() > RELOAD_OVER {
                fetch.emit(false);
            } else if let Some(store) = store {
                for change in batch {
                    let id = change.experiment.clone();
                    if change.status.is_none() {
                        runs.dispatch(RunsAction::Remove(id));
                        continue;
                    }
                    let (store, runs) = (store.clone(), runs.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(info) = store.get_experiment(&id).await {
                            runs.dispatch(RunsAction::Upsert(info));
                        }
                    });
                }
            }
        });
    }

    UseRuns { runs, reload }
}

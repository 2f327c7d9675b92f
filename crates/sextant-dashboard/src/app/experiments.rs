//! The experiments table: live status, sortable columns (params and latest metrics too),
//! text filter, group/tag/status facets, multi-select to compare or delete. Only the rows
//! in view are rendered, so 10,000 runs scroll smoothly.

use std::collections::BTreeSet;
use std::rc::Rc;

use sextant_core::{ExperimentFilter, ExperimentInfo, Status};
use yew::prelude::*;
use yew_router::prelude::*;

use super::ctx::{use_ctx, Conn};
use super::dom;
use super::live::use_changes;
use super::route::{self, Link, Route};
use super::runs_table::RunsTable;
use super::widgets::{Empty, ErrorBox, FirstRunHelp, Loading};
use crate::view::query;
use crate::view::table::{self, Column, Order};

/// A burst of more changes than this reloads the list instead of fetching each run.
const RELOAD_OVER: usize = 20;

/// The page's URL query as name/value pairs.
type QueryPairs = Vec<(&'static str, String)>;

#[derive(Default)]
struct Runs {
    list: Rc<Vec<Rc<ExperimentInfo>>>,
    version: u64,
    loaded: bool,
    error: Option<String>,
}

enum RunsAction {
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

fn columns_key(ctx_source: &str) -> String {
    format!("sextant.columns.{ctx_source}")
}

/// The extra columns a user picked for this source, or a few that differ between runs.
fn initial_columns(source: &str, runs: &[Rc<ExperimentInfo>]) -> Vec<Column> {
    if let Some(saved) = dom::local_get(&columns_key(source)) {
        return saved.split('\n').filter_map(Column::parse).collect();
    }
    table::default_columns(runs, 3, 3)
}

#[function_component]
pub fn ExperimentsPage() -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let location = use_location();
    let q = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    let runs = use_reducer(Runs::default);
    let changes = use_changes();
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    let store = ctx.as_ref().and_then(|c| c.store());
    let source = ctx.as_ref().map(|c| c.source.clone());
    let source_param = source.as_ref().map(|s| s.to_param()).unwrap_or_default();

    // Load the list when the store (re)opens.
    let reload = {
        let runs = runs.dispatcher();
        let store = store.clone();
        Callback::from(move |_: ()| {
            let Some(store) = store.clone() else {
                return;
            };
            let runs = runs.clone();
            runs.dispatch(RunsAction::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                match store.list_experiments().await {
                    Ok(list) => runs.dispatch(RunsAction::Loaded(list)),
                    Err(e) => runs.dispatch(RunsAction::Failed(e.to_string())),
                }
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(generation, move |_| reload.emit(()));
    }
    // Live: refetch only the runs that changed.
    {
        let runs = runs.dispatcher();
        let store = store.clone();
        let reload = reload.clone();
        let ch = changes.clone();
        use_effect_with(changes.version, move |_| {
            let batch = ch.take();
            if batch.len() > RELOAD_OVER {
                reload.emit(());
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

    // URL state: filter, facets, sort.
    let text = query::get(&q, "q").unwrap_or_default();
    let group = query::get(&q, "group").filter(|s| !s.is_empty());
    let tag = query::get(&q, "tag").filter(|s| !s.is_empty());
    let status = query::get(&q, "status").and_then(|s| s.parse::<Status>().ok());
    let order = query::get(&q, "sort")
        .and_then(|s| Order::parse(&s))
        .unwrap_or_default();
    let filter = ExperimentFilter {
        group: group.clone(),
        tag: tag.clone(),
        status,
        text: (!text.is_empty()).then(|| text.clone()),
    };
    let set_query = {
        let nav = nav.clone();
        let source = source.clone();
        let (text, group, tag, status, order) = (
            text.clone(),
            group.clone(),
            tag.clone(),
            status,
            order.clone(),
        );
        move |change: &dyn Fn(&mut QueryPairs)| {
            let mut pairs: QueryPairs = vec![
                ("q", text.clone()),
                ("group", group.clone().unwrap_or_default()),
                ("tag", tag.clone().unwrap_or_default()),
                (
                    "status",
                    status.map(|s| s.as_str().to_string()).unwrap_or_default(),
                ),
                ("sort", {
                    let p = order.to_param();
                    if p == Order::default().to_param() {
                        String::new()
                    } else {
                        p
                    }
                }),
            ];
            change(&mut pairs);
            if let (Some(nav), Some(source)) = (&nav, &source) {
                route::go(nav, &Route::Experiments, &pairs, source, true);
            }
        }
    };
    let set_param = {
        let set_query = set_query.clone();
        Rc::new(move |name: &'static str, value: String| {
            set_query(&|pairs| {
                if let Some(p) = pairs.iter_mut().find(|(k, _)| *k == name) {
                    p.1 = value.clone();
                }
            })
        })
    };

    let list = runs.list.clone();
    let keys = use_memo((runs.version, runs.loaded), {
        let list = list.clone();
        move |_| table::keys(&list)
    });
    let facets = use_memo(runs.version, {
        let list = list.clone();
        move |_| table::facets(&list)
    });
    let arranged = use_memo((runs.version, filter.clone(), order.clone()), {
        let list = list.clone();
        move |(_, f, o)| {
            let started = dom::now_ms();
            let arranged = table::arrange(&list, f, o);
            dom::measure("sextant:arrange", started);
            arranged
        }
    });
    let extra = use_state(Vec::<Column>::new);
    let picked = use_state(|| false);
    {
        let extra = extra.clone();
        let picked = picked.clone();
        let list = list.clone();
        let source_param = source_param.clone();
        // Chosen once there are runs to choose from (an empty store fills up live).
        use_effect_with((runs.version, source_param.clone()), move |_| {
            if !list.is_empty() && !*picked {
                extra.set(initial_columns(&source_param, &list));
                picked.set(true);
            }
        });
    }
    let set_columns = {
        let extra = extra.clone();
        let source_param = source_param.clone();
        Callback::from(move |cols: Vec<Column>| {
            let text: Vec<String> = cols.iter().map(Column::id).collect();
            dom::local_set(&columns_key(&source_param), &text.join("\n"));
            extra.set(cols);
        })
    };

    let selected = use_state(|| Rc::new(BTreeSet::<String>::new()));
    let Some(ctx) = ctx else {
        return html! {};
    };
    match &ctx.conn {
        Conn::Opening => return html! { <Loading label="Opening the data source…" /> },
        Conn::Failed(e) => {
            return html! {
                <>
                    <ErrorBox message={format!("Could not open {}: {e}", ctx.source.label())} />
                    <p><Link to={Route::Sources}>{ "Choose another data source" }</Link></p>
                </>
            }
        }
        Conn::Ready(_) => {}
    }
    if let Some(e) = &runs.error {
        let retry = reload.clone();
        return html! { <ErrorBox message={e.clone()} retry={Some(retry)} /> };
    }
    if !runs.loaded {
        return html! { <Loading label="Loading experiments…" /> };
    }
    if list.is_empty() {
        return html! {
            <Empty title={format!("No experiments in {} yet", ctx.source.label())}>
                <FirstRunHelp />
            </Empty>
        };
    }

    let total = arranged.len();
    let columns = use_memo((*extra).clone(), |extra| {
        Column::BUILT_IN
            .iter()
            .cloned()
            .chain(extra.iter().cloned())
            .collect::<Vec<Column>>()
    });
    let on_sort = {
        let set_param = set_param.clone();
        Callback::from(move |o: Order| set_param("sort", o.to_param()))
    };
    let on_remove_column = {
        let set_columns = set_columns.clone();
        let extra = extra.clone();
        Callback::from(move |c: Column| {
            set_columns.emit(extra.iter().filter(|x| **x != c).cloned().collect())
        })
    };
    let on_toggle = {
        let selected = selected.clone();
        Callback::from(move |id: String| {
            let mut s = (**selected).clone();
            if !s.remove(&id) {
                s.insert(id);
            }
            selected.set(Rc::new(s));
        })
    };
    let on_toggle_all = {
        let selected = selected.clone();
        let arranged = arranged.clone();
        let list = list.clone();
        Callback::from(move |_| {
            let all = arranged.iter().all(|i| selected.contains(&list[*i].id));
            selected.set(Rc::new(if all {
                BTreeSet::new()
            } else {
                arranged.iter().map(|i| list[*i].id.clone()).collect()
            }));
        })
    };
    let on_open = {
        let nav = nav.clone();
        let source = ctx.source.clone();
        Callback::from(move |(id, new_tab): (String, bool)| {
            let route = Route::Overview { id };
            if new_tab {
                if let Some(w) = dom::window() {
                    let _ = w.open_with_url(&route::href(&route, &[], &source));
                }
            } else if let Some(nav) = &nav {
                route::go(nav, &route, &[], &source, false);
            }
        })
    };

    let picker = {
        let extra_now: Vec<Column> = (*extra).clone();
        let option = |c: Column| {
            let on = extra_now.contains(&c);
            let set_columns = set_columns.clone();
            let extra_now = extra_now.clone();
            let label = c.title();
            let onchange = Callback::from(move |_| {
                let mut next = extra_now.clone();
                if on {
                    next.retain(|x| *x != c);
                } else {
                    next.push(c.clone());
                }
                set_columns.emit(next);
            });
            html! { <label class="pick"><input type="checkbox" checked={on} {onchange} />{ label }</label> }
        };
        html! {
            <details class="picker">
                <summary class="btn">{ "Columns" }</summary>
                <div class="picker-body">
                    <h4>{ "Params" }</h4>
                    if keys.params.is_empty() { <p class="muted">{ "none logged" }</p> }
                    { for keys.params.iter().map(|p| option(Column::Param(p.clone()))) }
                    <h4>{ "Latest metrics" }</h4>
                    if keys.metrics.is_empty() { <p class="muted">{ "none logged" }</p> }
                    { for keys.metrics.iter().map(|m| option(Column::Metric(m.clone()))) }
                </div>
            </details>
        }
    };

    let oninput = {
        let set_param = set_param.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                set_param("q", input.value());
            }
        })
    };
    let facet = |title: &str,
                 name: &'static str,
                 items: Vec<(String, String, usize)>,
                 current: Option<String>| {
        let set_param = set_param.clone();
        html! {
            <section class="facet">
                <h4>{ title }</h4>
                { for items.into_iter().map(|(value, label, n)| {
                    let active = current.as_deref() == Some(value.as_str());
                    let set_param = set_param.clone();
                    let onclick = Callback::from(move |_| {
                        set_param(name, if active { String::new() } else { value.clone() })
                    });
                    html! {
                        <button class={classes!("facet-item", active.then_some("active"))} {onclick}>
                            <span class="facet-label">{ label }</span><span class="count">{ n }</span>
                        </button>
                    }
                }) }
            </section>
        }
    };
    let statuses: Vec<(String, String, usize)> = facets
        .statuses
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), s.as_str().to_string(), *n))
        .collect();
    let groups: Vec<(String, String, usize)> = facets
        .groups
        .iter()
        .map(|(g, n)| (g.clone(), g.clone(), *n))
        .collect();
    let tags: Vec<(String, String, usize)> = facets
        .tags
        .iter()
        .map(|(t, n)| (t.clone(), t.clone(), *n))
        .collect();

    let selection_bar = if selected.is_empty() {
        html! {}
    } else {
        let ids: Vec<String> = selected.iter().cloned().collect();
        let compare = {
            let nav = nav.clone();
            let source = ctx.source.clone();
            let ids = ids.clone();
            Callback::from(move |_| {
                if let Some(nav) = &nav {
                    route::go(
                        nav,
                        &Route::Compare,
                        &[("ids", ids.join(","))],
                        &source,
                        false,
                    );
                }
            })
        };
        let delete = {
            let store = ctx.store();
            let runs = runs.dispatcher();
            let selected = selected.clone();
            let ids = ids.clone();
            Callback::from(move |_| {
                let n = ids.len();
                if !dom::confirm(&format!(
                    "Delete {n} experiment{}? Their metrics, attachments and traces go too.",
                    if n == 1 { "" } else { "s" }
                )) {
                    return;
                }
                let Some(store) = store.clone() else {
                    return;
                };
                let (runs, ids, selected) = (runs.clone(), ids.clone(), selected.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    for id in ids {
                        match store.delete_experiment(&id).await {
                            Ok(()) => runs.dispatch(RunsAction::Remove(id)),
                            Err(e) => {
                                runs.dispatch(RunsAction::Failed(format!(
                                    "could not delete {id}: {e}"
                                )));
                                break;
                            }
                        }
                    }
                    selected.set(Rc::new(BTreeSet::new()));
                });
            })
        };
        let clear = {
            let selected = selected.clone();
            Callback::from(move |_| selected.set(Rc::new(BTreeSet::new())))
        };
        html! {
            <div class="selection-bar">
                <span>{ format!("{} selected", ids.len()) }</span>
                <button class="btn primary" onclick={compare} disabled={ids.len() < 2}
                    title={if ids.len() < 2 { "Select two or more to compare" } else { "Overlay their charts and params" }}>
                    { "Compare" }
                </button>
                <button class="btn danger" onclick={delete}>{ "Delete" }</button>
                <button class="btn ghost" onclick={clear}>{ "Clear" }</button>
            </div>
        }
    };

    let filtered_empty = total == 0;
    let clear_filters = {
        let set_query = set_query.clone();
        Callback::from(move |_| {
            set_query(&|pairs| {
                for p in pairs.iter_mut() {
                    if p.0 != "sort" {
                        p.1.clear();
                    }
                }
            })
        })
    };

    html! {
        <div class="experiments">
            <aside class="facets">
                { facet("Status", "status", statuses, status.map(|s| s.as_str().to_string())) }
                { facet("Groups", "group", groups, group.clone()) }
                if !tags.is_empty() { { facet("Tags", "tag", tags, tag.clone()) } }
            </aside>
            <section class="table-area">
                <div class="toolbar">
                    <input class="search" type="search" placeholder="Filter by name, id, group, tag, description…"
                        value={text.clone()} {oninput} aria-label="Filter experiments" />
                    <span class="muted count-label">{ format!("{total} of {} runs", list.len()) }</span>
                    <div class="spacer"></div>
                    { picker }
                </div>
                { selection_bar }
                <RunsTable list={list.clone()} arranged={arranged.clone()} columns={columns.clone()}
                    order={order.clone()} selected={(*selected).clone()} {on_sort} {on_remove_column}
                    {on_toggle} {on_toggle_all} {on_open}>
                    if filtered_empty {
                        <div class="empty small">
                            <p>{ "No runs match these filters. " }</p>
                            <button class="btn" onclick={clear_filters}>{ "Clear filters" }</button>
                        </div>
                    }
                </RunsTable>
            </section>
        </div>
    }
}

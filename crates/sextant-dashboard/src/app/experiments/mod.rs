//! The experiments table: live status, sortable columns (params and latest metrics too),
//! text filter, group/tag/status facets, multi-select to compare or delete. Only the rows
//! in view are rendered, so 10,000 runs scroll smoothly.

use std::collections::BTreeSet;
use std::rc::Rc;

use sextant_core::{ExperimentFilter, Status};
use yew::prelude::*;
use yew_router::prelude::*;

mod columns;
mod facets;
mod runs;
mod search_box;
mod selection;

use self::columns::{columns_key, initial_columns, ColumnPicker};
use self::facets::FacetSidebar;
use self::runs::{use_runs, RunsAction, UseRuns};
use self::search_box::SearchBox;
use self::selection::SelectionBar;
use super::analysis::AnalysisPanel;
use super::ctx::{use_ctx, Conn};
use super::dom;
use super::extremes::use_extremes;
use super::identity::ByPtr;
use super::route::{self, Link, Route};
use super::runs_table::RunsTable;
use super::widgets::{Empty, ErrorBox, FirstRunHelp, Loading};
use crate::view::analysis::Brushes;
use crate::view::query;
use crate::view::search::{self, Search};
use crate::view::table::{self, Column, Order};

/// The page's URL query as name/value pairs.
type QueryPairs = Vec<(&'static str, String)>;

#[function_component]
pub fn ExperimentsPage() -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let location = use_location();
    let q = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    let store = ctx.as_ref().and_then(|c| c.store());
    let UseRuns { runs, reload } = use_runs(store.clone(), generation);
    let source = ctx.as_ref().map(|c| c.source.clone());
    let source_param = source.as_ref().map(|s| s.to_param()).unwrap_or_default();

    // URL state: filter, facets, sort.
    let text = query::get(&q, "q").unwrap_or_default();
    let group = query::get(&q, "group").filter(|s| !s.is_empty());
    let tag = query::get(&q, "tag").filter(|s| !s.is_empty());
    let status = query::get(&q, "status").and_then(|s| s.parse::<Status>().ok());
    let order = query::get(&q, "sort")
        .and_then(|s| Order::parse(&s))
        .unwrap_or_default();
    // Plain words filter as text; the search language filters with its own evaluator.
    let search = use_memo(text.clone(), |t| search::interpret(t));
    let filter = ExperimentFilter {
        group: group.clone(),
        tag: tag.clone(),
        status,
        text: match &*search {
            Search::Text(t) => Some(t.clone()),
            _ => None,
        },
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
    // Min/max columns: loaded per run; sorting by one re-sorts as they arrive.
    let extremes = use_extremes();
    let sort_extremes = order
        .column
        .extreme_of()
        .map(|_| ByPtr(extremes.map.clone()));
    let arranged = use_memo(
        (
            runs.version,
            filter.clone(),
            order.clone(),
            search.clone(),
            sort_extremes,
        ),
        {
            let list = list.clone();
            let ex = extremes.map.clone();
            move |(_, f, o, s, _)| {
                let started = dom::now_ms();
                let arranged = match &**s {
                    Search::Filter(expr) => {
                        let query = sextant_core::search::Query {
                            filter: Some(expr.clone()),
                            order_by: Vec::new(),
                        };
                        table::arrange_with(&list, f, o, &|e| query.matches(e), &ex)
                    }
                    _ => table::arrange_with(&list, f, o, &|_| true, &ex),
                };
                dom::measure("sextant:arrange", started);
                arranged
            }
        },
    );
    // Brushed axes of the parallel coordinates narrow the table further.
    let brushes = use_state(|| Rc::new(Brushes::default()));
    let shown = use_memo((ByPtr(arranged.clone()), (*brushes).clone()), {
        let list = list.clone();
        move |(arranged, b)| {
            arranged
                .0
                .iter()
                .copied()
                .filter(|i| b.matches(&list[*i]))
                .collect::<Vec<usize>>()
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

    {
        let wanted = extra.iter().any(|c| c.extreme_of().is_some());
        let (extremes, store, list, shown) =
            (extremes.clone(), store.clone(), list.clone(), shown.clone());
        use_effect_with(
            (wanted, ByPtr(shown.clone()), generation),
            move |(wanted, _, generation)| {
                if let (true, Some(store)) = (*wanted, store) {
                    extremes.want(store, *generation, shown.iter().map(|i| list[*i].clone()));
                }
            },
        );
    }

    let selected = use_state(|| Rc::new(BTreeSet::<String>::new()));
    // Hooks run on every render, in the same order: none after the early returns below.
    let columns = use_memo((*extra).clone(), |extra| {
        Column::BUILT_IN
            .iter()
            .cloned()
            .chain(extra.iter().cloned())
            .collect::<Vec<Column>>()
    });
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

    let total = shown.len();
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
        let shown = shown.clone();
        let list = list.clone();
        Callback::from(move |_| {
            let all = shown.iter().all(|i| selected.contains(&list[*i].id));
            selected.set(Rc::new(if all {
                BTreeSet::new()
            } else {
                shown.iter().map(|i| list[*i].id.clone()).collect()
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

    let picker = html! {
        <ColumnPicker keys={keys.clone()} extra={(*extra).clone()} on_change={set_columns.clone()} />
    };

    let on_search = {
        let set_param = set_param.clone();
        Callback::from(move |text: String| set_param("q", text))
    };
    let on_set_facet = {
        let set_param = set_param.clone();
        Callback::from(move |(name, value): (&'static str, String)| set_param(name, value))
    };
    let selection_bar = {
        let runs = runs.dispatcher();
        let on_deleted = {
            let runs = runs.clone();
            Callback::from(move |id: String| runs.dispatch(RunsAction::Remove(id)))
        };
        let on_failed = Callback::from(move |e: String| runs.dispatch(RunsAction::Failed(e)));
        let on_clear = {
            let selected = selected.clone();
            Callback::from(move |_: ()| selected.set(Rc::new(BTreeSet::new())))
        };
        html! { <SelectionBar selected={(*selected).clone()} {on_deleted} {on_failed} {on_clear} /> }
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
            <FacetSidebar facets={facets.clone()} status={status.map(|s| s.as_str().to_string())}
                group={group.clone()} tag={tag.clone()} on_set={on_set_facet} />
            <section class="table-area">
                <div class="toolbar">
                    <SearchBox text={text.clone()} search={search.clone()} keys={keys.clone()}
                        on_input={on_search} />
                    <span class="muted count-label">{ format!("{total} of {} runs", list.len()) }</span>
                    <div class="spacer"></div>
                    { picker }
                </div>
                <AnalysisPanel list={list.clone()} filtered={arranged.clone()} shown={shown.clone()}
                    keys={keys.clone()} brushes={(*brushes).clone()}
                    on_brushes={Callback::from(move |b| brushes.set(b))}
                    source={source_param.clone()} on_open={on_open.clone()} />
                { selection_bar }
                <RunsTable list={list.clone()} arranged={shown.clone()} columns={columns.clone()}
                    extremes={extremes.map.clone()}
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

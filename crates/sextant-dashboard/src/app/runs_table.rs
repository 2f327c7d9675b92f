//! The virtualised runs grid: a sticky header and only the rows in view (plus a few either
//! side). Scrolling re-renders this component alone, never the page around it.

use std::collections::BTreeSet;
use std::rc::Rc;

use sextant_core::{ExperimentInfo, Status};
use yew::prelude::*;

use super::dom;
use super::row_window::{use_row_window, RowWindow, OVERSCAN, ROW_HEIGHT};
use super::widgets::{status_badge, tags};
use crate::view::format;
use crate::view::table::{self, Column, Extremes, Order};

#[derive(Properties)]
pub struct Props {
    pub list: Rc<Vec<Rc<ExperimentInfo>>>,
    /// Indices into `list`, filtered and sorted.
    pub arranged: Rc<Vec<usize>>,
    pub columns: Rc<Vec<Column>>,
    /// Min/max per run and metric for the min/max columns (filled in as they load).
    #[prop_or_default]
    pub extremes: Rc<Extremes>,
    pub order: Order,
    pub selected: Rc<BTreeSet<String>>,
    pub on_sort: Callback<Order>,
    pub on_remove_column: Callback<Column>,
    pub on_toggle: Callback<String>,
    pub on_toggle_all: Callback<()>,
    /// An id, and whether to open it in a new tab.
    pub on_open: Callback<(String, bool)>,
    #[prop_or_default]
    pub children: Html,
}

/// Shared data compares by identity: comparing 10,000 runs on every render would cost
/// more than the render.
impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.list, &o.list)
            && Rc::ptr_eq(&self.arranged, &o.arranged)
            && Rc::ptr_eq(&self.columns, &o.columns)
            && Rc::ptr_eq(&self.extremes, &o.extremes)
            && Rc::ptr_eq(&self.selected, &o.selected)
            && self.order == o.order
            && self.on_sort == o.on_sort
            && self.on_remove_column == o.on_remove_column
            && self.on_toggle == o.on_toggle
            && self.on_toggle_all == o.on_toggle_all
            && self.on_open == o.on_open
            && self.children == o.children
    }
}

fn cell(run: &ExperimentInfo, c: &Column, extremes: &Extremes, tz: i64, now_ms: i64) -> Html {
    match c {
        Column::Name => html! {
            <span class="name" title={run.id.clone()}>{ run.name.clone() }</span>
        },
        Column::Group => html! { { run.group.clone() } },
        Column::Status => status_badge(run.status),
        Column::Created => html! { { format::datetime(run.created_at, tz) } },
        Column::Duration => match (run.duration, run.status) {
            (Some(d), _) => html! { { format::duration_secs(d) } },
            (None, Status::Running) => html! {
                <span class="muted">{ format::duration_secs((now_ms - run.created_at).max(0) as f64 / 1000.0) }</span>
            },
            _ => html! { "—" },
        },
        Column::Tags => tags(&run.tags),
        Column::Param(p) => match run.params.get(p) {
            Some(v) => html! { <span class="num">{ format::param(v) }</span> },
            None => html! { <span class="muted">{ "—" }</span> },
        },
        Column::Metric(m) => match run.metrics.get(m) {
            Some(v) => html! { <span class="num">{ format::value(*v) }</span> },
            None => html! { <span class="muted">{ "—" }</span> },
        },
        Column::MetricMin(m) | Column::MetricMax(m) => {
            match (
                table::extreme(extremes, run, c),
                extremes.contains_key(&run.id),
            ) {
                (Some(v), _) => html! { <span class="num">{ format::value(v) }</span> },
                // Loaded: the run lacks the metric, or it holds only NaN.
                (None, true) => html! {
                    <span class="muted" title={if run.metrics.contains_key(m) { "only NaN logged" } else { "not logged" }}>{ "—" }</span>
                },
                (None, false) => html! { <span class="muted" title="loading">{ "…" }</span> },
            }
        }
    }
}

#[derive(Properties)]
struct RowProps {
    /// `None`: a spare slot with nothing to show.
    run: Option<Rc<ExperimentInfo>>,
    columns: Rc<Vec<Column>>,
    extremes: Rc<Extremes>,
    pos: usize,
    selected: bool,
    tz: i64,
    on_toggle: Callback<String>,
    on_open: Callback<(String, bool)>,
}

impl PartialEq for RowProps {
    fn eq(&self, o: &Self) -> bool {
        let same_run = match (&self.run, &o.run) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_run
            && Rc::ptr_eq(&self.columns, &o.columns)
            && Rc::ptr_eq(&self.extremes, &o.extremes)
            && self.pos == o.pos
            && self.selected == o.selected
            && self.tz == o.tz
            && self.on_toggle == o.on_toggle
            && self.on_open == o.on_open
    }
}

/// One row; a component so that rows already on screen skip re-rendering while scrolling.
#[function_component]
fn RunRow(props: &RowProps) -> Html {
    let Some(run) = &props.run else {
        return html! { <div class="row spare"></div> };
    };
    let toggle = {
        let cb = props.on_toggle.clone();
        let id = run.id.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            cb.emit(id.clone());
        })
    };
    let open = {
        let cb = props.on_open.clone();
        let id = run.id.clone();
        Callback::from(move |e: MouseEvent| cb.emit((id.clone(), e.ctrl_key() || e.meta_key())))
    };
    let now = js_sys::Date::now() as i64;
    let style = format!("top:{}px", props.pos as f64 * ROW_HEIGHT);
    html! {
        <div class={classes!("row", props.selected.then_some("selected"))} {style} onclick={open}
             data-id={run.id.clone()}>
            <div class="cell check" onclick={toggle}>
                <input type="checkbox" checked={props.selected} aria-label="Select" />
            </div>
            { for props.columns.iter().map(|c| html! {
                <div class="cell" data-col={c.id()}>{ cell(run, c, &props.extremes, props.tz, now) }</div>
            }) }
        </div>
    }
}

/// Rows render in blocks of this many, so most scroll events change nothing.
const BLOCK: usize = 8;

#[derive(Properties, PartialEq)]
struct HeadProps {
    columns: Rc<Vec<Column>>,
    order: Order,
    all_selected: bool,
    on_sort: Callback<Order>,
    on_remove_column: Callback<Column>,
    on_toggle_all: Callback<()>,
}

/// The header row; its own component so scrolling does not rebuild it.
#[function_component]
fn Head(props: &HeadProps) -> Html {
    let header = props.columns.iter().map(|c| {
        let active = props.order.column == *c;
        let arrow = match (active, props.order.descending) {
            (false, _) => "",
            (true, true) => " ↓",
            (true, false) => " ↑",
        };
        let onclick = {
            let on_sort = props.on_sort.clone();
            let next = props.order.clicked(c.clone());
            Callback::from(move |_| on_sort.emit(next.clone()))
        };
        let remove = matches!(
            c,
            Column::Param(_) | Column::Metric(_) | Column::MetricMin(_) | Column::MetricMax(_)
        )
        .then(|| {
            let cb = props.on_remove_column.clone();
            let c = c.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                cb.emit(c.clone());
            })
        });
        let kind = match c {
            Column::Param(_) => "param",
            Column::Metric(_) | Column::MetricMin(_) | Column::MetricMax(_) => "metric",
            _ => "",
        };
        html! {
            <div class={classes!("hcell", kind, active.then_some("sorted"))} {onclick} title={format!("Sort by {}", c.title())}>
                <span class="htext">{ c.title() }{ arrow }</span>
                if let Some(remove) = remove {
                    <button class="col-x" onclick={remove} aria-label="Remove column">{ "×" }</button>
                }
            </div>
        }
    });
    let toggle_all = {
        let cb = props.on_toggle_all.clone();
        Callback::from(move |_| cb.emit(()))
    };
    html! {
        <div class="thead">
            <div class="hcell check">
                <input type="checkbox" checked={props.all_selected} onclick={toggle_all} aria-label="Select all" />
            </div>
            { for header }
        </div>
    }
}

#[function_component]
pub fn RunsTable(props: &Props) -> Html {
    let total = props.arranged.len();
    let RowWindow {
        rows,
        viewport,
        scroller,
        onscroll,
    } = use_row_window(total, BLOCK, 600.0);

    let cols = &props.columns;
    let (template, min_width) = table::grid_template(cols);
    let tz = dom::tz_offset_ms();
    let all_selected = total > 0 && props.selected.len() >= total && {
        let sel = &props.selected;
        props
            .arranged
            .iter()
            .all(|i| sel.contains(&props.list[*i].id))
    };

    // Rows live in fixed slots (position modulo the slot count), in slot order: a row that
    // leaves the top is reused for one entering at the bottom, so scrolling patches text
    // and never moves or rebuilds elements. Absolute positions give the visual order.
    let slots = table::slots(viewport, ROW_HEIGHT, OVERSCAN, BLOCK);
    let mut at: Vec<Option<usize>> = vec![None; slots];
    for pos in rows {
        at[pos % slots] = Some(pos);
    }
    let body = at.into_iter().enumerate().map(|(key, pos)| {
        let run = pos.map(|p| props.list[props.arranged[p]].clone());
        let selected = run
            .as_ref()
            .is_some_and(|r| props.selected.contains(&r.id));
        html! {
            <RunRow {key} {run} columns={props.columns.clone()} extremes={props.extremes.clone()} pos={pos.unwrap_or(0)} {selected} {tz}
                on_toggle={props.on_toggle.clone()} on_open={props.on_open.clone()} />
        }
    });
    html! {
        <div class="table-scroll" ref={scroller} {onscroll}>
            <div class="grid" style={format!("--cols:{template};min-width:{min_width}px")}>
                <Head columns={props.columns.clone()} order={props.order.clone()} {all_selected}
                    on_sort={props.on_sort.clone()} on_remove_column={props.on_remove_column.clone()}
                    on_toggle_all={props.on_toggle_all.clone()} />
                <div class="tbody" style={format!("height:{}px", total as f64 * ROW_HEIGHT)}>
                    { for body }
                </div>
            </div>
            { props.children.clone() }
        </div>
    }
}

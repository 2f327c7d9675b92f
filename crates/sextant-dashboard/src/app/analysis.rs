//! The analysis panel over the runs table: parallel coordinates (brushing filters the
//! table) or a scatter, for the runs the page's filters keep. Which view is open, its
//! axes and the scatter's choices are remembered per source (localStorage).

use std::rc::Rc;

use sextant_core::ExperimentInfo;
use yew::prelude::*;

use super::dom;
use super::parallel::ParallelCoordinates;
use super::scatter::Scatter;
use crate::view::analysis::{self, Brush, Brushes, Dim};
use crate::view::table::Keys;

const VIEW_KEY: &str = "sextant.analysis.view";

fn axes_key(source: &str) -> String {
    format!("sextant.parallel.{source}")
}

fn scatter_key(source: &str) -> String {
    format!("sextant.scatter.{source}")
}

#[derive(Clone, Copy, PartialEq)]
enum View {
    Closed,
    Parallel,
    Scatter,
}

impl View {
    fn load() -> View {
        match dom::local_get(VIEW_KEY).as_deref() {
            Some("parallel") => View::Parallel,
            Some("scatter") => View::Scatter,
            _ => View::Closed,
        }
    }

    fn name(self) -> &'static str {
        match self {
            View::Closed => "",
            View::Parallel => "parallel",
            View::Scatter => "scatter",
        }
    }
}

#[derive(Clone, PartialEq)]
struct ScatterChoice {
    x: Option<Dim>,
    y: Option<Dim>,
    log_x: bool,
    log_y: bool,
}

impl ScatterChoice {
    fn load(source: &str) -> ScatterChoice {
        let text = dom::local_get(&scatter_key(source)).unwrap_or_default();
        let mut parts = text.split('\n');
        ScatterChoice {
            x: parts.next().and_then(Dim::parse),
            y: parts.next().and_then(Dim::parse),
            log_x: parts.next() == Some("log"),
            log_y: parts.next() == Some("log"),
        }
    }

    fn save(&self, source: &str) {
        let id = |d: &Option<Dim>| d.as_ref().map(Dim::id).unwrap_or_default();
        let log = |b: bool| if b { "log" } else { "linear" };
        dom::local_set(
            &scatter_key(source),
            &format!(
                "{}\n{}\n{}\n{}",
                id(&self.x),
                id(&self.y),
                log(self.log_x),
                log(self.log_y)
            ),
        );
    }
}

#[derive(Properties)]
pub struct Props {
    pub list: Rc<Vec<Rc<ExperimentInfo>>>,
    /// Runs the page's filters keep (before brushing).
    pub filtered: Rc<Vec<usize>>,
    /// Runs inside every brush too (what the table shows).
    pub shown: Rc<Vec<usize>>,
    pub keys: Rc<Keys>,
    pub brushes: Rc<Brushes>,
    pub on_brushes: Callback<Rc<Brushes>>,
    /// The source's settings name.
    pub source: AttrValue,
    pub on_open: Callback<(String, bool)>,
}

/// Shared lists compare by identity (see the parallel coordinates' props).
impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.list, &o.list)
            && Rc::ptr_eq(&self.filtered, &o.filtered)
            && Rc::ptr_eq(&self.shown, &o.shown)
            && Rc::ptr_eq(&self.keys, &o.keys)
            && self.brushes == o.brushes
            && self.on_brushes == o.on_brushes
            && self.source == o.source
            && self.on_open == o.on_open
    }
}

#[function_component]
pub fn AnalysisPanel(props: &Props) -> Html {
    let view = use_state(View::load);
    let source = props.source.to_string();
    let dims = use_state(|| {
        dom::local_get(&axes_key(&source)).map(|saved| {
            saved
                .split('\n')
                .filter_map(Dim::parse)
                .collect::<Vec<Dim>>()
        })
    });
    let scatter = use_state(|| ScatterChoice::load(&source));
    let all_dims: Vec<Dim> = props
        .keys
        .params
        .iter()
        .cloned()
        .map(Dim::Param)
        .chain(props.keys.metrics.iter().cloned().map(Dim::Metric))
        .collect();
    // Until the user picks axes: params that vary, then metrics.
    let chosen: Rc<Vec<Dim>> = Rc::new(match &*dims {
        Some(d) => d.clone(),
        None => {
            let runs: Vec<&ExperimentInfo> = props.list.iter().map(|r| &**r).collect();
            analysis::default_dims(&runs, 6)
        }
    });

    let set_view = |v: View| {
        let view = view.clone();
        Callback::from(move |_| {
            let next = if *view == v { View::Closed } else { v };
            dom::local_set(VIEW_KEY, next.name());
            view.set(next);
        })
    };
    let on_brush = {
        let (brushes, on_brushes) = (props.brushes.clone(), props.on_brushes.clone());
        Callback::from(move |(dim, brush): (Dim, Option<Brush>)| {
            on_brushes.emit(Rc::new(brushes.with(&dim, brush)))
        })
    };
    let clear = {
        let on_brushes = props.on_brushes.clone();
        Callback::from(move |_| on_brushes.emit(Rc::new(Brushes::default())))
    };
    let toggle_dim = |d: Dim| {
        let on = chosen.contains(&d);
        let (dims, chosen, source) = (dims.clone(), chosen.clone(), source.clone());
        let onchange = Callback::from(move |_| {
            let mut next: Vec<Dim> = (*chosen).clone();
            if on {
                next.retain(|x| *x != d);
            } else {
                next.push(d.clone());
            }
            let ids: Vec<String> = next.iter().map(Dim::id).collect();
            dom::local_set(&axes_key(&source), &ids.join("\n"));
            dims.set(Some(next));
        });
        (on, onchange)
    };
    let axis_picker = html! {
        <details class="picker axes-picker">
            <summary class="btn small">{ format!("Axes ({})", chosen.len()) }</summary>
            <div class="picker-body">
                <h4>{ "Params" }</h4>
                { for all_dims.iter().filter(|d| matches!(d, Dim::Param(_))).map(|d| {
                    let (on, onchange) = toggle_dim(d.clone());
                    html! { <label class="pick" data-dim={d.id()}><input type="checkbox" checked={on} {onchange} />{ d.title().to_string() }</label> }
                }) }
                <h4>{ "Metrics (last value)" }</h4>
                { for all_dims.iter().filter(|d| matches!(d, Dim::Metric(_))).map(|d| {
                    let (on, onchange) = toggle_dim(d.clone());
                    html! { <label class="pick" data-dim={d.id()}><input type="checkbox" checked={on} {onchange} />{ d.title().to_string() }</label> }
                }) }
            </div>
        </details>
    };

    let metrics: Vec<Dim> = all_dims
        .iter()
        .filter(|d| matches!(d, Dim::Metric(_)))
        .cloned()
        .collect();
    let x = scatter
        .x
        .clone()
        .filter(|d| all_dims.contains(d))
        .or_else(|| chosen.iter().find(|d| matches!(d, Dim::Param(_))).cloned())
        .or_else(|| all_dims.first().cloned());
    let y = scatter
        .y
        .clone()
        .filter(|d| metrics.contains(d))
        .or_else(|| metrics.last().cloned());
    let select = |options: &[Dim],
                  current: &Option<Dim>,
                  class: &'static str,
                  set: fn(&mut ScatterChoice, Option<Dim>)| {
        let (scatter, source) = (scatter.clone(), source.clone());
        let onchange = Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                let mut next = (*scatter).clone();
                set(&mut next, Dim::parse(&s.value()));
                next.save(&source);
                scatter.set(next);
            }
        });
        html! {
            <select class={class} {onchange}>
                { for options.iter().map(|d| html! {
                    <option value={d.id()} selected={Some(d) == current.as_ref()}>
                        { format!("{} {}", if matches!(d, Dim::Param(_)) { "⚙" } else { "∿" }, d.title()) }
                    </option>
                }) }
            </select>
        }
    };
    let log_toggle = |on: bool, label: &'static str, set: fn(&mut ScatterChoice, bool)| {
        let (scatter, source) = (scatter.clone(), source.clone());
        let onchange = Callback::from(move |_| {
            let mut next = (*scatter).clone();
            set(&mut next, !on);
            next.save(&source);
            scatter.set(next);
        });
        html! { <label class="control"><input type="checkbox" checked={on} {onchange} />{ label }</label> }
    };

    let tab = |v: View, label: &'static str| {
        html! {
            <button class={classes!("btn", "small", (*view == v).then_some("active"))} onclick={set_view(v)}
                aria-pressed={(*view == v).to_string()}>{ label }</button>
        }
    };
    let brushed = !props.brushes.is_empty();
    html! {
        <section class={classes!("analysis", (*view != View::Closed).then_some("open"))}>
            <div class="analysis-bar">
                { tab(View::Parallel, "Parallel coordinates") }
                { tab(View::Scatter, "Scatter") }
                if *view == View::Parallel { { axis_picker } }
                if *view == View::Scatter {
                    <>
                        <label class="control">{ "x" }{ select(&all_dims, &x, "scatter-x", |s, d| s.x = d) }</label>
                        { log_toggle(scatter.log_x, "log x", |s, b| s.log_x = b) }
                        <label class="control">{ "y" }{ select(&metrics, &y, "scatter-y", |s, d| s.y = d) }</label>
                        { log_toggle(scatter.log_y, "log y", |s, b| s.log_y = b) }
                    </>
                }
                <div class="spacer"></div>
                if brushed {
                    <>
                        <span class="brush-note">{ format!("{} of {} runs in the brushed ranges", props.shown.len(), props.filtered.len()) }</span>
                        <button class="btn small ghost clear-brushes" onclick={clear}>{ "Clear brushes" }</button>
                    </>
                }
            </div>
            if *view == View::Parallel {
                <ParallelCoordinates list={props.list.clone()} runs={props.filtered.clone()} dims={chosen.clone()}
                    brushes={props.brushes.clone()} {on_brush} />
            }
            if *view == View::Scatter {
                if let (Some(x), Some(y)) = (x, y) {
                    <Scatter list={props.list.clone()} runs={props.shown.clone()} {x} {y}
                        log_x={scatter.log_x} log_y={scatter.log_y} on_open={props.on_open.clone()} />
                } else {
                    <p class="muted">{ "A scatter needs a metric: none is logged yet." }</p>
                }
            }
        </section>
    }
}

//! Parallel coordinates in SVG: one vertical axis per chosen param or metric, one line
//! per run. Dragging along an axis brushes a range there (the runs table keeps only the
//! runs inside every brush); a click on an axis clears its brush.

use std::rc::Rc;

use sextant_core::ExperimentInfo;
use yew::prelude::*;

use super::identity::ByPtr;
use super::width::use_width;
use crate::view::analysis::{Axis, Brush, Brushes, Dim};

const HEIGHT: f64 = 300.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 16.0;
const SIDE: f64 = 56.0;
/// Above this many highlighted runs, they are drawn as one path (one colour).
const PER_RUN_LINES: usize = 1000;
/// A press that moves less than this (pixels) is a click.
const CLICK: f64 = 3.0;

#[derive(Properties)]
pub struct Props {
    pub list: Rc<Vec<Rc<ExperimentInfo>>>,
    /// The runs to draw (indices into `list`): those the page's filters keep.
    pub runs: Rc<Vec<usize>>,
    pub dims: Rc<Vec<Dim>>,
    pub brushes: Rc<Brushes>,
    /// A dimension's new brush, or `None` to clear it.
    pub on_brush: Callback<(Dim, Option<Brush>)>,
}

/// The run list compares by identity (a changed list is a new `Rc`): comparing 10,000
/// runs field by field on every render of the page would cost more than the render.
impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.list, &o.list)
            && Rc::ptr_eq(&self.runs, &o.runs)
            && self.dims == o.dims
            && self.brushes == o.brushes
            && self.on_brush == o.on_brush
    }
}

#[derive(Clone, Copy, PartialEq)]
struct Drag {
    axis: usize,
    from: f64,
    to: f64,
}

fn plot_bottom() -> f64 {
    HEIGHT - BOTTOM
}

/// Pixel y of a position in `[0, 1]`.
fn y_of(u: f64) -> f64 {
    plot_bottom() - u * (plot_bottom() - TOP)
}

fn u_of(y: f64) -> f64 {
    ((plot_bottom() - y) / (plot_bottom() - TOP)).clamp(0.0, 1.0)
}

/// A colour along blue → orange for a position in `[0, 1]` (the last axis's value).
fn ramp(u: f64) -> String {
    format!("hsl({:.0} 75% 50%)", 220.0 - 190.0 * u.clamp(0.0, 1.0))
}

#[function_component]
pub fn ParallelCoordinates(props: &Props) -> Html {
    let node = use_node_ref();
    let svg = use_node_ref();
    let width = use_width(node.clone()).max(320.0);
    // Handlers read and write the drag synchronously (a state handle would show them the
    // value of the render they were made in, which lags fast gestures).
    let drag = use_mut_ref(|| None::<Drag>);
    let redraw = use_force_update();
    let axes = use_memo(
        (
            props.dims.clone(),
            ByPtr(props.runs.clone()),
            ByPtr(props.list.clone()),
        ),
        {
            let (list, runs) = (props.list.clone(), props.runs.clone());
            move |(dims, _, _)| {
                let shown: Vec<&ExperimentInfo> = runs.iter().map(|i| &*list[*i]).collect();
                dims.iter()
                    .map(|d| Axis::new(d, &shown, false))
                    .collect::<Vec<Axis>>()
            }
        },
    );
    let n = axes.len();
    let x_of = |i: usize| {
        if n <= 1 {
            width / 2.0
        } else {
            SIDE + i as f64 * (width - 2.0 * SIDE) / (n - 1) as f64
        }
    };
    let kept: Vec<bool> = props
        .runs
        .iter()
        .map(|i| props.brushes.matches(&props.list[*i]))
        .collect();
    let n_kept = kept.iter().filter(|k| **k).count();

    // A run's line, broken where it has no value.
    let path_of = |row: usize| {
        let mut d = String::new();
        let mut pen = false;
        for (i, a) in axes.iter().enumerate() {
            match a.units[row] {
                Some(u) => {
                    d.push_str(&format!(
                        "{}{:.1} {:.1} ",
                        if pen { "L" } else { "M" },
                        x_of(i),
                        y_of(u)
                    ));
                    pen = true;
                }
                None => pen = false,
            }
        }
        d
    };
    let faded: String = (0..props.runs.len())
        .filter(|r| !kept[*r])
        .map(path_of)
        .collect();
    let bright = if n_kept <= PER_RUN_LINES {
        (0..props.runs.len())
            .filter(|r| kept[*r])
            .map(|r| {
                let color = axes
                    .last()
                    .and_then(|a| a.units[r])
                    .map_or("var(--muted)".to_string(), ramp);
                let run = &props.list[props.runs[r]];
                html! {
                    <path class="pc-line" d={path_of(r)} stroke={color} data-id={run.id.clone()}>
                        <title>{ run.name.clone() }</title>
                    </path>
                }
            })
            .collect::<Html>()
    } else {
        let d: String = (0..props.runs.len())
            .filter(|r| kept[*r])
            .map(path_of)
            .collect();
        html! { <path class="pc-line" d={d} stroke="var(--accent)" /> }
    };

    let mouse_y = {
        let svg = svg.clone();
        move |e: &MouseEvent| {
            let top = svg
                .cast::<web_sys::Element>()
                .map_or(0.0, |el| el.get_bounding_client_rect().top());
            f64::from(e.client_y()) - top
        }
    };
    let on_move = {
        let (drag, redraw) = (drag.clone(), redraw.clone());
        let mouse_y = mouse_y.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(d) = drag.borrow_mut().as_mut() {
                d.to = mouse_y(&e);
            } else {
                return;
            }
            redraw.force_update();
        })
    };
    let finish = {
        let (drag, redraw) = (drag.clone(), redraw.clone());
        let axes = axes.clone();
        let on_brush = props.on_brush.clone();
        let mouse_y = mouse_y.clone();
        Callback::from(move |e: MouseEvent| {
            let Some(d) = drag.borrow_mut().take() else {
                return;
            };
            redraw.force_update();
            let Some(axis) = axes.get(d.axis) else {
                return;
            };
            let to = mouse_y(&e);
            if (to - d.from).abs() < CLICK {
                on_brush.emit((axis.dim.clone(), None));
            } else {
                on_brush.emit((axis.dim.clone(), Some(axis.brush(u_of(d.from), u_of(to)))));
            }
        })
    };

    let axis_views = axes.iter().enumerate().map(|(i, a)| {
        let x = x_of(i);
        let ticks = a.ticks(6).into_iter().map(|(u, label)| {
            let y = y_of(u);
            html! {
                <g class="pc-tick">
                    <line x1="-4" x2="0" y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
                    <text x="-7" y={format!("{y:.1}")}>{ label }</text>
                </g>
            }
        });
        let live = (*drag.borrow())
            .filter(|d| d.axis == i)
            .map(|d| (u_of(d.from), u_of(d.to)));
        let brushed = live.or_else(|| {
            props
                .brushes
                .0
                .get(&a.dim)
                .and_then(|b| a.brush_units(b))
        });
        let brush_rect = brushed.map(|(lo, hi)| {
            let (y1, y2) = (y_of(lo.max(hi)), y_of(lo.min(hi)));
            html! { <rect class="pc-brush" x="-8" width="16" y={format!("{y1:.1}")} height={format!("{:.1}", (y2 - y1).max(1.0))} /> }
        });
        let down = {
            let (drag, redraw) = (drag.clone(), redraw.clone());
            let mouse_y = mouse_y.clone();
            Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                let y = mouse_y(&e);
                *drag.borrow_mut() = Some(Drag {
                    axis: i,
                    from: y,
                    to: y,
                });
                redraw.force_update();
            })
        };
        let title = a.dim.title().to_string();
        let kind = match a.dim {
            Dim::Param(_) => "param",
            Dim::Metric(_) => "metric",
        };
        html! {
            <g class={classes!("pc-axis", kind)} data-dim={a.dim.id()} transform={format!("translate({x:.1},0)")}>
                <text class="pc-title" y={format!("{}", TOP - 22.0)}>
                    <title>{ title.clone() }</title>{ shorten(&title, 22) }
                </text>
                <line class="pc-axis-line" y1={format!("{TOP}")} y2={format!("{}", plot_bottom())} />
                { for ticks }
                { brush_rect.unwrap_or_default() }
                <rect class="pc-hit" x="-14" width="28" y={format!("{}", TOP - 4.0)}
                    height={format!("{}", plot_bottom() - TOP + 8.0)} onmousedown={down}>
                    <title>{ "Drag to brush a range; click to clear" }</title>
                </rect>
            </g>
        }
    });

    html! {
        <div class="parallel" ref={node} data-runs={props.runs.len().to_string()} data-kept={n_kept.to_string()}>
            if n == 0 {
                <p class="muted">{ "Choose the params and metrics to show as axes." }</p>
            }
            <svg ref={svg} width={format!("{width:.0}")} height={format!("{HEIGHT}")}
                onmousemove={on_move} onmouseup={finish.clone()} onmouseleave={finish}
                role="img" aria-label="parallel coordinates of the filtered runs">
                <path class="pc-line faded" d={faded} />
                { bright }
                { for axis_views }
            </svg>
        </div>
    }
}

/// `text` cut to `max` characters with an ellipsis (axis titles share the width).
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{keep}…")
}

//! A scatter in SVG: any param or metric across, a metric up, one point per run. Hover
//! names the nearest run with both values; a click opens it.

use std::rc::Rc;

use sextant_core::ExperimentInfo;
use yew::prelude::*;

use super::identity::ByPtr;
use super::width::use_width;
use crate::view::analysis::{self, Axis, Dim};

const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 18.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;
/// How far (pixels) from a point the mouse may be to hover it.
const REACH: f64 = 12.0;

#[derive(Properties)]
pub struct Props {
    pub list: Rc<Vec<Rc<ExperimentInfo>>>,
    /// The runs to draw (indices into `list`).
    pub runs: Rc<Vec<usize>>,
    pub x: Dim,
    pub y: Dim,
    #[prop_or_default]
    pub log_x: bool,
    #[prop_or_default]
    pub log_y: bool,
    /// A run's id, and whether to open it in a new tab.
    pub on_open: Callback<(String, bool)>,
}

/// The run list compares by identity, as in the parallel coordinates.
impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.list, &o.list)
            && Rc::ptr_eq(&self.runs, &o.runs)
            && self.x == o.x
            && self.y == o.y
            && self.log_x == o.log_x
            && self.log_y == o.log_y
            && self.on_open == o.on_open
    }
}

#[function_component]
pub fn Scatter(props: &Props) -> Html {
    let node = use_node_ref();
    let svg = use_node_ref();
    let width = use_width(node.clone()).max(320.0);
    let hover = use_state_eq(|| None::<usize>);
    let axes = use_memo(
        (
            props.x.clone(),
            props.y.clone(),
            props.log_x,
            props.log_y,
            ByPtr(props.runs.clone()),
            ByPtr(props.list.clone()),
        ),
        {
            let (list, runs) = (props.list.clone(), props.runs.clone());
            move |(x, y, log_x, log_y, _, _)| {
                let shown: Vec<&ExperimentInfo> = runs.iter().map(|i| &*list[*i]).collect();
                (Axis::new(x, &shown, *log_x), Axis::new(y, &shown, *log_y))
            }
        },
    );
    let (ax, ay) = &*axes;
    let (right, bottom) = (width - RIGHT, HEIGHT - BOTTOM);
    let px = |u: f64| LEFT + u * (right - LEFT);
    let py = |u: f64| bottom - u * (bottom - TOP);
    let points: Vec<Option<(f64, f64)>> = ax
        .units
        .iter()
        .zip(&ay.units)
        .map(|(u, v)| Some((px((*u)?), py((*v)?))))
        .collect();
    let missing = points.iter().filter(|p| p.is_none()).count();

    let mouse = {
        let svg = svg.clone();
        move |e: &MouseEvent| {
            let r = svg
                .cast::<web_sys::Element>()
                .map(|el| el.get_bounding_client_rect());
            let (left, top) = r.map_or((0.0, 0.0), |r| (r.left(), r.top()));
            (
                f64::from(e.client_x()) - left,
                f64::from(e.client_y()) - top,
            )
        }
    };
    let onmousemove = {
        let hover = hover.clone();
        let points = points.clone();
        let mouse = mouse.clone();
        Callback::from(move |e: MouseEvent| {
            let (x, y) = mouse(&e);
            hover.set(analysis::nearest(&points, x, y, REACH));
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_| hover.set(None))
    };
    let onclick = {
        let (list, runs, on_open) = (
            props.list.clone(),
            props.runs.clone(),
            props.on_open.clone(),
        );
        let points = points.clone();
        let mouse = mouse.clone();
        // The point under the click itself, not the last hovered one (a handler sees the
        // state of the render it was made in).
        Callback::from(move |e: MouseEvent| {
            let (x, y) = mouse(&e);
            if let Some(i) = analysis::nearest(&points, x, y, REACH) {
                if let Some(run) = runs.get(i).and_then(|r| list.get(*r)) {
                    on_open.emit((run.id.clone(), e.ctrl_key() || e.meta_key()));
                }
            }
        })
    };
    let x_ticks = ax.ticks(7).into_iter().map(|(u, label)| {
        let x = px(u);
        html! {
            <g class="sc-tick x">
                <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={format!("{TOP}")} y2={format!("{bottom}")} />
                <text x={format!("{x:.1}")} y={format!("{}", bottom + 14.0)}>{ label }</text>
            </g>
        }
    });
    let y_ticks = ay.ticks(6).into_iter().map(|(u, label)| {
        let y = py(u);
        html! {
            <g class="sc-tick y">
                <line x1={format!("{LEFT}")} x2={format!("{right:.1}")} y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
                <text x={format!("{}", LEFT - 6.0)} y={format!("{y:.1}")}>{ label }</text>
            </g>
        }
    });
    let dots = points.iter().enumerate().filter_map(|(i, p)| {
        let (x, y) = (*p)?;
        let run = &props.list[props.runs[i]];
        let hot = *hover == Some(i);
        Some(html! {
            <circle class={classes!("sc-pt", hot.then_some("hot"))} cx={format!("{x:.1}")} cy={format!("{y:.1}")}
                r={if hot { "6" } else { "4" }} data-id={run.id.clone()} />
        })
    });
    let tip = (*hover).and_then(|i| {
        let (x, y) = points.get(i).copied().flatten()?;
        let run = &props.list[*props.runs.get(i)?];
        let flip = x > width / 2.0;
        let style = if flip {
            format!("right:{:.0}px;top:{:.0}px", width - x + 12.0, y + 8.0)
        } else {
            format!("left:{:.0}px;top:{:.0}px", x + 12.0, y + 8.0)
        };
        Some(html! {
            <div class="tooltip scatter-tip" {style}>
                <div class="tt-head">{ run.name.clone() }</div>
                <div class="tt-row"><span class="tt-name">{ ax.dim.title().to_string() }</span>
                    <span class="tt-val">{ analysis::show(&ax.dim, run) }</span></div>
                <div class="tt-row"><span class="tt-name">{ ay.dim.title().to_string() }</span>
                    <span class="tt-val">{ analysis::show(&ay.dim, run) }</span></div>
            </div>
        })
    });
    let drawn = points.len() - missing;
    html! {
        <div class="scatter" ref={node} data-points={drawn.to_string()}>
            <svg ref={svg} width={format!("{width:.0}")} height={format!("{HEIGHT}")}
                {onmousemove} {onmouseleave} {onclick}
                class={classes!(hover.is_some().then_some("pointing"))}
                role="img" aria-label={format!("{} against {}", ay.dim.title(), ax.dim.title())}>
                { for y_ticks }
                { for x_ticks }
                <line class="sc-axis" x1={format!("{LEFT}")} x2={format!("{right:.1}")} y1={format!("{bottom}")} y2={format!("{bottom}")} />
                <text class="sc-label x" x={format!("{:.1}", (LEFT + right) / 2.0)} y={format!("{}", HEIGHT - 4.0)}>{ ax.dim.title().to_string() }</text>
                <text class="sc-label y" transform={format!("translate(12,{:.1}) rotate(-90)", (TOP + bottom) / 2.0)}>{ ay.dim.title().to_string() }</text>
                { for dots }
            </svg>
            { tip.unwrap_or_default() }
            if missing > 0 {
                <p class="muted small">{ format!("{missing} of {} runs lack a value on one of the axes (or it is NaN or infinite) and are not drawn.", points.len()) }</p>
            }
        </div>
    }
}

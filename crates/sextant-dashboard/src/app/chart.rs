//! A line chart on a canvas (hand-drawn: lighter than a plotting library). The main canvas
//! holds axes and lines and is redrawn only when data or settings change; an overlay
//! canvas holds the crosshair and the zoom selection, so hovering stays cheap.
//!
//! Gestures: drag to zoom into a range, shift-drag to pan, wheel (with Ctrl/⌘, or once
//! the chart has focus) to zoom around the cursor, double-click to reset.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use super::dom;
use crate::view::format;
use crate::view::grouping::Band;
use crate::view::scale::{Interval, Scale};
use crate::view::series::{Prepared, XAxis};
use crate::view::ticks;

/// One line to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawSeries {
    pub name: String,
    pub color: &'static str,
    pub data: Rc<Prepared>,
    /// A group's min–max band around its mean line (`data`), at `data`'s x positions.
    pub band: Option<Rc<Band>>,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub series: Rc<Vec<DrawSeries>>,
    pub window: Option<Interval>,
    pub on_window: Callback<Option<Interval>>,
    pub x_axis: XAxis,
    pub log_y: bool,
    /// Smoothing on: raw lines are drawn faint behind the smoothed ones.
    pub smoothed: bool,
    pub height: u32,
    pub label: AttrValue,
    /// Told after each paint that showed data (first-paint and re-query timings).
    #[prop_or_default]
    pub on_paint: Callback<()>,
    /// Bumped by the page when the theme changes, so colours are read again.
    #[prop_or_default]
    pub theme: bool,
}

const LEFT: f64 = 54.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

/// Where the last paint put things, for turning mouse positions into data.
#[derive(Clone, Copy)]
struct Layout {
    x: Scale,
    y: Scale,
    full_x: Interval,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

enum Drag {
    Zoom { from_px: f64, to_px: f64 },
    Pan { last_px: f64 },
}

pub enum Msg {
    Down(MouseEvent),
    Move(MouseEvent),
    Up,
    Leave,
    Wheel(WheelEvent),
    Reset,
    Focus(bool),
    Resized,
}

pub struct Chart {
    canvas: NodeRef,
    overlay: NodeRef,
    layout: Option<Layout>,
    hover_px: Option<f64>,
    drag: Option<Drag>,
    focused: bool,
    dirty: bool,
    drawn_width: f64,
    _resize: Option<ResizeWatch>,
}

/// Redraws when the chart's box changes width (window resize, sidebar, grid reflow).
struct ResizeWatch {
    observer: web_sys::ResizeObserver,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl Drop for ResizeWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// Sizes the backing store for the device pixel ratio; returns the CSS size.
fn fit(canvas: &HtmlCanvasElement, height: f64) -> (f64, f64, f64) {
    let dpr = dom::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0);
    let w = f64::from(canvas.client_width()).max(50.0);
    let (bw, bh) = ((w * dpr).round() as u32, (height * dpr).round() as u32);
    if canvas.width() != bw {
        canvas.set_width(bw);
    }
    if canvas.height() != bh {
        canvas.set_height(bh);
    }
    (w, height, dpr)
}

fn x_label(v: f64, step: f64, axis: XAxis) -> String {
    match axis {
        XAxis::Step => format::tick(v, step),
        XAxis::WallTime => format::clock(v, step, dom::tz_offset_ms()),
        XAxis::Relative => format::elapsed_ms(v),
    }
}

impl Chart {
    fn full_x(series: &[DrawSeries]) -> Option<Interval> {
        Interval::covering(
            series
                .iter()
                .filter_map(|s| s.data.x_extent())
                .flat_map(|i| [i.lo, i.hi]),
        )
    }

    fn paint(&mut self, ctx: &Context<Self>) {
        let props = ctx.props();
        let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() else {
            return;
        };
        let Some(g) = context_2d(&canvas) else {
            return;
        };
        let (w, h, dpr) = fit(&canvas, f64::from(props.height));
        self.drawn_width = w;
        let _ = g.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        g.clear_rect(0.0, 0.0, w, h);
        let text = dom::css_var("--chart-text");
        let grid = dom::css_var("--chart-grid");
        let axis = dom::css_var("--chart-axis");
        g.set_font("11px system-ui, -apple-system, Segoe UI, sans-serif");

        let Some(full_x) = Self::full_x(&props.series) else {
            self.layout = None;
            g.set_fill_style_str(&text);
            g.set_text_align("center");
            let _ = g.fill_text("no points yet", w / 2.0, h / 2.0);
            return;
        };
        let window = props.window.unwrap_or(full_x);
        let y_range = Interval::covering(
            props
                .series
                .iter()
                .filter_map(|s| s.data.y_extent(window, props.log_y))
                .flat_map(|i| [i.lo, i.hi]),
        )
        .unwrap_or(Interval::new(0.0, 1.0));
        // Bands reach past their mean lines: the axis covers them too.
        let y_range = Interval::covering(
            props
                .series
                .iter()
                .filter_map(|s| s.band.as_ref())
                .flat_map(|b| band_values(b, window, props.log_y))
                .chain([y_range.lo, y_range.hi]),
        )
        .unwrap_or(y_range);
        let (left, right, top, bottom) = (LEFT, w - RIGHT, TOP, h - BOTTOM);
        let x = Scale::linear(window, left, right);
        let y = if props.log_y {
            Scale::log(y_range.padded_log(0.05), bottom, top)
        } else {
            Scale::linear(y_range.padded(0.06), bottom, top)
        };
        self.layout = Some(Layout {
            x,
            y,
            full_x,
            left,
            right,
            top,
            bottom,
        });

        // Grid and tick labels.
        g.set_line_width(1.0);
        g.set_stroke_style_str(&grid);
        g.set_fill_style_str(&text);
        let y_ticks: Vec<(f64, String)> = if props.log_y {
            ticks::log(y.domain, 7)
                .into_iter()
                .map(|v| (v, format::value(v)))
                .collect()
        } else {
            let (t, step) = ticks::linear(y.domain, 7);
            t.into_iter().map(|v| (v, format::tick(v, step))).collect()
        };
        g.set_text_align("right");
        g.set_text_baseline("middle");
        for (v, label) in &y_ticks {
            if let Some(py) = y.to_px(*v) {
                let py = py.round() + 0.5;
                g.begin_path();
                g.move_to(left, py);
                g.line_to(right, py);
                g.stroke();
                let _ = g.fill_text(label, left - 6.0, py);
            }
        }
        // 4 to 7 ticks whatever the width (nice_step's guarantee for at most 7).
        let max_x_ticks = ((right - left) / 60.0).clamp(5.0, 7.0) as usize;
        let (x_ticks, x_step) = match props.x_axis {
            XAxis::Step => ticks::linear(window, max_x_ticks),
            XAxis::WallTime => ticks::time(window, max_x_ticks, dom::tz_offset_ms() as f64),
            XAxis::Relative => ticks::time(window, max_x_ticks, 0.0),
        };
        g.set_text_align("center");
        g.set_text_baseline("top");
        for v in &x_ticks {
            if let Some(px) = x.to_px(*v) {
                let px = px.round() + 0.5;
                g.begin_path();
                g.move_to(px, top);
                g.line_to(px, bottom);
                g.stroke();
                let _ = g.fill_text(&x_label(*v, x_step, props.x_axis), px, bottom + 6.0);
            }
        }
        g.set_stroke_style_str(&axis);
        g.begin_path();
        g.move_to(left, bottom + 0.5);
        g.line_to(right, bottom + 0.5);
        g.stroke();

        // Lines, clipped to the plot.
        g.save();
        g.begin_path();
        g.rect(left, top - 2.0, right - left, bottom - top + 4.0);
        g.clip();
        g.set_line_join("round");
        for s in props.series.iter() {
            if let Some(b) = &s.band {
                g.set_global_alpha(0.16);
                fill_band(&g, &x, &y, b, s.color);
                g.set_global_alpha(1.0);
            }
        }
        for s in props.series.iter() {
            let (a, b) = s.data.index_window(window);
            if props.smoothed {
                g.set_global_alpha(0.22);
                g.set_line_width(1.0);
                stroke_line(&g, &x, &y, &s.data.xs[a..b], &s.data.raw[a..b], s.color);
                g.set_global_alpha(1.0);
                g.set_line_width(1.75);
                stroke_line(&g, &x, &y, &s.data.xs[a..b], &s.data.smooth[a..b], s.color);
            } else {
                g.set_global_alpha(1.0);
                g.set_line_width(1.5);
                stroke_line(&g, &x, &y, &s.data.xs[a..b], &s.data.raw[a..b], s.color);
            }
        }
        g.restore();
        if props.series.iter().any(|s| !s.data.xs.is_empty()) {
            props.on_paint.emit(());
        }
    }

    fn paint_overlay(&self, ctx: &Context<Self>) {
        let Some(canvas) = self.overlay.cast::<HtmlCanvasElement>() else {
            return;
        };
        let Some(g) = context_2d(&canvas) else {
            return;
        };
        let (w, h, dpr) = fit(&canvas, f64::from(ctx.props().height));
        let _ = g.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        g.clear_rect(0.0, 0.0, w, h);
        let Some(l) = self.layout else {
            return;
        };
        if let Some(Drag::Zoom { from_px, to_px }) = &self.drag {
            let (a, b) = (from_px.min(*to_px), from_px.max(*to_px));
            g.set_fill_style_str(&dom::css_var("--chart-select"));
            g.fill_rect(a, l.top, b - a, l.bottom - l.top);
            return;
        }
        let Some(px) = self.hover_px else {
            return;
        };
        g.set_stroke_style_str(&dom::css_var("--chart-axis"));
        g.set_line_width(1.0);
        g.begin_path();
        g.move_to(px.round() + 0.5, l.top);
        g.line_to(px.round() + 0.5, l.bottom);
        g.stroke();
        let props = ctx.props();
        let xv = l.x.from_px(px);
        for s in props.series.iter() {
            let Some(i) = s.data.nearest(xv) else {
                continue;
            };
            let v = if props.smoothed {
                s.data.smooth[i]
            } else {
                s.data.raw[i]
            };
            if let (Some(cx), Some(cy)) = (l.x.to_px(s.data.xs[i]), l.y.to_px(v)) {
                g.set_fill_style_str(s.color);
                g.begin_path();
                let _ = g.arc(cx, cy, 3.5, 0.0, std::f64::consts::TAU);
                g.fill();
            }
        }
    }

    fn mouse_x(e: &MouseEvent) -> f64 {
        f64::from(e.offset_x())
    }
}

/// A band's lows and highs inside an x window (finite, positive on a log axis).
fn band_values(b: &Band, window: Interval, log: bool) -> Vec<f64> {
    b.xs.iter()
        .zip(b.lo.iter().zip(&b.hi))
        .filter(|(x, _)| window.contains(**x))
        .flat_map(|(_, (lo, hi))| [*lo, *hi])
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .collect()
}

/// Fills a band between its lows and highs, one polygon per stretch of x where both
/// can be shown.
fn fill_band(g: &CanvasRenderingContext2d, x: &Scale, y: &Scale, b: &Band, color: &str) {
    g.set_fill_style_str(color);
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64, f64)>| {
        if run.len() >= 2 {
            g.begin_path();
            g.move_to(run[0].0, run[0].1);
            for p in run.iter().skip(1) {
                g.line_to(p.0, p.1);
            }
            for p in run.iter().rev() {
                g.line_to(p.0, p.2);
            }
            g.close_path();
            g.fill();
        }
        run.clear();
    };
    for ((xv, lo), hi) in b.xs.iter().zip(&b.lo).zip(&b.hi) {
        match (x.to_px(*xv), y.to_px(*lo), y.to_px(*hi)) {
            (Some(px), Some(plo), Some(phi)) => run.push((px, plo, phi)),
            _ => flush(&mut run),
        }
    }
    flush(&mut run);
}

/// Strokes a polyline, breaking it at values the scale cannot show (NaN, ≤ 0 on log).
fn stroke_line(
    g: &CanvasRenderingContext2d,
    x: &Scale,
    y: &Scale,
    xs: &[f64],
    ys: &[f64],
    color: &str,
) {
    g.set_stroke_style_str(color);
    g.begin_path();
    let mut pen_down = false;
    let mut drawn = 0usize;
    let mut last = (0.0, 0.0);
    for (xv, yv) in xs.iter().zip(ys) {
        let (Some(px), Some(py)) = (x.to_px(*xv), y.to_px(*yv)) else {
            pen_down = false;
            continue;
        };
        if pen_down {
            g.line_to(px, py);
        } else {
            g.move_to(px, py);
            pen_down = true;
        }
        last = (px, py);
        drawn += 1;
    }
    g.stroke();
    if drawn == 1 {
        g.set_fill_style_str(color);
        g.begin_path();
        let _ = g.arc(last.0, last.1, 2.5, 0.0, std::f64::consts::TAU);
        g.fill();
    }
}

impl Component for Chart {
    type Message = Msg;
    type Properties = Props;

    fn create(_: &Context<Self>) -> Self {
        Chart {
            canvas: NodeRef::default(),
            overlay: NodeRef::default(),
            layout: None,
            hover_px: None,
            drag: None,
            focused: false,
            dirty: true,
            drawn_width: 0.0,
            _resize: None,
        }
    }

    fn changed(&mut self, _: &Context<Self>, _: &Props) -> bool {
        self.dirty = true;
        true
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let Some(l) = self.layout else {
            if let Msg::Resized = msg {
                self.dirty = true;
                return true;
            }
            return false;
        };
        let props = ctx.props();
        match msg {
            Msg::Down(e) => {
                let px = Self::mouse_x(&e);
                if e.button() != 0 || px < l.left || px > l.right {
                    return false;
                }
                e.prevent_default();
                self.drag = Some(if e.shift_key() {
                    Drag::Pan { last_px: px }
                } else {
                    Drag::Zoom {
                        from_px: px,
                        to_px: px,
                    }
                });
            }
            Msg::Move(e) => {
                let px = Self::mouse_x(&e).clamp(l.left, l.right);
                match &mut self.drag {
                    Some(Drag::Zoom { to_px, .. }) => *to_px = px,
                    Some(Drag::Pan { last_px }) => {
                        let delta = l.x.from_px(*last_px) - l.x.from_px(px);
                        *last_px = px;
                        let moved = l.x.domain.shift(delta).within(l.full_x);
                        props.on_window.emit(Some(moved));
                    }
                    None => {}
                }
                self.hover_px = Some(px);
                self.paint_overlay(ctx);
                return self.drag.is_none();
            }
            Msg::Up => {
                if let Some(Drag::Zoom { from_px, to_px }) = self.drag.take() {
                    if (from_px - to_px).abs() >= 4.0 {
                        let w = Interval::new(l.x.from_px(from_px), l.x.from_px(to_px));
                        props.on_window.emit(Some(w));
                    }
                }
                self.drag = None;
                self.paint_overlay(ctx);
            }
            Msg::Leave => {
                self.drag = None;
                self.hover_px = None;
                self.paint_overlay(ctx);
                return true;
            }
            Msg::Wheel(e) => {
                if !(self.focused || e.ctrl_key() || e.meta_key()) {
                    return false;
                }
                let px = f64::from(e.offset_x());
                if px < l.left || px > l.right {
                    return false;
                }
                e.prevent_default();
                let factor = (e.delta_y() * 0.0015).exp();
                let next = l.x.domain.zoom(l.x.from_px(px), factor);
                if next.width() >= l.full_x.width() {
                    props.on_window.emit(None);
                } else {
                    props.on_window.emit(Some(next.within(l.full_x)));
                }
            }
            Msg::Reset => props.on_window.emit(None),
            Msg::Focus(f) => {
                self.focused = f;
                return true;
            }
            Msg::Resized => {
                self.dirty = true;
                return true;
            }
        }
        false
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let props = ctx.props();
        let link = ctx.link();
        let height = format!("height:{}px", props.height);
        let tooltip = self.tooltip(ctx);
        html! {
            <div class={classes!("chart", self.focused.then_some("focused"))} style={height.clone()}
                 data-series-count={props.series.len().to_string()}
                 data-points={props.series.iter().map(|s| s.data.xs.len()).sum::<usize>().to_string()}>
                <canvas class="layer" ref={self.canvas.clone()} style={height.clone()}
                    aria-label={props.label.clone()} role="img"></canvas>
                <canvas class="layer overlay" ref={self.overlay.clone()} style={height} tabindex="0"
                    onmousedown={link.callback(Msg::Down)}
                    onmousemove={link.callback(Msg::Move)}
                    onmouseup={link.callback(|_| Msg::Up)}
                    onmouseleave={link.callback(|_| Msg::Leave)}
                    onwheel={link.callback(Msg::Wheel)}
                    ondblclick={link.callback(|_| Msg::Reset)}
                    onfocus={link.callback(|_| Msg::Focus(true))}
                    onblur={link.callback(|_| Msg::Focus(false))}></canvas>
                { tooltip }
            </div>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            self._resize = self.watch_resize(ctx);
        }
        let width = self
            .canvas
            .cast::<HtmlCanvasElement>()
            .map(|c| f64::from(c.client_width()))
            .unwrap_or(0.0);
        if self.dirty || (width - self.drawn_width).abs() > 0.5 {
            self.dirty = false;
            self.paint(ctx);
            self.paint_overlay(ctx);
        }
    }
}

impl Chart {
    fn watch_resize(&self, ctx: &Context<Self>) -> Option<ResizeWatch> {
        let el = self.canvas.cast::<web_sys::Element>()?;
        let link = ctx.link().clone();
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            link.send_message(Msg::Resized)
        });
        let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        observer.observe(&el);
        Some(ResizeWatch {
            observer,
            _callback: callback,
        })
    }

    /// Every series' value at the hovered x.
    fn tooltip(&self, ctx: &Context<Self>) -> Html {
        let (Some(px), Some(l)) = (self.hover_px, self.layout) else {
            return html! {};
        };
        if self.drag.is_some() {
            return html! {};
        }
        let props = ctx.props();
        let xv = l.x.from_px(px);
        let x_step = match props.x_axis {
            XAxis::Step => 1.0,
            _ => 1000.0,
        };
        let header = match props.x_axis {
            XAxis::Step => format!("step {}", xv.round()),
            XAxis::WallTime => format::datetime(xv as i64, dom::tz_offset_ms()),
            XAxis::Relative => x_label(xv, x_step, props.x_axis),
        };
        let rows = props.series.iter().filter_map(|s| {
            let i = s.data.nearest(xv)?;
            let main = if props.smoothed {
                s.data.smooth[i]
            } else {
                s.data.raw[i]
            };
            let raw = match &s.band {
                Some(b) => b.lo.get(i).zip(b.hi.get(i)).map(|(lo, hi)| {
                    format!(" ({} – {}, {} runs)", format::value(*lo), format::value(*hi), b.count.get(i).copied().unwrap_or(0))
                }),
                None => props
                    .smoothed
                    .then(|| format!(" (raw {})", format::value(s.data.raw[i]))),
            };
            Some(html! {
                <div class="tt-row">
                    <span class="swatch" style={format!("background:{}", s.color)}></span>
                    <span class="tt-name">{ s.name.clone() }</span>
                    <span class="tt-val">{ format::value(main) }</span>
                    <span class="muted">{ raw.unwrap_or_default() }{ format!(" @{}", s.data.steps[i]) }</span>
                </div>
            })
        });
        let flip = px > (l.left + l.right) / 2.0;
        let style = if flip {
            format!("right:{}px", (self.drawn_width - px + 12.0).max(0.0))
        } else {
            format!("left:{}px", px + 12.0)
        };
        html! {
            <div class="tooltip" {style}>
                <div class="tt-head">{ header }</div>
                { for rows }
            </div>
        }
    }
}

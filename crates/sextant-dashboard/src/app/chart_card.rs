//! One metric's chart across one or more runs, and its data: a min/max-bucketed overview
//! first, a finer query when a zoom needs it (debounced, only for the zoomed steps), and
//! only the new points when a run grows.

use std::collections::BTreeSet;
use std::rc::Rc;

use sextant_core::{MetricPoint, MetricSummary, StepRange};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::chart::{Chart, DrawSeries};
use super::chart_settings::{RunRef, Settings};
use super::ctx::Ctx;
use super::dom;
use super::route::{Link, Route};
use crate::view::format;
use crate::view::grouping::{self, RunGroup};
use crate::view::palette;
use crate::view::scale::Interval;
use crate::view::series::{self, Loaded, Prepared, XAxis};

/// Zoom gestures settle for this long before a re-query, milliseconds.
const DEBOUNCE_MS: i32 = 120;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub runs: Rc<Vec<RunRef>>,
    pub metric: AttrValue,
    /// Per run, what the store says about this key (`None`: the run lacks it).
    pub summaries: Rc<Vec<Option<MetricSummary>>>,
    pub settings: Settings,
    #[prop_or(220)]
    pub height: u32,
    /// Where "expand" links to (the experiment's charts tab, focused on this key).
    #[prop_or_default]
    pub expand: Option<String>,
    /// Draw these groups of runs (indices into `runs`) as mean lines in min–max bands
    /// instead of one line per run.
    #[prop_or_default]
    pub groups: Option<Rc<Vec<RunGroup>>>,
}

#[derive(Default)]
struct RunSeries {
    overview: Option<Loaded>,
    detail: Option<Loaded>,
    /// The highest step held (live updates fetch from the next one).
    last_step: Option<i64>,
    busy: bool,
}

pub enum Msg {
    Overview {
        generation: u64,
        run: usize,
        result: Result<Vec<MetricPoint>, String>,
        asked: usize,
        total: Option<u64>,
    },
    Detail {
        generation: u64,
        run: usize,
        result: Result<Vec<MetricPoint>, String>,
        from: i64,
        to: i64,
        asked: usize,
        started: f64,
    },
    Live {
        generation: u64,
        run: usize,
        result: Result<Vec<MetricPoint>, String>,
    },
    Window(Option<Interval>),
    Requery(u64),
    Toggle(usize),
    Painted,
    Context(Ctx),
}

pub struct ChartCard {
    ctx: Option<Ctx>,
    _ctx_handle: Option<ContextHandle<Ctx>>,
    series: Vec<RunSeries>,
    window: Option<Interval>,
    hidden: BTreeSet<usize>,
    prepared: Rc<Vec<DrawSeries>>,
    /// Bumped when the runs or key change: answers for older ones are dropped.
    generation: u64,
    requery_seq: u64,
    budget: usize,
    error: Option<String>,
    node: NodeRef,
    created_at: f64,
    first_paint_done: bool,
    requery_started: Option<f64>,
}

impl ChartCard {
    fn store(&self) -> Option<std::sync::Arc<dyn sextant_core::Store>> {
        self.ctx.as_ref()?.store()
    }

    fn reset(&mut self, ctx: &Context<Self>) {
        self.generation += 1;
        self.series = ctx
            .props()
            .runs
            .iter()
            .map(|_| RunSeries::default())
            .collect();
        self.window = None;
        self.error = None;
        self.fetch_missing(ctx);
        self.prepare(ctx);
    }

    /// Fetches overviews not yet loaded, and new points for runs that grew.
    fn fetch_missing(&mut self, ctx: &Context<Self>) {
        let Some(store) = self.store() else {
            return;
        };
        let props = ctx.props();
        for (i, run) in props.runs.iter().enumerate() {
            let Some(summary) = props.summaries.get(i).cloned().flatten() else {
                continue;
            };
            let Some(s) = self.series.get_mut(i) else {
                continue;
            };
            if s.busy {
                continue;
            }
            let (store, id, key, generation) = (
                store.clone(),
                run.id.clone(),
                props.metric.to_string(),
                self.generation,
            );
            if s.overview.is_none() {
                s.busy = true;
                let asked = self.budget;
                let total = Some(summary.count);
                ctx.link().send_future(async move {
                    let result = store
                        .metric_series(&id, &key, StepRange::ALL, asked)
                        .await
                        .map_err(|e| e.to_string());
                    Msg::Overview {
                        generation,
                        run: i,
                        result,
                        asked,
                        total,
                    }
                });
            } else if s.last_step.is_some_and(|l| summary.last_step > l) {
                s.busy = true;
                let from = s.last_step.map(|l| l + 1);
                ctx.link().send_future(async move {
                    let result = store
                        .metric_points(&id, &key, StepRange::new(from, None))
                        .await
                        .map_err(|e| e.to_string());
                    Msg::Live {
                        generation,
                        run: i,
                        result,
                    }
                });
            }
        }
    }

    fn prepare(&mut self, ctx: &Context<Self>) {
        let props = ctx.props();
        let smoothing = props.settings.smoothing;
        if let Some(groups) = &props.groups {
            self.prepared = Rc::new(self.prepare_groups(ctx, groups));
            return;
        }
        let out: Vec<DrawSeries> = props
            .runs
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.hidden.contains(i))
            .filter_map(|(i, run)| {
                let s = self.series.get(i)?;
                let overview = s.overview.as_ref()?;
                let points = series::splice(&overview.points, s.detail.as_ref());
                Some(DrawSeries {
                    name: run.name.clone(),
                    color: run.color,
                    data: Rc::new(series::prepare(&points, props.settings.x_axis, smoothing)),
                    band: None,
                })
            })
            .collect();
        self.prepared = Rc::new(out);
    }

    /// One mean line and min–max band per group, over its runs' (smoothed, when
    /// smoothing is on) values, at about one point per two pixels.
    fn prepare_groups(&self, ctx: &Context<Self>, groups: &[RunGroup]) -> Vec<DrawSeries> {
        let props = ctx.props();
        let smoothing = props.settings.smoothing;
        let per_run: Vec<Option<Prepared>> = self
            .series
            .iter()
            .map(|s| {
                let overview = s.overview.as_ref()?;
                let points = series::splice(&overview.points, s.detail.as_ref());
                Some(series::prepare(&points, props.settings.x_axis, smoothing))
            })
            .collect();
        groups
            .iter()
            .enumerate()
            .filter(|(g, _)| !self.hidden.contains(g))
            .filter_map(|(g, group)| {
                let members: Vec<grouping::Series> = group
                    .members
                    .iter()
                    .filter_map(|i| per_run.get(*i)?.as_ref())
                    .map(|p| {
                        let ys = if smoothing > 0.0 { &p.smooth } else { &p.raw };
                        (&p.xs[..], &ys[..])
                    })
                    .collect();
                if members.is_empty() {
                    return None;
                }
                let band = grouping::band(&members, self.budget / 2);
                let data = Prepared {
                    steps: band.xs.iter().map(|x| *x as i64).collect(),
                    xs: band.xs.clone(),
                    raw: band.mean.clone(),
                    smooth: band.mean.clone(),
                };
                Some(DrawSeries {
                    name: format!("{} ({})", group.label, group.members.len()),
                    color: palette::color(g),
                    data: Rc::new(data),
                    band: Some(Rc::new(band)),
                })
            })
            .collect()
    }

    /// After a zoom settles: asks for the zoomed steps of every run whose held points are
    /// too coarse there.
    fn requery(&mut self, ctx: &Context<Self>) {
        let Some(store) = self.store() else {
            return;
        };
        let props = ctx.props();
        let Some(window) = self.window else {
            return;
        };
        let started = dom::now_ms();
        let mut any = false;
        for (i, run) in props.runs.iter().enumerate() {
            let Some(s) = self.series.get(i) else {
                continue;
            };
            let Some(overview) = &s.overview else {
                continue;
            };
            let range = match props.settings.x_axis {
                XAxis::Step => Some(series::step_bounds(window)),
                _ => series::prepare(
                    &series::splice(&overview.points, s.detail.as_ref()),
                    props.settings.x_axis,
                    0.0,
                )
                .step_window(window),
            };
            let Some((from, to)) = range else {
                continue;
            };
            let (from, to) = (from.max(overview.from), to.min(overview.to));
            if from > to
                || !series::needs_detail(overview, s.detail.as_ref(), from, to, self.budget)
            {
                continue;
            }
            any = true;
            let (store, id, key, generation, asked) = (
                store.clone(),
                run.id.clone(),
                props.metric.to_string(),
                self.generation,
                self.budget,
            );
            ctx.link().send_future(async move {
                let result = store
                    .metric_series(&id, &key, StepRange::new(Some(from), Some(to)), asked)
                    .await
                    .map_err(|e| e.to_string());
                Msg::Detail {
                    generation,
                    run: i,
                    result,
                    from,
                    to,
                    asked,
                    started,
                }
            });
        }
        if any {
            self.requery_started = Some(started);
        }
    }
}

impl Component for ChartCard {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let (shared, handle) = ctx
            .link()
            .context::<Ctx>(ctx.link().callback(Msg::Context))
            .map_or((None, None), |(c, h)| (Some(c), Some(h)));
        let mut card = ChartCard {
            ctx: shared,
            _ctx_handle: handle,
            series: Vec::new(),
            window: None,
            hidden: BTreeSet::new(),
            prepared: Rc::new(Vec::new()),
            generation: 0,
            requery_seq: 0,
            budget: series::budget(800.0),
            error: None,
            node: NodeRef::default(),
            created_at: dom::now_ms(),
            first_paint_done: false,
            requery_started: None,
        };
        // Queries wait for the first render, which gives the chart's width (the budget).
        card.series = ctx
            .props()
            .runs
            .iter()
            .map(|_| RunSeries::default())
            .collect();
        card
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &Props) -> bool {
        let props = ctx.props();
        if props.runs != old.runs || props.metric != old.metric {
            self.hidden.clear();
            self.reset(ctx);
            return true;
        }
        if props.groups != old.groups {
            self.hidden.clear();
            self.prepare(ctx);
        } else if props.settings != old.settings {
            self.prepare(ctx);
        }
        if props.summaries != old.summaries {
            self.fetch_missing(ctx);
        }
        true
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Context(c) => {
                let reopened = self.ctx.as_ref().map(|old| old.generation) != Some(c.generation);
                self.ctx = Some(c);
                if reopened {
                    self.reset(ctx);
                }
            }
            Msg::Overview {
                generation,
                run,
                result,
                asked,
                total,
            } => {
                if generation != self.generation {
                    return false;
                }
                let Some(s) = self.series.get_mut(run) else {
                    return false;
                };
                s.busy = false;
                match result {
                    Ok(points) => {
                        let summary = ctx.props().summaries.get(run).cloned().flatten();
                        let from = summary
                            .as_ref()
                            .map(|m| m.first_step)
                            .or(points.first().map(|p| p.step))
                            .unwrap_or(0);
                        let to = points
                            .last()
                            .map(|p| p.step)
                            .max(summary.map(|m| m.last_step))
                            .unwrap_or(0);
                        s.last_step = points.last().map(|p| p.step);
                        s.overview = Some(Loaded::new(points, from, to, asked, total));
                    }
                    Err(e) => self.error = Some(e),
                }
                self.prepare(ctx);
                // The run may have grown while the overview was in flight.
                self.fetch_missing(ctx);
            }
            Msg::Live {
                generation,
                run,
                result,
            } => {
                if generation != self.generation {
                    return false;
                }
                let budget = self.budget;
                let Some(s) = self.series.get_mut(run) else {
                    return false;
                };
                s.busy = false;
                match (result, s.overview.as_mut()) {
                    (Ok(points), Some(o)) if !points.is_empty() => {
                        let downsampled = series::append(&mut o.points, &points, budget);
                        o.complete &= !downsampled;
                        if let Some(last) = points.last() {
                            o.to = o.to.max(last.step);
                            s.last_step = Some(last.step);
                        }
                    }
                    (Err(e), _) => self.error = Some(e),
                    _ => {}
                }
                self.prepare(ctx);
                self.fetch_missing(ctx);
            }
            Msg::Detail {
                generation,
                run,
                result,
                from,
                to,
                asked,
                started,
            } => {
                if generation != self.generation {
                    return false;
                }
                match result {
                    Ok(points) => {
                        if let Some(s) = self.series.get_mut(run) {
                            s.detail = Some(Loaded::new(points, from, to, asked, None));
                        }
                        self.requery_started = Some(started);
                    }
                    Err(e) => self.error = Some(e),
                }
                self.prepare(ctx);
            }
            Msg::Window(w) => {
                self.window = w;
                if w.is_none() {
                    for s in &mut self.series {
                        s.detail = None;
                    }
                    self.prepare(ctx);
                } else {
                    self.requery_seq += 1;
                    let seq = self.requery_seq;
                    let link = ctx.link().clone();
                    let fire = wasm_bindgen::closure::Closure::once_into_js(move || {
                        link.send_message(Msg::Requery(seq))
                    });
                    if let Some(win) = dom::window() {
                        let _ = win.set_timeout_with_callback_and_timeout_and_arguments_0(
                            fire.unchecked_ref(),
                            DEBOUNCE_MS,
                        );
                    }
                }
            }
            Msg::Requery(seq) => {
                if seq == self.requery_seq {
                    self.requery(ctx);
                }
                return false;
            }
            Msg::Toggle(i) => {
                if !self.hidden.remove(&i) {
                    self.hidden.insert(i);
                }
                self.prepare(ctx);
            }
            Msg::Painted => {
                if !self.first_paint_done {
                    self.first_paint_done = true;
                    dom::measure("sextant:first-paint", self.created_at);
                }
                if let Some(started) = self.requery_started.take() {
                    dom::measure("sextant:requery", started);
                }
                return false;
            }
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            if let Some(el) = self.node.cast::<web_sys::HtmlElement>() {
                self.budget = series::budget(f64::from(el.client_width()));
            }
            self.fetch_missing(ctx);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let props = ctx.props();
        let link = ctx.link();
        let loading = self
            .series
            .iter()
            .zip(props.summaries.iter())
            .any(|(s, m)| m.is_some() && s.overview.is_none());
        let points: usize = self
            .series
            .iter()
            .filter_map(|s| s.overview.as_ref())
            .map(|o| o.points.len())
            .sum();
        let untimed = props.settings.x_axis.is_time()
            && !self.series.iter().any(|s| {
                s.overview
                    .as_ref()
                    .is_some_and(|o| series::has_times(&o.points))
            })
            && !loading;
        let latest = |i: usize| {
            props
                .summaries
                .get(i)
                .cloned()
                .flatten()
                .map(|m| format::value(m.last_value))
        };
        let group_legend = props.groups.as_ref().map(|groups| {
            html! {
                <div class="legend grouped">
                    { for groups.iter().enumerate().map(|(g, group)| {
                        let off = self.hidden.contains(&g);
                        html! {
                            <button class={classes!("legend-item", off.then_some("off"))}
                                onclick={link.callback(move |_| Msg::Toggle(g))}
                                title={format!("{} runs: mean line, min–max band", group.members.len())}>
                                <span class="swatch" style={format!("background:{}", palette::color(g))}></span>
                                <span class="legend-name">{ group.label.clone() }</span>
                                <span class="muted">{ format!("×{}", group.members.len()) }</span>
                            </button>
                        }
                    }) }
                </div>
            }
        });
        let legend = group_legend.or_else(|| (props.runs.len() > 1).then(|| {
            html! {
                <div class="legend">
                    { for props.runs.iter().enumerate().map(|(i, r)| {
                        let off = self.hidden.contains(&i);
                        let missing = props.summaries.get(i).is_none_or(|m| m.is_none());
                        html! {
                            <button class={classes!("legend-item", off.then_some("off"), missing.then_some("missing"))}
                                onclick={link.callback(move |_| Msg::Toggle(i))}
                                title={if missing { "this run has no such metric" } else { "show or hide" }}>
                                <span class="swatch" style={format!("background:{}", r.color)}></span>
                                <span class="legend-name">{ r.name.clone() }</span>
                                if let Some(v) = latest(i) { <span class="muted">{ v }</span> }
                            </button>
                        }
                    }) }
                </div>
            }
        }));
        let single_latest = (props.runs.len() == 1).then(|| latest(0)).flatten();
        html! {
            <div class="chart-card" ref={self.node.clone()} data-key={props.metric.clone()}
                data-groups={props.groups.as_ref().map(|g| g.len().to_string())}>
                <div class="chart-head">
                    <span class="chart-title" title={props.metric.clone()}>{ props.metric.clone() }</span>
                    if let Some(v) = single_latest { <span class="muted latest">{ v }</span> }
                    <div class="spacer"></div>
                    if loading { <span class="spinner small"></span> }
                    if self.window.is_some() {
                        <button class="btn small" onclick={link.callback(|_| Msg::Window(None))}>{ "Reset zoom" }</button>
                    }
                    if let Some(id) = props.expand.clone() {
                        <Link to={Route::Charts { id }} query={vec![("key", props.metric.to_string())]}
                            class="btn small ghost" title="Open this chart alone">{ "⤢" }</Link>
                    }
                </div>
                if let Some(e) = &self.error {
                    <div class="error-box small">{ e.clone() }</div>
                }
                if untimed {
                    <p class="muted small">{ "This store did not record when points were logged; use the step axis." }</p>
                }
                <Chart series={self.prepared.clone()} window={self.window}
                    on_window={link.callback(Msg::Window)}
                    x_axis={props.settings.x_axis} log_y={props.settings.log_y}
                    smoothed={props.settings.smoothing > 0.0} height={props.height}
                    label={format!("chart of {}", props.metric)}
                    on_paint={link.callback(|_| Msg::Painted)}
                    theme={self.ctx.as_ref().is_some_and(|c| c.dark)} />
                { legend.unwrap_or_default() }
                <div class="chart-foot muted">{ format!("{points} points drawn") }</div>
            </div>
        }
    }
}

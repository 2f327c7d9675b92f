//! The experiments page's analysis views without a screen: which quantity of a run an
//! axis shows (a param or a metric's last value), where each run sits on that axis
//! (numbers on a linear or log scale, anything else as categories), brushing an axis to
//! keep a range of runs, and which scatter point the mouse is over.
//!
//! Missing and non-finite values have no position: a parallel-coordinates line breaks
//! there, a scatter leaves the run out, and a brush on that axis excludes it.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

use sextant_core::{ExperimentInfo, ParamValue};

use crate::format;
use crate::scale::Interval;

/// A quantity every run may have: a param, or a metric's value at its highest step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Param(String),
    Metric(String),
}

/// A run's value on a dimension, before placing it on an axis.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Text(String),
}

impl Dim {
    /// `param:lr`, `metric:val/acc`: the form kept in settings (as table columns spell it).
    pub fn id(&self) -> String {
        match self {
            Dim::Param(p) => format!("param:{p}"),
            Dim::Metric(m) => format!("metric:{m}"),
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        match (s.strip_prefix("param:"), s.strip_prefix("metric:")) {
            (Some(p), _) if !p.is_empty() => Some(Dim::Param(p.into())),
            (_, Some(m)) if !m.is_empty() => Some(Dim::Metric(m.into())),
            _ => None,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Dim::Param(p) => p,
            Dim::Metric(m) => m,
        }
    }

    /// The run's value: numbers as numbers (booleans as 0/1), other params as text.
    pub fn value(&self, run: &ExperimentInfo) -> Option<Value> {
        match self {
            Dim::Metric(m) => run.metrics.get(m).map(|v| Value::Number(*v)),
            Dim::Param(p) => run.params.get(p).map(|v| match v {
                ParamValue::Int(i) => Value::Number(*i as f64),
                ParamValue::Float(f) => Value::Number(*f),
                ParamValue::Bool(b) => Value::Text(b.to_string()),
                other => Value::Text(format::param(other)),
            }),
        }
    }
}

/// Every param and metric the runs have, params first: the choices for an axis.
pub fn dims<R: Borrow<ExperimentInfo>>(runs: &[R]) -> Vec<Dim> {
    let k = crate::table::keys(runs);
    k.params
        .into_iter()
        .map(Dim::Param)
        .chain(k.metrics.into_iter().map(Dim::Metric))
        .collect()
}

/// The axes to start with: up to `n` params that vary between runs, then metrics.
pub fn default_dims<R: Borrow<ExperimentInfo>>(runs: &[R], n: usize) -> Vec<Dim> {
    crate::table::default_columns(runs, n / 2, n - n / 2)
        .into_iter()
        .filter_map(|c| Dim::parse(&c.id()))
        .collect()
}

/// How an axis places values.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Finite numbers over `domain`; `log` when every value is positive and the user
    /// asked for it.
    Numeric { domain: Interval, log: bool },
    /// Text (or a mix of text and numbers), one slot per distinct value, sorted.
    Categories(Vec<String>),
}

/// One axis over a list of runs: its kind and each run's position in `[0, 1]` (0 at the
/// bottom or left), `None` where the run has no usable value.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub dim: Dim,
    pub kind: Kind,
    pub units: Vec<Option<f64>>,
}

impl Axis {
    /// Places `runs` on `dim`. `log` applies only when every finite value is positive.
    pub fn new<R: Borrow<ExperimentInfo>>(dim: &Dim, runs: &[R], log: bool) -> Axis {
        let values: Vec<Option<Value>> = runs.iter().map(|r| dim.value(r.borrow())).collect();
        let any_text = values.iter().any(|v| matches!(v, Some(Value::Text(_))));
        if any_text {
            let text = |v: &Value| match v {
                Value::Text(t) => t.clone(),
                Value::Number(n) => format::value(*n),
            };
            let cats: BTreeSet<String> = values.iter().flatten().map(text).collect();
            let cats: Vec<String> = cats.into_iter().collect();
            let n = cats.len().max(1) as f64;
            let units = values
                .iter()
                .map(|v| {
                    let t = text(v.as_ref()?);
                    let i = cats.binary_search(&t).ok()?;
                    Some((i as f64 + 0.5) / n)
                })
                .collect();
            return Axis {
                dim: dim.clone(),
                kind: Kind::Categories(cats),
                units,
            };
        }
        let nums: Vec<Option<f64>> = values
            .iter()
            .map(|v| match v {
                Some(Value::Number(n)) if n.is_finite() => Some(*n),
                _ => None,
            })
            .collect();
        let log =
            log && nums.iter().flatten().all(|v| *v > 0.0) && nums.iter().any(Option::is_some);
        let domain =
            Interval::covering(nums.iter().flatten().copied()).unwrap_or(Interval::new(0.0, 1.0));
        let kind = Kind::Numeric { domain, log };
        let units = nums
            .iter()
            .map(|v| v.and_then(|v| unit(&kind, v)))
            .collect();
        Axis {
            dim: dim.clone(),
            kind,
            units,
        }
    }

    /// The value at a position in `[0, 1]` (numeric axes).
    pub fn value_at(&self, u: f64) -> f64 {
        match &self.kind {
            Kind::Numeric { domain, log: false } => domain.lo + u * domain.width(),
            Kind::Numeric { domain, log: true } => {
                let (a, b) = (domain.lo.log10(), domain.hi.log10());
                10f64.powf(a + u * (b - a))
            }
            Kind::Categories(_) => u,
        }
    }

    /// Tick positions and labels: nice numbers on a numeric axis, every category (or
    /// an even sample of them when there are more than `max`).
    pub fn ticks(&self, max: usize) -> Vec<(f64, String)> {
        match &self.kind {
            Kind::Numeric { domain, log } => {
                let values = if *log {
                    crate::ticks::log(*domain, max)
                } else {
                    crate::ticks::linear(*domain, max).0
                };
                let step = if *log {
                    0.0
                } else {
                    crate::ticks::linear(*domain, max).1
                };
                values
                    .into_iter()
                    .filter_map(|v| {
                        let label = if *log {
                            format::value(v)
                        } else {
                            format::tick(v, step)
                        };
                        Some((unit(&self.kind, v)?, label))
                    })
                    .collect()
            }
            Kind::Categories(cats) => {
                let n = cats.len();
                let every = n.div_ceil(max.max(1)).max(1);
                cats.iter()
                    .enumerate()
                    .filter(|(i, _)| i % every == 0)
                    .map(|(i, c)| ((i as f64 + 0.5) / n as f64, c.clone()))
                    .collect()
            }
        }
    }

    /// The brush covering positions `a` to `b` (either order) on this axis.
    pub fn brush(&self, a: f64, b: f64) -> Brush {
        let (lo, hi) = (a.min(b).clamp(0.0, 1.0), a.max(b).clamp(0.0, 1.0));
        let range = match &self.kind {
            Kind::Numeric { .. } => Range::Values {
                lo: self.value_at(lo),
                hi: self.value_at(hi),
            },
            Kind::Categories(cats) => {
                let n = cats.len() as f64;
                Range::Categories(
                    cats.iter()
                        .enumerate()
                        .filter(|(i, _)| (lo..=hi).contains(&((*i as f64 + 0.5) / n)))
                        .map(|(_, c)| c.clone())
                        .collect(),
                )
            }
        };
        Brush {
            dim: self.dim.clone(),
            range,
        }
    }

    /// Where a brush sits on this axis, as positions `(lo, hi)`; `None` when it keeps
    /// nothing this axis shows.
    pub fn brush_units(&self, brush: &Brush) -> Option<(f64, f64)> {
        match (&brush.range, &self.kind) {
            (Range::Values { lo, hi }, Kind::Numeric { .. }) => {
                let a = unit_unclamped(&self.kind, *lo)?;
                let b = unit_unclamped(&self.kind, *hi)?;
                Some((a.clamp(0.0, 1.0), b.clamp(0.0, 1.0)))
            }
            (Range::Categories(keep), Kind::Categories(cats)) => {
                let n = cats.len() as f64;
                let at: Vec<f64> = cats
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| keep.contains(*c))
                    .map(|(i, _)| (i as f64 + 0.5) / n)
                    .collect();
                let half = 0.5 / n;
                Some((at.first()? - half, at.last()? + half))
            }
            _ => None,
        }
    }
}

fn unit_unclamped(kind: &Kind, v: f64) -> Option<f64> {
    match kind {
        Kind::Numeric { domain, log } => {
            if !v.is_finite() || (*log && v <= 0.0) {
                return None;
            }
            // One run (or equal values): the domain was widened around it, so it sits
            // in the middle.
            Some(if *log {
                (v.log10() - domain.lo.log10()) / (domain.hi.log10() - domain.lo.log10())
            } else {
                (v - domain.lo) / domain.width()
            })
        }
        Kind::Categories(_) => None,
    }
}

fn unit(kind: &Kind, v: f64) -> Option<f64> {
    unit_unclamped(kind, v).filter(|u| (-1e-9..=1.0 + 1e-9).contains(u))
}

/// What a brush keeps on its axis: a closed range of numbers, or a set of categories.
#[derive(Debug, Clone, PartialEq)]
pub enum Range {
    Values { lo: f64, hi: f64 },
    Categories(BTreeSet<String>),
}

/// A brushed axis: runs whose value on `dim` lies in `range` are kept. Kept in data
/// terms, not pixels, so it selects the same runs when the axis rescales.
#[derive(Debug, Clone, PartialEq)]
pub struct Brush {
    pub dim: Dim,
    pub range: Range,
}

impl Brush {
    pub fn matches(&self, run: &ExperimentInfo) -> bool {
        match (&self.range, self.dim.value(run)) {
            (Range::Values { lo, hi }, Some(Value::Number(v))) => {
                v.is_finite() && v >= *lo && v <= *hi
            }
            (Range::Categories(keep), Some(Value::Text(t))) => keep.contains(&t),
            (Range::Categories(keep), Some(Value::Number(v))) => keep.contains(&format::value(v)),
            _ => false,
        }
    }
}

/// Brushes by axis: one per dimension, all must match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Brushes(pub BTreeMap<Dim, Brush>);

impl Brushes {
    pub fn matches(&self, run: &ExperimentInfo) -> bool {
        self.0.values().all(|b| b.matches(run))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets (or with `None` clears) the brush of a dimension.
    pub fn with(&self, dim: &Dim, brush: Option<Brush>) -> Brushes {
        let mut next = self.0.clone();
        match brush {
            Some(b) => next.insert(dim.clone(), b),
            None => next.remove(dim),
        };
        Brushes(next)
    }
}

/// The index of the point nearest `(x, y)` within `radius` pixels, if any; points
/// without a position are skipped.
pub fn nearest(points: &[Option<(f64, f64)>], x: f64, y: f64, radius: f64) -> Option<usize> {
    points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let (px, py) = (*p)?;
            let d = (px - x).powi(2) + (py - y).powi(2);
            (d <= radius * radius).then_some((i, d))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// A run's value on a dimension as a tooltip shows it.
pub fn show(dim: &Dim, run: &ExperimentInfo) -> String {
    match dim {
        Dim::Param(p) => run.params.get(p).map_or("—".into(), format::param),
        Dim::Metric(m) => run.metrics.get(m).map_or("—".into(), |v| format::value(*v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::Status;

    fn run(i: usize, lr: Option<ParamValue>, acc: Option<f64>) -> ExperimentInfo {
        let mut e = ExperimentInfo {
            id: format!("r{i}"),
            name: format!("run-{i}"),
            group: "g".into(),
            status: Status::Completed,
            tags: vec![],
            created_at: i as i64,
            duration: None,
            description: None,
            source: None,
            params: BTreeMap::new(),
            metrics: BTreeMap::new(),
            unreadable: None,
            created_by: None,
        };
        if let Some(lr) = lr {
            e.params.insert("lr".into(), lr);
        }
        if let Some(acc) = acc {
            e.metrics.insert("acc".into(), acc);
        }
        e
    }

    #[test]
    fn dims_round_trip_their_ids() {
        for d in [Dim::Param("lr".into()), Dim::Metric("val/acc".into())] {
            assert_eq!(Dim::parse(&d.id()), Some(d.clone()));
        }
        assert_eq!(Dim::Metric("val/acc".into()).title(), "val/acc");
        assert_eq!(Dim::parse("metric:"), None);
        assert_eq!(Dim::parse("name"), None);
    }

    #[test]
    fn numeric_axes_place_runs_and_skip_what_cannot_be_placed() {
        let runs = vec![
            run(0, None, Some(0.5)),
            run(1, None, Some(1.0)),
            run(2, None, Some(f64::NAN)),
            run(3, None, Some(f64::INFINITY)),
            run(4, None, None),
            run(5, None, Some(0.75)),
        ];
        let a = Axis::new(&Dim::Metric("acc".into()), &runs, false);
        assert_eq!(a.units, [Some(0.0), Some(1.0), None, None, None, Some(0.5)]);
        assert_eq!(a.value_at(0.5), 0.75);
    }

    #[test]
    fn one_run_sits_in_the_middle() {
        let runs = vec![run(0, None, Some(3.0))];
        let a = Axis::new(&Dim::Metric("acc".into()), &runs, false);
        assert_eq!(a.units, [Some(0.5)]);
        let none: Vec<ExperimentInfo> = vec![run(0, None, None)];
        let a = Axis::new(&Dim::Metric("acc".into()), &none, true);
        assert_eq!(a.units, [None]);
        assert!(a.ticks(5).len() >= 2, "an empty axis still has a scale");
    }

    #[test]
    fn log_axes_need_positive_values() {
        let lrs = [1e-4, 1e-3, 1e-2];
        let runs: Vec<_> = lrs
            .iter()
            .enumerate()
            .map(|(i, v)| run(i, Some(ParamValue::Float(*v)), None))
            .collect();
        let a = Axis::new(&Dim::Param("lr".into()), &runs, true);
        let u: Vec<f64> = a.units.iter().map(|u| u.unwrap()).collect();
        assert!((u[1] - 0.5).abs() < 1e-9, "{u:?}");
        let mut with_zero = runs.clone();
        with_zero.push(run(9, Some(ParamValue::Float(0.0)), None));
        let a = Axis::new(&Dim::Param("lr".into()), &with_zero, true);
        assert!(matches!(a.kind, Kind::Numeric { log: false, .. }));
    }

    #[test]
    fn text_and_mixed_values_become_sorted_categories() {
        let runs = vec![
            run(0, Some(ParamValue::Str("sgd".into())), None),
            run(1, Some(ParamValue::Str("adam".into())), None),
            run(2, Some(ParamValue::Int(3)), None),
            run(3, None, None),
            run(4, Some(ParamValue::Str("sgd".into())), None),
        ];
        let a = Axis::new(&Dim::Param("lr".into()), &runs, false);
        assert_eq!(
            a.kind,
            Kind::Categories(vec!["3".into(), "adam".into(), "sgd".into()])
        );
        let third = 1.0 / 3.0;
        let u: Vec<Option<f64>> = a
            .units
            .iter()
            .map(|u| u.map(|u| (u / third * 2.0).round()))
            .collect();
        assert_eq!(u, [Some(5.0), Some(3.0), Some(1.0), None, Some(5.0)]);
        // Brushing the upper half keeps "sgd" only (and never the run without a value).
        let b = a.brush(0.7, 1.0);
        let kept: Vec<bool> = runs.iter().map(|r| b.matches(r)).collect();
        assert_eq!(kept, [true, false, false, false, true]);
        let (lo, hi) = a.brush_units(&b).unwrap();
        assert!((lo - 2.0 * third).abs() < 1e-9 && (hi - 1.0).abs() < 1e-9);
    }

    #[test]
    fn brushes_keep_a_value_range_on_every_brushed_axis() {
        let runs: Vec<_> = (0..200)
            .map(|i| {
                let acc = if i == 7 { f64::NAN } else { i as f64 / 200.0 };
                run(i, Some(ParamValue::Int(i as i64 % 10)), Some(acc))
            })
            .collect();
        let acc = Axis::new(&Dim::Metric("acc".into()), &runs, false);
        // Dragging from the top down to the middle keeps the upper half of acc.
        let b = acc.brush(1.0, 0.5);
        let brushes = Brushes::default().with(&b.dim.clone(), Some(b));
        let kept = runs.iter().filter(|r| brushes.matches(r)).count();
        assert_eq!(kept, 100, "0.4975 ..= 0.995 holds runs 100..=199");
        assert!(!brushes.matches(&runs[7]), "NaN never matches a brush");
        // A second axis narrows further; clearing it widens again.
        let lr = Axis::new(&Dim::Param("lr".into()), &runs, false);
        let b2 = lr.brush(0.0, 0.0);
        let both = brushes.with(&Dim::Param("lr".into()), Some(b2));
        assert!(runs
            .iter()
            .filter(|r| both.matches(r))
            .all(|r| r.params["lr"] == ParamValue::Int(0)));
        assert_eq!(runs.iter().filter(|r| both.matches(r)).count(), 10);
        let cleared = both.with(&Dim::Param("lr".into()), None);
        assert_eq!(cleared, brushes);
        // The brush is in data terms: on a narrower axis it keeps the same runs.
        let fewer: Vec<_> = runs[150..].to_vec();
        let narrow = Axis::new(&Dim::Metric("acc".into()), &fewer, false);
        let (lo, hi) = narrow
            .brush_units(&brushes.0[&Dim::Metric("acc".into())])
            .unwrap();
        assert_eq!((lo, hi), (0.0, 1.0));
    }

    #[test]
    fn hover_finds_the_nearest_point_in_reach() {
        let pts = [
            Some((0.0, 0.0)),
            None,
            Some((10.0, 10.0)),
            Some((12.0, 9.0)),
        ];
        assert_eq!(nearest(&pts, 11.5, 9.5, 6.0), Some(3));
        assert_eq!(nearest(&pts, 1.0, 1.0, 6.0), Some(0));
        assert_eq!(nearest(&pts, 50.0, 50.0, 6.0), None);
        assert_eq!(nearest(&[], 0.0, 0.0, 6.0), None);
    }
}

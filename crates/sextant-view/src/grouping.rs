//! Grouping runs for charts: by their group or a param's value, each group drawn as its
//! mean line inside a min–max band, so twenty seeds of one config read as one curve.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use sextant_core::{ExperimentInfo, ParamValue};

use crate::format;

/// What to group runs by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    Group,
    Param(String),
}

/// The label of the group of runs that lack the param.
pub const MISSING: &str = "(not set)";

impl GroupBy {
    /// `group` or `param:lr`: the form kept in URLs.
    pub fn id(&self) -> String {
        match self {
            GroupBy::Group => "group".into(),
            GroupBy::Param(p) => format!("param:{p}"),
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "group" => Some(GroupBy::Group),
            _ => s
                .strip_prefix("param:")
                .filter(|p| !p.is_empty())
                .map(|p| GroupBy::Param(p.into())),
        }
    }

    pub fn title(&self) -> String {
        match self {
            GroupBy::Group => "Group".into(),
            GroupBy::Param(p) => p.clone(),
        }
    }
}

/// A set of runs drawn as one: its label and the indices of its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunGroup {
    pub label: String,
    pub members: Vec<usize>,
}

/// A group's label, with its value when that is a number (for ordering).
type Label = (Option<f64>, String);

/// Orders labels: numbers numerically (so 1e-3 comes before 0.01), then text.
fn label_order(a: &Label, b: &Label) -> Ordering {
    match (a.0, b.0) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    }
}

/// Groups `runs` (indices kept in input order within each group); runs without the param
/// form a last group labelled [`MISSING`].
pub fn group_runs<R: Borrow<ExperimentInfo>>(runs: &[R], by: &GroupBy) -> Vec<RunGroup> {
    let mut groups: BTreeMap<String, (Option<f64>, Vec<usize>)> = BTreeMap::new();
    let mut missing = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let r = r.borrow();
        let key = match by {
            GroupBy::Group => Some((None, r.group.clone())),
            GroupBy::Param(p) => r.params.get(p).map(|v| {
                let num = match v {
                    ParamValue::Int(i) => Some(*i as f64),
                    ParamValue::Float(f) if !f.is_nan() => Some(*f),
                    _ => None,
                };
                (num, format::param(v))
            }),
        };
        match key {
            Some((num, label)) => groups.entry(label).or_insert((num, Vec::new())).1.push(i),
            None => missing.push(i),
        }
    }
    let mut out: Vec<(Label, Vec<usize>)> = groups
        .into_iter()
        .map(|(label, (num, members))| ((num, label), members))
        .collect();
    out.sort_by(|a, b| label_order(&a.0, &b.0));
    let mut out: Vec<RunGroup> = out
        .into_iter()
        .map(|((_, label), members)| RunGroup { label, members })
        .collect();
    if !missing.is_empty() {
        out.push(RunGroup {
            label: MISSING.into(),
            members: missing,
        });
    }
    out
}

/// A group's curve: at each x, the mean of its runs' values and their lowest and
/// highest, over the runs that have a value there. `count` says how many did; where none
/// did, the values are NaN (the line breaks).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Band {
    pub xs: Vec<f64>,
    pub mean: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    pub count: Vec<usize>,
}

/// One run's series: x positions (ascending) and values.
pub type Series<'a> = (&'a [f64], &'a [f64]);

/// The value of a series at `x`: its point there, or the straight line between its two
/// neighbours; `None` outside the series or next to a non-finite value.
fn value_at((xs, ys): Series, x: f64) -> Option<f64> {
    let i = xs.partition_point(|v| *v < x);
    let (&xr, &yr) = (xs.get(i)?, ys.get(i)?);
    if xr == x {
        return yr.is_finite().then_some(yr);
    }
    let (xl, yl) = (*xs.get(i.checked_sub(1)?)?, *ys.get(i - 1)?);
    if !(yl.is_finite() && yr.is_finite()) || xr <= xl {
        return None;
    }
    Some(yl + (yr - yl) * (x - xl) / (xr - xl))
}

/// The band over `members`, at their own x positions when they have at most `points`
/// distinct ones between them, else at `points` evenly spaced ones. Points with a
/// non-finite x are ignored.
pub fn band(members: &[Series], points: usize) -> Band {
    let clean: Vec<(Vec<f64>, Vec<f64>)> = members
        .iter()
        .map(|(xs, ys)| {
            xs.iter()
                .zip(ys.iter())
                .filter(|(x, _)| x.is_finite())
                .map(|(x, y)| (*x, *y))
                .unzip()
        })
        .collect();
    let mut all: Vec<f64> = clean
        .iter()
        .flat_map(|(xs, _)| xs.iter().copied())
        .collect();
    all.sort_by(f64::total_cmp);
    all.dedup();
    let (Some(&first), Some(&last)) = (all.first(), all.last()) else {
        return Band::default();
    };
    let points = points.max(2);
    let grid: Vec<f64> = if all.len() <= points {
        all
    } else {
        (0..points)
            .map(|i| first + (last - first) * i as f64 / (points - 1) as f64)
            .collect()
    };
    let mut out = Band {
        xs: Vec::with_capacity(grid.len()),
        mean: Vec::with_capacity(grid.len()),
        lo: Vec::with_capacity(grid.len()),
        hi: Vec::with_capacity(grid.len()),
        count: Vec::with_capacity(grid.len()),
    };
    for x in grid {
        let (mut sum, mut n, mut lo, mut hi) = (0.0, 0usize, f64::INFINITY, f64::NEG_INFINITY);
        for (xs, ys) in &clean {
            if let Some(v) = value_at((xs.as_slice(), ys.as_slice()), x) {
                sum += v;
                n += 1;
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        out.xs.push(x);
        out.count.push(n);
        if n == 0 {
            out.mean.push(f64::NAN);
            out.lo.push(f64::NAN);
            out.hi.push(f64::NAN);
        } else {
            out.mean.push(sum / n as f64);
            out.lo.push(lo);
            out.hi.push(hi);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::Status;

    fn run(group: &str, lr: Option<ParamValue>) -> ExperimentInfo {
        let mut e = ExperimentInfo {
            id: "x".into(),
            name: "x".into(),
            group: group.into(),
            status: Status::Completed,
            tags: vec![],
            created_at: 0,
            duration: None,
            description: None,
            source: None,
            params: BTreeMap::new(),
            metrics: BTreeMap::new(),
            unreadable: None,
            created_by: None,
        };
        if let Some(v) = lr {
            e.params.insert("lr".into(), v);
        }
        e
    }

    #[test]
    fn group_by_round_trips_its_id() {
        for g in [GroupBy::Group, GroupBy::Param("lr".into())] {
            assert_eq!(GroupBy::parse(&g.id()), Some(g));
        }
        assert_eq!(GroupBy::parse("param:"), None);
        assert_eq!(GroupBy::parse(""), None);
    }

    #[test]
    fn groups_order_numbers_numerically_and_missing_last() {
        let runs = vec![
            run("b", Some(ParamValue::Float(0.01))),
            run("a", Some(ParamValue::Float(0.001))),
            run("b", None),
            run("a", Some(ParamValue::Float(0.01))),
            run("a", Some(ParamValue::Int(1))),
        ];
        let by_lr = group_runs(&runs, &GroupBy::Param("lr".into()));
        let labels: Vec<&str> = by_lr.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["0.001", "0.01", "1", MISSING]);
        assert_eq!(by_lr[1].members, [0, 3]);
        let by_group = group_runs(&runs, &GroupBy::Group);
        assert_eq!(by_group.len(), 2);
        assert_eq!(
            (by_group[0].label.as_str(), &by_group[0].members[..]),
            ("a", &[1, 3, 4][..])
        );
        assert!(group_runs(&Vec::<ExperimentInfo>::new(), &GroupBy::Group).is_empty());
    }

    #[test]
    fn bands_hold_mean_min_and_max_where_runs_have_values() {
        let xs_a = [0.0, 1.0, 2.0, 3.0];
        let ys_a = [1.0, 2.0, 3.0, 4.0];
        let xs_b = [0.0, 2.0];
        let ys_b = [3.0, 1.0];
        let b = band(&[(&xs_a[..], &ys_a[..]), (&xs_b[..], &ys_b[..])], 100);
        assert_eq!(b.xs, [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(b.count, [2, 2, 2, 1]);
        assert_eq!(b.mean, [2.0, 2.0, 2.0, 4.0], "b interpolates to 2 at x = 1");
        assert_eq!(b.lo, [1.0, 2.0, 1.0, 4.0]);
        assert_eq!(b.hi, [3.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn bands_skip_non_finite_values_and_positions() {
        let xs = [0.0, 1.0, f64::NAN, 3.0];
        let ys = [f64::NAN, 1.0, 5.0, f64::INFINITY];
        let b = band(&[(&xs[..], &ys[..])], 10);
        assert_eq!(b.xs, [0.0, 1.0, 3.0]);
        assert_eq!(b.count, [0, 1, 0]);
        assert!(b.mean[0].is_nan() && b.mean[2].is_nan());
        assert_eq!(b.mean[1], 1.0);
        assert_eq!(band(&[], 10), Band::default());
    }

    #[test]
    fn many_runs_are_resampled_to_the_budget() {
        let series: Vec<(Vec<f64>, Vec<f64>)> = (0..200)
            .map(|r| {
                let xs: Vec<f64> = (0..1000).map(|i| (i * 3 + r) as f64).collect();
                let ys: Vec<f64> = xs.iter().map(|x| x * 0.0 + r as f64).collect();
                (xs, ys)
            })
            .collect();
        let members: Vec<Series> = series.iter().map(|(x, y)| (&x[..], &y[..])).collect();
        let b = band(&members, 400);
        assert_eq!(b.xs.len(), 400);
        assert_eq!(
            (b.xs[0], *b.xs.last().unwrap()),
            (0.0, (999 * 3 + 199) as f64)
        );
        let mid = 200;
        assert_eq!(b.count[mid], 200);
        assert_eq!((b.lo[mid], b.hi[mid]), (0.0, 199.0));
        assert!((b.mean[mid] - 99.5).abs() < 1e-9);
    }
}

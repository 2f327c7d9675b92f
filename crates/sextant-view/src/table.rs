//! The experiments table's logic: columns (built-in, params, latest metrics), sorting any
//! of them, the text filter and group/tag/status facets, and which rows a scrolled
//! viewport shows (the table renders only those, so 10,000 runs scroll smoothly).

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use sextant_core::query::{sort as core_sort, Sort, SortKey};
use sextant_core::{ExperimentFilter, ExperimentInfo, Status};

/// A table column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Name,
    Group,
    Status,
    Created,
    Duration,
    Tags,
    Param(String),
    Metric(String),
    /// A metric's lowest value over all steps (from the store's metric summaries).
    MetricMin(String),
    /// A metric's highest value over all steps.
    MetricMax(String),
}

impl Column {
    /// The built-in columns, in display order.
    pub const BUILT_IN: [Column; 6] = [
        Column::Name,
        Column::Group,
        Column::Status,
        Column::Created,
        Column::Duration,
        Column::Tags,
    ];

    pub fn title(&self) -> String {
        match self {
            Column::Name => "Name".into(),
            Column::Group => "Group".into(),
            Column::Status => "Status".into(),
            Column::Created => "Created".into(),
            Column::Duration => "Duration".into(),
            Column::Tags => "Tags".into(),
            Column::Param(p) => p.clone(),
            Column::Metric(m) => m.clone(),
            // The kind first: narrow headers cut the end.
            Column::MetricMin(m) => format!("min({m})"),
            Column::MetricMax(m) => format!("max({m})"),
        }
    }

    /// The metric whose extremes the column shows, if it is a min or max column.
    pub fn extreme_of(&self) -> Option<&str> {
        match self {
            Column::MetricMin(m) | Column::MetricMax(m) => Some(m),
            _ => None,
        }
    }

    /// The form kept in URLs and settings: `name`, `param:lr`, `metric:val/acc`,
    /// `min:val/loss`, `max:val/acc`.
    pub fn id(&self) -> String {
        match self {
            Column::Name => "name".into(),
            Column::Group => "group".into(),
            Column::Status => "status".into(),
            Column::Created => "created".into(),
            Column::Duration => "duration".into(),
            Column::Tags => "tags".into(),
            Column::Param(p) => format!("param:{p}"),
            Column::Metric(m) => format!("metric:{m}"),
            Column::MetricMin(m) => format!("min:{m}"),
            Column::MetricMax(m) => format!("max:{m}"),
        }
    }

    pub fn parse(s: &str) -> Option<Column> {
        Some(match s {
            "name" => Column::Name,
            "group" => Column::Group,
            "status" => Column::Status,
            "created" => Column::Created,
            "duration" => Column::Duration,
            "tags" => Column::Tags,
            other => {
                let (kind, key) = other.split_once(':')?;
                if key.is_empty() {
                    return None;
                }
                match kind {
                    "param" => Column::Param(key.into()),
                    "metric" => Column::Metric(key.into()),
                    "min" => Column::MetricMin(key.into()),
                    "max" => Column::MetricMax(key.into()),
                    _ => return None,
                }
            }
        })
    }
}

/// Pixel widths of the selection column and of each column; the name column also takes
/// any spare width. Fixed widths keep each row's layout independent of its content, so
/// scrolling lays out only the rows that appear.
pub const CHECK_WIDTH: f64 = 36.0;

impl Column {
    pub fn width(&self) -> f64 {
        match self {
            Column::Name => 240.0,
            Column::Group => 120.0,
            Column::Status => 112.0,
            Column::Created => 158.0,
            Column::Duration => 96.0,
            Column::Tags => 170.0,
            Column::Param(_) => 112.0,
            Column::Metric(_) | Column::MetricMin(_) | Column::MetricMax(_) => 120.0,
        }
    }
}

/// The CSS grid template for `columns` and the width they need.
pub fn grid_template(columns: &[Column]) -> (String, f64) {
    let mut parts = vec![format!("{CHECK_WIDTH}px")];
    let mut total = CHECK_WIDTH;
    for c in columns {
        total += c.width();
        parts.push(match c {
            Column::Name => format!("minmax({}px, 1fr)", c.width()),
            _ => format!("{}px", c.width()),
        });
    }
    (parts.join(" "), total)
}

/// Param and metric names seen across runs: the choices for extra columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keys {
    pub params: Vec<String>,
    pub metrics: Vec<String>,
}

pub fn keys<R: Borrow<ExperimentInfo>>(runs: &[R]) -> Keys {
    let mut params = BTreeSet::new();
    let mut metrics = BTreeSet::new();
    for r in runs.iter().map(Borrow::borrow) {
        params.extend(r.params.keys().map(String::as_str));
        metrics.extend(r.metrics.keys().map(String::as_str));
    }
    Keys {
        params: params.into_iter().map(String::from).collect(),
        metrics: metrics.into_iter().map(String::from).collect(),
    }
}

/// The extra columns to start with: params and metrics that differ between runs first
/// (what a sweep varies and what it changes), by name within each kind.
pub fn default_columns<R: Borrow<ExperimentInfo>>(
    runs: &[R],
    params: usize,
    metrics: usize,
) -> Vec<Column> {
    let k = keys(runs);
    let varies_param = |p: &String| {
        let mut seen = runs.iter().map(|r| r.borrow().params.get(p));
        let first = seen.next().flatten();
        seen.any(|v| v != first)
    };
    let varies_metric = |m: &String| {
        let mut seen = runs.iter().map(|r| r.borrow().metrics.get(m).copied());
        let first = seen.next().flatten();
        seen.any(|v| v.map(f64::to_bits) != first.map(f64::to_bits))
    };
    let mut ps: Vec<(bool, &String)> = k.params.iter().map(|p| (!varies_param(p), p)).collect();
    ps.sort();
    let mut ms: Vec<(bool, &String)> = k.metrics.iter().map(|m| (!varies_metric(m), m)).collect();
    ms.sort();
    ps.into_iter()
        .take(params)
        .map(|(_, p)| Column::Param(p.clone()))
        .chain(
            ms.into_iter()
                .take(metrics)
                .map(|(_, m)| Column::Metric(m.clone())),
        )
        .collect()
}

/// Counts for the facet sidebar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    pub groups: Vec<(String, usize)>,
    pub tags: Vec<(String, usize)>,
    pub statuses: Vec<(Status, usize)>,
}

pub fn facets<R: Borrow<ExperimentInfo>>(runs: &[R]) -> Facets {
    let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
    let mut tags: BTreeMap<&str, usize> = BTreeMap::new();
    let mut statuses = [0usize; 3];
    for r in runs.iter().map(Borrow::borrow) {
        *groups.entry(&r.group).or_default() += 1;
        for t in &r.tags {
            *tags.entry(t).or_default() += 1;
        }
        statuses[status_index(r.status)] += 1;
    }
    Facets {
        groups: groups.into_iter().map(|(k, n)| (k.into(), n)).collect(),
        tags: tags.into_iter().map(|(k, n)| (k.into(), n)).collect(),
        statuses: [Status::Running, Status::Completed, Status::Failed]
            .into_iter()
            .zip(statuses)
            .filter(|(_, n)| *n > 0)
            .collect(),
    }
}

fn status_index(s: Status) -> usize {
    match s {
        Status::Running => 0,
        Status::Completed => 1,
        Status::Failed => 2,
    }
}

/// A column and direction to sort by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub column: Column,
    pub descending: bool,
}

impl Default for Order {
    fn default() -> Self {
        Order {
            column: Column::Created,
            descending: true,
        }
    }
}

impl Order {
    /// The `sort=` form: the column id, `-` first for descending.
    pub fn to_param(&self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.column.id()
        )
    }

    pub fn parse(s: &str) -> Option<Order> {
        let (descending, id) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        Column::parse(id).map(|column| Order { column, descending })
    }

    /// Clicking a header: the same column flips direction, a new one starts in the
    /// direction people usually want (newest, longest and biggest first; names A–Z).
    pub fn clicked(&self, column: Column) -> Order {
        if self.column == column {
            return Order {
                column,
                descending: !self.descending,
            };
        }
        let descending = matches!(
            column,
            Column::Created
                | Column::Duration
                | Column::Metric(_)
                | Column::MetricMin(_)
                | Column::MetricMax(_)
        );
        Order { column, descending }
    }
}

/// Filters and sorts runs for display; returns indices into `runs`, so the rows keep
/// pointing at shared data.
pub fn arrange<R: Borrow<ExperimentInfo>>(
    runs: &[R],
    filter: &ExperimentFilter,
    order: &Order,
) -> Vec<usize> {
    arrange_where(runs, filter, order, &|_| true)
}

/// [`arrange`], keeping only the runs `keep` accepts too (a search-language filter).
pub fn arrange_where<R: Borrow<ExperimentInfo>>(
    runs: &[R],
    filter: &ExperimentFilter,
    order: &Order,
    keep: &dyn Fn(&ExperimentInfo) -> bool,
) -> Vec<usize> {
    arrange_with(runs, filter, order, keep, &Extremes::default())
}

/// Per run id, per metric key: the lowest and highest value, as far as they are known
/// (the min/max columns' data, fetched per run from the store's metric summaries).
pub type Extremes = std::collections::HashMap<String, BTreeMap<String, (Option<f64>, Option<f64>)>>;

/// A run's value in a min or max column, when known.
pub fn extreme(extremes: &Extremes, run: &ExperimentInfo, column: &Column) -> Option<f64> {
    let (lo, hi) = extremes.get(&run.id)?.get(column.extreme_of()?)?;
    match column {
        Column::MetricMin(_) => *lo,
        _ => *hi,
    }
}

/// [`arrange_where`], with min/max columns sorted from `extremes` (runs whose extremes
/// are not known yet sort last, as missing metrics do).
pub fn arrange_with<R: Borrow<ExperimentInfo>>(
    runs: &[R],
    filter: &ExperimentFilter,
    order: &Order,
    keep: &dyn Fn(&ExperimentInfo) -> bool,
    extremes: &Extremes,
) -> Vec<usize> {
    let run = |i: usize| -> &ExperimentInfo { runs[i].borrow() };
    let mut kept: Vec<usize> = (0..runs.len())
        .filter(|i| filter.matches(run(*i)) && keep(run(*i)))
        .collect();
    let key = match &order.column {
        Column::Name => SortKey::Name,
        Column::Group => SortKey::Group,
        Column::Status => SortKey::Status,
        Column::Created => SortKey::Created,
        Column::Duration => SortKey::Duration,
        Column::Param(p) => SortKey::Param(p.clone()),
        Column::Metric(m) | Column::MetricMin(m) | Column::MetricMax(m) => {
            SortKey::Metric(m.clone())
        }
        Column::Tags => {
            let joined = |i: usize| run(i).tags.join(",");
            kept.sort_by(|a, b| {
                let (x, y) = (joined(*a), joined(*b));
                // Untagged runs last in either direction.
                match (x.is_empty(), y.is_empty()) {
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ if order.descending => y.cmp(&x),
                    _ => x.cmp(&y),
                }
                .then_with(|| run(*b).created_at.cmp(&run(*a).created_at))
            });
            return kept;
        }
    };
    let sort = Sort {
        key,
        descending: order.descending,
    };
    // The core sorts values; sort lightweight stand-ins carrying the index, so 10,000
    // runs are not cloned. Only the fields the sort reads are copied.
    let mut stand_ins: Vec<ExperimentInfo> = kept
        .iter()
        .map(|i| {
            let mut s = sortable(run(*i), &sort.key, *i);
            if let Some(m) = order.column.extreme_of() {
                s.metrics.clear();
                if let Some(v) = extreme(extremes, run(*i), &order.column) {
                    s.metrics.insert(m.to_string(), v);
                }
            }
            s
        })
        .collect();
    core_sort(&mut stand_ins, &sort);
    stand_ins
        .iter()
        .filter_map(|e| e.id.parse::<usize>().ok())
        .collect()
}

/// A copy of the fields `key` sorts on, with the row index as its id (the final tie-break
/// on id then keeps input order stable enough, and the index comes back out).
fn sortable(e: &ExperimentInfo, key: &SortKey, index: usize) -> ExperimentInfo {
    let mut s = ExperimentInfo {
        id: format!("{index:010}"),
        name: String::new(),
        group: String::new(),
        status: e.status,
        tags: Vec::new(),
        created_at: e.created_at,
        duration: e.duration,
        description: None,
        source: None,
        params: BTreeMap::new(),
        metrics: BTreeMap::new(),
        unreadable: None,
        created_by: None,
    };
    match key {
        SortKey::Name => s.name = e.name.clone(),
        SortKey::Group => s.group = e.group.clone(),
        SortKey::Param(p) => {
            if let Some(v) = e.params.get(p) {
                s.params.insert(p.clone(), v.clone());
            }
        }
        SortKey::Metric(m) => {
            if let Some(v) = e.metrics.get(m) {
                s.metrics.insert(m.clone(), *v);
            }
        }
        _ => {}
    }
    s
}

/// The rows a viewport shows: those intersecting `[scroll_top, scroll_top + height)`
/// plus `overscan` rows either side, so fast scrolling does not flash empty space.
pub fn visible_rows(
    scroll_top: f64,
    viewport_height: f64,
    row_height: f64,
    total: usize,
    overscan: usize,
) -> Range<usize> {
    if total == 0 || row_height <= 0.0 {
        return 0..0;
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let count = (viewport_height.max(0.0) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = first
        .saturating_add(count)
        .saturating_add(overscan)
        .min(total);
    start..end
}

/// The most rows [`snap`]ped windows can hold for a viewport: row slots for recycling.
pub fn slots(viewport_height: f64, row_height: f64, overscan: usize, block: usize) -> usize {
    let visible = if row_height > 0.0 {
        (viewport_height.max(0.0) / row_height).ceil() as usize + 1
    } else {
        1
    };
    visible + 2 * overscan + 2 * block.max(1)
}

/// Widens a row range to whole blocks of `block` rows: scrolling within a block then
/// leaves the range, and the render, unchanged.
pub fn snap(range: Range<usize>, block: usize, total: usize) -> Range<usize> {
    let block = block.max(1);
    let start = range.start / block * block;
    let end = range.end.div_ceil(block).saturating_mul(block).min(total);
    start.min(end)..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::ParamValue;

    fn run(i: usize, group: &str, tags: &[&str]) -> ExperimentInfo {
        let mut e = ExperimentInfo {
            id: format!("run-{i}"),
            name: format!("name-{i:02}"),
            group: group.into(),
            status: if i % 3 == 0 {
                Status::Running
            } else {
                Status::Completed
            },
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created_at: 1000 + i as i64,
            duration: Some(i as f64),
            description: None,
            source: None,
            params: BTreeMap::new(),
            metrics: BTreeMap::new(),
            unreadable: None,
            created_by: None,
        };
        e.params
            .insert("lr".into(), ParamValue::Float(0.1 / (i + 1) as f64));
        if i % 2 == 0 {
            e.metrics.insert("val/acc".into(), i as f64 / 10.0);
        }
        e
    }

    fn runs() -> Vec<ExperimentInfo> {
        vec![
            run(0, "a", &["x"]),
            run(1, "b", &[]),
            run(2, "a", &["x", "y"]),
            run(3, "b", &["y"]),
            run(4, "a", &[]),
        ]
    }

    #[test]
    fn columns_round_trip_their_ids() {
        for c in [
            Column::Name,
            Column::Tags,
            Column::Param("lr".into()),
            Column::Metric("val/acc".into()),
            Column::MetricMin("val/loss".into()),
            Column::MetricMax("a:b".into()),
        ] {
            assert_eq!(Column::parse(&c.id()), Some(c));
        }
        assert_eq!(Column::parse("min:"), None);
        assert_eq!(Column::parse("avg:x"), None);
        assert_eq!(Column::parse("param:"), None);
        assert_eq!(Column::parse("bogus"), None);
    }

    #[test]
    fn keys_and_facets_count_runs() {
        let r = runs();
        let k = keys(&r);
        assert_eq!(k.params, ["lr"]);
        assert_eq!(k.metrics, ["val/acc"]);
        let f = facets(&r);
        assert_eq!(f.groups, [("a".into(), 3), ("b".into(), 2)]);
        assert_eq!(f.tags, [("x".into(), 2), ("y".into(), 2)]);
        assert_eq!(f.statuses, [(Status::Running, 2), (Status::Completed, 3)]);
    }

    #[test]
    fn sorts_any_column_and_filters() {
        let r = runs();
        let all = ExperimentFilter::default();
        let by =
            |column: Column, descending: bool| arrange(&r, &all, &Order { column, descending });
        assert_eq!(by(Column::Created, true), [4, 3, 2, 1, 0]);
        assert_eq!(by(Column::Name, false), [0, 1, 2, 3, 4]);
        assert_eq!(by(Column::Param("lr".into()), false), [4, 3, 2, 1, 0]);
        // Missing metrics last in both directions.
        assert_eq!(by(Column::Metric("val/acc".into()), true), [4, 2, 0, 3, 1]);
        assert_eq!(by(Column::Metric("val/acc".into()), false), [0, 2, 4, 3, 1]);
        assert_eq!(by(Column::Tags, false)[..3], [0, 2, 3]);
        let in_a = ExperimentFilter {
            group: Some("a".into()),
            text: Some("NAME-0".into()),
            ..Default::default()
        };
        assert_eq!(arrange(&r, &in_a, &Order::default()), [4, 2, 0]);
    }

    #[test]
    fn min_max_columns_sort_by_known_extremes_unknown_last() {
        let r = runs();
        let mut ex = Extremes::default();
        for (i, (lo, hi)) in [(Some(0.3), Some(0.9)), (Some(0.1), Some(0.5)), (None, None)]
            .into_iter()
            .enumerate()
        {
            ex.entry(format!("run-{i}"))
                .or_default()
                .insert("val/acc".into(), (lo, hi));
        }
        let all = ExperimentFilter::default();
        let by = |column: Column, descending: bool| {
            arrange_with(&r, &all, &Order { column, descending }, &|_| true, &ex)
        };
        assert_eq!(by(Column::MetricMin("val/acc".into()), false)[..2], [1, 0]);
        assert_eq!(by(Column::MetricMax("val/acc".into()), true)[..2], [0, 1]);
        assert_eq!(
            extreme(&ex, &r[0], &Column::MetricMax("val/acc".into())),
            Some(0.9)
        );
        assert_eq!(
            extreme(&ex, &r[2], &Column::MetricMin("val/acc".into())),
            None
        );
        assert_eq!(extreme(&ex, &r[0], &Column::Metric("val/acc".into())), None);
        assert_eq!(Column::MetricMin("val/acc".into()).title(), "min(val/acc)");
    }

    #[test]
    fn default_columns_prefer_what_varies() {
        let mut r = runs();
        for e in &mut r {
            e.params.insert("a_const".into(), ParamValue::Int(1));
        }
        let cols = default_columns(&r, 1, 1);
        assert_eq!(
            cols,
            [Column::Param("lr".into()), Column::Metric("val/acc".into())]
        );
    }

    #[test]
    fn grid_template_sums_widths() {
        let (t, w) = grid_template(&[Column::Name, Column::Metric("m".into())]);
        assert_eq!(t, "36px minmax(240px, 1fr) 120px");
        assert_eq!(w, 396.0);
    }

    #[test]
    fn orders_round_trip() {
        let o = Order {
            column: Column::Metric("val/acc".into()),
            descending: true,
        };
        assert_eq!(o.to_param(), "-metric:val/acc");
        assert_eq!(Order::parse(&o.to_param()), Some(o));
        assert_eq!(Order::parse("-nope"), None);
    }

    #[test]
    fn header_clicks_toggle_direction() {
        let o = Order::default().clicked(Column::Name);
        assert!(!o.descending);
        assert!(o.clicked(Column::Name).descending);
        assert!(o.clicked(Column::Metric("m".into())).descending);
    }

    #[test]
    fn slots_cover_every_snapped_window() {
        for top in (0..20_000).step_by(7) {
            let r = snap(visible_rows(top as f64, 700.0, 36.0, 10_000, 8), 8, 10_000);
            assert!(r.len() <= slots(700.0, 36.0, 8, 8), "{r:?}");
        }
    }

    #[test]
    fn ranges_snap_to_blocks() {
        assert_eq!(snap(3..17, 8, 100), 0..24);
        assert_eq!(snap(8..16, 8, 100), 8..16);
        assert_eq!(snap(90..99, 8, 99), 88..99);
        assert_eq!(snap(0..0, 8, 0), 0..0);
    }

    #[test]
    fn only_visible_rows_render() {
        assert_eq!(visible_rows(0.0, 320.0, 32.0, 10_000, 5), 0..16);
        assert_eq!(visible_rows(3200.0, 320.0, 32.0, 10_000, 5), 95..116);
        assert_eq!(visible_rows(1e9, 320.0, 32.0, 10_000, 5), 10_000..10_000);
        assert_eq!(visible_rows(0.0, 320.0, 32.0, 3, 5), 0..3);
        assert_eq!(visible_rows(0.0, 320.0, 32.0, 0, 5), 0..0);
    }
}

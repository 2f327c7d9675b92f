//! A trace's spans as a waterfall: depth-first by start time, each row indented under its
//! parent with its bar placed on the trace's time line. Spans whose parent is missing (not
//! arrived yet, or from another trace) become roots rather than vanishing.

use std::collections::{BTreeSet, HashMap};

use sextant_core::Span;

/// One row of the waterfall.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Index into the spans given to [`layout`].
    pub span: usize,
    pub depth: usize,
    /// Bar start and width as fractions of the trace's duration.
    pub offset: f64,
    pub width: f64,
    pub children: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Waterfall {
    pub rows: Vec<Row>,
    /// Unix nanoseconds of the trace's first start and last end.
    pub start: i64,
    pub end: i64,
}

/// Lays out `spans`, hiding the descendants of spans whose ids are in `collapsed`.
pub fn layout(spans: &[Span], collapsed: &BTreeSet<String>) -> Waterfall {
    if spans.is_empty() {
        return Waterfall::default();
    }
    let start = spans
        .iter()
        .map(|s| s.start_time_unix_nano)
        .min()
        .unwrap_or(0);
    let end = spans
        .iter()
        .map(|s| s.end_time_unix_nano.max(s.start_time_unix_nano))
        .max()
        .unwrap_or(start);
    let total = (end - start).max(1) as f64;
    let by_id: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        match s.parent_span_id.as_deref().and_then(|p| by_id.get(p)) {
            Some(&parent) if parent != i => children.entry(parent).or_default().push(i),
            _ => roots.push(i),
        }
    }
    let by_start = |v: &mut Vec<usize>| {
        v.sort_by_key(|i| (spans[*i].start_time_unix_nano, spans[*i].span_id.clone()))
    };
    by_start(&mut roots);
    for v in children.values_mut() {
        by_start(v);
    }
    let mut rows = Vec::with_capacity(spans.len());
    let mut seen = vec![false; spans.len()];
    // Depth-first with an explicit stack (deep traces must not overflow the wasm stack).
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|r| (*r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        let s = &spans[i];
        let kids = children.get(&i).map(Vec::as_slice).unwrap_or(&[]);
        rows.push(Row {
            span: i,
            depth,
            offset: (s.start_time_unix_nano - start) as f64 / total,
            width: (s.end_time_unix_nano - s.start_time_unix_nano).max(0) as f64 / total,
            children: kids.len(),
        });
        if !collapsed.contains(&s.span_id) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    // Spans only reachable through a parent cycle: show them as roots.
    for i in 0..spans.len() {
        if !seen[i] && !is_hidden(i, spans, &by_id, collapsed) {
            let s = &spans[i];
            rows.push(Row {
                span: i,
                depth: 0,
                offset: (s.start_time_unix_nano - start) as f64 / total,
                width: (s.end_time_unix_nano - s.start_time_unix_nano).max(0) as f64 / total,
                children: children.get(&i).map_or(0, Vec::len),
            });
        }
    }
    Waterfall { rows, start, end }
}

/// Whether an ancestor of span `i` is collapsed (walks up at most `spans.len()` links).
fn is_hidden(
    i: usize,
    spans: &[Span],
    by_id: &HashMap<&str, usize>,
    collapsed: &BTreeSet<String>,
) -> bool {
    let mut cur = i;
    for _ in 0..spans.len() {
        let Some(&parent) = spans[cur]
            .parent_span_id
            .as_deref()
            .and_then(|p| by_id.get(p))
        else {
            return false;
        };
        if collapsed.contains(&spans[parent].span_id) {
            return true;
        }
        cur = parent;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::SpanStatus;

    fn span(id: &str, parent: Option<&str>, start: i64, end: i64) -> Span {
        Span {
            trace_id: "t".repeat(32),
            span_id: id.into(),
            parent_span_id: parent.map(String::from),
            name: id.into(),
            kind: 1,
            dfs_span_type: 0,
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            status: SpanStatus::Ok,
            status_message: None,
            attributes: Default::default(),
            events: Vec::new(),
            links: Vec::new(),
            trace_flags: None,
        }
    }

    fn names(w: &Waterfall, spans: &[Span]) -> Vec<(String, usize)> {
        w.rows
            .iter()
            .map(|r| (spans[r.span].name.clone(), r.depth))
            .collect()
    }

    #[test]
    fn nests_children_under_parents_by_start_time() {
        let spans = vec![
            span("c2", Some("root"), 50, 90),
            span("root", None, 0, 100),
            span("c1", Some("root"), 10, 40),
            span("g1", Some("c1"), 20, 30),
        ];
        let w = layout(&spans, &BTreeSet::new());
        assert_eq!(
            names(&w, &spans),
            [
                ("root".into(), 0),
                ("c1".into(), 1),
                ("g1".into(), 2),
                ("c2".into(), 1)
            ]
        );
        let g1 = &w.rows[2];
        assert!((g1.offset - 0.2).abs() < 1e-12 && (g1.width - 0.1).abs() < 1e-12);
        assert_eq!(w.rows[0].children, 2);
        assert_eq!((w.start, w.end), (0, 100));
    }

    #[test]
    fn orphans_become_roots_and_collapse_hides_descendants() {
        let spans = vec![
            span("root", None, 0, 100),
            span("orphan", Some("missing"), 5, 10),
            span("child", Some("root"), 10, 20),
            span("grandchild", Some("child"), 12, 15),
        ];
        let w = layout(&spans, &BTreeSet::new());
        assert_eq!(w.rows.len(), 4);
        assert!(names(&w, &spans).contains(&("orphan".into(), 0)));
        let collapsed: BTreeSet<String> = ["root".to_string()].into();
        let w = layout(&spans, &collapsed);
        assert_eq!(
            names(&w, &spans),
            [("root".into(), 0), ("orphan".into(), 0)]
        );
    }

    #[test]
    fn parent_cycles_do_not_loop_or_lose_spans() {
        let spans = vec![span("a", Some("b"), 0, 10), span("b", Some("a"), 1, 5)];
        let w = layout(&spans, &BTreeSet::new());
        assert_eq!(w.rows.len(), 2);
        assert!(layout(&[], &BTreeSet::new()).rows.is_empty());
    }
}

//! `sextant traces ID` and `sextant trace ID TRACE_ID`.

use std::collections::HashMap;

use sextant::{ExperimentTracker, Span, SpanStatus};

use super::commands::{print_json, resolve, Out};
use super::table::{self, Align, Table};
use super::{CliError, CliResult};

pub fn list(tracker: &ExperimentTracker, input: &str, json: bool, out: Out) -> CliResult {
    let info = resolve(tracker, input)?;
    let traces = tracker.list_traces(Some(&info.id))?;
    if json {
        return print_json(out, &traces);
    }
    if traces.is_empty() {
        writeln!(out, "no traces in {} ({})", info.name, info.id)?;
        return Ok(());
    }
    let mut t = Table::new(&[
        ("TRACE", Align::Left),
        ("ROOT", Align::Left),
        ("SPANS", Align::Right),
        ("DURATION", Align::Right),
        ("STATE", Align::Left),
        ("STARTED", Align::Left),
    ]);
    for tr in &traces {
        t.row(vec![
            tr.trace_id.clone(),
            tr.root_name
                .clone()
                .unwrap_or_else(|| "(no root yet)".into()),
            tr.span_count.to_string(),
            table::duration_ns(tr.duration_ns),
            format!("{:?}", tr.state).to_lowercase(),
            table::time(tr.start_time_unix_nano / 1_000_000),
        ]);
    }
    t.write(out, "")?;
    Ok(())
}

pub fn tree(
    tracker: &ExperimentTracker,
    input: &str,
    trace: &str,
    json: bool,
    out: Out,
) -> CliResult {
    let info = resolve(tracker, input)?;
    let trace_id = if trace.len() == 32 {
        trace.to_string()
    } else {
        let matches: Vec<String> = tracker
            .list_traces(Some(&info.id))?
            .into_iter()
            .map(|t| t.trace_id)
            .filter(|t| t.starts_with(trace))
            .collect();
        match matches.len() {
            1 => matches[0].clone(),
            0 => trace.to_string(),
            count => {
                return Err(CliError::AmbiguousTrace {
                    prefix: trace.into(),
                    count,
                })
            }
        }
    };
    let spans = tracker.get_trace(Some(&info.id), &trace_id)?;
    if json {
        return print_json(out, &spans);
    }
    for line in render(&spans) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The span tree, one line per span: indentation for nesting, duration, status. Spans
/// whose parent is not in the trace are shown as roots.
pub fn render(spans: &[Span]) -> Vec<String> {
    let ids: std::collections::HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&Span>> = HashMap::new();
    for s in spans {
        let parent = s.parent_span_id.as_deref().filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(s);
    }
    for list in children.values_mut() {
        list.sort_by_key(|s| s.start_time_unix_nano);
    }
    let mut lines = Vec::new();
    let mut stack: Vec<(&Span, usize)> = children
        .get(&None)
        .map(|r| r.iter().rev().map(|s| (*s, 0)).collect())
        .unwrap_or_default();
    while let Some((span, depth)) = stack.pop() {
        let status = match span.status {
            SpanStatus::Error => {
                format!("  ERROR {}", span.status_message.as_deref().unwrap_or(""))
            }
            _ => String::new(),
        };
        let label = format!("{}{}", "  ".repeat(depth), span.name);
        lines.push(format!(
            "{label:<40} {:>10}{}",
            table::duration_ns(span.end_time_unix_nano - span.start_time_unix_nano),
            status.trim_end()
        ));
        if let Some(kids) = children.get(&Some(span.span_id.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use sextant::SpanStatus;
    use sextant_core::conformance::test_span;

    #[test]
    fn renders_nesting_in_start_order() {
        let mut failing = test_span(1, 3, Some(1), 400, 900);
        failing.status = SpanStatus::Error;
        failing.status_message = Some("oom".into());
        let spans = vec![
            test_span(1, 1, None, 0, 1_000_000),
            failing,
            test_span(1, 2, Some(1), 100, 300),
            test_span(1, 4, Some(2), 150, 200),
            test_span(1, 5, Some(99), 10, 20),
        ];
        let lines = super::render(&spans);
        let names: Vec<String> = lines
            .iter()
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect();
        assert_eq!(names, ["span-1", "span-2", "span-4", "span-3", "span-5"]);
        assert!(lines[1].starts_with("  span-2") && lines[2].starts_with("    span-4"));
        assert!(lines[3].contains("ERROR oom"));
    }
}

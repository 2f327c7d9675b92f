//! The read, export, import and delete commands.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use sextant::{
    AttachmentInfo, Error, ExperimentInfo, ExperimentTracker, MetricSummary, ModelInfo, ParamValue,
    TraceSummary,
};

use super::table::{self, Align, Table};
use super::{CliError, CliResult};

pub(super) type Out<'a> = &'a mut dyn Write;

/// Turns what the user typed into an experiment id: the id itself, or a prefix of exactly
/// one id (like git), so the short ids `ls` prints can be typed back.
pub(super) fn resolve(tracker: &ExperimentTracker, input: &str) -> CliResult<ExperimentInfo> {
    match tracker.get_experiment(Some(input)) {
        Ok(info) => return Ok(info),
        Err(Error::ExperimentNotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let mut matches: Vec<ExperimentInfo> = tracker
        .list_experiments()?
        .into_iter()
        .filter(|e| e.id.starts_with(input))
        .collect();
    match matches.len() {
        0 => Err(Error::ExperimentNotFound(input.to_string()).into()),
        1 => Ok(matches.remove(0)),
        _ => Err(CliError::AmbiguousId {
            prefix: input.to_string(),
            matches: matches
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

pub(super) fn print_json(out: Out, value: &impl Serialize) -> CliResult {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn ls(
    tracker: &ExperimentTracker,
    filter: &str,
    order_by: &str,
    json: bool,
    out: Out,
) -> CliResult {
    let searching = !filter.trim().is_empty();
    let experiments = tracker.search_experiments(filter, order_by)?;
    if json {
        return print_json(out, &experiments);
    }
    if experiments.is_empty() {
        let what = if searching {
            "no experiments match the filter"
        } else {
            "no experiments"
        };
        writeln!(out, "{what} in {}", tracker.store().location())?;
        return Ok(());
    }
    let ids: Vec<&str> = experiments.iter().map(|e| e.id.as_str()).collect();
    let short = table::short_ids(&ids, 8);
    let mut t = Table::new(&[
        ("ID", Align::Left),
        ("NAME", Align::Left),
        ("GROUP", Align::Left),
        ("STATUS", Align::Left),
        ("CREATED (UTC)", Align::Left),
        ("DURATION", Align::Right),
        ("METRICS", Align::Right),
    ]);
    for (e, id) in experiments.iter().zip(short) {
        t.row(vec![
            id,
            e.name.clone(),
            e.group.clone(),
            match &e.unreadable {
                Some(_) => "unreadable".to_string(),
                None => e.status.to_string(),
            },
            table::time(e.created_at),
            table::duration(e.duration),
            e.metrics.len().to_string(),
        ]);
    }
    t.write(out, "")?;
    for e in experiments.iter().filter(|e| e.unreadable.is_some()) {
        writeln!(
            out,
            "warning: experiment {} cannot be read: {}",
            e.id,
            e.unreadable.as_deref().unwrap_or_default()
        )?;
    }
    Ok(())
}

/// Everything `show` prints, as one JSON object.
#[derive(Debug, Serialize)]
struct Overview {
    experiment: ExperimentInfo,
    metrics: Vec<MetricSummary>,
    attachments: Vec<AttachmentInfo>,
    traces: Vec<TraceSummary>,
    models: Vec<ModelInfo>,
}

pub fn show(tracker: &ExperimentTracker, input: &str, json: bool, out: Out) -> CliResult {
    let experiment = resolve(tracker, input)?;
    let id = Some(experiment.id.as_str());
    let overview = Overview {
        metrics: tracker.list_metrics(id)?,
        attachments: tracker.list_attachments(id)?,
        traces: tracker.list_traces(id)?,
        models: tracker.list_models(id)?,
        experiment,
    };
    if json {
        return print_json(out, &overview);
    }
    let e = &overview.experiment;
    let or_dash = |v: &Option<String>| v.clone().filter(|s| !s.is_empty()).unwrap_or("-".into());
    let fields = [
        ("id", e.id.clone()),
        ("name", e.name.clone()),
        ("group", e.group.clone()),
        ("status", e.status.to_string()),
        (
            "tags",
            if e.tags.is_empty() {
                "-".into()
            } else {
                e.tags.join(", ")
            },
        ),
        ("created", format!("{} UTC", table::time(e.created_at))),
        ("duration", table::duration(e.duration)),
        ("description", or_dash(&e.description)),
        ("source", or_dash(&e.source)),
        ("created by", or_dash(&e.created_by)),
    ];
    for (label, value) in fields {
        writeln!(out, "{label:<12} {value}")?;
    }

    let mut params = Table::new(&[
        ("KEY", Align::Left),
        ("TYPE", Align::Left),
        ("VALUE", Align::Left),
    ]);
    for (key, value) in &e.params {
        params.row(vec![
            key.clone(),
            value.param_type().as_str().to_string(),
            param_text(value),
        ]);
    }
    section(out, "params", &params)?;

    let mut metrics = Table::new(&[
        ("KEY", Align::Left),
        ("POINTS", Align::Right),
        ("STEPS", Align::Right),
        ("LATEST", Align::Right),
    ]);
    for m in &overview.metrics {
        metrics.row(vec![
            m.key.clone(),
            m.count.to_string(),
            format!("{}..{}", m.first_step, m.last_step),
            table::number(m.last_value),
        ]);
    }
    section(out, "metrics", &metrics)?;

    let mut attachments = Table::new(&[
        ("NAME", Align::Left),
        ("SIZE", Align::Right),
        ("CREATED (UTC)", Align::Left),
    ]);
    for a in &overview.attachments {
        attachments.row(vec![
            a.name.clone(),
            table::size(a.size),
            table::time(a.created_at),
        ]);
    }
    section(out, "attachments", &attachments)?;

    let mut traces = Table::new(&[
        ("TRACE", Align::Left),
        ("ROOT", Align::Left),
        ("SPANS", Align::Right),
        ("DURATION", Align::Right),
        ("STATE", Align::Left),
    ]);
    for t in &overview.traces {
        traces.row(vec![
            t.trace_id.clone(),
            t.root_name.clone().unwrap_or("-".into()),
            t.span_count.to_string(),
            table::duration_ns(t.duration_ns),
            serde_json::to_value(t.state)?
                .as_str()
                .unwrap_or("-")
                .to_string(),
        ]);
    }
    section(out, "traces", &traces)?;

    let mut models = Table::new(&[
        ("NAME", Align::Left),
        ("SIZE", Align::Right),
        ("PATH", Align::Left),
    ]);
    for m in &overview.models {
        models.row(vec![
            m.name.clone(),
            m.size.map_or("-".into(), table::size),
            m.path.clone(),
        ]);
    }
    section(out, "models", &models)?;
    Ok(())
}

fn section(out: Out, title: &str, t: &Table) -> CliResult {
    writeln!(out)?;
    if t.is_empty() {
        writeln!(out, "{title}: none")?;
    } else {
        writeln!(out, "{title}:")?;
        t.write(out, "  ")?;
    }
    Ok(())
}

/// A param as a user would type it: strings bare, everything else as JSON.
fn param_text(value: &ParamValue) -> String {
    match value {
        ParamValue::Str(s) => s.clone(),
        ParamValue::Float(f) => table::number(*f),
        other => other.to_json().to_string(),
    }
}

pub fn metrics(
    tracker: &ExperimentTracker,
    input: &str,
    key: &str,
    max_points: Option<u32>,
    json: bool,
    out: Out,
) -> CliResult {
    let experiment = resolve(tracker, input)?;
    let id = Some(experiment.id.as_str());
    let known = tracker.list_metrics(id)?;
    if !known.iter().any(|m| m.key == key) {
        let available = known
            .iter()
            .map(|m| m.key.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(CliError::MetricNotFound {
            id: experiment.id.clone(),
            key: key.to_string(),
            available: if available.is_empty() {
                "none".into()
            } else {
                available
            },
        });
    }
    let points = match max_points {
        Some(n) => tracker.get_metric_series(id, key, n as usize)?,
        None => tracker.get_metric_history(id, key)?,
    };
    if json {
        return print_json(out, &points);
    }
    let mut t = Table::new(&[
        ("STEP", Align::Right),
        ("VALUE", Align::Right),
        ("LOGGED AT (UTC)", Align::Left),
    ]);
    for p in &points {
        let logged = if p.logged_at > 0 {
            table::time(p.logged_at)
        } else {
            "-".into()
        };
        t.row(vec![p.step.to_string(), table::exact(p.value), logged]);
    }
    t.write(out, "")?;
    Ok(())
}

pub fn export(
    tracker: &ExperimentTracker,
    input: &str,
    file: &Path,
    json: bool,
    out: Out,
) -> CliResult {
    let experiment = resolve(tracker, input)?;
    tracker.export(file, Some(&experiment.id))?;
    if json {
        let report = serde_json::json!({ "id": experiment.id, "file": file });
        return print_json(out, &report);
    }
    writeln!(
        out,
        "exported {} ({}) to {}",
        experiment.id,
        experiment.name,
        file.display()
    )?;
    Ok(())
}

pub fn import(tracker: &ExperimentTracker, file: &Path, json: bool, out: Out) -> CliResult {
    if let Some(source) = file.to_str().filter(|f| f.starts_with("mlflow+")) {
        let report = sextant_server::mlflow_import::import(
            source,
            tracker.store().clone(),
            std::env::var("MLFLOW_TRACKING_TOKEN").ok().as_deref(),
        )?;
        if json {
            return print_json(out, &report);
        }
        writeln!(
            out,
            "imported {} experiments, {} runs, {} params, {} metric points, {} artifacts from {source}",
            report.experiments, report.runs, report.params, report.points, report.artifacts
        )?;
        if !report.artifacts_skipped.is_empty() {
            writeln!(
                out,
                "artifacts not on this machine (not imported) for runs: {}",
                report.artifacts_skipped.join(", ")
            )?;
        }
        return Ok(());
    }
    let id = tracker.import(file)?;
    if json {
        return print_json(out, &serde_json::json!({ "id": id }));
    }
    writeln!(out, "{id}")?;
    Ok(())
}

pub fn rm(tracker: &ExperimentTracker, input: &str, json: bool, out: Out) -> CliResult {
    let experiment = resolve(tracker, input)?;
    tracker.delete_experiment(&experiment.id)?;
    if json {
        return print_json(out, &serde_json::json!({ "deleted": experiment }));
    }
    writeln!(
        out,
        "deleted experiment {} ({}, group {}, {} params, {} metrics)",
        experiment.id,
        experiment.name,
        experiment.group,
        experiment.params.len(),
        experiment.metrics.len()
    )?;
    Ok(())
}

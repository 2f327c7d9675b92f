//! `sextant sync`: copy experiments from one store to another, any two backends.
//!
//! Idempotent and resumable by construction: every pass compares what the target already
//! has and sends only the rest. Points go in ascending step order, in batches the target
//! applies atomically, so an interrupted pass leaves each key with a complete prefix and
//! the next pass starts after the target's last step. The status goes last, so a target
//! that shows a run completed has all of it.
//!
//! Not propagated: a source rewriting a step the target already has (points are append
//! only here), deletions, and renames/tag edits made after the first copy.

use std::collections::{BTreeMap, BTreeSet};

use sextant_core::{Batch, Error, ExperimentInfo, NewExperiment, Record, Result, StepRange, Store};

/// Points per batch: big enough to amortise a round trip, small enough for any server's
/// body limit and for a killed sync to lose little.
pub const POINTS_PER_BATCH: usize = 50_000;

/// What one pass sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    pub experiments_seen: usize,
    pub experiments_created: usize,
    pub points: usize,
    pub spans: usize,
    pub attachments: usize,
    pub models: usize,
    pub params: usize,
    pub statuses: usize,
    /// Eval samples, trace links and annotations sent.
    pub evals: usize,
}

impl SyncReport {
    /// Nothing was sent: the target already had everything.
    pub fn is_empty(&self) -> bool {
        self.experiments_created == 0
            && self.points == 0
            && self.spans == 0
            && self.attachments == 0
            && self.models == 0
            && self.params == 0
            && self.statuses == 0
            && self.evals == 0
    }
}

/// One pass over every experiment of `from` (or only `only`).
pub async fn sync_once(from: &dyn Store, to: &dyn Store, only: Option<&str>) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let experiments = match only {
        Some(id) => vec![from.get_experiment(id).await?],
        None => from.list_experiments().await?,
    };
    for info in experiments {
        report.experiments_seen += 1;
        sync_experiment(from, to, &info, &mut report).await?;
    }
    Ok(report)
}

async fn sync_experiment(
    from: &dyn Store,
    to: &dyn Store,
    info: &ExperimentInfo,
    report: &mut SyncReport,
) -> Result<()> {
    let id = info.id.as_str();
    let target = match to.get_experiment(id).await {
        Ok(t) => Some(t),
        Err(Error::ExperimentNotFound(_)) => None,
        Err(e) => return Err(e),
    };
    // A new target run is created "running"; its real status is sent once all else is.
    let mut first = Vec::new();
    if target.is_none() {
        first.push(Record::Create(NewExperiment {
            id: id.to_string(),
            name: info.name.clone(),
            group: info.group.clone(),
            tags: info.tags.clone(),
            created_at: info.created_at,
            description: info.description.clone(),
            source: info.source.clone(),
            created_by: info.created_by.clone(),
        }));
        report.experiments_created += 1;
    }
    let params: Vec<_> = info
        .params
        .iter()
        .filter(|(k, v)| target.as_ref().and_then(|t| t.params.get(*k)) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !params.is_empty() {
        report.params += params.len();
        first.push(Record::Params {
            experiment: id.to_string(),
            params,
        });
    }
    if !first.is_empty() {
        to.write(&Batch { records: first }).await?;
    }

    let have: BTreeMap<String, i64> = match &target {
        Some(_) => to
            .list_metrics(id)
            .await?
            .into_iter()
            .map(|m| (m.key, m.last_step))
            .collect(),
        None => BTreeMap::new(),
    };
    for m in from.list_metrics(id).await? {
        let after = have.get(&m.key).copied();
        if after.is_some_and(|last| last >= m.last_step) {
            continue;
        }
        let points = from
            .metric_points(id, &m.key, StepRange::new(after.map(|s| s + 1), None))
            .await?;
        for chunk in points.chunks(POINTS_PER_BATCH) {
            to.write(&Batch {
                records: vec![Record::Metrics {
                    experiment: id.to_string(),
                    key: m.key.clone(),
                    points: chunk.to_vec(),
                }],
            })
            .await?;
            report.points += chunk.len();
        }
    }

    let spans = from.list_spans(id, None).await?;
    if !spans.is_empty() {
        let known: BTreeSet<(String, String)> = to
            .list_spans(id, None)
            .await?
            .into_iter()
            .map(|s| (s.trace_id, s.span_id))
            .collect();
        let missing: Vec<_> = spans
            .into_iter()
            .filter(|s| !known.contains(&(s.trace_id.clone(), s.span_id.clone())))
            .collect();
        if !missing.is_empty() {
            report.spans += missing.len();
            to.write(&Batch {
                records: vec![Record::Spans {
                    experiment: id.to_string(),
                    spans: missing,
                }],
            })
            .await?;
        }
    }

    let there: BTreeMap<String, (u64, i64)> = to
        .list_attachments(id)
        .await?
        .into_iter()
        .map(|a| (a.name, (a.size, a.created_at)))
        .collect();
    for a in from.list_attachments(id).await? {
        if there.get(&a.name) == Some(&(a.size, a.created_at)) {
            continue;
        }
        // Streamed from store to store: a checkpoint of gigabytes never sits in memory.
        let (_, chunks) = from.read_attachment(id, &a.name).await?;
        to.put_attachment(id, &a.name, a.created_at, chunks).await?;
        report.attachments += 1;
    }

    let models_there = to.list_models(id).await?;
    let models: Vec<Record> = from
        .list_models(id)
        .await?
        .into_iter()
        .filter(|m| !models_there.contains(m))
        .map(|model| Record::Model {
            experiment: id.to_string(),
            model,
        })
        .collect();
    if !models.is_empty() {
        report.models += models.len();
        to.write(&Batch { records: models }).await?;
    }

    // Samples that differ (or are missing), links and annotations the target lacks.
    let samples_there: BTreeMap<(String, String), sextant_core::EvalSample> = to
        .list_eval_samples(id)
        .await?
        .into_iter()
        .map(|s| ((s.dataset_id.clone(), s.id.clone()), s))
        .collect();
    let annotations_there: BTreeSet<String> = to
        .list_annotations(id)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let mut samples = Vec::new();
    for mut s in from.list_eval_samples(id).await? {
        match samples_there.get(&(s.dataset_id.clone(), s.id.clone())) {
            Some(t) if t == &s => continue,
            Some(t)
                if sextant_core::EvalSample {
                    trace_ids: t.trace_ids.clone(),
                    ..s.clone()
                } == *t =>
            {
                // Only links are missing: the sample itself stays as it is.
                s.trace_ids.retain(|tr| !t.trace_ids.contains(tr));
                samples.push(s);
            }
            _ => samples.push(s),
        }
    }
    let annotations: Vec<_> = from
        .list_annotations(id)
        .await?
        .into_iter()
        .filter(|a| !annotations_there.contains(&a.id))
        .collect();
    let records = sextant_core::dump::eval_records(id, samples, annotations);
    if !records.is_empty() {
        report.evals += records.len();
        to.write(&Batch { records }).await?;
    }

    let now = to.get_experiment(id).await?;
    if now.status != info.status || now.duration != info.duration {
        to.write(&Batch {
            records: vec![Record::SetStatus {
                experiment: id.to_string(),
                status: info.status,
                duration: info.duration,
            }],
        })
        .await?;
        report.statuses += 1;
    }
    Ok(())
}

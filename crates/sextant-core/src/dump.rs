//! A whole experiment in memory: what export writes and import reads, for any store.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::{
    Annotation, AttachmentInfo, EvalSample, ExperimentInfo, MetricPoint, ModelInfo, NewExperiment,
    Span, StepRange,
};
use crate::store::{Batch, Record, Store};

/// Everything about one experiment, for moving it between stores.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentDump {
    /// The experiment itself, params and status included (its id is kept on import).
    pub info: ExperimentInfo,
    /// Every point of every metric key, at full resolution, ordered by step.
    pub metrics: BTreeMap<String, Vec<MetricPoint>>,
    /// Every span of every trace, by start time.
    pub spans: Vec<Span>,
    /// Each attachment's listing with its bytes.
    pub attachments: Vec<(AttachmentInfo, Vec<u8>)>,
    /// Model links (the model files themselves are not part of the dump).
    pub models: Vec<ModelInfo>,
    /// Eval samples with their trace links, by (dataset id, id).
    pub evals: Vec<EvalSample>,
    /// Annotations on samples and spans, by creation time.
    pub annotations: Vec<Annotation>,
}

impl ExperimentDump {
    /// Reads everything a store holds about one experiment.
    pub async fn read(store: &dyn Store, id: &str) -> Result<ExperimentDump> {
        let info = store.get_experiment(id).await?;
        let mut metrics = BTreeMap::new();
        for m in store.list_metrics(id).await? {
            let points = store.metric_points(id, &m.key, StepRange::ALL).await?;
            metrics.insert(m.key, points);
        }
        let spans = store.list_spans(id, None).await?;
        let mut attachments = Vec::new();
        for a in store.list_attachments(id).await? {
            let data = store.get_attachment(id, &a.name).await?;
            attachments.push((a, data));
        }
        let models = store.list_models(id).await?;
        let evals = store.list_eval_samples(id).await?;
        let annotations = store.list_annotations(id).await?;
        Ok(ExperimentDump {
            info,
            metrics,
            spans,
            attachments,
            models,
            evals,
            annotations,
        })
    }

    /// Rebuilds the dump a batch from [`ExperimentDump::into_batch`] came from (the
    /// inverse, for carrying an experiment across a boundary as its records).
    pub fn from_batch(batch: Batch) -> Result<ExperimentDump> {
        let mut records = batch.records.into_iter();
        let Some(Record::Create(new)) = records.next() else {
            return Err(Error::Snapshot(
                "an exported experiment must start with its creation record".into(),
            ));
        };
        let mut dump = ExperimentDump {
            info: ExperimentInfo::from(new),
            metrics: BTreeMap::new(),
            spans: Vec::new(),
            attachments: Vec::new(),
            models: Vec::new(),
            evals: Vec::new(),
            annotations: Vec::new(),
        };
        for record in records {
            if record.experiment() != dump.info.id {
                return Err(Error::Snapshot(format!(
                    "an export of {:?} holds a record of {:?}",
                    dump.info.id,
                    record.experiment()
                )));
            }
            match record.with_spans_converted() {
                Record::Create(n) => return Err(Error::ExperimentExists(n.id)),
                Record::SetStatus {
                    status, duration, ..
                } => {
                    dump.info.status = status;
                    if duration.is_some() {
                        dump.info.duration = duration;
                    }
                }
                Record::Params { params, .. } => dump.info.params.extend(params),
                Record::Metrics { key, points, .. } => {
                    let series = dump.metrics.entry(key).or_default();
                    series.extend(points);
                    series.sort_by_key(|p| p.step);
                    series.dedup_by(|later, earlier| {
                        let same = later.step == earlier.step;
                        if same {
                            *earlier = *later;
                        }
                        same
                    });
                }
                Record::Spans { spans, .. } => dump.spans.extend(spans),
                Record::SpanRecords { .. } => {}
                Record::Attachment {
                    name,
                    data,
                    created_at,
                    ..
                } => {
                    dump.attachments.retain(|(a, _)| a.name != name);
                    dump.attachments.push((
                        AttachmentInfo {
                            name,
                            size: data.len() as u64,
                            created_at,
                        },
                        data,
                    ));
                }
                Record::Model { model, .. } => {
                    dump.models.retain(|m| m.id != model.id);
                    dump.models.push(model);
                }
                Record::EvalSample { sample, .. } => {
                    dump.evals
                        .retain(|s| (&s.dataset_id, &s.id) != (&sample.dataset_id, &sample.id));
                    dump.evals.push(sample);
                }
                Record::EvalTraceLink {
                    dataset_id,
                    eval_id,
                    trace_id,
                    ..
                } => {
                    if let Some(s) = dump
                        .evals
                        .iter_mut()
                        .find(|s| s.dataset_id == dataset_id && s.id == eval_id)
                    {
                        if !s.trace_ids.contains(&trace_id) {
                            s.trace_ids.push(trace_id);
                        }
                    }
                }
                Record::Annotation { annotation, .. } => {
                    dump.annotations.retain(|a| a.id != annotation.id);
                    dump.annotations.push(annotation);
                }
                Record::UpdateAnnotation { .. } | Record::DeleteAnnotation { .. } => {
                    return Err(Error::Snapshot(
                        "an exported experiment holds annotation changes, not annotations".into(),
                    ))
                }
            }
        }
        dump.info.metrics = dump
            .metrics
            .iter()
            .filter_map(|(k, points)| points.last().map(|p| (k.clone(), p.value)))
            .collect();
        Ok(dump)
    }

    /// The records that recreate this experiment in another store, status and all.
    pub fn into_batch(self) -> Batch {
        let id = self.info.id.clone();
        let mut records = vec![Record::Create(NewExperiment {
            id: id.clone(),
            name: self.info.name,
            group: self.info.group,
            tags: self.info.tags,
            created_at: self.info.created_at,
            description: self.info.description,
            source: self.info.source,
            created_by: self.info.created_by,
        })];
        if !self.info.params.is_empty() {
            records.push(Record::Params {
                experiment: id.clone(),
                params: self.info.params.into_iter().collect(),
            });
        }
        for (key, points) in self.metrics {
            records.push(Record::Metrics {
                experiment: id.clone(),
                key,
                points,
            });
        }
        if !self.spans.is_empty() {
            records.push(Record::Spans {
                experiment: id.clone(),
                spans: self.spans,
            });
        }
        for (a, data) in self.attachments {
            records.push(Record::Attachment {
                experiment: id.clone(),
                name: a.name,
                data,
                created_at: a.created_at,
            });
        }
        for model in self.models {
            records.push(Record::Model {
                experiment: id.clone(),
                model,
            });
        }
        records.extend(eval_records(&id, self.evals, self.annotations));
        records.push(Record::SetStatus {
            experiment: id,
            status: self.info.status,
            duration: self.info.duration,
        });
        Batch { records }
    }
}

/// The records that store `evals` (with their trace links) and then `annotations` in
/// experiment `id`, for import and sync.
pub fn eval_records(id: &str, evals: Vec<EvalSample>, annotations: Vec<Annotation>) -> Vec<Record> {
    let mut records = Vec::new();
    for mut sample in evals {
        let traces = std::mem::take(&mut sample.trace_ids);
        sample.annotations = None;
        let (dataset_id, eval_id) = (sample.dataset_id.clone(), sample.id.clone());
        let created_at = sample.created_at;
        records.push(Record::EvalSample {
            experiment: id.to_string(),
            sample,
        });
        for trace_id in traces {
            records.push(Record::EvalTraceLink {
                experiment: id.to_string(),
                id: link_id(&dataset_id, &eval_id, &trace_id),
                dataset_id: dataset_id.clone(),
                eval_id: eval_id.clone(),
                trace_id,
                created_at,
            });
        }
    }
    records.extend(
        annotations
            .into_iter()
            .map(|annotation| Record::Annotation {
                experiment: id.to_string(),
                annotation,
            }),
    );
    records
}

/// A link row id that is the same for the same (sample, trace) wherever it is copied, so
/// copying a link twice cannot collide with itself; shaped as a uuid, as luml's are.
pub fn link_id(dataset_id: &str, eval_id: &str, trace_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut g: u64 = 0x8422_2325_cbf2_9ce4;
    for b in dataset_id
        .bytes()
        .chain([0])
        .chain(eval_id.bytes())
        .chain([0])
        .chain(trace_id.bytes())
    {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        g = (g ^ u64::from(b)).wrapping_mul(0x5bd1_e995_0000_0193);
    }
    let bytes = ((u128::from(h) << 64) | u128::from(g)).to_le_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

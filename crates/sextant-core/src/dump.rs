//! A whole experiment in memory: what export writes and import reads, for any store.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::{
    AttachmentInfo, ExperimentInfo, MetricPoint, ModelInfo, NewExperiment, Span, StepRange,
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
        Ok(ExperimentDump {
            info,
            metrics,
            spans,
            attachments,
            models,
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
        };
        for record in records {
            if record.experiment() != dump.info.id {
                return Err(Error::Snapshot(format!(
                    "an export of {:?} holds a record of {:?}",
                    dump.info.id,
                    record.experiment()
                )));
            }
            match record {
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
        records.push(Record::SetStatus {
            experiment: id,
            status: self.info.status,
            duration: self.info.duration,
        });
        Batch { records }
    }
}

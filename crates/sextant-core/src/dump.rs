//! A whole experiment in memory: what export writes and import reads, for any store.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::model::{
    AttachmentInfo, ExperimentInfo, MetricPoint, ModelInfo, NewExperiment, Span, StepRange,
};
use crate::store::{Batch, Record, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentDump {
    pub info: ExperimentInfo,
    pub metrics: BTreeMap<String, Vec<MetricPoint>>,
    pub spans: Vec<Span>,
    pub attachments: Vec<(AttachmentInfo, Vec<u8>)>,
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

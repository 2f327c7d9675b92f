//! One batch's changes, worked out in memory before any key is set: records are checked
//! and merged here, so a bad record leaves the backend untouched.

use std::collections::{BTreeMap, BTreeSet};

use sextant_core::{Error, ExperimentInfo, MetricPoint, Record, Result, Span};

use super::{
    codec, to_json, AttachmentEntry, ExperimentEntry, GroupEntry, KvBackend, KvStore, MetricEntry,
};
use crate::chunks;

/// The changes one batch makes, staged before any key is set.
pub(super) struct Staging<'a, B> {
    store: &'a KvStore<B>,
    entries: BTreeMap<String, Option<ExperimentEntry>>,
    data: BTreeMap<String, String>,
    groups: BTreeMap<String, String>,
}

impl<'a, B: KvBackend> Staging<'a, B> {
    pub(super) fn new(store: &'a KvStore<B>) -> Self {
        Staging {
            store,
            entries: BTreeMap::new(),
            data: BTreeMap::new(),
            groups: BTreeMap::new(),
        }
    }

    fn slot(&mut self, id: &str) -> Result<&mut Option<ExperimentEntry>> {
        if !self.entries.contains_key(id) {
            let loaded = self.store.load(id)?;
            self.entries.insert(id.to_string(), loaded);
        }
        self.entries
            .get_mut(id)
            .ok_or_else(|| Error::storage("staged experiment vanished"))
    }

    fn existing(&mut self, id: &str) -> Result<&mut ExperimentEntry> {
        self.slot(id)?
            .as_mut()
            .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))
    }

    pub(super) fn apply(&mut self, record: &Record) -> Result<()> {
        match record {
            Record::Create(new) => {
                let slot = self.slot(&new.id)?;
                if slot.is_some() {
                    return Err(Error::ExperimentExists(new.id.clone()));
                }
                *slot = Some(ExperimentEntry {
                    info: ExperimentInfo {
                        id: new.id.clone(),
                        name: new.name.clone(),
                        group: new.group.clone(),
                        tags: new.tags.clone(),
                        created_at: new.created_at,
                        description: new.description.clone(),
                        source: new.source.clone(),
                        created_by: new.created_by.clone(),
                        ..ExperimentInfo::default()
                    },
                    metrics: BTreeMap::new(),
                    next_metric: 0,
                    traces: BTreeSet::new(),
                    attachments: BTreeMap::new(),
                    models: Vec::new(),
                });
                let key = self.store.group_key(&new.group);
                if !self.groups.contains_key(&key) && self.store.backend.get(&key)?.is_none() {
                    let group = GroupEntry {
                        id: self.store.env.new_uuid(),
                        created_at: new.created_at,
                    };
                    self.groups.insert(key, to_json(&group)?);
                }
            }
            Record::SetStatus {
                experiment,
                status,
                duration,
            } => {
                let e = self.existing(experiment)?;
                e.info.status = *status;
                if duration.is_some() {
                    e.info.duration = *duration;
                }
            }
            Record::Params { experiment, params } => {
                let e = self.existing(experiment)?;
                e.info
                    .params
                    .extend(params.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Record::Metrics {
                experiment,
                key,
                points,
            } => self.metrics(experiment, key, points)?,
            Record::Spans { experiment, spans } => {
                self.existing(experiment)?;
                let mut by_trace: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
                for s in spans {
                    by_trace.entry(&s.trace_id).or_default().push(s);
                }
                for (trace, new) in by_trace {
                    let key = self.store.trace_key(experiment, trace);
                    let mut stored = self.store.read_trace(&key, self.data.get(&key))?;
                    for s in new {
                        stored.retain(|x| x.span_id != s.span_id);
                        stored.push(s.clone());
                    }
                    self.data.insert(key, to_json(&stored)?);
                    self.existing(experiment)?.traces.insert(trace.to_string());
                }
            }
            Record::Attachment {
                experiment,
                name,
                data,
                created_at,
            } => {
                self.existing(experiment)?.attachments.insert(
                    name.clone(),
                    AttachmentEntry {
                        size: data.len() as u64,
                        created_at: *created_at,
                    },
                );
                let key = self.store.attachment_key(experiment, name);
                self.data.insert(key, codec::base64_encode(data));
            }
            Record::Model { experiment, model } => {
                let e = self.existing(experiment)?;
                e.models.retain(|m| m.id != model.id);
                e.models.push(model.clone());
            }
            _ => return Err(sextant_core::evals::unsupported("localStorage")),
        }
        Ok(())
    }

    fn metrics(&mut self, experiment: &str, key: &str, points: &[MetricPoint]) -> Result<()> {
        let e = self.existing(experiment)?;
        let mut entry = match e.metrics.get(key) {
            Some(m) => m.clone(),
            None => {
                e.next_metric += 1;
                MetricEntry {
                    n: e.next_metric - 1,
                    ..MetricEntry::default()
                }
            }
        };
        for (chunk, new) in chunks::by_chunk(points) {
            let ckey = self.store.chunk_key(experiment, entry.n, chunk);
            let stored = self.store.read_chunk(&ckey, chunk, self.data.get(&ckey))?;
            let old_len = stored.len();
            let merged = chunks::merge(stored, &new);
            entry.totals.absorb(old_len, &new, &merged);
            entry.chunks.insert(chunk);
            self.data.insert(
                ckey,
                codec::encode_points(chunks::chunk_base(chunk), &merged),
            );
        }
        let e = self.existing(experiment)?;
        if entry.totals.count > 0 {
            e.info
                .metrics
                .insert(key.to_string(), entry.totals.last_value);
        }
        e.metrics.insert(key.to_string(), entry);
        Ok(())
    }

    /// Data keys first, experiments last, so a reader never finds an index entry whose data
    /// is not there yet.
    pub(super) fn into_writes(self) -> Result<Vec<(String, Option<String>)>> {
        let mut writes: Vec<(String, Option<String>)> =
            self.data.into_iter().map(|(k, v)| (k, Some(v))).collect();
        writes.extend(self.groups.into_iter().map(|(k, v)| (k, Some(v))));
        for (id, entry) in self.entries {
            if let Some(entry) = entry {
                writes.push((self.store.experiment_key(&id), Some(to_json(&entry)?)));
            }
        }
        Ok(writes)
    }
}

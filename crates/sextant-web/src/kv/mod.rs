//! A store on a string key/value backend: `localStorage` in browsers ([`crate::local`]),
//! a map in tests. Keys under `<prefix>:`:
//!
//! ```text
//! e:<id>              the experiment: info (params, latest metrics), metric index,
//!                     trace ids, attachment list, models — one JSON value
//! m:<id>:<n>:<chunk>  1024 steps of the experiment's n-th metric, delta-coded text
//! t:<id>:<trace id>   the spans of one trace, JSON
//! a:<id>:<name>       an attachment's bytes, base64
//! g:<group>           a group's id and creation time
//! ```
//!
//! No key is shared between experiments, so two tabs logging different experiments never
//! rewrite each other's keys. A write stages every change first and hands the backend the
//! whole set of keys, which it applies all or nothing ([`KvBackend::apply`]).

pub mod codec;
mod staging;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sextant_core::{
    validate, AttachmentInfo, Batch, Env, Error, ExperimentInfo, ExperimentUpdate, GroupInfo,
    MaybeSend, MaybeSync, MetricPoint, MetricSummary, ModelInfo, Result, Span, StepRange, Store,
};

use crate::chunks::{self, MetricTotals};

/// A string key/value space with localStorage's semantics (synchronous, string values).
pub trait KvBackend: MaybeSend + MaybeSync + std::fmt::Debug {
    /// Names the backend in messages ("localStorage").
    fn name(&self) -> &'static str;
    fn get(&self, key: &str) -> Result<Option<String>>;
    /// Fails with [`Error::QuotaExceeded`] when the value does not fit.
    fn set(&self, key: &str, value: &str) -> Result<()>;
    fn remove(&self, key: &str) -> Result<()>;
    /// Every key starting with `prefix`.
    fn keys(&self, prefix: &str) -> Result<Vec<String>>;

    /// Sets (`Some`) or removes (`None`) every key, or changes nothing. This default sets
    /// keys one by one and, when one fails, gives the keys already set their old values
    /// back; in reverse order that passes back through states that already fit, so the
    /// restore cannot run out of space. Backends with a native batch override it.
    fn apply(&self, writes: &[(String, Option<String>)]) -> Result<()> {
        let mut undo: Vec<(&str, Option<String>)> = Vec::with_capacity(writes.len());
        for (key, value) in writes {
            let before = self.get(key)?;
            let done = match value {
                Some(v) => self.set(key, v),
                None => self.remove(key),
            };
            if let Err(e) = done {
                for (key, before) in undo.into_iter().rev() {
                    let restored = match before {
                        Some(v) => self.set(key, &v),
                        None => self.remove(key),
                    };
                    if let Err(undo_err) = restored {
                        return Err(Error::storage(format!(
                            "{e}; restoring {key:?} after it also failed: {undo_err}"
                        )));
                    }
                }
                return Err(e);
            }
            undo.push((key, before));
        }
        Ok(())
    }
}

/// Shared backends (a test inspecting what the store wrote, say).
impl<B: KvBackend + ?Sized> KvBackend for Arc<B>
where
    Arc<B>: MaybeSend + MaybeSync,
{
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn get(&self, key: &str) -> Result<Option<String>> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<()> {
        (**self).set(key, value)
    }
    fn remove(&self, key: &str) -> Result<()> {
        (**self).remove(key)
    }
    fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        (**self).keys(prefix)
    }
    fn apply(&self, writes: &[(String, Option<String>)]) -> Result<()> {
        (**self).apply(writes)
    }
}

/// One metric key of an experiment: the number in its chunk keys, totals, stored chunks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct MetricEntry {
    n: u32,
    #[serde(flatten)]
    totals: MetricTotals,
    chunks: BTreeSet<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AttachmentEntry {
    size: u64,
    created_at: i64,
}

/// The `e:<id>` value.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ExperimentEntry {
    info: ExperimentInfo,
    #[serde(default)]
    metrics: BTreeMap<String, MetricEntry>,
    #[serde(default)]
    next_metric: u32,
    #[serde(default)]
    traces: BTreeSet<String>,
    #[serde(default)]
    attachments: BTreeMap<String, AttachmentEntry>,
    #[serde(default)]
    models: Vec<ModelInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct GroupEntry {
    id: String,
    created_at: i64,
}

/// The key/value store; see the module docs for its layout.
#[derive(Debug)]
pub struct KvStore<B> {
    backend: B,
    prefix: String,
    location: String,
    env: Arc<dyn Env>,
}

impl<B: KvBackend> KvStore<B> {
    /// A store under `prefix` (keys are `<prefix>:...`); `location` is its connection string.
    pub fn new(backend: B, prefix: &str, location: String, env: Arc<dyn Env>) -> Self {
        KvStore {
            backend,
            prefix: prefix.to_string(),
            location,
            env,
        }
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    fn experiment_key(&self, id: &str) -> String {
        format!("{}:e:{id}", self.prefix)
    }
    fn chunk_key(&self, id: &str, n: u32, chunk: i64) -> String {
        format!("{}:m:{id}:{n}:{chunk}", self.prefix)
    }
    fn trace_key(&self, id: &str, trace: &str) -> String {
        format!("{}:t:{id}:{trace}", self.prefix)
    }
    fn attachment_key(&self, id: &str, name: &str) -> String {
        format!("{}:a:{id}:{name}", self.prefix)
    }
    fn group_key(&self, name: &str) -> String {
        format!("{}:g:{name}", self.prefix)
    }

    fn parse<T: for<'de> Deserialize<'de>>(&self, key: &str, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| {
            Error::corrupt(format!(
                "{} key {key:?} is not what Sextant wrote: {e}",
                self.backend.name()
            ))
        })
    }

    fn load(&self, id: &str) -> Result<Option<ExperimentEntry>> {
        let key = self.experiment_key(id);
        match self.backend.get(&key)? {
            Some(text) => Ok(Some(self.parse(&key, &text)?)),
            None => Ok(None),
        }
    }

    fn entry(&self, id: &str) -> Result<ExperimentEntry> {
        self.load(id)?
            .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))
    }

    fn all_entries(&self) -> Result<Vec<ExperimentEntry>> {
        let prefix = self.experiment_key("");
        let mut out = Vec::new();
        for key in self.backend.keys(&prefix)? {
            // A longer prefix of another store can share ours; its keys are not ids.
            if validate::experiment_id(&key[prefix.len()..]).is_err() {
                continue;
            }
            if let Some(text) = self.backend.get(&key)? {
                out.push(self.parse::<ExperimentEntry>(&key, &text)?);
            }
        }
        Ok(out)
    }

    fn read_chunk(
        &self,
        key: &str,
        chunk: i64,
        staged: Option<&String>,
    ) -> Result<Vec<MetricPoint>> {
        let text = match staged {
            Some(t) => Some(t.clone()),
            None => self.backend.get(key)?,
        };
        match text {
            Some(t) => codec::decode_points(chunks::chunk_base(chunk), &t, key),
            None => Ok(Vec::new()),
        }
    }

    fn read_trace(&self, key: &str, staged: Option<&String>) -> Result<Vec<Span>> {
        let text = match staged {
            Some(t) => Some(t.clone()),
            None => self.backend.get(key)?,
        };
        match text {
            Some(t) => self.parse(key, &t),
            None => Ok(Vec::new()),
        }
    }

    /// Sets every key or none (see [`KvBackend::apply`]).
    fn commit(&self, writes: Vec<(String, Option<String>)>) -> Result<()> {
        match self.backend.apply(&writes) {
            Err(Error::QuotaExceeded {
                message: detail, ..
            }) => {
                let size: usize = writes
                    .iter()
                    .map(|(k, v)| k.len() + v.as_ref().map_or(0, String::len))
                    .sum();
                Err(Error::quota_exceeded(format!(
                    "{} is full ({detail}): a write of {} keys, {size} characters, did not fit \
                     and was rolled back; everything stored before it is intact. Delete old \
                     experiments, or use idb:// for large runs",
                    self.backend.name(),
                    writes.len()
                )))
            }
            other => other,
        }
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::storage(format!("cannot encode: {e}")))
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl<B: KvBackend> Store for KvStore<B> {
    fn location(&self) -> String {
        self.location.clone()
    }

    async fn write(&self, batch: &Batch) -> Result<()> {
        let batch = &*batch.with_spans_converted();
        // The same rules as every store, before anything is staged.
        batch.validate()?;
        let mut staging = staging::Staging::new(self);
        for record in &batch.records {
            staging.apply(record)?;
        }
        self.commit(staging.into_writes()?)
    }

    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        let mut out: Vec<ExperimentInfo> =
            self.all_entries()?.into_iter().map(|e| e.info).collect();
        sextant_core::query::newest_first(&mut out);
        Ok(out)
    }

    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo> {
        Ok(self.entry(id)?.info)
    }

    async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        let prefix = self.group_key("");
        let entries = self.all_entries()?;
        let mut out = Vec::new();
        for key in self.backend.keys(&prefix)? {
            let Some(text) = self.backend.get(&key)? else {
                continue;
            };
            let group: GroupEntry = self.parse(&key, &text)?;
            let name = key[prefix.len()..].to_string();
            let experiment_count = entries.iter().filter(|e| e.info.group == name).count() as u64;
            out.push(GroupInfo {
                id: group.id,
                name,
                description: None,
                created_at: group.created_at,
                experiment_count,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>> {
        Ok(self
            .entry(id)?
            .metrics
            .iter()
            .filter(|(_, m)| m.totals.count > 0)
            .map(|(key, m)| m.totals.summary(key))
            .collect())
    }

    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>> {
        let entry = self.entry(id)?;
        let (Some(metric), Some((lo, hi))) = (entry.metrics.get(key), chunks::chunk_span(range))
        else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for &chunk in metric.chunks.range(lo..=hi) {
            let ckey = self.chunk_key(id, metric.n, chunk);
            out.extend(
                self.read_chunk(&ckey, chunk, None)?
                    .into_iter()
                    .filter(|p| range.contains(p.step)),
            );
        }
        Ok(out)
    }

    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        Ok(self
            .entry(id)?
            .attachments
            .into_iter()
            .map(|(name, a)| AttachmentInfo {
                name,
                size: a.size,
                created_at: a.created_at,
            })
            .collect())
    }

    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        let missing = || Error::AttachmentNotFound {
            experiment: id.to_string(),
            name: name.to_string(),
        };
        if !self.entry(id)?.attachments.contains_key(name) {
            return Err(missing());
        }
        let key = self.attachment_key(id, name);
        let text = self.backend.get(&key)?.ok_or_else(missing)?;
        codec::base64_decode(&text, &key)
    }

    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>> {
        let entry = self.entry(id)?;
        let mut spans = Vec::new();
        for trace in entry
            .traces
            .iter()
            .filter(|t| trace_id.is_none_or(|want| want == t.as_str()))
        {
            spans.extend(self.read_trace(&self.trace_key(id, trace), None)?);
        }
        spans.sort_by_key(|s| s.start_time_unix_nano);
        Ok(spans)
    }

    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>> {
        Ok(self.entry(id)?.models)
    }

    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()> {
        let mut entry = self.entry(id)?;
        if let Some(name) = &update.name {
            entry.info.name = name.clone();
        }
        if let Some(d) = &update.description {
            entry.info.description = Some(d.clone());
        }
        if let Some(tags) = &update.tags {
            entry.info.tags = tags.clone();
        }
        self.commit(vec![(self.experiment_key(id), Some(to_json(&entry)?))])
    }

    async fn delete_experiment(&self, id: &str) -> Result<()> {
        validate::experiment_id(id)?;
        let key = self.experiment_key(id);
        if self.backend.get(&key)?.is_none() {
            return Err(Error::ExperimentNotFound(id.to_string()));
        }
        // The index goes first: a reader then sees the experiment gone, never half of it.
        let mut doomed = vec![(key, None)];
        for class in ["m", "t", "a"] {
            for k in self
                .backend
                .keys(&format!("{}:{class}:{id}:", self.prefix))?
            {
                doomed.push((k, None));
            }
        }
        self.backend.apply(&doomed)
    }
}

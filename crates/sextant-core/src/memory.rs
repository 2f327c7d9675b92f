//! The in-memory store: every platform has it, and tests use it as the reference.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::evals::StoredRefs;
use crate::model::{
    Annotation, AnnotationTarget, AnnotationValueType, AttachmentInfo, EvalSample, ExperimentInfo,
    ExperimentUpdate, GroupInfo, MetricPoint, MetricSummary, ModelInfo, NewToken, Span, StepRange,
    TokenInfo,
};
use crate::store::{Batch, Record, Store, TokenStore};

#[derive(Debug, Default)]
struct Experiment {
    info: ExperimentInfo,
    metrics: BTreeMap<String, BTreeMap<i64, MetricPoint>>,
    attachments: BTreeMap<String, (Vec<u8>, i64)>,
    spans: BTreeMap<(String, String), Span>,
    models: Vec<ModelInfo>,
    /// By (dataset id, id); `trace_ids` holds the links, in link order.
    evals: BTreeMap<(String, String), EvalSample>,
    /// Both tables, in write order.
    annotations: Vec<Annotation>,
}

#[derive(Debug, Default)]
struct State {
    experiments: BTreeMap<String, Experiment>,
    /// Group name -> (id, created_at).
    groups: BTreeMap<String, (String, i64)>,
    /// Access tokens with their hashes, by creation.
    tokens: Vec<(String, TokenInfo)>,
}

/// A [`Store`] held in memory (`memory://`): gone when dropped, never read-only, never full.
/// The reference the conformance suite is written against.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl Default for ExperimentInfo {
    fn default() -> Self {
        ExperimentInfo {
            id: String::new(),
            name: String::new(),
            group: String::new(),
            status: crate::model::Status::Running,
            tags: Vec::new(),
            created_at: 0,
            duration: None,
            description: None,
            source: None,
            params: BTreeMap::new(),
            metrics: BTreeMap::new(),
            unreadable: None,
            created_by: None,
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| Error::storage("memory store lock poisoned by a panic"))
    }
}

impl State {
    fn experiment(&self, id: &str) -> Result<&Experiment> {
        self.experiments
            .get(id)
            .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))
    }

    fn experiment_mut(&mut self, id: &str) -> Result<&mut Experiment> {
        self.experiments
            .get_mut(id)
            .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))
    }

    fn apply(&mut self, record: Record) -> Result<()> {
        match record.with_spans_converted() {
            Record::Create(new) => {
                if self.experiments.contains_key(&new.id) {
                    return Err(Error::ExperimentExists(new.id));
                }
                let group_id = format!("group-{}", self.groups.len() + 1);
                self.groups
                    .entry(new.group.clone())
                    .or_insert((group_id, new.created_at));
                let id = new.id.clone();
                let info = ExperimentInfo::from(new);
                self.experiments.insert(
                    id,
                    Experiment {
                        info,
                        ..Experiment::default()
                    },
                );
            }
            Record::SetStatus {
                experiment,
                status,
                duration,
            } => {
                let e = self.experiment_mut(&experiment)?;
                e.info.status = status;
                if duration.is_some() {
                    e.info.duration = duration;
                }
            }
            Record::Params { experiment, params } => {
                let e = self.experiment_mut(&experiment)?;
                e.info.params.extend(params);
            }
            Record::Metrics {
                experiment,
                key,
                points,
            } => {
                let e = self.experiment_mut(&experiment)?;
                let series = e.metrics.entry(key.clone()).or_default();
                for p in points {
                    series.insert(p.step, p);
                }
                if let Some((_, last)) = series.last_key_value() {
                    e.info.metrics.insert(key, last.value);
                }
            }
            Record::Spans { experiment, spans } => {
                let e = self.experiment_mut(&experiment)?;
                for s in spans {
                    e.spans.insert((s.trace_id.clone(), s.span_id.clone()), s);
                }
            }
            Record::SpanRecords { .. } => {}
            Record::Attachment {
                experiment,
                name,
                data,
                created_at,
            } => {
                let e = self.experiment_mut(&experiment)?;
                e.attachments.insert(name, (data, created_at));
            }
            Record::Model { experiment, model } => {
                let e = self.experiment_mut(&experiment)?;
                e.models.retain(|m| m.id != model.id);
                e.models.push(model);
            }
            Record::EvalSample { experiment, sample } => {
                let e = self.experiment_mut(&experiment)?;
                let key = (sample.dataset_id.clone(), sample.id.clone());
                let (created_at, trace_ids) = match e.evals.get(&key) {
                    Some(old) => (old.created_at, old.trace_ids.clone()),
                    None => (sample.created_at, Vec::new()),
                };
                e.evals.insert(
                    key,
                    EvalSample {
                        created_at,
                        trace_ids,
                        annotations: None,
                        ..sample
                    },
                );
            }
            Record::EvalTraceLink {
                experiment,
                dataset_id,
                eval_id,
                trace_id,
                ..
            } => {
                let e = self.experiment_mut(&experiment)?;
                if let Some(s) = e.evals.get_mut(&(dataset_id, eval_id)) {
                    if !s.trace_ids.contains(&trace_id) {
                        s.trace_ids.push(trace_id);
                    }
                }
            }
            Record::Annotation {
                experiment,
                annotation,
            } => {
                let e = self.experiment_mut(&experiment)?;
                let target = annotation.subject.target();
                e.annotations
                    .retain(|a| !(a.id == annotation.id && a.subject.target() == target));
                e.annotations.push(annotation);
            }
            Record::UpdateAnnotation {
                experiment,
                target,
                id,
                value,
                rationale,
            } => {
                let e = self.experiment_mut(&experiment)?;
                if let Some(a) = e
                    .annotations
                    .iter_mut()
                    .find(|a| a.id == id && a.subject.target() == target)
                {
                    if let Some(v) = value {
                        a.value = v;
                    }
                    if rationale.is_some() {
                        a.rationale = rationale;
                    }
                }
            }
            Record::DeleteAnnotation {
                experiment,
                target,
                id,
            } => {
                let e = self.experiment_mut(&experiment)?;
                e.annotations
                    .retain(|a| !(a.id == id && a.subject.target() == target));
            }
        }
        Ok(())
    }
}

impl StoredRefs for State {
    fn has_sample(&self, experiment: &str, dataset_id: &str, eval_id: &str) -> bool {
        self.experiments.get(experiment).is_some_and(|e| {
            e.evals
                .contains_key(&(dataset_id.to_string(), eval_id.to_string()))
        })
    }

    fn has_span(&self, experiment: &str, trace_id: &str, span_id: &str) -> bool {
        self.experiments.get(experiment).is_some_and(|e| {
            e.spans
                .contains_key(&(trace_id.to_string(), span_id.to_string()))
        })
    }

    fn annotation_type(
        &self,
        experiment: &str,
        target: AnnotationTarget,
        id: &str,
    ) -> Option<AnnotationValueType> {
        self.experiments.get(experiment).and_then(|e| {
            e.annotations
                .iter()
                .find(|a| a.id == id && a.subject.target() == target)
                .map(|a| a.value_type)
        })
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Store for MemoryStore {
    fn location(&self) -> String {
        "memory://".to_string()
    }

    async fn write(&self, batch: &Batch) -> Result<()> {
        batch.validate()?;
        let mut state = self.lock()?;
        // Everything `apply` could refuse is checked first, so a bad record leaves nothing
        // half-applied: an experiment created twice (before or within this batch), or a
        // record for one that neither exists nor is created in the batch.
        let mut created = std::collections::HashSet::new();
        for r in &batch.records {
            if let Record::Create(n) = r {
                if state.experiments.contains_key(&n.id) || !created.insert(n.id.as_str()) {
                    return Err(Error::ExperimentExists(n.id.clone()));
                }
            }
        }
        for r in &batch.records {
            let id = r.experiment();
            if !created.contains(id) && !state.experiments.contains_key(id) {
                return Err(Error::ExperimentNotFound(id.to_string()));
            }
        }
        crate::evals::check_refs(batch, &*state)?;
        // Creates first, as the SQLite store does: a record may precede its experiment's
        // create in the same batch.
        let (creates, rest): (Vec<&Record>, Vec<&Record>) = batch
            .records
            .iter()
            .partition(|r| matches!(r, Record::Create(_)));
        for r in creates.into_iter().chain(rest) {
            state.apply(r.clone())?;
        }
        Ok(())
    }

    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        let state = self.lock()?;
        let mut out: Vec<ExperimentInfo> =
            state.experiments.values().map(|e| e.info.clone()).collect();
        crate::query::newest_first(&mut out);
        Ok(out)
    }

    /// Matches under the lock and copies only the runs kept.
    async fn search_experiments(
        &self,
        query: &crate::search::Query,
    ) -> Result<Vec<ExperimentInfo>> {
        let mut out: Vec<ExperimentInfo> = {
            let state = self.lock()?;
            state
                .experiments
                .values()
                .filter(|e| query.matches(&e.info))
                .map(|e| e.info.clone())
                .collect()
        };
        crate::query::newest_first(&mut out);
        query.sort(&mut out);
        Ok(out)
    }

    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo> {
        Ok(self.lock()?.experiment(id)?.info.clone())
    }

    async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        let state = self.lock()?;
        Ok(state
            .groups
            .iter()
            .map(|(name, (id, created_at))| GroupInfo {
                id: id.clone(),
                name: name.clone(),
                description: None,
                created_at: *created_at,
                experiment_count: state
                    .experiments
                    .values()
                    .filter(|e| &e.info.group == name)
                    .count() as u64,
            })
            .collect())
    }

    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>> {
        let state = self.lock()?;
        let e = state.experiment(id)?;
        Ok(e.metrics
            .iter()
            .filter_map(|(key, series)| {
                let (first, _) = series.first_key_value()?;
                let (last, p) = series.last_key_value()?;
                let (min, max) = series
                    .values()
                    .fold((None, None), |acc, p| crate::extremes_with(acc, p.value));
                Some(MetricSummary {
                    key: key.clone(),
                    count: series.len() as u64,
                    first_step: *first,
                    last_step: *last,
                    last_value: p.value,
                    min,
                    max,
                })
            })
            .collect())
    }

    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>> {
        let state = self.lock()?;
        let e = state.experiment(id)?;
        let Some(series) = e.metrics.get(key) else {
            return Ok(Vec::new());
        };
        let from = range.from.unwrap_or(i64::MIN);
        let to = range.to.unwrap_or(i64::MAX);
        if from > to {
            return Ok(Vec::new());
        }
        Ok(series.range(from..=to).map(|(_, p)| *p).collect())
    }

    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        let state = self.lock()?;
        Ok(state
            .experiment(id)?
            .attachments
            .iter()
            .map(|(name, (data, created_at))| AttachmentInfo {
                name: name.clone(),
                size: data.len() as u64,
                created_at: *created_at,
            })
            .collect())
    }

    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        let state = self.lock()?;
        state
            .experiment(id)?
            .attachments
            .get(name)
            .map(|(data, _)| data.clone())
            .ok_or_else(|| Error::AttachmentNotFound {
                experiment: id.to_string(),
                name: name.to_string(),
            })
    }

    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>> {
        let state = self.lock()?;
        let mut spans: Vec<Span> = state
            .experiment(id)?
            .spans
            .values()
            .filter(|s| trace_id.is_none_or(|t| s.trace_id == t))
            .cloned()
            .collect();
        spans.sort_by_key(|s| s.start_time_unix_nano);
        Ok(spans)
    }

    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>> {
        Ok(self.lock()?.experiment(id)?.models.clone())
    }

    async fn list_eval_samples(&self, id: &str) -> Result<Vec<EvalSample>> {
        Ok(self
            .lock()?
            .experiment(id)?
            .evals
            .values()
            .cloned()
            .collect())
    }

    async fn list_annotations(&self, id: &str) -> Result<Vec<Annotation>> {
        let mut out = self.lock()?.experiment(id)?.annotations.clone();
        out.sort_by_key(|a| a.created_at);
        Ok(out)
    }

    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()> {
        let mut state = self.lock()?;
        let e = state.experiment_mut(id)?;
        if let Some(name) = &update.name {
            e.info.name = name.clone();
        }
        if let Some(d) = &update.description {
            e.info.description = Some(d.clone());
        }
        if let Some(tags) = &update.tags {
            e.info.tags = tags.clone();
        }
        Ok(())
    }

    async fn delete_experiment(&self, id: &str) -> Result<()> {
        let mut state = self.lock()?;
        state
            .experiments
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))
    }

    fn tokens(&self) -> Option<&dyn TokenStore> {
        Some(self)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl TokenStore for MemoryStore {
    async fn add_token(&self, token: &NewToken) -> Result<()> {
        crate::model::validate_token_name(&token.name)?;
        let mut state = self.lock()?;
        let taken = state
            .tokens
            .iter()
            .any(|(_, t)| t.name == token.name && t.revoked_at.is_none());
        if taken {
            return Err(crate::store::token_name_taken(&token.name));
        }
        state.tokens.push((
            token.hash.clone(),
            TokenInfo {
                name: token.name.clone(),
                role: token.role,
                prefix: token.prefix.clone(),
                created_at: token.created_at,
                last_used_at: None,
                revoked_at: None,
            },
        ));
        Ok(())
    }

    async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        Ok(self.lock()?.tokens.iter().map(|(_, t)| t.clone()).collect())
    }

    async fn revoke_token(&self, name: &str, at: i64) -> Result<()> {
        let mut state = self.lock()?;
        let active = state
            .tokens
            .iter_mut()
            .find(|(_, t)| t.name == name && t.revoked_at.is_none())
            .ok_or_else(|| crate::store::no_such_token(name))?;
        active.1.revoked_at = Some(at);
        Ok(())
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>> {
        Ok(self
            .lock()?
            .tokens
            .iter()
            .find(|(h, t)| h == hash && t.revoked_at.is_none())
            .map(|(_, t)| t.clone()))
    }

    async fn touch_token(&self, name: &str, at: i64) -> Result<()> {
        let mut state = self.lock()?;
        for (_, t) in state.tokens.iter_mut().filter(|(_, t)| t.name == name) {
            if t.revoked_at.is_none() {
                t.last_used_at = Some(at);
            }
        }
        Ok(())
    }
}

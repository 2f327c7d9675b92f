//! One `Store::write` = one readwrite transaction: issue every read the batch needs at
//! once (experiments, groups, touched chunks and metric totals), wait for the last, check
//! and merge in Rust, then issue every put. A failed check aborts the transaction, so
//! nothing of the batch is stored. The chart summaries of every chunk written (`pages`)
//! are recomputed from its merged points and put in the same transaction, so they never
//! disagree with the points, overwrites included.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use sextant_core::{Batch, Env, Error, ExperimentInfo, MetricPoint, Record, Result};
use wasm_bindgen::prelude::*;
use web_sys::{IdbObjectStore, IdbRequest, IdbTransaction};

use super::request::{js_failure, result};
use super::{pages, rows, schema};
use crate::chunk_summary::{self, ChunkSummary};
use crate::chunks::{self, MetricTotals};

/// Steps are JS numbers in the totals rows; JS itself cannot produce larger ones.
const MAX_STEP: i64 = (1 << 53) - 1;

fn store(tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore> {
    tx.object_store(name)
        .map_err(|e| js_failure(&format!("opening {name}"), &e))
}

fn get(store: &IdbObjectStore, key: &JsValue, last: &mut Option<IdbRequest>) -> Result<IdbRequest> {
    let req = store
        .get(key)
        .map_err(|e| js_failure("reading before a write", &e))?;
    *last = Some(req.clone());
    Ok(req)
}

fn put(store: &IdbObjectStore, value: &JsValue) -> Result<()> {
    store
        .put(value)
        .map(drop)
        .map_err(|e| js_failure("writing", &e))
}

fn value_of(req: &IdbRequest) -> Result<Option<JsValue>> {
    let v = req
        .result()
        .map_err(|e| js_failure("reading before a write", &e))?;
    Ok((!v.is_undefined()).then_some(v))
}

type MetricId<'a> = (&'a str, &'a str);

/// A chunk or a page of one metric: `(exp, key, number)`.
type PartId<'a> = (&'a str, &'a str, i64);

/// Writes a batch into `tx` (a readwrite transaction over every store); the caller waits
/// for the commit. On error the caller aborts the transaction. `with_pages`: the database
/// keeps chart summaries (schema version 3 on).
pub async fn write_batch(
    tx: &IdbTransaction,
    batch: &Batch,
    env: &dyn Env,
    with_pages: bool,
) -> Result<()> {
    let experiments = store(tx, schema::EXPERIMENTS)?;
    let groups = store(tx, schema::GROUPS)?;
    let chunk_store = store(tx, schema::METRIC_CHUNKS)?;
    let key_store = store(tx, schema::METRIC_KEYS)?;
    let page_store = with_pages
        .then(|| store(tx, schema::METRIC_PAGES))
        .transpose()?;

    // Every read up front: requests in a transaction complete in order, so waiting for the
    // last one means all are done.
    let mut last = None;
    let mut exp_reqs: BTreeMap<&str, IdbRequest> = BTreeMap::new();
    let mut group_reqs: BTreeMap<&str, IdbRequest> = BTreeMap::new();
    let mut total_reqs: BTreeMap<MetricId, IdbRequest> = BTreeMap::new();
    let mut chunk_reqs: BTreeMap<PartId, IdbRequest> = BTreeMap::new();
    let mut page_reqs: BTreeMap<PartId, IdbRequest> = BTreeMap::new();
    for record in &batch.records {
        let exp = record.experiment();
        if let Entry::Vacant(slot) = exp_reqs.entry(exp) {
            slot.insert(get(&experiments, &JsValue::from_str(exp), &mut last)?);
        }
        match record {
            Record::Create(new) if !group_reqs.contains_key(new.group.as_str()) => {
                let req = get(&groups, &JsValue::from_str(&new.group), &mut last)?;
                group_reqs.insert(&new.group, req);
            }
            Record::Metrics { key, points, .. } => {
                if let Some(bad) = points.iter().find(|p| p.step > MAX_STEP) {
                    return Err(Error::InvalidInput {
                        what: "step",
                        value: bad.step.to_string(),
                        reason: "IndexedDB stores steps up to 2^53 - 1".into(),
                    });
                }
                let id = (exp, key.as_str());
                if let Entry::Vacant(slot) = total_reqs.entry(id) {
                    let k = rows::key(&[exp.into(), key.into()]);
                    slot.insert(get(&key_store, &k, &mut last)?);
                }
                for chunk in points.iter().map(|p| chunks::chunk_of(p.step)) {
                    if let Entry::Vacant(slot) = chunk_reqs.entry((exp, key, chunk)) {
                        let k = rows::key(&[exp.into(), key.into(), (chunk as f64).into()]);
                        slot.insert(get(&chunk_store, &k, &mut last)?);
                    }
                    let page = chunk_summary::page_of(chunk);
                    if let (Some(pages), Entry::Vacant(slot)) =
                        (&page_store, page_reqs.entry((exp, key, page)))
                    {
                        let k = rows::key(&[exp.into(), key.into(), (page as f64).into()]);
                        slot.insert(get(pages, &k, &mut last)?);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(req) = &last {
        result(req, "reading before a write").await?;
    }

    let mut infos: BTreeMap<&str, Option<ExperimentInfo>> = BTreeMap::new();
    for (id, req) in &exp_reqs {
        let info = value_of(req)?
            .map(|row| rows::read_experiment(&row))
            .transpose()?;
        infos.insert(id, info);
    }
    let mut plan = Plan::default();
    for record in &batch.records {
        plan.apply(
            record,
            &mut infos,
            &group_reqs,
            &total_reqs,
            &chunk_reqs,
            env,
        )?;
    }

    // Every check passed: the puts.
    for id in &plan.changed {
        if let Some(Some(info)) = infos.get(id) {
            put(&experiments, &rows::experiment(info)?)?;
        }
    }
    for (name, (id, created_at)) in &plan.new_groups {
        put(&groups, &rows::group(name, id, *created_at)?)?;
    }
    for ((exp, key, chunk), points) in &plan.chunks {
        put(&chunk_store, &rows::chunk(exp, key, *chunk, points)?)?;
    }
    if let Some(page_store) = &page_store {
        put_pages(page_store, &plan.chunks, &page_reqs)?;
    }
    for ((exp, key), t) in &plan.totals {
        put(&key_store, &rows::totals(exp, key, t)?)?;
    }
    let spans = store(tx, schema::SPANS)?;
    let attachments = store(tx, schema::ATTACHMENTS)?;
    let attachment_data = store(tx, schema::ATTACHMENT_DATA)?;
    let models = store(tx, schema::MODELS)?;
    for record in &batch.records {
        match record {
            Record::Spans {
                experiment,
                spans: list,
            } => {
                for s in list {
                    put(&spans, &rows::span(experiment, s)?)?;
                }
            }
            Record::Attachment {
                experiment,
                name,
                data,
                created_at,
            } => {
                put(
                    &attachments,
                    &rows::attachment(experiment, name, data.len(), *created_at)?,
                )?;
                let bytes = js_sys::Uint8Array::from(data.as_slice());
                attachment_data
                    .put_with_key(&bytes, &rows::key(&[experiment.into(), name.into()]))
                    .map_err(|e| js_failure("writing an attachment", &e))?;
            }
            Record::Model { experiment, model } => put(&models, &rows::model(experiment, model)?)?,
            _ => {}
        }
    }
    Ok(())
}

/// Puts the page rows of every written chunk, each summary recomputed from the chunk's
/// merged points (a rewrite may have removed an extreme).
fn put_pages(
    page_store: &IdbObjectStore,
    written: &BTreeMap<PartId, Vec<MetricPoint>>,
    page_reqs: &BTreeMap<PartId, IdbRequest>,
) -> Result<()> {
    let mut touched: BTreeMap<PartId, pages::Page> = BTreeMap::new();
    for (&(exp, key, chunk), points) in written {
        let id = (exp, key, chunk_summary::page_of(chunk));
        let page = match touched.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let stored = match page_reqs.get(&id).map(value_of).transpose()?.flatten() {
                    Some(row) => pages::read(&row)?.1,
                    None => pages::Page::new(),
                };
                e.insert(stored)
            }
        };
        if let Some(s) = ChunkSummary::of(points) {
            page.insert(chunk_summary::slot_of(chunk), s);
        }
    }
    for ((exp, key, page), summaries) in &touched {
        put(page_store, &pages::row(exp, key, *page, summaries)?)?;
    }
    Ok(())
}

/// What the batch changes, worked out before anything is put.
#[derive(Default)]
struct Plan<'a> {
    changed: BTreeSet<&'a str>,
    new_groups: BTreeMap<&'a str, (String, i64)>,
    chunks: BTreeMap<PartId<'a>, Vec<MetricPoint>>,
    totals: BTreeMap<MetricId<'a>, MetricTotals>,
}

impl<'a> Plan<'a> {
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        record: &'a Record,
        infos: &mut BTreeMap<&'a str, Option<ExperimentInfo>>,
        group_reqs: &BTreeMap<&'a str, IdbRequest>,
        total_reqs: &BTreeMap<MetricId<'a>, IdbRequest>,
        chunk_reqs: &BTreeMap<PartId<'a>, IdbRequest>,
        env: &dyn Env,
    ) -> Result<()> {
        let exp = record.experiment();
        let slot = infos
            .get_mut(exp)
            .ok_or_else(|| Error::storage("experiment read missing from the plan"))?;
        if let Record::Create(new) = record {
            if slot.is_some() {
                return Err(Error::ExperimentExists(new.id.clone()));
            }
            *slot = Some(ExperimentInfo {
                id: new.id.clone(),
                name: new.name.clone(),
                group: new.group.clone(),
                tags: new.tags.clone(),
                created_at: new.created_at,
                description: new.description.clone(),
                source: new.source.clone(),
                created_by: new.created_by.clone(),
                ..ExperimentInfo::default()
            });
            self.changed.insert(exp);
            let stored = match group_reqs.get(new.group.as_str()) {
                Some(req) => value_of(req)?.is_some(),
                None => false,
            };
            if !stored && !self.new_groups.contains_key(new.group.as_str()) {
                self.new_groups
                    .insert(&new.group, (env.new_uuid(), new.created_at));
            }
            return Ok(());
        }
        let info = slot
            .as_mut()
            .ok_or_else(|| Error::ExperimentNotFound(exp.to_string()))?;
        match record {
            Record::SetStatus {
                status, duration, ..
            } => {
                info.status = *status;
                if duration.is_some() {
                    info.duration = *duration;
                }
                self.changed.insert(exp);
            }
            Record::Params { params, .. } => {
                info.params
                    .extend(params.iter().map(|(k, v)| (k.clone(), v.clone())));
                self.changed.insert(exp);
            }
            Record::Metrics { key, points, .. } => {
                let id = (exp, key.as_str());
                let mut totals = match self.totals.get(&id) {
                    Some(t) => *t,
                    None => match total_reqs.get(&id).map(value_of).transpose()?.flatten() {
                        Some(row) => rows::read_totals(&row)?.1,
                        None => MetricTotals::default(),
                    },
                };
                for (chunk, new) in chunks::by_chunk(points) {
                    let ckey = (exp, key.as_str(), chunk);
                    let stored = match self.chunks.remove(&ckey) {
                        Some(points) => points,
                        None => match chunk_reqs.get(&ckey).map(value_of).transpose()?.flatten() {
                            Some(row) => rows::read_chunk(&row)?,
                            None => Vec::new(),
                        },
                    };
                    let old_len = stored.len();
                    let merged = chunks::merge(stored, &new);
                    totals.absorb(old_len, &new, &merged);
                    self.chunks.insert(ckey, merged);
                }
                if totals.count > 0 {
                    info.metrics.insert(key.clone(), totals.last_value);
                    self.changed.insert(exp);
                }
                self.totals.insert(id, totals);
            }
            Record::Create(_)
            | Record::Spans { .. }
            | Record::Model { .. }
            | Record::Attachment { .. } => {}
            r if sextant_core::evals::is_eval_record(r) => {
                return Err(sextant_core::evals::unsupported("IndexedDB"))
            }
            _ => {}
        }
        Ok(())
    }
}

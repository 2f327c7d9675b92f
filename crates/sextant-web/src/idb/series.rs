//! `metric_series` on IndexedDB: in one read transaction, the page rows over the range and
//! the range's two end chunks, then only the chunks `wide_series` names (those holding
//! the first and last point, and those a bucket edge cuts where it matters). A full-range
//! chart of 10M points reads ~150 page rows and at most a few hundred chunks instead of
//! ~10,000 chunks, and answers exactly what `downsample` over every point would.

use std::collections::BTreeMap;

use sextant_core::downsample::downsample;
use sextant_core::{MetricPoint, Result, StepRange, Store};
use wasm_bindgen::prelude::*;
use web_sys::{IdbObjectStore, IdbRequest};

use super::request::{js_failure, result};
use super::{pages, rows, schema, IndexedDbStore};
use crate::chunk_summary::{self, ChunkSummary};
use crate::chunks;
use crate::wide_series::{self, Next};

pub async fn series(
    store: &IndexedDbStore,
    id: &str,
    key: &str,
    range: StepRange,
    max_points: usize,
) -> Result<Vec<MetricPoint>> {
    let Some((cf, ct)) = chunks::chunk_span(range) else {
        return store.get_experiment(id).await.map(|_| Vec::new());
    };
    if wide_series::too_narrow(range, max_points) {
        let points = store.metric_points(id, key, range).await?;
        return Ok(downsample(&points, max_points));
    }
    let context = store.context();
    let failed = |e: JsValue| js_failure(&context, &e);
    let tx = store
        .transaction(
            &[
                schema::EXPERIMENTS,
                schema::METRIC_CHUNKS,
                schema::METRIC_PAGES,
            ],
            false,
        )
        .await?;
    let exp = store.get_experiment_req(&tx, id)?;
    let chunk_store = store.object_store(&tx, schema::METRIC_CHUNKS)?;
    let get_chunk = |chunk: i64| -> Result<IdbRequest> {
        chunk_store
            .get(&rows::key(&[id.into(), key.into(), (chunk as f64).into()]))
            .map_err(failed)
    };
    let mut ends = vec![(cf, get_chunk(cf)?)];
    if ct > cf {
        ends.push((ct, get_chunk(ct)?));
    }
    let page_req = if ct > cf + 1 {
        let bounds = pages::range(
            id,
            key,
            chunk_summary::page_of(cf + 1),
            chunk_summary::page_of(ct - 1),
        )?;
        let req = store
            .object_store(&tx, schema::METRIC_PAGES)?
            .get_all_with_key(&bounds)
            .map_err(failed)?;
        Some(req)
    } else {
        None
    };
    // Requests complete in order: the last one done means all are.
    let last = page_req
        .as_ref()
        .or(ends.last().map(|(_, r)| r))
        .unwrap_or(&exp);
    result(last, &context).await?;
    store.experiment_from(&exp, id)?;

    let mut end_points = BTreeMap::new();
    for (chunk, req) in &ends {
        if let Some(points) = chunk_of(req, &context)? {
            end_points.insert(*chunk, points);
        }
    }
    let mut summaries: BTreeMap<i64, ChunkSummary> = BTreeMap::new();
    if let Some(req) = &page_req {
        for row in rows::rows(req.result().map_err(failed)?)? {
            let (page, slots) = pages::read(&row)?;
            summaries.extend(
                slots
                    .into_iter()
                    .map(|(slot, s)| (chunk_summary::chunk_at(page, slot), s)),
            );
        }
    }

    // The transaction is still active: these continuations run inside its events.
    match wide_series::plan(range, max_points, &end_points, &summaries) {
        Next::Done(points) => Ok(points),
        Next::AllPoints => {
            let req = all_chunks(&chunk_store, id, key, cf, ct).map_err(failed)?;
            let mut points = Vec::new();
            for row in rows::rows(result(&req, &context).await?)? {
                points.extend(
                    rows::read_chunk(&row)?
                        .into_iter()
                        .filter(|p| range.contains(p.step)),
                );
            }
            Ok(downsample(&points, max_points))
        }
        Next::Read(pending) => {
            let reqs = pending
                .chunks
                .iter()
                .map(|c| get_chunk(*c))
                .collect::<Result<Vec<_>>>()?;
            if let Some(last) = reqs.last() {
                result(last, &context).await?;
            }
            let mut points = Vec::new();
            for req in &reqs {
                points.extend(chunk_of(req, &context)?.unwrap_or_default());
            }
            Ok(pending.finish(points))
        }
    }
}

/// The points of a finished chunk `get`, `None` when the chunk is not stored.
fn chunk_of(req: &IdbRequest, context: &str) -> Result<Option<Vec<MetricPoint>>> {
    let row = req.result().map_err(|e| js_failure(context, &e))?;
    if row.is_undefined() {
        return Ok(None);
    }
    rows::read_chunk(&row).map(Some)
}

/// Every stored chunk of one metric from `first` to `last`.
fn all_chunks(
    chunk_store: &IdbObjectStore,
    id: &str,
    key: &str,
    first: i64,
    last: i64,
) -> std::result::Result<IdbRequest, JsValue> {
    let lower = rows::key(&[id.into(), key.into(), (first as f64).into()]);
    let upper = rows::key(&[id.into(), key.into(), (last as f64).into()]);
    let bounds = web_sys::IdbKeyRange::bound(&lower, &upper)?;
    chunk_store.get_all_with_key(&bounds)
}

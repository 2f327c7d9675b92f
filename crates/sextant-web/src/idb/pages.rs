//! `metric_pages` rows: the summaries (`ChunkSummary`) of up to 64 consecutive chunks of one
//! metric in one row, so a wide chart over 10M points reads about 150 small rows. Columns
//! are typed arrays (copied as memory blocks by IndexedDB and by wasm-bindgen), one entry
//! per stored chunk:
//!
//! | field | type | per entry |
//! |---|---|---|
//! | `slots` | `Uint8Array` | the chunk's place in the page (0–63) |
//! | `counts` | `Uint16Array` | its number of points (at most 1024) |
//! | `offsets` | `Uint16Array` | first, last, min, max: step minus the chunk's first step |
//! | `values` | `Float64Array` | first, last, min, max; min and max NaN for a chunk of NaN only |
//! | `logged` | `Float64Array` | first, last, min, max: `logged_at` |
//!
//! Written in the same transaction as the chunks they summarise (`write`); built for data
//! stored before version 3 by the upgrade ([`build_all`]).

use std::collections::BTreeMap;

use js_sys::{Array, Float64Array, Uint16Array, Uint8Array};
use sextant_core::{Error, MetricPoint, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{IdbKeyRange, IdbObjectStore, IdbTransaction};

use super::request::{js_failure, result};
use super::{rows, schema};
use crate::chunk_summary::{self, ChunkSummary};
use crate::chunks;

/// One page's summaries by slot.
pub type Page = BTreeMap<u8, ChunkSummary>;

fn corrupt(what: &str) -> Error {
    Error::corrupt(format!(
        "IndexedDB metric_pages row is not what Sextant wrote: {what}"
    ))
}

fn field<T: JsCast>(row: &JsValue, name: &str) -> Result<T> {
    js_sys::Reflect::get(row, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.dyn_into::<T>().ok())
        .ok_or_else(|| corrupt(name))
}

/// The row of page `page` of metric `(exp, metric)`.
pub fn row(exp: &str, metric: &str, page: i64, summaries: &Page) -> Result<JsValue> {
    let n = summaries.len();
    let (mut slots, mut counts) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut offsets, mut values, mut logged) = (
        Vec::with_capacity(4 * n),
        Vec::with_capacity(4 * n),
        Vec::with_capacity(4 * n),
    );
    for (slot, s) in summaries {
        let base = chunks::chunk_base(chunk_summary::chunk_at(page, *slot));
        slots.push(*slot);
        counts.push(u16::try_from(s.count).map_err(|_| corrupt("chunk over 65,535 points"))?);
        let none = MetricPoint {
            step: base,
            value: f64::NAN,
            logged_at: 0,
        };
        for p in [
            s.first,
            s.last,
            s.min.unwrap_or(none),
            s.max.unwrap_or(none),
        ] {
            offsets.push((p.step - base) as u16);
            values.push(p.value);
            logged.push(p.logged_at as f64);
        }
    }
    rows::object(&[
        ("exp", JsValue::from_str(exp)),
        ("key", JsValue::from_str(metric)),
        ("page", JsValue::from_f64(page as f64)),
        ("slots", Uint8Array::from(slots.as_slice()).into()),
        ("counts", Uint16Array::from(counts.as_slice()).into()),
        ("offsets", Uint16Array::from(offsets.as_slice()).into()),
        ("values", Float64Array::from(values.as_slice()).into()),
        ("logged", Float64Array::from(logged.as_slice()).into()),
    ])
}

/// `(page, summaries)` of a row.
pub fn read(row: &JsValue) -> Result<(i64, Page)> {
    let page = js_sys::Reflect::get(row, &JsValue::from_str("page"))
        .ok()
        .and_then(|v| v.as_f64())
        .ok_or_else(|| corrupt("page"))? as i64;
    let slots = field::<Uint8Array>(row, "slots")?.to_vec();
    let counts = field::<Uint16Array>(row, "counts")?.to_vec();
    let offsets = field::<Uint16Array>(row, "offsets")?.to_vec();
    let values = field::<Float64Array>(row, "values")?.to_vec();
    let logged = field::<Float64Array>(row, "logged")?.to_vec();
    let n = slots.len();
    if counts.len() != n || offsets.len() != 4 * n || values.len() != 4 * n || logged.len() != 4 * n
    {
        return Err(corrupt("arrays differ in length"));
    }
    let mut out = Page::new();
    for (i, (slot, count)) in slots.iter().zip(&counts).enumerate() {
        let base = chunks::chunk_base(chunk_summary::chunk_at(page, *slot));
        let point = |j: usize| MetricPoint {
            step: base + i64::from(offsets[4 * i + j]),
            value: values[4 * i + j],
            logged_at: logged[4 * i + j] as i64,
        };
        let (min, max) = (point(2), point(3));
        out.insert(
            *slot,
            ChunkSummary {
                count: u32::from(*count),
                first: point(0),
                last: point(1),
                min: (!min.value.is_nan()).then_some(min),
                max: (!max.value.is_nan()).then_some(max),
            },
        );
    }
    Ok((page, out))
}

/// Rows read per request while building pages: a few MB of chunks at a time.
const BUILD_BATCH: u32 = 256;

/// Summarises every chunk already stored into page rows: the version 3 upgrade, inside
/// its versionchange transaction (continuations run while it is active, so it stays open
/// until the last page is put).
pub async fn build_all(tx: &IdbTransaction) -> Result<()> {
    let context = "building chart summaries for stored metrics";
    let store = |name: &str| -> Result<IdbObjectStore> {
        tx.object_store(name).map_err(|e| js_failure(context, &e))
    };
    let (chunk_store, page_store) = (store(schema::METRIC_CHUNKS)?, store(schema::METRIC_PAGES)?);
    let mut after: Option<JsValue> = None;
    // The page being filled: ((exp, key, page), summaries). Chunks come in key order, so a
    // page is complete once a row of another page arrives.
    let mut current: Option<((String, String, i64), Page)> = None;
    loop {
        let req = match &after {
            None => chunk_store.get_all_with_key_and_limit(&JsValue::UNDEFINED, BUILD_BATCH),
            Some(key) => IdbKeyRange::lower_bound_with_open(key, true)
                .and_then(|range| chunk_store.get_all_with_key_and_limit(&range, BUILD_BATCH)),
        }
        .map_err(|e| js_failure(context, &e))?;
        let batch = rows::rows(result(&req, context).await?)?;
        let Some(last) = batch.last() else { break };
        after = Some(rows::chunk_key(last)?);
        for row in &batch {
            let (exp, metric, chunk) = rows::chunk_id(row)?;
            let id = (exp, metric, chunk_summary::page_of(chunk));
            if current.as_ref().is_some_and(|(at, _)| *at != id) {
                if let Some(((e, k, p), page)) = current.take() {
                    put(&page_store, &row_or_none(&e, &k, p, &page)?)?;
                }
            }
            let entry = current.get_or_insert_with(|| (id, Page::new()));
            if let Some(s) = ChunkSummary::of(&rows::read_chunk(row)?) {
                entry.1.insert(chunk_summary::slot_of(chunk), s);
            }
        }
        if batch.len() < BUILD_BATCH as usize {
            break;
        }
    }
    if let Some(((e, k, p), page)) = current {
        put(&page_store, &row_or_none(&e, &k, p, &page)?)?;
    }
    Ok(())
}

fn row_or_none(exp: &str, metric: &str, page: i64, summaries: &Page) -> Result<Option<JsValue>> {
    if summaries.is_empty() {
        return Ok(None);
    }
    row(exp, metric, page, summaries).map(Some)
}

fn put(store: &IdbObjectStore, row: &Option<JsValue>) -> Result<()> {
    if let Some(row) = row {
        store
            .put(row)
            .map_err(|e| js_failure("writing chart summaries", &e))?;
    }
    Ok(())
}

/// The key range of pages `[first, last]` of one metric.
pub fn range(exp: &str, metric: &str, first: i64, last: i64) -> Result<IdbKeyRange> {
    let bound = |page: i64| -> JsValue {
        [
            JsValue::from_str(exp),
            JsValue::from_str(metric),
            JsValue::from_f64(page as f64),
        ]
        .iter()
        .collect::<Array>()
        .into()
    };
    IdbKeyRange::bound(&bound(first), &bound(last))
        .map_err(|e| js_failure("building a key range", &e))
}

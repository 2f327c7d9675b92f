//! What a tracker holds between flushes: per open experiment, params, points and spans.

use std::collections::HashMap;

use crate::error::Result;
use crate::model::{MetricPoint, ParamValue, Span, SpanRecord};
use crate::store::Record;
use crate::validate;

/// FxHash (`rustc-hash`): metric keys are short and trusted to the process, so a fast
/// non-keyed hash suits the per-point lookup better than SipHash.
pub(super) type KeyMap = HashMap<String, KeyBuffer, rustc_hash::FxBuildHasher>;

/// One metric key's unflushed points and the step auto-step hands out next.
#[derive(Debug, Default)]
pub(super) struct KeyBuffer {
    pub next_step: i64,
    pub points: Vec<MetricPoint>,
}

/// An experiment this tracker has started or resumed and not yet ended.
#[derive(Debug)]
pub(super) struct OpenRun {
    pub id: String,
    /// When this tracker started (or resumed) it, unix ms.
    pub started_ms: i64,
    /// Duration already recorded before a resume, seconds.
    pub prior_duration: f64,
    pub params: Vec<(String, ParamValue)>,
    pub metrics: KeyMap,
    pub spans: Vec<Span>,
    /// Spans from in-process tracers, made into [`Span`]s only when drained.
    pub span_records: Vec<SpanRecord>,
    /// Eval samples and their trace links, in logging order (a link follows its sample).
    pub evals: Vec<Record>,
}

impl OpenRun {
    pub fn new(
        id: String,
        started_ms: i64,
        prior_duration: f64,
        next_steps: HashMap<String, i64>,
    ) -> Self {
        let metrics = next_steps
            .into_iter()
            .map(|(k, next_step)| {
                (
                    k,
                    KeyBuffer {
                        next_step,
                        points: Vec::new(),
                    },
                )
            })
            .collect();
        OpenRun {
            id,
            started_ms,
            prior_duration,
            params: Vec::new(),
            metrics,
            spans: Vec::new(),
            span_records: Vec::new(),
            evals: Vec::new(),
        }
    }

    /// Buffers one point. `step: None` is the next step after the key's highest (0 first).
    #[inline]
    pub fn push_point(
        &mut self,
        key: &str,
        value: f64,
        step: Option<i64>,
        now_ms: i64,
    ) -> Result<i64> {
        let kb = match self.metrics.get_mut(key) {
            Some(kb) => kb,
            None => {
                validate::key("metric key", key)?;
                self.metrics.entry(key.to_string()).or_default()
            }
        };
        let step = step.unwrap_or(kb.next_step);
        if step >= kb.next_step {
            kb.next_step = step.saturating_add(1);
        }
        kb.points.push(MetricPoint {
            step,
            value,
            logged_at: now_ms,
        });
        Ok(step)
    }

    /// Moves everything buffered into records, leaving the run open and empty.
    pub fn drain_into(&mut self, out: &mut Vec<Record>) {
        let mut later = Vec::new();
        self.drain_deferred(out, &mut later);
        out.extend(spans_from_records(later, false));
    }

    /// [`OpenRun::drain_into`], except that recorded spans are moved to `later` as they
    /// are, for [`spans_from_records`] once the tracker's lock is released (making their
    /// strings and maps is most of a span's cost, and loggers wait on that lock).
    pub fn drain_deferred(
        &mut self,
        out: &mut Vec<Record>,
        later: &mut Vec<(String, Vec<SpanRecord>)>,
    ) {
        if !self.params.is_empty() {
            out.push(Record::Params {
                experiment: self.id.clone(),
                params: std::mem::take(&mut self.params),
            });
        }
        for (key, kb) in &mut self.metrics {
            if kb.points.is_empty() {
                continue;
            }
            let cap = kb.points.len();
            out.push(Record::Metrics {
                experiment: self.id.clone(),
                key: key.clone(),
                points: std::mem::replace(&mut kb.points, Vec::with_capacity(cap)),
            });
        }
        if !self.spans.is_empty() {
            out.push(Record::Spans {
                experiment: self.id.clone(),
                spans: std::mem::take(&mut self.spans),
            });
        }
        out.append(&mut self.evals);
        if !self.span_records.is_empty() {
            // Keep some capacity (the next interval records about as many), but under
            // glibc's mmap threshold: a fresh mapping per flush is zeroed and faulted in
            // page by page.
            let cap = self.span_records.len().min(SPANS_PER_RECORD);
            let records = std::mem::replace(&mut self.span_records, Vec::with_capacity(cap));
            later.push((self.id.clone(), records));
        }
    }
}

/// Spans per `Spans` record made at flush. Each record's vector stays under glibc's
/// 128 KiB mmap threshold, so flushing reuses heap memory instead of mapping, zeroing and
/// faulting in fresh pages every time (one 1,000-span vector per flush made the flush
/// loop several times slower).
const SPANS_PER_RECORD: usize = 256;

/// The records for spans set aside by [`OpenRun::drain_deferred`]: as they are for a store
/// that takes them (`native`), else converted to `Spans` records.
pub fn spans_from_records(later: Vec<(String, Vec<SpanRecord>)>, native: bool) -> Vec<Record> {
    let mut out = Vec::new();
    if native {
        out.extend(
            later
                .into_iter()
                .map(|(experiment, spans)| Record::SpanRecords { experiment, spans }),
        );
        return out;
    }
    for (experiment, records) in later {
        let mut spans = records.into_iter().map(SpanRecord::into_span).peekable();
        while spans.peek().is_some() {
            out.push(Record::Spans {
                experiment: experiment.clone(),
                spans: spans.by_ref().take(SPANS_PER_RECORD).collect(),
            });
        }
    }
    out
}

//! The subscriber layer.

use std::sync::Arc;

use serde_json::Value;
use sextant_core::{AttrValue, CodeLocation, SpanAttributes, SpanEvent, SpanRecord, Tracker};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::fields::{JsonFields, TypedFields};
use crate::ids::IdSource;
use crate::span_type::span_type_of_fields;

/// OpenTelemetry's span kind "internal": in-process work, which is what `tracing` spans are.
const KIND_INTERNAL: i64 = 1;

/// What a live span has gathered; kept in the registry's per-span extensions. Ids stay
/// numbers and fields typed values under their static names, up to three of them inside
/// the record, so a span with few fields allocates only this record (freed on close, on
/// the thread that recorded it).
#[derive(Debug)]
struct Recording {
    trace_id: u128,
    span_id: u64,
    parent_span_id: Option<u64>,
    start: i64,
    fields: SpanAttributes,
    events: Vec<SpanEvent>,
    error: Option<String>,
}

/// Records every closed span into an experiment: the tracker's current one, or a fixed one
/// ([`SextantLayer::for_experiment`]). Spans closed while no experiment is open are dropped.
#[derive(Debug, Clone)]
pub struct SextantLayer {
    tracker: Arc<Tracker>,
    experiment: Option<String>,
    ids: Arc<IdSource>,
}

impl SextantLayer {
    pub fn new(tracker: Arc<Tracker>) -> Self {
        let ids = Arc::new(IdSource::new(tracker.env().random_u128()));
        SextantLayer {
            tracker,
            experiment: None,
            ids,
        }
    }

    pub fn for_experiment(tracker: Arc<Tracker>, experiment: impl Into<String>) -> Self {
        SextantLayer {
            experiment: Some(experiment.into()),
            ..Self::new(tracker)
        }
    }

    fn now(&self) -> i64 {
        self.tracker.env().now_unix_nanos()
    }
}

/// An `error` field (or an ERROR-level event) marks the span failed.
fn span_error(fields: &[(&'static str, AttrValue)]) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| *k == "error")
        .map(|(_, v)| match v {
            AttrValue::Str(s) => s.clone(),
            AttrValue::Static(s) => (*s).to_string(),
            other => other.to_json().to_string(),
        })
}

fn error_text(fields: &JsonFields) -> Option<String> {
    fields.map.get("error").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

impl<S> Layer<S> for SextantLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = span.parent().and_then(|p| {
            p.extensions()
                .get::<Recording>()
                .map(|r| (r.trace_id, r.span_id))
        });
        let (trace_id, parent_span_id) = match parent {
            Some((trace, parent)) => (trace, Some(parent)),
            None => (self.ids.trace_id(), None),
        };
        let mut fields = SpanAttributes::new();
        attrs.record(&mut TypedFields(&mut fields));
        let error = span_error(&fields);
        span.extensions_mut().insert(Recording {
            trace_id,
            span_id: self.ids.span_id(),
            parent_span_id,
            start: self.now(),
            fields,
            events: Vec::new(),
            error,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(rec) = ext.get_mut::<Recording>() {
            values.record(&mut TypedFields(&mut rec.fields));
            if let Some(e) = span_error(&rec.fields) {
                rec.error = Some(e);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let is_error = *meta.level() == Level::ERROR || fields.map.contains_key("error");
        let name = fields
            .message
            .clone()
            .unwrap_or_else(|| meta.name().to_string());
        fields
            .map
            .insert("level".into(), Value::String(meta.level().to_string()));
        let mut ext = span.extensions_mut();
        if let Some(rec) = ext.get_mut::<Recording>() {
            if is_error {
                rec.error = error_text(&fields).or_else(|| Some(name.clone()));
            }
            rec.events.push(SpanEvent {
                name,
                timestamp: self.now(),
                attributes: fields.map,
            });
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(rec) = span.extensions_mut().remove::<Recording>() else {
            return;
        };
        let meta = span.metadata();
        let code = CodeLocation {
            namespace: meta.target(),
            filepath: meta.file(),
            lineno: meta.line(),
        };
        let end = self.now().max(rec.start);
        let record = SpanRecord {
            trace_id: rec.trace_id,
            span_id: rec.span_id,
            parent_span_id: rec.parent_span_id,
            name: meta.name(),
            kind: KIND_INTERNAL,
            dfs_span_type: span_type_of_fields(&rec.fields),
            start_time_unix_nano: rec.start,
            end_time_unix_nano: end,
            error: rec.error,
            attributes: rec.fields,
            code: Some(code),
            events: rec.events,
        };
        // A layer cannot report errors; spans with no open experiment are dropped.
        let _ = self
            .tracker
            .log_span_record(record, self.experiment.as_deref());
    }
}

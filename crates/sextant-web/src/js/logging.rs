//! The lifecycle and logging half of `ExperimentTracker`: logging calls are synchronous
//! and only buffer; the `*Fast` variants serve the JS fast path (www/src/fast.js).

use js_sys::Promise;
use sextant_core::{Error, Status};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::IntoJs;
use super::input::STEP_OPTIONS;
use super::{done, input, rejected, unknown_key, ExperimentTracker};

#[wasm_bindgen]
impl ExperimentTracker {
    // ---- lifecycle ----

    #[wasm_bindgen(js_name = startExperiment)]
    pub fn start_experiment(&self, options: JsValue) -> Promise {
        let opts = match self.usable().and_then(|()| input::start_options(&options)) {
            Ok(o) => o,
            Err(e) => return rejected(&e),
        };
        self.run(|inner| async move {
            let id = inner.tracker.start_experiment(opts).await.js()?;
            Ok(JsValue::from_str(&id))
        })
    }

    #[wasm_bindgen(js_name = endExperiment)]
    pub fn end_experiment(&self, experiment_id: JsValue) -> Promise {
        self.finish(experiment_id, Status::Completed)
    }

    #[wasm_bindgen(js_name = failExperiment)]
    pub fn fail_experiment(&self, experiment_id: JsValue) -> Promise {
        self.finish(experiment_id, Status::Failed)
    }

    // ---- logging (synchronous: buffers and returns) ----

    #[wasm_bindgen(js_name = logStatic)]
    pub fn log_static(
        &self,
        key: JsValue,
        value: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        self.usable().js()?;
        let key = input::string(&key, "param key").js()?;
        let value = input::param(&key, &value).js()?;
        let id = self.option_id(&options).js()?;
        self.inner
            .tracker
            .log_static(&key, value, id.as_deref())
            .js()?;
        self.inner.after_log(false);
        Ok(())
    }

    /// Logs one point; returns its step.
    #[wasm_bindgen(js_name = logDynamic)]
    pub fn log_dynamic(
        &self,
        key: JsValue,
        value: JsValue,
        options: JsValue,
    ) -> Result<f64, JsValue> {
        self.usable().js()?;
        let key = input::string(&key, "metric key").js()?;
        let value = input::metric_value(&key, &value).js()?;
        let (step, id) = if options.is_undefined() {
            (None, None)
        } else {
            input::options(&options, "logDynamic option", STEP_OPTIONS).js()?;
            (
                input::step(&input::get(&options, "step")).js()?,
                input::option_experiment_id(&options).js()?,
            )
        };
        let (step, due) = self
            .inner
            .tracker
            .log_dynamic(&key, value, step, id.as_deref())
            .js()?;
        self.inner.after_log(due);
        Ok(step as f64)
    }

    /// The number the JS fast path (www/src/fast.js) passes for a metric key, after
    /// checking the key once; repeated keys then cross into wasm as an integer, not text.
    #[wasm_bindgen(js_name = internKey)]
    pub fn intern_key(&self, key: &str) -> Result<u32, JsValue> {
        sextant_core::validate::key("metric key", key).js()?;
        let mut keys = self.inner.keys.borrow_mut();
        if let Some(i) = keys.iter().position(|k| k == key) {
            return Ok(i as u32);
        }
        keys.push(key.to_string());
        Ok(keys.len() as u32 - 1)
    }

    /// `logDynamic` for arguments the JS fast path has already type-checked: an interned
    /// key, a number, a step (a whole number >= 0, or -1 for auto-step), and `Date.now()`.
    #[wasm_bindgen(js_name = logDynamicFast)]
    pub fn log_dynamic_fast(
        &self,
        key: u32,
        value: f64,
        step: f64,
        now_ms: f64,
    ) -> Result<f64, JsValue> {
        self.usable().js()?;
        let keys = self.inner.keys.borrow();
        let key = keys.get(key as usize).ok_or_else(|| unknown_key(key))?;
        let step = (step >= 0.0).then_some(step as i64);
        let (step, due) = crate::env::with_time(now_ms, || {
            self.inner.tracker.log_dynamic(key, value, step, None)
        })
        .js()?;
        drop(keys);
        self.inner.after_log(due);
        Ok(step as f64)
    }

    /// `logMetrics` for arguments the JS fast path has already type-checked.
    #[wasm_bindgen(js_name = logMetricsFast)]
    pub fn log_metrics_fast(
        &self,
        keys: &[u32],
        values: &[f64],
        step: f64,
        now_ms: f64,
    ) -> Result<(), JsValue> {
        self.usable().js()?;
        let names = self.inner.keys.borrow();
        let pairs = keys
            .iter()
            .zip(values)
            .map(|(k, v)| {
                names
                    .get(*k as usize)
                    .map(|name| (name.as_str(), *v))
                    .ok_or_else(|| unknown_key(*k))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let step = (step >= 0.0).then_some(step as i64);
        let due = crate::env::with_time(now_ms, || {
            self.inner.tracker.log_dynamics(&pairs, step, None)
        })
        .js()?;
        drop(names);
        self.inner.after_log(due);
        Ok(())
    }

    /// Several metrics at one step: `logMetrics({loss: 0.4, acc: 0.9}, {step: 2})`.
    #[wasm_bindgen(js_name = logMetrics)]
    pub fn log_metrics(&self, values: JsValue, options: JsValue) -> Result<(), JsValue> {
        self.usable().js()?;
        input::options(&options, "logMetrics option", STEP_OPTIONS).js()?;
        let pairs = input::entries(&values, "metrics")
            .and_then(|entries| {
                entries
                    .into_iter()
                    .map(|(k, v)| input::metric_value(&k, &v).map(|v| (k, v)))
                    .collect::<sextant_core::Result<Vec<_>>>()
            })
            .js()?;
        let step = input::step(&input::get(&options, "step")).js()?;
        let id = input::option_experiment_id(&options).js()?;
        let refs: Vec<(&str, f64)> = pairs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let due = self
            .inner
            .tracker
            .log_dynamics(&refs, step, id.as_deref())
            .js()?;
        self.inner.after_log(due);
        Ok(())
    }

    #[wasm_bindgen(js_name = logSpan)]
    pub fn log_span(&self, span: JsValue, options: JsValue) -> Result<(), JsValue> {
        self.usable().js()?;
        let span = input::span(&span).js()?;
        let id = self.option_id(&options).js()?;
        self.inner.tracker.log_span(span, id.as_deref()).js()?;
        self.inner.after_log(false);
        Ok(())
    }

    /// `logSpan` for a span the JS fast path (www/src/fast.js) has already type-checked:
    /// strings as strings, times as 64-bit bigints, `kind`/`dfsSpanType`/`traceFlags` as
    /// numbers, the status as its code, the attributes as JSON text of plain values, no
    /// events or links. One call across the boundary instead of a property read per field.
    #[wasm_bindgen(js_name = logSpanFast)]
    #[allow(clippy::too_many_arguments)] // one argument per span field, by design
    pub fn log_span_fast(
        &self,
        trace_id: String,
        span_id: String,
        parent_span_id: Option<String>,
        name: String,
        kind: Option<f64>,
        dfs_span_type: Option<f64>,
        start_time_unix_nano: i64,
        end_time_unix_nano: i64,
        status: f64,
        status_message: Option<String>,
        attributes: Option<String>,
        trace_flags: Option<f64>,
        experiment_id: Option<String>,
    ) -> Result<(), JsValue> {
        self.usable().js()?;
        let span = (|| {
            Ok(sextant_core::Span {
                trace_id,
                span_id,
                parent_span_id,
                name,
                kind: input::whole(kind, "span kind")?.unwrap_or(0),
                dfs_span_type: input::whole(dfs_span_type, "span dfsSpanType")?.unwrap_or(0),
                start_time_unix_nano,
                end_time_unix_nano,
                status: sextant_core::SpanStatus::from_code(status as i64),
                status_message,
                attributes: match attributes {
                    None => serde_json::Map::new(),
                    Some(text) => serde_json::from_str(&text).map_err(|e| Error::InvalidInput {
                        what: "span attributes",
                        value: text.chars().take(60).collect(),
                        reason: e.to_string(),
                    })?,
                },
                events: Vec::new(),
                links: Vec::new(),
                trace_flags: input::whole(trace_flags, "span traceFlags")?,
            })
        })()
        .js()?;
        self.inner
            .tracker
            .log_span(span, experiment_id.as_deref())
            .js()?;
        self.inner.after_log(false);
        Ok(())
    }

    /// Stores an attachment (text, bytes or a Blob) at once; `binary` says which is meant.
    /// A PNG or JPEG of `key` at `step` (`media/KEY/STEP.png`, with the key's index).
    #[wasm_bindgen(js_name = logImage)]
    pub fn log_image(
        &self,
        key: JsValue,
        data: JsValue,
        step: JsValue,
        options: JsValue,
    ) -> Promise {
        let prepared = self.usable().and_then(|()| {
            input::options(&options, "logImage option", &["experimentId"])?;
            let key = input::string(&key, "image key")?;
            let step = input::step(&step)?.ok_or_else(|| Error::InvalidInput {
                what: "step",
                value: input::describe(&step),
                reason: "logImage needs the step the image belongs to".into(),
            })?;
            let id = input::option_experiment_id(&options)?;
            Ok((key, step, id))
        });
        let (key, step, id) = match prepared {
            Ok(p) => p,
            Err(e) => return rejected(&e),
        };
        let blob = data.dyn_ref::<web_sys::Blob>().cloned();
        let bytes = input::bytes(&data);
        if bytes.is_none() && blob.is_none() {
            return rejected(&Error::InvalidInput {
                what: "image data",
                value: input::describe(&data),
                reason: format!(
                    "{key:?}: must be PNG or JPEG bytes (Uint8Array, ArrayBuffer or Blob)"
                ),
            });
        }
        self.run(|inner| async move {
            let data = match (bytes, blob) {
                (Some(bytes), _) => bytes,
                (None, Some(blob)) => {
                    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await?;
                    js_sys::Uint8Array::new(&buffer).to_vec()
                }
                (None, None) => Vec::new(),
            };
            inner
                .tracker
                .log_image(&key, data, step, id.as_deref())
                .await
                .js()?;
            done()
        })
    }

    #[wasm_bindgen(js_name = logAttachment)]
    pub fn log_attachment(&self, name: JsValue, data: JsValue, options: JsValue) -> Promise {
        let prepared = self.usable().and_then(|()| {
            input::options(
                &options,
                "logAttachment option",
                &["binary", "experimentId"],
            )?;
            let name = input::string(&name, "attachment name")?;
            sextant_core::validate::attachment_name(&name)?;
            let binary = input::get(&options, "binary");
            let binary = if binary.is_undefined() {
                None
            } else {
                Some(binary.as_bool().ok_or_else(|| Error::InvalidInput {
                    what: "binary option",
                    value: input::describe(&binary),
                    reason: "must be true or false".into(),
                })?)
            };
            let id = input::option_experiment_id(&options)?;
            Ok((name, binary, id))
        });
        let (name, binary, id) = match prepared {
            Ok(p) => p,
            Err(e) => return rejected(&e),
        };
        let mismatch = |reason: &str| Error::InvalidInput {
            what: "attachment data",
            value: input::describe(&data),
            reason: format!("{name:?}: {reason}"),
        };
        let text = data.as_string();
        let blob = data.dyn_ref::<web_sys::Blob>().cloned();
        let bytes = input::bytes(&data);
        let check = match (&text, binary) {
            (Some(_), Some(true)) => Err(mismatch(
                "binary: true needs a Uint8Array, ArrayBuffer or Blob",
            )),
            (None, Some(false)) => Err(mismatch("binary: false needs a string")),
            (None, _) if blob.is_none() && bytes.is_none() => Err(mismatch(
                "must be a string, Uint8Array, ArrayBuffer or Blob",
            )),
            _ => Ok(()),
        };
        if let Err(e) = check {
            return rejected(&e);
        }
        self.run(|inner| async move {
            let data = match (text, bytes, blob) {
                (Some(text), _, _) => text.into_bytes(),
                (None, Some(bytes), _) => bytes,
                (None, None, Some(blob)) => {
                    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await?;
                    js_sys::Uint8Array::new(&buffer).to_vec()
                }
                (None, None, None) => Vec::new(),
            };
            inner
                .tracker
                .log_attachment(&name, data, id.as_deref())
                .await
                .js()?;
            done()
        })
    }
}

//! The reading half of `ExperimentTracker`, and export. Every read is queued behind
//! pending flushes, so it sees everything logged before it.

use js_sys::Promise;
use sextant_core::StepRange;
use wasm_bindgen::prelude::*;

use super::input::ID_OPTION;
use super::{input, output, rejected, snapshot, ExperimentTracker};

#[wasm_bindgen]
impl ExperimentTracker {
    // ---- reads ----

    /// `listExperiments({ filter, orderBy }?)`: every run newest first, or those a
    /// search-language filter keeps, sorted by `orderBy` (docs/search.md).
    #[wasm_bindgen(js_name = listExperiments)]
    pub fn list_experiments(&self, options: JsValue) -> Promise {
        let query = input::options(&options, "listExperiments options", &["filter", "orderBy"])
            .and_then(|()| {
                let filter = input::opt_string(&input::get(&options, "filter"), "filter")?;
                let order_by = input::opt_string(&input::get(&options, "orderBy"), "orderBy")?;
                Ok((filter.unwrap_or_default(), order_by.unwrap_or_default()))
            });
        let (filter, order_by) = match query {
            Ok(q) => q,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let list = t.list_experiments().await?;
            let list = if filter.trim().is_empty() && order_by.trim().is_empty() {
                list
            } else {
                snapshot::search(list, &filter, &order_by).await?
            };
            output::experiments(&list)
        })
    }

    #[wasm_bindgen(js_name = getExperiment)]
    pub fn get_experiment(&self, experiment_id: JsValue) -> Promise {
        let id = match input::experiment_id(&experiment_id) {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            output::experiment(&t.get_experiment(id.as_deref()).await?)
        })
    }

    #[wasm_bindgen(js_name = listGroups)]
    pub fn list_groups(&self) -> Promise {
        self.read(|t| async move { output::groups(&t.list_groups().await?) })
    }

    #[wasm_bindgen(js_name = listMetrics)]
    pub fn list_metrics(&self, experiment_id: JsValue) -> Promise {
        let id = match input::experiment_id(&experiment_id) {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            output::metric_summaries(&t.list_metrics(id.as_deref()).await?)
        })
    }

    /// Every point of a metric, by step.
    #[wasm_bindgen(js_name = getMetricHistory)]
    pub fn get_metric_history(&self, key: JsValue, options: JsValue) -> Promise {
        let args = input::string(&key, "metric key").and_then(|key| {
            input::options(&options, "getMetricHistory option", ID_OPTION)?;
            Ok((key, input::option_experiment_id(&options)?))
        });
        let (key, id) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            Ok(output::points(
                &t.get_metric_history(id.as_deref(), &key).await?,
            ))
        })
    }

    /// At most `maxPoints` (default 1000) points over `[fromStep, toStep]`, extremes kept.
    #[wasm_bindgen(js_name = getMetricSeries)]
    pub fn get_metric_series(&self, key: JsValue, options: JsValue) -> Promise {
        let args = input::string(&key, "metric key").and_then(|key| {
            input::options(
                &options,
                "getMetricSeries option",
                &["maxPoints", "fromStep", "toStep", "experimentId"],
            )?;
            let max = input::step(&input::get(&options, "maxPoints"))?.unwrap_or(1000);
            let range = StepRange::new(
                input::step(&input::get(&options, "fromStep"))?,
                input::step(&input::get(&options, "toStep"))?,
            );
            Ok((
                key,
                max as usize,
                range,
                input::option_experiment_id(&options)?,
            ))
        });
        let (key, max, range, id) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            Ok(output::points(
                &t.get_metric_series(id.as_deref(), &key, range, max).await?,
            ))
        })
    }

    #[wasm_bindgen(js_name = listAttachments)]
    pub fn list_attachments(&self, experiment_id: JsValue) -> Promise {
        let id = match input::experiment_id(&experiment_id) {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            output::attachments(&t.list_attachments(id.as_deref()).await?)
        })
    }

    /// An attachment's bytes (decode text with `new TextDecoder().decode(bytes)`).
    #[wasm_bindgen(js_name = getAttachment)]
    pub fn get_attachment(&self, name: JsValue, options: JsValue) -> Promise {
        let args = input::string(&name, "attachment name").and_then(|name| {
            input::options(&options, "getAttachment option", ID_OPTION)?;
            Ok((name, input::option_experiment_id(&options)?))
        });
        let (name, id) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            let bytes = t.get_attachment(id.as_deref(), &name).await?;
            Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
        })
    }

    #[wasm_bindgen(js_name = listTraces)]
    pub fn list_traces(&self, experiment_id: JsValue) -> Promise {
        let id = match input::experiment_id(&experiment_id) {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            output::traces(&t.list_traces(id.as_deref()).await?)
        })
    }

    #[wasm_bindgen(js_name = getTrace)]
    pub fn get_trace(&self, trace_id: JsValue, options: JsValue) -> Promise {
        let args = input::string(&trace_id, "trace id").and_then(|trace| {
            input::options(&options, "getTrace option", ID_OPTION)?;
            Ok((trace, input::option_experiment_id(&options)?))
        });
        let (trace, id) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            output::spans(&t.get_trace(id.as_deref(), &trace).await?)
        })
    }

    #[wasm_bindgen(js_name = updateExperiment)]
    pub fn update_experiment(&self, experiment_id: JsValue, update: JsValue) -> Promise {
        let args = input::string(&experiment_id, "experiment id")
            .and_then(|id| Ok((id, input::update(&update)?)));
        let (id, update) = match args {
            Ok(a) => a,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            t.update_experiment(Some(&id), update).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = deleteExperiment)]
    pub fn delete_experiment(&self, experiment_id: JsValue) -> Promise {
        let id = match input::string(&experiment_id, "experiment id") {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            t.delete_experiment(&id).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    // ---- snapshots ----

    /// The experiment as a luml snapshot tar (`sextant import FILE` reads it).
    pub fn export(&self, experiment_id: JsValue) -> Promise {
        let id = match input::experiment_id(&experiment_id) {
            Ok(id) => id,
            Err(e) => return rejected(&e),
        };
        self.read(|t| async move {
            let id = t.or_last(id);
            let tar = snapshot::export(&t, id.as_deref()).await?;
            Ok(js_sys::Uint8Array::from(tar.as_slice()).into())
        })
    }
}

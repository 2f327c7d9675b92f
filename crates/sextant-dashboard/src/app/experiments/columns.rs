//! Which extra columns (params; metrics' last, min and max values) the table shows:
//! remembered per source (localStorage, so a reload keeps them), and a picker to change them.

use std::rc::Rc;

use sextant_core::ExperimentInfo;
use yew::prelude::*;

use crate::app::dom;
use crate::view::table::{self, Column, Keys};

pub fn columns_key(ctx_source: &str) -> String {
    format!("sextant.columns.{ctx_source}")
}

/// The extra columns a user picked for this source, or a few that differ between runs.
pub fn initial_columns(source: &str, runs: &[Rc<ExperimentInfo>]) -> Vec<Column> {
    if let Some(saved) = dom::local_get(&columns_key(source)) {
        return saved.split('\n').filter_map(Column::parse).collect();
    }
    table::default_columns(runs, 3, 3)
}

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub keys: Rc<Keys>,
    pub extra: Vec<Column>,
    pub on_change: Callback<Vec<Column>>,
}

#[function_component]
pub fn ColumnPicker(props: &PickerProps) -> Html {
    let extra_now: Vec<Column> = props.extra.clone();
    let keys = &props.keys;
    let toggle = |c: Column| {
        let on = extra_now.contains(&c);
        let set_columns = props.on_change.clone();
        let extra_now = extra_now.clone();
        let onchange = Callback::from(move |_| {
            let mut next = extra_now.clone();
            if on {
                next.retain(|x| *x != c);
            } else {
                next.push(c.clone());
            }
            set_columns.emit(next);
        });
        (on, onchange)
    };
    let option = |c: Column| {
        let label = c.title();
        let (on, onchange) = toggle(c);
        html! { <label class="pick"><input type="checkbox" checked={on} {onchange} />{ label }</label> }
    };
    // A metric offers its last value, lowest and highest as three columns.
    let metric = |m: &String| {
        let kinds = [
            ("last", Column::Metric(m.clone())),
            ("min", Column::MetricMin(m.clone())),
            ("max", Column::MetricMax(m.clone())),
        ];
        html! {
            <div class="pick metric-pick" data-key={m.clone()}>
                <span class="pick-name" title={m.clone()}>{ m.clone() }</span>
                { for kinds.into_iter().map(|(kind, c)| {
                    let (on, onchange) = toggle(c);
                    html! {
                        <label class="pick-kind" title={format!("{m}: {kind}")}>
                            <input type="checkbox" checked={on} {onchange} data-kind={kind} />{ kind }
                        </label>
                    }
                }) }
            </div>
        }
    };
    html! {
        <details class="picker">
            <summary class="btn">{ "Columns" }</summary>
            <div class="picker-body">
                <h4>{ "Params" }</h4>
                if keys.params.is_empty() { <p class="muted">{ "none logged" }</p> }
                { for keys.params.iter().map(|p| option(Column::Param(p.clone()))) }
                <h4>{ "Metrics" }</h4>
                if keys.metrics.is_empty() { <p class="muted">{ "none logged" }</p> }
                { for keys.metrics.iter().map(metric) }
            </div>
        </details>
    }
}

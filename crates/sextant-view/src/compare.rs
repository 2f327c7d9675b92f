//! The compare page's params table: one row per param, one column per run, optionally
//! only the rows where runs differ (a missing param counts as a difference).

use std::collections::{BTreeMap, BTreeSet};

use sextant_core::ExperimentInfo;

use super::format;

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    /// One cell per run, `None` where the run lacks the param.
    pub values: Vec<Option<String>>,
    pub differs: bool,
}

pub fn param_rows(runs: &[&ExperimentInfo], only_differing: bool) -> Vec<Row> {
    rows(runs, |r| &r.params, format::param)
        .into_iter()
        .filter(|r| r.differs || !only_differing)
        .collect()
}

/// The latest value of every metric any run has, the same way.
pub fn metric_rows(runs: &[&ExperimentInfo]) -> Vec<Row> {
    rows(runs, |r| &r.metrics, |v| format::value(*v))
}

/// One row per key of the map `field` picks from each run, in key order, cells shown by
/// `show`.
fn rows<'a, V: 'a>(
    runs: &[&'a ExperimentInfo],
    field: impl Fn(&'a ExperimentInfo) -> &'a BTreeMap<String, V>,
    show: impl Fn(&V) -> String,
) -> Vec<Row> {
    let keys: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| field(r).keys().map(String::as_str))
        .collect();
    keys.into_iter()
        .map(|key| {
            let values: Vec<Option<String>> =
                runs.iter().map(|r| field(r).get(key).map(&show)).collect();
            let differs = values.windows(2).any(|w| w[0] != w[1]);
            Row {
                key: key.to_string(),
                values,
                differs,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sextant_core::{ParamValue, Status};

    fn run(params: &[(&str, ParamValue)]) -> ExperimentInfo {
        ExperimentInfo {
            id: "x".into(),
            name: "x".into(),
            group: "g".into(),
            status: Status::Completed,
            tags: Vec::new(),
            created_at: 0,
            duration: None,
            description: None,
            source: None,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            metrics: Default::default(),
            unreadable: None,
            created_by: None,
        }
    }

    #[test]
    fn only_differing_rows() {
        let a = run(&[("lr", ParamValue::Float(0.1)), ("opt", "adam".into())]);
        let b = run(&[
            ("lr", ParamValue::Float(0.01)),
            ("opt", "adam".into()),
            ("bs", 32.into()),
        ]);
        let all = param_rows(&[&a, &b], false);
        assert_eq!(
            all.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            ["bs", "lr", "opt"]
        );
        assert_eq!(all[0].values, [None, Some("32".into())]);
        let diff = param_rows(&[&a, &b], true);
        assert_eq!(
            diff.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            ["bs", "lr"]
        );
    }
}

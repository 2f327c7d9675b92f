//! Live updates: the server's change events, and the same changes worked out by polling for
//! stores that cannot push. Either way a view learns "experiment X: status S, key K is now
//! at step N" and fetches only what it lacks.

use std::collections::BTreeMap;

use serde::Deserialize;
use sextant_core::{ExperimentInfo, MetricSummary, Status};

/// One change, as `GET /api/events` sends it (`event: change`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Change {
    pub experiment: String,
    /// `None` when the experiment was deleted.
    pub status: Option<Status>,
    /// Each metric key's highest step.
    #[serde(default)]
    pub last_steps: BTreeMap<String, i64>,
}

pub fn parse(data: &str) -> Result<Change, serde_json::Error> {
    serde_json::from_str(data)
}

/// The keys to fetch and the first step wanted: `Some(held + 1)` for keys that moved past
/// what is held, `None` (the whole series) for keys never seen.
pub fn plan(
    held: &BTreeMap<String, i64>,
    latest: &BTreeMap<String, i64>,
) -> Vec<(String, Option<i64>)> {
    latest
        .iter()
        .filter_map(|(key, last)| match held.get(key) {
            Some(h) if last <= h => None,
            Some(h) => Some((key.clone(), Some(h + 1))),
            None => Some((key.clone(), None)),
        })
        .collect()
}

/// Last steps from a metric listing (what a polled store reports).
pub fn last_steps(metrics: &[MetricSummary]) -> BTreeMap<String, i64> {
    metrics
        .iter()
        .map(|m| (m.key.clone(), m.last_step))
        .collect()
}

/// Ids of experiments that are new, changed or gone between two listings, compared on
/// what the list shows (status, duration, params, latest metrics, name, tags).
pub fn changed_ids(old: &[ExperimentInfo], new: &[ExperimentInfo]) -> Vec<String> {
    let before: BTreeMap<&str, &ExperimentInfo> = old.iter().map(|e| (e.id.as_str(), e)).collect();
    let after: BTreeMap<&str, &ExperimentInfo> = new.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut out: Vec<String> = after
        .iter()
        .filter(|(id, e)| before.get(*id).is_none_or(|b| !same(b, e)))
        .map(|(id, _)| id.to_string())
        .collect();
    out.extend(
        before
            .keys()
            .filter(|id| !after.contains_key(*id))
            .map(|id| id.to_string()),
    );
    out
}

fn same(a: &ExperimentInfo, b: &ExperimentInfo) -> bool {
    let metrics_same = a.metrics.len() == b.metrics.len()
        && a.metrics
            .iter()
            .zip(&b.metrics)
            .all(|((ka, va), (kb, vb))| ka == kb && (va == vb || (va.is_nan() && vb.is_nan())));
    a.status == b.status
        && a.duration == b.duration
        && a.name == b.name
        && a.tags == b.tags
        && a.params == b.params
        && metrics_same
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_server_events() {
        let c =
            parse(r#"{"experiment":"e1","status":"running","last_steps":{"loss":41}}"#).unwrap();
        assert_eq!(c.status, Some(Status::Running));
        assert_eq!(c.last_steps["loss"], 41);
        let gone = parse(r#"{"experiment":"e1","status":null,"last_steps":{}}"#).unwrap();
        assert_eq!(gone.status, None);
    }

    #[test]
    fn plans_only_new_points() {
        let held: BTreeMap<String, i64> = [("loss".into(), 10), ("acc".into(), 5)].into();
        let latest: BTreeMap<String, i64> =
            [("loss".into(), 15), ("acc".into(), 5), ("lr".into(), 3)].into();
        assert_eq!(
            plan(&held, &latest),
            vec![("loss".to_string(), Some(11)), ("lr".to_string(), None)]
        );
    }

    #[test]
    fn diffs_listings() {
        let mk = |id: &str, status: Status| ExperimentInfo {
            id: id.into(),
            name: id.into(),
            group: "g".into(),
            status,
            tags: vec![],
            created_at: 0,
            duration: None,
            description: None,
            source: None,
            params: Default::default(),
            metrics: Default::default(),
            unreadable: None,
            created_by: None,
        };
        let old = vec![mk("a", Status::Running), mk("b", Status::Running)];
        let mut new = vec![mk("a", Status::Completed), mk("c", Status::Running)];
        new[0].metrics.insert("m".into(), f64::NAN);
        let mut ids = changed_ids(&old, &new);
        ids.sort();
        assert_eq!(ids, ["a", "b", "c"]);
        assert!(changed_ids(&new, &new).is_empty());
    }
}

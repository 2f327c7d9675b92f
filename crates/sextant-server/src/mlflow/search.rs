//! MLflow's search parameters on the core search language: its filter and `order_by` are
//! the same syntax; only MLflow's names for a run's name and note (`tags.mlflow.runName`,
//! `tags.mlflow.note.content`) are turned into Sextant's fields. Page tokens are offsets.

use sextant_core::search::{Attribute, Expr, Key, OrderKey, Query};
use sextant_core::{ExperimentInfo, ParamValue};

use super::errors::{MlResult, MlflowError};
use super::mapping::{self, Experiment};
use super::request::Req;

/// Which lifecycle stages a search keeps (`ACTIVE_ONLY` unless asked).
#[derive(Debug, Clone, Copy)]
pub enum View {
    Active,
    Deleted,
    All,
}

impl View {
    pub fn keeps(self, deleted: bool) -> bool {
        match self {
            View::Active => !deleted,
            View::Deleted => deleted,
            View::All => true,
        }
    }
}

pub fn view_type(req: &Req, name: &str) -> MlResult<View> {
    let raw = match req.0.get(name) {
        None | Some(serde_json::Value::Null) => return Ok(View::Active),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(v) => v.as_str().unwrap_or("").to_string(),
    };
    match raw.as_str() {
        "" | "1" | "ACTIVE_ONLY" => Ok(View::Active),
        "2" | "DELETED_ONLY" => Ok(View::Deleted),
        "3" | "ALL" => Ok(View::All),
        other => Err(MlflowError::invalid(format!(
            "invalid {name} {other:?}: use ACTIVE_ONLY, DELETED_ONLY or ALL"
        ))),
    }
}

/// `max_results` and the offset a `page_token` holds.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: usize,
    pub size: usize,
}

impl Page {
    pub fn from_request(req: &Req, default: usize, max: usize) -> MlResult<Page> {
        let size = match req.i64("max_results")? {
            None => default,
            Some(n) if n >= 1 && n as u64 <= max as u64 => n as usize,
            Some(n) => {
                return Err(MlflowError::invalid(format!(
                    "Invalid value {n} for parameter 'max_results' supplied: it must be 1 to {max}"
                )))
            }
        };
        let offset = match req.str("page_token").filter(|t| !t.is_empty()) {
            None => 0,
            Some(t) => t
                .strip_prefix("offset:")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| MlflowError::invalid(format!("Invalid page token {t:?}")))?,
        };
        Ok(Page { offset, size })
    }

    /// This page of `items` and the token for the next, if any.
    pub fn cut<T>(self, items: Vec<T>) -> (Vec<T>, Option<String>) {
        let total = items.len();
        let end = self.offset.saturating_add(self.size).min(total);
        let next = (end < total).then(|| format!("offset:{end}"));
        let page = items
            .into_iter()
            .skip(self.offset)
            .take(self.size)
            .collect();
        (page, next)
    }
}

fn rewrite_key(key: &mut Key) {
    if let Key::Tag(name) = key {
        match name.as_str() {
            mapping::RUN_NAME_TAG => *key = Key::Attr(Attribute::Name),
            mapping::NOTE_TAG => *key = Key::Attr(Attribute::Description),
            _ => {}
        }
    }
}

fn rewrite(expr: &mut Expr) {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            rewrite(a);
            rewrite(b);
        }
        Expr::Cmp(c) => rewrite_key(&mut c.key),
    }
}

fn invalid(e: sextant_core::Error) -> MlflowError {
    MlflowError::invalid(e.to_string())
}

/// A run search's filter and `order_by` (MLflow sends the keys as a list).
pub fn run_query(filter: &str, order_by: &[String]) -> MlResult<Query> {
    let mut filter = Query::parse_filter(filter).map_err(invalid)?;
    if let Some(f) = filter.as_mut() {
        rewrite(f);
    }
    let mut order: Vec<OrderKey> = Query::parse_order_by(&order_by.join(", ")).map_err(invalid)?;
    for k in &mut order {
        rewrite_key(&mut k.key);
    }
    Ok(Query {
        filter,
        order_by: order,
    })
}

/// An experiment search: `name` and `tags.KEY` filters; `order_by` on name, creation or
/// update time and id.
pub fn experiment_query(filter: &str, order_by: &[String]) -> MlResult<Query> {
    let filter = Query::parse_filter(filter).map_err(invalid)?;
    let keys: Vec<String> = order_by
        .iter()
        .map(|k| {
            let k = k.trim();
            let (name, dir) = k.split_once(char::is_whitespace).unwrap_or((k, ""));
            let name = name
                .trim_start_matches("attributes.")
                .trim_start_matches("attribute.");
            let name = match name {
                "creation_time" | "last_update_time" => "created_at",
                "experiment_id" => "id",
                other => other,
            };
            format!("{name} {dir}")
        })
        .collect();
    let order_by = Query::parse_order_by(&keys.join(", ")).map_err(invalid)?;
    Ok(Query { filter, order_by })
}

/// Experiments through the same evaluator, as runs with their name, id, time and tags.
pub fn apply_to_experiments(query: &Query, list: Vec<Experiment>) -> Vec<Experiment> {
    let mut pairs: Vec<(ExperimentInfo, Experiment)> = list
        .into_iter()
        .map(|e| {
            let mut info = ExperimentInfo::from(sextant_core::NewExperiment {
                id: e.id.clone(),
                name: e.name.clone(),
                group: e.group.clone(),
                tags: Vec::new(),
                created_at: e.created_at,
                description: None,
                source: None,
                created_by: None,
            });
            for (k, v) in &e.tags {
                info.params
                    .insert(mapping::tag_key(k), ParamValue::Str(v.clone()));
            }
            (info, e)
        })
        .filter(|(info, _)| query.matches(info))
        .collect();
    if query.order_by.is_empty() {
        pairs.sort_by(|a, b| {
            b.1.created_at
                .cmp(&a.1.created_at)
                .then(a.1.id.cmp(&b.1.id))
        });
        return pairs.into_iter().map(|(_, e)| e).collect();
    }
    let mut infos: Vec<ExperimentInfo> = pairs.iter().map(|(i, _)| i.clone()).collect();
    query.sort(&mut infos);
    let mut by_id: std::collections::HashMap<String, Experiment> =
        pairs.into_iter().map(|(i, e)| (i.id, e)).collect();
    infos
        .into_iter()
        .filter_map(|i| by_id.remove(&i.id))
        .collect()
}

//! The search language luml-sdk and MLflow share (`metrics.acc > 0.9 and params.opt = 'adam'`),
//! plus `or`: one parser and one in-memory evaluator, so every store, the CLI, the JSON API
//! and the trackers give the same answer. See `docs/search.md` for the language.

pub mod ast;
#[cfg(feature = "conformance")]
pub mod corpus;
mod date;
mod eval;
mod parse;
pub mod sql;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;

pub use ast::{Attribute, Comparison, Expr, Key, KeySpace, Op, OrderKey, Value, KV_TAG_PREFIX};
pub use eval::like;

use crate::model::ExperimentInfo;

/// A parsed filter and `order_by`. An empty filter keeps every run; an empty `order_by`
/// keeps the stores' order (newest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// `None` keeps every run.
    pub filter: Option<Expr>,
    /// Sort keys, most significant first; empty keeps the stores' order.
    pub order_by: Vec<OrderKey>,
}

impl Query {
    /// Parses both; errors are `InvalidInput` naming the column ("expected a comparison at
    /// column 17").
    pub fn parse(filter: &str, order_by: &str) -> crate::Result<Query> {
        Ok(Query {
            filter: Self::parse_filter(filter)?,
            order_by: Self::parse_order_by(order_by)?,
        })
    }

    /// Parses a filter alone; blank text gives `None` (keep everything).
    pub fn parse_filter(filter: &str) -> crate::Result<Option<Expr>> {
        if filter.trim().is_empty() {
            return Ok(None);
        }
        parse::filter(filter).map(Some)
    }

    /// Parses a comma-separated `order_by` alone (`metrics.acc DESC, params.lr`); blank gives
    /// no keys. Sorting by `tags` is [`crate::Error::InvalidInput`].
    pub fn parse_order_by(order_by: &str) -> crate::Result<Vec<OrderKey>> {
        if order_by.trim().is_empty() {
            return Ok(Vec::new());
        }
        let keys = parse::order_by(order_by)?;
        if keys.iter().any(|k| k.key == Key::Tags) {
            return Err(crate::Error::invalid(
                "order_by",
                order_by,
                "tags are a list and cannot be sorted by",
            ));
        }
        Ok(keys)
    }

    /// True when the run passes the filter (always, without one).
    pub fn matches(&self, e: &ExperimentInfo) -> bool {
        self.filter.as_ref().is_none_or(|f| eval::matches(f, e))
    }

    /// Sorts by `order_by` (missing values last, ties newest first); no-op without one.
    pub fn sort(&self, list: &mut [ExperimentInfo]) {
        if !self.order_by.is_empty() {
            eval::sort(&self.order_by, list);
        }
    }

    /// Keeps the matching runs, sorted.
    pub fn apply(&self, list: Vec<ExperimentInfo>) -> Vec<ExperimentInfo> {
        let mut kept: Vec<_> = list.into_iter().filter(|e| self.matches(e)).collect();
        self.sort(&mut kept);
        kept
    }
}

//! Filtering, sorting and paging the experiment list: one implementation for the JSON API,
//! the CLI and the dashboard, so the same question gets the same answer everywhere.

use serde::{Deserialize, Serialize};

use crate::model::{ExperimentInfo, ParamValue, Status};

/// What to keep. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExperimentFilter {
    /// Only this group (exact name).
    pub group: Option<String>,
    /// Only runs carrying this tag (exact).
    pub tag: Option<String>,
    /// Only runs in this state.
    pub status: Option<Status>,
    /// Case-insensitive substring of the name, id, group, description or a tag.
    pub text: Option<String>,
}

impl ExperimentFilter {
    /// The filter a URL query states (`group`, `tag`, `status`, `q` or `text`), as the
    /// JSON API reads it; empty values mean "any", an unknown status is an error.
    pub fn from_query<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> crate::Result<Self> {
        let mut field = |k: &str| get(k).filter(|v| !v.is_empty()).map(str::to_string);
        let status = field("status").map(|s| s.parse::<Status>()).transpose()?;
        Ok(ExperimentFilter {
            group: field("group"),
            tag: field("tag"),
            status,
            text: field("q").or_else(|| field("text")),
        })
    }

    /// True when the run passes every field that is set.
    pub fn matches(&self, e: &ExperimentInfo) -> bool {
        self.group.as_ref().is_none_or(|g| &e.group == g)
            && self.tag.as_ref().is_none_or(|t| e.tags.contains(t))
            && self.status.is_none_or(|s| e.status == s)
            && self
                .text
                .as_ref()
                .is_none_or(|t| text_matches(e, &t.to_lowercase()))
    }
}

fn text_matches(e: &ExperimentInfo, needle: &str) -> bool {
    let hay = |s: &str| s.to_lowercase().contains(needle);
    hay(&e.name)
        || hay(&e.id)
        || hay(&e.group)
        || e.description.as_deref().is_some_and(hay)
        || e.tags.iter().any(|t| hay(t))
}

/// A column to sort by: a built-in field, `param:NAME` or `metric:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    /// `created_at` (or `created`): creation time.
    Created,
    /// `name`, ignoring case.
    Name,
    /// `group`, by group name.
    Group,
    /// `status`, by its name (`completed` < `failed` < `running`).
    Status,
    /// `duration`; runs without one (still running) sort last either way.
    Duration,
    /// `param:NAME`: numbers (and bools) by value, then text, then runs without it.
    Param(String),
    /// `metric:NAME`: the latest value; missing and NaN last either way.
    Metric(String),
}

/// A sort key and direction, written `created_at`, `-created_at` (descending),
/// `name`, `param:lr`, `-metric:val/acc`…
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    /// What to sort by; ties fall back to newest first, then id.
    pub key: SortKey,
    /// Written with a leading `-`.
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Created,
            descending: true,
        }
    }
}

impl std::str::FromStr for Sort {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let key = match name {
            "created_at" | "created" => SortKey::Created,
            "name" => SortKey::Name,
            "group" => SortKey::Group,
            "status" => SortKey::Status,
            "duration" => SortKey::Duration,
            other => match (other.strip_prefix("param:"), other.strip_prefix("metric:")) {
                (Some(p), _) if !p.is_empty() => SortKey::Param(p.to_string()),
                (_, Some(m)) if !m.is_empty() => SortKey::Metric(m.to_string()),
                _ => {
                    return Err(crate::Error::invalid(
                        "sort",
                        s,
                        "use created_at, name, group, status, duration, param:NAME or metric:NAME, with '-' for descending",
                    ))
                }
            },
        };
        Ok(Sort { key, descending })
    }
}

/// Orders two optional floats with missing (and NaN) values last in either direction.
fn cmp_f64(a: Option<f64>, b: Option<f64>, descending: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let a = a.filter(|v| !v.is_nan());
    let b = b.filter(|v| !v.is_nan());
    match (a, b) {
        (Some(x), Some(y)) => {
            let o = x.total_cmp(&y);
            if descending {
                o.reverse()
            } else {
                o
            }
        }
        (Some(_), None) => Less,
        (None, Some(_)) => Greater,
        (None, None) => Equal,
    }
}

fn param_number(p: Option<&ParamValue>) -> Option<f64> {
    match p? {
        ParamValue::Int(i) => Some(*i as f64),
        ParamValue::Float(f) => Some(*f),
        ParamValue::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// The order every store lists experiments in: newest first, ties by id.
pub fn newest_first(list: &mut [ExperimentInfo]) {
    list.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// Sorts by `sort`; ties go newest first, then by id, so the order (and so every page
/// boundary) is the same on each request.
pub fn sort(list: &mut [ExperimentInfo], sort: &Sort) {
    use std::cmp::Ordering;
    let dir = |o: Ordering| if sort.descending { o.reverse() } else { o };
    list.sort_by(|a, b| {
        let primary = match &sort.key {
            SortKey::Created => dir(a.created_at.cmp(&b.created_at)),
            SortKey::Name => dir(a.name.to_lowercase().cmp(&b.name.to_lowercase())),
            SortKey::Group => dir(a.group.cmp(&b.group)),
            SortKey::Status => dir(a.status.as_str().cmp(b.status.as_str())),
            SortKey::Duration => cmp_f64(a.duration, b.duration, sort.descending),
            SortKey::Metric(m) => cmp_f64(
                a.metrics.get(m).copied(),
                b.metrics.get(m).copied(),
                sort.descending,
            ),
            SortKey::Param(p) => {
                let (x, y) = (a.params.get(p), b.params.get(p));
                match (param_number(x), param_number(y)) {
                    (None, None) => {
                        let text = |v: Option<&ParamValue>| v.map(|v| v.to_json().to_string());
                        match (text(x), text(y)) {
                            (Some(s), Some(t)) => dir(s.cmp(&t)),
                            (Some(_), None) => Ordering::Less,
                            (None, Some(_)) => Ordering::Greater,
                            (None, None) => Ordering::Equal,
                        }
                    }
                    (nx, ny) => cmp_f64(nx, ny, sort.descending),
                }
            }
        };
        primary
            .then_with(|| b.created_at.cmp(&a.created_at))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// One page of a filtered, sorted list and where the next one starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// This page's runs, in order.
    pub experiments: Vec<ExperimentInfo>,
    /// Total matching the filter (all pages).
    pub total: usize,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Filters, sorts and cuts a page. The cursor is the offset into the sorted list.
pub fn page(
    all: Vec<ExperimentInfo>,
    filter: &ExperimentFilter,
    order: &Sort,
    cursor: Option<&str>,
    limit: usize,
) -> crate::Result<Page> {
    let mut list: Vec<ExperimentInfo> = all.into_iter().filter(|e| filter.matches(e)).collect();
    sort(&mut list, order);
    cut(list, cursor, limit)
}

/// Cuts one page from an already filtered and sorted list.
pub fn cut(
    mut list: Vec<ExperimentInfo>,
    cursor: Option<&str>,
    limit: usize,
) -> crate::Result<Page> {
    let start: usize = match cursor {
        Some(c) => c
            .parse()
            .map_err(|_| crate::Error::invalid("cursor", c, "not a cursor this server returned"))?,
        None => 0,
    };
    let total = list.len();
    let limit = limit.max(1);
    let end = start.saturating_add(limit).min(total);
    let experiments = if start < total {
        list.drain(start..end).collect()
    } else {
        Vec::new()
    };
    let next_cursor = (end < total).then(|| end.to_string());
    Ok(Page {
        experiments,
        total,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(id: &str, name: &str, created: i64, lr: f64, acc: Option<f64>) -> ExperimentInfo {
        let mut e = ExperimentInfo {
            id: id.into(),
            name: name.into(),
            created_at: created,
            ..Default::default()
        };
        e.group = if created % 2 == 0 {
            "even".into()
        } else {
            "odd".into()
        };
        e.tags = vec![format!("t{created}")];
        e.params.insert("lr".into(), ParamValue::Float(lr));
        if let Some(a) = acc {
            e.metrics.insert("acc".into(), a);
        }
        e
    }

    fn ids(p: &Page) -> Vec<&str> {
        p.experiments.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn filters_sorts_and_pages() {
        let all = vec![
            exp("a", "Alpha", 1, 0.1, Some(0.5)),
            exp("b", "beta", 2, 0.01, None),
            exp("c", "Gamma", 3, 0.001, Some(0.9)),
            exp("d", "delta", 4, 0.3, Some(0.7)),
        ];
        let newest = page(
            all.clone(),
            &ExperimentFilter::default(),
            &Sort::default(),
            None,
            3,
        )
        .unwrap();
        assert_eq!(ids(&newest), ["d", "c", "b"]);
        assert_eq!(newest.total, 4);
        let rest = page(
            all.clone(),
            &ExperimentFilter::default(),
            &Sort::default(),
            newest.next_cursor.as_deref(),
            3,
        )
        .unwrap();
        assert_eq!(ids(&rest), ["a"]);
        assert!(rest.next_cursor.is_none());

        let by_acc: Sort = "-metric:acc".parse().unwrap();
        let p = page(all.clone(), &ExperimentFilter::default(), &by_acc, None, 10).unwrap();
        assert_eq!(ids(&p), ["c", "d", "a", "b"], "missing metric sorts last");
        let by_lr: Sort = "param:lr".parse().unwrap();
        assert_eq!(
            ids(&page(all.clone(), &ExperimentFilter::default(), &by_lr, None, 10).unwrap()),
            ["c", "b", "a", "d"]
        );
        let by_name: Sort = "name".parse().unwrap();
        assert_eq!(
            ids(&page(
                all.clone(),
                &ExperimentFilter::default(),
                &by_name,
                None,
                10
            )
            .unwrap()),
            ["a", "b", "d", "c"]
        );

        let even = ExperimentFilter {
            group: Some("even".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(&page(all.clone(), &even, &Sort::default(), None, 10).unwrap()),
            ["d", "b"]
        );
        let text = ExperimentFilter {
            text: Some("ALP".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(&page(all.clone(), &text, &Sort::default(), None, 10).unwrap()),
            ["a"]
        );
        let parsed = ExperimentFilter::from_query(|k| match k {
            "status" => Some("Error"),
            "q" => Some("res"),
            "group" => Some(""),
            _ => None,
        })
        .unwrap();
        assert_eq!(parsed.status, Some(Status::Failed));
        assert_eq!(parsed.text.as_deref(), Some("res"));
        assert_eq!(parsed.group, None);
        assert!(ExperimentFilter::from_query(|k| (k == "status").then_some("bogus")).is_err());
        let tag = ExperimentFilter {
            tag: Some("t3".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(&page(all, &tag, &Sort::default(), None, 10).unwrap()),
            ["c"]
        );
    }

    #[test]
    fn bad_sort_and_cursor_are_named() {
        let err = "bogus".parse::<Sort>().unwrap_err().to_string();
        assert!(err.contains("bogus") && err.contains("created_at"), "{err}");
        let err = page(
            Vec::new(),
            &ExperimentFilter::default(),
            &Sort::default(),
            Some("x"),
            1,
        )
        .unwrap_err();
        assert!(err.to_string().contains("cursor"));
    }
}

//! Reading eval samples: one page of a run's samples (dataset, text search, score filters,
//! sort by a column or a score, paging), score averages per dataset and annotation
//! summaries, computed the same way for every store (as `query` does for experiment lists).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    number, Annotation, AnnotationKind, AnnotationSubject, AnnotationSummary, AnnotationTarget,
    AnnotationValue, AnnotationValueType, EvalColumn, EvalSample, ExpectationSummary,
    FeedbackSummary,
};

/// Samples per page when none is asked for (luml's default).
pub const DEFAULT_LIMIT: usize = 20;
/// The most samples one page holds.
pub const MAX_LIMIT: usize = 1_000;

/// What to sort samples by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EvalSortKey {
    /// When first logged (luml's default).
    #[default]
    CreatedAt,
    /// When last logged.
    UpdatedAt,
    /// The dataset id.
    DatasetId,
    /// The sample id.
    Id,
    /// A key inside a JSON column, e.g. `scores.bleu`.
    Field(EvalColumn, String),
    /// A bare key, looked up in the columns when the query runs.
    Key(String),
}

impl EvalSortKey {
    /// Parses `created_at`, `updated_at`, `dataset_id`, `id` or `COLUMN.KEY`
    /// (`scores.bleu`, `inputs.prompt`). Any other text is a bare key, looked up when the
    /// query runs in the samples' columns in luml's order (inputs, outputs, refs, scores,
    /// metadata), as luml's `resolve_evals_sort_column` does; one found nowhere is then
    /// [`Error::InvalidInput`].
    pub fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "" | "created_at" => EvalSortKey::CreatedAt,
            "updated_at" => EvalSortKey::UpdatedAt,
            "dataset_id" => EvalSortKey::DatasetId,
            "id" | "eval_id" => EvalSortKey::Id,
            _ => match text
                .split_once('.')
                .and_then(|(col, key)| Some((EvalColumn::parse(col)?, key)))
            {
                Some((col, key)) if !key.is_empty() => EvalSortKey::Field(col, key.to_string()),
                _ if text.chars().any(char::is_control) => {
                    return Err(Error::invalid(
                        "eval sort key",
                        text,
                        "contains a control character",
                    ))
                }
                _ => EvalSortKey::Key(text.to_string()),
            },
        })
    }

    /// A bare key resolved against `samples`; other keys as they are.
    fn resolve(&self, samples: &[EvalSample]) -> Result<Self> {
        let EvalSortKey::Key(key) = self else {
            return Ok(self.clone());
        };
        for col in EvalColumn::ALL {
            if samples
                .iter()
                .any(|s| s.column(col).is_some_and(|m| m.contains_key(key)))
            {
                return Ok(EvalSortKey::Field(col, key.clone()));
            }
        }
        Err(Error::invalid(
            "eval sort key",
            key.as_str(),
            "must be created_at, updated_at, dataset_id, id, COLUMN.KEY (scores.bleu) or a key of some sample's inputs/outputs/refs/scores/metadata",
        ))
    }

    /// The text [`EvalSortKey::parse`] reads back.
    pub fn as_string(&self) -> String {
        match self {
            EvalSortKey::CreatedAt => "created_at".into(),
            EvalSortKey::UpdatedAt => "updated_at".into(),
            EvalSortKey::DatasetId => "dataset_id".into(),
            EvalSortKey::Id => "id".into(),
            EvalSortKey::Field(c, k) => format!("{}.{k}", c.as_str()),
            EvalSortKey::Key(k) => k.clone(),
        }
    }
}

/// A comparison in a score filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `=`
    #[serde(rename = "=")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
}

impl CmpOp {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }

    /// The operator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
        }
    }
}

/// Keeps samples whose numeric score `key` compares to `value` (samples without that
/// score are left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreFilter {
    /// The score's key (`bleu`; a leading `scores.` is accepted).
    pub key: String,
    /// How to compare.
    pub op: CmpOp,
    /// What to compare with.
    pub value: f64,
}

impl ScoreFilter {
    /// Parses `KEY OP NUMBER` (`bleu >= 0.5`, `scores.f1<0.2`).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid("score filter", text, why.to_string());
        let at = text
            .find(['<', '>', '=', '!'])
            .ok_or_else(|| bad("expected KEY OP NUMBER, e.g. 'bleu >= 0.5'"))?;
        let key = text[..at].trim();
        let rest = &text[at..];
        let (op, len) = [
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("!=", CmpOp::Ne),
            ("==", CmpOp::Eq),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
            ("=", CmpOp::Eq),
        ]
        .into_iter()
        .find(|(s, _)| rest.starts_with(s))
        .map(|(s, op)| (op, s.len()))
        .ok_or_else(|| bad("expected one of < <= > >= = !="))?;
        let key = key.trim_matches('`');
        let key = key.strip_prefix("scores.").unwrap_or(key).trim_matches('`');
        if key.is_empty() {
            return Err(bad("has no score key before the operator"));
        }
        if let Some((col, _)) = key.split_once('.') {
            if EvalColumn::parse(col).is_some() {
                return Err(bad("only scores can be filtered on (scores.KEY OP NUMBER)"));
            }
        }
        let value: f64 = rest[len..]
            .trim()
            .parse()
            .map_err(|_| bad("expected a number after the operator"))?;
        Ok(ScoreFilter {
            key: key.to_string(),
            op,
            value,
        })
    }

    /// Parses filters joined by `and` (`acc >= 0.5 and f1 < 0.3`); blank is none.
    pub fn parse_all(text: &str) -> Result<Vec<Self>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let lower = text.to_ascii_lowercase();
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(at) = lower[start..].find(" and ") {
            out.push(Self::parse(&text[start..start + at])?);
            start += at + 5;
        }
        out.push(Self::parse(&text[start..])?);
        Ok(out)
    }

    fn keeps(&self, s: &EvalSample) -> bool {
        s.score(&self.key)
            .is_some_and(|v| self.op.holds(v, self.value))
    }
}

impl std::fmt::Display for ScoreFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.key, self.op.as_str(), self.value)
    }
}

/// Which samples to read, in what order, which page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalQuery {
    /// Only this dataset's samples.
    pub dataset_id: Option<String>,
    /// Only samples whose id or some text value (in any column) contains this,
    /// case-insensitively (luml's `search`).
    pub search: Option<String>,
    /// Only samples passing every filter.
    pub filters: Vec<ScoreFilter>,
    /// Sort key; ties by sample id in the same direction.
    pub sort_by: EvalSortKey,
    /// Ascending instead of luml's default descending.
    pub ascending: bool,
    /// Page size ([`DEFAULT_LIMIT`] when 0; at most [`MAX_LIMIT`]).
    pub limit: usize,
    /// The `cursor` of the previous page.
    pub cursor: Option<String>,
}

impl EvalQuery {
    /// The query as URL parameters (`dataset_id`, `search`, `filter` (filters joined by
    /// ` and `, as [`ScoreFilter::parse_all`] reads them),
    /// `sort_by`, `order`, `limit`, `cursor`), for the HTTP API.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(d) = &self.dataset_id {
            out.push(("dataset_id", d.clone()));
        }
        if let Some(s) = &self.search {
            out.push(("search", s.clone()));
        }
        if !self.filters.is_empty() {
            let all: Vec<String> = self.filters.iter().map(ToString::to_string).collect();
            out.push(("filter", all.join(" and ")));
        }
        out.push(("sort_by", self.sort_by.as_string()));
        out.push(("order", if self.ascending { "asc" } else { "desc" }.into()));
        if self.limit != 0 {
            out.push(("limit", self.limit.to_string()));
        }
        if let Some(c) = &self.cursor {
            out.push(("cursor", c.clone()));
        }
        out
    }

    /// The query from URL-style parameters (what [`EvalQuery::to_params`] writes; blank
    /// values count as absent): for the HTTP API and the bindings.
    pub fn from_params<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self> {
        let some = |k: &str| get(k).filter(|v| !v.is_empty());
        let ascending = match some("order") {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(other) => return Err(Error::invalid("eval order", other, "must be asc or desc")),
        };
        let limit = match some("limit") {
            None => 0,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(
                        "eval page limit",
                        l,
                        format!("must be 1 to {MAX_LIMIT}"),
                    ))
                }
            },
        };
        Ok(EvalQuery {
            dataset_id: some("dataset_id").map(str::to_string),
            search: some("search").map(str::to_string),
            filters: ScoreFilter::parse_all(some("filter").unwrap_or(""))?,
            sort_by: EvalSortKey::parse(some("sort_by").unwrap_or(""))?,
            ascending,
            limit,
            cursor: some("cursor").map(str::to_string),
        })
    }

    fn offset(&self) -> Result<usize> {
        match &self.cursor {
            None => Ok(0),
            Some(c) => c.parse().map_err(|_| {
                Error::invalid(
                    "eval cursor",
                    c.as_str(),
                    "is not a cursor from a previous page",
                )
            }),
        }
    }
}

/// One page of samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalPage {
    /// The samples, with their trace ids and annotation summaries.
    pub items: Vec<EvalSample>,
    /// Pass as [`EvalQuery::cursor`] for the next page; `None` on the last.
    pub cursor: Option<String>,
    /// Samples matching the query across all pages.
    pub total: usize,
}

/// Score averages of one dataset (or of all, `dataset_id: None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetScores {
    /// The dataset; `None` for every sample of the run.
    pub dataset_id: Option<String>,
    /// Samples counted.
    pub samples: u64,
    /// Mean of each numeric score (booleans as 1/0) over the samples that have it.
    pub averages: BTreeMap<String, f64>,
}

/// A run's eval scores: averages over all samples and per dataset (sorted by id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSummary {
    /// Every sample.
    pub overall: DatasetScores,
    /// Per dataset, by dataset id.
    pub datasets: Vec<DatasetScores>,
}

/// Mean of each numeric score over `samples` (luml's `get_experiment_evals_average_scores`,
/// except that text scores are left out rather than counted as 0).
pub fn average_scores<'a>(samples: impl IntoIterator<Item = &'a EvalSample>) -> DatasetScores {
    let mut sums: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    let mut n = 0;
    for s in samples {
        n += 1;
        for (k, v) in s.scores.iter().flatten() {
            if let Some(x) = number(v) {
                let e = sums.entry(k.clone()).or_insert((0.0, 0));
                e.0 += x;
                e.1 += 1;
            }
        }
    }
    DatasetScores {
        dataset_id: None,
        samples: n,
        averages: sums
            .into_iter()
            .map(|(k, (sum, c))| (k, sum / c as f64))
            .collect(),
    }
}

/// Averages over all samples and per dataset.
pub fn summarize(samples: &[EvalSample]) -> EvalSummary {
    let mut by_dataset: BTreeMap<&str, Vec<&EvalSample>> = BTreeMap::new();
    for s in samples {
        by_dataset.entry(&s.dataset_id).or_default().push(s);
    }
    EvalSummary {
        overall: average_scores(samples),
        datasets: by_dataset
            .into_iter()
            .map(|(d, ss)| DatasetScores {
                dataset_id: Some(d.to_string()),
                ..average_scores(ss)
            })
            .collect(),
    }
}

/// Counts annotations by kind and name, as luml's summaries do.
pub fn annotation_summary<'a>(
    annotations: impl IntoIterator<Item = &'a Annotation>,
) -> AnnotationSummary {
    let mut feedback: BTreeMap<&str, FeedbackSummary> = BTreeMap::new();
    // Per name: the summary and the greatest non-bool value text seen, with its type.
    type Greatest = Option<(String, AnnotationValueType)>;
    let mut expect: BTreeMap<&str, (ExpectationSummary, Greatest)> = BTreeMap::new();
    for a in annotations {
        let text = a.value.to_luml_text();
        match a.annotation_kind {
            AnnotationKind::Feedback => {
                let f = feedback.entry(&a.name).or_insert_with(|| FeedbackSummary {
                    name: a.name.clone(),
                    total: 0,
                    counts: BTreeMap::new(),
                });
                f.total += 1;
                *f.counts.entry(text).or_insert(0) += 1;
            }
            AnnotationKind::Expectation => {
                let (e, max) = expect.entry(&a.name).or_insert_with(|| {
                    (
                        ExpectationSummary {
                            name: a.name.clone(),
                            total: 0,
                            positive: 0,
                            negative: 0,
                            value: None,
                        },
                        None,
                    )
                });
                e.total += 1;
                match (&a.value_type, &a.value) {
                    (AnnotationValueType::Bool, AnnotationValue::Bool(true)) => e.positive += 1,
                    (AnnotationValueType::Bool, _) => e.negative += 1,
                    (t, _) => {
                        if max.as_ref().is_none_or(|(m, _)| text > *m) {
                            *max = Some((text, *t));
                        }
                    }
                }
            }
        }
    }
    AnnotationSummary {
        feedback: feedback.into_values().collect(),
        expectations: expect
            .into_values()
            .map(|(mut e, max)| {
                e.value = max.map(|(t, vt)| AnnotationValue::from_luml_text(&t, vt));
                e
            })
            .collect(),
    }
}

/// The summary of each annotated sample, keyed by (dataset id, eval id).
pub fn summaries_by_sample(
    annotations: &[Annotation],
) -> BTreeMap<(String, String), AnnotationSummary> {
    let mut by: BTreeMap<(String, String), Vec<&Annotation>> = BTreeMap::new();
    for a in annotations {
        if let AnnotationSubject::Eval {
            dataset_id,
            eval_id,
        } = &a.subject
        {
            by.entry((dataset_id.clone(), eval_id.clone()))
                .or_default()
                .push(a);
        }
    }
    by.into_iter()
        .map(|(k, v)| (k, annotation_summary(v)))
        .collect()
}

/// A sort value ordered as SQLite orders `json_extract` results: NULL, numbers, text.
#[derive(Debug, PartialEq, PartialOrd)]
enum SortVal<'a> {
    Null,
    Num(f64),
    Text(std::borrow::Cow<'a, str>),
}

fn sort_val<'a>(s: &'a EvalSample, key: &EvalSortKey) -> SortVal<'a> {
    match key {
        EvalSortKey::CreatedAt => SortVal::Num(s.created_at as f64),
        EvalSortKey::UpdatedAt => SortVal::Num(s.updated_at as f64),
        EvalSortKey::DatasetId => SortVal::Text(s.dataset_id.as_str().into()),
        EvalSortKey::Id => SortVal::Text(s.id.as_str().into()),
        EvalSortKey::Key(_) => SortVal::Null,
        EvalSortKey::Field(c, k) => match s.column(*c).and_then(|m| m.get(k)) {
            None | Some(serde_json::Value::Null) => SortVal::Null,
            Some(serde_json::Value::String(t)) => SortVal::Text(t.as_str().into()),
            Some(v) => match number(v) {
                Some(x) => SortVal::Num(x),
                None => SortVal::Text(v.to_string().into()),
            },
        },
    }
}

fn contains_text(s: &EvalSample, needle: &str) -> bool {
    if s.id.to_lowercase().contains(needle) {
        return true;
    }
    EvalColumn::ALL.iter().any(|c| {
        s.column(*c).is_some_and(|m| {
            m.values().any(
                |v| matches!(v, serde_json::Value::String(t) if t.to_lowercase().contains(needle)),
            )
        })
    })
}

/// The samples `q` keeps (dataset, search, filters), in its order; paging is ignored. For
/// views that window the whole list themselves (the dashboard's table).
pub fn arrange(samples: Vec<EvalSample>, q: &EvalQuery) -> Result<Vec<EvalSample>> {
    let sort_by = q.sort_by.resolve(&samples)?;
    let needle = q.search.as_ref().map(|s| s.to_lowercase());
    let mut kept: Vec<EvalSample> = samples
        .into_iter()
        .filter(|s| q.dataset_id.as_ref().is_none_or(|d| &s.dataset_id == d))
        .filter(|s| needle.as_ref().is_none_or(|n| contains_text(s, n)))
        .filter(|s| q.filters.iter().all(|f| f.keeps(s)))
        .collect();
    // NULLs last when descending and first when ascending, as luml orders them.
    kept.sort_by(|a, b| {
        let ord = sort_val(a, &sort_by)
            .partial_cmp(&sort_val(b, &sort_by))
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.dataset_id.cmp(&b.dataset_id));
        if q.ascending {
            ord
        } else {
            ord.reverse()
        }
    });
    Ok(kept)
}

/// Filters, sorts and pages `samples` (all of one run, with trace ids) for `q`, and fills
/// each returned sample's annotation summary from `annotations`.
pub fn query(
    samples: Vec<EvalSample>,
    annotations: &[Annotation],
    q: &EvalQuery,
) -> Result<EvalPage> {
    let offset = q.offset()?;
    let limit = match q.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };
    let kept = arrange(samples, q)?;
    let total = kept.len();
    let summaries = summaries_by_sample(annotations);
    let items: Vec<EvalSample> = kept
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|mut s| {
            s.annotations = summaries
                .get(&(s.dataset_id.clone(), s.id.clone()))
                .cloned();
            s
        })
        .collect();
    let next = offset + items.len();
    Ok(EvalPage {
        cursor: (next < total).then(|| next.to_string()),
        items,
        total,
    })
}

/// The error for a link or annotation naming a sample the experiment does not hold.
pub fn sample_not_found(experiment: &str, dataset_id: &str, eval_id: &str) -> Error {
    Error::InvalidInput {
        what: "eval sample",
        value: format!("{dataset_id}/{eval_id}"),
        reason: format!("is not in experiment {experiment:?}: log_eval_sample it first"),
    }
}

/// The error for an annotation naming a span the experiment does not hold.
pub fn span_not_found(experiment: &str, trace_id: &str, span_id: &str) -> Error {
    Error::InvalidInput {
        what: "span",
        value: format!("{trace_id}/{span_id}"),
        reason: format!("is not in experiment {experiment:?}"),
    }
}

/// The error for updating an annotation the experiment does not hold.
pub fn annotation_not_found(experiment: &str, target: AnnotationTarget, id: &str) -> Error {
    Error::InvalidInput {
        what: "annotation",
        value: id.to_string(),
        reason: format!(
            "no {} annotation with this id in experiment {experiment:?}",
            target.as_str()
        ),
    }
}

/// What a store holds, for [`check_refs`].
pub trait StoredRefs {
    /// Whether the experiment holds this sample.
    fn has_sample(&self, experiment: &str, dataset_id: &str, eval_id: &str) -> bool;
    /// Whether the experiment holds this span.
    fn has_span(&self, experiment: &str, trace_id: &str, span_id: &str) -> bool;
    /// The value type of a stored annotation, if there is one with this id.
    fn annotation_type(
        &self,
        experiment: &str,
        target: AnnotationTarget,
        id: &str,
    ) -> Option<AnnotationValueType>;
}

/// Checks, before a store applies anything, that every link, annotation and annotation
/// update in `batch` names something stored or written earlier in the batch, and that a
/// new value has the annotation's type: stores without transactions stay all-or-nothing.
pub fn check_refs(batch: &crate::store::Batch, stored: &impl StoredRefs) -> Result<()> {
    use crate::store::Record;
    use std::collections::{HashMap, HashSet};
    let mut samples: HashSet<(&str, &str, &str)> = HashSet::new();
    let mut spans: HashSet<(&str, &str, &str)> = HashSet::new();
    // Annotations written (Some) or deleted (None) earlier in the batch.
    let mut annotations: HashMap<(&str, AnnotationTarget, &str), Option<AnnotationValueType>> =
        HashMap::new();
    for r in &batch.records {
        match r {
            Record::EvalSample { experiment, sample } => {
                samples.insert((experiment, &sample.dataset_id, &sample.id));
            }
            Record::Spans {
                experiment,
                spans: ss,
            } => {
                for s in ss {
                    spans.insert((experiment, &s.trace_id, &s.span_id));
                }
            }
            Record::EvalTraceLink {
                experiment,
                dataset_id,
                eval_id,
                ..
            } if !samples.contains(&(
                experiment.as_str(),
                dataset_id.as_str(),
                eval_id.as_str(),
            )) && !stored.has_sample(experiment, dataset_id, eval_id) =>
            {
                return Err(sample_not_found(experiment, dataset_id, eval_id));
            }
            Record::Annotation {
                experiment,
                annotation,
            } => {
                match &annotation.subject {
                    AnnotationSubject::Eval {
                        dataset_id,
                        eval_id,
                    } => {
                        if !samples.contains(&(
                            experiment.as_str(),
                            dataset_id.as_str(),
                            eval_id.as_str(),
                        )) && !stored.has_sample(experiment, dataset_id, eval_id)
                        {
                            return Err(sample_not_found(experiment, dataset_id, eval_id));
                        }
                    }
                    AnnotationSubject::Span { trace_id, span_id } => {
                        if !spans.contains(&(
                            experiment.as_str(),
                            trace_id.as_str(),
                            span_id.as_str(),
                        )) && !stored.has_span(experiment, trace_id, span_id)
                        {
                            return Err(span_not_found(experiment, trace_id, span_id));
                        }
                    }
                }
                annotations.insert(
                    (experiment, annotation.subject.target(), &annotation.id),
                    Some(annotation.value_type),
                );
            }
            Record::UpdateAnnotation {
                experiment,
                target,
                id,
                value,
                ..
            } => {
                let ty = match annotations.get(&(experiment.as_str(), *target, id.as_str())) {
                    Some(pending) => *pending,
                    None => stored.annotation_type(experiment, *target, id),
                };
                let ty = ty.ok_or_else(|| annotation_not_found(experiment, *target, id))?;
                if let Some(v) = value {
                    v.check_type(ty)?;
                }
            }
            Record::DeleteAnnotation {
                experiment,
                target,
                id,
            } => {
                annotations.insert((experiment, *target, id), None);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a record is one of the eval records (samples, links, annotations).
pub fn is_eval_record(r: &crate::store::Record) -> bool {
    use crate::store::Record;
    matches!(
        r,
        Record::EvalSample { .. }
            | Record::EvalTraceLink { .. }
            | Record::Annotation { .. }
            | Record::UpdateAnnotation { .. }
            | Record::DeleteAnnotation { .. }
    )
}

/// The error of a store that does not hold evals yet, refusing an eval record (the batch
/// is refused whole, so nothing is half-written; trackers drop and count the record).
pub fn unsupported(store: &str) -> Error {
    Error::InvalidInput {
        what: "eval record",
        value: store.to_string(),
        reason: "this store does not hold eval samples or annotations yet; use sqlite://, memory://, http:// or postgres://".into(),
    }
}

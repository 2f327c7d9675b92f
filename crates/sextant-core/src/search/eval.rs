//! The in-memory evaluator every store can list through.

use std::cmp::Ordering;

use super::ast::{Attribute, Comparison, Expr, Key, Op, OrderKey, Value, KV_TAG_PREFIX};
use crate::model::{ExperimentInfo, ParamValue, Status};

pub fn matches(expr: &Expr, e: &ExperimentInfo) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, e) && matches(b, e),
        Expr::Or(a, b) => matches(a, e) || matches(b, e),
        Expr::Cmp(c) => compare(c, e),
    }
}

/// A missing metric, param, description or duration never matches, whatever the operator.
fn compare(c: &Comparison, e: &ExperimentInfo) -> bool {
    let (op, v) = (c.op, &c.value);
    match &c.key {
        Key::Metric(k) => e.metrics.get(k).is_some_and(|x| num_matches(*x, op, v)),
        Key::Param(k) => e.params.get(k).is_some_and(|p| param(p, op, v)),
        Key::Tags => match op {
            Op::Ne => !e.tags.iter().any(|t| text(t, Op::Eq, v)),
            Op::NotIn => !e.tags.iter().any(|t| text(t, Op::In, v)),
            _ => e.tags.iter().any(|t| text(t, op, v)),
        },
        Key::Tag(k) => kv_tag(e, k).is_some_and(|t| text(&t, op, v)),
        Key::Attr(a) => match a {
            Attribute::Id => text(&e.id, op, v),
            Attribute::Name => text(&e.name, op, v),
            Attribute::Group => text(&e.group, op, v),
            Attribute::Description => e.description.as_deref().is_some_and(|d| text(d, op, v)),
            Attribute::Status => status_matches(e.status, op, v),
            Attribute::CreatedAt => num_matches(e.created_at as f64, op, v),
            Attribute::EndTime => end_time(e).is_some_and(|t| num_matches(t, op, v)),
            Attribute::Duration => e.duration.is_some_and(|d| num_matches(d, op, v)),
        },
    }
}

/// A key/value tag's text; a deleted one (JSON `null`) is missing.
fn kv_tag(e: &ExperimentInfo, key: &str) -> Option<String> {
    match e.params.get(&format!("{KV_TAG_PREFIX}{key}"))? {
        ParamValue::Json(serde_json::Value::Null) => None,
        p => Some(param_text(p)),
    }
}

/// Unix milliseconds the run ended at, once it has.
fn end_time(e: &ExperimentInfo) -> Option<f64> {
    e.duration
        .map(|d| e.created_at as f64 + (d * 1000.0).round())
}

fn ordered(o: Option<Ordering>, op: Op) -> bool {
    match (o, op) {
        (Some(o), Op::Eq | Op::In) => o.is_eq(),
        (Some(o), Op::Ne | Op::NotIn) => o.is_ne(),
        (Some(o), Op::Lt) => o.is_lt(),
        (Some(o), Op::Le) => o.is_le(),
        (Some(o), Op::Gt) => o.is_gt(),
        (Some(o), Op::Ge) => o.is_ge(),
        // NaN compares unequal to everything.
        (None, Op::Ne | Op::NotIn) => true,
        _ => false,
    }
}

fn in_list(v: &Value, op: Op, one: impl Fn(&Value) -> bool) -> bool {
    let items = match v {
        Value::List(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let any = items.iter().any(one);
    if op == Op::NotIn {
        !any
    } else {
        any
    }
}

pub(crate) fn num_matches(x: f64, op: Op, v: &Value) -> bool {
    match op {
        Op::In | Op::NotIn => in_list(v, op, |i| matches!(i, Value::Num(n, _) if x == *n)),
        _ => match v {
            Value::Num(n, _) => ordered(x.partial_cmp(n), op),
            _ => false,
        },
    }
}

fn literal_text(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) => Some(s),
        Value::Num(_, t) => Some(t),
        Value::List(_) => None,
    }
}

fn text(s: &str, op: Op, v: &Value) -> bool {
    match op {
        Op::In | Op::NotIn => in_list(v, op, |i| literal_text(i) == Some(s)),
        Op::Like => literal_text(v).is_some_and(|p| like(s, p)),
        Op::ILike => literal_text(v).is_some_and(|p| like(&s.to_lowercase(), &p.to_lowercase())),
        _ => literal_text(v).is_some_and(|t| ordered(Some(s.cmp(t)), op)),
    }
}

pub(crate) fn status_matches(s: Status, op: Op, v: &Value) -> bool {
    let is = |i: &Value| literal_text(i).and_then(|t| t.parse::<Status>().ok()) == Some(s);
    match op {
        Op::Eq => is(v),
        Op::Ne => !is(v),
        Op::In | Op::NotIn => in_list(v, op, is),
        _ => text(s.as_str(), op, v) || text(s.luml_name(), op, v),
    }
}

/// A param's number, when it is one (numbers, and strings that read as one).
fn param_number(p: &ParamValue) -> Option<f64> {
    match p {
        ParamValue::Int(i) => Some(*i as f64),
        ParamValue::Float(f) => Some(*f),
        ParamValue::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

/// A param as text: strings as they are, others as their JSON.
pub(crate) fn param_text(p: &ParamValue) -> String {
    match p {
        ParamValue::Str(s) => s.clone(),
        other => other.to_json().to_string(),
    }
}

pub(crate) fn literal_number(v: &Value) -> Option<f64> {
    match v {
        Value::Num(n, _) => Some(*n),
        Value::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        Value::List(_) => None,
    }
}

/// Params compare as numbers when both sides read as numbers, else as text.
fn param(p: &ParamValue, op: Op, v: &Value) -> bool {
    let pn = param_number(p);
    let pt = param_text(p);
    let one = |lit: &Value, op: Op| match (pn, literal_number(lit)) {
        (Some(x), Some(n)) if !matches!(op, Op::Like | Op::ILike) => ordered(x.partial_cmp(&n), op),
        _ => text(&pt, op, lit),
    };
    match op {
        Op::In | Op::NotIn => in_list(v, op, |i| one(i, Op::Eq)),
        _ => one(v, op),
    }
}

/// Sorts by the keys in turn, missing values last in either direction, then newest first.
pub fn sort(keys: &[OrderKey], list: &mut [ExperimentInfo]) {
    list.sort_by(|a, b| {
        keys.iter()
            .map(|k| by_key(k, a, b))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
            .then_with(|| b.created_at.cmp(&a.created_at))
            .then_with(|| a.id.cmp(&b.id))
    });
}

#[derive(PartialEq, PartialOrd)]
enum SortValue {
    Num(f64),
    Text(String),
}

fn sort_value(key: &Key, e: &ExperimentInfo) -> Option<SortValue> {
    Some(match key {
        Key::Metric(k) => SortValue::Num(*e.metrics.get(k).filter(|v| !v.is_nan())?),
        Key::Param(k) => {
            let p = e.params.get(k)?;
            match param_number(p) {
                Some(n) => SortValue::Num(n),
                None => SortValue::Text(param_text(p)),
            }
        }
        Key::Tags => SortValue::Text(e.tags.join(",")),
        Key::Tag(k) => SortValue::Text(kv_tag(e, k)?),
        Key::Attr(a) => match a {
            Attribute::Id => SortValue::Text(e.id.clone()),
            Attribute::Name => SortValue::Text(e.name.to_lowercase()),
            Attribute::Group => SortValue::Text(e.group.clone()),
            Attribute::Status => SortValue::Text(e.status.as_str().into()),
            Attribute::Description => SortValue::Text(e.description.clone()?),
            Attribute::CreatedAt => SortValue::Num(e.created_at as f64),
            Attribute::EndTime => SortValue::Num(end_time(e)?),
            Attribute::Duration => SortValue::Num(e.duration?),
        },
    })
}

fn by_key(k: &OrderKey, a: &ExperimentInfo, b: &ExperimentInfo) -> Ordering {
    match (sort_value(&k.key, a), sort_value(&k.key, b)) {
        (Some(x), Some(y)) => {
            // Numbers before text when a param mixes them.
            let o = match (&x, &y) {
                (SortValue::Num(_), SortValue::Text(_)) => Ordering::Less,
                (SortValue::Text(_), SortValue::Num(_)) => Ordering::Greater,
                _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            };
            if k.descending {
                o.reverse()
            } else {
                o
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// SQL `LIKE`: `%` is any run of characters, `_` any one character; case-sensitive.
pub fn like(s: &str, pattern: &str) -> bool {
    let (s, p): (Vec<char>, Vec<char>) = (s.chars().collect(), pattern.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if j < p.len() && (p[j] == '_' || (p[j] != '%' && p[j] == s[i])) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some((j, i));
            j += 1;
        } else if let Some((sj, si)) = star {
            j = sj + 1;
            i = si + 1;
            star = Some((sj, si + 1));
        } else {
            return false;
        }
    }
    p[j..].iter().all(|c| *c == '%')
}

//! Building blocks for stores that translate a filter into SQL (SQLite, PostgreSQL).
//!
//! The contract is *never drop a run the filter keeps*: a translated comparison is either
//! exact or, where SQL cannot reproduce the in-memory rule exactly (Unicode case folding,
//! Rust's number parsing of text params, JSON text of non-string params), a superset (true
//! for the rows it is unsure of). The filter has no `not` above comparisons (only `and`/`or`,
//! both monotone), so a superset per comparison gives a superset for the whole filter. The
//! store then evaluates the [`super::Query`] in memory over the rows SQL kept, which is exact
//! and cheap, and sorts them, so its answer is the in-memory answer by construction.

use super::ast::{Comparison, Expr, Op, Value};
use super::eval;
use crate::model::Status;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text.
    Text(String),
    /// A double.
    Real(f64),
}

/// How a dialect spells the parts of SQL that differ between SQLite and PostgreSQL.
pub trait Dialect {
    /// The placeholder for the `n`-th bind (1-based) holding `bind` (`?3`, `$3::text`).
    fn placeholder(&self, n: usize, bind: &Bind) -> String;
    /// `col OP rhs` compared byte by byte (the in-memory `str` order).
    fn text_compare(&self, col: &str, op: &str, rhs: &str) -> String;
    /// True where `col` matches a SQL `LIKE` pattern (`%`, `_`, no escape character),
    /// case-sensitively; binds what it needs.
    fn like(&self, col: &str, pattern: &str, b: &mut Binds) -> String;
    /// True where `col` holds a character outside ASCII.
    fn non_ascii(&self, col: &str) -> String;
    /// True where `col` holds an ASCII digit.
    fn has_digit(&self, col: &str) -> String;
}

/// The values bound so far, with the dialect's placeholders.
#[derive(Debug, Default)]
pub struct Binds {
    /// In placeholder order.
    pub values: Vec<Bind>,
}

impl Binds {
    /// Binds `b` and returns its placeholder.
    pub fn push(&mut self, d: &dyn Dialect, b: Bind) -> String {
        self.values.push(b);
        let n = self.values.len();
        d.placeholder(n, &self.values[n - 1])
    }

    /// Binds text.
    pub fn text(&mut self, d: &dyn Dialect, s: &str) -> String {
        self.push(d, Bind::Text(s.to_string()))
    }
}

/// The `WHERE` condition for `expr` and its bound values in placeholder order: `and`/`or`
/// as SQL's, each comparison as the store's `comparison` writes it.
pub fn condition(
    expr: &Expr,
    comparison: &dyn Fn(&Comparison, &mut Binds) -> String,
) -> (String, Vec<Bind>) {
    fn walk(
        expr: &Expr,
        comparison: &dyn Fn(&Comparison, &mut Binds) -> String,
        b: &mut Binds,
    ) -> String {
        match expr {
            Expr::And(x, y) => format!(
                "({} AND {})",
                walk(x, comparison, b),
                walk(y, comparison, b)
            ),
            Expr::Or(x, y) => format!("({} OR {})", walk(x, comparison, b), walk(y, comparison, b)),
            Expr::Cmp(c) => comparison(c, b),
        }
    }
    let mut b = Binds::default();
    let sql = walk(expr, comparison, &mut b);
    (sql, b.values)
}

/// SQL true.
pub const TRUE: &str = "(1=1)";
/// SQL false.
pub const FALSE: &str = "(1=0)";

fn items(v: &Value) -> &[Value] {
    match v {
        Value::List(items) => items,
        single => std::slice::from_ref(single),
    }
}

fn literal_text(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) => Some(s),
        Value::Num(_, t) => Some(t),
        Value::List(_) => None,
    }
}

fn sql_op(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "<>",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        _ => "=",
    }
}

/// Exact: `col` (non-null text) against the literal with the in-memory text rules; `ILIKE`
/// is exact for ASCII values and true for others (Unicode lowercasing differs by engine).
pub fn text(d: &dyn Dialect, col: &str, op: Op, v: &Value, b: &mut Binds) -> String {
    match op {
        Op::In | Op::NotIn => {
            let texts: Vec<String> = items(v)
                .iter()
                .filter_map(literal_text)
                .map(|t| b.text(d, t))
                .collect();
            match (texts.is_empty(), op == Op::In) {
                (true, true) => FALSE.into(),
                (true, false) => TRUE.into(),
                (false, true) => format!("({col} IN ({}))", texts.join(", ")),
                (false, false) => format!("({col} NOT IN ({}))", texts.join(", ")),
            }
        }
        Op::Like => match literal_text(v) {
            Some(p) => d.like(col, p, b),
            None => FALSE.into(),
        },
        Op::ILike => match literal_text(v) {
            Some(p) => {
                let lowered = d.like(&format!("lower({col})"), &p.to_lowercase(), b);
                format!(
                    "(CASE WHEN {} THEN {TRUE} ELSE {lowered} END)",
                    d.non_ascii(col)
                )
            }
            None => FALSE.into(),
        },
        _ => match literal_text(v) {
            Some(t) => {
                let ph = b.text(d, t);
                d.text_compare(col, sql_op(op), &ph)
            }
            None => FALSE.into(),
        },
    }
}

/// Exact: `col` (a non-null, non-NaN double) against the literal with the in-memory number
/// rules (only number literals compare; `IN` ignores text items).
pub fn number(d: &dyn Dialect, col: &str, op: Op, v: &Value, b: &mut Binds) -> String {
    match op {
        Op::In | Op::NotIn => {
            let nums: Vec<String> = items(v)
                .iter()
                .filter_map(|i| match i {
                    Value::Num(n, _) => Some(b.push(d, Bind::Real(*n))),
                    _ => None,
                })
                .collect();
            match (nums.is_empty(), op == Op::In) {
                (true, true) => FALSE.into(),
                (true, false) => TRUE.into(),
                (false, true) => format!("({col} IN ({}))", nums.join(", ")),
                (false, false) => format!("({col} NOT IN ({}))", nums.join(", ")),
            }
        }
        Op::Like | Op::ILike => FALSE.into(),
        _ => match v {
            Value::Num(n, _) => {
                let ph = b.push(d, Bind::Real(*n));
                format!("({col} {} {ph})", sql_op(op))
            }
            _ => FALSE.into(),
        },
    }
}

/// Whether a NaN value (a metric whose latest value is NaN) matches: only `!=` and
/// `NOT IN` do, as in memory.
pub fn nan_matches(op: Op, v: &Value) -> bool {
    eval::num_matches(f64::NAN, op, v)
}

/// A text param (`col` its string) against the literal: exact when the literal is not a
/// number (text rules), else exact for strings without a digit (they never read as a number)
/// and true for the others (Rust's number parsing decides, in memory).
pub fn text_param(d: &dyn Dialect, col: &str, op: Op, v: &Value, b: &mut Binds) -> String {
    let numeric = !matches!(op, Op::Like | Op::ILike)
        && items(v).iter().any(|i| eval::literal_number(i).is_some());
    let exact = text(d, col, op, v, b);
    if numeric {
        format!(
            "(CASE WHEN {} THEN {TRUE} ELSE {exact} END)",
            d.has_digit(col)
        )
    } else {
        exact
    }
}

/// A number param (`col` its finite double) against the literal: exact when every literal
/// reads as a number (number rules), true otherwise (the number's JSON text would decide).
pub fn number_param(d: &dyn Dialect, col: &str, op: Op, v: &Value, b: &mut Binds) -> String {
    if matches!(op, Op::Like | Op::ILike) {
        return TRUE.into();
    }
    let lits = items(v);
    let nums: Option<Vec<Value>> = lits
        .iter()
        .map(|i| eval::literal_number(i).map(|n| Value::Num(n, String::new())))
        .collect();
    match nums {
        Some(nums) if !nums.is_empty() => {
            let v = match v {
                Value::List(_) => Value::List(nums),
                _ => nums.into_iter().next().unwrap_or(Value::List(Vec::new())),
            };
            number(d, col, op, &v, b)
        }
        _ => TRUE.into(),
    }
}

/// The statuses a status comparison keeps, as [`Status::luml_name`]s.
pub fn statuses(op: Op, v: &Value) -> Vec<&'static str> {
    [Status::Running, Status::Completed, Status::Failed]
        .into_iter()
        .filter(|s| eval::status_matches(*s, op, v))
        .map(Status::luml_name)
        .collect()
}

/// A status comparison on `col` (the stored status text): the statuses it keeps, as an
/// `IN` over the status read leniently ([`lenient_status`]), or false when it keeps none.
pub fn status(col: &str, op: Op, v: &Value) -> String {
    let names: Vec<String> = statuses(op, v)
        .into_iter()
        .map(|s| format!("'{s}'"))
        .collect();
    if names.is_empty() {
        FALSE.into()
    } else {
        format!("({} IN ({}))", lenient_status(col), names.join(", "))
    }
}

/// `col` (the stored status text) read the way [`Status::parse_lenient`] reads it, as the
/// status's luml name.
pub fn lenient_status(col: &str) -> String {
    format!(
        "(CASE COALESCE({col}, 'active') WHEN 'completed' THEN 'completed' \
         WHEN 'error' THEN 'error' WHEN 'failed' THEN 'error' ELSE 'active' END)"
    )
}

/// Turns a `LIKE` pattern into a `GLOB` one (SQLite's case-sensitive, character-wise
/// matcher): `%` → `*`, `_` → `?`, and GLOB's own `*`, `?`, `[` taken literally.
pub fn glob_from_like(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_keeps_globs_own_wildcards_literal() {
        assert_eq!(glob_from_like("a%b_c"), "a*b?c");
        assert_eq!(glob_from_like("*?[x]"), "[*][?][[]x]");
    }

    #[test]
    fn status_sets_follow_the_evaluator() {
        let s = |t: &str| Value::Str(t.into());
        assert_eq!(statuses(Op::Eq, &s("finished")), vec!["completed"]);
        assert_eq!(statuses(Op::Ne, &s("failed")), vec!["active", "completed"]);
        assert_eq!(
            statuses(Op::Like, &s("%e%")),
            vec!["active", "completed", "error"]
        );
    }
}

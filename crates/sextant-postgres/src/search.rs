//! The search language as a `WHERE` clause over `experiments e JOIN groups g`: params from
//! the `params` jsonb (serde's `{"type", "value"}`), latest metrics from `metric_keys`, tags
//! from the `text[]`. Text compares under `COLLATE "C"` (bytes, as Rust's `str`); NaN, which
//! PostgreSQL orders above every number and equal to itself, is tested for first. See
//! `sextant_core::search::sql` for the contract (exact, or a superset the in-memory check
//! then narrows).

use sextant_core::search::sql::{self, Bind, Binds, Dialect, FALSE, TRUE};
use sextant_core::search::{Attribute, Comparison, Expr, Key, Op, Value, KV_TAG_PREFIX};

struct Postgres;

impl Dialect for Postgres {
    fn placeholder(&self, n: usize, bind: &Bind) -> String {
        match bind {
            Bind::Text(_) => format!("${n}::text"),
            Bind::Real(_) => format!("${n}::float8"),
        }
    }
    fn text_compare(&self, col: &str, op: &str, rhs: &str) -> String {
        format!("({col} COLLATE \"C\" {op} {rhs})")
    }
    fn like(&self, col: &str, pattern: &str, b: &mut Binds) -> String {
        let ph = b.text(self, pattern);
        format!("({col} COLLATE \"C\" LIKE {ph} ESCAPE '')")
    }
    fn non_ascii(&self, col: &str) -> String {
        format!("(octet_length({col}) <> char_length({col}))")
    }
    fn has_digit(&self, col: &str) -> String {
        format!("({col} ~ '[0-9]')")
    }
}

/// The `WHERE` condition for `expr` and its bound values (`$1`… in order).
pub fn condition(expr: &Expr) -> (String, Vec<Bind>) {
    sql::condition(expr, &comparison)
}

/// `col` (float8, maybe NaN) against the literal.
fn nan_aware(col: &str, op: Op, v: &Value, b: &mut Binds) -> String {
    let nan = if sql::nan_matches(op, v) { TRUE } else { FALSE };
    let cmp = sql::number(&Postgres, col, op, v, b);
    format!("(CASE WHEN {col} = 'NaN'::float8 THEN {nan} ELSE {cmp} END)")
}

fn comparison(c: &Comparison, b: &mut Binds) -> String {
    let d = &Postgres;
    let (op, v) = (c.op, &c.value);
    match &c.key {
        Key::Metric(k) => {
            let key = b.text(d, k);
            // A key with points but no value reads as NaN, as the list does.
            let value = "COALESCE(k.last_value, 'NaN'::float8)";
            format!(
                "EXISTS (SELECT 1 FROM metric_keys k WHERE k.experiment = e.seq AND k.count > 0 \
                 AND k.key = {key} AND {})",
                nan_aware(value, op, v, b)
            )
        }
        Key::Param(k) => {
            let key = b.text(d, k);
            let p = format!("(e.params -> {key})");
            let text = format!("({p} ->> 'value')");
            let number = format!("(({p} ->> 'value')::float8)");
            let as_text = sql::text_param(d, &text, op, v, b);
            let as_number = sql::number_param(d, &number, op, v, b);
            format!(
                "({p} IS NOT NULL AND (CASE {p} ->> 'type' WHEN 'str' THEN {as_text} \
                 WHEN 'int' THEN {as_number} \
                 WHEN 'float' THEN (CASE WHEN jsonb_typeof({p} -> 'value') = 'number' THEN {as_number} ELSE {TRUE} END) \
                 ELSE {TRUE} END))"
            )
        }
        Key::Tag(k) => {
            let key = b.text(d, &format!("{KV_TAG_PREFIX}{k}"));
            let p = format!("(e.params -> {key})");
            let as_text = sql::text(d, &format!("({p} ->> 'value')"), op, v, b);
            format!(
                "({p} IS NOT NULL AND (CASE WHEN {p} ->> 'type' = 'str' THEN {as_text} \
                 WHEN {p} ->> 'type' = 'json' AND jsonb_typeof({p} -> 'value') = 'null' THEN {FALSE} \
                 ELSE {TRUE} END))"
            )
        }
        Key::Tags => {
            let (quantifier, op) = match op {
                Op::Ne => ("NOT EXISTS", Op::Eq),
                Op::NotIn => ("NOT EXISTS", Op::In),
                other => ("EXISTS", other),
            };
            let cmp = sql::text(d, "t.value", op, v, b);
            format!("{quantifier} (SELECT 1 FROM unnest(e.tags) AS t(value) WHERE {cmp})")
        }
        Key::Attr(a) => attribute(*a, op, v, b),
    }
}

fn attribute(a: Attribute, op: Op, v: &Value, b: &mut Binds) -> String {
    let d = &Postgres;
    match a {
        Attribute::Id => sql::text(d, "e.id", op, v, b),
        Attribute::Name => sql::text(d, "e.name", op, v, b),
        Attribute::Group => sql::text(d, "g.name", op, v, b),
        Attribute::Description => format!(
            "(e.description IS NOT NULL AND {})",
            sql::text(d, "e.description", op, v, b)
        ),
        Attribute::Status => sql::status("e.status", op, v),
        Attribute::CreatedAt => sql::number(d, "(e.created_at::float8)", op, v, b),
        // created_at + round(duration * 1000): the rounding is Rust's; keep every ended run.
        Attribute::EndTime => "(e.duration IS NOT NULL)".into(),
        Attribute::Duration => format!(
            "(e.duration IS NOT NULL AND {})",
            nan_aware("e.duration", op, v, b)
        ),
    }
}

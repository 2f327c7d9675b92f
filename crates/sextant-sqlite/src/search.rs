//! The search language as a `WHERE` clause over meta.db's `experiments` row (alias `e`,
//! its group `g`): params from the `static_params` cache, latest metrics from the
//! `dynamic_params` cache, tags from the `tags` list. Rows whose caches the in-memory path
//! would not trust (missing, JSON5 such as a bare `NaN`, escapes in keys) are kept for the
//! exact in-memory check, as are the few comparisons SQL cannot decide; see
//! `sextant_core::search::sql` for the contract.

use sextant_core::search::sql::{self, Bind, Binds, Dialect, FALSE, TRUE};
use sextant_core::search::{Attribute, Comparison, Expr, Key, Op, Value, KV_TAG_PREFIX};

struct Sqlite;

impl Dialect for Sqlite {
    fn placeholder(&self, n: usize, _: &Bind) -> String {
        format!("?{n}")
    }
    fn text_compare(&self, col: &str, op: &str, rhs: &str) -> String {
        // BINARY collation: memcmp over UTF-8, the order of Rust's `str`.
        format!("({col} {op} {rhs} COLLATE BINARY)")
    }
    fn like(&self, col: &str, pattern: &str, b: &mut Binds) -> String {
        // SQLite's LIKE ignores ASCII case; GLOB is case-sensitive and character-wise.
        let ph = b.text(self, &sql::glob_from_like(pattern));
        format!("({col} GLOB {ph})")
    }
    fn non_ascii(&self, col: &str) -> String {
        format!("(length({col}) <> length(CAST({col} AS BLOB)))")
    }
    fn has_digit(&self, col: &str) -> String {
        format!("({col} GLOB '*[0-9]*')")
    }
}

/// `col` is a JSON object SQLite reads exactly as serde_json does: strict JSON (no JSON5
/// `NaN`), an object, no escapes (so `json_each`'s keys are the keys as written), and no
/// number that could overflow a double (serde_json refuses `1e400`, SQLite reads infinity;
/// any exponent of three digits or run of 300 digits counts). The digit-run GLOB tries
/// every position of the text, so it runs only on text long enough to hold such a run.
fn plain_object(col: &str) -> String {
    let digits = "[0-9]".repeat(300);
    format!(
        "({col} IS NOT NULL AND json_valid({col}, 1) AND json_type({col}) = 'object' \
         AND instr({col}, char(92)) = 0 \
         AND NOT {col} GLOB '*[0-9][eE][0-9][0-9][0-9]*' \
         AND NOT {col} GLOB '*[0-9][eE][+-][0-9][0-9][0-9]*' \
         AND NOT (length({col}) >= 300 AND {col} GLOB '*{digits}*'))"
    )
}

/// The metric cache the store trusts: a plain object of numbers (JSON `null` is NaN).
const METRICS: &str = "e.dynamic_params";
const PARAMS: &str = "e.static_params";

fn metrics_trusted() -> String {
    format!(
        "({} AND NOT EXISTS (SELECT 1 FROM json_each({METRICS}) WHERE type NOT IN ('integer', 'real', 'null')))",
        plain_object(METRICS)
    )
}

/// The tag list read as `serde_json::from_str::<Vec<String>>`: NULL is no tags; anything
/// but an array of strings is kept for the in-memory check.
fn tags_trusted() -> String {
    "(e.tags IS NULL OR (json_valid(e.tags, 1) AND json_type(e.tags) = 'array' \
      AND NOT EXISTS (SELECT 1 FROM json_each(e.tags) WHERE type <> 'text')))"
        .to_string()
}

/// Unix milliseconds of `created_at` as Sextant writes it (`2026-11-28T16:05:12.123456+00:00`)
/// or as SQLite's `CURRENT_TIMESTAMP` does (`2026-11-28 16:05:12`), with a guard that the
/// date and time are valid (`date()`/`time()` give them back unchanged); `None` for other forms.
fn created_millis() -> (String, String) {
    let c = "e.created_at";
    let valid = format!(
        "(date(substr({c}, 1, 10)) = substr({c}, 1, 10) AND time(substr({c}, 12, 8)) = substr({c}, 12, 8))"
    );
    let digits2 = "[0-9][0-9]";
    let ymd = format!("[0-9][0-9][0-9][0-9]-{digits2}-{digits2}");
    let hms = format!("{digits2}:{digits2}:{digits2}");
    let sextant = format!("{ymd}T{hms}.[0-9][0-9][0-9][0-9][0-9][0-9]+00:00");
    let plain = format!("{ymd} {hms}");
    let guard = format!(
        "(typeof({c}) = 'text' AND ({c} GLOB '{sextant}' OR {c} GLOB '{plain}') AND {valid})"
    );
    let millis = format!(
        "(CAST(unixepoch(substr({c}, 1, 10) || ' ' || substr({c}, 12, 8)) AS REAL) * 1000.0 \
         + (CASE WHEN length({c}) > 19 THEN CAST(substr({c}, 21, 3) AS INTEGER) ELSE 0 END))"
    );
    (guard, millis)
}

/// The `WHERE` condition for `expr` and its bound values.
pub fn condition(expr: &Expr) -> (String, Vec<Bind>) {
    sql::condition(expr, &comparison)
}

fn comparison(c: &Comparison, b: &mut Binds) -> String {
    let d = &Sqlite;
    let (op, v) = (c.op, &c.value);
    match &c.key {
        Key::Metric(k) => {
            let key = b.text(d, k);
            let nan = if sql::nan_matches(op, v) { TRUE } else { FALSE };
            let cmp = sql::number(d, "CAST(j.value AS REAL)", op, v, b);
            format!(
                "(CASE WHEN {} THEN EXISTS (SELECT 1 FROM json_each({METRICS}) j WHERE j.key = {key} \
                 AND (CASE WHEN j.type = 'null' THEN {nan} ELSE {cmp} END)) ELSE {TRUE} END)",
                metrics_trusted()
            )
        }
        Key::Param(k) => {
            let key = b.text(d, k);
            let as_text = sql::text_param(d, "j.value", op, v, b);
            let as_number = sql::number_param(d, "CAST(j.value AS REAL)", op, v, b);
            format!(
                "(CASE WHEN {} THEN EXISTS (SELECT 1 FROM json_each({PARAMS}) j WHERE j.key = {key} \
                 AND (CASE j.type WHEN 'text' THEN {as_text} WHEN 'integer' THEN {as_number} \
                 WHEN 'real' THEN {as_number} ELSE {TRUE} END)) ELSE {TRUE} END)",
                plain_object(PARAMS)
            )
        }
        Key::Tag(k) => {
            let key = b.text(d, &format!("{KV_TAG_PREFIX}{k}"));
            let as_text = sql::text(d, "j.value", op, v, b);
            format!(
                "(CASE WHEN {} THEN EXISTS (SELECT 1 FROM json_each({PARAMS}) j WHERE j.key = {key} \
                 AND (CASE j.type WHEN 'text' THEN {as_text} WHEN 'null' THEN {FALSE} ELSE {TRUE} END)) \
                 ELSE {TRUE} END)",
                plain_object(PARAMS)
            )
        }
        Key::Tags => {
            let (quantifier, op) = match op {
                Op::Ne => ("NOT EXISTS", Op::Eq),
                Op::NotIn => ("NOT EXISTS", Op::In),
                other => ("EXISTS", other),
            };
            let cmp = sql::text(d, "t.value", op, v, b);
            format!(
                "(CASE WHEN {} THEN {quantifier} (SELECT 1 FROM json_each(e.tags) t WHERE {cmp}) \
                 ELSE {TRUE} END)",
                tags_trusted()
            )
        }
        Key::Attr(a) => attribute(*a, op, v, b),
    }
}

fn attribute(a: Attribute, op: Op, v: &Value, b: &mut Binds) -> String {
    let d = &Sqlite;
    match a {
        Attribute::Id => sql::text(d, "e.id", op, v, b),
        Attribute::Name => sql::text(d, "COALESCE(e.name, '')", op, v, b),
        Attribute::Group => {
            let default = b.text(d, sextant_core::DEFAULT_GROUP);
            sql::text(d, &format!("COALESCE(g.name, {default})"), op, v, b)
        }
        Attribute::Description => format!(
            "(e.description IS NOT NULL AND {})",
            sql::text(d, "e.description", op, v, b)
        ),
        Attribute::Status => sql::status("e.status", op, v),
        Attribute::CreatedAt => {
            let (guard, millis) = created_millis();
            format!(
                "(CASE WHEN {guard} THEN {} ELSE {TRUE} END)",
                sql::number(d, &millis, op, v, b)
            )
        }
        // created_at + round(duration * 1000): the rounding is Rust's; keep every ended run.
        Attribute::EndTime => "(e.duration IS NOT NULL)".into(),
        Attribute::Duration => format!(
            "(e.duration IS NOT NULL AND {})",
            sql::number(d, "CAST(e.duration AS REAL)", op, v, b)
        ),
    }
}

/// A value bound to a statement: the translation's binds, and NULL.
#[derive(Debug, Clone)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// Text.
    Text(String),
    /// A double.
    Real(f64),
}

impl From<Bind> for SqlValue {
    fn from(b: Bind) -> Self {
        match b {
            Bind::Text(t) => SqlValue::Text(t),
            Bind::Real(r) => SqlValue::Real(r),
        }
    }
}

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Text(t) => ValueRef::Text(t.as_bytes()),
            SqlValue::Real(r) => ValueRef::Real(*r),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sextant_core::search::{corpus, Query};
    use sextant_core::Store;

    use super::*;
    use crate::SqliteStore;

    /// How many rows the SQL condition alone keeps.
    fn sql_count(dir: &std::path::Path, filter: &Expr) -> usize {
        let (cond, binds) = condition(filter);
        let binds: Vec<SqlValue> = binds.into_iter().map(SqlValue::from).collect();
        let params: Vec<&dyn rusqlite::ToSql> =
            binds.iter().map(|b| b as &dyn rusqlite::ToSql).collect();
        let conn = rusqlite::Connection::open(dir.join("meta.db")).unwrap();
        conn.query_row(
            &format!(
                "SELECT count(*) FROM experiments e LEFT JOIN experiment_groups g ON g.id = e.group_id WHERE {cond}"
            ),
            params.as_slice(),
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as usize
    }

    /// Over caches Sextant writes, SQL alone decides every corpus filter exactly: the
    /// in-memory check after it has nothing left to drop (so the speed is SQL's).
    #[test]
    fn sql_alone_is_exact_on_the_corpus() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        pollster::block_on(corpus::seed(store.clone(), 60)).unwrap();
        let all = pollster::block_on(store.list_experiments()).unwrap();
        for f in corpus::CORPUS.iter().chain(corpus::SEXTANT_ONLY) {
            let q = Query::parse(f, "").unwrap();
            let exact = q.apply(all.clone()).len();
            let filter = q.filter.as_ref().unwrap();
            assert_eq!(sql_count(dir.path(), filter), exact, "{f}");
        }
    }

    /// On the edge runs SQL keeps a superset, and is exact for most filters.
    #[test]
    fn sql_keeps_a_superset_on_the_edges() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        pollster::block_on(corpus::seed_edges(store.clone())).unwrap();
        let all = pollster::block_on(store.list_experiments()).unwrap();
        let mut exact = 0;
        for f in corpus::EDGES {
            let q = Query::parse(f, "").unwrap();
            let want = q.apply(all.clone()).len();
            let got = sql_count(dir.path(), q.filter.as_ref().unwrap());
            assert!(got >= want, "{f}: SQL kept {got}, the filter keeps {want}");
            exact += usize::from(got == want);
        }
        eprintln!(
            "SQL exact on {exact} of {} edge filters",
            corpus::EDGES.len()
        );
        assert!(exact * 2 >= corpus::EDGES.len(), "{exact}");
    }
}

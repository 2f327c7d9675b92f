use super::*;
use crate::model::{ExperimentInfo, ParamValue, Status};

fn err(filter: &str) -> String {
    match Query::parse(filter, "") {
        Ok(q) => panic!("{filter:?} parsed as {q:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_filters_parse() {
    for f in [
        "metrics.val_acc > 0.9 and params.optimizer = 'adamw' and attributes.status = 'completed' and attributes.name LIKE '%resnet%'",
        "metrics.`val/acc` >= 0.5",
        "metric.acc != 1e-3",
        "params.lr IN (0.1, '0.01')",
        "params.opt NOT IN ('sgd', 'adam')",
        "tags = 'baseline'",
        "tags LIKE 'res%'",
        "(metrics.a < 1 or metrics.b > 2) and tags != 'x'",
        "attributes.created_at > '2026-01-31T12:00:00Z'",
        "attribute.duration <= 10",
        "name ILIKE 'RES%'",
        "status IN ('active', 'error')",
        "group_id = \"g1\"",
        "params.`my param` = 'it''s'",
        "  metrics.a=1 AND metrics.b=2 OR metrics.c=3  ",
        "description LIKE '%x%'",
    ] {
        Query::parse(f, "").unwrap_or_else(|e| panic!("{f:?}: {e}"));
    }
}

#[test]
fn invalid_filters_name_the_column() {
    let table: &[(&str, &str, usize)] = &[
        ("metrics.val_acc > 0.9 and ", "a comparison", 27),
        ("metrics.acc > 0.9 and params.x", "an operator", 31),
        ("metrics.acc >", "a quoted string or a number", 14),
        ("metrics.acc > 'high'", "a number", 15),
        ("metrics.acc LIKE '%1'", "a number comparison", 13),
        ("bogus.x = 1", "a key like", 1),
        ("attributes.colour = 'red'", "an attribute", 1),
        ("tags.k > 'v'", "for tags", 8),
        ("tags > 'a'", "for tags", 6),
        ("(metrics.a = 1", "`)`", 15),
        ("metrics.a = 1 metrics.b = 2", "`and`, `or` or the end", 15),
        ("params.x IN 'a'", "a list of values", 13),
        ("status = 'sleeping'", "a status", 10),
        ("created_at > 'yesterday'", "a date", 14),
        ("name = 'open", "a closing quote", 13),
        ("metrics.`val/acc > 1", "a closing backquote", 21),
        ("", "", 0),
        ("or", "a key like", 1),
        ("= 1", "a comparison", 1),
        ("params.lr LIKE 0.1", "a quoted pattern", 16),
        ("metrics.é = 1 and", "a comparison", 18),
    ];
    for (filter, label, column) in table {
        if filter.is_empty() {
            assert_eq!(Query::parse(filter, "").unwrap(), Query::default());
            continue;
        }
        let e = err(filter);
        let want = format!("at column {column}");
        assert!(
            e.contains(label) && e.contains(&want),
            "{filter:?}: {e} (want {label} {want})"
        );
    }
}

#[test]
fn order_by_parses_several_keys() {
    let q = Query::parse(
        "",
        "metrics.val_acc DESC, attributes.created_at, params.lr asc",
    )
    .unwrap();
    assert_eq!(
        q.order_by,
        vec![
            OrderKey {
                key: Key::Metric("val_acc".into()),
                descending: true
            },
            OrderKey {
                key: Key::Attr(Attribute::CreatedAt),
                descending: false
            },
            OrderKey {
                key: Key::Param("lr".into()),
                descending: false
            },
        ]
    );
    let e = Query::parse("", "metrics.a sideways")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expected ASC, DESC, `,` or the end at column 11"),
        "{e}"
    );
    let e = Query::parse("", "metrics.a DESC,").unwrap_err().to_string();
    assert!(e.contains("column 16"), "{e}");
    assert!(Query::parse("", "tags")
        .unwrap_err()
        .to_string()
        .contains("tags"));
}

fn run(id: &str, created: i64) -> ExperimentInfo {
    ExperimentInfo {
        id: id.into(),
        name: format!("run-{id}"),
        created_at: created,
        ..Default::default()
    }
}

fn runs() -> Vec<ExperimentInfo> {
    let mut a = run("a", 1000);
    a.name = "resnet-50".into();
    a.status = Status::Completed;
    a.tags = vec!["baseline".into(), "resnet".into()];
    a.metrics.insert("val_acc".into(), 0.95);
    a.metrics.insert("val/acc".into(), 0.5);
    a.params
        .insert("optimizer".into(), ParamValue::Str("adamw".into()));
    a.params.insert("lr".into(), ParamValue::Float(0.1));
    a.duration = Some(30.0);
    let mut b = run("b", 2000);
    b.status = Status::Failed;
    b.tags = vec!["res-small".into()];
    b.metrics.insert("val_acc".into(), 0.7);
    b.params
        .insert("optimizer".into(), ParamValue::Str("sgd".into()));
    b.params.insert("lr".into(), ParamValue::Str("0.01".into()));
    b.description = Some("Second try".into());
    b.params
        .insert("tags#team".into(), ParamValue::Str("nlp".into()));
    b.params.insert(
        "tags#gone".into(),
        ParamValue::Json(serde_json::Value::Null),
    );
    let c = run("c", 3000); // running, nothing logged
    vec![a, b, c]
}

fn ids(filter: &str) -> Vec<String> {
    let q = Query::parse(filter, "").unwrap_or_else(|e| panic!("{e}"));
    q.apply(runs()).into_iter().map(|e| e.id).collect()
}

#[test]
fn evaluates_like_mlflow() {
    assert_eq!(ids("metrics.val_acc > 0.9 and params.optimizer = 'adamw' and attributes.status = 'completed' and attributes.name LIKE '%resnet%'"), ["a"]);
    assert_eq!(ids("metrics.`val/acc` = 0.5"), ["a"]);
    // Missing keys never match, not even `!=` / NOT IN.
    assert_eq!(ids("metrics.val_acc != 0.7"), ["a"]);
    assert_eq!(ids("params.optimizer NOT IN ('sgd')"), ["a"]);
    assert_eq!(ids("description != 'x'"), ["b"]);
    assert_eq!(ids("duration >= 0"), ["a"]);
    // Params: numbers when both sides are, text otherwise.
    assert_eq!(ids("params.lr < 0.05"), ["b"]);
    assert_eq!(ids("params.lr = '0.10'"), ["a"]);
    assert_eq!(ids("params.lr IN (0.01, 7)"), ["b"]);
    assert_eq!(ids("params.optimizer > 'b'"), ["b"]);
    assert_eq!(ids("params.optimizer LIKE 'ADAM%'"), Vec::<String>::new());
    assert_eq!(ids("params.optimizer ILIKE 'ADAM%'"), ["a"]);
    // Tags are a list.
    assert_eq!(ids("tags = 'baseline'"), ["a"]);
    assert_eq!(ids("tags LIKE 'res%'"), ["a", "b"]);
    assert_eq!(ids("tags != 'baseline'"), ["b", "c"]);
    assert_eq!(ids("tags IN ('res-small', 'zzz')"), ["b"]);
    // Key/value tags (MLflow's), kept as `tags#KEY` static values; a deleted one is missing.
    assert_eq!(ids("tags.team = 'nlp'"), ["b"]);
    assert_eq!(ids("tags.team LIKE 'n%' and tags.`team` != 'cv'"), ["b"]);
    assert_eq!(
        ids("tags.gone = 'null' or tags.gone != 'x'"),
        Vec::<String>::new()
    );
    // MLflow's status names and end_time.
    assert_eq!(ids("status = 'FINISHED'"), ["a"]);
    assert_eq!(
        ids("attributes.status IN ('KILLED', 'SCHEDULED')"),
        ["b", "c"]
    );
    assert_eq!(ids("end_time = 31000"), ["a"]);
    // Status in either spelling; or and parentheses.
    assert_eq!(ids("status = 'active' or status = 'error'"), ["b", "c"]);
    assert_eq!(
        ids("status IN ('failed') or (tags = 'baseline' and metrics.val_acc > 0.99)"),
        ["b"]
    );
    assert_eq!(
        ids("metrics.val_acc > 0.9 or metrics.val_acc < 0.8 and status = 'completed'"),
        ["a"]
    );
    assert_eq!(ids("created_at >= 2000"), ["b", "c"]);
    assert_eq!(ids("created_at < '1970-01-01T00:00:02Z'"), ["a"]);
    assert_eq!(ids("name = 'run-c'"), ["c"]);
    assert_eq!(ids("id IN ('a', 'c')"), ["a", "c"]);
}

#[test]
fn sorts_with_missing_values_last() {
    let order = |o: &str| -> Vec<String> {
        let q = Query::parse("", o).unwrap();
        q.apply(runs()).into_iter().map(|e| e.id).collect()
    };
    assert_eq!(order("metrics.val_acc DESC"), ["a", "b", "c"]);
    assert_eq!(order("metrics.val_acc"), ["b", "a", "c"]);
    assert_eq!(order("attributes.created_at"), ["a", "b", "c"]);
    assert_eq!(order("params.lr"), ["b", "a", "c"]);
    assert_eq!(order("status, created_at desc"), ["a", "b", "c"]);
    assert_eq!(
        order(""),
        ["a", "b", "c"],
        "no order_by keeps the input order"
    );
}

#[test]
fn like_matches_sql_wildcards() {
    assert!(like("resnet-50", "res%"));
    assert!(like("resnet-50", "%net%"));
    assert!(like("abc", "a_c"));
    assert!(!like("abc", "a_"));
    assert!(like("", "%"));
    assert!(like("a%b", "a%b"));
    assert!(!like("ab", "abc%"));
}

//! What the PostgreSQL store must do beyond the shared suite: chart buckets identical to
//! the core's downsampling, whole-batch rollback, repeated steps, use from tokio tasks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use sextant_core::downsample::downsample;
use sextant_core::series_check;
use sextant_core::{Batch, Error, MetricPoint, NewExperiment, Record, StepRange, Store};
use sextant_postgres::PgStore;

fn create(id: &str) -> Record {
    Record::Create(NewExperiment::new(id, id, "g", 1))
}

fn metrics(id: &str, key: &str, points: Vec<MetricPoint>) -> Record {
    Record::Metrics {
        experiment: id.into(),
        key: key.into(),
        points,
    }
}

fn pt(step: i64, value: f64) -> MetricPoint {
    MetricPoint {
        step,
        value,
        logged_at: 1_000 + step,
    }
}

/// splitmix64: reproducible data without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        sextant_core::env::splitmix64(&mut self.0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_buckets_match_core_downsampling() {
    let Some(url) = common::url() else { return };
    let store = PgStore::open(&common::fresh(&url)).await.unwrap();
    let mut rng = Rng(7);
    // Sparse steps, many ties, NaN runs (a bucket of NaN only) and infinities; buckets
    // narrower than a summary block (1,024 steps), where the answer is exact.
    let mut points = Vec::new();
    let mut step = 0i64;
    for i in 0..20_000 {
        step += 1 + (rng.next() % 5) as i64;
        let v = match rng.next() % 10 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            n => (n % 3) as f64,
        };
        let v = if (8_000..9_500).contains(&i) {
            f64::NAN
        } else {
            v
        };
        points.push(pt(step, v));
    }
    let batch = Batch {
        records: vec![create("e"), metrics("e", "m", points.clone())],
    };
    store.write(&batch).await.unwrap();
    let last = points.last().unwrap().step;
    for (range, max_points) in [
        (StepRange::ALL, 1000),
        (StepRange::ALL, 200),
        (StepRange::ALL, 3),
        (StepRange::ALL, 30_000),
        (StepRange::new(Some(100), Some(last / 2)), 257),
        (StepRange::new(Some(last / 3), None), 150),
        (StepRange::new(Some(10), Some(40)), 1000),
    ] {
        let want: Vec<MetricPoint> = points
            .iter()
            .copied()
            .filter(|p| range.contains(p.step))
            .collect();
        let want = downsample(&want, max_points);
        let got = store
            .metric_series("e", "m", range, max_points)
            .await
            .unwrap();
        assert!(
            series_check::same(&got, &want, true),
            "{range:?} max {max_points}: got {} points, want {}",
            got.len(),
            want.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_changes_nothing() {
    let Some(url) = common::url() else { return };
    let store = PgStore::open(&common::fresh(&url)).await.unwrap();
    let first = Batch {
        records: vec![
            create("a"),
            metrics("a", "loss", (0..3).map(|s| pt(s, 1.0)).collect()),
        ],
    };
    store.write(&first).await.unwrap();
    let bad = Batch {
        records: vec![
            metrics("a", "loss", vec![pt(1, 9.0), pt(3, 9.0)]),
            Record::Params {
                experiment: "a".into(),
                params: vec![("lr".into(), 0.1.into())],
            },
            metrics("nope", "loss", vec![pt(0, 1.0)]),
        ],
    };
    let e = store.write(&bad).await.unwrap_err();
    assert!(
        matches!(e, Error::ExperimentNotFound(ref id) if id == "nope"),
        "{e}"
    );
    let pts = store
        .metric_points("a", "loss", StepRange::ALL)
        .await
        .unwrap();
    assert_eq!(
        pts.iter().map(|p| (p.step, p.value)).collect::<Vec<_>>(),
        vec![(0, 1.0), (1, 1.0), (2, 1.0)]
    );
    let info = store.get_experiment("a").await.unwrap();
    assert!(info.params.is_empty(), "params rolled back too");
    assert_eq!(store.list_metrics("a").await.unwrap()[0].count, 3);
    // Creating an existing id fails without touching it.
    let e = store
        .write(&Batch {
            records: vec![create("a")],
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ExperimentExists(_)), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_steps_keep_the_last_value_and_summaries_stay_right() {
    let Some(url) = common::url() else { return };
    let store = PgStore::open(&common::fresh(&url)).await.unwrap();
    let batch = Batch {
        records: vec![
            create("r"),
            metrics("r", "x", vec![pt(5, 1.0), pt(6, 2.0), pt(5, 3.0)]),
            metrics("r", "x", vec![pt(6, f64::NAN)]),
        ],
    };
    store.write(&batch).await.unwrap();
    let pts = store.metric_points("r", "x", StepRange::ALL).await.unwrap();
    assert_eq!(pts.len(), 2);
    assert_eq!((pts[0].step, pts[0].value), (5, 3.0));
    assert!(pts[1].value.is_nan(), "last write at step 6 wins, NaN kept");
    // An older step rewritten later leaves the latest value alone.
    store
        .write(&Batch {
            records: vec![metrics("r", "x", vec![pt(2, 7.0), pt(5, 4.0)])],
        })
        .await
        .unwrap();
    let m = &store.list_metrics("r").await.unwrap()[0];
    assert_eq!((m.count, m.first_step, m.last_step), (3, 2, 6));
    assert!(m.last_value.is_nan());
    let info = store.get_experiment("r").await.unwrap();
    assert!(info.metrics["x"].is_nan());
    // The store is dropped inside a tokio task's runtime without panicking.
    drop(store);
}

/// A wide series whose chart comes from the block summaries: within budget, ends kept,
/// spikes kept, every point a real stored point, NaN-only stretches still drawn.
fn wide_points(n: i64) -> Vec<MetricPoint> {
    (0..n)
        .map(|s| {
            let v = match s {
                123_457 => 1e9,
                200_001 => -1e9,
                _ if (210_000..290_000).contains(&s) => f64::NAN,
                _ => (s as f64 * 1e-3).sin(),
            };
            pt(s, v)
        })
        .collect()
}

fn check_wide(got: &[MetricPoint], all: &[MetricPoint], max_points: usize) {
    assert!(got.len() <= max_points, "{} > {max_points}", got.len());
    assert_eq!(got.first().unwrap().step, 0);
    assert_eq!(got.last().unwrap().step, all.last().unwrap().step);
    for spike in [123_457, 200_001] {
        assert!(got.iter().any(|p| p.step == spike), "spike {spike} lost");
    }
    assert!(got.windows(2).all(|w| w[0].step < w[1].step));
    for p in got {
        assert!(p.same_as(&all[p.step as usize]) && p.logged_at == all[p.step as usize].logged_at);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_queries_read_block_summaries() {
    let Some(url) = common::url() else { return };
    let store = PgStore::open(&common::fresh(&url)).await.unwrap();
    let all = wide_points(300_000);
    let mut records = vec![create("w")];
    for chunk in all.chunks(70_001) {
        records.push(metrics("w", "m", chunk.to_vec()));
    }
    store.write(&Batch { records }).await.unwrap();
    let got = store
        .metric_series("w", "m", StepRange::ALL, 20)
        .await
        .unwrap();
    check_wide(&got, &all, 20);
    assert!(
        got.iter().any(|p| p.value.is_nan()),
        "a bucket of NaN only still shows a point"
    );
    // Rewriting a step inside a summarised block moves the extreme.
    store
        .write(&Batch {
            records: vec![metrics("w", "m", vec![pt(123_457, 0.0), pt(77_777, 5e9)])],
        })
        .await
        .unwrap();
    let got = store
        .metric_series("w", "m", StepRange::ALL, 20)
        .await
        .unwrap();
    assert!(
        got.iter().any(|p| p.step == 77_777 && p.value == 5e9),
        "new max shown"
    );
    assert!(
        !got.iter().any(|p| p.step == 123_457 && p.value == 1e9),
        "old max gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_schema_is_upgraded_with_its_data() {
    let Some(url) = common::url() else { return };
    let store_url = common::fresh(&url);
    let all = wide_points(300_000);
    {
        let v1 = PgStore::open_at(&store_url, 1).await.unwrap();
        assert_eq!(v1.schema_version_in_db().await.unwrap(), 1);
        let mut records = vec![create("old")];
        records.push(metrics("old", "m", all.clone()));
        v1.write(&Batch { records }).await.unwrap();
    }
    let store = PgStore::open(&store_url).await.unwrap();
    let latest = sextant_postgres::schema_version();
    assert!(latest >= 3, "tokens arrived in version 3");
    assert_eq!(store.schema_version_in_db().await.unwrap(), latest);
    assert_eq!(store.list_metrics("old").await.unwrap()[0].count, 300_000);
    // Runs from before creators were recorded read back without one; tokens work at once.
    assert_eq!(store.get_experiment("old").await.unwrap().created_by, None);
    let token =
        sextant_core::NewToken::new("after-upgrade", sextant_core::Role::Read, "sxt_x", 1).unwrap();
    use sextant_core::TokenStore;
    store.add_token(&token).await.unwrap();
    assert_eq!(store.list_tokens().await.unwrap().len(), 1);
    let got = store
        .metric_series("old", "m", StepRange::ALL, 20)
        .await
        .unwrap();
    check_wide(&got, &all, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_summaries_equal_a_recomputation_from_the_points() {
    let Some(url) = common::url() else { return };
    let schema = common::fresh_schema_name();
    let store = PgStore::open(&common::with_param(&url, "schema", &schema))
        .await
        .unwrap();
    let mut rng = Rng(11);
    let mut value = || match rng.next() % 7 {
        0 => f64::NAN,
        1 => f64::INFINITY,
        n => (n % 3) as f64, // ties
    };
    store
        .write(&Batch {
            records: vec![create("b")],
        })
        .await
        .unwrap();
    // Appends in uneven batches (a batch ending mid-block, repeated steps within one),
    // then rewrites of old steps, and a block of NaN only.
    let mut step = 0;
    for len in [700i64, 1, 3000, 2500, 4096] {
        let mut pts: Vec<MetricPoint> = (step..step + len).map(|s| pt(s, value())).collect();
        pts.push(pt(step + len - 1, value()));
        store
            .write(&Batch {
                records: vec![metrics("b", "m", pts)],
            })
            .await
            .unwrap();
        step += len;
    }
    let rewrite: Vec<MetricPoint> = (0..50).map(|i| pt(i * 97, value())).collect();
    store
        .write(&Batch {
            records: vec![metrics("b", "m", rewrite)],
        })
        .await
        .unwrap();
    let nan: Vec<MetricPoint> = (step..step + 1024).map(|s| pt(s, f64::NAN)).collect();
    store
        .write(&Batch {
            records: vec![metrics("b", "m", nan)],
        })
        .await
        .unwrap();

    let raw = common::raw(&url).await;
    for (table, shift) in [("metric_blocks", 10), ("metric_fine_blocks", 5)] {
        let recomputed = format!(
            "SELECT key_id, step >> {shift} AS block, min(step) AS first_step,
                    (array_agg(step ORDER BY value, step) FILTER (WHERE value <> 'NaN'::float8))[1] AS min_step,
                    min(value) FILTER (WHERE value <> 'NaN'::float8) AS min_value,
                    (array_agg(step ORDER BY value DESC, step) FILTER (WHERE value <> 'NaN'::float8))[1] AS max_step,
                    max(value) FILTER (WHERE value <> 'NaN'::float8) AS max_value
               FROM {schema}.points GROUP BY 1, 2"
        );
        let stored = format!(
            "SELECT key_id, block, first_step, min_step, min_value, max_step, max_value FROM {schema}.{table}"
        );
        for (a, b) in [(&recomputed, &stored), (&stored, &recomputed)] {
            let diff: i64 = raw
                .query_one(&format!("SELECT count(*) FROM (({a}) EXCEPT ({b})) d"), &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(diff, 0, "stored {table} summaries differ from the points");
        }
        let n: i64 = raw
            .query_one(&format!("SELECT count(*) FROM {schema}.{table}"), &[])
            .await
            .unwrap()
            .get(0);
        let size = 1i64 << shift;
        assert_eq!(n, (step + 1024 + size - 1) / size, "{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_schema_version_is_upgraded_for_tokens_and_creators() {
    use sextant_core::TokenStore;
    let Some(url) = common::url() else { return };
    let store_url = common::fresh(&url);
    {
        let v2 = PgStore::open_at(&store_url, 2).await.unwrap();
        v2.write(&Batch {
            records: vec![create("before")],
        })
        .await
        .unwrap();
        // A version-2 store keeps no tokens and says why.
        let token = sextant_core::NewToken::new("t", sextant_core::Role::Read, "sxt_a", 1).unwrap();
        let err = v2.add_token(&token).await.unwrap_err();
        assert!(err.to_string().contains("version 2"), "{err}");
    }
    let store = PgStore::open(&store_url).await.unwrap();
    assert_eq!(
        store.get_experiment("before").await.unwrap().created_by,
        None
    );
    let mut after = match create("after") {
        Record::Create(n) => n,
        _ => unreachable!(),
    };
    after.created_by = Some("ci".into());
    store
        .write(&Batch {
            records: vec![Record::Create(after)],
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .get_experiment("after")
            .await
            .unwrap()
            .created_by
            .as_deref(),
        Some("ci")
    );
}

/// Appends go straight into `points` and keep each key's summary; a summary that says less
/// than the points hold (as if some writer had not moved it) makes the append collide, and
/// the batch still lands whole through the upsert, the last value winning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_keep_summaries_and_a_collision_falls_back_to_the_upsert() {
    let Some(url) = common::url() else { return };
    let schema = common::fresh_schema_name();
    let store = PgStore::open(&common::with_param(&url, "schema", &schema))
        .await
        .unwrap();
    let series = |from: i64, to: i64, v: f64| (from..to).map(|s| pt(s, v + s as f64)).collect();
    store
        .write(&Batch {
            records: vec![create("a"), metrics("a", "x", series(0, 100, 0.0))],
        })
        .await
        .unwrap();
    // Two records of one key in one batch, both appending; and a second key.
    store
        .write(&Batch {
            records: vec![
                metrics("a", "x", series(100, 150, 0.0)),
                metrics("a", "x", series(150, 200, 0.0)),
                metrics("a", "y", series(5, 8, 0.5)),
            ],
        })
        .await
        .unwrap();
    let m = store.list_metrics("a").await.unwrap();
    assert_eq!(
        (
            m[0].key.as_str(),
            m[0].count,
            m[0].first_step,
            m[0].last_step
        ),
        ("x", 200, 0, 199)
    );
    assert_eq!(m[0].last_value, 199.0);
    assert_eq!(
        (m[1].count, m[1].first_step, m[1].last_step, m[1].last_value),
        (3, 5, 7, 7.5)
    );

    let raw = common::raw(&url).await;
    raw.execute(
        &format!("UPDATE \"{schema}\".metric_keys SET last_step = 120 WHERE key = 'x'"),
        &[],
    )
    .await
    .unwrap();
    // Steps 150..=210 look like appends above 120, but 150..=199 are stored.
    store
        .write(&Batch {
            records: vec![metrics("a", "x", series(150, 211, 1000.0))],
        })
        .await
        .unwrap();
    let pts = store.metric_points("a", "x", StepRange::ALL).await.unwrap();
    assert_eq!(pts.len(), 211, "every step once");
    assert!(pts.iter().all(|p| p.value
        == if p.step >= 150 {
            1000.0 + p.step as f64
        } else {
            p.step as f64
        }));
    let m = &store.list_metrics("a").await.unwrap()[0];
    assert_eq!((m.count, m.last_step, m.last_value), (211, 210, 1210.0));
}

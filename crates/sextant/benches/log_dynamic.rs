//! How cheap logging is, and how that compares with writing each point on its own.
//!
//! - `log_dynamic/buffered call`: one buffered `log_dynamic` into a SQLite-backed tracker,
//!   the flushes that empty the buffer kept outside the timing (target: ≤100 ns). Steps
//!   repeat from chunk to chunk, so the flushes rewrite rows and the database stays small.
//! - `log_dynamic/sustained durable`: 1,000,000 points logged and flushed, default policy.
//! - `log_dynamic/naive per-point commit`: the luml way, one INSERT + commit per point in
//!   WAL mode with synchronous=FULL, as the baseline.
//! - `log_dynamic/raw rusqlite …`: the limit: the same 1,000,000 rows inserted straight
//!   into the same table of a luml `exp.db` (same pragmas) in one transaction, by
//!   single-row prepared `INSERT`s and by multi-row `INSERT … VALUES` of 64 and 500 rows.
//!   Sextant and the raw forms are each summarised by their median and best run; the
//!   ratio compares medians with medians and bests with bests.
//! - bytes per point on disk: 1,000,000 points over three keys, checkpointed, `exp.db`
//!   size / points (printed; criterion cannot report bytes).
//!
//! Stores live under Cargo's target tmpdir, on the same disk as a real store would be.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmarks fail loudly by design

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use sextant::{ExperimentTracker, FlushPolicy};

const SUSTAINED_POINTS: u64 = 1_000_000;
const DISK_POINTS: u64 = 1_000_000;
/// Buffered calls between untimed flushes; steps repeat, so the database stays small.
const CHUNK: u64 = 100_000;

fn bench_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sextant-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn sqlite_tracker(root: &Path, policy: FlushPolicy) -> ExperimentTracker {
    let store = sextant::open_store(&format!("sqlite://{}", root.display())).unwrap();
    ExperimentTracker::with_policy(store, policy)
}

/// A noisy decaying curve: realistic values, not integers SQLite could store compactly.
fn value(i: u64) -> f64 {
    let noise = ((i.wrapping_mul(6_364_136_223_846_793_005) >> 33) as f64) / f64::from(1u32 << 31);
    2.0 * (-(i as f64) / 200_000.0).exp() + 0.05 * noise
}

fn buffered(c: &mut Criterion) {
    let dir = bench_dir();
    // Nothing flushes on its own: the benchmark decides when.
    let never = FlushPolicy {
        max_buffered_points: usize::MAX,
        interval_ms: i64::MAX / 4,
    };
    let t = sqlite_tracker(dir.path(), never);
    t.start("bench-buffered").unwrap();
    let mut group = c.benchmark_group("log_dynamic");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(1));
    group.bench_function("buffered call (sqlite)", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = (iters - done).min(CHUNK);
                let start = Instant::now();
                for i in 0..n {
                    // A cheap value, so the timing is the call and not the curve.
                    let v = black_box(i as f64 * 1e-3);
                    black_box(
                        t.log_dynamic("train/loss", v, Some(i as i64), None)
                            .unwrap(),
                    );
                }
                timed += start.elapsed();
                t.flush().unwrap();
                done += n;
            }
            timed
        });
    });
    group.finish();
    t.end_experiment(None).unwrap();
}

/// Per-run rates, summarised the same way for Sextant and for the raw inserts, so their
/// ratio compares like with like.
#[derive(Debug, Clone, Copy)]
struct Rates {
    median: f64,
    best: f64,
}

impl Rates {
    fn of(mut runs: Vec<f64>) -> Option<Rates> {
        if runs.is_empty() {
            return None;
        }
        runs.sort_by(f64::total_cmp);
        Some(Rates {
            median: runs[runs.len() / 2],
            best: runs[runs.len() - 1],
        })
    }
}

/// Points per second, logged and made durable (`None` when filtered out).
fn sustained(c: &mut Criterion) -> Option<Rates> {
    let dir = bench_dir();
    let t = sqlite_tracker(dir.path(), FlushPolicy::default());
    let mut runs = Vec::new();
    let mut group = c.benchmark_group("log_dynamic");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(12))
        .throughput(Throughput::Elements(SUSTAINED_POINTS));
    group.bench_function("sustained durable (1M points, sqlite)", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let id = t.start("bench-sustained").unwrap();
                let start = Instant::now();
                for i in 0..SUSTAINED_POINTS {
                    t.log_dynamic("train/loss", value(i), None, None).unwrap();
                }
                t.flush().unwrap();
                let took = start.elapsed();
                timed += took;
                runs.push(SUSTAINED_POINTS as f64 / took.as_secs_f64());
                // Keep the disk use of the benchmark flat.
                t.delete_experiment(&id).unwrap();
            }
            timed
        });
    });
    group.finish();
    Rates::of(runs)
}

/// The baseline: every point its own transaction, committed with a full sync (as luml).
fn naive(c: &mut Criterion) -> Option<f64> {
    let dir = bench_dir();
    let conn = rusqlite::Connection::open(dir.path().join("naive.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE dynamic_metrics (key TEXT, value REAL, step INTEGER,
             logged_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (key, step))",
    )
    .unwrap();
    let conn = std::cell::RefCell::new(conn);
    let (mut step, mut elapsed) = (0u64, Duration::ZERO);
    let mut group = c.benchmark_group("log_dynamic");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    group.bench_function("naive per-point commit (luml-like)", |b| {
        b.iter_custom(|iters| {
            let mut conn = conn.borrow_mut();
            let start = Instant::now();
            for _ in 0..iters {
                let tx = conn.transaction().unwrap();
                tx.execute(
                    "INSERT INTO dynamic_metrics (key, value, step) VALUES (?1, ?2, ?3)",
                    rusqlite::params!["train/loss", value(step), step as i64],
                )
                .unwrap();
                tx.commit().unwrap();
                step += 1;
            }
            let took = start.elapsed();
            elapsed += took;
            took
        });
    });
    group.finish();
    (step > 0).then(|| step as f64 / elapsed.as_secs_f64())
}

/// The limit: 1M rows of one key straight into luml's `dynamic_metrics` (a fresh `exp.db`
/// with the store's own pragmas), one transaction; `rows` per `INSERT` statement.
/// Points per second, median and best of the runs.
fn raw_insert(c: &mut Criterion, rows: usize) -> Option<Rates> {
    let dir = bench_dir();
    let name = if rows == 1 {
        "raw rusqlite, single-row prepared INSERT (1M rows, one transaction)".to_string()
    } else {
        format!("raw rusqlite, {rows}-row INSERT … VALUES (1M rows, one transaction)")
    };
    let mut runs = Vec::new();
    let mut group = c.benchmark_group("log_dynamic");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(SUSTAINED_POINTS));
    let sql = format!(
        "INSERT INTO dynamic_metrics (key, value, step, logged_at) VALUES {}",
        vec!["(?, ?, ?, NULL)"; rows].join(", ")
    );
    let mut run = 0;
    group.bench_function(&name, |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                run += 1;
                let path = dir.path().join(format!("exp-{run}.db"));
                let mut conn = rusqlite::Connection::open(&path).unwrap();
                sextant_luml::schema::configure(&conn, &path).unwrap();
                sextant_luml::schema::create_exp(&conn, &path).unwrap();
                let start = Instant::now();
                let tx = conn.transaction().unwrap();
                {
                    let mut stmt = tx.prepare(&sql).unwrap();
                    let mut i = 0u64;
                    while i < SUSTAINED_POINTS {
                        for r in 0..rows {
                            let base = 3 * r;
                            let step = i + r as u64;
                            stmt.raw_bind_parameter(base + 1, "train/loss").unwrap();
                            stmt.raw_bind_parameter(base + 2, value(step)).unwrap();
                            stmt.raw_bind_parameter(base + 3, step as i64).unwrap();
                        }
                        stmt.raw_execute().unwrap();
                        i += rows as u64;
                    }
                }
                tx.commit().unwrap();
                let took = start.elapsed();
                timed += took;
                runs.push(SUSTAINED_POINTS as f64 / took.as_secs_f64());
                drop(conn);
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::remove_file(path.with_extension("db-wal"));
                let _ = std::fs::remove_file(path.with_extension("db-shm"));
            }
            timed
        });
    });
    group.finish();
    Rates::of(runs)
}

/// `exp.db` bytes per metric point after a clean end and a WAL checkpoint.
fn bytes_per_point() -> f64 {
    let dir = bench_dir();
    let t = sqlite_tracker(dir.path(), FlushPolicy::default());
    let id = t.start("bench-disk").unwrap();
    let keys = ["train/loss", "val/acc", "lr"];
    for i in 0..DISK_POINTS {
        t.log_dynamic(keys[(i % 3) as usize], value(i), None, None)
            .unwrap();
    }
    t.end_experiment(None).unwrap();
    drop(t);
    let db = dir.path().join(&id).join("exp.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(conn);
    std::fs::metadata(&db).unwrap().len() as f64 / DISK_POINTS as f64
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    buffered(&mut c);
    let durable = sustained(&mut c);
    let baseline = naive(&mut c);
    // 1M is a multiple of each, so every statement is full.
    let limits: Vec<(usize, Option<Rates>)> = [1usize, 64, 500]
        .into_iter()
        .map(|rows| (rows, raw_insert(&mut c, rows)))
        .collect();
    let bytes = bytes_per_point();
    c.final_summary();
    // The numbers side by side, so the ratio needs no arithmetic.
    println!();
    if let Some(d) = durable {
        println!(
            "sustained durable logging: {:.0} points/s (median run; best {:.0})",
            d.median, d.best
        );
    }
    if let Some(baseline) = baseline {
        println!("naive per-point commit:    {baseline:.0} points/s (luml ~260)");
    }
    if let (Some(durable), Some(baseline)) = (durable, baseline) {
        println!(
            "speed-up over naive:       {:.0}x",
            durable.median / baseline
        );
    }
    for (rows, limit) in &limits {
        if let Some(l) = limit {
            println!(
                "raw rusqlite limit, {rows} row(s) per INSERT: {:.0} points/s (median run; best {:.0})",
                l.median, l.best
            );
        }
    }
    // The fastest raw form, by its median run.
    let best = limits
        .iter()
        .filter_map(|(_, l)| *l)
        .max_by(|a, b| a.median.total_cmp(&b.median));
    if let (Some(d), Some(l)) = (durable, best) {
        println!(
            "sustained durable / best raw insert: {:.2}x (median runs; best runs {:.2}x)",
            d.median / l.median,
            d.best / l.best
        );
    }
    println!("bytes/point on disk: {bytes:.1} (luml ~79)");
}

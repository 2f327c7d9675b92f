//! What every chart store's exactness tests share: a brute-force answer for
//! [`Store::metric_series`](crate::Store::metric_series), written apart from
//! [`downsample`](crate::downsample::downsample) so a mistake in one cannot hide in the
//! other, and a check of a store's answers against it over whole, random and ragged ranges.

use crate::model::{MetricPoint, NewExperiment, StepRange};
use crate::store::{Batch, Record, Store};

/// Every point when they fit the budget; else the first and last, and per equal-width bucket
/// of the inner points its smallest and largest value (earliest step on ties; NaN only when
/// the bucket holds nothing else, then its first point), in step order.
pub fn exact(points: &[MetricPoint], budget: usize) -> Vec<MetricPoint> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    if points.len() <= budget.max(2) {
        return points.to_vec();
    }
    let n = ((budget.max(4) - 2) / 2).max(1) as i128;
    let span = i128::from(last.step) - i128::from(first.step) + 1;
    let mut buckets: std::collections::BTreeMap<i128, Vec<MetricPoint>> = Default::default();
    for p in &points[1..points.len() - 1] {
        let b = (i128::from(p.step) - i128::from(first.step)) * n / span;
        buckets.entry(b).or_default().push(*p);
    }
    let mut out = vec![*first];
    for bucket in buckets.values() {
        let mut numbers = bucket.iter().filter(|p| !p.value.is_nan());
        let Some(head) = numbers.next() else {
            out.push(bucket[0]);
            continue;
        };
        let (mut min, mut max) = (head, head);
        for p in numbers {
            if p.value < min.value {
                min = p;
            }
            if p.value > max.value {
                max = p;
            }
        }
        let (a, b) = if min.step <= max.step {
            (min, max)
        } else {
            (max, min)
        };
        out.push(*a);
        if b.step != a.step {
            out.push(*b);
        }
    }
    out.push(*last);
    out
}

/// Equal steps and values (NaN equal to NaN), and equal timestamps when `timestamps`.
pub fn same(a: &[MetricPoint], b: &[MetricPoint], timestamps: bool) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.same_as(y) && (!timestamps || x.logged_at == y.logged_at))
}

/// A small deterministic generator (xorshift) for the chart tests, so a failure repeats
/// from its seed. The seed must not be zero.
#[derive(Debug, Clone)]
pub struct Xorshift(pub u64);

impl Xorshift {
    /// The next number.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The whole series at a wide and a tiny budget, a range trimmed by one step at each end,
/// and ten random windows at random budgets (from `seed`, so a failure repeats).
pub fn ranges(last: i64, seed: u64) -> Vec<(StepRange, usize)> {
    let mut rng = Xorshift(seed | 1);
    let mut rnd = move |n: i64| rng.below(n.max(1) as u64) as i64;
    let mut out = vec![
        (StepRange::ALL, 1000),
        (StepRange::ALL, 64),
        (StepRange::ALL, 4),
        (StepRange::new(Some(1), Some(last - 1)), 300),
    ];
    for _ in 0..10 {
        let a = rnd(last + 1);
        let b = rnd(last + 1);
        let budget = [4, 5, 17, 64, 200, 1000, 2001][rnd(7) as usize];
        out.push((StepRange::new(Some(a.min(b)), Some(a.max(b))), budget));
    }
    out
}

/// Creates experiment `id` (named "exact", in group "tests") for a chart test to fill.
pub async fn create(store: &dyn Store, id: &str) -> crate::Result<()> {
    let create = Record::Create(NewExperiment {
        id: id.into(),
        name: "exact".into(),
        group: "tests".into(),
        tags: vec![],
        created_at: 0,
        description: None,
        source: None,
        created_by: None,
    });
    store
        .write(&Batch {
            records: vec![create],
        })
        .await
}

/// Creates experiment `id` and writes metric `key` batch by batch, as a run logs it.
pub async fn write_series(
    store: &dyn Store,
    id: &str,
    key: &str,
    batches: &[Vec<MetricPoint>],
) -> crate::Result<()> {
    create(store, id).await?;
    for points in batches {
        let metrics = Record::Metrics {
            experiment: id.into(),
            key: key.into(),
            points: points.clone(),
        };
        store
            .write(&Batch {
                records: vec![metrics],
            })
            .await?;
    }
    Ok(())
}

/// `Err` naming the store, range and budget of the first answer that differs from
/// [`exact`] over the store's own raw points.
pub async fn check(
    store: &dyn Store,
    id: &str,
    key: &str,
    seed: u64,
    timestamps: bool,
) -> Result<(), String> {
    let fail = |e: crate::Error| format!("{}: {e}", store.location());
    let all = store
        .metric_points(id, key, StepRange::ALL)
        .await
        .map_err(fail)?;
    let last = all.last().map_or(0, |p| p.step);
    for (range, budget) in ranges(last, seed) {
        let raw = store.metric_points(id, key, range).await.map_err(fail)?;
        let got = store
            .metric_series(id, key, range, budget)
            .await
            .map_err(fail)?;
        let want = exact(&raw, budget);
        if !same(&got, &want, timestamps) {
            return Err(format!(
                "{} over {range:?} at budget {budget}: {} points, want {}; first difference {:?}",
                store.location(),
                got.len(),
                want.len(),
                got.iter()
                    .zip(&want)
                    .find(|(a, b)| !a.same_as(b) || (timestamps && a.logged_at != b.logged_at))
            ));
        }
    }
    Ok(())
}

//! Attachment bytes in an object store (`?artifacts=file:///DIR`), metadata in PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use sextant_core::{conformance, Batch, Error, NewExperiment, Record, Store};
use sextant_native::SystemEnv;
use sextant_postgres::PgStore;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Creates experiment `e1`.
fn create_e1() -> Record {
    Record::Create(NewExperiment {
        id: "e1".into(),
        name: "e1".into(),
        group: "g".into(),
        tags: vec![],
        created_at: 1,
        description: None,
        source: None,
        created_by: None,
    })
}

fn attachment(exp: &str, name: &str, data: &[u8]) -> Record {
    Record::Attachment {
        experiment: exp.into(),
        name: name.into(),
        data: data.to_vec(),
        created_at: 5,
    }
}

#[test]
fn conforms_with_a_file_object_store() {
    let Some(url) = common::url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || {
        let sub = base.join(common::fresh_schema_name());
        let url = common::with_param(
            &common::fresh(&url),
            "artifacts",
            &format!("file://{}", sub.display()),
        );
        async move { Arc::new(PgStore::open(&url).await.unwrap()) as Arc<dyn Store> }
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_live_in_the_object_store_and_follow_replacements_and_deletes() {
    let Some(url) = common::url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let schema = common::fresh_schema_name();
    let store_url = common::with_param(
        &common::with_param(&url, "schema", &schema),
        "artifacts",
        &format!("file://{}", dir.path().display()),
    );
    let store = PgStore::open(&store_url).await.unwrap();
    let create = create_e1();
    store
        .write(&Batch {
            records: vec![create, attachment("e1", "plots/a.bin", b"first")],
        })
        .await
        .unwrap();
    let f = files(dir.path());
    assert_eq!(f.len(), 1);
    assert!(
        f[0].0.starts_with("e1/") && f[0].0.ends_with("plots/a.bin"),
        "{f:?}"
    );
    assert_eq!(f[0].1, b"first");
    let raw = common::raw(&url).await;
    let in_db: Option<Vec<u8>> = raw
        .query_one(&format!("SELECT data FROM {schema}.attachments"), &[])
        .await
        .unwrap()
        .get(0);
    assert!(in_db.is_none(), "bytes are not duplicated into PostgreSQL");

    // A batch that fails after writing a new version keeps the old bytes readable.
    let bad = Batch {
        records: vec![
            attachment("e1", "plots/a.bin", b"second"),
            attachment("missing", "x.txt", b"x"),
        ],
    };
    assert!(matches!(
        store.write(&bad).await,
        Err(Error::ExperimentNotFound(_))
    ));
    assert_eq!(
        store.get_attachment("e1", "plots/a.bin").await.unwrap(),
        b"first"
    );
    assert_eq!(
        files(dir.path()).len(),
        1,
        "the failed batch's object is removed"
    );

    // A replacement leaves exactly the new version.
    store
        .write(&Batch {
            records: vec![attachment("e1", "plots/a.bin", b"second")],
        })
        .await
        .unwrap();
    assert_eq!(
        store.get_attachment("e1", "plots/a.bin").await.unwrap(),
        b"second"
    );
    let f = files(dir.path());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].1, b"second");

    store.delete_experiment("e1").await.unwrap();
    assert!(
        files(dir.path()).is_empty(),
        "deleting the run deletes its objects"
    );
}

#[test]
fn unsupported_artifact_locations_are_named() {
    let Some(url) = common::url() else { return };
    let bad = common::with_param(&common::fresh(&url), "artifacts", "ftp://host/x");
    let e = pollster::block_on(PgStore::open(&bad)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("ftp://") && msg.contains("file:///DIR"),
        "{msg}"
    );
}

#[test]
fn conforms_with_s3_artifacts() {
    let Some(url) = common::url() else { return };
    let Some((endpoint, bucket)) = common::s3() else {
        return;
    };
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || {
        let url = common::with_s3(
            &common::fresh(&url),
            &endpoint,
            &bucket,
            &common::fresh_schema_name(),
        );
        async move { Arc::new(PgStore::open(&url).await.unwrap()) as Arc<dyn Store> }
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_live_in_s3_under_the_prefix_and_another_replica_reads_them() {
    use object_store::{ObjectStore, ObjectStoreExt};
    let Some(url) = common::url() else { return };
    let Some((endpoint, bucket)) = common::s3() else {
        return;
    };
    let prefix = common::fresh_schema_name();
    let store_url = common::with_s3(&common::fresh(&url), &endpoint, &bucket, &prefix);
    let store = PgStore::open(&store_url).await.unwrap();
    assert!(
        !store.location().contains("testing&") && !store.location().ends_with("=testing"),
        "the secret key never shows: {}",
        store.location()
    );
    let create = create_e1();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    store
        .write(&Batch {
            records: vec![create, attachment("e1", "weights/model.bin", &big)],
        })
        .await
        .unwrap();

    // The bytes are objects in the bucket, under the prefix; PostgreSQL holds no copy.
    let s3 = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .unwrap();
    let listed: Vec<object_store::ObjectMeta> = {
        use futures_util::TryStreamExt;
        s3.list(Some(&object_store::path::Path::from(prefix.as_str())))
            .try_collect()
            .await
            .unwrap()
    };
    assert_eq!(listed.len(), 1, "{listed:?}");
    let key = listed[0].location.as_ref();
    assert!(
        key.starts_with(&format!("{prefix}/e1/")) && key.ends_with("/weights/model.bin"),
        "{key}"
    );
    let stored = s3
        .get(&listed[0].location)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(stored.as_ref(), &big[..]);

    // Another replica over the same database and bucket reads the same bytes.
    let replica = PgStore::open(&store_url).await.unwrap();
    assert_eq!(
        replica
            .get_attachment("e1", "weights/model.bin")
            .await
            .unwrap(),
        big
    );
    // A bad setting is named, not ignored.
    let err = PgStore::open(&common::with_param(&store_url, "artifacts_nonsense", "1"))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::InvalidInput { .. }) && err.to_string().contains("artifacts_nonsense"),
        "{err}"
    );
}

/// Streams `data` in and back out through `store`; returns what was read.
async fn stream_round_trip(store: &PgStore, name: &str, data: &[u8]) -> Vec<u8> {
    use sextant_core::chunks;
    let size = store
        .put_attachment("e1", name, 7, chunks::from_bytes(data.to_vec()))
        .await
        .unwrap();
    assert_eq!(size, data.len() as u64);
    let (listed_size, stream) = store.read_attachment("e1", name).await.unwrap();
    assert_eq!(listed_size, data.len() as u64);
    chunks::collect(stream, u64::MAX, name).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_attachments_stream_into_and_out_of_the_object_store() {
    let Some(url) = common::url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store_url = common::with_param(
        &common::fresh(&url),
        "artifacts",
        &format!("file://{}", dir.path().display()),
    );
    let store = PgStore::open(&store_url).await.unwrap();
    store
        .write(&Batch {
            records: vec![create_e1()],
        })
        .await
        .unwrap();
    let big: Vec<u8> = (0..13_000_000u32)
        .map(|i| (i.wrapping_mul(31) >> 3) as u8)
        .collect();
    assert!(stream_round_trip(&store, "ckpt.bin", &big).await == big);
    // Replacing it leaves only the new object; a failed upload leaves nothing new.
    let small = b"v2".to_vec();
    assert_eq!(stream_round_trip(&store, "ckpt.bin", &small).await, small);
    let failing = sextant_core::chunks::from_fn({
        let mut n = 0;
        move || {
            n += 1;
            if n < 3 {
                Ok(Some(vec![1u8; 100_000]))
            } else {
                Err(Error::storage("client went away"))
            }
        }
    });
    assert!(store
        .put_attachment("e1", "ckpt.bin", 9, failing)
        .await
        .is_err());
    assert_eq!(
        files(dir.path()).len(),
        1,
        "one object: the current version"
    );
    assert_eq!(store.get_attachment("e1", "ckpt.bin").await.unwrap(), small);
    // No experiment, no upload.
    let err = store
        .put_attachment("nope", "a", 1, sextant_core::chunks::from_bytes(vec![1]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ExperimentNotFound(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_attachments_stream_to_s3_as_multipart_uploads() {
    let Some(url) = common::url() else { return };
    let Some((endpoint, bucket)) = common::s3() else {
        return;
    };
    let prefix = common::fresh_schema_name();
    let store_url = common::with_s3(&common::fresh(&url), &endpoint, &bucket, &prefix);
    let store = PgStore::open(&store_url).await.unwrap();
    store
        .write(&Batch {
            records: vec![create_e1()],
        })
        .await
        .unwrap();
    // Over object_store's 5 MiB part size: several parts.
    let big: Vec<u8> = (0..17_000_000u32).map(|i| (i % 241) as u8).collect();
    assert!(stream_round_trip(&store, "weights/big.bin", &big).await == big);
    let replica = PgStore::open(&store_url).await.unwrap();
    assert!(
        replica
            .get_attachment("e1", "weights/big.bin")
            .await
            .unwrap()
            == big
    );
}

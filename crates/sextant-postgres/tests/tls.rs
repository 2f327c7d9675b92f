//! `sslmode=require` connects over TLS (rustls) and verifies the server's certificate.
//! Needs the test cluster's CA (`SEXTANT_TEST_POSTGRES_CA`, set by scripts/pg.sh).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use sextant_core::{Batch, NewExperiment, Record, Store};
use sextant_postgres::PgStore;

fn ca() -> Option<String> {
    let ca = std::env::var("SEXTANT_TEST_POSTGRES_CA")
        .ok()
        .filter(|c| !c.is_empty());
    if ca.is_none() {
        eprintln!(
            "SKIPPED: SEXTANT_TEST_POSTGRES_CA is not set (scripts/test-postgres.sh sets it)"
        );
    }
    ca
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_uses_tls_and_checks_the_certificate() {
    let (Some(url), Some(ca)) = (common::url(), ca()) else {
        return;
    };
    let app = format!("sextant_tls_{}", std::process::id());
    let tls_url = common::with_param(
        &common::with_param(
            &common::with_param(&common::fresh(&url), "sslmode", "require"),
            "sslrootcert",
            &ca,
        ),
        "application_name",
        &app,
    );
    let store = PgStore::open(&tls_url).await.unwrap();
    store
        .write(&Batch {
            records: vec![Record::Create(NewExperiment {
                id: "tls".into(),
                name: "tls".into(),
                group: "g".into(),
                tags: vec![],
                created_at: 1,
                description: None,
                source: None,
                created_by: None,
            })],
        })
        .await
        .unwrap();
    assert_eq!(store.list_experiments().await.unwrap().len(), 1);
    let raw = common::raw(&url).await;
    let encrypted: i64 = raw
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
              WHERE a.application_name = $1 AND s.ssl",
            &[&app],
        )
        .await
        .unwrap()
        .get(0);
    assert!(encrypted >= 1, "the store's connections are not encrypted");

    // Without the CA the certificate does not verify: a clear refusal, not a plain fallback.
    let unverified = common::with_param(&common::fresh(&url), "sslmode", "require");
    let e = PgStore::open(&unverified).await.unwrap_err().to_string();
    assert!(!e.contains('\n'), "{e}");
    assert!(
        e.contains("certificate") || e.contains("Certificate"),
        "{e}"
    );
    eprintln!("error: {e}");
}

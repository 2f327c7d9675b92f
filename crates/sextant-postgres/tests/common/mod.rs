//! Test helpers: the server comes from `SEXTANT_TEST_POSTGRES` (scripts/test-postgres.sh
//! sets it, starting a throwaway cluster); every test gets its own schema.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

/// The server URL, or `None` with a notice when the tests run outside the script.
pub fn url() -> Option<String> {
    match std::env::var("SEXTANT_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "SKIPPED: SEXTANT_TEST_POSTGRES is not set; run scripts/test-postgres.sh (it starts a throwaway PostgreSQL)"
            );
            None
        }
    }
}

/// A schema name no other test (or earlier run) uses.
pub fn fresh_schema_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with `key=value` added to its query.
pub fn with_param(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={value}")
}

/// `url` pointing at a fresh schema.
pub fn fresh(url: &str) -> String {
    with_param(url, "schema", &fresh_schema_name())
}

/// A plain client for checking what is in the database.
pub async fn raw(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}

/// The S3-compatible server scripts/test-postgres.sh starts (moto): endpoint and bucket.
pub fn s3() -> Option<(String, String)> {
    match (
        std::env::var("SEXTANT_TEST_S3_ENDPOINT"),
        std::env::var("SEXTANT_TEST_S3_BUCKET"),
    ) {
        (Ok(e), Ok(b)) if !e.is_empty() && !b.is_empty() => Some((e, b)),
        _ => {
            eprintln!("SKIPPED: SEXTANT_TEST_S3_ENDPOINT is not set; run scripts/test-postgres.sh (it starts moto)");
            None
        }
    }
}

/// `url` with attachment bytes in `s3://BUCKET/PREFIX` on the test server.
pub fn with_s3(url: &str, endpoint: &str, bucket: &str, prefix: &str) -> String {
    let mut u = with_param(url, "artifacts", &format!("s3://{bucket}/{prefix}"));
    for (k, v) in [
        ("artifacts_endpoint", endpoint),
        ("artifacts_allow_http", "true"),
        ("artifacts_region", "us-east-1"),
        ("artifacts_access_key_id", "testing"),
        ("artifacts_secret_access_key", "testing"),
    ] {
        u = with_param(&u, k, v);
    }
    u
}

//! The PostgreSQL store passes the suite every store must pass, driven by `pollster` (as
//! the CLI and the blocking tracker drive stores), each case in a fresh schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use sextant_core::{conformance, Store};
use sextant_native::SystemEnv;
use sextant_postgres::PgStore;

#[test]
fn postgres_store_conforms() {
    let Some(url) = common::url() else { return };
    pollster::block_on(conformance::run_all(Arc::new(SystemEnv), || {
        let url = common::fresh(&url);
        async move { Arc::new(PgStore::open(&url).await.unwrap()) as Arc<dyn Store> }
    }));
}

//! Bad connection strings, credentials and schemas give one-line errors naming the problem;
//! servers starting together migrate once; a newer schema is refused, not damaged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use sextant_core::Error;
use sextant_postgres::PgStore;

fn one_line(e: &Error) -> String {
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "error spans lines: {msg}");
    eprintln!("error: {msg}");
    msg
}

fn open_err(url: &str) -> Error {
    pollster::block_on(PgStore::open(url)).expect_err("open must fail")
}

#[test]
fn wrong_password_is_named() {
    let Some(url) = common::url() else { return };
    let mut u = url::Url::parse(&url).unwrap();
    let user = u.username().to_string();
    u.set_password(Some("definitely-wrong-pw")).unwrap();
    let msg = match pollster::block_on(PgStore::open(u.as_str())) {
        Err(e) => one_line(&e),
        Ok(_) => {
            eprintln!("SKIPPED wrong_password_is_named: this server does not check passwords");
            return;
        }
    };
    assert!(msg.contains("password") && msg.contains(&user), "{msg}");
    assert!(
        !msg.contains("definitely-wrong-pw"),
        "password leaked: {msg}"
    );
}

#[test]
fn unreachable_host_is_named() {
    // A port nothing listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = open_err(&format!("postgres://u:pw@127.0.0.1:{port}/db"));
    let msg = one_line(&e);
    assert!(
        msg.contains(&format!("cannot reach PostgreSQL at 127.0.0.1:{port}")),
        "{msg}"
    );
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
}

#[test]
fn missing_database_is_named() {
    let Some(url) = common::url() else { return };
    let mut u = url::Url::parse(&url).unwrap();
    u.set_path("/sextant_no_such_db");
    let msg = one_line(&open_err(u.as_str()));
    assert!(
        msg.contains("\"sextant_no_such_db\" does not exist"),
        "{msg}"
    );
}

#[test]
fn bad_parameters_are_named() {
    let msg = one_line(&open_err(
        "postgres://u:secretpw@127.0.0.1/db?schema=x;drop",
    ));
    assert!(msg.contains("schema"), "{msg}");
    assert!(!msg.contains("secretpw"), "{msg}");
}

#[test]
fn newer_schema_is_refused_and_left_alone() {
    let Some(url) = common::url() else { return };
    let schema = common::fresh_schema_name();
    let store_url = common::with_param(&url, "schema", &schema);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        drop(PgStore::open(&store_url).await.unwrap());
        let raw = common::raw(&url).await;
        raw.execute(
            &format!("INSERT INTO {schema}.sextant_migrations (version, description) VALUES (999, 'from the future')"),
            &[],
        )
        .await
        .unwrap();
        let e = PgStore::open(&store_url).await.unwrap_err();
        let msg = one_line(&e);
        assert!(matches!(e, Error::Corrupt { .. }), "{e:?}");
        assert!(
            msg.contains("version 999") && msg.contains("newer") && msg.contains(&schema),
            "{msg}"
        );
        let n: i64 = raw
            .query_one(&format!("SELECT count(*) FROM {schema}.sextant_migrations"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            n,
            i64::from(sextant_postgres::schema_version()) + 1,
            "nothing changed"
        );
    });
}

#[test]
fn servers_starting_together_migrate_once() {
    let Some(url) = common::url() else { return };
    let store_url = common::fresh(&url);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (u, b) = (store_url.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                pollster::block_on(PgStore::open(&u)).map(|_| ())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let store = pollster::block_on(PgStore::open(&store_url)).unwrap();
    assert_eq!(
        pollster::block_on(store.schema_version_in_db()).unwrap(),
        sextant_postgres::schema_version()
    );
}

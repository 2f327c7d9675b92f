//! The connection string: a libpq-style URL plus Sextant's own query parameters, which are
//! taken out before the rest goes to `tokio_postgres::Config` (it rejects unknown ones).

use std::str::FromStr;

use sextant_core::{Error, Result};

/// The schema used when `?schema=` is not given: out of `public`, so Sextant's tables never
/// collide with an application's own in a shared database.
pub const DEFAULT_SCHEMA: &str = "sextant";
/// Connections per store (per server replica) when `?pool_size=` is not given.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// Everything a connection string says, split into what PostgreSQL and what Sextant reads.
#[derive(Debug, Clone)]
pub struct ConnConfig {
    pub pg: tokio_postgres::Config,
    pub schema: String,
    pub pool_size: usize,
    /// `?artifacts=…`: where attachment bytes go; `None` keeps them in the database.
    pub artifacts: Option<String>,
    /// `?artifacts_KEY=VALUE`: object-store settings (`artifacts_endpoint`,
    /// `artifacts_region`, `artifacts_allow_http`, credentials), keys without the prefix.
    pub artifacts_options: Vec<(String, String)>,
    /// `?sslrootcert=FILE`: the CA certificates (PEM) a `sslmode=require` server must chain to.
    pub root_cert: Option<String>,
    /// The string with the password masked, for `location()` and messages.
    pub display: String,
    /// `host:port` for error messages.
    pub endpoint: String,
}

fn bad(url: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        what: "postgres connection string",
        value: mask(url),
        reason: reason.into(),
    }
}

/// Query keys whose values are credentials.
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "token",
        "sas",
        "access_key",
        "account_key",
        "service_account_key",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// Hides the password of a URL and credential parameters (`artifacts_secret_access_key`)
/// so they never reach a log or an error message.
pub fn mask(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_string();
    };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if is_secret(&k) {
                "***".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if pairs.iter().any(|(k, _)| is_secret(k)) {
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

impl ConnConfig {
    /// Parses `postgres://user:pass@host:port/db?schema=…&pool_size=…&artifacts=…&sslmode=…`.
    pub fn parse(input: &str) -> Result<ConnConfig> {
        let mut url = url::Url::parse(input).map_err(|e| bad(input, e.to_string()))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(bad(input, "expected postgres://user:pass@host:port/db"));
        }
        let mut schema = DEFAULT_SCHEMA.to_string();
        let mut pool_size = DEFAULT_POOL_SIZE;
        let mut artifacts = None;
        let mut artifacts_options = Vec::new();
        let mut root_cert = None;
        let mut rest = Vec::new();
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "schema" => schema = v.into_owned(),
                "pool_size" => {
                    pool_size = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        bad(input, format!("pool_size={v} is not a positive number"))
                    })?
                }
                "artifacts" => artifacts = Some(v.into_owned()),
                key if key.starts_with("artifacts_") => {
                    artifacts_options.push((key["artifacts_".len()..].to_string(), v.into_owned()))
                }
                "sslrootcert" => root_cert = Some(v.into_owned()),
                _ => rest.push((k.into_owned(), v.into_owned())),
            }
        }
        check_schema(input, &schema)?;
        if rest.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(rest);
        }
        let mut pg = tokio_postgres::Config::from_str(url.as_str())
            .map_err(|e| bad(input, e.to_string()))?;
        if pg.get_dbname().is_none() {
            return Err(bad(
                input,
                "name the database: postgres://user@host:port/DATABASE",
            ));
        }
        if root_cert.is_some() && pg.get_ssl_mode() != tokio_postgres::config::SslMode::Require {
            return Err(bad(input, "sslrootcert is only used with sslmode=require"));
        }
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(std::time::Duration::from_secs(10));
        }
        if pg.get_application_name().is_none() {
            pg.application_name("sextant");
        }
        let host = url.host_str().unwrap_or("localhost").to_string();
        let endpoint = format!("{host}:{}", url.port().unwrap_or(5432));
        Ok(ConnConfig {
            pg,
            schema,
            pool_size,
            artifacts,
            artifacts_options,
            root_cert,
            display: mask(input),
            endpoint,
        })
    }

    pub fn user(&self) -> &str {
        self.pg.get_user().unwrap_or("")
    }

    pub fn dbname(&self) -> &str {
        self.pg.get_dbname().unwrap_or("")
    }
}

/// Schema names are spliced into SQL as identifiers, so only plain ones are accepted.
fn check_schema(input: &str, schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(bad(
            input,
            format!("schema {schema:?} must be lowercase letters, digits and _ (at most 63), starting with a letter or _"),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sextant_parameters_are_taken_out() {
        let c = ConnConfig::parse(
            "postgres://u:secret@db.example:6543/team?schema=proj_1&pool_size=4&application_name=x&artifacts=file:///srv/a",
        )
        .unwrap();
        assert_eq!(c.schema, "proj_1");
        assert_eq!(c.pool_size, 4);
        assert_eq!(c.artifacts.as_deref(), Some("file:///srv/a"));
        assert_eq!(c.pg.get_application_name(), Some("x"));
        assert_eq!(c.dbname(), "team");
        assert_eq!(c.endpoint, "db.example:6543");
        assert!(!c.display.contains("secret"), "{}", c.display);
    }

    #[test]
    fn bad_strings_say_what_is_wrong() {
        let e = ConnConfig::parse("postgres://u:pw@h/db?schema=Bad;drop").unwrap_err();
        assert!(e.to_string().contains("schema"), "{e}");
        assert!(!e.to_string().contains(":pw@"), "password leaked: {e}");
        let e = ConnConfig::parse("postgres://u@h:5432").unwrap_err();
        assert!(e.to_string().contains("database"), "{e}");
        let e = ConnConfig::parse("postgres://u@h/db?pool_size=0").unwrap_err();
        assert!(e.to_string().contains("pool_size"), "{e}");
        let e = ConnConfig::parse("postgres://u@h/db?nonsense=1").unwrap_err();
        assert!(e.to_string().contains("nonsense"), "{e}");
    }
}

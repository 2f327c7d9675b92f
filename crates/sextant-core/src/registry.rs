//! Connection strings (`backend://config`) and the registry backends add themselves to.

use std::sync::Arc;

use crate::env::{BoxFuture, MaybeSend, MaybeSync};
use crate::error::{Error, Result};
use crate::memory::MemoryStore;
use crate::store::Store;

#[cfg(not(target_arch = "wasm32"))]
type OpenFn =
    dyn Fn(String, OpenOptions) -> BoxFuture<'static, Result<Arc<dyn Store>>> + Send + Sync;
#[cfg(target_arch = "wasm32")]
type OpenFn = dyn Fn(String, OpenOptions) -> BoxFuture<'static, Result<Arc<dyn Store>>>;

/// What a backend may need beyond its address (credentials, timeouts), so no backend
/// reads the environment itself: programs and bindings decide where settings come from.
/// [`Registry::open_with`] fills `params` from the connection string's query part
/// (`http://host:5000?token=…`); values the caller set win over the string's.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// A bearer token (`http://`), or a password where the backend takes one.
    pub token: Option<String>,
    /// How long one request may take, for remote stores.
    pub timeout: Option<std::time::Duration>,
    /// Every `key=value` of the connection string's query, decoded.
    pub params: Vec<(String, String)>,
    /// The token when neither `token` nor the string's `?token=` gives one: where a
    /// program's environment (`SEXTANT_TOKEN`) fits, below what the user wrote.
    pub fallback_token: Option<String>,
}

impl std::fmt::Debug for OpenOptions {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("fallback_token", &self.fallback_token.as_ref().map(|_| "…"))
            .field("timeout", &self.timeout)
            .field(
                "params",
                &self.params.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl OpenOptions {
    /// Options carrying a token.
    pub fn with_token(token: impl Into<String>) -> Self {
        OpenOptions {
            token: Some(token.into()),
            ..OpenOptions::default()
        }
    }

    /// The query parameter `key`, if the connection string had it.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

struct Backend {
    scheme: &'static str,
    example: &'static str,
    open: Box<OpenFn>,
}

/// Maps a connection string's scheme to the code that opens it. Platform crates register
/// their stores, so adding a backend needs no change here.
pub struct Registry {
    backends: Vec<Backend>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("forms", &self.forms())
            .finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// A registry that knows `memory://`, the store every platform has.
    pub fn new() -> Self {
        let mut r = Registry {
            backends: Vec::new(),
        };
        r.register("memory", "memory://", |_: String| {
            Box::pin(async { Ok(Arc::new(MemoryStore::new()) as Arc<dyn Store>) })
        });
        r
    }

    /// Adds (or replaces) a backend that needs only its config (the text after `://`).
    /// `example` is shown to users who mistype a string.
    pub fn register<F>(&mut self, scheme: &'static str, example: &'static str, open: F)
    where
        F: Fn(String) -> BoxFuture<'static, Result<Arc<dyn Store>>>
            + MaybeSend
            + MaybeSync
            + 'static,
    {
        self.register_with(scheme, example, move |config, _| open(config));
    }

    /// Adds (or replaces) a backend that also takes [`OpenOptions`].
    pub fn register_with<F>(&mut self, scheme: &'static str, example: &'static str, open: F)
    where
        F: Fn(String, OpenOptions) -> BoxFuture<'static, Result<Arc<dyn Store>>>
            + MaybeSend
            + MaybeSync
            + 'static,
    {
        self.backends.retain(|b| b.scheme != scheme);
        self.backends.push(Backend {
            scheme,
            example,
            open: Box::new(open),
        });
    }

    /// The valid forms, for error messages.
    pub fn forms(&self) -> String {
        self.backends
            .iter()
            .map(|b| b.example)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The registered scheme names (`sqlite`, `memory`, …), in registration order.
    pub fn schemes(&self) -> Vec<&'static str> {
        self.backends.iter().map(|b| b.scheme).collect()
    }

    /// Opens the store a connection string names.
    pub async fn open(&self, connection: &str) -> Result<Arc<dyn Store>> {
        self.open_with(connection, OpenOptions::default()).await
    }

    /// Opens the store a connection string names, with settings from the caller.
    pub async fn open_with(
        &self,
        connection: &str,
        mut options: OpenOptions,
    ) -> Result<Arc<dyn Store>> {
        let (scheme, config) = split(connection).ok_or_else(|| Error::InvalidConnectionString {
            input: connection.to_string(),
            forms: self.forms(),
        })?;
        let backend = self
            .backends
            .iter()
            .find(|b| b.scheme.eq_ignore_ascii_case(scheme))
            .ok_or_else(|| Error::UnknownBackend {
                scheme: scheme.to_string(),
                input: connection.to_string(),
                forms: self.forms(),
            })?;
        if let Some((_, query)) = config.split_once('?') {
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                options.params.push((k.into_owned(), v.into_owned()));
            }
        }
        if options.token.is_none() {
            options.token = options.param("token").map(str::to_string);
        }
        if options.token.is_none() {
            options.token = options.fallback_token.take();
        }
        (backend.open)(config.to_string(), options).await
    }
}

/// Splits `backend://config`; `None` when there is no `://` or no backend name.
pub fn split(connection: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = connection.split_once("://")?;
    let ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.');
    ok.then_some((scheme, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_strings_list_the_valid_forms() {
        let reg = Registry::new();
        let err = pollster::block_on(reg.open("nosuch://x")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::UnknownBackend { .. }));
        assert!(msg.contains("nosuch") && msg.contains("memory://"), "{msg}");
        let err = pollster::block_on(reg.open("./experiments")).unwrap_err();
        assert!(matches!(err, Error::InvalidConnectionString { .. }));
        assert!(err.to_string().contains("backend://config"));
        assert!(pollster::block_on(reg.open("memory://")).is_ok());
    }

    #[test]
    fn options_come_from_the_query_and_the_caller() {
        let mut reg = Registry::new();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        reg.register_with("probe", "probe://x", move |config, opts| {
            s.lock().unwrap().push((config, opts));
            Box::pin(async { Ok(Arc::new(MemoryStore::new()) as Arc<dyn Store>) })
        });
        pollster::block_on(reg.open("probe://h:1/p?token=a%2Bb&x=1")).unwrap();
        pollster::block_on(reg.open_with("probe://h?token=q", OpenOptions::with_token("mine")))
            .unwrap();
        let env = |t: &str| OpenOptions {
            fallback_token: Some(t.into()),
            ..OpenOptions::default()
        };
        pollster::block_on(reg.open_with("probe://h?token=q", env("from-env"))).unwrap();
        pollster::block_on(reg.open_with("probe://h", env("from-env"))).unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen[2].1.token.as_deref(),
            Some("q"),
            "the string beats the fallback"
        );
        assert_eq!(seen[3].1.token.as_deref(), Some("from-env"));
        assert_eq!(seen[0].0, "h:1/p?token=a%2Bb&x=1");
        assert_eq!(seen[0].1.token.as_deref(), Some("a+b"));
        assert_eq!(seen[0].1.param("x"), Some("1"));
        assert_eq!(
            seen[1].1.token.as_deref(),
            Some("mine"),
            "the caller's token wins"
        );
        assert!(
            !format!("{:?}", seen[0].1).contains("a+b"),
            "Debug hides the token"
        );
    }

    #[test]
    fn split_keeps_the_whole_config() {
        assert_eq!(split("sqlite:///abs/dir"), Some(("sqlite", "/abs/dir")));
        assert_eq!(split("http://host:5000"), Some(("http", "host:5000")));
        assert_eq!(split("://x"), None);
        assert_eq!(split("dir"), None);
    }
}

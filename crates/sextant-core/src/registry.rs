//! Connection strings (`backend://config`) and the registry backends add themselves to.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::memory::MemoryStore;
use crate::platform::{BoxFuture, MaybeSend, MaybeSync};
use crate::store::Store;

#[cfg(not(target_arch = "wasm32"))]
type OpenFn = dyn Fn(String) -> BoxFuture<'static, Result<Arc<dyn Store>>> + Send + Sync;
#[cfg(target_arch = "wasm32")]
type OpenFn = dyn Fn(String) -> BoxFuture<'static, Result<Arc<dyn Store>>>;

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
        r.register("memory", "memory://", |_| {
            Box::pin(async { Ok(Arc::new(MemoryStore::new()) as Arc<dyn Store>) })
        });
        r
    }

    /// Adds (or replaces) a backend. `example` is shown to users who mistype a string.
    pub fn register<F>(&mut self, scheme: &'static str, example: &'static str, open: F)
    where
        F: Fn(String) -> BoxFuture<'static, Result<Arc<dyn Store>>>
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

    pub fn schemes(&self) -> Vec<&'static str> {
        self.backends.iter().map(|b| b.scheme).collect()
    }

    /// Opens the store a connection string names.
    pub async fn open(&self, connection: &str) -> Result<Arc<dyn Store>> {
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
        (backend.open)(config.to_string()).await
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
    fn split_keeps_the_whole_config() {
        assert_eq!(split("sqlite:///abs/dir"), Some(("sqlite", "/abs/dir")));
        assert_eq!(split("http://host:5000"), Some(("http", "host:5000")));
        assert_eq!(split("://x"), None);
        assert_eq!(split("dir"), None);
    }
}

//! Opening a data source as a store. Every page then reads through the `Store` contract
//! only, whichever kind it is.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use sextant_core::{MemoryStore, OpenOptions, Store};

use super::dom;
use crate::view::source::Source;

thread_local! {
    /// Snapshot files opened in this tab, by name: a file cannot be reopened from a URL,
    /// but navigating between pages keeps it.
    static FILES: RefCell<HashMap<String, Arc<MemoryStore>>> = RefCell::new(HashMap::new());
}

pub fn remember_file(name: &str, store: Arc<MemoryStore>) {
    FILES.with(|f| f.borrow_mut().insert(name.to_string(), store));
}

/// The token for a server, kept per address (a server on this origin uses its cookie).
pub fn token_for(url: &str) -> Option<String> {
    dom::local_get(&format!("sextant.token.{url}")).filter(|t| !t.is_empty())
}

pub fn set_token(url: &str, token: &str) {
    dom::local_set(&format!("sextant.token.{url}"), token);
}

/// The server address a source means (this origin for `Server(None)`).
pub fn server_url(source: &Source) -> Option<String> {
    match source {
        Source::Server(None) => Some(dom::origin()),
        Source::Server(Some(url)) => Some(url.clone()),
        _ => None,
    }
}

/// Opens a source through the same registry as every other entry point (the JS platform's
/// stores plus `http(s)://`); a snapshot comes from the files opened in this tab.
pub async fn open(source: &Source) -> Result<Arc<dyn Store>, String> {
    if let Source::Snapshot(name) = source {
        return FILES
            .with(|f| f.borrow().get(name).cloned())
            .map(|s| s as Arc<dyn Store>)
            .ok_or_else(|| {
                format!("the file {name:?} is not open in this tab: open it again (Sources → Open a file)")
            });
    }
    let (connection, token) = match source {
        Source::Server(Some(url)) => (url.clone(), token_for(url)),
        // This origin's server authenticates with its cookie.
        Source::Server(None) => (dom::origin(), None),
        other => (other.to_param(), None),
    };
    let mut registry = sextant_web::registry();
    sextant_http::register(&mut registry);
    let options = OpenOptions {
        token,
        ..OpenOptions::default()
    };
    registry
        .open_with(&connection, options)
        .await
        .map_err(|e| e.to_string())
}

//! Opening a data source as a store. Every page then reads through the `Store` contract
//! only, whichever kind it is.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use sextant_core::{MemoryStore, Store};
use sextant_http::HttpStore;

use super::dom;
use crate::view::source::Source;

thread_local! {
    /// Snapshot files opened in this tab, by name: a file cannot be reopened from a URL,
    /// but navigating between pages keeps it.
    static FILES: RefCell<HashMap<String, Rc<MemoryStore>>> = RefCell::new(HashMap::new());
}

pub fn remember_file(name: &str, store: Rc<MemoryStore>) {
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

pub async fn open(source: &Source) -> Result<Rc<dyn Store>, String> {
    match source {
        Source::Server(_) => {
            let url = server_url(source).unwrap_or_default();
            let token = match source {
                Source::Server(Some(u)) => token_for(u),
                _ => None,
            };
            let store = HttpStore::new(&url, token).map_err(|e| e.to_string())?;
            store.check().await.map_err(|e| e.to_string())?;
            Ok(Rc::new(store))
        }
        Source::IndexedDb(name) => {
            let store =
                sextant_web::idb::IndexedDbStore::open(name, Arc::new(sextant_web::env::JsEnv))
                    .await
                    .map_err(|e| e.to_string())?;
            Ok(Rc::new(store))
        }
        Source::LocalStorage(prefix) => {
            let store = sextant_web::local::open(prefix, Arc::new(sextant_web::env::JsEnv))
                .map_err(|e| e.to_string())?;
            Ok(Rc::new(store))
        }
        Source::File(name) => FILES
            .with(|f| f.borrow().get(name).cloned())
            .map(|s| s as Rc<dyn Store>)
            .ok_or_else(|| {
                format!("the file {name:?} is not open in this tab: open it again (Sources → Open a file)")
            }),
    }
}

//! What every page shares: the data source, its open store, the live-change hub, the theme.

use std::rc::Rc;
use std::sync::Arc;

use sextant_core::Store;
use yew::prelude::*;

use super::live::Live;
use crate::view::source::Source;

/// The store for the current source, once opened.
#[derive(Clone)]
pub enum Conn {
    Opening,
    Ready(Arc<dyn Store>),
    Failed(String),
}

/// What pages can ask the app to do.
#[derive(Clone, PartialEq)]
pub struct Actions {
    pub set_source: Callback<Source>,
    pub toggle_theme: Callback<()>,
    pub open_file: Callback<web_sys::File>,
    pub dismiss_notice: Callback<()>,
}

#[derive(Clone)]
pub struct Ctx {
    pub source: Source,
    pub conn: Conn,
    /// Bumped whenever the source or its connection changes; pages reload on it.
    pub generation: u32,
    pub live: Rc<Live>,
    pub dark: bool,
    /// A one-line message for the header (e.g. "no server here, showing this browser").
    pub notice: Option<String>,
    pub actions: Actions,
}

impl PartialEq for Ctx {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
            && self.dark == other.dark
            && self.notice == other.notice
            && self.source == other.source
    }
}

impl Ctx {
    pub fn store(&self) -> Option<Arc<dyn Store>> {
        match &self.conn {
            Conn::Ready(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// The shared context; pages render nothing useful without it.
#[hook]
pub fn use_ctx() -> Option<Ctx> {
    use_context::<Ctx>()
}

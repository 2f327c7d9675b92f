//! The live-change hub: a server's `/api/events` stream (EventSource) or, for stores that
//! cannot push, a poll that works out the same changes. Views subscribe and fetch only what
//! a change says they lack.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use sextant_core::{ExperimentInfo, Store};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};
use yew::prelude::*;

use super::{dom, open};
use crate::view::live::{self, Change};
use crate::view::query;
use crate::view::source::Source;

/// How often browser stores are polled, milliseconds.
const POLL_MS: i32 = 2_000;

enum Feed {
    Events {
        source: EventSource,
        _on_change: Closure<dyn FnMut(MessageEvent)>,
    },
    Poll {
        handle: i32,
        _tick: Closure<dyn FnMut()>,
    },
}

impl Drop for Feed {
    fn drop(&mut self) {
        match self {
            Feed::Events { source, .. } => source.close(),
            Feed::Poll { handle, .. } => {
                if let Some(w) = dom::window() {
                    w.clear_interval_with_handle(*handle);
                }
            }
        }
    }
}

/// Subscribers and the feed for the current source; dropping it stops the feed.
#[derive(Default)]
pub struct Live {
    subscribers: RefCell<Vec<(u64, Callback<Rc<Change>>)>>,
    next_id: Cell<u64>,
    feed: RefCell<Option<Feed>>,
}

impl Live {
    /// A hub with no feed (while a store is opening, or for files).
    pub fn idle() -> Rc<Live> {
        Rc::new(Live::default())
    }

    /// Starts the feed that suits the source.
    pub fn start(source: &Source, store: Arc<dyn Store>) -> Rc<Live> {
        let live = Rc::new(Live::default());
        let feed = if source.pushes_changes() {
            events_feed(source, &live)
        } else if source.changes() {
            poll_feed(store, &live)
        } else {
            None
        };
        *live.feed.borrow_mut() = feed;
        live
    }

    pub fn subscribe(&self, callback: Callback<Rc<Change>>) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        self.subscribers.borrow_mut().push((id, callback));
        id
    }

    pub fn unsubscribe(&self, id: u64) {
        self.subscribers.borrow_mut().retain(|(i, _)| *i != id);
    }

    fn emit(&self, change: Change) {
        let change = Rc::new(change);
        let subs: Vec<Callback<Rc<Change>>> = self
            .subscribers
            .borrow()
            .iter()
            .map(|(_, c)| c.clone())
            .collect();
        for s in subs {
            s.emit(change.clone());
        }
    }
}

fn events_feed(source: &Source, live: &Rc<Live>) -> Option<Feed> {
    let base = open::server_url(source)?;
    let token = match source {
        Source::Server(Some(u)) => open::token_for(u),
        _ => None,
    };
    // EventSource cannot send headers; the server also takes the token as a query.
    let url = format!(
        "{base}/api/events{}",
        query::build(token.iter().map(|t| ("token", t.as_str())))
    );
    let events = EventSource::new(&url).ok()?;
    let weak: Weak<Live> = Rc::downgrade(live);
    let on_change = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(live) = weak.upgrade() else {
            return;
        };
        if let Some(Ok(change)) = e.data().as_string().map(|d| live::parse(&d)) {
            live.emit(change);
        }
    });
    events
        .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref())
        .ok()?;
    Some(Feed::Events {
        source: events,
        _on_change: on_change,
    })
}

fn poll_feed(store: Arc<dyn Store>, live: &Rc<Live>) -> Option<Feed> {
    let weak: Weak<Live> = Rc::downgrade(live);
    let previous: Rc<RefCell<Option<Vec<ExperimentInfo>>>> = Rc::new(RefCell::new(None));
    let busy = Rc::new(Cell::new(false));
    let tick = Closure::<dyn FnMut()>::new(move || {
        if busy.get() || dom::page_hidden() {
            return;
        }
        busy.set(true);
        let (store, weak, previous, busy) =
            (store.clone(), weak.clone(), previous.clone(), busy.clone());
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(now) = store.list_experiments().await {
                let changed = match previous.borrow().as_ref() {
                    Some(before) => live::changed_ids(before, &now),
                    None => Vec::new(),
                };
                for id in changed {
                    let status = now.iter().find(|e| e.id == id).map(|e| e.status);
                    let last_steps = match status {
                        Some(_) => store
                            .list_metrics(&id)
                            .await
                            .map(|m| live::last_steps(&m))
                            .unwrap_or_default(),
                        None => Default::default(),
                    };
                    if let Some(live) = weak.upgrade() {
                        live.emit(Change {
                            experiment: id,
                            status,
                            last_steps,
                        });
                    }
                }
                *previous.borrow_mut() = Some(now);
            }
            busy.set(false);
        });
    });
    let handle = dom::window()?
        .set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            POLL_MS,
        )
        .ok()?;
    Some(Feed::Poll {
        handle,
        _tick: tick,
    })
}

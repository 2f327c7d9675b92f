//! The hook views use to hear about changes from the live hub of the current context.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use super::ctx::use_ctx;
use crate::view::live::Change;

/// Changes that arrived since a view last looked: react in an effect on `version` and
/// `take()` them (several can arrive between two renders; none are lost).
#[derive(Clone)]
pub struct Changes {
    pub version: u64,
    buffer: Rc<RefCell<Vec<Rc<Change>>>>,
}

impl Changes {
    pub fn take(&self) -> Vec<Rc<Change>> {
        std::mem::take(&mut *self.buffer.borrow_mut())
    }
}

#[hook]
pub fn use_changes() -> Changes {
    let ctx = use_ctx();
    let counter = use_reducer(Counter::default);
    let buffer = use_mut_ref(Vec::<Rc<Change>>::new);
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    {
        let dispatch = counter.dispatcher();
        let buffer = buffer.clone();
        let live = ctx.map(|c| c.live);
        use_effect_with(generation, move |_| {
            buffer.borrow_mut().clear();
            let sub = live.map(|l| {
                let id = l.subscribe(Callback::from(move |c| {
                    buffer.borrow_mut().push(c);
                    dispatch.dispatch(());
                }));
                (l, id)
            });
            move || {
                if let Some((l, id)) = sub {
                    l.unsubscribe(id);
                }
            }
        });
    }
    Changes {
        version: counter.0,
        buffer,
    }
}

/// A counter bumped per change; the reducer sees the current value, so no closure ever
/// holds a stale count.
#[derive(Default, PartialEq)]
struct Counter(u64);

impl Reducible for Counter {
    type Action = ();

    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Counter(self.0 + 1))
    }
}

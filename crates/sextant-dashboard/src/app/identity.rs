//! Shared data as a hook dependency, compared by identity. The `Rc` is held, not just its
//! address: a freed address can be reused by the next value, which would then compare
//! equal and leave a memo stale.

use std::rc::Rc;

/// An `Rc` that compares equal only to clones of itself.
pub struct ByPtr<T>(pub Rc<T>);

impl<T> Clone for ByPtr<T> {
    fn clone(&self) -> Self {
        ByPtr(self.0.clone())
    }
}

impl<T> PartialEq for ByPtr<T> {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

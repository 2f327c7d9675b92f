//! The scrolling half of a virtualised table: which rows are in view (plus a margin), a
//! re-render only when that set changes rather than on every scrolled pixel, and the
//! viewport's height kept current as the window resizes.

use std::ops::Range;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::dom;
use crate::view::table;

/// Row height in pixels (the stylesheet's `.row` matches).
pub const ROW_HEIGHT: f64 = 36.0;
/// Rows kept beyond each edge of the view, so a fast scroll shows no blank strip.
pub const OVERSCAN: usize = 8;

/// What a table renders from: the rows to put in the page, the viewport height they fill,
/// and the scroller's ref and handler.
pub struct RowWindow {
    pub rows: Range<usize>,
    pub viewport: f64,
    pub scroller: NodeRef,
    pub onscroll: Callback<Event>,
}

/// The window over `total` rows, snapped to multiples of `block` rows so small scrolls
/// keep the same set; `height` is the viewport's height until it is measured.
#[hook]
pub fn use_row_window(total: usize, block: usize, height: f64) -> RowWindow {
    let first_row = use_state(|| 0usize);
    let viewport = use_state(|| height);
    let scroller = use_node_ref();
    {
        let viewport = viewport.clone();
        let scroller = scroller.clone();
        use_effect_with((), move |_| {
            let measure = move || {
                if let Some(el) = scroller.cast::<web_sys::HtmlElement>() {
                    viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
                }
            };
            measure();
            let on_resize = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(measure);
            let w = dom::window();
            if let Some(w) = &w {
                let _ = w
                    .add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = w {
                    let _ = w.remove_event_listener_with_callback(
                        "resize",
                        on_resize.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    let window = move |first: usize, height: f64| {
        table::snap(
            table::visible_rows(
                first as f64 * ROW_HEIGHT,
                height,
                ROW_HEIGHT,
                total,
                OVERSCAN,
            ),
            block,
            total,
        )
    };
    let shown = window(*first_row, *viewport);
    let onscroll = {
        let first_row = first_row.clone();
        let shown = shown.clone();
        let viewport = *viewport;
        Callback::from(move |e: Event| {
            let Some(el) = e.target_dyn_into::<web_sys::HtmlElement>() else {
                return;
            };
            let row = (f64::from(el.scroll_top()) / ROW_HEIGHT).floor() as usize;
            if window(row, viewport) != shown {
                first_row.set(row);
            }
        })
    };
    RowWindow {
        rows: shown,
        viewport: *viewport,
        scroller,
        onscroll,
    }
}

//! The bar over the table while runs are selected: compare them, delete them, or clear.

use std::collections::BTreeSet;
use std::rc::Rc;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::ctx::use_ctx;
use crate::app::dom;
use crate::app::route::{self, Route};

#[derive(Properties, PartialEq)]
pub struct SelectionProps {
    pub selected: Rc<BTreeSet<String>>,
    /// A run was deleted (remove it from the list).
    pub on_deleted: Callback<String>,
    pub on_failed: Callback<String>,
    pub on_clear: Callback<()>,
}

#[function_component]
pub fn SelectionBar(props: &SelectionProps) -> Html {
    let nav = use_navigator();
    let Some(ctx) = use_ctx() else {
        return html! {};
    };
    if props.selected.is_empty() {
        return html! {};
    }
    let ids: Vec<String> = props.selected.iter().cloned().collect();
    let compare = {
        let nav = nav.clone();
        let source = ctx.source.clone();
        let ids = ids.clone();
        Callback::from(move |_| {
            if let Some(nav) = &nav {
                route::go(
                    nav,
                    &Route::Compare,
                    &[("ids", ids.join(","))],
                    &source,
                    false,
                );
            }
        })
    };
    let delete = {
        let store = ctx.store();
        let (on_deleted, on_failed, on_clear) = (
            props.on_deleted.clone(),
            props.on_failed.clone(),
            props.on_clear.clone(),
        );
        let ids = ids.clone();
        Callback::from(move |_| {
            let n = ids.len();
            if !dom::confirm(&format!(
                "Delete {n} experiment{}? Their metrics, attachments and traces go too.",
                if n == 1 { "" } else { "s" }
            )) {
                return;
            }
            let Some(store) = store.clone() else {
                return;
            };
            let (ids, on_deleted, on_failed, on_clear) = (
                ids.clone(),
                on_deleted.clone(),
                on_failed.clone(),
                on_clear.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                for id in ids {
                    match store.delete_experiment(&id).await {
                        Ok(()) => on_deleted.emit(id),
                        Err(e) => {
                            on_failed.emit(format!("could not delete {id}: {e}"));
                            break;
                        }
                    }
                }
                on_clear.emit(());
            });
        })
    };
    let clear = {
        let on_clear = props.on_clear.clone();
        Callback::from(move |_| on_clear.emit(()))
    };
    html! {
        <div class="selection-bar">
            <span>{ format!("{} selected", ids.len()) }</span>
            <button class="btn primary" onclick={compare} disabled={ids.len() < 2}
                title={if ids.len() < 2 { "Select two or more to compare" } else { "Overlay their charts and params" }}>
                { "Compare" }
            </button>
            <button class="btn danger" onclick={delete}>{ "Delete" }</button>
            <button class="btn ghost" onclick={clear}>{ "Clear" }</button>
        </div>
    }
}

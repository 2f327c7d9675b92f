//! The facet sidebar: status, group and tag counts; a click filters, a second click clears.

use std::rc::Rc;

use yew::prelude::*;

use crate::view::table::Facets;

#[derive(Properties, PartialEq)]
pub struct FacetsProps {
    pub facets: Rc<Facets>,
    pub status: Option<String>,
    pub group: Option<String>,
    pub tag: Option<String>,
    /// `(query name, value)`; an empty value clears that facet.
    pub on_set: Callback<(&'static str, String)>,
}

#[function_component]
pub fn FacetSidebar(props: &FacetsProps) -> Html {
    let facet = |title: &str,
                 name: &'static str,
                 items: Vec<(String, usize)>,
                 current: Option<String>| {
        html! {
            <section class="facet">
                <h4>{ title }</h4>
                { for items.into_iter().map(|(value, n)| {
                    let active = current.as_deref() == Some(value.as_str());
                    let on_set = props.on_set.clone();
                    let label = value.clone();
                    let onclick = Callback::from(move |_| {
                        on_set.emit((name, if active { String::new() } else { value.clone() }))
                    });
                    html! {
                        <button class={classes!("facet-item", active.then_some("active"))} {onclick}>
                            <span class="facet-label">{ label }</span><span class="count">{ n }</span>
                        </button>
                    }
                }) }
            </section>
        }
    };
    let f = &props.facets;
    let statuses = f
        .statuses
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), *n))
        .collect();
    html! {
        <aside class="facets">
            { facet("Status", "status", statuses, props.status.clone()) }
            { facet("Groups", "group", f.groups.clone(), props.group.clone()) }
            if !f.tags.is_empty() { { facet("Tags", "tag", f.tags.clone(), props.tag.clone()) } }
        </aside>
    }
}

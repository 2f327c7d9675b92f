//! Deep links: every page has a URL (an experiment, one chart, a comparison, an attachment,
//! a trace), and links carry the data source unless it is the page's own server.

use yew::prelude::*;
use yew_router::prelude::*;
use yew_router::query::Raw;

use super::ctx::use_ctx;
use crate::view::query;
use crate::view::source::Source;

#[derive(Routable, Clone, PartialEq, Debug)]
pub enum Route {
    #[at("/")]
    Experiments,
    #[at("/experiments/:id")]
    Overview { id: String },
    #[at("/experiments/:id/charts")]
    Charts { id: String },
    #[at("/experiments/:id/attachments")]
    Attachments { id: String },
    #[at("/experiments/:id/traces")]
    Traces { id: String },
    #[at("/experiments/:id/images")]
    Images { id: String },
    #[at("/experiments/:id/evals")]
    Evals { id: String },
    #[at("/compare")]
    Compare,
    #[at("/sources")]
    Sources,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// The query string for `pairs` plus the source (omitted for the page's own server).
pub fn query_with_source(pairs: &[(&str, String)], source: &Source) -> String {
    let param = source.to_param();
    let mut all: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if *source != Source::Server(None) {
        all.push(("source", &param));
    }
    query::build(all)
}

pub fn href(route: &Route, pairs: &[(&str, String)], source: &Source) -> String {
    format!("{}{}", route.to_path(), query_with_source(pairs, source))
}

/// Goes to a route (pushing history), keeping the source in the URL.
pub fn go(
    nav: &Navigator,
    route: &Route,
    pairs: &[(&str, String)],
    source: &Source,
    replace: bool,
) {
    let q = query_with_source(pairs, source);
    let raw = Raw(q.trim_start_matches('?').to_string());
    let _ = if replace {
        nav.replace_with_query(route, raw)
    } else {
        nav.push_with_query(route, raw)
    };
}

#[derive(Properties, PartialEq)]
pub struct LinkProps {
    pub to: Route,
    #[prop_or_default]
    pub query: Vec<(&'static str, String)>,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub title: Option<AttrValue>,
    #[prop_or_default]
    pub children: Html,
}

/// An `<a>` with a real href (so middle-click and copy-link work) that navigates in-app on
/// a plain click.
#[function_component]
pub fn Link(props: &LinkProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let source = ctx.map(|c| c.source).unwrap_or(Source::Server(None));
    let target = href(&props.to, &props.query, &source);
    let onclick = {
        let to = props.to.clone();
        let pairs = props.query.clone();
        Callback::from(move |e: MouseEvent| {
            if e.button() != 0 || e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() {
                return;
            }
            if let Some(nav) = &nav {
                e.prevent_default();
                go(nav, &to, &pairs, &source, false);
            }
        })
    };
    html! {
        <a href={target} class={props.class.clone()} title={props.title.clone()} {onclick}>
            { props.children.clone() }
        </a>
    }
}

/// The current URL's query parameter `name`.
#[hook]
pub fn use_query_param(name: &'static str) -> Option<String> {
    let location = use_location();
    location.and_then(|l| query::get(l.query_str(), name))
}

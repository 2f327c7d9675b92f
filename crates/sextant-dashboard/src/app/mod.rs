//! The yew app: a header (source, theme), routes to the pages, and the shared context.

mod analysis;
mod attachments;
mod changes;
mod chart;
mod chart_card;
mod chart_settings;
mod charts;
mod compare;
mod ctx;
mod dom;
mod evals;
mod experiment;
mod experiments;
mod extremes;
mod header;
mod identity;
mod live;
mod markdown;
mod media;
mod open;
mod overview;
mod parallel;
mod route;
mod row_window;
mod runs_table;
mod scatter;
mod snapshot;
mod sources;
mod traces;
mod widgets;
mod width;

use std::rc::Rc;

use yew::prelude::*;
use yew_router::prelude::*;

use ctx::{Actions, Conn, Ctx};
use live::Live;
use route::Route;

use crate::view::query;
use crate::view::source::{Source, DEFAULT_BROWSER_DB};

const SOURCE_KEY: &str = "sextant.source";
const THEME_KEY: &str = "sextant.theme";

/// Mounts the app on `#app` (or the body) and makes panics visible instead of blank.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
        dom::banner(&format!(
            "The dashboard hit an internal error and stopped: {info}. Reload the page to continue."
        ));
    }));
    let root = dom::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(el) => yew::Renderer::<App>::with_root(el).render(),
        None => yew::Renderer::<App>::new().render(),
    };
}

#[function_component]
fn App() -> Html {
    html! {
        <BrowserRouter>
            <Root />
        </BrowserRouter>
    }
}

/// The source the page starts with: the URL's, the remembered one, or this origin's server.
fn initial_source(query_str: &str) -> (Source, bool) {
    if let Some(Ok(s)) = query::get(query_str, "source").map(|s| Source::parse(&s)) {
        return (s, true);
    }
    if let Some(Ok(s)) = dom::local_get(SOURCE_KEY).map(|s| Source::parse(&s)) {
        if !matches!(s, Source::Snapshot(_)) {
            return (s, false);
        }
    }
    (Source::Server(None), false)
}

struct State {
    source: Source,
    /// Bumped to open the same source again (choosing it anew, after a failure).
    attempt: u32,
    conn: Conn,
    generation: u32,
    live: Rc<Live>,
    notice: Option<String>,
}

#[function_component]
fn Root() -> Html {
    let location = use_location();
    let nav = use_navigator();
    let query_str = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    let state = use_state(|| {
        let (source, _) = initial_source(&query_str);
        State {
            source,
            attempt: 0,
            conn: Conn::Opening,
            generation: 0,
            live: Live::idle(),
            notice: None,
        }
    });
    let explicit = use_memo((), |_| initial_source(&query_str).1);
    let dark = use_state(|| match dom::local_get(THEME_KEY).as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => dom::prefers_dark(),
    });
    {
        let dark = *dark;
        use_effect_with(dark, move |_| dom::apply_theme(dark));
    }

    // Open the store whenever the source changes; an answer for a source no longer
    // wanted is dropped.
    let wanted_source = use_mut_ref(|| None::<Source>);
    {
        let state = state.clone();
        let explicit = *explicit;
        use_effect_with(
            (state.source.clone(), state.attempt),
            move |(source, attempt)| {
                let (source, attempt) = (source.clone(), *attempt);
                *wanted_source.borrow_mut() = Some(source.clone());
                let generation = state.generation + 1;
                state.set(State {
                    source: source.clone(),
                    attempt,
                    conn: Conn::Opening,
                    generation,
                    live: Live::idle(),
                    notice: state.notice.clone(),
                });
                wasm_bindgen_futures::spawn_local(async move {
                    let opened = open::open(&source).await;
                    if wanted_source.borrow().as_ref() != Some(&source) {
                        return;
                    }
                    match opened {
                        Ok(store) => state.set(State {
                            live: Live::start(&source, store.clone()),
                            source,
                            attempt,
                            conn: Conn::Ready(store),
                            generation: generation + 1,
                            notice: None,
                        }),
                        // Nothing serves this origin's API (a static host or `trunk serve`):
                        // show this browser's runs instead, and say so.
                        Err(e) if source == Source::Server(None) && !explicit => {
                            state.set(State {
                            source: Source::IndexedDb(DEFAULT_BROWSER_DB.into()),
                            attempt,
                            conn: Conn::Opening,
                            generation: generation + 1,
                            live: Live::idle(),
                            notice: Some(format!(
                                "No Sextant server answers at this address ({e}); showing this browser's runs. Pick another source under Sources."
                            )),
                        });
                        }
                        Err(e) => state.set(State {
                            source,
                            attempt,
                            conn: Conn::Failed(e),
                            generation: generation + 1,
                            live: Live::idle(),
                            notice: None,
                        }),
                    }
                });
            },
        );
    }

    // Follow `?source=` when the URL changes it (back/forward, a pasted deep link).
    {
        let state = state.clone();
        let wanted = query::get(&query_str, "source").and_then(|s| Source::parse(&s).ok());
        use_effect_with(wanted, move |wanted| {
            if let Some(w) = wanted {
                if *w != state.source {
                    state.set(State {
                        source: w.clone(),
                        attempt: state.attempt,
                        conn: Conn::Opening,
                        generation: state.generation + 1,
                        live: Live::idle(),
                        notice: None,
                    });
                }
            }
        });
    }

    let set_source = {
        let state = state.clone();
        let nav = nav.clone();
        Callback::from(move |source: Source| {
            if !matches!(source, Source::Snapshot(_)) {
                dom::local_set(SOURCE_KEY, &source.to_param());
            }
            if let Some(nav) = &nav {
                route::go(nav, &Route::Experiments, &[], &source, false);
            }
            state.set(State {
                source,
                attempt: state.attempt + 1,
                conn: Conn::Opening,
                generation: state.generation + 1,
                live: Live::idle(),
                notice: None,
            });
        })
    };
    let toggle_theme = {
        let dark = dark.clone();
        Callback::from(move |_| {
            let next = !*dark;
            dom::local_set(THEME_KEY, if next { "dark" } else { "light" });
            dark.set(next);
        })
    };
    let file_error = use_state(|| None::<String>);
    let open_file = {
        let set_source = set_source.clone();
        let file_error = file_error.clone();
        Callback::from(move |file: web_sys::File| {
            let set_source = set_source.clone();
            let file_error = file_error.clone();
            file_error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                match snapshot::open(&file).await {
                    Ok(store) => {
                        open::remember_file(&name, store);
                        set_source.emit(Source::Snapshot(name));
                    }
                    Err(e) => file_error.set(Some(format!("Could not open {name}: {e}"))),
                }
            });
        })
    };
    let dismiss_notice = {
        let state = state.clone();
        let file_error = file_error.clone();
        Callback::from(move |_| {
            file_error.set(None);
            state.set(State {
                source: state.source.clone(),
                attempt: state.attempt,
                conn: state.conn.clone(),
                generation: state.generation,
                live: state.live.clone(),
                notice: None,
            });
        })
    };
    let ctx = Ctx {
        source: state.source.clone(),
        conn: state.conn.clone(),
        generation: state.generation,
        live: state.live.clone(),
        dark: *dark,
        notice: (*file_error).clone().or_else(|| state.notice.clone()),
        actions: Actions {
            set_source,
            toggle_theme,
            open_file: open_file.clone(),
            dismiss_notice,
        },
    };
    // Dropping a snapshot anywhere on the page opens it.
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let ondrop = Callback::from(move |e: DragEvent| {
        let file = e
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0));
        if let Some(file) = file {
            e.prevent_default();
            open_file.emit(file);
        }
    });
    html! {
        <ContextProvider<Ctx> context={ctx}>
            <div class="shell" {ondragover} {ondrop}>
                <header::Header />
                <main class="page">
                    <Switch<Route> render={switch} />
                </main>
            </div>
        </ContextProvider<Ctx>>
    }
}

fn switch(route: Route) -> Html {
    match route {
        Route::Experiments => html! { <experiments::ExperimentsPage /> },
        Route::Overview { id } => {
            html! { <experiment::ExperimentPage {id} tab={experiment::Tab::Overview} /> }
        }
        Route::Charts { id } => {
            html! { <experiment::ExperimentPage {id} tab={experiment::Tab::Charts} /> }
        }
        Route::Attachments { id } => {
            html! { <experiment::ExperimentPage {id} tab={experiment::Tab::Attachments} /> }
        }
        Route::Traces { id } => {
            html! { <experiment::ExperimentPage {id} tab={experiment::Tab::Traces} /> }
        }
        Route::Images { id } => {
            html! { <experiment::ExperimentPage {id} tab={experiment::Tab::Images} /> }
        }
        Route::Evals { id } => {
            html! { <experiment::ExperimentPage {id} tab={experiment::Tab::Evals} /> }
        }
        Route::Compare => html! { <compare::ComparePage /> },
        Route::Sources => html! { <sources::SourcesPage /> },
        Route::NotFound => html! {
            <widgets::Empty title="Page not found">
                <p>{ "Nothing lives at this address. " }<route::Link to={Route::Experiments}>{ "Go to the experiments" }</route::Link></p>
            </widgets::Empty>
        },
    }
}

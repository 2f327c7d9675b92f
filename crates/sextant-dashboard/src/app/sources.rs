//! Choosing where the data comes from: this page's server, another server, this browser's
//! IndexedDB or localStorage, or a snapshot file opened here.

use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::ctx::{use_ctx, Conn};
use super::dom;
use super::open;
use crate::view::source::{Source, DEFAULT_BROWSER_DB};

/// The IndexedDB databases of this origin (Chromium and Firefox list them).
async fn idb_names() -> Vec<String> {
    let Some(factory) = dom::window().and_then(|w| w.indexed_db().ok().flatten()) else {
        return Vec::new();
    };
    let Ok(f) = Reflect::get(&factory, &"databases".into()) else {
        return Vec::new();
    };
    let Some(f) = f.dyn_ref::<js_sys::Function>() else {
        return Vec::new();
    };
    let Ok(promise) = f.call0(&factory) else {
        return Vec::new();
    };
    let Ok(list) = JsFuture::from(js_sys::Promise::from(promise)).await else {
        return Vec::new();
    };
    Array::from(&list)
        .iter()
        .filter_map(|db| Reflect::get(&db, &"name".into()).ok()?.as_string())
        .collect()
}

fn input_value(e: &InputEvent) -> Option<String> {
    e.target_dyn_into::<web_sys::HtmlInputElement>()
        .map(|i| i.value())
}

#[function_component]
pub fn SourcesPage() -> Html {
    let ctx = use_ctx();
    let server_url = use_state(|| "http://127.0.0.1:5000".to_string());
    let token = use_state(String::new);
    let db_name = use_state(|| DEFAULT_BROWSER_DB.to_string());
    let prefix = use_state(|| "sextant".to_string());
    let databases = use_state(Vec::<String>::new);
    let error = use_state(|| None::<String>);
    {
        let databases = databases.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                databases.set(idb_names().await);
            });
        });
    }
    let Some(ctx) = ctx else {
        return html! {};
    };
    let set = ctx.actions.set_source.clone();
    let use_source = |s: Source| {
        let set = set.clone();
        Callback::from(move |_| set.emit(s.clone()))
    };
    let connect_other = {
        let set = set.clone();
        let server_url = server_url.clone();
        let token = token.clone();
        let error = error.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match Source::parse(&server_url) {
                Ok(s @ Source::Server(Some(_))) => {
                    if let Source::Server(Some(u)) = &s {
                        open::set_token(u, &token);
                    }
                    error.set(None);
                    set.emit(s);
                }
                Ok(_) => error.set(Some("Enter a server address like http://host:5000".into())),
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    let use_db = {
        let set = set.clone();
        let db_name = db_name.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            set.emit(Source::IndexedDb(db_name.trim().to_string()));
        })
    };
    let use_local = {
        let set = set.clone();
        let prefix = prefix.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            set.emit(Source::LocalStorage(prefix.trim().to_string()));
        })
    };
    let bind = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(v) = input_value(&e) {
                state.set(v);
            }
        })
    };
    let on_file = {
        let open_file = ctx.actions.open_file.clone();
        Callback::from(move |e: Event| {
            let file = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                open_file.emit(file);
            }
        })
    };
    let status = match &ctx.conn {
        Conn::Opening => html! { <span class="muted">{ "opening…" }</span> },
        Conn::Ready(_) => html! { <span class="ok-text">{ "open" }</span> },
        Conn::Failed(e) => html! { <span class="err-text">{ format!("failed: {e}") }</span> },
    };
    let current = |s: &Source| ctx.source == *s;
    html! {
        <div class="sources">
            <h1>{ "Data sources" }</h1>
            <p class="muted">{ "Reading from " }<strong>{ ctx.source.label() }</strong>{ " — " }{ status }</p>
            if let Some(e) = &*error { <div class="error-box">{ e.clone() }</div> }
            <div class="source-grid">
                <section class={classes!("card", "source-card", current(&Source::Server(None)).then_some("current"))}>
                    <h3>{ "This server" }</h3>
                    <p class="muted">{ "The sextant server that served this page (sextant ui). Live updates stream as runs log." }</p>
                    <button class="btn primary" onclick={use_source(Source::Server(None))}>{ "Use this server" }</button>
                </section>
                <section class="card source-card">
                    <h3>{ "Another server" }</h3>
                    <form onsubmit={connect_other}>
                        <input type="url" value={(*server_url).clone()} oninput={bind(&server_url)} aria-label="Server address" />
                        <input type="password" placeholder="token (if the server wants one)" value={(*token).clone()} oninput={bind(&token)} aria-label="Token" />
                        <button class="btn" type="submit">{ "Connect" }</button>
                    </form>
                    <p class="muted small">{ "The server must allow this page's origin: sextant ui --cors ORIGIN." }</p>
                </section>
                <section class="card source-card">
                    <h3>{ "This browser" }</h3>
                    <p class="muted">{ "Runs logged by pages of this origin with the JS tracker (idb:// or localstorage://)." }</p>
                    if !databases.is_empty() {
                        <div class="db-list">
                            { for databases.iter().map(|name| html! {
                                <button class="btn small" onclick={use_source(Source::IndexedDb(name.clone()))}>{ format!("idb://{name}") }</button>
                            }) }
                        </div>
                    }
                    <form onsubmit={use_db}>
                        <input value={(*db_name).clone()} oninput={bind(&db_name)} aria-label="IndexedDB name" />
                        <button class="btn" type="submit">{ "Open IndexedDB" }</button>
                    </form>
                    <form onsubmit={use_local}>
                        <input value={(*prefix).clone()} oninput={bind(&prefix)} aria-label="localStorage prefix" />
                        <button class="btn" type="submit">{ "Open localStorage" }</button>
                    </form>
                </section>
                <section class="card source-card">
                    <h3>{ "A snapshot file" }</h3>
                    <p class="muted">{ "A luml snapshot tar (sextant export ID FILE). It is read here in the browser; nothing is uploaded. You can also drop it anywhere on the page." }</p>
                    <label class="file-drop">
                        <input type="file" accept=".tar,.luml,application/x-tar" onchange={on_file} />
                        <span>{ "Choose a file…" }</span>
                    </label>
                </section>
            </div>
        </div>
    }
}

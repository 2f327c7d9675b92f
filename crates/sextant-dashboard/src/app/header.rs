//! The top bar: where the data comes from, navigation, the theme switch, and notices.

use yew::prelude::*;

use super::ctx::{use_ctx, Conn};
use super::route::{Link, Route};

#[function_component]
pub fn Header() -> Html {
    let Some(ctx) = use_ctx() else {
        return html! {};
    };
    let (state, title) = match &ctx.conn {
        Conn::Opening => ("opening", "connecting…".to_string()),
        Conn::Ready(_) if ctx.source.pushes_changes() => ("ready", "connected, live".to_string()),
        Conn::Ready(_) => ("ready", "open".to_string()),
        Conn::Failed(e) => ("failed", e.clone()),
    };
    let toggle = {
        let t = ctx.actions.toggle_theme.clone();
        Callback::from(move |_| t.emit(()))
    };
    let dismiss = {
        let d = ctx.actions.dismiss_notice.clone();
        Callback::from(move |_| d.emit(()))
    };
    html! {
        <>
        <header class="topbar">
            <Link to={Route::Experiments} class="brand">
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                    <path d="M4 20 L12 4 L20 20" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>
                    <path d="M6.5 15 A 8 8 0 0 1 17.5 15" fill="none" stroke="currentColor" stroke-width="2"/>
                </svg>
                <span>{ "Sextant" }</span>
            </Link>
            <nav class="nav">
                <Link to={Route::Experiments}>{ "Experiments" }</Link>
                <Link to={Route::Sources}>{ "Sources" }</Link>
            </nav>
            <div class="spacer"></div>
            <Link to={Route::Sources} class={classes!("source-pill", state)} title={title}>
                <span class="dot"></span>
                <span class="label">{ ctx.source.label() }</span>
            </Link>
            <button class="icon-btn" onclick={toggle} title="Switch light/dark theme" aria-label="Switch theme">
                { if ctx.dark { "☀" } else { "☾" } }
            </button>
        </header>
        if let Some(n) = ctx.notice.clone() {
            <div class="notice">
                <span>{ n }</span>
                <button class="icon-btn" onclick={dismiss} aria-label="Dismiss">{ "×" }</button>
            </div>
        }
        </>
    }
}

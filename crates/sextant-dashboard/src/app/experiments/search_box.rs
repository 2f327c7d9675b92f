//! The search box over the table: plain words or the search language, with key
//! completion from the runs' own keys, the syntax a click away, and a mistake shown under
//! the box with its column marked.

use std::rc::Rc;

use yew::prelude::*;

use crate::view::search::{self, Search};
use crate::view::table::Keys;

#[derive(Properties, PartialEq)]
pub struct SearchProps {
    pub text: String,
    pub search: Rc<Search>,
    pub keys: Rc<Keys>,
    pub on_input: Callback<String>,
}

#[function_component]
pub fn SearchBox(props: &SearchProps) -> Html {
    let oninput = {
        let on_input = props.on_input.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                on_input.emit(input.value());
            }
        })
    };
    let suggestions = search::suggestions(&props.text, &props.keys, 12);
    let error = match &*props.search {
        Search::Invalid { message, column } => {
            let chars: Vec<char> = props.text.chars().collect();
            let at = column.map_or(chars.len(), |c| c.saturating_sub(1).min(chars.len()));
            let before: String = chars[..at].iter().collect();
            let marked: String = chars.get(at).map_or(" ".into(), |c| c.to_string());
            let after: String = chars
                .get(at + 1..)
                .map_or(String::new(), |r| r.iter().collect());
            html! {
                <div class="search-error" role="alert">
                    <code class="search-echo">{ before }<mark>{ marked }</mark>{ after }</code>
                    <span>{ message.clone() }</span>
                </div>
            }
        }
        _ => html! {},
    };
    let invalid = matches!(&*props.search, Search::Invalid { .. });
    html! {
        <div class="search-box">
            <div class="search-row">
                <input class={classes!("search", invalid.then_some("invalid"))} type="search"
                    placeholder="Search names, tags… or metrics.acc > 0.9 and params.lr = '0.01'"
                    list="search-keys" value={props.text.clone()} {oninput}
                    aria-label="Filter experiments" aria-invalid={invalid.to_string()} />
                <details class="search-help">
                    <summary class="btn ghost" title="Search syntax">{ "Syntax" }</summary>
                    <div class="search-help-body">
                        <table>
                            { for search::EXAMPLES.iter().map(|(q, what)| html! {
                                <tr><td><code>{ *q }</code></td><td class="muted">{ *what }</td></tr>
                            }) }
                        </table>
                    </div>
                </details>
            </div>
            <datalist id="search-keys">
                { for suggestions.into_iter().map(|s| html! { <option value={s} /> }) }
            </datalist>
            { error }
        </div>
    }
}

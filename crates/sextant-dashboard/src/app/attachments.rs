//! The attachments tab: a folder tree and a preview. Images show through `<img>` from a
//! Blob (SVG too, where scripts never run), Markdown through the safe renderer, JSON pretty,
//! CSV as a table, other text as text; nothing user-supplied becomes markup.

use std::collections::BTreeSet;
use std::rc::Rc;

use sextant_core::AttachmentInfo;
use yew::prelude::*;
use yew_router::prelude::*;

use super::ctx::use_ctx;
use super::dom::{self, ObjectUrl};
use super::markdown::Markdown;
use super::route::{self, use_query_param, Route};
use super::widgets::{Empty, ErrorBox, Loading};
use crate::view::attachments::{self, Node, Preview, TEXT_PREVIEW_BYTES};
use crate::view::{csv, format};

/// Rows a CSV preview shows.
const CSV_ROWS: usize = 500;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: String,
}

#[function_component]
pub fn AttachmentsTab(props: &Props) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let list = use_state(|| None::<Result<Rc<Vec<AttachmentInfo>>, String>>);
    let content = use_state(|| None::<(String, Result<Rc<Vec<u8>>, String>)>);
    let collapsed = use_state(BTreeSet::<String>::new);
    let selected = use_query_param("name");
    let store = ctx.as_ref().and_then(|c| c.store());
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);

    {
        let list = list.clone();
        let store = store.clone();
        let id = props.id.clone();
        use_effect_with((generation, id.clone()), move |_| {
            if let Some(store) = store {
                list.set(None);
                wasm_bindgen_futures::spawn_local(async move {
                    list.set(Some(
                        store
                            .list_attachments(&id)
                            .await
                            .map(Rc::new)
                            .map_err(|e| e.to_string()),
                    ));
                });
            }
        });
    }
    {
        let content = content.clone();
        let store = store.clone();
        let id = props.id.clone();
        use_effect_with(selected.clone(), move |name| {
            if let (Some(store), Some(name)) = (store, name.clone()) {
                content.set(Some((name.clone(), Err("loading".into()))));
                wasm_bindgen_futures::spawn_local(async move {
                    let bytes = store
                        .get_attachment(&id, &name)
                        .await
                        .map(Rc::new)
                        .map_err(|e| e.to_string());
                    content.set(Some((name, bytes)));
                });
            }
        });
    }

    let items = match &*list {
        None => return html! { <Loading label="Loading attachments…" /> },
        Some(Err(e)) => return html! { <ErrorBox message={e.clone()} /> },
        Some(Ok(items)) => items.clone(),
    };
    if items.is_empty() {
        return html! {
            <Empty title="No attachments">
                <p>{ "Files logged with log_attachment (plots, configs, samples, reports) show up here with previews." }</p>
            </Empty>
        };
    }
    let tree = attachments::tree(&items);
    let source = ctx.map(|c| c.source);
    let select = {
        let id = props.id.clone();
        Callback::from(move |name: String| {
            if let (Some(nav), Some(source)) = (&nav, &source) {
                route::go(
                    nav,
                    &Route::Attachments { id: id.clone() },
                    &[("name", name)],
                    source,
                    false,
                );
            }
        })
    };
    let toggle = {
        let collapsed = collapsed.clone();
        Callback::from(move |path: String| {
            let mut c = (*collapsed).clone();
            if !c.remove(&path) {
                c.insert(path);
            }
            collapsed.set(c);
        })
    };
    let preview = match (&*content, &selected) {
        (Some((name, result)), Some(sel)) if name == sel => match result {
            Err(e) if e == "loading" => html! { <Loading /> },
            Err(e) => html! { <ErrorBox message={e.clone()} /> },
            Ok(bytes) => {
                let info = items.iter().find(|a| &a.name == name).cloned();
                html! { <PreviewPane name={name.clone()} bytes={bytes.clone()} {info} /> }
            }
        },
        _ => html! { <p class="muted pad">{ "Pick a file to preview it." }</p> },
    };
    html! {
        <div class="attachments">
            <nav class="tree" aria-label="Attachments">
                { nodes(&tree, 0, selected.as_deref(), &collapsed, &select, &toggle) }
            </nav>
            <section class="preview">{ preview }</section>
        </div>
    }
}

fn nodes(
    list: &[Node],
    depth: usize,
    selected: Option<&str>,
    collapsed: &BTreeSet<String>,
    select: &Callback<String>,
    toggle: &Callback<String>,
) -> Html {
    let pad = format!("padding-left:{}px", 8 + depth * 14);
    html! {
        { for list.iter().map(|n| match n {
            Node::Folder { name, path, children } => {
                let closed = collapsed.contains(path);
                let onclick = {
                    let toggle = toggle.clone();
                    let path = path.clone();
                    Callback::from(move |_| toggle.emit(path.clone()))
                };
                html! {
                    <>
                        <button class="tree-item folder" style={pad.clone()} {onclick}>
                            <span class="caret">{ if closed { "▸" } else { "▾" } }</span>{ name.clone() }
                        </button>
                        if !closed { { nodes(children, depth + 1, selected, collapsed, select, toggle) } }
                    </>
                }
            }
            Node::File { name, info } => {
                let active = selected == Some(info.name.as_str());
                let onclick = {
                    let select = select.clone();
                    let full = info.name.clone();
                    Callback::from(move |_| select.emit(full.clone()))
                };
                html! {
                    <button class={classes!("tree-item", "file", active.then_some("active"))} style={pad.clone()} {onclick}
                        title={info.name.clone()} data-name={info.name.clone()}>
                        <span class="file-name">{ name.clone() }</span>
                        <span class="muted size">{ format::bytes(info.size) }</span>
                    </button>
                }
            }
        }) }
    }
}

#[derive(Properties, PartialEq)]
struct PreviewProps {
    name: String,
    bytes: Rc<Vec<u8>>,
    info: Option<AttachmentInfo>,
}

fn mime_for(kind: Preview) -> &'static str {
    match kind {
        Preview::Image(m) => m,
        Preview::Json => "application/json",
        Preview::Table(_) => "text/csv",
        Preview::Markdown | Preview::Text => "text/plain",
        Preview::Binary => "application/octet-stream",
    }
}

#[function_component]
fn PreviewPane(props: &PreviewProps) -> Html {
    let kind = attachments::preview(&props.name);
    let image = use_memo((props.name.clone(), props.bytes.len()), {
        let bytes = props.bytes.clone();
        move |_| match kind {
            Preview::Image(mime) => Some(ObjectUrl::new(&bytes, mime)),
            _ => None,
        }
    });
    let error = use_state(|| None::<String>);
    let base = props
        .name
        .rsplit('/')
        .next()
        .unwrap_or(&props.name)
        .to_string();
    let download = {
        let bytes = props.bytes.clone();
        let base = base.clone();
        let error = error.clone();
        Callback::from(move |_| {
            if let Err(e) = dom::download(&bytes, &base, mime_for(kind)) {
                error.set(Some(e));
            }
        })
    };
    let truncated = props.bytes.len() > TEXT_PREVIEW_BYTES;
    let text = || {
        String::from_utf8_lossy(&props.bytes[..props.bytes.len().min(TEXT_PREVIEW_BYTES)])
            .into_owned()
    };
    let body = match kind {
        Preview::Image(_) => match image.as_ref() {
            Some(Ok(url)) => {
                html! { <div class="image-box"><img src={url.url().to_string()} alt={props.name.clone()} /></div> }
            }
            Some(Err(e)) => html! { <ErrorBox message={e.clone()} /> },
            None => html! {},
        },
        Preview::Markdown => html! { <Markdown source={text()} /> },
        Preview::Json => {
            let t = text();
            let pretty = attachments::pretty_json(&t).unwrap_or(t);
            html! { <pre class="code json">{ pretty }</pre> }
        }
        Preview::Table(sep) => {
            let table = csv::parse(&text(), sep, CSV_ROWS);
            let mut rows = table.rows.iter();
            let head = rows.next().cloned().unwrap_or_default();
            html! {
                <div class="csv-box">
                    <table class="csv">
                        <thead><tr>{ for head.iter().map(|h| html! { <th>{ h.clone() }</th> }) }</tr></thead>
                        <tbody>
                            { for rows.map(|r| html! { <tr>{ for r.iter().map(|c| html! { <td>{ c.clone() }</td> }) }</tr> }) }
                        </tbody>
                    </table>
                    if table.truncated { <p class="muted">{ format!("First {CSV_ROWS} rows; download for the rest.") }</p> }
                </div>
            }
        }
        Preview::Text => html! { <pre class="code">{ text() }</pre> },
        Preview::Binary => {
            html! { <p class="muted pad">{ "No preview for this kind of file." }</p> }
        }
    };
    html! {
        <div class="preview-pane" data-preview={props.name.clone()}>
            <div class="preview-head">
                <strong>{ props.name.clone() }</strong>
                <span class="muted">{ format::bytes(props.bytes.len() as u64) }</span>
                if let Some(i) = &props.info {
                    <span class="muted">{ format::datetime(i.created_at, dom::tz_offset_ms()) }</span>
                }
                <div class="spacer"></div>
                <button class="btn small" onclick={download}>{ "Download" }</button>
            </div>
            if let Some(e) = &*error { <ErrorBox message={e.clone()} /> }
            if truncated && !matches!(kind, Preview::Image(_) | Preview::Binary) {
                <p class="muted">{ format!("Showing the first {}; download for the whole file.", format::bytes(TEXT_PREVIEW_BYTES as u64)) }</p>
            }
            { body }
        </div>
    }
}

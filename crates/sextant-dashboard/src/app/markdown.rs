//! Renders the safe Markdown tree as elements and text nodes (yew escapes text): user
//! content never becomes markup.

use yew::prelude::*;

use crate::view::markdown::{parse, Block, Inline};

#[derive(Properties, PartialEq)]
pub struct MarkdownProps {
    pub source: AttrValue,
}

#[function_component]
pub fn Markdown(props: &MarkdownProps) -> Html {
    let blocks = use_memo(props.source.clone(), |s| parse(s));
    html! { <div class="markdown">{ for blocks.iter().map(block) }</div> }
}

fn block(b: &Block) -> Html {
    match b {
        Block::Heading(level, text) => {
            let inner = inlines(text);
            match level {
                1 => html! { <h1>{ inner }</h1> },
                2 => html! { <h2>{ inner }</h2> },
                3 => html! { <h3>{ inner }</h3> },
                4 => html! { <h4>{ inner }</h4> },
                5 => html! { <h5>{ inner }</h5> },
                _ => html! { <h6>{ inner }</h6> },
            }
        }
        Block::Paragraph(text) => html! { <p>{ inlines(text) }</p> },
        Block::List { ordered, items } => {
            let items = items.iter().map(|i| html! { <li>{ inlines(i) }</li> });
            if *ordered {
                html! { <ol>{ for items }</ol> }
            } else {
                html! { <ul>{ for items }</ul> }
            }
        }
        Block::Code { text, .. } => html! { <pre><code>{ text.clone() }</code></pre> },
        Block::Quote(text) => html! { <blockquote>{ inlines(text) }</blockquote> },
        Block::Rule => html! { <hr /> },
    }
}

fn inlines(items: &[Inline]) -> Html {
    html! { <>{ for items.iter().map(inline) }</> }
}

fn inline(i: &Inline) -> Html {
    match i {
        Inline::Text(t) => html! { { t.clone() } },
        Inline::Code(c) => html! { <code>{ c.clone() }</code> },
        Inline::Strong(inner) => html! { <strong>{ inlines(inner) }</strong> },
        Inline::Emphasis(inner) => html! { <em>{ inlines(inner) }</em> },
        Inline::Link {
            text,
            href: Some(h),
        } => html! {
            <a href={h.clone()} target="_blank" rel="noopener noreferrer nofollow">{ inlines(text) }</a>
        },
        Inline::Link { text, href: None } => html! { <span>{ inlines(text) }</span> },
    }
}

//! Safe Markdown for attachment previews and descriptions: CommonMark parsed by
//! `pulldown-cmark` into a small tree the dashboard renders as text nodes. Raw HTML in the
//! source stays literal text, images show their alt text (nothing is fetched), and links
//! keep only `http`, `https` and `mailto` targets.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

/// A block-level element.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    Code {
        lang: String,
        text: String,
    },
    Quote(Vec<Inline>),
    Rule,
}

/// An inline element.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    /// `href` is `None` when the target was not a safe scheme: the text shows, unlinked.
    Link {
        text: Vec<Inline>,
        href: Option<String>,
    },
}

/// Parses CommonMark into blocks. Nested lists and paragraphs inside list items or quotes
/// are flattened into the item's or the quote's text: previews need the words, not layout.
pub fn parse(source: &str) -> Vec<Block> {
    let mut b = Builder::default();
    for event in Parser::new(source) {
        b.event(event);
    }
    b.flush_paragraph();
    b.blocks
}

/// Parses one paragraph's inline markup: `code`, **strong**, *emphasis*, [text](href).
pub fn inline(text: &str) -> Vec<Inline> {
    parse(text)
        .into_iter()
        .find_map(|block| match block {
            Block::Paragraph(inlines) => Some(inlines),
            _ => None,
        })
        .unwrap_or_default()
}

/// An inline element being built: its kind and what it holds so far.
#[derive(Debug)]
enum Open {
    Strong,
    Emphasis,
    Link(Option<String>),
    /// An image's alt text, shown as plain text.
    Image,
}

#[derive(Debug, Default)]
struct Builder {
    blocks: Vec<Block>,
    /// The current block's inlines, then one frame per open inline element.
    inlines: Vec<Inline>,
    open: Vec<(Open, Vec<Inline>)>,
    /// The outermost open list, and how deep lists are nested in it.
    list: Option<(bool, Vec<Vec<Inline>>)>,
    list_depth: usize,
    quote_depth: usize,
    code: Option<(String, String)>,
}

impl Builder {
    fn current(&mut self) -> &mut Vec<Inline> {
        match self.open.last_mut() {
            Some((_, inner)) => inner,
            None => &mut self.inlines,
        }
    }

    fn text(&mut self, text: &str) {
        if let Some((_, code)) = &mut self.code {
            code.push_str(text);
            return;
        }
        push(self.current(), Inline::Text(text.to_string()));
    }

    fn in_container(&self) -> bool {
        self.list.is_some() || self.quote_depth > 0
    }

    /// Ends a paragraph-like block: its own block at top level, else a word break in the
    /// list item or quote that holds it.
    fn end_paragraph(&mut self) {
        if self.in_container() {
            self.text(" ");
        } else {
            self.flush_paragraph();
        }
    }

    fn flush_paragraph(&mut self) {
        let inlines = trimmed(std::mem::take(&mut self.inlines));
        if !inlines.is_empty() {
            self.blocks.push(Block::Paragraph(inlines));
        }
    }

    fn end_item(&mut self) {
        let item = trimmed(std::mem::take(&mut self.inlines));
        if let (Some((_, items)), false) = (&mut self.list, item.is_empty()) {
            items.push(item);
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(c) => push(self.current(), Inline::Code(c.to_string())),
            Event::Html(h) | Event::InlineHtml(h) => self.text(&h),
            Event::InlineMath(m) | Event::DisplayMath(m) => self.text(&m),
            Event::SoftBreak | Event::HardBreak => self.text(" "),
            Event::Rule => {
                self.flush_paragraph();
                self.blocks.push(Block::Rule);
            }
            Event::FootnoteReference(r) => self.text(&format!("[{r}]")),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Strong => self.open.push((Open::Strong, Vec::new())),
            Tag::Emphasis => self.open.push((Open::Emphasis, Vec::new())),
            Tag::Link { dest_url, .. } => self
                .open
                .push((Open::Link(safe_href(&dest_url)), Vec::new())),
            Tag::Image { .. } => self.open.push((Open::Image, Vec::new())),
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::BlockQuote(_) => {
                if !self.in_container() {
                    self.flush_paragraph();
                }
                self.quote_depth += 1;
            }
            Tag::List(first) => {
                if self.list.is_none() {
                    self.flush_paragraph();
                    self.list = Some((first.is_some(), Vec::new()));
                } else {
                    // A nested list: what its parent item said so far is an item of its own.
                    self.end_item();
                }
                self.list_depth += 1;
            }
            Tag::Item => self.end_item(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Strong | TagEnd::Emphasis | TagEnd::Link | TagEnd::Image => {
                let Some((open, inner)) = self.open.pop() else {
                    return;
                };
                let inline = match open {
                    Open::Strong => Inline::Strong(inner),
                    Open::Emphasis => Inline::Emphasis(inner),
                    Open::Link(href) => Inline::Link { text: inner, href },
                    Open::Image => {
                        for i in inner {
                            push(self.current(), i);
                        }
                        return;
                    }
                };
                push(self.current(), inline);
            }
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.end_paragraph(),
            TagEnd::Heading(level) => {
                if self.in_container() {
                    self.text(" ");
                } else {
                    let inlines = trimmed(std::mem::take(&mut self.inlines));
                    self.blocks
                        .push(Block::Heading(heading_level(level), inlines));
                }
            }
            TagEnd::CodeBlock => {
                if let Some((lang, mut text)) = self.code.take() {
                    if text.ends_with('\n') {
                        text.pop();
                    }
                    self.blocks.push(Block::Code { lang, text });
                }
            }
            TagEnd::BlockQuote(_) => {
                self.quote_depth = self.quote_depth.saturating_sub(1);
                if self.quote_depth == 0 && self.list.is_none() {
                    let inlines = trimmed(std::mem::take(&mut self.inlines));
                    if !inlines.is_empty() {
                        self.blocks.push(Block::Quote(inlines));
                    }
                }
            }
            TagEnd::Item => self.end_item(),
            TagEnd::List(_) => {
                self.end_item();
                self.list_depth = self.list_depth.saturating_sub(1);
                if self.list_depth == 0 {
                    if let Some((ordered, items)) = self.list.take() {
                        self.blocks.push(Block::List { ordered, items });
                    }
                }
            }
            _ => {}
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Appends, joining neighbouring text so a sentence stays one text node.
fn push(inlines: &mut Vec<Inline>, inline: Inline) {
    if let (Some(Inline::Text(last)), Inline::Text(next)) = (inlines.last_mut(), &inline) {
        last.push_str(next);
        return;
    }
    inlines.push(inline);
}

/// Without the whitespace paragraph breaks left at either end.
fn trimmed(mut inlines: Vec<Inline>) -> Vec<Inline> {
    if let Some(Inline::Text(t)) = inlines.last_mut() {
        let keep = t.trim_end().len();
        t.truncate(keep);
        if t.is_empty() {
            inlines.pop();
        }
    }
    if let Some(Inline::Text(t)) = inlines.first_mut() {
        let trimmed = t.trim_start().to_string();
        *t = trimmed;
        if t.is_empty() {
            inlines.remove(0);
        }
    }
    inlines
}

/// Only these link targets become links.
pub fn safe_href(href: &str) -> Option<String> {
    let h = href.trim();
    let lower = h.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        .then(|| h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn blocks() {
        let doc = "# Title\n\nSome *nice* text\ncontinued.\n\n- a\n- b\n\n1. one\n2. two\n\n```py\nx = 1\n```\n> quoted\n---";
        let b = parse(doc);
        assert_eq!(b[0], Block::Heading(1, vec![text("Title")]));
        assert_eq!(
            b[1],
            Block::Paragraph(vec![
                text("Some "),
                Inline::Emphasis(vec![text("nice")]),
                text(" text continued.")
            ])
        );
        assert_eq!(
            b[2],
            Block::List {
                ordered: false,
                items: vec![vec![text("a")], vec![text("b")]]
            }
        );
        assert!(matches!(&b[3], Block::List { ordered: true, items } if items.len() == 2));
        assert_eq!(
            b[4],
            Block::Code {
                lang: "py".into(),
                text: "x = 1".into()
            }
        );
        assert_eq!(b[5], Block::Quote(vec![text("quoted")]));
        assert_eq!(b[6], Block::Rule);
    }

    #[test]
    fn nested_and_loose_lists_flatten_into_items() {
        let b = parse("- a\n\n  more\n- b\n  - b1\n  - b2\n> q1\n>\n> q2\n");
        assert_eq!(
            b[0],
            Block::List {
                ordered: false,
                items: vec![
                    vec![text("a more")],
                    vec![text("b")],
                    vec![text("b1")],
                    vec![text("b2")]
                ]
            }
        );
        assert_eq!(b[1], Block::Quote(vec![text("q1 q2")]));
    }

    #[test]
    fn inlines() {
        assert_eq!(
            inline("**bold** and `code` and [site](https://example.com)"),
            vec![
                Inline::Strong(vec![text("bold")]),
                text(" and "),
                Inline::Code("code".into()),
                text(" and "),
                Inline::Link {
                    text: vec![text("site")],
                    href: Some("https://example.com".into())
                }
            ]
        );
        assert_eq!(inline("2 * 3 * 4"), vec![text("2 * 3 * 4")]);
        assert_eq!(inline(r"\*not\*"), vec![text("*not*")]);
    }

    #[test]
    fn html_and_script_links_stay_inert() {
        // An HTML block stays literal text, links inside it included.
        let b = parse("<script>alert(1)</script> [x](javascript:void)");
        assert_eq!(
            b,
            vec![Block::Paragraph(vec![text(
                "<script>alert(1)</script> [x](javascript:void)"
            )])]
        );
        let b =
            parse("see <img src=x onerror=alert(1)> [x](javascript:void) ![alt](http://t/p.png)");
        assert_eq!(
            b,
            vec![Block::Paragraph(vec![
                text("see <img src=x onerror=alert(1)> "),
                Inline::Link {
                    text: vec![text("x")],
                    href: None
                },
                text(" alt"),
            ])]
        );
        assert_eq!(safe_href(" JAVASCRIPT:alert(1)"), None);
        assert_eq!(safe_href("data:text/html,hi"), None);
        assert!(safe_href("mailto:a@b.c").is_some());
    }
}

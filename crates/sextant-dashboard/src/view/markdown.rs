//! A small, safe Markdown subset for attachment previews and descriptions. It parses into
//! a tree of text the dashboard renders as text nodes: raw HTML in the source stays
//! literal text, and links keep only `http`, `https` and `mailto` targets.

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

pub fn parse(source: &str) -> Vec<Block> {
    let lines: Vec<&str> = source.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            i += 1;
            continue;
        }
        if let Some(lang) = trimmed.strip_prefix("```") {
            let mut text = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                text.push(lines[i]);
                i += 1;
            }
            i += 1;
            blocks.push(Block::Code {
                lang: lang.trim().to_string(),
                text: text.join("\n"),
            });
            continue;
        }
        if let Some((level, rest)) = heading(trimmed) {
            blocks.push(Block::Heading(level, inline(rest)));
            i += 1;
            continue;
        }
        if is_rule(trimmed) {
            blocks.push(Block::Rule);
            i += 1;
            continue;
        }
        if trimmed.starts_with('>') {
            let mut text = Vec::new();
            while i < lines.len() {
                let Some(rest) = lines[i].trim_start().strip_prefix('>') else {
                    break;
                };
                text.push(rest.trim());
                i += 1;
            }
            blocks.push(Block::Quote(inline(&text.join(" "))));
            continue;
        }
        if let Some((ordered, _)) = list_item(trimmed) {
            let mut items = Vec::new();
            while i < lines.len() {
                match list_item(lines[i].trim_start()) {
                    Some((o, rest)) if o == ordered => items.push(inline(rest)),
                    _ => break,
                }
                i += 1;
            }
            blocks.push(Block::List { ordered, items });
            continue;
        }
        let mut text = Vec::new();
        while i < lines.len() {
            let t = lines[i].trim_start();
            if t.is_empty()
                || t.starts_with("```")
                || t.starts_with('>')
                || heading(t).is_some()
                || list_item(t).is_some()
                || is_rule(t)
            {
                break;
            }
            text.push(t.trim_end());
            i += 1;
        }
        blocks.push(Block::Paragraph(inline(&text.join(" "))));
    }
    blocks
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        Some((hashes as u8, line[hashes..].trim()))
    } else {
        None
    }
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|c| t.chars().all(|x| x.to_string() == *c || x == ' '))
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some((false, rest));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 10 {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return Some((true, rest));
        }
    }
    None
}

/// Only these link targets become links.
pub fn safe_href(href: &str) -> Option<String> {
    let h = href.trim();
    let lower = h.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        .then(|| h.to_string())
}

/// Parses inline markup: `code`, **strong**, *emphasis* / _emphasis_, [text](href).
pub fn inline(text: &str) -> Vec<Inline> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    let flush = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            plain.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '`' {
            if let Some(end) = find(&chars, i + 1, "`") {
                flush(&mut plain, &mut out);
                out.push(Inline::Code(chars[i + 1..end].iter().collect()));
                i = end + 1;
                continue;
            }
        }
        if c == '*' && chars.get(i + 1) == Some(&'*') {
            if let Some(end) = find(&chars, i + 2, "**").filter(|e| *e > i + 2) {
                flush(&mut plain, &mut out);
                let inner: String = chars[i + 2..end].iter().collect();
                out.push(Inline::Strong(inline(&inner)));
                i = end + 2;
                continue;
            }
        }
        if (c == '*' || c == '_') && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
            if let Some(end) = find(&chars, i + 1, &c.to_string()).filter(|e| *e > i + 1) {
                flush(&mut plain, &mut out);
                let inner: String = chars[i + 1..end].iter().collect();
                out.push(Inline::Emphasis(inline(&inner)));
                i = end + 1;
                continue;
            }
        }
        if c == '[' {
            if let Some(close) = find(&chars, i + 1, "](") {
                if let Some(end) = find(&chars, close + 2, ")") {
                    flush(&mut plain, &mut out);
                    let label: String = chars[i + 1..close].iter().collect();
                    let href: String = chars[close + 2..end].iter().collect();
                    out.push(Inline::Link {
                        text: inline(&label),
                        href: safe_href(&href),
                    });
                    i = end + 1;
                    continue;
                }
            }
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, &mut out);
    out
}

fn find(chars: &[char], from: usize, pat: &str) -> Option<usize> {
    let pat: Vec<char> = pat.chars().collect();
    (from..chars.len().saturating_sub(pat.len() - 1)).find(|&i| chars[i..].starts_with(&pat))
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
        let b = parse("<script>alert(1)</script> [x](javascript:void)");
        assert_eq!(
            b,
            vec![Block::Paragraph(vec![
                text("<script>alert(1)</script> "),
                Inline::Link {
                    text: vec![text("x")],
                    href: None
                }
            ])]
        );
        assert_eq!(safe_href(" JAVASCRIPT:alert(1)"), None);
        assert_eq!(safe_href("data:text/html,hi"), None);
        assert!(safe_href("mailto:a@b.c").is_some());
    }
}

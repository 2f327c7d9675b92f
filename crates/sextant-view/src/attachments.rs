//! Attachments as a folder tree, and how each kind of file previews. Nothing here decides
//! to run content: images go through `<img>` (SVG included, where scripts cannot run),
//! text-like files render as text.

use sextant_core::AttachmentInfo;

/// How a file previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preview {
    /// An image, shown with `<img>` from a Blob of this MIME type.
    Image(&'static str),
    Markdown,
    Json,
    /// Comma- or tab-separated, with the separator.
    Table(char),
    Text,
    /// No preview: offer the download.
    Binary,
}

pub fn preview(name: &str) -> Preview {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => Preview::Image("image/png"),
        "jpg" | "jpeg" => Preview::Image("image/jpeg"),
        "gif" => Preview::Image("image/gif"),
        "webp" => Preview::Image("image/webp"),
        "bmp" => Preview::Image("image/bmp"),
        "svg" => Preview::Image("image/svg+xml"),
        "md" | "markdown" => Preview::Markdown,
        "json" | "jsonl" | "ipynb" => Preview::Json,
        "csv" => Preview::Table(','),
        "tsv" => Preview::Table('\t'),
        "txt" | "log" | "yaml" | "yml" | "toml" | "ini" | "cfg" | "py" | "rs" | "js" | "ts"
        | "sh" | "html" | "htm" | "xml" | "out" | "err" | "" => Preview::Text,
        _ => Preview::Binary,
    }
}

/// Text previews stop here; the download has the rest.
pub const TEXT_PREVIEW_BYTES: usize = 1 << 20;

/// JSON pretty-printed, or `None` when it is not JSON (JSON Lines: each line).
pub fn pretty_json(text: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        return serde_json::to_string_pretty(&v).ok();
    }
    let lines: Option<Vec<String>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
        })
        .collect();
    lines.filter(|l| !l.is_empty()).map(|l| l.join("\n"))
}

/// A folder or file in the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Folder {
        name: String,
        path: String,
        children: Vec<Node>,
    },
    File {
        name: String,
        info: AttachmentInfo,
    },
}

impl Node {
    pub fn name(&self) -> &str {
        match self {
            Node::Folder { name, .. } | Node::File { name, .. } => name,
        }
    }
}

/// Builds the tree from `/`-separated names: folders first, then files, each by name.
pub fn tree(items: &[AttachmentInfo]) -> Vec<Node> {
    let mut root = Vec::new();
    for info in items {
        let parts: Vec<&str> = info.name.split('/').filter(|p| !p.is_empty()).collect();
        let Some((file, folders)) = parts.split_last() else {
            continue;
        };
        let mut level = &mut root;
        let mut path = String::new();
        for f in folders {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(f);
            let pos = level
                .iter()
                .position(|n| matches!(n, Node::Folder { name, .. } if name == f));
            let idx = match pos {
                Some(i) => i,
                None => {
                    level.push(Node::Folder {
                        name: f.to_string(),
                        path: path.clone(),
                        children: Vec::new(),
                    });
                    level.len() - 1
                }
            };
            level = match &mut level[idx] {
                Node::Folder { children, .. } => children,
                Node::File { .. } => return root,
            };
        }
        level.push(Node::File {
            name: file.to_string(),
            info: info.clone(),
        });
    }
    sort(&mut root);
    root
}

fn sort(nodes: &mut [Node]) {
    nodes.sort_by(|a, b| {
        let folder = |n: &Node| matches!(n, Node::File { .. });
        folder(a)
            .cmp(&folder(b))
            .then_with(|| a.name().cmp(b.name()))
    });
    for n in nodes {
        if let Node::Folder { children, .. } = n {
            sort(children);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> AttachmentInfo {
        AttachmentInfo {
            name: name.into(),
            size: 1,
            created_at: 0,
        }
    }

    #[test]
    fn previews_by_extension() {
        assert_eq!(preview("plots/a.PNG"), Preview::Image("image/png"));
        assert_eq!(preview("x.svg"), Preview::Image("image/svg+xml"));
        assert_eq!(preview("README.md"), Preview::Markdown);
        assert_eq!(preview("data.tsv"), Preview::Table('\t'));
        assert_eq!(preview("page.html"), Preview::Text);
        assert_eq!(preview("weights.bin"), Preview::Binary);
        assert_eq!(preview("Makefile"), Preview::Text);
    }

    #[test]
    fn json_and_json_lines_pretty_print() {
        assert_eq!(
            pretty_json("{\"a\":1}").as_deref(),
            Some("{\n  \"a\": 1\n}")
        );
        assert_eq!(pretty_json("1\n2\n").as_deref(), Some("1\n2"));
        assert_eq!(pretty_json("{oops"), None);
    }

    #[test]
    fn builds_a_sorted_tree() {
        let t = tree(&[
            info("z.txt"),
            info("plots/b.png"),
            info("plots/deep/c.csv"),
            info("a.md"),
            info("plots/a.png"),
        ]);
        let top: Vec<&str> = t.iter().map(Node::name).collect();
        assert_eq!(top, ["plots", "a.md", "z.txt"]);
        let Node::Folder { children, path, .. } = &t[0] else {
            panic!("expected a folder");
        };
        assert_eq!(path, "plots");
        let inner: Vec<&str> = children.iter().map(Node::name).collect();
        assert_eq!(inner, ["deep", "a.png", "b.png"]);
    }
}

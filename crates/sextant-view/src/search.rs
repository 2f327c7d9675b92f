//! The experiments page's search box: plain words search names, ids, groups, tags and
//! descriptions; text that reads as the search language (`metrics.acc > 0.9 and
//! params.lr = '0.01'`) filters with it, and a mistake in it is shown with its column.
//! Suggestions complete the key being typed from the keys the runs have.

use sextant_core::search::{Attribute, Expr, KeySpace, Query};
use sextant_core::Error;

use crate::table::Keys;

/// What the box's text asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Search {
    /// Nothing typed: every run.
    All,
    /// Plain words, matched against names, ids, groups, tags and descriptions.
    Text(String),
    /// A filter in the search language.
    Filter(Expr),
    /// Text meant as a filter that does not parse: the message, and the 1-based column
    /// it points at when it names one.
    Invalid {
        message: String,
        column: Option<usize>,
    },
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether the text is written as a filter (so a parse error is worth showing) rather
/// than plain words that happen not to parse.
fn looks_like_filter(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with('(') {
        return true;
    }
    let word: String = t.chars().take_while(|c| word_char(*c)).collect();
    let rest = t[word.len()..].trim_start();
    let lower = word.to_lowercase();
    if rest.starts_with('.') {
        return KeySpace::from_prefix(&lower).is_some();
    }
    let bare_key = lower == "tags" || lower == "tag" || Attribute::from_name(&lower).is_some();
    let rest = rest.to_lowercase();
    bare_key
        && (rest.starts_with(['=', '!', '<', '>'])
            || ["like ", "ilike ", "in ", "in(", "not "]
                .iter()
                .any(|op| rest.starts_with(op)))
}

/// Reads the box's text.
pub fn interpret(text: &str) -> Search {
    let t = text.trim();
    if t.is_empty() {
        return Search::All;
    }
    match Query::parse_filter(t) {
        Ok(Some(expr)) => Search::Filter(expr),
        Ok(None) => Search::All,
        Err(e) if looks_like_filter(t) => {
            let message = match &e {
                Error::InvalidInput { reason, .. } => reason.clone(),
                other => other.to_string(),
            };
            // The column counts in the trimmed text; shift it to the box's text.
            let lead = text.chars().take_while(|c| c.is_whitespace()).count();
            let column = message
                .rsplit_once("at column ")
                .and_then(|(_, n)| n.trim().parse::<usize>().ok())
                .map(|c| c + lead);
            Search::Invalid { message, column }
        }
        Err(_) => Search::Text(t.to_string()),
    }
}

/// A key name as the language writes it: backquoted unless it is one plain word.
fn quoted(name: &str) -> String {
    if !name.is_empty() && name.chars().all(word_char) {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', ""))
    }
}

/// Completions of the key being typed at the end of `text`, each the whole text with that
/// key completed (what a `<datalist>` offers), at most `limit`.
pub fn suggestions(text: &str, keys: &Keys, limit: usize) -> Vec<String> {
    let start = text
        .rfind(|c: char| c.is_whitespace() || c == '(')
        .map_or(0, |i| i + 1);
    let (head, token) = text.split_at(start);
    let token_lower = token.to_lowercase();
    let mut out = Vec::new();
    match token.split_once('.') {
        Some((prefix, partial)) => {
            let partial = partial.trim_start_matches('`').to_lowercase();
            let names: Vec<&str> = match KeySpace::from_prefix(prefix) {
                Some(KeySpace::Metric) => keys.metrics.iter().map(String::as_str).collect(),
                Some(KeySpace::Param) => keys.params.iter().map(String::as_str).collect(),
                Some(KeySpace::Attribute) => Attribute::NAMES.to_vec(),
                Some(KeySpace::Tag) | None => Vec::new(),
            };
            for name in names {
                if name.to_lowercase().starts_with(&partial) {
                    out.push(format!("{head}{prefix}.{}", quoted(name)));
                }
            }
        }
        None if !token.is_empty() => {
            for word in ["metrics.", "params.", "attributes.", "tags"] {
                if word.starts_with(&token_lower) && word != token_lower {
                    out.push(format!("{head}{word}"));
                }
            }
        }
        None => {}
    }
    out.truncate(limit);
    out
}

/// Examples shown under "Syntax" beside the box.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "resnet cifar",
        "plain words: name, id, group, tag or description",
    ),
    ("metrics.val_acc > 0.9", "latest value of a metric"),
    ("params.optimizer = 'adamw'", "a param (strings in quotes)"),
    (
        "metrics.`train/loss` < 0.1",
        "backquotes for names with / or spaces",
    ),
    (
        "attributes.status = 'completed'",
        "status, name, group, created_at, duration",
    ),
    ("tags = 'baseline'", "runs with that tag; tags LIKE 'res%'"),
    (
        "attributes.name LIKE '%resnet%' or params.lr IN ('0.1', '0.01')",
        "and, or, (), LIKE, ILIKE, IN, NOT IN",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys {
            params: vec!["lr".into(), "optimizer".into()],
            metrics: vec!["train/loss".into(), "val_acc".into()],
        }
    }

    #[test]
    fn plain_words_are_text_and_filters_are_filters() {
        assert_eq!(interpret("  "), Search::All);
        assert_eq!(interpret("resnet 50"), Search::Text("resnet 50".into()));
        assert_eq!(interpret("lr=0.1 run"), Search::Text("lr=0.1 run".into()));
        assert!(matches!(interpret("metrics.acc > 0.5"), Search::Filter(_)));
        assert!(matches!(
            interpret("status = 'completed'"),
            Search::Filter(_)
        ));
        assert!(matches!(interpret("tags = 'baseline'"), Search::Filter(_)));
    }

    #[test]
    fn broken_filters_say_where() {
        let Search::Invalid { message, column } = interpret("metrics.acc >") else {
            panic!("not invalid");
        };
        assert!(message.contains("column"), "{message}");
        assert_eq!(column, Some(14));
        // Leading spaces in the box shift the column with the text.
        let Search::Invalid { column, .. } = interpret("  metrics.acc >") else {
            panic!("not invalid");
        };
        assert_eq!(column, Some(16));
        assert!(matches!(
            interpret("(metrics.acc > 1"),
            Search::Invalid { .. }
        ));
        assert!(matches!(interpret("status ="), Search::Invalid { .. }));
    }

    #[test]
    fn suggestions_complete_the_last_key() {
        assert_eq!(
            suggestions("metrics.v", &keys(), 5),
            vec!["metrics.val_acc".to_string()]
        );
        assert_eq!(
            suggestions("params.lr = '1' and metrics.t", &keys(), 5),
            vec!["params.lr = '1' and metrics.`train/loss`".to_string()]
        );
        assert_eq!(suggestions("me", &keys(), 5), vec!["metrics.".to_string()]);
        assert_eq!(
            suggestions("attributes.st", &keys(), 5),
            vec!["attributes.status".to_string()]
        );
        assert!(suggestions("", &keys(), 5).is_empty());
        assert_eq!(suggestions("params.", &keys(), 1).len(), 1);
    }
}

//! Metric keys grouped into chart sections by their prefix (`train/…`, `val/…`), W&B
//! style: keys without a `/` share one section.

/// The section name for keys without a prefix.
pub const UNGROUPED: &str = "metrics";

/// Sections in order (named prefixes alphabetically, the unprefixed section first), each
/// with its keys sorted.
pub fn by_prefix<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<(String, Vec<String>)> {
    let mut sections: std::collections::BTreeMap<(bool, String), Vec<String>> = Default::default();
    for key in keys {
        let section = match key.split_once('/') {
            Some((prefix, _)) if !prefix.is_empty() => (true, prefix.to_string()),
            _ => (false, UNGROUPED.to_string()),
        };
        sections.entry(section).or_default().push(key.to_string());
    }
    sections
        .into_iter()
        .map(|((_, name), mut keys)| {
            keys.sort();
            keys.dedup();
            (name, keys)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_first_segment() {
        let s = by_prefix(["val/acc", "train/loss", "lr", "train/acc", "val/acc"]);
        assert_eq!(
            s,
            vec![
                ("metrics".to_string(), vec!["lr".to_string()]),
                (
                    "train".to_string(),
                    vec!["train/acc".to_string(), "train/loss".to_string()]
                ),
                ("val".to_string(), vec!["val/acc".to_string()]),
            ]
        );
        assert_eq!(by_prefix(["/odd"])[0].0, "metrics");
    }
}

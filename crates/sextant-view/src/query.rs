//! URL query strings: the deep links (`?ids=a,b`, `?key=train/loss`, `?source=…`) are
//! read and written here, percent-encoding included.

/// Decoded `name=value` pairs in order ('+' is a space, as forms send it).
pub fn parse(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub fn get(query: &str, name: &str) -> Option<String> {
    parse(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Writes pairs back, skipping empty values.
pub fn build<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let parts: Vec<String> = pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes everything but unreserved characters and the few that read well in a
/// URL and mean nothing in a query value (`/`, `:`, `,`).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/:,".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// A comma-separated list (`ids=a,b`), empty items dropped, duplicates kept once.
pub fn list(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let q = build([("key", "train/loss 1"), ("ids", "a,b"), ("empty", "")]);
        assert_eq!(q, "?key=train/loss%201&ids=a,b");
        assert_eq!(get(&q, "key").as_deref(), Some("train/loss 1"));
        assert_eq!(get(&q, "ids").as_deref(), Some("a,b"));
        assert_eq!(get(&q, "nope"), None);
        assert_eq!(build([("a", "")]), "");
    }

    #[test]
    fn decodes_odd_input() {
        assert_eq!(decode("a+b%2Fc%zz%"), "a b/c%zz%");
        assert_eq!(decode("%E2%9C%93"), "✓");
        assert_eq!(
            parse("?x&y=1"),
            vec![("x".into(), "".into()), ("y".into(), "1".into())]
        );
    }

    #[test]
    fn lists() {
        assert_eq!(list("a, b,,a,c"), ["a", "b", "c"]);
        assert!(list("").is_empty());
    }
}

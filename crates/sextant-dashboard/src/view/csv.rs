//! CSV for attachment previews: RFC 4180 quoting, comma or tab separated, cut at a row
//! limit so a huge file previews quickly.

/// Parsed rows and whether the input had more than `max_rows`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
    pub truncated: bool,
}

pub fn parse(text: &str, separator: char, max_rows: usize) -> Table {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut truncated = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                if rows.len() >= max_rows {
                    truncated = chars.peek().is_some();
                    return Table { rows, truncated };
                }
            }
            c if c == separator => row.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Table { rows, truncated }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_separators_and_newlines() {
        let t = parse(
            "a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"multi\nline\",\n",
            ',',
            100,
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[1], ["1", "x, y", "say \"hi\""]);
        assert_eq!(t.rows[2], ["2", "multi\nline", ""]);
        assert!(!t.truncated);
    }

    #[test]
    fn tabs_and_row_limit() {
        let t = parse("a\tb\n1\t2\n3\t4\n", '\t', 2);
        assert_eq!(t.rows, [vec!["a", "b"], vec!["1", "2"]]);
        assert!(t.truncated);
        let last_line_without_newline = parse("a,b\n1,2", ',', 10);
        assert_eq!(last_line_without_newline.rows[1], ["1", "2"]);
    }
}

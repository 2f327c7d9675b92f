//! CSV for attachment previews: RFC 4180 quoting, comma or tab separated, cut at a row
//! limit so a huge file previews quickly.

/// Parsed rows and whether the input had more than `max_rows`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
    pub truncated: bool,
}

/// Parses up to `max_rows` records with `csv-core` (RFC 4180: quotes, doubled quotes,
/// separators and newlines inside quotes, CRLF). A separator outside ASCII parses as `,`.
pub fn parse(text: &str, separator: char, max_rows: usize) -> Table {
    let delimiter = u8::try_from(separator).unwrap_or(b',');
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut input = text.as_bytes();
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let (result, read, written) = reader.read_field(input, &mut buf);
        input = &input[read..];
        field.extend_from_slice(&buf[..written]);
        match result {
            // Everything is in `input` already: an empty slice tells the reader it ended.
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
            csv_core::ReadFieldResult::Field { record_end } => {
                row.push(String::from_utf8_lossy(&std::mem::take(&mut field)).into_owned());
                if record_end {
                    rows.push(std::mem::take(&mut row));
                    if rows.len() >= max_rows {
                        let truncated = !input.iter().all(|b| matches!(b, b'\r' | b'\n'));
                        return Table { rows, truncated };
                    }
                }
            }
            csv_core::ReadFieldResult::End => {
                return Table {
                    rows,
                    truncated: false,
                }
            }
        }
    }
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

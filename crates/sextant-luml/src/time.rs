//! luml's timestamps: ISO-8601 text in UTC, written as Python's `datetime.isoformat()`
//! does and read in every form found in luml stores.

/// Formats unix milliseconds as ISO-8601 UTC text, the way luml's Python writes timestamps.
pub fn iso_from_millis(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
        None => "1970-01-01T00:00:00.000000+00:00".to_string(),
    }
}

/// Formats unix milliseconds as SQLite's `CURRENT_TIMESTAMP` text with milliseconds
/// (`2026-11-28 16:05:12.123`): the form luml's eval tables hold, so rows sort the same
/// whoever wrote them, and Python's `sqlite3` timestamp converter reads it.
pub fn sql_from_millis(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => "1970-01-01 00:00:00.000".to_string(),
    }
}

/// Parses the timestamp forms found in luml stores (`2026-11-28 16:05:12`,
/// `2026-11-28T16:05:12.123456+00:00`, with or without zone) into unix milliseconds.
pub fn millis_from_iso(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(dt) = chrono::DateTime::parse_from_str(t, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_luml_timestamp_forms() {
        assert_eq!(millis_from_iso("1970-01-01 00:00:01"), Some(1000));
        assert_eq!(
            millis_from_iso("1970-01-01T00:00:01.500000+00:00"),
            Some(1500)
        );
        assert_eq!(millis_from_iso("1970-01-01T01:00:01+01:00"), Some(1000));
        assert_eq!(
            millis_from_iso(&iso_from_millis(1_764_345_912_123)),
            Some(1_764_345_912_123)
        );
        assert_eq!(millis_from_iso("yesterday"), None);
    }
}

//! Rules for untrusted names. Every store relies on these before a name touches a path or key.

use crate::error::{Error, Result};
use crate::model::{
    Annotation, AnnotationKind, AnnotationSubject, AnnotationValue, AnnotationValueType,
};

const MAX_KEY_LEN: usize = 250;
const MAX_NAME_LEN: usize = 1024;
/// The longest file name ext4, xfs, btrfs, APFS and NTFS all take; attachment name segments
/// become file names.
const MAX_SEGMENT_LEN: usize = 255;
/// Timestamps are Unix milliseconds between 1970 and the end of year 9999, the range luml's
/// ISO text (and every calendar library) can hold.
pub const MAX_MILLIS: i64 = 253_402_300_799_999;

/// Metric and param keys: non-empty, no control characters, bounded length.
pub fn key(what: &'static str, key: &str) -> Result<()> {
    if key.trim().is_empty() {
        return Err(Error::invalid(what, key, "must not be empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::invalid(
            what,
            truncate(key),
            format!("longer than {MAX_KEY_LEN} bytes"),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::invalid(what, key, "contains a control character"));
    }
    Ok(())
}

/// Text made fit for an experiment id: anything outside its alphabet (letters, digits,
/// `-`, `_`) becomes `_`, cut to 100 characters so a prefix still fits the 128 limit. For
/// ids derived from outside names (an OTLP service, an MLflow experiment id).
pub fn id_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect()
}

/// Experiment ids become directory names: letters, digits, `-` and `_` only.
pub fn experiment_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 128 {
        return Err(Error::invalid(
            "experiment id",
            id,
            "must be 1 to 128 characters",
        ));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(
            "experiment id",
            id,
            "may only contain letters, digits, '-' and '_'",
        ));
    }
    Ok(())
}

/// Attachment names: relative, `/`-separated, no `.`/`..`/empty segments, no backslashes,
/// so no name can resolve outside the experiment's attachment area on any platform.
pub fn attachment_name(name: &str) -> Result<()> {
    let bad = |reason: &str| Err(Error::invalid("attachment name", name, reason));
    if name.is_empty() {
        return bad("must not be empty");
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::invalid(
            "attachment name",
            truncate(name),
            format!("longer than {MAX_NAME_LEN} bytes"),
        ));
    }
    if name.starts_with('/') {
        return bad("must be relative, not absolute");
    }
    if name.contains('\\') {
        return bad("must use '/' as separator, not '\\'");
    }
    if name.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return bad("must be relative, not a drive path");
    }
    for segment in name.split('/') {
        match segment {
            "" => return bad("has an empty path segment"),
            "." | ".." => return bad("must not contain '.' or '..' segments"),
            s if s.len() > MAX_SEGMENT_LEN => {
                return Err(Error::invalid(
                    "attachment name",
                    truncate(name),
                    format!("has a path segment longer than {MAX_SEGMENT_LEN} bytes (a file name)"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Tags and group names: non-empty, no control characters.
pub fn label(what: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(what, value, "must not be empty"));
    }
    if value.len() > MAX_KEY_LEN || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            what,
            truncate(value),
            "too long or contains a control character",
        ));
    }
    Ok(())
}

/// A Unix-millisecond timestamp: inside [`MAX_MILLIS`] and not before 1970.
pub fn millis(what: &'static str, at: i64) -> Result<()> {
    if !(0..=MAX_MILLIS).contains(&at) {
        return Err(Error::invalid(
            what,
            at.to_string(),
            "must be Unix milliseconds between 1970 and 9999",
        ));
    }
    Ok(())
}

/// Metric steps count from 0: a negative step is [`Error::InvalidInput`].
pub fn step(step: i64) -> Result<()> {
    if step < 0 {
        return Err(Error::invalid("step", step.to_string(), "must be >= 0"));
    }
    Ok(())
}

/// Trace ids are 32 hex digits, span ids 16 (OpenTelemetry's sizes).
pub fn span_ids(trace_id: &str, span_id: &str, parent: Option<&str>) -> Result<()> {
    hex_id("trace id", trace_id, 32)?;
    hex_id("span id", span_id, 16)?;
    if let Some(p) = parent {
        hex_id("parent span id", p, 16)?;
    }
    Ok(())
}

fn hex_id(what: &'static str, id: &str, len: usize) -> Result<()> {
    if id.len() != len || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            what,
            id,
            format!("must be {len} hex digits"),
        ));
    }
    Ok(())
}

/// A trace id alone: 32 hex digits.
pub fn trace_id(id: &str) -> Result<()> {
    hex_id("trace id", id, 32)
}

/// Free text (annotation values and rationales): at most 1 MiB, so one annotation cannot
/// swell a page of samples.
pub fn text(what: &'static str, text: &str) -> Result<()> {
    const MAX_TEXT_LEN: usize = 1 << 20;
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::invalid(
            what,
            truncate(text),
            format!("longer than {MAX_TEXT_LEN} bytes"),
        ));
    }
    Ok(())
}

/// An annotation as luml accepts it, and more strictly: ids and labels, what it annotates,
/// feedback only as a bool, the value of its declared type, a valid time.
pub fn annotation(a: &Annotation) -> Result<()> {
    label("annotation id", &a.id)?;
    match &a.subject {
        AnnotationSubject::Eval {
            dataset_id,
            eval_id,
        } => {
            label("dataset id", dataset_id)?;
            label("eval id", eval_id)?;
        }
        AnnotationSubject::Span { trace_id, span_id } => span_ids(trace_id, span_id, None)?,
    }
    label("annotation name", &a.name)?;
    label("annotation user", &a.user)?;
    if a.annotation_kind == AnnotationKind::Feedback && a.value_type != AnnotationValueType::Bool {
        return Err(Error::invalid(
            "annotation value type",
            a.value_type.as_str(),
            "must be 'bool' for a feedback annotation",
        ));
    }
    a.value.check_type(a.value_type)?;
    if let AnnotationValue::String(s) = &a.value {
        text("annotation value", s)?;
    }
    if let Some(r) = &a.rationale {
        text("annotation rationale", r)?;
    }
    millis("created_at", a.created_at)
}

fn truncate(s: &str) -> String {
    s.chars().take(40).chain("…".chars()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_cannot_escape() {
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../b",
            "",
            "a//b",
            "./a",
            "a/.",
            "..",
            "a\\..\\b",
            "C:x",
            "a\0b",
        ] {
            assert!(attachment_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "notes.md",
            "plots/curve.bin",
            "a/b/c.json",
            "..hidden",
            "x..y",
            "..x",
            "sub/..x",
        ] {
            assert!(attachment_name(good).is_ok(), "{good:?} rejected");
        }
    }

    #[test]
    fn segments_are_file_names() {
        let long = "a".repeat(MAX_SEGMENT_LEN);
        assert!(attachment_name(&long).is_ok());
        assert!(attachment_name(&format!("dir/{long}")).is_ok());
        let err = attachment_name(&format!("dir/{long}b")).unwrap_err();
        assert!(err.to_string().contains("255"), "{err}");
    }

    #[test]
    fn errors_name_the_input() {
        let msg = attachment_name("../x").unwrap_err().to_string();
        assert!(
            msg.contains("../x") && msg.contains("attachment name"),
            "{msg}"
        );
        assert!(key("metric key", "")
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert!(experiment_id("../../etc").is_err());
        assert!(experiment_id("53bcf9d1-d6be-47b5-86fb-b8528010fd61").is_ok());
    }
}

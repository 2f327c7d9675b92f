//! Shared by the test files: checks for the memory- and SQLite-backed trackers, and a
//! runner for the `sextant` binary.
#![allow(dead_code)] // each test file uses only some helpers
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Command;

use sextant::{Error, ExperimentTracker};

/// What one run of the `sextant` binary printed, and its exit code.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `sextant` binary over `store` (the environment's store and token left out).
pub fn sextant(store: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_sextant"))
        .env_remove("SEXTANT_STORE")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

pub const ESCAPING_NAMES: [&str; 3] = ["../x", "/etc/passwd", "a/../../b"];

/// Names that would leave the attachment area are refused with an error naming them, and
/// the experiment's earlier data is untouched. Returns the experiment id.
pub fn escaping_names_rejected(t: &ExperimentTracker) -> String {
    let id = t.start("attachments").unwrap();
    t.log_attachment("ok.txt", "fine", None).unwrap();
    t.log_dynamic("loss", 0.5, None, None).unwrap();
    t.flush().unwrap();
    for name in ESCAPING_NAMES {
        let err = t.log_attachment(name, "evil", None).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{name}: {err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("attachment name") && msg.contains(name),
            "message should name the attachment: {msg}"
        );
        assert!(t.get_attachment(None, name).is_err(), "{name} readable");
    }
    let names: Vec<String> = t
        .list_attachments(None)
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["ok.txt"]);
    assert_eq!(t.get_attachment(None, "ok.txt").unwrap(), b"fine");
    assert_eq!(t.get_metric_history(None, "loss").unwrap().len(), 1);
    // The tracker still works after the refusals.
    t.log_attachment("later.txt", "still fine", None).unwrap();
    t.end_experiment(None).unwrap();
    id
}

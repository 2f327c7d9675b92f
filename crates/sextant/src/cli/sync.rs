//! `sextant sync --from A --to B [--watch]`.

use std::io::Write;
use std::time::Duration;

use sextant::sync::{sync_once, SyncReport};

use super::CliResult;

fn line(r: &SyncReport) -> String {
    format!(
        "synced {} experiments ({} new): {} points, {} spans, {} attachments, {} models, {} params, {} status changes",
        r.experiments_seen, r.experiments_created, r.points, r.spans, r.attachments, r.models, r.params, r.statuses
    )
}

pub fn run(
    from: &str,
    to: &str,
    experiment: Option<&str>,
    watch: bool,
    interval: f64,
    json: bool,
) -> CliResult {
    let source = sextant::open_store(from)?;
    let target = sextant::open_store(to)?;
    let pause = Duration::from_secs_f64(interval.clamp(0.05, 3600.0));
    let mut out = std::io::stdout();
    loop {
        let report = pollster::block_on(sync_once(source.as_ref(), target.as_ref(), experiment))?;
        if !watch || !report.is_empty() {
            if json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                writeln!(out, "{}", line(&report))?;
            }
            out.flush()?;
        }
        if !watch {
            return Ok(());
        }
        std::thread::sleep(pause);
    }
}

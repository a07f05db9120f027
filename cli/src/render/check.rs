//! `glassbox check` output: the failures named one per line, then a summary.

use glassbox_core::check::{CheckResult, FileStatus};
use glassbox_core::report::Verdict;

use super::Format;
use crate::ui::Ui;

/// The result as `format` asks: JSON (schema
/// `core/schema/check-result.v1.schema.json`) or text.
pub fn result(r: &CheckResult, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => super::json(r),
        _ => super::stdout(&text(r, ui)),
    }
}

/// Text: the log, each report, each file that is not covered, a summary.
fn text(r: &CheckResult, ui: &Ui) -> String {
    let mut out = String::new();
    macro_rules! w {
        ($($t:tt)*) => { outln!(out, $($t)*) };
    }
    let log = &r.log;
    match (log.size, &log.root) {
        (Some(size), Some(root)) => w!(
            "log {} ({}): size {size}, root {root}, cosigned by {} witness(es){}",
            log.origin,
            log.place,
            log.cosigned_by.len(),
            if log.quorum > 0 {
                format!(" (quorum {})", log.quorum)
            } else {
                String::new()
            }
        ),
        _ => w!("log {} ({})", log.origin, log.place),
    }
    if let Some(s) = &log.state {
        match (s.previous_size, s.updated) {
            (None, _) => w!("state: first checkpoint stored in {}", s.file),
            (Some(p), true) => w!("state: consistent with size {p} seen before; stored"),
            (Some(p), false) => w!("state: checkpoint seen before had size {p}"),
        }
    }
    for p in &log.problems {
        w!("{} {p}", ui.bad("FAIL log:"));
    }
    for rep in &r.reports {
        let verdict = match rep.verdict {
            Some(Verdict::Pass) => ui.good("PASS"),
            Some(Verdict::Fail) => ui.bad("FAIL"),
            None => "not verified".into(),
        };
        let mut line = format!("report {}: ", rep.path);
        if let Some(rel) = &rep.release {
            line.push_str(&format!("{rel}, "));
        }
        line.push_str(&format!("audit {verdict}"));
        if let Some(k) = &rep.auditor_key {
            line.push_str(&format!(", signed by {k}"));
        }
        if let Some(i) = rep.log_index {
            line.push_str(&format!(", log entry {i}"));
        }
        w!("{line}");
        for p in &rep.problems {
            w!("  {} {p}", ui.bad("problem:"));
        }
    }
    // With a checkpoint that did not verify, every covered file is unproved
    // for the same reason, already said: one line, not one per file.
    let log_failed = !log.problems.is_empty();
    if log_failed && r.summary.proof_failed > 0 {
        w!(
            "{} {} file(s) covered by a report that cannot be proved in this log (above)",
            ui.bad("FAIL"),
            r.summary.proof_failed
        );
    }
    for f in &r.files {
        let what = match &f.status {
            FileStatus::ProofFailed { .. } if log_failed => continue,
            FileStatus::Covered { .. } => continue,
            FileStatus::Uncovered { reason } => format!("not covered by any audit: {reason}"),
            FileStatus::AuditFailed { report } => {
                format!("covered only by {report}, whose audit FAILED")
            }
            FileStatus::ProofFailed { report, reason } => {
                format!("covered by {report}, but its log entry did not prove: {reason}")
            }
            FileStatus::NotAFile { kind } => {
                format!("a {kind}, not a regular file: not audited content")
            }
        };
        w!("{} {}: {what}", ui.bad("FAIL"), f.path);
    }
    let s = &r.summary;
    w!(
        "{} file(s): {} covered, {} not covered, {} failed audit, {} unproved, {} not a file",
        s.files,
        s.covered,
        s.uncovered,
        s.audit_failed,
        s.proof_failed,
        s.not_a_file
    );
    if r.ok {
        w!(
            "{}",
            ui.good("OK: every file is covered by a passing audit that is in the log")
        );
    } else {
        w!(
            "{}",
            ui.bad(
                "CHECK FAILED: this machine's files are not all covered by a passing, logged audit"
            )
        );
    }
    out
}

//! `glassbox audit`: a summary for people, or the report's canonical JSON
//! (schema `core/schema/audit-report.v1.schema.json`).

use std::path::PathBuf;

use glassbox_core::report::{AuditReport, Severity, StepStatus};

use super::Format;
use crate::ui::Ui;

/// Renders the audit's report; `written` are the files the audit wrote.
pub fn report(r: &AuditReport, written: &[PathBuf], format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => super::stdout(&(r.to_canonical_json()? + "\n")),
        _ => super::stdout(&summary(r, written, ui)),
    }
}

fn summary(r: &AuditReport, written: &[PathBuf], ui: &Ui) -> String {
    let mut o = String::new();
    let verdict = if r.passed() {
        ui.good(r.verdict_word())
    } else {
        ui.bad(r.verdict_word())
    };
    let not_checked = r
        .not_checked_text()
        .map(|t| format!(" — {}", ui.warn(&t)))
        .unwrap_or_default();
    outln!(
        o,
        "{} {} {}: {verdict}{not_checked} ({} critical, {} high, {} medium, {} info)",
        r.case.vendor,
        r.case.product,
        r.case.version,
        r.summary.critical,
        r.summary.high,
        r.summary.medium,
        r.summary.info
    );
    for s in &r.steps {
        outln!(
            o,
            "  {:8} {} {}",
            s.check.name(),
            ui.padded(&s.status_text(), 26, step_paint(s.status)),
            s.summary
        );
    }
    for f in &r.findings {
        let paint: fn(&Ui, &str) -> String = match f.severity {
            Severity::Critical | Severity::High => Ui::bad,
            Severity::Medium => Ui::warn,
            Severity::Info => Ui::plain,
        };
        outln!(
            o,
            "  {} {:10} {}",
            ui.padded(f.severity.name(), 9, paint),
            f.id,
            f.title
        );
    }
    for p in written {
        outln!(o, "wrote {}", p.display());
    }
    o
}

/// How a step's status is coloured: ok green, failed red, not run yellow
/// (the auditor must see what was not established).
pub fn step_paint(status: StepStatus) -> fn(&Ui, &str) -> String {
    match status {
        StepStatus::Ok | StepStatus::Passed => Ui::good,
        StepStatus::Failed => Ui::bad,
        StepStatus::NotRun | StepStatus::Error => Ui::warn,
    }
}

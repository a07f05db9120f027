//! `glassbox audit`: a summary for people, or the report's canonical JSON
//! (schema `core/schema/audit-report.v1.schema.json`).

use std::path::PathBuf;

use glassbox_core::report::{AuditReport, Severity};

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
        ui.good("PASS")
    } else {
        ui.bad("FAIL")
    };
    outln!(
        o,
        "{} {} {}: {verdict} ({} critical, {} high, {} medium, {} info)",
        r.case.vendor,
        r.case.product,
        r.case.version,
        r.summary.critical,
        r.summary.high,
        r.summary.medium,
        r.summary.info
    );
    for f in &r.findings {
        let sev = match f.severity {
            Severity::Critical | Severity::High => ui.bad(f.severity.name()),
            Severity::Medium => ui.warn(f.severity.name()),
            Severity::Info => f.severity.name().to_string(),
        };
        outln!(o, "  {:9} {:10} {}", sev, f.id, f.title);
    }
    for p in written {
        outln!(o, "wrote {}", p.display());
    }
    o
}

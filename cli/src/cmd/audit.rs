//! `glassbox audit`: run an audit case and write the report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use glassbox_core::audit::{AuditCase, AuditEvent, SignedAudit, audit_and_sign, log_audit};
use glassbox_core::report::{AuditReport, StepStatus, render};

use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

/// Run an audit case (audit.toml): hash the inputs, run each check, gather
/// findings into one report, sign it, and write report.json,
/// report.dsse.json, report.md and report.html under
/// <output>/<vendor>-<version>-<UTC date>/.
#[derive(clap::Args)]
#[command(after_help = "\
EXAMPLES:
  glassbox audit testdata/demo/audit.toml
  glassbox audit case/audit.toml --time 2026-07-01T12:00:00Z --force
  glassbox audit case/audit.toml --output /tmp/reports --format json

Exit status: 0 when no finding is high or critical, 1 otherwise, 2 when the
case file or its inputs cannot be used.")]
pub struct Args {
    /// The audit case file (TOML; see README, `glassbox audit`).
    case: PathBuf,

    /// Date the report at this RFC 3339 time instead of now; the same
    /// inputs and time give byte-identical report.json.
    #[arg(long, value_name = "RFC3339")]
    time: Option<String>,

    /// Replace an existing report directory's files.
    #[arg(long)]
    force: bool,

    /// Write under DIR instead of the case file's output directory.
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// What to print on standard output.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let case = AuditCase::load(&args.case)?;
    let time = match &args.time {
        Some(t) => t.clone(),
        None => now_rfc3339()?,
    };
    let mut spinner: Option<indicatif::ProgressBar> = None;
    let mut on_event = |event: AuditEvent<'_>| match event {
        AuditEvent::Started(check) => {
            spinner = Some(ui.spinner(&format!("{}...", check.name())));
        }
        AuditEvent::Finished(step) => {
            if let Some(s) = spinner.take() {
                s.finish_and_clear();
            }
            let mark = match step.status {
                StepStatus::Passed => ui.good("ok"),
                StepStatus::Failed => ui.bad("FAILED"),
                StepStatus::Error => ui.warn("could not run"),
            };
            ui.note(&format!("{:8} {mark}: {}", step.check.name(), step.summary));
        }
    };
    let SignedAudit { report, envelope } = audit_and_sign(&case, &time, &mut on_event)?;
    let base = args.output.clone().unwrap_or_else(|| case.output.clone());
    let dir = base.join(report_dir_name(&report));
    let mut written = write_report(&report, &envelope.to_json(), &dir, args.force)?;
    if case.log.is_some() {
        let spinner = ui.spinner("log...");
        let logged =
            log_audit(&case, &report, &dir.join("report.dsse.json")).with_context(|| {
                format!(
                    "the report is written to {} but could not be logged",
                    dir.display()
                )
            })?;
        spinner.finish_and_clear();
        if let Some(l) = logged {
            let proof = dir.join("report.tlog-proof");
            crate::ui::write_atomic(&proof, &l.proof.to_bytes(), args.force)?;
            readable(&proof)?;
            ui.note(&format!(
                "{:8} {}: {} entries appended, report at index {} (log size {})",
                "log",
                ui.good("ok"),
                l.count,
                l.index,
                l.size
            ));
            written.push(proof);
        }
    }

    crate::render::audit::report(&report, &written, args.format, ui)?;
    Ok(Outcome::from_ok(report.passed()))
}

fn now_rfc3339() -> anyhow::Result<String> {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    Ok(now.format(&time::format_description::well_known::Rfc3339)?)
}

/// `<vendor>-<version>-<UTC date>`, reduced to characters safe in a file
/// name on every platform.
fn report_dir_name(r: &AuditReport) -> String {
    let raw = format!("{}-{}-{}", r.case.vendor, r.case.version, r.date());
    raw.chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect()
}

/// Writes the report files atomically. Refuses, before writing anything,
/// when one exists and `force` is off.
fn write_report(
    report: &AuditReport,
    envelope: &str,
    dir: &Path,
    force: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    // Exactly the canonical bytes, no trailing newline: report.json is the
    // signed predicate byte for byte.
    let json = report.to_canonical_json()?;
    let files: Vec<(PathBuf, String)> = vec![
        (dir.join("report.json"), json),
        (dir.join("report.dsse.json"), format!("{envelope}\n")),
        (dir.join("report.md"), render::markdown(report)),
        (dir.join("report.html"), render::html_page(report)),
    ];
    if let Some((p, _)) = files.iter().find(|(p, _)| !force && p.exists()) {
        anyhow::bail!(
            "{}: a report already exists there (use --force to overwrite)",
            p.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    for (path, text) in &files {
        crate::ui::write_atomic(path, text.as_bytes(), force)?;
        readable(path)?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Reports are for sharing: the temporary file they were written through
/// is private (0600), so open the result up to 0644 like any other output.
fn readable(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("{}: cannot set permissions", path.display()))?;
    }
    Ok(())
}

//! `glassbox audit`: run an audit case and write the report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use glassbox_core::audit::{AuditCase, AuditEvent, SignedAudit, audit_and_sign, log_audit};
use glassbox_core::report::{AuditReport, Case, normalize_time, render};

use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

/// Run an audit case (audit.toml): hash the inputs, run each check, gather
/// findings into one report, sign it, and write report.json,
/// report.dsse.json, report.md and report.html under
/// <output>/<vendor>-<version>-<UTC date>/. `glassbox audit init [DIR]`
/// writes a commented case file and trust policy to start from.
#[derive(clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "\
EXAMPLES:
  glassbox audit init my-audit
  glassbox audit testdata/demo/audit.toml
  glassbox audit case/audit.toml --time 2026-07-01T12:00:00Z --force
  glassbox audit case/audit.toml --output /tmp/reports --format json

Every check has a status: ok, failed, or not run (not configured, or could
not run and why); the verdict names what was not checked.
Exit status: 0 when no finding is high or critical, 1 otherwise, 2 when the
case file or its inputs cannot be used, or a report is already there."
)]
pub struct Args {
    #[command(subcommand)]
    init: Option<Sub>,

    /// The audit case file (TOML; see README, `glassbox audit`).
    #[arg(required = true)]
    case: Option<PathBuf>,

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

#[derive(clap::Subcommand)]
enum Sub {
    /// Write a commented case file (audit.toml) and trust policy
    /// (policy.toml) into DIR to start an audit from.
    Init(InitArgs),
}

#[derive(clap::Args)]
struct InitArgs {
    /// Where to write them (created if missing).
    #[arg(default_value = ".")]
    dir: PathBuf,

    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

/// The case file `audit init` writes: every section, the optional ones
/// commented out with what they add.
const CASE_TEMPLATE: &str = include_str!("audit_init/audit.toml");

/// The trust policy `audit init` writes beside it.
const POLICY_TEMPLATE: &str = include_str!("audit_init/policy.toml");

/// The files an audit writes into its report directory (the proof only
/// with `[log]`).
const REPORT_FILES: [&str; 5] = [
    "report.json",
    "report.dsse.json",
    "report.md",
    "report.html",
    "report.tlog-proof",
];

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    if let Some(Sub::Init(init)) = args.init {
        return run_init(init, ui);
    }
    let case_path = args.case.as_deref().expect("clap requires CASE");
    let case = AuditCase::load(case_path)?;
    let time = match &args.time {
        Some(t) => normalize_time(t)?,
        None => now_rfc3339()?,
    };
    // Where the report goes is known before any check runs: an existing
    // report stops the audit now, not after every check has run.
    let base = args.output.clone().unwrap_or_else(|| case.output.clone());
    let dir = base.join(report_dir_name(&case.case, &time));
    if !args.force
        && let Some(existing) = REPORT_FILES
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists())
    {
        anyhow::bail!(
            "{}: a report already exists there; use --force to overwrite it, or --output DIR to write elsewhere",
            existing.display()
        );
    }
    // A spinner per check on a terminal; the summary on stdout then lists
    // every check with its status.
    let mut spinner: Option<indicatif::ProgressBar> = None;
    let mut on_event = |event: AuditEvent<'_>| match event {
        AuditEvent::Started(check) => {
            spinner = Some(ui.spinner(&format!("{}...", check.name())));
        }
        AuditEvent::Finished(_) => {
            if let Some(s) = spinner.take() {
                s.finish_and_clear();
            }
        }
    };
    let SignedAudit { report, envelope } = audit_and_sign(&case, &time, &mut on_event)?;
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

/// `glassbox audit init`: the two templates, never over an existing file
/// without `--force`.
fn run_init(args: InitArgs, ui: &Ui) -> anyhow::Result<Outcome> {
    let files = [
        (args.dir.join("audit.toml"), CASE_TEMPLATE),
        (args.dir.join("policy.toml"), POLICY_TEMPLATE),
    ];
    if let Some((p, _)) = files.iter().find(|(p, _)| !args.force && p.exists()) {
        anyhow::bail!("{}: already exists (use --force to overwrite)", p.display());
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("{}: cannot create", args.dir.display()))?;
    for (path, text) in &files {
        crate::ui::write_atomic(path, text.as_bytes(), args.force)?;
        ui.note(&format!("wrote {}", path.display()));
    }
    ui.note(&format!(
        "next: fill in {}, make your key with `glassbox keygen --out {}`, then run `glassbox audit {}`",
        files[0].0.display(),
        args.dir.join("auditor.key").display(),
        files[0].0.display()
    ));
    Ok(Outcome::Ok)
}

fn now_rfc3339() -> anyhow::Result<String> {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    Ok(now.format(&time::format_description::well_known::Rfc3339)?)
}

/// `<vendor>-<version>-<UTC date>`, reduced to characters safe in a file
/// name on every platform. `time` is a report time (RFC 3339, UTC).
fn report_dir_name(case: &Case, time: &str) -> String {
    let date = time.get(..10).unwrap_or(time);
    let raw = format!("{}-{}-{date}", case.vendor, case.version);
    raw.chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect()
}

/// Writes the report files atomically, each with the output mode (0644).
/// Refuses, before writing anything, when one exists and `force` is off.
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
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

//! `glassbox report`: render audit reports for people.

use std::path::PathBuf;

use anyhow::Context;
use glassbox_core::audit::check_directories;
use glassbox_core::dsse::Envelope;
use glassbox_core::keys::PublicKey;
use glassbox_core::report::chain::verify_report_with_roots;
use glassbox_core::report::statement::{check_subjects, parse_statement, verify_report_envelope};
use glassbox_core::report::{AuditReport, Verdict, render};
use glassbox_core::x509;

use crate::render::report::{ReportCheck, SignerJson};
use crate::render::{Format, Formats, TEXT_JSON};
use crate::ui::{Outcome, Ui};

/// Largest report file read (reports of big releases list every file).
const MAX_REPORT_BYTES: u64 = 256 << 20;

/// Work with signed audit reports written by `glassbox audit`.
#[derive(clap::Args)]
#[command(after_help = "\
EXAMPLES:
  glassbox report verify report.dsse.json --key auditor.key.pub --artifacts testdata/demo
  glassbox report verify report.dsse.json --roots auditor-ca.pem
  glassbox report render audit-reports/example/report.dsse.json --format html > report.html
  glassbox report render report.json --format markdown --output report.md")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    Verify(VerifyArgs),
    Render(RenderArgs),
}

/// Verify a signed report (report.dsse.json): the auditor's signature, the
/// exact form of the envelope, the report schema, that the subjects are the
/// report's inputs, and optionally the artifacts on disk and report.json.
#[derive(clap::Args)]
#[command(
    group(clap::ArgGroup::new("trust").required(true).args(["key", "roots"])),
    after_help = "\
EXAMPLES:
  glassbox report verify audit-reports/example/report.dsse.json \\
      --key testdata/demo/auditor/TEST-ONLY-auditor.key.pub --artifacts testdata/demo
  glassbox report verify report.dsse.json --roots auditor-ca.pem

Trust is either the auditor's key (--key) or certification authorities
(--roots): then the certificate chain embedded in the report must validate
against ROOTS now (or at --at; never at the report's own, signer-chosen
time), its leaf must assert keyUsage digitalSignature and allow document
signing (no extendedKeyUsage, anyExtendedKeyUsage, documentSigning,
codeSigning, emailProtection, Microsoft or Adobe document signing; a
timeStamping-only or serverAuth certificate fails), and the leaf's key must
verify the signature. The envelope must carry exactly one signature, as
glassbox writes it. By default the report.json next to the envelope, when
there is one, must be the signed report byte for byte. With --artifacts,
every audited directory is re-hashed: a file added, missing or changed
fails. The output gives the audit's verdict (PASS/FAIL) after the
signature's. Exit status: 0 verified (whatever the verdict, unless
--require-pass), 1 not verified (with the reason) or, with --require-pass, a
FAIL verdict, 2 unreadable input, key or roots."
)]
struct VerifyArgs {
    /// The signed report (report.dsse.json).
    envelope: PathBuf,

    /// The auditor's public key (PEM SubjectPublicKeyInfo, e.g. from
    /// `glassbox keygen`); repeat to accept any of several.
    #[arg(long, value_name = "PUB")]
    key: Vec<PathBuf>,

    /// Trusted root certificates (PEM or DER bundle): verify with the
    /// certificate chain embedded in the report instead of a known key.
    #[arg(long, value_name = "ROOTS")]
    roots: Option<PathBuf>,

    /// Validate the embedded chain at this RFC 3339 time instead of now
    /// (with --roots).
    #[arg(long, value_name = "RFC3339", requires = "roots")]
    at: Option<String>,

    /// Also fail (exit 1) when the verified report's verdict is FAIL.
    #[arg(long)]
    require_pass: bool,

    /// Check every subject's digest against the files under DIR (the
    /// directory the audit case file was in), and re-read every audited
    /// directory: a file added since the audit fails.
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,

    /// The report.json to compare with the signed report (default: the one
    /// next to the envelope, if any).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

/// Render a report (report.json, or the report inside a report.dsse.json)
/// as Markdown or HTML.
#[derive(clap::Args)]
#[command(after_help = "\
EXAMPLES:
  glassbox report render report.json --format html --output report.html
  glassbox report render report.json --format markdown | less")]
struct RenderArgs {
    /// The report: report.json or report.dsse.json written by `glassbox audit`.
    input: PathBuf,

    /// Output format.
    #[arg(long, default_value_t = Format::Markdown, value_parser = Formats(&[Format::Markdown, Format::Html, Format::Json]))]
    format: Format,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Overwrite --output if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    match args.command {
        Command::Verify(a) => verify_cmd(a, ui),
        Command::Render(a) => render_cmd(a, ui),
    }
}

/// Reads a report from a report.json, or from the payload of a
/// report.dsse.json without verifying it (say so on stderr).
fn read_report(path: &std::path::Path, ui: &Ui) -> anyhow::Result<AuditReport> {
    let bytes = read_bounded(path)?;
    let is_envelope = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .is_some_and(|v| v.get("payloadType").is_some());
    if is_envelope {
        let env = Envelope::from_json(&bytes).with_context(|| format!("{}", path.display()))?;
        let statement = parse_statement(&env.payload)
            .with_context(|| format!("{}: payload", path.display()))?;
        ui.note("note: rendering without checking the signature; use `glassbox report verify`");
        return Ok(statement.report);
    }
    AuditReport::from_json(&bytes).with_context(|| format!("{}", path.display()))
}

fn verify_cmd(args: VerifyArgs, ui: &Ui) -> anyhow::Result<Outcome> {
    let bytes = read_bounded(&args.envelope)?;
    let mut keys = Vec::new();
    for k in &args.key {
        let key = PublicKey::from_file(k).with_context(|| format!("key {}", k.display()))?;
        keys.push((k.display().to_string(), key));
    }
    let roots = match &args.roots {
        Some(path) => {
            let certs = x509::parse_pem_or_der_bundle(&read_bounded(path)?)
                .with_context(|| format!("roots {}", path.display()))?;
            if certs.is_empty() {
                anyhow::bail!("roots {}: no certificate in the file", path.display());
            }
            Some(certs)
        }
        None => None,
    };
    let at = match &args.at {
        Some(t) => Some(
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .with_context(|| format!("--at {t:?}: not an RFC 3339 time"))?,
        ),
        None => None,
    };
    let report_json = match &args.report {
        Some(p) => Some((p.clone(), read_bounded(p)?)),
        None => {
            let next = args.envelope.with_file_name("report.json");
            if next.is_file() {
                Some((next.clone(), read_bounded(&next)?))
            } else {
                None
            }
        }
    };

    let mut problems: Vec<String> = Vec::new();
    let mut chain: Vec<String> = Vec::new();
    let result = match &roots {
        Some(roots) => verify_report_with_roots(&bytes, roots, at).map(|c| {
            chain = c
                .chain
                .certificates
                .iter()
                .map(|cert| cert.subject().to_string())
                .collect();
            c.report
        }),
        None => verify_report_envelope(&bytes, &keys),
    };
    let verified = match result {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("{}: {e}", args.envelope.display()));
            None
        }
    };
    let mut artifacts_checked = 0usize;
    if let Some(v) = &verified {
        let canonical = v.statement.report.to_canonical_json()?;
        if let Some((path, on_disk)) = &report_json
            && on_disk.as_slice() != canonical.as_bytes()
        {
            problems.push(format!(
                "{}: differs from the signed report",
                path.display()
            ));
        }
        if let Some(dir) = &args.artifacts {
            let mut mismatches = check_subjects(&v.statement.subjects, dir);
            mismatches.extend(check_directories(&v.statement.report, dir));
            artifacts_checked = v.statement.subjects.len();
            for m in mismatches {
                problems.push(format!("{}: {}", m.name, m.reason));
            }
        }
    }
    let ok = problems.is_empty();
    let verdict = verified
        .as_ref()
        .map(|v| v.statement.report.summary.verdict);
    let passed = verdict == Some(Verdict::Pass);
    let check = ReportCheck {
        artifacts_checked,
        certificate_chain: chain,
        envelope: args.envelope.display().to_string(),
        problems,
        report_json: report_json.as_ref().map(|(p, _)| p.display().to_string()),
        require_pass: args.require_pass,
        schema_version: verified.as_ref().map(|v| v.statement.report.schema_version),
        signers: verified
            .as_ref()
            .map(|v| {
                v.signers
                    .iter()
                    .map(|s| SignerJson {
                        key: s.name.clone(),
                        key_id: s.key_id.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        subjects: verified.as_ref().map(|v| v.statement.subjects.len()),
        verdict,
        verified: ok,
        report: verified.as_ref(),
        artifacts_given: args.artifacts.is_some(),
    };
    crate::render::report::verification(&check, args.format, ui)?;
    Ok(Outcome::from_ok(ok && (passed || !args.require_pass)))
}

/// Reads a whole file of at most [`MAX_REPORT_BYTES`].
pub(crate) fn read_bounded(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}", path.display()))?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        anyhow::bail!(
            "{}: larger than the {} MiB limit for reports",
            path.display(),
            MAX_REPORT_BYTES >> 20
        );
    }
    Ok(bytes)
}

fn render_cmd(args: RenderArgs, ui: &Ui) -> anyhow::Result<Outcome> {
    let report = read_report(&args.input, ui)?;
    let text = match args.format {
        Format::Html => render::html_page(&report),
        Format::Json => {
            let mut j = report.to_canonical_json()?;
            j.push('\n');
            j
        }
        _ => render::markdown(&report),
    };
    crate::render::emit(&text, args.output.as_deref(), args.force)?;
    Ok(Outcome::Ok)
}

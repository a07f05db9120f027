//! `glassbox report verify`: whether a signed audit report verifies, for
//! people and as JSON (schema `core/schema/report-verify.v1.schema.json`).
//! `report render` uses the report renderers of `glassbox_core::report`,
//! which are library output (a signed report renders the same everywhere).

use glassbox_core::report::Verdict;
use glassbox_core::report::statement::VerifiedReport;
use serde::Serialize;

use super::Format;
use crate::ui::Ui;

/// The outcome of `glassbox report verify`. Fields are in alphabetical
/// order, as the JSON has always had them.
#[derive(Serialize)]
pub struct ReportCheck<'a> {
    /// Subjects compared with files under `--artifacts` (0 without it).
    pub artifacts_checked: usize,
    /// Certificate subjects from the signer up to the trusted root
    /// (`--roots`); empty with `--key`.
    pub certificate_chain: Vec<String>,
    pub envelope: String,
    /// Every reason the report does not verify; empty when it does.
    pub problems: Vec<String>,
    /// The `report.json` compared with the signed report, if any.
    pub report_json: Option<String>,
    pub require_pass: bool,
    pub schema_version: Option<u32>,
    pub signers: Vec<SignerJson>,
    pub subjects: Option<usize>,
    /// The audit's own verdict, when the signature verified.
    pub verdict: Option<Verdict>,
    /// Signature valid and nothing in `problems`.
    pub verified: bool,
    /// The verified report, for the text form.
    #[serde(skip)]
    pub report: Option<&'a VerifiedReport>,
    /// Whether `--artifacts` was given, for the text form.
    #[serde(skip)]
    pub artifacts_given: bool,
}

/// A trusted key that verified the envelope.
#[derive(Serialize)]
pub struct SignerJson {
    /// The `--key` file it came from.
    pub key: String,
    /// SHA-256 of its SubjectPublicKeyInfo, hex.
    pub key_id: String,
}

/// Renders `glassbox report verify`'s outcome.
pub fn verification(c: &ReportCheck, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        // One line, as it has always been printed.
        Format::Json => super::stdout(&(serde_json::to_string(c)? + "\n")),
        _ => super::stdout(&text(c, ui)),
    }
}

fn text(c: &ReportCheck, ui: &Ui) -> String {
    let mut o = String::new();
    if let Some(v) = c.report {
        let r = &v.statement.report;
        outln!(
            o,
            "report: {} {} {} by {}, dated {} (schema v{}, glassbox {})",
            r.case.vendor,
            r.case.product,
            r.case.version,
            r.case.auditor.name,
            r.time,
            r.schema_version,
            r.tool.version
        );
        for s in &v.signers {
            outln!(o, "signed by: {} (key id {})", s.name, s.key_id);
        }
        if !c.certificate_chain.is_empty() {
            outln!(o, "certificate chain: {}", c.certificate_chain.join(" <- "));
        }
        outln!(o, "subjects: {}", v.statement.subjects.len());
        if let Some(p) = &c.report_json {
            outln!(o, "compared: {p}");
        }
        if c.artifacts_given {
            outln!(o, "artifacts checked: {}", c.artifacts_checked);
        }
    }
    for p in &c.problems {
        outln!(o, "{} {p}", ui.bad("FAILED:"));
    }
    if c.verified
        && let Some(v) = c.report
    {
        // The signature says who vouches for the report; the verdict is
        // what they vouch: both, so a signed FAIL is never read as a pass.
        let s = &v.statement.report.summary;
        let passed = c.verdict == Some(Verdict::Pass);
        let counts = format!(
            "{} critical, {} high, {} medium, {} info",
            s.critical, s.high, s.medium, s.info
        );
        let verdict = if passed {
            ui.good("PASS")
        } else {
            ui.bad("FAIL")
        };
        // What the signed verdict does not vouch for.
        let not_checked = v
            .statement
            .report
            .not_checked_text()
            .map(|t| format!(" — {}", ui.warn(&t)))
            .unwrap_or_default();
        outln!(
            o,
            "{} signature valid, report unaltered; audit verdict: {verdict} ({counts}){not_checked}",
            ui.good("verified:")
        );
        if c.require_pass && !passed {
            outln!(
                o,
                "{} --require-pass: the audit's verdict is FAIL (see its findings with `glassbox report render`)",
                ui.bad("FAILED:")
            );
        }
    }
    o
}

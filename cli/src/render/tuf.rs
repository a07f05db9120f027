//! `glassbox tuf verify`: the repository report, for people and as JSON
//! (schema `core/schema/tuf-verify.v1.schema.json`).

use glassbox_core::tuf::RepositoryReport;
use serde::Serialize;

use super::Format;
use crate::ui::Ui;

/// What `--format json` prints: the core's report plus its overall verdict.
#[derive(Serialize)]
struct TufJson<'a> {
    #[serde(flatten)]
    report: &'a RepositoryReport,
    verified: bool,
}

/// Renders `glassbox tuf verify`'s result.
pub fn repository(r: &RepositoryReport, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            // Through a JSON value, whose keys are sorted: the order this
            // output has always had.
            let v = serde_json::to_value(TufJson {
                report: r,
                verified: r.verified(),
            })?;
            super::json(&v)
        }
        _ => super::stdout(&text(r, ui)),
    }
}

fn text(r: &RepositoryReport, ui: &Ui) -> String {
    let mut o = String::new();
    outln!(o, "repository  {}", r.source);
    outln!(o, "reference   {}", r.reference_time);
    let chain: Vec<String> = r
        .root_chain
        .iter()
        .map(|s| format!("v{}", s.version))
        .collect();
    outln!(o, "root chain  {}", chain.join(" -> "));
    for s in r.root_chain.iter().skip(1) {
        let prev = s.by_previous.as_ref().map_or(String::new(), |p| {
            format!(
                "{} of {} previous root keys (need {}), ",
                p.signers.len(),
                p.keys,
                p.threshold
            )
        });
        outln!(
            o,
            "  {:<14} signed by {}{} of {} own root keys (need {})",
            s.file,
            prev,
            s.by_self.signers.len(),
            s.by_self.keys,
            s.by_self.threshold
        );
    }
    let w = r
        .roles
        .iter()
        .map(|x| x.role.len())
        .chain(r.role_failures.iter().map(|f| f.role.len()))
        .max()
        .unwrap_or(0)
        .max(9);
    outln!(
        o,
        "{:<w$} {:>7}  {:<25} {:<12}  {:<10} FILE",
        "ROLE",
        "VERSION",
        "EXPIRES",
        "SIGNED",
        "BY"
    );
    for role in &r.roles {
        outln!(
            o,
            "{:<w$} {:>7}  {:<25} {:<12}  {:<10} {}",
            role.role,
            role.version,
            role.expires,
            format!(
                "{}/{} need {}",
                role.signers.signers.len(),
                role.signers.keys,
                role.signers.threshold
            ),
            role.delegated_by,
            role.file
        );
    }
    for f in &r.role_failures {
        outln!(o, "{:<w$} {} {}", f.role, ui.bad("FAILED"), f.error);
    }
    for t in &r.targets {
        match &t.error {
            None => outln!(
                o,
                "target {}  {} ({}, {} bytes)",
                t.name,
                ui.good("ok"),
                t.role.as_deref().unwrap_or("?"),
                t.length.unwrap_or(0)
            ),
            Some(e) => outln!(o, "target {}  {}: {e}", t.name, ui.bad("FAILED")),
        }
    }
    for f in &r.findings {
        outln!(o, "{} {}: {}", ui.warn("note"), f.subject, f.message);
    }
    match &r.error {
        Some(e) => outln!(o, "{}: {e}", ui.bad("FAILED")),
        None if r.verified() => outln!(o, "{}", ui.good("verified")),
        None => outln!(
            o,
            "{}",
            ui.bad("FAILED: some targets or delegated roles did not verify")
        ),
    }
    o
}

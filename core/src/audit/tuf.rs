//! The TUF check: the vendor's update repository verified as a client
//! would (`core::tuf`).

use crate::report::{AuditReport, Check, Finding, Severity};

use super::case::CaseTuf;
use super::step::{Outcome, could_not_run, error_chain};

/// The vendor's TUF repository verified as a client would
/// (`core::tuf`), at the report's time, so the verdict is reproducible:
/// a failed refresh or target is critical, a delegated role that failed
/// high, the verifier's own observations medium.
pub(super) fn tuf_step(
    tuf: &CaseTuf,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> Outcome {
    use crate::tuf::{DirSource, Options, TargetSelection};
    let could_not = |findings: &mut Vec<Finding>, why: String| {
        let subject = format!("TUF repository {}", tuf.repo.written);
        could_not_run(
            findings,
            Check::Tuf,
            subject,
            why,
            "could not verify the TUF repository",
        )
    };
    let root = match std::fs::read(&tuf.root.resolved) {
        Ok(b) => b,
        Err(e) => return could_not(findings, format!("{}: {e}", tuf.root.written)),
    };
    let time = match crate::tuf::parse_time(&report.time) {
        Ok(t) => t,
        Err(e) => return could_not(findings, format!("report time: {e}")),
    };
    let mut opts = Options::at(time);
    opts.state_dir = tuf.state.clone();
    opts.targets = TargetSelection::All;
    let result =
        match crate::tuf::verify_repository(&root, &DirSource::new(&tuf.repo.resolved), &opts) {
            Ok(r) => r,
            Err(e) => return could_not(findings, error_chain(&e)),
        };
    let section = crate::report::TufSection {
        verified: result.verified(),
        root_versions: result.root_chain.iter().map(|r| r.version).collect(),
        roles: result
            .roles
            .iter()
            .map(|r| crate::report::TufRole {
                role: r.role.clone(),
                version: r.version,
                expires: r.expires.clone(),
                signatures: r.signers.signers.len() as u64,
                threshold: u64::from(r.signers.threshold),
            })
            .collect(),
        targets: result
            .targets
            .iter()
            .map(|t| crate::report::TufTarget {
                name: t.name.clone(),
                verified: t.error.is_none(),
                error: t.error.as_ref().map(|e| e.to_string()),
            })
            .collect(),
        error: result.error.as_ref().map(|e| e.to_string()),
    };
    if let Some(e) = &result.error {
        findings.push(
            Finding::new(
                Severity::Critical,
                Check::Tuf,
                format!("TUF metadata of {} failed verification", tuf.repo.written),
            )
            .evidence(e.to_string()),
        );
    }
    for f in &result.role_failures {
        findings.push(
            Finding::new(
                Severity::High,
                Check::Tuf,
                format!("Delegated TUF role {} could not be loaded", f.role),
            )
            .evidence(f.error.to_string()),
        );
    }
    for t in result.targets.iter().filter(|t| t.error.is_some()) {
        findings.push(
            Finding::new(
                Severity::Critical,
                Check::Tuf,
                format!("TUF target {} failed verification", t.name),
            )
            .evidence(t.error.as_ref().map(|e| e.to_string()).unwrap_or_default())
            .paths([t.name.clone()]),
        );
    }
    for f in &result.findings {
        findings.push(
            Finding::new(Severity::Medium, Check::Tuf, format!("TUF: {}", f.subject))
                .evidence(f.message.clone()),
        );
    }
    let summary = format!(
        "{} roles, {} of {} targets verified",
        section.roles.len(),
        section.targets.iter().filter(|t| t.verified).count(),
        section.targets.len()
    );
    if section.verified {
        findings.push(Finding::new(
            Severity::Info,
            Check::Tuf,
            format!(
                "TUF repository {} verified: root v{}, {summary}",
                tuf.repo.written,
                section.root_versions.last().copied().unwrap_or(0)
            ),
        ));
    }
    report.results.tuf = Some(section);
    Outcome::Ran(summary)
}

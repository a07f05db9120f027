//! The repro check: whether the auditor's rebuild reproduces the release
//! (`core::repro`).

use crate::report::{AuditReport, Check, Finding, ReproVerdict, Severity};
use crate::repro::{self, ReproOptions, Verdict};

use super::case::CasePath;
use super::releases::Releases;
use super::step::{Outcome, could_not_run, error_chain, name_some};

/// Reproducibility against the auditor's rebuild (`core::repro`):
/// different is critical and names the files, equivalent is info listing
/// the normalizations, identical is info.
pub(super) fn repro_step(
    releases: &Releases,
    rebuild: &CasePath,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> Outcome {
    let opts = ReproOptions::default();
    let vendor = &releases.release;
    let rebuilt = releases.rebuild.as_ref().expect("opened with the case");
    // Both readings shared when they are repro's own; otherwise repro
    // reads both itself and reports its own error, as it would alone.
    let result = match (vendor.for_repro(&opts), rebuilt.for_repro(&opts)) {
        (Some(a), Some(b)) => repro::compare_releases(a, b, &opts),
        _ => repro::compare(vendor.path(), rebuilt.path(), &opts),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            return could_not_run(
                findings,
                Check::Repro,
                format!("cannot compare with the rebuild {}", rebuild.written),
                error_chain(&e),
                "could not compare with the rebuild",
            );
        }
    };
    let normalizations: Vec<crate::report::Normalization> = result
        .normalizations
        .iter()
        .map(|n| crate::report::Normalization {
            name: n.name.name().to_string(),
            description: n.description.to_string(),
            count: n.count,
        })
        .collect();
    let differences: Vec<crate::report::ReproDifference> = result
        .differences
        .iter()
        .map(|d| crate::report::ReproDifference {
            path: d.path.clone(),
            kind: d.kind.name().to_string(),
        })
        .collect();
    let verdict = match result.verdict {
        Verdict::Identical => ReproVerdict::Identical,
        Verdict::Equivalent => ReproVerdict::Equivalent,
        Verdict::Different => ReproVerdict::Different,
    };
    let norm_lines = || {
        normalizations
            .iter()
            .map(|n| format!("{} ({}): {}", n.name, n.count, n.description))
    };
    let summary = match result.verdict {
        Verdict::Identical => {
            findings.push(Finding::new(
                Severity::Info,
                Check::Repro,
                format!("The rebuild {} is bit-for-bit identical", rebuild.written),
            ));
            "identical".to_string()
        }
        Verdict::Equivalent => {
            let mut f = Finding::new(
                Severity::Info,
                Check::Repro,
                format!(
                    "The rebuild {} is equivalent after {} normalization(s)",
                    rebuild.written,
                    normalizations.len()
                ),
            );
            for line in norm_lines() {
                f = f.evidence(line);
            }
            findings.push(f);
            format!("equivalent ({} normalizations)", normalizations.len())
        }
        Verdict::Different => {
            let paths: Vec<String> = differences.iter().map(|d| d.path.clone()).collect();
            let mut f = Finding::new(
                Severity::Critical,
                Check::Repro,
                format!("Not reproduced by the rebuild: {}", name_some(&paths)),
            );
            for d in &result.differences {
                let (kind, detail) = (d.kind.name(), d.kind.details());
                f = f.evidence(if detail.is_empty() {
                    format!("{}: {kind}", d.path)
                } else {
                    format!("{}: {kind}: {detail}", d.path)
                });
            }
            for line in norm_lines() {
                f = f.evidence(format!("normalized: {line}"));
            }
            findings.push(f.paths(paths));
            format!("different ({} files)", differences.len())
        }
    };
    report.results.repro = Some(crate::report::ReproSection {
        verdict,
        normalizations,
        differences,
    });
    Outcome::Ran(summary)
}

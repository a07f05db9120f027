//! The diff check: what changed since the previous release
//! (`core::diff`).

use std::collections::BTreeMap;

use crate::diff::{DiffError, DiffOptions, Side, diff_paths, diff_releases};
use crate::diff::{Direction, ReleaseDiff, SecurityFlag};
use crate::report::{AuditReport, Check, Finding, Severity};

use super::case::CaseRelease;
use super::releases::Releases;
use super::step::{Outcome, could_not_run, error_chain, serde_name};

/// What changed since the previous release (`core::diff`): the counts per
/// class, and every changed executable as a medium finding (an auditor
/// must look at new code); an executable modified without a new build-id
/// (patched after linking) is high; one whose only change is in sections
/// rewritten after linking ("debug link updated"), or a PE file re-signed
/// over the same image ("code identical, re-signed"), is info. An
/// Authenticode signature change is in the evidence (old -> new signer,
/// digest, timestamp).
pub(super) fn diff_step(
    releases: &Releases,
    release: &CaseRelease,
    previous: &CaseRelease,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> Outcome {
    let opts = DiffOptions::default();
    let old = releases.previous.as_ref().expect("opened with the case");
    let new = &releases.release;
    // Both readings shared when they are the diff's own; otherwise the
    // diff reads both itself and reports its own error, as it would alone.
    let result = match (old.for_diff(&opts), new.for_diff(&opts)) {
        (Some(a), Some(b)) => diff_releases(a, b, &opts, &|_| {}),
        _ => diff_paths(old.path(), new.path(), &opts, &|_| {}),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            // Blame the input the reader failed on: a truncated *new*
            // release is not a problem with the previous one.
            let side = match &e {
                DiffError::Open { side, .. }
                | DiffError::Release { side, .. }
                | DiffError::Read { side, .. } => Some(*side),
                DiffError::BadExclude { .. } => None,
            };
            let subject = match side {
                Some(Side::New) => format!("cannot read the release {}", release.path.written),
                Some(Side::Old) => {
                    format!("cannot read the previous release {}", previous.path.written)
                }
                None => format!("cannot compare with {}", previous.path.written),
            };
            return could_not_run(
                findings,
                Check::Diff,
                subject,
                error_chain(&e),
                "could not compare with the previous release",
            );
        }
    };
    let s = &result.summary;
    let counts: std::collections::BTreeMap<String, u64> = [
        ("added", s.added),
        ("removed", s.removed),
        ("modified", s.modified),
        ("metadata", s.metadata),
        ("renamed", s.renamed),
        ("type-changed", s.type_changed),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let counted = format!(
        "{} added, {} removed, {} modified, {} renamed, {} metadata-only",
        s.added, s.removed, s.modified, s.renamed, s.metadata
    );
    // Groups of identical changes go into the evidence once each, with
    // their files, rather than as hundreds of look-alike entries.
    let mut changes = Finding::new(
        Severity::Info,
        Check::Diff,
        format!("Changes since {}: {counted}", previous.version),
    );
    // Each group's change is its template ({name} for each file's own
    // name), never one file's lines standing for all.
    for g in &result.groups {
        let files: Vec<String> = g.paths.iter().map(|p| p.to_string()).collect();
        changes = changes.evidence(format!(
            "same change in {} files: {}: {}; {}",
            g.count,
            g.description,
            files.join(", "),
            group_template(g)
        ));
    }
    findings.push(changes);
    let summary = format!("{counted} since {}", previous.version);
    let mut executables = Vec::new();
    for e in &s.changed_executables {
        let path = e.path.to_string();
        let class = serde_name(&e.class);
        let digests = format!(
            "sha256 {} -> {}",
            e.old_sha256
                .map(|d| d.to_hex())
                .unwrap_or_else(|| "-".into()),
            e.new_sha256
                .map(|d| d.to_hex())
                .unwrap_or_else(|| "-".into())
        );
        if e.build_id_unchanged {
            findings.push(
                Finding::new(
                    Severity::High,
                    Check::Diff,
                    format!("Executable {path} was modified but keeps its build-id"),
                )
                .evidence("patched after linking: the build-id no longer identifies the content")
                .evidence(digests.clone())
                .paths([path.clone()]),
            );
        }
        // Only the sections tools rewrite after linking changed (the
        // build-id, over everything else, is the same): no new code.
        // A PE file whose signature changed over the same image: no new
        // code, but who signed it is evidence the auditor reads.
        let signing = result
            .changes
            .iter()
            .find(|c| c.path == e.path)
            .and_then(|c| c.content.as_ref()?.authenticode.as_ref())
            .map(|a| a.lines())
            .unwrap_or_default();
        let (severity, title) = if e.code_identical_resigned {
            (
                Severity::Info,
                format!(
                    "Executable {path} {class} since {} ({}): {}",
                    previous.version,
                    e.format,
                    crate::diff::compare::CODE_IDENTICAL_RESIGNED
                ),
            )
        } else if e.debug_link_updated {
            (
                Severity::Info,
                format!(
                    "Executable {path} {class} since {} ({}): debug link updated only",
                    previous.version, e.format
                ),
            )
        } else {
            (
                Severity::Medium,
                format!(
                    "Executable {path} {class} since {} ({})",
                    previous.version, e.format
                ),
            )
        };
        let mut finding = Finding::new(severity, Check::Diff, title).evidence(digests);
        for line in signing {
            finding = finding.evidence(line);
        }
        findings.push(finding.paths([path.clone()]));
        executables.push(path);
    }
    security_findings(&result, &previous.version, findings);
    // What the updated code can newly do (issue 15): high for network.
    findings.extend(super::code::code_findings(&result, &previous.version));
    report.results.diff = Some(crate::report::DiffSection {
        previous_version: previous.version.clone(),
        counts,
        changed_executables: executables,
    });
    Outcome::Ran(summary)
}

/// Security-relevant metadata changes (`core::diff::security`) as
/// findings, one per kind of change with every entry it concerns: a new
/// setuid or setgid bit is high (code that runs with another user's
/// privileges); a file that became executable or world-writable, a new
/// special file and a retargeted link are medium; a sticky bit gained and
/// any bit lost are info.
fn security_findings(result: &ReleaseDiff, version: &str, findings: &mut Vec<Finding>) {
    let mut by_kind: BTreeMap<(SecurityFlag, Direction), Vec<(String, String)>> = BTreeMap::new();
    for c in &result.changes {
        for s in &c.security {
            // The evidence line: what the metadata says changed.
            let detail = c
                .metadata
                .iter()
                .map(|m| format!("{} {} -> {}", serde_name(&m.field), m.old, m.new))
                .collect::<Vec<_>>();
            let detail = match (detail.is_empty(), &c.new) {
                (false, _) => detail.join(", "),
                (true, Some(n)) => match n.mode {
                    Some(m) => format!("{} with mode {m:04o}", serde_name(&c.class)),
                    None => serde_name(&c.class),
                },
                (true, None) => serde_name(&c.class),
            };
            by_kind
                .entry((s.flag, s.direction))
                .or_default()
                .push((c.path.to_string(), detail));
        }
    }
    for ((flag, direction), entries) in by_kind {
        let (severity, what) = match (flag, direction) {
            (SecurityFlag::Setuid | SecurityFlag::Setgid, Direction::Gained) => {
                (Severity::High, format!("{} bit set", flag.as_str()))
            }
            (SecurityFlag::Executable, Direction::Gained) => {
                (Severity::Medium, "became executable".to_string())
            }
            (SecurityFlag::WorldWritable, Direction::Gained) => {
                (Severity::Medium, "became world-writable".to_string())
            }
            (SecurityFlag::SpecialFile, Direction::Gained) => (
                Severity::Medium,
                "new special file (device node, FIFO or socket)".to_string(),
            ),
            (SecurityFlag::LinkTarget, _) => (Severity::Medium, "link retargeted".to_string()),
            (_, Direction::Gained) => (Severity::Info, format!("{} bit set", flag.as_str())),
            (_, _) => (
                Severity::Info,
                format!("{} {}", flag.as_str(), direction.as_str()),
            ),
        };
        let first = &entries[0].0;
        let title = match entries.len() {
            1 => format!("{first}: {what} since {version}"),
            n => format!("{n} entries: {what} since {version} ({first}, ...)"),
        };
        let mut f = Finding::new(severity, Check::Diff, title);
        for (path, detail) in &entries {
            f = f.evidence(format!("{path}: {detail}"));
        }
        findings.push(f.paths(entries.into_iter().map(|(p, _)| p)));
    }
}

/// Most template lines one group's evidence carries; the rest are counted
/// (they are the same in every file of the group, and the diff has them).
const TEMPLATE_LINES: usize = 20;

/// A group's template in one evidence line: `changed lines, {name}
/// standing for each file's own name: -old | +new`.
fn group_template(g: &crate::diff::ChangeGroup) -> String {
    let mut lines: Vec<String> = g
        .lines
        .iter()
        .take(TEMPLATE_LINES)
        .map(|l| {
            let sign = if l.tag == crate::diff::LineTag::Removed {
                '-'
            } else {
                '+'
            };
            match &l.member {
                Some(m) => format!("{m}: {sign}{}", l.text),
                None => format!("{sign}{}", l.text),
            }
        })
        .collect();
    if g.lines.len() > TEMPLATE_LINES {
        lines.push(format!(
            "… {} more changed lines, the same in every file (see the diff)",
            g.lines.len() - TEMPLATE_LINES
        ));
    }
    format!(
        "changed lines of every file, {} standing for each file's own name: {}",
        g.placeholder,
        lines.join(" | ")
    )
}

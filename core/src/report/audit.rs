//! Running an audit case: every available check in turn, each result and
//! each failure to run turned into findings of one [`AuditReport`].
//!
//! A check that cannot run (an unreadable release, a malformed policy)
//! becomes a finding naming the reason, and the audit goes on: the report
//! then says what was *not* established, which is itself evidence.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::case::{AuditCase, CasePath};
use super::{
    Artifact, AuditReport, Check, Finding, Input, InputKind, InputRole, ReportError, Severity,
    Step, StepStatus,
};

/// Most files hashed in one input directory.
pub const MAX_INPUT_FILES: usize = 1_000_000;

/// What the audit tells its caller while it runs (for progress display).
#[derive(Clone, Debug)]
pub enum AuditEvent<'a> {
    /// A check starts.
    Started(Check),
    /// A check ended.
    Finished(&'a Step),
}

/// One audited artifact: a file the report's signature vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// Path relative to the case file's directory, `/`-separated.
    pub name: String,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// Runs every check the case asks for, dated `time` (RFC 3339), and
/// returns the finished report ([`AuditReport::finish`] called).
pub fn run_audit(
    case: &AuditCase,
    time: &str,
    progress: &mut dyn FnMut(AuditEvent<'_>),
) -> Result<AuditReport, ReportError> {
    let mut report = AuditReport::new(case.case.clone(), time)?;
    let mut findings = Vec::new();

    progress(AuditEvent::Started(Check::Inputs));
    let mut hashed = 0usize;
    let trust = trust_material(case);
    let mut inputs = case_inputs(case);
    inputs.extend(trust.iter().map(|p| (InputRole::TrustMaterial, p)));
    for &(role, path) in &inputs {
        match hash_input(role, path) {
            Ok((input, skipped)) => {
                hashed += 1;
                if !skipped.is_empty() {
                    findings.push(
                        Finding::new(
                            Severity::Medium,
                            Check::Inputs,
                            format!(
                                "{} non-regular entries in {} were not hashed",
                                skipped.len(),
                                path.written
                            ),
                        )
                        .evidence("symbolic links and special files are not followed")
                        .paths(skipped),
                    );
                }
                report.inputs.push(input);
            }
            Err(e) => findings.push(
                Finding::new(
                    Severity::High,
                    Check::Inputs,
                    format!("Cannot read {} {}", role_word(role), path.written),
                )
                .evidence(e),
            ),
        }
    }
    finish_step(
        &mut report,
        &findings,
        Check::Inputs,
        hashed == inputs.len(),
        format!("{hashed} of {} inputs hashed", inputs.len()),
        progress,
    );

    if let Some(policy) = &case.policy {
        progress(AuditEvent::Started(Check::Verify));
        let (ran, summary) = verify_step(case, policy, &mut report, &mut findings);
        finish_step(
            &mut report,
            &findings,
            Check::Verify,
            ran,
            summary,
            progress,
        );
    }

    if let Some(previous) = &case.previous {
        progress(AuditEvent::Started(Check::Diff));
        let (ran, summary) = diff_step(case, previous, &mut report, &mut findings);
        finish_step(&mut report, &findings, Check::Diff, ran, summary, progress);
    }

    if let Some(rebuild) = &case.rebuild {
        progress(AuditEvent::Started(Check::Repro));
        let (ran, summary) = repro_step(case, rebuild, &mut report, &mut findings);
        finish_step(&mut report, &findings, Check::Repro, ran, summary, progress);
    }

    if let Some(tuf) = &case.tuf {
        progress(AuditEvent::Started(Check::Tuf));
        let (ran, summary) = tuf_step(tuf, &mut report, &mut findings);
        finish_step(&mut report, &findings, Check::Tuf, ran, summary, progress);
    }

    report.findings = findings;
    report.finish();
    Ok(report)
}

/// Title prefix of the finding a check that could not run produces.
const CANNOT_RUN: &str = "Check could not run";

/// Most differing files named in a finding's title (all are in its paths).
const TITLE_PATHS: usize = 5;

/// `a, b, c and 4 more`.
fn name_some(paths: &[String]) -> String {
    let shown: Vec<&str> = paths.iter().take(TITLE_PATHS).map(String::as_str).collect();
    let more = paths.len().saturating_sub(TITLE_PATHS);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Reproducibility against the auditor's rebuild (`core::repro`):
/// different is critical and names the files, equivalent is info listing
/// the normalizations, identical is info.
fn repro_step(
    case: &AuditCase,
    rebuild: &CasePath,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> (bool, String) {
    use crate::repro::{self, ReproOptions, Verdict};
    let result = match repro::compare(
        &case.release.path.resolved,
        &rebuild.resolved,
        &ReproOptions::default(),
    ) {
        Ok(r) => r,
        Err(e) => {
            findings.push(
                Finding::new(
                    Severity::High,
                    Check::Repro,
                    format!(
                        "{CANNOT_RUN}: cannot compare with the rebuild {}",
                        rebuild.written
                    ),
                )
                .evidence(e.to_string()),
            );
            return (false, "could not compare with the rebuild".to_string());
        }
    };
    let normalizations: Vec<super::Normalization> = result
        .normalizations
        .iter()
        .map(|n| super::Normalization {
            name: n.name.name().to_string(),
            description: n.description.to_string(),
            count: n.count,
        })
        .collect();
    let differences: Vec<super::ReproDifference> = result
        .differences
        .iter()
        .map(|d| super::ReproDifference {
            path: d.path.clone(),
            kind: difference_kind(&d.kind).0,
        })
        .collect();
    let verdict = match result.verdict {
        Verdict::Identical => "identical",
        Verdict::Equivalent => "equivalent",
        Verdict::Different => "different",
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
                let (kind, detail) = difference_kind(&d.kind);
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
    report.results.repro = Some(super::ReproSection {
        verdict: verdict.to_string(),
        normalizations,
        differences,
    });
    (true, summary)
}

/// A name for a signer as the report shows it.
fn signer_name(s: &crate::sig::release::SignerId) -> String {
    s.name.clone()
}

/// The kebab-case name serde gives a value (`cms`, `pinned-key`, ...).
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Signatures, chains and coverage of the release against the trust policy
/// (`core::sig`), at the report's time, and signer continuity against the
/// previous release: a failed signature or checksum, or a required file
/// unsigned, is critical naming the file; a new or changed signer is high;
/// a removed signer or optional unsigned files medium.
fn verify_step(
    case: &AuditCase,
    policy_path: &CasePath,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> (bool, String) {
    use crate::sig::release::CoverageStatus;
    let could_not = |findings: &mut Vec<Finding>, why: String| {
        findings.push(
            Finding::new(
                Severity::High,
                Check::Verify,
                format!("{CANNOT_RUN}: signatures of {}", case.release.path.written),
            )
            .evidence(why),
        );
        (false, "could not verify signatures".to_string())
    };
    let policy = match crate::policy::TrustPolicy::load(&policy_path.resolved) {
        Ok(p) => p,
        Err(e) => return could_not(findings, e.to_string()),
    };
    let now = match time::OffsetDateTime::parse(
        &report.time,
        &time::format_description::well_known::Rfc3339,
    ) {
        Ok(t) => t,
        Err(e) => return could_not(findings, format!("report time: {e}")),
    };
    let result =
        match crate::sig::release::verify_release_at(&case.release.path.resolved, &policy, now) {
            Ok(r) => r,
            Err(e) => return could_not(findings, e),
        };

    // Failures, grouped per file so each file is one critical finding.
    let mut by_file: std::collections::BTreeMap<&str, Vec<&crate::sig::release::Failure>> =
        Default::default();
    for f in &result.failures {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    for (file, fails) in &by_file {
        let mut finding = Finding::new(
            Severity::Critical,
            Check::Verify,
            format!("Signature verification failed for {file}"),
        );
        for f in fails {
            let sig = if f.signature.is_empty() {
                String::new()
            } else {
                format!("{}: ", f.signature)
            };
            finding = finding.evidence(format!("{sig}{}: {}", f.check, f.reason));
        }
        findings.push(finding.paths([file.to_string()]));
    }
    let unsigned: Vec<&crate::sig::release::FileCoverage> = result
        .files
        .iter()
        .filter(|f| f.status == CoverageStatus::Unsigned)
        .collect();
    let (required, optional): (Vec<&crate::sig::release::FileCoverage>, Vec<_>) =
        unsigned.iter().partition(|f| f.required);
    for f in required
        .iter()
        .filter(|f| !by_file.contains_key(f.path.as_str()))
    {
        findings.push(
            Finding::new(
                Severity::Critical,
                Check::Verify,
                format!("{} is required to be signed but is not", f.path),
            )
            .paths([f.path.clone()]),
        );
    }
    if !optional.is_empty() {
        findings.push(
            Finding::new(
                Severity::Medium,
                Check::Verify,
                format!("{} files are not covered by any signature", optional.len()),
            )
            .evidence("the policy allows them unsigned")
            .paths(optional.iter().map(|f| f.path.clone())),
        );
    }

    let coverage = super::Coverage {
        verified: result
            .files
            .iter()
            .filter(|f| f.status == CoverageStatus::Verified)
            .count() as u64,
        unsigned: unsigned.len() as u64,
        failed: result
            .files
            .iter()
            .filter(|f| f.status == CoverageStatus::Failed)
            .count() as u64,
    };
    let signatures = result
        .signatures
        .iter()
        .map(|s| super::SignatureRow {
            signature: s.signature.clone(),
            format: serde_name(&s.kind),
            targets: s.targets.clone(),
            verified: s.verified,
            signers: s.signers.iter().map(signer_name).collect(),
            time: s.time.map(crate::sig::fmt_time),
            reason: (!s.failures.is_empty()).then(|| {
                s.failures
                    .iter()
                    .map(|f| format!("{}: {}", f.check, f.reason))
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
        })
        .collect();
    // One chain per distinct signer: X.509 chains from the CMS details,
    // pinned keys and Sigstore identities without one.
    let mut signers: Vec<super::SignerChain> = Vec::new();
    for s in &result.signatures {
        for cms in s.cms.iter().flat_map(|c| c.signers.iter()) {
            let key = cms.key_sha256.to_hex();
            if !signers
                .iter()
                .any(|x| x.signer == cms.subject && x.key_sha256.as_deref() == Some(&key))
            {
                signers.push(super::SignerChain {
                    signer: cms.subject.clone(),
                    kind: "x509".to_string(),
                    key_sha256: Some(key),
                    chain: cms.chain.clone(),
                });
            }
        }
    }
    for s in &result.signers {
        let key = s.key_sha256.map(|k| k.to_hex());
        if !signers
            .iter()
            .any(|x| x.signer == s.name && x.key_sha256 == key)
        {
            signers.push(super::SignerChain {
                signer: s.name.clone(),
                kind: serde_name(&s.kind),
                key_sha256: key,
                chain: Vec::new(),
            });
        }
    }
    let problems = result
        .failures
        .iter()
        .map(|f| super::FileProblem {
            file: f.file.clone(),
            signature: f.signature.clone(),
            check: f.check.clone(),
            reason: f.reason.clone(),
        })
        .collect();

    let continuity = match &case.previous {
        None => None,
        Some(prev) => {
            match crate::sig::release::verify_release_at(&prev.path.resolved, &policy, now)
                .and_then(|before| {
                    match before.failures.iter().find(|f| f.check == "one-reading") {
                        // A previous release the reader refuses has no signers to
                        // compare with: say so rather than call every signer new.
                        Some(refused) => Err(refused.reason.clone()),
                        None => Ok(before),
                    }
                }) {
                Err(e) => {
                    findings.push(
                        Finding::new(
                            Severity::High,
                            Check::Verify,
                            format!("{CANNOT_RUN}: signer continuity with {}", prev.path.written),
                        )
                        .evidence(e),
                    );
                    None
                }
                Ok(before) => {
                    let c = crate::sig::continuity::compare(&before.signers, &result.signers);
                    for s in &c.new {
                        findings.push(
                            Finding::new(
                                Severity::High,
                                Check::Verify,
                                format!("New signer since {}: {}", prev.version, s.name),
                            )
                            .evidence(format!(
                                "kind {}, key sha256 {}",
                                serde_name(&s.kind),
                                s.key_sha256.map(|k| k.to_hex()).unwrap_or_default()
                            )),
                        );
                    }
                    for ch in &c.changed {
                        findings.push(
                            Finding::new(
                                Severity::High,
                                Check::Verify,
                                format!(
                                    "Signer {} has a new {} since {}",
                                    ch.after.name, ch.what, prev.version
                                ),
                            )
                            .evidence(format!(
                                "key sha256 {} -> {}",
                                ch.before.key_sha256.map(|k| k.to_hex()).unwrap_or_default(),
                                ch.after.key_sha256.map(|k| k.to_hex()).unwrap_or_default()
                            )),
                        );
                    }
                    for s in &c.removed {
                        findings.push(Finding::new(
                            Severity::Medium,
                            Check::Verify,
                            format!("Signer of {} no longer signs: {}", prev.version, s.name),
                        ));
                    }
                    Some(super::Continuity {
                        new: c.new.iter().map(signer_name).collect(),
                        removed: c.removed.iter().map(signer_name).collect(),
                        changed: c
                            .changed
                            .iter()
                            .map(|ch| format!("{}: {}", ch.after.name, ch.what))
                            .collect(),
                    })
                }
            }
        }
    };
    // An archive the reader refused has no files to count: say why instead
    // of "0 of 0 files verified, 0 failed".
    let refused = result.failures.iter().find(|f| f.check == "one-reading");
    let summary = match refused {
        Some(r) => format!("release refused by the reader (one-reading): {}", r.reason),
        None => format!(
            "{} signatures, {} of {} files verified, {} failed",
            result.signatures.len(),
            coverage.verified,
            result
                .files
                .iter()
                .filter(|f| f.status != CoverageStatus::Signature)
                .count(),
            coverage.failed
        ),
    };
    if result.verified {
        findings.push(Finding::new(
            Severity::Info,
            Check::Verify,
            format!("Signatures verified: {summary}"),
        ));
    }
    report.results.verify = Some(super::VerifySection {
        verified: result.verified,
        coverage,
        signatures,
        signers,
        problems,
        continuity,
    });
    (true, summary)
}

/// What changed since the previous release (`core::diff`): the counts per
/// class, and every changed executable as a medium finding (an auditor
/// must look at new code); an executable modified without a new build-id
/// (patched after linking) is high.
fn diff_step(
    case: &AuditCase,
    previous: &super::case::CaseRelease,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> (bool, String) {
    use crate::diff::{DiffOptions, diff_paths};
    let result = match diff_paths(
        &previous.path.resolved,
        &case.release.path.resolved,
        &DiffOptions::default(),
        &|_| {},
    ) {
        Ok(r) => r,
        Err(e) => {
            findings.push(
                Finding::new(
                    Severity::High,
                    Check::Diff,
                    format!(
                        "{CANNOT_RUN}: cannot compare with {}",
                        previous.path.written
                    ),
                )
                .evidence(e.to_string()),
            );
            return (
                false,
                "could not compare with the previous release".to_string(),
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
    findings.push(Finding::new(
        Severity::Info,
        Check::Diff,
        format!("Changes since {}: {counted}", previous.version),
    ));
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
        findings.push(
            Finding::new(
                Severity::Medium,
                Check::Diff,
                format!(
                    "Executable {path} {class} since {} ({})",
                    previous.version, e.format
                ),
            )
            .evidence(digests)
            .paths([path.clone()]),
        );
        executables.push(path);
    }
    report.results.diff = Some(super::DiffSection {
        previous_version: previous.version.clone(),
        counts,
        changed_executables: executables,
    });
    (true, summary)
}

/// The vendor's TUF repository verified as a client would
/// (`core::tuf`), at the report's time, so the verdict is reproducible:
/// a failed refresh or target is critical, a delegated role that failed
/// high, the verifier's own observations medium.
fn tuf_step(
    tuf: &super::case::CaseTuf,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> (bool, String) {
    use crate::tuf::{DirSource, Options, TargetSelection};
    let could_not = |findings: &mut Vec<Finding>, why: String| {
        findings.push(
            Finding::new(
                Severity::High,
                Check::Tuf,
                format!("{CANNOT_RUN}: TUF repository {}", tuf.repo.written),
            )
            .evidence(why),
        );
        (false, "could not verify the TUF repository".to_string())
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
            Err(e) => return could_not(findings, e.to_string()),
        };
    let section = super::TufSection {
        verified: result.verified(),
        root_versions: result.root_chain.iter().map(|r| r.version).collect(),
        roles: result
            .roles
            .iter()
            .map(|r| super::TufRole {
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
            .map(|t| super::TufTarget {
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
    (true, summary)
}

/// A repro difference as its stable kind name (the JSON tag `core::repro`
/// gives it) and its details as `field=value` pairs.
fn difference_kind(kind: &crate::repro::DifferenceKind) -> (String, String) {
    let value = serde_json::to_value(kind).unwrap_or_default();
    let mut name = String::from("unknown");
    let mut details = Vec::new();
    if let Some(obj) = value.as_object() {
        for (k, v) in obj {
            if k == "difference" {
                name = v.as_str().unwrap_or("unknown").to_string();
            } else {
                let shown = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                details.push(format!("{k}={shown}"));
            }
        }
    }
    (name, details.join(", "))
}

/// Records the step of `check`: an error when it could not run, failed
/// when it produced a high or critical finding, else passed.
fn finish_step(
    report: &mut AuditReport,
    findings: &[Finding],
    check: Check,
    ran: bool,
    summary: String,
    progress: &mut dyn FnMut(AuditEvent<'_>),
) {
    let status = if !ran {
        StepStatus::Error
    } else if findings
        .iter()
        .any(|f| f.check == check && f.severity.fails_audit())
    {
        StepStatus::Failed
    } else {
        StepStatus::Passed
    };
    report.steps.push(Step {
        check,
        status,
        summary,
    });
    progress(AuditEvent::Finished(
        report.steps.last().expect("just pushed"),
    ));
}

fn role_word(role: InputRole) -> &'static str {
    match role {
        InputRole::Release => "release",
        InputRole::Previous => "previous release",
        InputRole::Rebuild => "rebuild",
        InputRole::Policy => "trust policy",
        InputRole::TufRoot => "TUF trust anchor",
        InputRole::TufRepository => "TUF repository",
        InputRole::TrustMaterial => "trust material",
    }
}

/// The files the case's trust policy points to (roots, intermediates, TSA
/// roots, pinned keys, Sigstore trusted roots), as inputs named relative to
/// the case file, in policy order without duplicates. An unloadable policy
/// gives none here: the verify step reports why it cannot be used.
fn trust_material(case: &AuditCase) -> Vec<CasePath> {
    let Some(policy_path) = &case.policy else {
        return Vec::new();
    };
    let Ok(policy) = crate::policy::TrustPolicy::load(&policy_path.resolved) else {
        return Vec::new();
    };
    let files = policy
        .roots
        .iter()
        .chain(&policy.intermediates)
        .chain(&policy.tsa_roots)
        .map(|c| &c.path)
        .chain(policy.keys.iter().map(|k| &k.path))
        .chain(policy.sigstore.iter().map(|s| &s.trusted_root));
    let base = case.file.parent().unwrap_or(Path::new(""));
    let mut out: Vec<CasePath> = Vec::new();
    for resolved in files {
        if out.iter().any(|c| &c.resolved == resolved) {
            continue;
        }
        out.push(CasePath {
            written: relative_name(base, resolved),
            resolved: resolved.clone(),
        });
    }
    out
}

/// `path` named relative to `base`, `/`-separated, with `.` and `..`
/// resolved lexically (a policy in a subdirectory may say `../pki/root.pem`).
/// A path outside `base` keeps its full form: it is hashed and signed, but
/// `report verify --artifacts` cannot relocate it (see README).
fn relative_name(base: &Path, path: &Path) -> String {
    use std::path::Component;
    let full = || path.to_string_lossy().replace('\\', "/");
    let Ok(rel) = path.strip_prefix(base) else {
        return full();
    };
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return full();
                }
            }
            Component::RootDir | Component::Prefix(_) => return full(),
        }
    }
    parts.join("/")
}

/// The inputs of a case, in report order.
fn case_inputs(case: &AuditCase) -> Vec<(InputRole, &CasePath)> {
    let mut inputs = vec![(InputRole::Release, &case.release.path)];
    if let Some(p) = &case.previous {
        inputs.push((InputRole::Previous, &p.path));
    }
    if let Some(p) = &case.policy {
        inputs.push((InputRole::Policy, p));
    }
    if let Some(r) = &case.rebuild {
        inputs.push((InputRole::Rebuild, r));
    }
    if let Some(t) = &case.tuf {
        inputs.push((InputRole::TufRoot, &t.root));
        inputs.push((InputRole::TufRepository, &t.repo));
    }
    inputs
}

/// The subjects a report vouches for: every file of every input, named
/// relative to the case file, sorted by name, without duplicates.
pub fn subjects_of(report: &AuditReport) -> Vec<Subject> {
    let mut subjects: Vec<Subject> = Vec::new();
    for input in &report.inputs {
        match input.kind {
            InputKind::File => subjects.push(Subject {
                name: input.path.clone(),
                sha256: input.sha256.clone(),
            }),
            InputKind::Directory => {
                let base = input.path.trim_end_matches('/');
                subjects.extend(input.files.iter().map(|f| Subject {
                    name: format!("{base}/{}", f.path),
                    sha256: f.sha256.clone(),
                }))
            }
        }
    }
    subjects.sort_by(|a, b| a.name.cmp(&b.name).then(a.sha256.cmp(&b.sha256)));
    subjects.dedup();
    subjects
}

/// Hashes one input: a file, or every regular file of a directory. Returns
/// the input and the entries skipped (links, devices), relative paths.
fn hash_input(role: InputRole, path: &CasePath) -> Result<(Input, Vec<String>), String> {
    let meta = std::fs::metadata(&path.resolved)
        .map_err(|e| format!("{}: {e}", path.resolved.display()))?;
    if meta.is_file() {
        let (sha256, _) = hash_file(&path.resolved)?;
        return Ok((
            Input {
                role,
                path: path.written.clone(),
                kind: InputKind::File,
                sha256,
                files: Vec::new(),
            },
            Vec::new(),
        ));
    }
    let (sha256, files, skipped) = hash_directory(&path.resolved)?;
    Ok((
        Input {
            role,
            path: path.written.clone(),
            kind: InputKind::Directory,
            sha256,
            files,
        },
        skipped,
    ))
}

/// Reads a directory through the release reader (`core::release`: no link
/// followed, each file re-checked as it is opened) and returns the digest
/// of its `sha256sum` listing, its regular files sorted by path bytes, and
/// its other entries (links, devices: not hashed). The audit and `report
/// verify --artifacts` both call this, so the digest is recomputed exactly
/// as it was made.
pub fn hash_directory(dir: &Path) -> Result<(String, Vec<Artifact>, Vec<String>), String> {
    use crate::release::{EntryKind, ReadOptions, Release};
    let release = Release::open(dir, &ReadOptions::default())
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in &release.entries {
        // Only the directory's own files: an archive inside it is one file.
        if entry.path.depth() > 0 {
            continue;
        }
        let name = entry.path.inner();
        let rel = name.to_str().ok_or_else(|| {
            format!(
                "{}: a file name is not UTF-8 ({:?})",
                dir.display(),
                String::from_utf8_lossy(name.as_bytes())
            )
        })?;
        match entry.kind {
            EntryKind::Dir => {}
            EntryKind::File => {
                let digests = entry
                    .digests
                    .as_ref()
                    .ok_or_else(|| format!("{}/{rel}: not hashed by the reader", dir.display()))?;
                if files.len() >= MAX_INPUT_FILES {
                    return Err(format!("more than {MAX_INPUT_FILES} files"));
                }
                files.push(Artifact {
                    path: rel.to_string(),
                    sha256: digests.sha256.to_hex(),
                    size: entry.size,
                });
            }
            EntryKind::Symlink | EntryKind::Hardlink | EntryKind::Other => {
                skipped.push(rel.to_string())
            }
        }
    }
    // Sorted by path bytes, as `LC_ALL=C sort` would, so the listing digest
    // is what `sha256sum` over the same files gives.
    files.sort_by(|a: &Artifact, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let mut listing = Sha256::new();
    for f in &files {
        listing.update(format!("{}  {}\n", f.sha256, f.path).as_bytes());
    }
    Ok((hex::encode(listing.finalize()), files, skipped))
}

/// What `report verify --artifacts DIR` found wrong with the audited files
/// under DIR (the case file's directory), beyond the subjects' digests
/// ([`super::statement::check_subjects`]): for every directory input, the
/// directory is re-read as the audit read it ([`hash_directory`]); a file
/// that is there but not in the report, a link or special file the report
/// did not record, or a listing digest that differs is a mismatch. A
/// release directory that gained a file after the audit therefore fails.
pub fn check_directories(
    report: &AuditReport,
    dir: &Path,
) -> Vec<super::statement::SubjectMismatch> {
    use super::statement::SubjectMismatch;
    let mut out = Vec::new();
    for input in report
        .inputs
        .iter()
        .filter(|i| i.kind == InputKind::Directory)
    {
        let base = input.path.trim_end_matches('/');
        let mismatch = |name: String, reason: String| SubjectMismatch { name, reason };
        if !super::statement::stays_inside(base) {
            out.push(mismatch(
                base.to_string(),
                "name leaves the artifacts directory".into(),
            ));
            continue;
        }
        let (sha256, files, skipped) = match hash_directory(&dir.join(base)) {
            Ok(r) => r,
            Err(e) => {
                out.push(mismatch(base.to_string(), format!("cannot re-read: {e}")));
                continue;
            }
        };
        let known: std::collections::BTreeSet<&str> =
            input.files.iter().map(|f| f.path.as_str()).collect();
        for f in files.iter().filter(|f| !known.contains(f.path.as_str())) {
            out.push(mismatch(
                format!("{base}/{}", f.path),
                "present in the audited directory but not in the report (added after the audit?)"
                    .into(),
            ));
        }
        // Links and special files are never hashed; the audit lists the
        // ones it saw in an `inputs` finding, and only those are expected.
        let recorded = |rel: &str| {
            report.findings.iter().any(|f| {
                f.check == Check::Inputs
                    && f.title
                        .ends_with(&format!(" in {} were not hashed", input.path))
                    && f.paths.iter().any(|p| p == rel)
            })
        };
        for rel in skipped.iter().filter(|r| !recorded(r)) {
            out.push(mismatch(
                format!("{base}/{rel}"),
                "a link or special file the report does not record".into(),
            ));
        }
        if sha256 != input.sha256 {
            out.push(mismatch(
                base.to_string(),
                format!(
                    "directory digest on disk {sha256} but the report vouches for {}",
                    input.sha256
                ),
            ));
        }
    }
    out
}

fn hash_file(path: &Path) -> Result<(String, u64), String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (digests, size) = crate::digest::hash_reader(&mut f, crate::digest::DigestSet::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((digests.sha256.to_hex(), size))
}

/// What [`log_audit`] appended.
#[derive(Clone, Debug)]
pub struct Logged {
    /// Index of the signed report's entry.
    pub index: u64,
    /// Entries appended (the report, then every audited file).
    pub count: usize,
    /// The log size after the append.
    pub size: u64,
    /// A tlog-proof (C2SP) of the report's entry.
    pub proof: crate::tlog::proof::TlogProof,
}

/// Appends the signed report `envelope` and every audited file (the report's
/// subjects, resolved against the case file's directory) to the case's
/// transparency log, and proves the report's inclusion. This happens after
/// signing, so it is not part of the report; its proof sits beside it.
pub fn log_audit(
    case: &AuditCase,
    report: &AuditReport,
    envelope: &Path,
) -> Result<Option<Logged>, crate::tlog::Error> {
    let Some(cl) = &case.log else {
        return Ok(None);
    };
    let log = crate::tlog::Log::open(&cl.dir.resolved)?;
    let pem = crate::tlog::tiles::read_bounded(&cl.key.resolved, 64 * 1024)?;
    let der = crate::tlog::key::pkcs8_der(&pem)?;
    let signer = crate::tlog::LogSigner::from_pkcs8(log.origin(), &der)?;
    let base = case.file.parent().unwrap_or(Path::new(""));
    let mut files: Vec<PathBuf> = vec![envelope.to_path_buf()];
    files.extend(subjects_of(report).iter().map(|s| base.join(&s.name)));
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let appended = log.append_files(&signer, &refs)?;
    let proof = log.prove(appended.first_index)?;
    Ok(Some(Logged {
        index: appended.first_index,
        count: files.len(),
        size: appended.checkpoint.checkpoint.size,
        proof,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_material_is_named_relative_to_the_case_file() {
        let base = Path::new("/cases/demo");
        for (path, name) in [
            ("/cases/demo/pki/root.pem", "pki/root.pem"),
            ("/cases/demo/policies/../pki/root.pem", "pki/root.pem"),
            ("/cases/demo/./keys/k.pem", "keys/k.pem"),
            // Outside the case directory: kept whole (not relocatable).
            (
                "/cases/demo/../other/root.pem",
                "/cases/demo/../other/root.pem",
            ),
            ("/etc/ssl/root.pem", "/etc/ssl/root.pem"),
        ] {
            assert_eq!(relative_name(base, Path::new(path)), name, "{path}");
        }
    }

    #[test]
    fn directory_digest_is_the_sha256sum_listing() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b")).unwrap();
        std::fs::write(d.path().join("b/x"), b"x").unwrap();
        std::fs::write(d.path().join("a"), b"a").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("link")).unwrap();
        let p = CasePath {
            written: "rel".into(),
            resolved: d.path().to_path_buf(),
        };
        let (input, skipped) = hash_input(InputRole::Release, &p).unwrap();
        let paths: Vec<&str> = input.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a", "b/x"]);
        let listing = format!(
            "{}  a\n{}  b/x\n",
            hex::encode(Sha256::digest(b"a")),
            hex::encode(Sha256::digest(b"x"))
        );
        assert_eq!(
            input.sha256,
            hex::encode(Sha256::digest(listing.as_bytes()))
        );
        #[cfg(unix)]
        assert_eq!(skipped, ["link"]);
    }
}

//! The verify check: signatures, chains and coverage of the release
//! against the trust policy (`core::sig`), and signer continuity with the
//! previous release.

use time::OffsetDateTime;

use crate::policy::TrustPolicy;
use crate::report::{AuditReport, Check, Finding, Severity};
use crate::sig::release::{ReleaseVerification, VerifyError, verify_opened, verify_release_at};

use super::case::{AuditCase, CasePath};
use super::releases::{Releases, SharedRelease};
use super::step::{CANNOT_RUN, Outcome, could_not_run, error_chain, serde_name};

/// Verifies `shared` through its one reading when that is the verifier's
/// own, else reads it as the verifier does (same verdict either way).
fn verify_shared(
    shared: &SharedRelease,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<ReleaseVerification, VerifyError> {
    match shared.for_verify() {
        Some(release) => verify_opened(shared.path(), release, policy, now),
        None => verify_release_at(shared.path(), policy, now),
    }
}

/// The case's apt channel checked against the release's `.deb`s (those of
/// a directory release, or the release itself when it is one `.deb`) and
/// folded into the verification (`crate::apt::fold_into_release`).
fn apt_chain(
    apt: &super::case::CaseApt,
    release: &std::path::Path,
    policy: &TrustPolicy,
    now: OffsetDateTime,
    result: &mut ReleaseVerification,
) -> Result<(), crate::apt::AptError> {
    let debs: Vec<String> = result
        .files
        .iter()
        .filter(|f| f.kind == crate::sig::release::EntryType::File && f.path.ends_with(".deb"))
        .map(|f| f.path.clone())
        .collect();
    let paths = debs
        .iter()
        .map(|d| {
            if release.is_dir() {
                release.join(d)
            } else {
                release.to_path_buf()
            }
        })
        .collect();
    let inputs = crate::apt::AptInputs {
        release: apt.release.resolved.clone(),
        release_gpg: apt.release_gpg.as_ref().map(|g| g.resolved.clone()),
        indexes: apt.indexes.iter().map(|i| i.resolved.clone()).collect(),
        debs: paths,
    };
    let chain = crate::apt::verify(&inputs, policy, None, now)?;
    crate::apt::fold_into_release(result, &chain, &debs);
    Ok(())
}

/// A name for a signer as the report shows it.
fn signer_name(s: &crate::sig::release::SignerId) -> String {
    s.name.clone()
}

/// Signatures, chains and coverage of the release against the trust policy
/// (`core::sig`), at the report's time, and signer continuity against the
/// previous release: a failed signature or checksum, or a required file
/// unsigned, is critical naming the file; a new or changed signer is high;
/// a removed signer or optional unsigned files medium.
pub(super) fn verify_step(
    case: &AuditCase,
    policy_path: &CasePath,
    releases: &Releases,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> Outcome {
    use crate::sig::release::CoverageStatus;
    let could_not = |findings: &mut Vec<Finding>, why: String| {
        let subject = format!("signatures of {}", case.release.path.written);
        could_not_run(
            findings,
            Check::Verify,
            subject,
            why,
            "could not verify signatures",
        )
    };
    let policy = match crate::policy::TrustPolicy::load(&policy_path.resolved) {
        Ok(p) => p,
        Err(e) => return could_not(findings, error_chain(&e)),
    };
    let now = match time::OffsetDateTime::parse(
        &report.time,
        &time::format_description::well_known::Rfc3339,
    ) {
        Ok(t) => t,
        Err(e) => return could_not(findings, format!("report time: {e}")),
    };
    let mut result = match verify_shared(&releases.release, &policy, now) {
        Ok(r) => r,
        Err(e) => return could_not(findings, error_chain(&e)),
    };
    if let Some(apt) = &case.apt
        && let Err(e) = apt_chain(apt, &case.release.path.resolved, &policy, now, &mut result)
    {
        return could_not(findings, e.to_string());
    }

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

    let coverage = crate::report::Coverage {
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
        .map(|s| crate::report::SignatureRow {
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
    let mut signers: Vec<crate::report::SignerChain> = Vec::new();
    for s in &result.signatures {
        for cms in s.cms.iter().flat_map(|c| c.signers.iter()) {
            let key = cms.key_sha256.to_hex();
            if !signers
                .iter()
                .any(|x| x.signer == cms.subject && x.key_sha256.as_deref() == Some(&key))
            {
                signers.push(crate::report::SignerChain {
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
            signers.push(crate::report::SignerChain {
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
        .map(|f| crate::report::FileProblem {
            file: f.file.clone(),
            signature: f.signature.clone(),
            check: f.check.clone(),
            reason: f.reason.clone(),
        })
        .collect();

    let continuity = match &case.previous {
        None => None,
        Some(prev) => {
            let shared = releases.previous.as_ref().expect("opened with the case");
            match verify_shared(shared, &policy, now)
                .map_err(|e| e.to_string())
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
                    Some(crate::report::Continuity {
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
    report.results.verify = Some(crate::report::VerifySection {
        verified: result.verified,
        coverage,
        signatures,
        signers,
        problems,
        continuity,
    });
    Outcome::Ran(summary)
}

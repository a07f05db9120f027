//! `glassbox verify`: the verdict on an artifact or a release, for people
//! and as JSON (schema `core/schema/verify.v1.schema.json`).

use glassbox_core::policy::TrustPolicy;
use glassbox_core::sig::authenticode::{PeFile, PeVerification};
use glassbox_core::sig::continuity::Continuity;
use glassbox_core::sig::fmt_time;
use glassbox_core::sig::release::{
    self as rel, CoverageStatus, Failure, ReleaseVerification, SignatureResult,
};
use glassbox_core::tlog::leaf::LeafRecord;
use serde::Serialize;

use super::Format;
use crate::ui::Ui;

/// The verdict on `--log-proof`.
#[derive(Serialize)]
pub struct LogProofCheck {
    /// The proof file.
    pub proof: String,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The log's origin (the checkpoint's first line), when it verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_size: Option<u64>,
    /// What the log recorded for the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<LeafRecord>,
    pub cosigned_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What `--format json` prints.
#[derive(Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
#[allow(clippy::large_enum_variant)] // one value per run
pub enum Report {
    Artifact {
        artifact: String,
        verified: bool,
        signatures: Vec<SignatureResult>,
        failures: Vec<Failure>,
        #[serde(skip_serializing_if = "Option::is_none")]
        log_proof: Option<LogProofCheck>,
    },
    /// A PE file verified by its embedded Authenticode signatures.
    Authenticode {
        file: String,
        #[serde(flatten)]
        result: PeVerification,
        #[serde(skip_serializing_if = "Option::is_none")]
        continuity: Option<Continuity>,
        #[serde(skip_serializing_if = "Option::is_none")]
        log_proof: Option<LogProofCheck>,
    },
    Release {
        release: String,
        #[serde(flatten)]
        result: ReleaseVerification,
        #[serde(skip_serializing_if = "Option::is_none")]
        continuity: Option<Continuity>,
        #[serde(skip_serializing_if = "Option::is_none")]
        log_proof: Option<LogProofCheck>,
    },
}

/// Renders `glassbox verify`'s verdict.
pub fn report(r: &Report, policy: &TrustPolicy, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => super::json(r),
        _ => super::stdout(&render_text(r, policy, ui)),
    }
}

fn render_text(report: &Report, policy: &TrustPolicy, ui: &Ui) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let time = serde_json::to_value(policy.validation_time)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let sig_line = |out: &mut String, s: &SignatureResult| {
        let mark = mark(s.verified, ui);
        let who = s
            .signers
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let when = s
            .time
            .map(|t| format!(" timestamp {}", fmt_time(t)))
            .unwrap_or_default();
        let _ = write!(out, "  {mark} {} [{}]", s.signature, serde_kind(s));
        if s.verified {
            let _ = writeln!(out, " {who}{when}");
        } else if s.openpgp.is_some() {
            // Each OpenPGP signature's reason is on its own line below.
            let _ = writeln!(out);
        } else if let Some(f) = s.failures.first() {
            let more = match s.failures.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            let _ = writeln!(out, " {}: {}{more}", f.check, f.reason);
        }
        // OpenPGP: one line per signature of the file, each with its key.
        for r in s.openpgp.iter().flat_map(|v| &v.signatures) {
            let mark = if r.verified {
                ui.good("ok  ")
            } else {
                ui.bad("FAIL")
            };
            let key = match (&r.signing_key, &r.primary_key) {
                (Some(k), Some(p)) if k != p => format!("{k} (subkey of {p})"),
                (Some(k), _) => k.clone(),
                _ => r.issuer.clone(),
            };
            let made = r.created.map(fmt_time).unwrap_or_default();
            let detail = match &r.failure {
                None => format!(
                    "{} {}, {}, made {made}",
                    r.user_id.as_deref().unwrap_or_default(),
                    r.key_algorithm.as_deref().unwrap_or_default(),
                    r.hash_algorithm
                ),
                Some(f) => format!("{}: {f}", f.check()),
            };
            let _ = writeln!(out, "      {mark} openpgp {key}: {detail}");
        }
    };
    let failures_block = |out: &mut String, failures: &[Failure]| {
        if !failures.is_empty() {
            let _ = writeln!(out, "failures:");
            for f in failures {
                let sig = if f.signature.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", f.signature)
                };
                let _ = writeln!(out, "  {}{sig} {}: {}", f.file, f.check, f.reason);
            }
        }
    };
    let log_block = |out: &mut String, check: &Option<LogProofCheck>| {
        let Some(c) = check else { return };
        let _ = writeln!(out, "transparency log:");
        if c.verified {
            let cosigned = if c.cosigned_by.is_empty() {
                String::new()
            } else {
                format!(", cosigned by {}", c.cosigned_by.join(", "))
            };
            let _ = writeln!(
                out,
                "  {} {} is entry {} of {} at tree size {}{cosigned} [{}]",
                ui.good("ok  "),
                c.record.as_ref().map_or("", |r| r.name.as_str()),
                c.index.unwrap_or_default(),
                c.origin.as_deref().unwrap_or_default(),
                c.tree_size.unwrap_or_default(),
                c.proof
            );
        } else {
            let _ = writeln!(
                out,
                "  {} [{}] {}",
                ui.bad("FAIL"),
                c.proof,
                c.reason.as_deref().unwrap_or_default()
            );
        }
    };
    let continuity_block = |out: &mut String, continuity: &Option<Continuity>| {
        if let Some(c) = continuity {
            let _ = writeln!(out, "signer continuity with the previous release:");
            if !c.has_changes() {
                let _ = writeln!(out, "  unchanged ({} signers)", c.unchanged.len());
            }
            for s in &c.new {
                let _ = writeln!(out, "  {} {}", ui.warn("NEW signer"), s.name);
            }
            for s in &c.removed {
                let _ = writeln!(out, "  {} {}", ui.warn("removed signer"), s.name);
            }
            for ch in &c.changed {
                let _ = writeln!(
                    out,
                    "  {} {} ({} changed)",
                    ui.warn("CHANGED signer"),
                    ch.after.name,
                    ch.what
                );
            }
        }
    };
    let header = |out: &mut String, what: String| {
        let _ = writeln!(
            out,
            "{what} (policy {}, validation time {time})",
            policy.source.display()
        );
    };
    match report {
        Report::Authenticode {
            file,
            result,
            continuity,
            log_proof,
        } => {
            header(&mut out, format!("PE file {file}"));
            authenticode_block(
                &mut out,
                &PeFile {
                    path: file.clone(),
                    result: result.clone(),
                },
                ui,
            );
            continuity_block(&mut out, continuity);
            log_block(&mut out, log_proof);
            if !result.failures.is_empty() {
                let _ = writeln!(out, "failures:");
                for f in &result.failures {
                    let sig = if f.signature.is_empty() {
                        String::new()
                    } else {
                        format!(" [signature {}]", f.signature)
                    };
                    let _ = writeln!(out, "  {file}{sig} {}: {}", f.check, f.reason);
                }
            }
            verdict(&mut out, result.verified, result.failures.len(), ui);
        }
        Report::Artifact {
            artifact,
            verified,
            signatures,
            failures,
            log_proof,
        } => {
            header(&mut out, format!("artifact {artifact}"));
            for s in signatures {
                sig_line(&mut out, s);
            }
            log_block(&mut out, log_proof);
            failures_block(&mut out, failures);
            verdict(&mut out, *verified, failures.len(), ui);
        }
        Report::Release {
            release,
            result,
            continuity,
            log_proof,
        } => {
            header(&mut out, format!("release {release}"));
            let _ = writeln!(out, "signatures ({}):", result.signatures.len());
            for s in &result.signatures {
                sig_line(&mut out, s);
            }
            let _ = writeln!(out, "files:");
            for f in result
                .files
                .iter()
                .filter(|f| f.status != CoverageStatus::Signature)
            {
                let status = match f.status {
                    CoverageStatus::Verified => ui.good("verified"),
                    CoverageStatus::Unsigned => ui.warn("unsigned"),
                    CoverageStatus::Failed => ui.bad("FAILED  "),
                    CoverageStatus::Signature => unreachable!("filtered"),
                };
                let by = f
                    .covered_by
                    .iter()
                    .map(|c| match &c.manifest {
                        Some(m) => format!("{} via {m}", c.signature),
                        None => c.signature.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let by = if by.is_empty() {
                    String::new()
                } else {
                    format!("  by {by}")
                };
                let what = match (f.kind, &f.target) {
                    (rel::EntryType::File, _) => String::new(),
                    (k, Some(t)) => format!(" ({} -> {t})", k.name()),
                    (k, None) => format!(" ({})", k.name()),
                };
                let _ = writeln!(out, "  {status} {}{what}{by}", f.path);
            }
            let _ = writeln!(out, "signers:");
            for s in &result.signers {
                let key = match (&s.openpgp, s.key_sha256) {
                    (Some(p), _) => format!(
                        " primary key {} signing key {}",
                        p.primary_key, p.signing_key
                    ),
                    (None, Some(k)) => format!(" key sha256:{k}"),
                    (None, None) => String::new(),
                };
                let _ = writeln!(out, "  {} {}{key}", serde_json_str(&s.kind), s.name);
            }
            continuity_block(&mut out, continuity);
            for f in &result.authenticode {
                authenticode_block(&mut out, f, ui);
            }
            log_block(&mut out, log_proof);
            failures_block(&mut out, &result.failures);
            verdict(&mut out, result.verified, result.failures.len(), ui);
        }
    }
    out
}

/// The Authenticode details of one PE file: its digest (to compare with
/// `osslsigncode verify`'s "Calculated message digest"), checksum, and each
/// signature with signer, chain, timestamp and program information.
fn authenticode_block(out: &mut String, f: &PeFile, ui: &Ui) {
    use std::fmt::Write;
    let r = &f.result;
    let _ = writeln!(
        out,
        "authenticode {} ({}):",
        f.path,
        r.format.unwrap_or("not a PE image")
    );
    if let Some(d) = &r.authenticode_sha256 {
        let _ = writeln!(out, "  authenticode sha256: {d}");
    }
    if let Some(c) = &r.checksum {
        let state = match (c.matches, c.stored) {
            (true, _) => ui.good("matches"),
            (false, 0) => ui.warn("not set"),
            (false, _) => ui.warn("MISMATCH (not fatal)"),
        };
        let _ = writeln!(
            out,
            "  PE checksum: stored {:#010x}, computed {:#010x}: {state}",
            c.stored, c.computed
        );
    }
    for s in &r.signatures {
        let mark = mark(s.verified, ui);
        let alg = s
            .digest_algorithm
            .map(|a| format!(" {}", a.name()))
            .unwrap_or_default();
        match (&s.signer, &s.failure) {
            (Some(signer), _) => {
                let _ = writeln!(out, "  {mark} signature {}{alg}: {}", s.id, signer.subject);
                let _ = writeln!(
                    out,
                    "       chain {} (at {})",
                    signer.chain.join(" > "),
                    fmt_time(signer.validated_at)
                );
                match (&signer.timestamp, s.timestamp_kind) {
                    (Some(t), Some(k)) => {
                        let _ = writeln!(
                            out,
                            "       timestamp {} by {} ({})",
                            fmt_time(t.gen_time),
                            t.tsa_subject,
                            serde_json_str(&k)
                        );
                    }
                    _ => {
                        let _ = writeln!(out, "       no timestamp");
                    }
                }
            }
            (None, Some(fail)) => {
                let _ = writeln!(
                    out,
                    "  {mark} signature {}{alg}: {}: {}",
                    s.id, fail.check, fail.reason
                );
            }
            (None, None) => {}
        }
        if s.program_name.is_some() || s.program_url.is_some() {
            let _ = writeln!(
                out,
                "       program {} {}",
                s.program_name.as_deref().unwrap_or("-"),
                s.program_url.as_deref().unwrap_or("")
            );
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "  note: {n}");
    }
}

/// `ok` or `FAIL`, coloured, four columns wide.
fn mark(ok: bool, ui: &Ui) -> String {
    if ok { ui.good("ok  ") } else { ui.bad("FAIL") }
}

fn serde_kind(s: &SignatureResult) -> String {
    serde_json_str(&s.kind)
}

fn serde_json_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn verdict(out: &mut String, ok: bool, failures: usize, ui: &Ui) {
    use std::fmt::Write;
    if ok {
        let _ = writeln!(out, "verdict: {}", ui.good("VERIFIED"));
    } else {
        let _ = writeln!(
            out,
            "verdict: {} ({failures} failed checks)",
            ui.bad("FAILED")
        );
    }
}

//! `glassbox verify`: verify an artifact's signatures, or every signature
//! inside a release with coverage, against a trust policy.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use glassbox_core::digest::{DigestSet, hash_reader};
use glassbox_core::policy::TrustPolicy;
use glassbox_core::release::{ReadOptions, Release};
use glassbox_core::sig::continuity::{self, Continuity};
use glassbox_core::sig::release::{
    self as rel, CoverageStatus, Failure, ReleaseFile, ReleaseVerification, SignatureResult,
};
use glassbox_core::sig::{cms::DigestAlgorithm, fmt_time};
use serde::Serialize;
use time::OffsetDateTime;

use crate::ui::{Outcome, Ui};

const EXAMPLES: &str = "\
Examples:
  glassbox verify testdata/demo/releases/exampleav-1.1.0 --policy testdata/demo/policy.toml
  glassbox verify release-1.1.0.tar.gz --policy policy.toml --previous release-1.0.0.tar.gz --format json
  glassbox verify engine/avengine --signature engine/avengine.p7s --policy policy.toml

Exit codes: 0 everything required verified, 1 a check failed, 2 input error.";

/// Verify signatures against a trust policy: the given signatures of one
/// artifact, or every signature inside a release (discovered by name and
/// content) with the coverage of every file.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The artifact (with --signature) or the release: a directory or an
    /// archive.
    target: PathBuf,

    /// The trust policy (TOML; see the README's "Trust policy").
    #[arg(long)]
    policy: PathBuf,

    /// A detached signature of the artifact (CMS .p7s/.sig, raw .sig,
    /// Sigstore bundle, DSSE); repeatable. Makes TARGET a single artifact.
    #[arg(long = "signature", value_name = "FILE")]
    signatures: Vec<PathBuf>,

    /// An older release whose signers are compared with this one's.
    #[arg(long, value_name = "OLDER_RELEASE")]
    previous: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// What `--format json` prints.
#[derive(Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
#[allow(clippy::large_enum_variant)] // one value per run
enum Report {
    Artifact {
        artifact: String,
        verified: bool,
        signatures: Vec<SignatureResult>,
        failures: Vec<Failure>,
    },
    Release {
        release: String,
        #[serde(flatten)]
        result: ReleaseVerification,
        #[serde(skip_serializing_if = "Option::is_none")]
        continuity: Option<Continuity>,
    },
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let policy = TrustPolicy::load(&args.policy)?;
    let now = OffsetDateTime::now_utc();
    let report = if args.signatures.is_empty() {
        let spinner = ui.spinner("verifying");
        let result = verify_release_at(&args.target, &policy, now)?;
        let continuity = match &args.previous {
            Some(prev) => {
                let before = verify_release_at(prev, &policy, now)
                    .with_context(|| format!("previous release {}", prev.display()))?;
                Some(continuity::compare(&before.signers, &result.signers))
            }
            None => None,
        };
        spinner.finish_and_clear();
        Report::Release {
            release: args.target.display().to_string(),
            result,
            continuity,
        }
    } else {
        if args.previous.is_some() {
            bail!("--previous compares releases; it cannot be used with --signature");
        }
        verify_artifact(&args.target, &args.signatures, &policy, now)?
    };
    let ok = match &report {
        Report::Artifact { verified, .. } => *verified,
        Report::Release { result, .. } => result.verified,
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", render_text(&report, &policy, ui)),
    }
    Ok(Outcome::from_ok(ok))
}

/// Opens a release (directory or archive) and verifies it.
fn verify_release_at(
    path: &Path,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> anyhow::Result<ReleaseVerification> {
    let opts = ReadOptions {
        digests: DigestSet { sha512: true },
        ..ReadOptions::default()
    };
    let release = Release::open(path, &opts)?;
    rel::verify_release(&release, policy, now)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn verify_artifact(
    artifact: &Path,
    signatures: &[PathBuf],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> anyhow::Result<Report> {
    let name = artifact.display().to_string();
    let open = || {
        std::fs::File::open(artifact).with_context(|| format!("{name}: cannot open the artifact"))
    };
    let meta = open()?.metadata()?;
    if !meta.is_file() {
        bail!("{name}: --signature needs a single file, not a directory");
    }
    let (digests, size) = hash_reader(&mut open()?, DigestSet { sha512: true })
        .with_context(|| format!("{name}: cannot read"))?;
    let file = ReleaseFile {
        path: name.clone(),
        size,
        sha256: digests.sha256,
        sha512: digests.sha512,
    };
    let mut sigs = Vec::new();
    for s in signatures {
        let mut bytes = Vec::new();
        std::fs::File::open(s)
            .and_then(|f| f.take(rel::MAX_SIGNATURE_FILE + 1).read_to_end(&mut bytes))
            .with_context(|| format!("{}: cannot read the signature", s.display()))?;
        if bytes.len() as u64 > rel::MAX_SIGNATURE_FILE {
            bail!(
                "{}: larger than {} bytes",
                s.display(),
                rel::MAX_SIGNATURE_FILE
            );
        }
        sigs.push((s.display().to_string(), bytes));
    }
    // Whole content only when a verifier needs it (raw, Sigstore, or a
    // CMS digest the streaming pass did not compute).
    let needs_bytes = sigs.iter().any(|(_, b)| match rel::sniff_kind(b) {
        rel::SignatureKind::Cms => glassbox_core::sig::cms::CmsSignature::parse(b)
            .and_then(|s| s.digest_algorithms())
            .is_ok_and(|a| a.contains(&DigestAlgorithm::Sha384)),
        rel::SignatureKind::Raw | rel::SignatureKind::Sigstore => true,
        _ => false,
    });
    let content = if needs_bytes {
        if size > rel::MAX_CONTENT_BYTES {
            bail!(
                "{name}: {size} bytes is larger than the {}-byte limit for whole-content verification",
                rel::MAX_CONTENT_BYTES
            );
        }
        let mut b = Vec::new();
        open()?.read_to_end(&mut b)?;
        Some(b)
    } else {
        None
    };
    let results: Vec<SignatureResult> = sigs
        .iter()
        .map(|(path, bytes)| {
            rel::verify_detached_signature(
                path,
                rel::sniff_kind(bytes),
                bytes,
                &file,
                content.as_deref(),
                policy,
                now,
            )
        })
        .collect();
    let failures: Vec<Failure> = results
        .iter()
        .flat_map(|r| r.failures.iter().cloned())
        .collect();
    Ok(Report::Artifact {
        artifact: name,
        verified: failures.is_empty(),
        signatures: results,
        failures,
    })
}

fn render_text(report: &Report, policy: &TrustPolicy, ui: &Ui) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let time = serde_json::to_value(policy.validation_time)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let sig_line = |out: &mut String, s: &SignatureResult| {
        let mark = if s.verified {
            ui.good("ok  ")
        } else {
            ui.bad("FAIL")
        };
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
        } else if let Some(f) = s.failures.first() {
            let more = match s.failures.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            let _ = writeln!(out, " {}: {}{more}", f.check, f.reason);
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
    match report {
        Report::Artifact {
            artifact,
            verified,
            signatures,
            failures,
        } => {
            let _ = writeln!(
                out,
                "artifact {artifact} (policy {}, validation time {time})",
                policy.source.display()
            );
            for s in signatures {
                sig_line(&mut out, s);
            }
            failures_block(&mut out, failures);
            verdict(&mut out, *verified, failures.len(), ui);
        }
        Report::Release {
            release,
            result,
            continuity,
        } => {
            let _ = writeln!(
                out,
                "release {release} (policy {}, validation time {time})",
                policy.source.display()
            );
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
                let _ = writeln!(out, "  {status} {}{by}", f.path);
            }
            let _ = writeln!(out, "signers:");
            for s in &result.signers {
                let key = s
                    .key_sha256
                    .map(|k| format!(" key sha256:{k}"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {} {}{key}", serde_json_str(&s.kind), s.name);
            }
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
            failures_block(&mut out, &result.failures);
            verdict(&mut out, result.verified, result.failures.len(), ui);
        }
    }
    out
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

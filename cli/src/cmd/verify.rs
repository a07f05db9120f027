//! `glassbox verify`: verify an artifact's signatures, or every signature
//! inside a release with coverage, against a trust policy.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use glassbox_core::policy::TrustPolicy;
use glassbox_core::sig::authenticode::{self, PeFailure};
use glassbox_core::sig::continuity;
use glassbox_core::sig::release::{self as rel, Failure};
use glassbox_core::tlog::Error as TlogError;
use glassbox_core::tlog::leaf::LeafRecord;
use glassbox_core::tlog::note::VerifierKey;
use glassbox_core::tlog::proof::{MAX_PROOF_BYTES, TlogProof};
use time::OffsetDateTime;

use crate::render::verify::{LogProofCheck, Report};
use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

const EXAMPLES: &str = "\
Examples:
  glassbox verify testdata/demo/releases/exampleav-1.1.0 --policy testdata/demo/policy.toml
  glassbox verify release-1.1.0.tar.gz --policy policy.toml --previous release-1.0.0.tar.gz --format json
  glassbox verify engine/avengine --signature engine/avengine.p7s --policy policy.toml
  glassbox verify shimx64.efi --policy uefi-policy.toml     (a PE file: its Authenticode signatures)
  glassbox verify Release --signature Release.gpg --policy policy.toml   # OpenPGP, [[openpgp]] keyring
  glassbox verify InRelease --policy policy.toml                         # cleartext-signed (apt)
  glassbox verify exampleav-1.1.0.tar.gz --policy policy.toml \
      --log-proof exampleav-1.1.0.tar.gz.tlog-proof --log-vkey log/vkey

Exit codes: 0 everything required verified, 1 a check failed, 2 input error.";

/// Verify signatures against a trust policy: the given signatures of one
/// artifact, or every signature inside a release (discovered by name and
/// content) with the coverage of every file.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The artifact (with --signature), a signed PE file (its embedded
    /// Authenticode signatures), or the release: a directory or an archive.
    target: PathBuf,

    /// The trust policy (TOML; see the README's "Trust policy").
    #[arg(long)]
    policy: PathBuf,

    /// A detached signature of the artifact (CMS .p7s/.sig, raw .sig,
    /// Sigstore bundle, DSSE, OpenPGP .asc/.sig/.gpg); repeatable. Makes
    /// TARGET a single artifact.
    #[arg(long = "signature", value_name = "FILE")]
    signatures: Vec<PathBuf>,

    /// An older release (or, for a PE file, the older PE file) whose
    /// signers are compared with this one's.
    #[arg(long, value_name = "OLDER_RELEASE")]
    previous: Option<PathBuf>,

    /// A C2SP tlog-proof that TARGET (a file) is in a transparency log:
    /// the logged record must have TARGET's sha256, size and name, the
    /// checkpoint must be signed by --log-vkey, the inclusion proof valid.
    #[arg(long, value_name = "PROOF", requires = "log_vkey")]
    log_proof: Option<PathBuf>,

    /// The log's verifier key (`name+keyid+base64`) or a file holding it.
    #[arg(long, value_name = "VKEY_STRING_OR_FILE", requires = "log_proof")]
    log_vkey: Option<String>,

    /// A witness verifier key (string or file) for --quorum; repeatable.
    #[arg(long = "witness-vkey", value_name = "VKEY", requires = "log_proof")]
    witness_vkeys: Vec<String>,

    /// Witness cosignatures the log checkpoint must carry (default 0).
    #[arg(long, value_name = "N", requires = "log_proof")]
    quorum: Option<usize>,

    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let policy = TrustPolicy::load(&args.policy)?;
    // Input errors in the log arguments come before any verification.
    let log_keys = match (&args.log_proof, &args.log_vkey) {
        (Some(_), Some(vkey)) => {
            if !args.target.is_file() {
                bail!(
                    "{}: --log-proof checks a single file; TARGET is not one",
                    args.target.display()
                );
            }
            let vkey = super::log::parse_vkey(vkey)?;
            let witnesses = args
                .witness_vkeys
                .iter()
                .map(|w| super::log::parse_vkey(w))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let quorum = args.quorum.unwrap_or(0);
            if quorum > witnesses.len() {
                bail!(
                    "--quorum {quorum} needs at least {quorum} --witness-vkey (got {})",
                    witnesses.len()
                );
            }
            Some((vkey, witnesses, quorum))
        }
        _ => None,
    };
    let now = OffsetDateTime::now_utc();
    let report = if args.signatures.is_empty()
        && args.target.is_file()
        && authenticode::is_pe_file(&args.target)
    {
        let verify = |p: &Path| {
            authenticode::verify_pe_file(p, &policy, now)
                .with_context(|| format!("{}: cannot read the PE file", p.display()))
        };
        let result = verify(&args.target)?;
        let continuity = match &args.previous {
            Some(prev) => {
                if !(prev.is_file() && authenticode::is_pe_file(prev)) {
                    bail!(
                        "{}: --previous of a PE file must be the older PE file",
                        prev.display()
                    );
                }
                let before = verify(prev)?;
                Some(continuity::compare(
                    &before.signer_ids(),
                    &result.signer_ids(),
                ))
            }
            None => None,
        };
        Report::Authenticode {
            file: args.target.display().to_string(),
            result,
            continuity,
            log_proof: None,
        }
    } else if args.signatures.is_empty() {
        let spinner = ui.spinner("verifying");
        // The message alone, as before: the reader's error already names
        // the path and says why.
        let verify = |p: &Path| {
            rel::verify_release_at(p, &policy, now).map_err(|e| anyhow::Error::msg(e.to_string()))
        };
        let result = verify(&args.target)?;
        let continuity = match &args.previous {
            Some(prev) => {
                let before =
                    verify(prev).with_context(|| format!("previous release {}", prev.display()))?;
                Some(continuity::compare(&before.signers, &result.signers))
            }
            None => None,
        };
        spinner.finish_and_clear();
        Report::Release {
            release: args.target.display().to_string(),
            result,
            continuity,
            log_proof: None,
        }
    } else {
        if args.previous.is_some() {
            bail!("--previous compares releases; it cannot be used with --signature");
        }
        let v = rel::verify_artifact(&args.target, &args.signatures, &policy, now)?;
        Report::Artifact {
            artifact: v.artifact,
            verified: v.verified,
            signatures: v.signatures,
            failures: v.failures,
            log_proof: None,
        }
    };
    let mut report = report;
    if let (Some(proof), Some((vkey, witnesses, quorum))) = (&args.log_proof, &log_keys) {
        let check = check_log_proof(&args.target, proof, vkey, witnesses, *quorum)?;
        let failure = check.reason.as_ref().map(|reason| Failure {
            file: args.target.display().to_string(),
            signature: proof.display().to_string(),
            check: "log-proof".into(),
            reason: reason.clone(),
        });
        match &mut report {
            Report::Artifact {
                verified,
                failures,
                log_proof,
                ..
            } => {
                if let Some(f) = failure {
                    *verified = false;
                    failures.push(f);
                }
                *log_proof = Some(check);
            }
            Report::Release {
                result, log_proof, ..
            } => {
                if let Some(f) = failure {
                    result.verified = false;
                    result.failures.push(f);
                }
                *log_proof = Some(check);
            }
            Report::Authenticode {
                result, log_proof, ..
            } => {
                if let Some(f) = failure {
                    result.verified = false;
                    result.failures.push(PeFailure {
                        signature: f.signature,
                        check: f.check,
                        reason: f.reason,
                    });
                }
                *log_proof = Some(check);
            }
        }
    }
    let ok = match &report {
        Report::Artifact { verified, .. } => *verified,
        Report::Release { result, .. } => result.verified,
        Report::Authenticode { result, .. } => result.verified,
    };
    crate::render::verify::report(&report, &policy, args.format, ui)?;
    Ok(Outcome::from_ok(ok))
}

/// Checks `--log-proof`: the proof verifies for `target`'s leaf record
/// (C2SP tlog-proof; RFC 9162 §2.1.3.2 inclusion) under the log key and
/// witness quorum, and the logged name is `target`'s (so an old release
/// logged under its own name cannot pass as a newer one). Every problem
/// with the (untrusted) proof is a failed check with a reason; only an
/// unreadable target or proof file is an error.
fn check_log_proof(
    target: &Path,
    proof_path: &Path,
    vkey: &VerifierKey,
    witnesses: &[VerifierKey],
    quorum: usize,
) -> anyhow::Result<LogProofCheck> {
    let want = LeafRecord::of_file(target)
        .with_context(|| format!("{}: cannot hash for --log-proof", target.display()))?;
    let bytes = super::log::read_limited(proof_path, MAX_PROOF_BYTES)?;
    let mut check = LogProofCheck {
        proof: proof_path.display().to_string(),
        verified: false,
        index: None,
        origin: None,
        tree_size: None,
        record: None,
        cosigned_by: Vec::new(),
        reason: None,
    };
    let proof = match TlogProof::parse(&bytes) {
        Ok(p) => p,
        Err(e) => {
            check.reason = Some(e.to_string());
            return Ok(check);
        }
    };
    check.index = Some(proof.index);
    match proof.verify_file(Some(&want), vkey, witnesses, quorum) {
        Ok(v) => {
            check.origin = Some(v.checkpoint.checkpoint.origin.clone());
            check.tree_size = Some(v.checkpoint.checkpoint.size);
            check.cosigned_by = v
                .checkpoint
                .cosignatures()
                .map(|c| c.name.clone())
                .collect();
            match &v.record {
                Some(r) if r.name != want.name => {
                    check.reason = Some(format!(
                        "the log records this content as {:?}, the file is named {:?}",
                        r.name, want.name
                    ));
                }
                Some(_) => check.verified = true,
                None => check.reason = Some("the entry is not a glassbox-leaf/v1 record".into()),
            }
            check.record = v.record;
        }
        Err(e) => {
            check.reason = Some(match e {
                TlogError::NoKnownSignature
                | TlogError::BadSignature { .. }
                | TlogError::NotSignedByLog { .. } => {
                    format!("checkpoint: {e} (log key {vkey})")
                }
                e => e.to_string(),
            });
        }
    }
    Ok(check)
}

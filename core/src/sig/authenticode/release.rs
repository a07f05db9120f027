//! Authenticode inside a release: every PE file (by name, [`is_pe_name`])
//! that carries a certificate table is covered by its own signatures, and
//! only by them; the release verifier calls [`verify_pe_files`] once.

use std::collections::BTreeSet;

use serde::Serialize;
use time::OffsetDateTime;

use super::{PeVerification, is_pe_name, looks_like_pe, verify_pe};
use crate::policy::TrustPolicy;
use crate::release::ReleaseError;
use crate::sig::release::{
    Failure, MAX_CONTENT_BYTES, ReleaseAccess, ReleaseFile, SignatureKind, SignatureResult,
    SignerId, cms_signer_id,
};

/// The Authenticode verdict on one PE file of a release.
#[derive(Clone, Debug, Serialize)]
pub struct PeFile {
    /// Release-relative path.
    pub path: String,
    /// The verdict.
    #[serde(flatten)]
    pub result: PeVerification,
}

/// What the PE files of a release contribute: one signature result each
/// (the file is its own signature) and the Authenticode details.
#[derive(Debug, Default)]
pub struct PeCoverage {
    /// One per signed PE file, for the release's signature list.
    pub signatures: Vec<SignatureResult>,
    /// The details, in the same order.
    pub files: Vec<PeFile>,
}

impl PeVerification {
    /// The continuity identities of the signatures that verified.
    pub fn signer_ids(&self) -> Vec<SignerId> {
        self.signatures
            .iter()
            .filter(|s| s.verified)
            .filter_map(|s| s.signer.as_ref().map(cms_signer_id))
            .collect()
    }

    /// Whether the file carries no Authenticode signature at all (or is
    /// not a PE image): then nothing claims to sign it and coverage alone
    /// judges it.
    pub fn is_unsigned(&self) -> bool {
        self.signatures.is_empty()
            && self
                .failures
                .iter()
                .all(|f| f.check == "unsigned" || f.check == "pe-parse")
    }

    /// This verdict as a release signature result for the file at `path`.
    pub fn signature_result(&self, path: &str) -> SignatureResult {
        let signers = self.signer_ids();
        SignatureResult {
            signature: path.to_string(),
            kind: SignatureKind::Authenticode,
            targets: vec![path.to_string()],
            covers: if self.verified {
                vec![path.to_string()]
            } else {
                Vec::new()
            },
            verified: self.verified,
            signers,
            time: self
                .signatures
                .iter()
                .filter(|s| s.verified)
                .filter_map(|s| s.signer.as_ref()?.timestamp.as_ref().map(|t| t.gen_time))
                .max(),
            cms: None,
            openpgp: None,
            failures: self
                .failures
                .iter()
                .map(|f| Failure {
                    file: path.to_string(),
                    signature: path.to_string(),
                    check: f.check.clone(),
                    reason: if f.signature.is_empty() {
                        f.reason.clone()
                    } else {
                        format!("Authenticode signature {}: {}", f.signature, f.reason)
                    },
                })
                .collect(),
        }
    }
}

/// Verifies the embedded signatures of every PE-named file of `files`
/// (each read whole, one at a time, up to [`MAX_CONTENT_BYTES`]; a larger
/// one is left unsigned for coverage to judge).
pub fn verify_pe_files(
    release: &dyn ReleaseAccess,
    files: &[ReleaseFile],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<PeCoverage, ReleaseError> {
    let paths: BTreeSet<String> = files
        .iter()
        .filter(|f| is_pe_name(&f.path) && f.size <= MAX_CONTENT_BYTES)
        .map(|f| f.path.clone())
        .collect();
    let mut out = PeCoverage::default();
    if paths.is_empty() {
        return Ok(out);
    }
    release.visit_files(&paths, MAX_CONTENT_BYTES, &mut |path, bytes| {
        if !looks_like_pe(&bytes) {
            return;
        }
        let result = verify_pe(&bytes, policy, now);
        if result.is_unsigned() {
            return;
        }
        out.signatures.push(result.signature_result(path));
        out.files.push(PeFile {
            path: path.to_string(),
            result,
        });
    })?;
    Ok(out)
}

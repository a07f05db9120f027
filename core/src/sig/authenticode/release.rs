//! Authenticode inside a release: every PE file — recognised by content
//! ([`looks_like_pe`]), whatever its name — that carries a certificate
//! table is covered by its own signatures, and only by them; a file whose
//! name claims a PE image ([`is_pe_name`]) but that is not one fails. The
//! release verifier calls [`verify_pe_files`] once.

use std::collections::BTreeSet;

use serde::Serialize;
use time::OffsetDateTime;

use std::io::Read as _;

use super::{
    DOS_HEADER_LEN, PeVerification, is_pe_name, looks_like_pe, pe_signature_offset, verify_pe,
};
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
    /// Files that are not what their name says (a `.exe` that is not a PE
    /// image).
    pub failures: Vec<Failure>,
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

/// Verifies the embedded signatures of every PE image of `files`,
/// recognised by content: each file's MS-DOS header is read, and only a
/// file starting with `MZ` is read whole (one at a time, up to
/// [`MAX_CONTENT_BYTES`]; a larger one is left unsigned for coverage to
/// judge). A file named like a PE image that is not one is a failure.
pub fn verify_pe_files(
    release: &dyn ReleaseAccess,
    files: &[ReleaseFile],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<PeCoverage, ReleaseError> {
    let paths: BTreeSet<String> = files
        .iter()
        .filter(|f| f.size >= DOS_HEADER_LEN as u64 || is_pe_name(&f.path))
        .map(|f| f.path.clone())
        .collect();
    let mut out = PeCoverage::default();
    release.visit_readers(&paths, &mut |path, size, r| {
        let mut head = Vec::with_capacity(DOS_HEADER_LEN);
        r.take(DOS_HEADER_LEN as u64).read_to_end(&mut head)?;
        let bytes = if head.starts_with(b"MZ") && size <= MAX_CONTENT_BYTES {
            let rest = crate::fsio::read_capped(
                r,
                MAX_CONTENT_BYTES - head.len() as u64,
                size.saturating_sub(head.len() as u64),
            )?;
            head.extend_from_slice(&rest.bytes);
            head
        } else {
            head
        };
        if !looks_like_pe(&bytes) {
            if is_pe_name(path) && !(bytes.starts_with(b"MZ") && size > MAX_CONTENT_BYTES) {
                out.failures.push(not_a_pe(path, &bytes));
            }
            return Ok(());
        }
        let result = verify_pe(&bytes, policy, now);
        if result.is_unsigned() {
            return Ok(());
        }
        out.signatures.push(result.signature_result(path));
        out.files.push(PeFile {
            path: path.to_string(),
            result,
        });
        Ok(())
    })?;
    Ok(out)
}

/// The failure for a file whose name claims a PE image but whose content
/// is not one: Windows would refuse (or mis-load) it, and an auditor
/// should know what it really is.
fn not_a_pe(path: &str, bytes: &[u8]) -> Failure {
    let what = if !bytes.starts_with(b"MZ") {
        "it does not start with the MS-DOS header's `MZ`".to_string()
    } else {
        match pe_signature_offset(bytes) {
            None => "its MS-DOS header is truncated".to_string(),
            Some(at) => format!(
                "its MS-DOS header's e_lfanew ({at:#x}) does not point at the `PE\\0\\0` signature (an MS-DOS program or a damaged file)"
            ),
        }
    };
    Failure {
        file: path.to_string(),
        signature: String::new(),
        check: "not-pe".into(),
        reason: format!("named like a PE image but {what}; ask the vendor what this file is"),
    }
}

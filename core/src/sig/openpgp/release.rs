//! OpenPGP inside release verification ([`crate::sig::release`]): a
//! detached signature beside its target (`X.asc`, `X.gpg`, `X.sig`), or a
//! cleartext-signed document (`InRelease`, a clearsigned `.asc`) that
//! covers itself. The release verifier calls [`signature_result`] and
//! gets its usual [`SignatureResult`]; every OpenPGP signature that fails
//! is one [`Failure`] naming its issuer.

use time::OffsetDateTime;

use super::{DocumentVerification, OpenpgpError, SignatureReport};
use crate::policy::TrustPolicy;
use crate::sig::release::{
    Failure, OpenpgpSigner, SignatureKind, SignatureResult, SignerId, SignerKind,
};

/// Whether a file named `name` is a cleartext-signed document to verify
/// on its own (it covers itself): Debian's `InRelease`, by name; any
/// discovered OpenPGP file whose content is cleartext-signed.
pub fn is_cleartext_name(name: &str) -> bool {
    name == "InRelease"
}

/// Whether `bytes` are OpenPGP signature packets (armored, or binary
/// packets that frame exactly and are all signatures): what tells an
/// OpenPGP `.sig` from a raw one.
pub fn is_signature(bytes: &[u8]) -> bool {
    if super::framing::is_armored(bytes) {
        return bytes
            .trim_ascii_start()
            .starts_with(b"-----BEGIN PGP SIGNATURE-----")
            || super::is_cleartext(bytes);
    }
    super::framing::split_packets(bytes)
        .is_ok_and(|p| !p.is_empty() && p.iter().all(|p| p.tag == 2))
}

/// Whether `bytes` are OpenPGP certificates (an armored public key block,
/// or binary packets that frame exactly and start with a public key):
/// a keyring file named like a signature (`X.gpg`).
pub fn is_certificate(bytes: &[u8]) -> bool {
    if super::framing::is_armored(bytes) {
        return bytes
            .trim_ascii_start()
            .starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----");
    }
    super::framing::split_packets(bytes).is_ok_and(|p| p.first().is_some_and(|p| p.tag == 6))
}

/// The continuity identity of a verified OpenPGP signature: its user ID
/// (or primary fingerprint) as name, its primary key and signing key.
pub fn signer_id(r: &SignatureReport) -> Option<SignerId> {
    let primary = r.primary_key.clone()?;
    Some(SignerId {
        kind: SignerKind::Openpgp,
        name: r.user_id.clone().unwrap_or_else(|| primary.clone()),
        key_sha256: None,
        certificate_sha256: None,
        openpgp: Some(OpenpgpSigner {
            signing_key: r.signing_key.clone().unwrap_or_else(|| primary.clone()),
            primary_key: primary,
        }),
    })
}

/// Verifies the OpenPGP file `sig_path` (bytes `sig`) over `target`
/// (`content`, when read): a cleartext document covers itself and needs no
/// content; a detached signature covers `target`.
pub fn signature_result(
    sig_path: &str,
    sig: &[u8],
    target: &str,
    content: Option<&[u8]>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> SignatureResult {
    let cleartext = super::is_cleartext(sig);
    let target = if cleartext { sig_path } else { target };
    // (check, reason) when the file could not be verified at all.
    let outcome: Result<DocumentVerification, (&str, String)> = match (cleartext, content) {
        (true, _) => super::verify_cleartext(sig, policy, now).map(|c| c.verification),
        (false, Some(c)) => super::verify_detached(sig, c, policy, now),
        (false, None) => return unread(sig_path, target, "content", "content was not read".into()),
    }
    .map_err(|e: OpenpgpError| {
        (
            "openpgp-parse",
            format!("{e}; the signature file cannot be read as OpenPGP"),
        )
    });
    let v = match outcome {
        Ok(v) => v,
        Err((check, reason)) => return unread(sig_path, target, check, reason),
    };
    let mut failures: Vec<Failure> = v
        .signatures
        .iter()
        .filter_map(|s| {
            s.failure.as_ref().map(|f| {
                let reason = f.to_string();
                let reason = if reason.contains(&s.issuer) {
                    reason
                } else {
                    format!("signature by {}: {reason}", s.issuer)
                };
                fail(sig_path, target, f.check(), reason)
            })
        })
        .collect();
    if v.signatures.is_empty() {
        failures.push(fail(
            sig_path,
            target,
            "openpgp-signature",
            "no signature".into(),
        ));
    }
    result(sig_path, target, Some(v), failures)
}

/// The result for a file that could not be verified at all.
pub(crate) fn unread(sig_path: &str, target: &str, check: &str, reason: String) -> SignatureResult {
    result(
        sig_path,
        target,
        None,
        vec![fail(sig_path, target, check, reason)],
    )
}

fn fail(sig_path: &str, target: &str, check: &str, reason: String) -> Failure {
    Failure {
        file: target.to_string(),
        signature: sig_path.to_string(),
        check: check.to_string(),
        reason,
    }
}

fn result(
    sig_path: &str,
    target: &str,
    v: Option<DocumentVerification>,
    failures: Vec<Failure>,
) -> SignatureResult {
    let verified = failures.is_empty() && v.as_ref().is_some_and(|v| v.verified);
    let signers = match &v {
        Some(v) if verified => v.signatures.iter().filter_map(signer_id).collect(),
        _ => Vec::new(),
    };
    SignatureResult {
        signature: sig_path.to_string(),
        kind: SignatureKind::Openpgp,
        targets: vec![target.to_string()],
        covers: if verified {
            vec![target.to_string()]
        } else {
            Vec::new()
        },
        verified,
        signers,
        time: None,
        cms: None,
        openpgp: v,
        failures,
    }
}

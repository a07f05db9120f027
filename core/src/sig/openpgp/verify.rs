//! The checks one OpenPGP signature passes, in order; the first that fails
//! is its verdict. Each check cites the part of RFC 9580 it applies.
//!
//! 1. [`check_form`]: a v4 or v6 signature (§5.2.3) of the right type for
//!    where it was found (binary detached, text in a cleartext document,
//!    §5.2.1), with a hashed creation time (§5.2.3.11), a hash on the
//!    allow-list (SHA-1, MD5 and RIPEMD-160 are refused, §9.5) and, in a
//!    cleartext document, one its `Hash:` header names (§7.1).
//! 2. [`find_issuer`]: the key the signature names (issuer fingerprint
//!    §5.2.3.35, else issuer key ID §5.2.3.12) is in a policy keyring; a
//!    key in none is a failure naming it, never a skip.
//! 3. The keyring's `fingerprints` allow-list admits the certificate.
//! 4. The signature verifies cryptographically with that key (§5.2.4).
//! 5. [`check_key`]: the signing key and its primary key are of a type and
//!    size the policy allows; the primary key has a valid self-signature
//!    (§5.2.3.10) and no revocation (§5.2.1.11, §5.2.3.31); a subkey has a
//!    valid binding signature with an embedded primary-key binding
//!    (§5.2.1.8, §5.2.1.9) and no revocation (§5.2.1.12); the key that
//!    signed carries the signing flag (§5.2.3.29); neither key has expired
//!    (§5.2.3.13) at the signature's creation or at the validation time;
//!    the signature was made after the key and not after the validation
//!    time, and has not expired (§5.2.3.18).
//!
//! Work is bounded: a certificate is never validated with more than
//! [`MAX_KEY_CHECKS`] signature verifications, whatever it holds.

use pgp::composed::{SignedPublicKey, SignedPublicSubKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{RevocationCode, Signature, SignatureType, SignatureVersion};
use pgp::types::{KeyDetails, PublicParams, Tag, Timestamp};
use serde::Serialize;
use time::OffsetDateTime;

use super::keyring::{Keyring, Which, hex_upper};
use super::{DocumentVerification, SignatureReport};
use crate::keys::KeyAlgorithm;
use crate::policy::AlgorithmPolicy;

/// Most signature verifications spent validating one certificate for one
/// signature (self-signatures, bindings, back-signatures, revocations).
pub const MAX_KEY_CHECKS: usize = 64;

/// Most keyring keys tried for one signature (key ID collisions).
const MAX_CANDIDATES: usize = 16;

/// Hashes accepted in signatures and in the self-signatures that make a
/// key valid.
const ALLOWED_HASHES: [HashAlgorithm; 5] = [
    HashAlgorithm::Sha256,
    HashAlgorithm::Sha384,
    HashAlgorithm::Sha512,
    HashAlgorithm::Sha3_256,
    HashAlgorithm::Sha3_512,
];

/// Why one OpenPGP signature does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A v2/v3 (obsolete) or unknown signature version.
    #[error("signature version {0}: only v4 and v6 signatures are accepted (RFC 9580 §5.2)")]
    Version(u8),
    /// A signature type that does not sign a document here.
    #[error("{0}")]
    SignatureType(String),
    /// No hashed creation time.
    #[error("the signature has no hashed creation time (RFC 9580 §5.2.3.11 requires one)")]
    NoCreationTime,
    /// SHA-1, MD5 or RIPEMD-160.
    #[error(
        "hash algorithm {0} is refused: it is not collision resistant (RFC 9580 §9.5); ask the \
         vendor to sign with SHA-256 or stronger"
    )]
    WeakHash(String),
    /// Another hash the allow-list does not hold.
    #[error(
        "hash algorithm {0} is not on the allow-list (SHA-256, SHA-384, SHA-512, SHA3-256, SHA3-512)"
    )]
    HashNotAllowed(String),
    /// A cleartext signature whose hash the `Hash:` header does not name.
    #[error(
        "the signature uses {hash} but the document's Hash header names {headers} (RFC 9580 §7.1)"
    )]
    HashHeader {
        /// The signature's hash.
        hash: String,
        /// The header's values.
        headers: String,
    },
    /// The signature names no issuer.
    #[error("the signature names no issuer (no issuer fingerprint or key ID subpacket)")]
    NoIssuer,
    /// The issuer is in no policy keyring.
    #[error(
        "signed by {0}, which is in no [[openpgp]] keyring of the policy: add the vendor's key \
         to a keyring if it is theirs"
    )]
    UnknownKey(String),
    /// The certificate is in a keyring whose allow-list excludes it.
    #[error(
        "certificate {primary} is in keyring {keyring:?} but not in its fingerprints allow-list"
    )]
    FingerprintNotAllowed {
        /// Primary fingerprint.
        primary: String,
        /// Keyring name.
        keyring: String,
    },
    /// The cryptographic check failed.
    #[error(
        "the signature does not verify with key {key}: {reason} (the data or the signature was altered)"
    )]
    BadSignature {
        /// The key tried.
        key: String,
        /// The crate's reason.
        reason: String,
    },
    /// A key of a type or size the policy refuses.
    #[error("key {key}: {reason}")]
    KeyAlgorithm {
        /// The key's fingerprint.
        key: String,
        /// Why.
        reason: String,
    },
    /// No valid self-signature makes the primary key usable.
    #[error("certificate {primary}: {reason}")]
    SelfSignature {
        /// Primary fingerprint.
        primary: String,
        /// Why.
        reason: String,
    },
    /// The signing subkey is not validly bound to its primary key.
    #[error("subkey {subkey}: {reason}")]
    SubkeyBinding {
        /// The subkey's fingerprint.
        subkey: String,
        /// Why.
        reason: String,
    },
    /// The key (primary or subkey) was revoked.
    #[error("key {key} is revoked{reason}")]
    Revoked {
        /// The revoked key's fingerprint.
        key: String,
        /// The revocation's reason, as text (with a leading `: `).
        reason: String,
    },
    /// The key had expired.
    #[error("key {key} expired at {expired}{when}")]
    Expired {
        /// The expired key's fingerprint.
        key: String,
        /// The expiry.
        expired: String,
        /// Relative to what (signature creation or validation time).
        when: String,
    },
    /// The key lacks the signing flag.
    #[error("key {0} does not carry the signing flag (RFC 9580 §5.2.3.29): it may not sign")]
    NotSigningKey(String),
    /// Signature creation time outside the key's or validation window.
    #[error("{0}")]
    Time(String),
    /// The certificate needs more checks than the budget allows.
    #[error("certificate {0} needs more than {MAX_KEY_CHECKS} signature checks to validate")]
    Budget(String),
}

impl Rejection {
    /// The stable name of the check that failed.
    pub fn check(&self) -> &'static str {
        match self {
            Rejection::Version(_) => "openpgp-version",
            Rejection::SignatureType(_) => "openpgp-signature-type",
            Rejection::NoCreationTime => "openpgp-creation-time",
            Rejection::WeakHash(_) => "openpgp-weak-hash",
            Rejection::HashNotAllowed(_) => "openpgp-hash",
            Rejection::HashHeader { .. } => "openpgp-hash-header",
            Rejection::NoIssuer => "openpgp-issuer",
            Rejection::UnknownKey(_) => "openpgp-unknown-key",
            Rejection::FingerprintNotAllowed { .. } => "openpgp-fingerprint",
            Rejection::BadSignature { .. } => "signature",
            Rejection::KeyAlgorithm { .. } => "algorithm-policy",
            Rejection::SelfSignature { .. } => "openpgp-self-signature",
            Rejection::SubkeyBinding { .. } => "openpgp-subkey-binding",
            Rejection::Revoked { .. } => "openpgp-revoked",
            Rejection::Expired { .. } => "openpgp-expired",
            Rejection::NotSigningKey(_) => "openpgp-key-flags",
            Rejection::Time(_) => "openpgp-time",
            Rejection::Budget(_) => "openpgp-budget",
        }
    }
}

impl Serialize for Rejection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Rejection", 2)?;
        st.serialize_field("check", self.check())?;
        st.serialize_field("reason", &self.to_string())?;
        st.end()
    }
}

/// What the checks run against.
pub(super) struct Context<'a> {
    pub keyrings: &'a [Keyring],
    pub algorithms: &'a AlgorithmPolicy,
    pub at: OffsetDateTime,
}

/// Where the signatures were found.
#[derive(Clone, Copy)]
pub(super) enum Mode<'a> {
    Detached,
    Cleartext { hash_headers: &'a [String] },
}

/// Every signature of one document, each verified over `data`.
pub(super) fn document(
    ctx: &Context<'_>,
    sigs: &[Signature],
    data: &[u8],
    mode: Mode<'_>,
) -> DocumentVerification {
    let signatures: Vec<SignatureReport> = sigs.iter().map(|s| one(ctx, s, data, mode)).collect();
    DocumentVerification {
        validated_at: ctx.at,
        verified: !signatures.is_empty() && signatures.iter().all(|s| s.verified),
        signatures,
    }
}

fn time_of(t: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(i64::from(t.as_secs()))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn fmt(t: OffsetDateTime) -> String {
    crate::sig::fmt_time(t)
}

/// The issuer a signature names, for reports.
fn issuer_name(sig: &Signature) -> String {
    if let Some(fp) = sig.issuer_fingerprint().first() {
        return hex_upper(fp.as_bytes());
    }
    if let Some(id) = sig.issuer_key_id().first() {
        return format!("key ID {}", hex_upper(id.as_ref()));
    }
    "(no issuer)".into()
}

fn one(ctx: &Context<'_>, sig: &Signature, data: &[u8], mode: Mode<'_>) -> SignatureReport {
    let mut report = SignatureReport {
        issuer: issuer_name(sig),
        signing_key: None,
        primary_key: None,
        keyring: None,
        user_id: None,
        key_algorithm: None,
        created: sig.created().map(time_of),
        hash_algorithm: sig
            .hash_alg()
            .map_or_else(|| "unknown".into(), |h| h.to_string()),
        verified: false,
        failure: None,
    };
    match check(ctx, sig, data, mode, &mut report) {
        Ok(()) => report.verified = true,
        Err(r) => report.failure = Some(r),
    }
    report
}

fn check(
    ctx: &Context<'_>,
    sig: &Signature,
    data: &[u8],
    mode: Mode<'_>,
    report: &mut SignatureReport,
) -> Result<(), Rejection> {
    let created = check_form(sig, mode)?;
    let candidates = find_issuer(ctx, sig)?;
    // Several candidates only when key IDs collide: the one whose
    // signature verifies is the signer; if none does, the first one's
    // failure is the verdict.
    let mut first_failure = None;
    for (k, (ring, cert, which)) in candidates.into_iter().enumerate() {
        let keyring = &ctx.keyrings[ring];
        let c = &keyring.certs[cert];
        let primary_fp = hex_upper(c.primary_key.fingerprint().as_bytes());
        let (signing_fp, params) = match which {
            Which::Primary => (primary_fp.clone(), c.primary_key.public_params()),
            Which::Subkey(j) => (
                hex_upper(c.public_subkeys[j].key.fingerprint().as_bytes()),
                c.public_subkeys[j].key.public_params(),
            ),
        };
        if k == 0 {
            report.signing_key = Some(signing_fp.clone());
            report.primary_key = Some(primary_fp.clone());
            report.keyring = Some(keyring.name.clone());
            report.key_algorithm = key_algorithm(params).ok().map(|a| a.to_string());
        }
        if let Some(allowed) = &keyring.fingerprints
            && !allowed.contains(&primary_fp)
        {
            first_failure.get_or_insert(Rejection::FingerprintNotAllowed {
                primary: primary_fp,
                keyring: keyring.name.clone(),
            });
            continue;
        }
        // A key type glassbox does not verify (brainpool, DSA, ...) fails
        // naming it, not as the crate's "unsupported" read as altered data.
        if let Err(reason) = key_algorithm(params) {
            first_failure.get_or_insert(Rejection::KeyAlgorithm {
                key: signing_fp,
                reason,
            });
            continue;
        }
        let verified = match which {
            Which::Primary => sig.verify(&c.primary_key, data),
            Which::Subkey(j) => sig.verify(&c.public_subkeys[j].key, data),
        };
        if let Err(e) = verified {
            first_failure.get_or_insert(Rejection::BadSignature {
                key: signing_fp,
                reason: crypto_reason(&e),
            });
            continue;
        }
        report.signing_key = Some(signing_fp);
        report.primary_key = Some(primary_fp);
        report.keyring = Some(keyring.name.clone());
        report.key_algorithm = key_algorithm(params).ok().map(|a| a.to_string());
        let mut budget = MAX_KEY_CHECKS;
        let user_id = check_key(ctx, c, which, sig, created, &mut budget)?;
        report.user_id = user_id;
        return Ok(());
    }
    Err(first_failure.unwrap_or(Rejection::NoIssuer))
}

/// The crate's reason for a failed verification, on one line: its
/// quick check of the digest's first two octets (RFC 9580 §5.2.4) fails
/// with an assertion-style message that says nothing to an auditor.
fn crypto_reason(e: &pgp::errors::Error) -> String {
    let text = e.to_string();
    if text.contains("signed hash value") {
        return "the digest of the signed data does not match the signature's".into();
    }
    text.lines().next().unwrap_or_default().to_string()
}

/// Step 1: version, type, creation time and hash.
fn check_form(sig: &Signature, mode: Mode<'_>) -> Result<OffsetDateTime, Rejection> {
    match sig.version() {
        SignatureVersion::V4 | SignatureVersion::V6 => {}
        v => return Err(Rejection::Version(u8::from(v))),
    }
    let typ = sig.typ();
    match (mode, typ) {
        (Mode::Detached, Some(SignatureType::Binary)) => {}
        (Mode::Detached, Some(SignatureType::Text)) => {
            return Err(Rejection::SignatureType(
                "a text-mode signature (type 0x01) over a detached file: it ignores line-ending \
                 changes, so it does not pin the file's bytes; glassbox accepts binary \
                 signatures (type 0x00) for files"
                    .into(),
            ));
        }
        (Mode::Cleartext { .. }, Some(SignatureType::Text)) => {}
        (_, t) => {
            return Err(Rejection::SignatureType(format!(
                "signature type {t:?} does not sign a document (RFC 9580 §5.2.1)"
            )));
        }
    }
    let created = sig
        .created()
        .map(time_of)
        .ok_or(Rejection::NoCreationTime)?;
    let hash = sig
        .hash_alg()
        .ok_or_else(|| Rejection::HashNotAllowed("unknown".into()))?;
    check_hash(hash)?;
    if let Mode::Cleartext { hash_headers } = mode
        && !hash_headers.is_empty()
        && !hash_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&hash.to_string()))
    {
        return Err(Rejection::HashHeader {
            hash: hash.to_string(),
            headers: hash_headers.join(", "),
        });
    }
    Ok(created)
}

fn check_hash(hash: HashAlgorithm) -> Result<(), Rejection> {
    if matches!(
        hash,
        HashAlgorithm::Md5 | HashAlgorithm::Sha1 | HashAlgorithm::Ripemd160
    ) {
        return Err(Rejection::WeakHash(hash.to_string()));
    }
    if !ALLOWED_HASHES.contains(&hash) {
        return Err(Rejection::HashNotAllowed(hash.to_string()));
    }
    Ok(())
}

/// Step 2: the keys of the policy's keyrings the signature names, by
/// issuer fingerprint, else by key ID (keyring index, certificate, key).
fn find_issuer(
    ctx: &Context<'_>,
    sig: &Signature,
) -> Result<Vec<(usize, usize, Which)>, Rejection> {
    let fps = sig.issuer_fingerprint();
    let ids = sig.issuer_key_id();
    if fps.is_empty() && ids.is_empty() {
        return Err(Rejection::NoIssuer);
    }
    let mut out = Vec::new();
    for (r, ring) in ctx.keyrings.iter().enumerate() {
        let found: Vec<_> = if fps.is_empty() {
            ids.iter()
                .flat_map(|id| ring.find_key_id(id.as_ref()))
                .copied()
                .collect()
        } else {
            fps.iter()
                .flat_map(|fp| ring.find_fingerprint(fp.as_bytes()))
                .copied()
                .collect()
        };
        for (c, w) in found {
            if out.len() < MAX_CANDIDATES && !out.contains(&(r, c, w)) {
                out.push((r, c, w));
            }
        }
    }
    if out.is_empty() {
        return Err(Rejection::UnknownKey(issuer_name(sig)));
    }
    Ok(out)
}

/// The policy's view of an OpenPGP key's type and size.
fn key_algorithm(params: &PublicParams) -> Result<KeyAlgorithm, String> {
    use pgp::types::{EcdsaPublicParams, EddsaLegacyPublicParams};
    match params {
        PublicParams::RSA(_) => {
            // The modulus is the first MPI of the key material; an MPI
            // starts with its length in bits (RFC 9580 §3.2).
            let bytes = pgp::ser::Serialize::to_bytes(params).map_err(|e| e.to_string())?;
            let bits = bytes
                .get(..2)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                .ok_or("RSA key material is empty")?;
            Ok(KeyAlgorithm::Rsa { bits })
        }
        PublicParams::ECDSA(EcdsaPublicParams::P256 { .. }) => Ok(KeyAlgorithm::EcdsaP256),
        PublicParams::ECDSA(EcdsaPublicParams::P384 { .. }) => Ok(KeyAlgorithm::EcdsaP384),
        PublicParams::ECDSA(EcdsaPublicParams::P521 { .. }) => Ok(KeyAlgorithm::EcdsaP521),
        PublicParams::ECDSA(EcdsaPublicParams::Secp256k1 { .. }) => {
            Err("ECDSA on secp256k1 is refused (RFC 9580 §9.2 lists only NIST P-256, P-384 and P-521 for ECDSA)".into())
        }
        PublicParams::ECDSA(EcdsaPublicParams::Unsupported { curve, .. }) => Err(format!(
            "ECDSA on {} is not verified by glassbox (RFC 9580 §9.2 lists NIST P-256, P-384 \
             and P-521 for ECDSA; ask the vendor for a key on one of them)",
            curve_name(curve)
        )),
        PublicParams::EdDSALegacy(EddsaLegacyPublicParams::Ed25519 { .. })
        | PublicParams::Ed25519(_) => Ok(KeyAlgorithm::Ed25519),
        PublicParams::DSA(_) => Err("DSA keys are refused (RFC 9580 §9.1 deprecates them)".into()),
        other => Err(format!(
            "{} is not a signing algorithm glassbox accepts (RSA, Ed25519, ECDSA P-256/P-384/P-521)",
            algorithm_name(other)
        )),
    }
}

/// A curve's standard name (`brainpoolP256r1`), or its OID when rPGP does
/// not know it.
fn curve_name(curve: &pgp::crypto::ecc_curve::ECCCurve) -> String {
    match curve {
        pgp::crypto::ecc_curve::ECCCurve::Unknown(oid) => format!("an unknown curve (OID {oid})"),
        known => known.name().to_string(),
    }
}

fn algorithm_name(p: &PublicParams) -> &'static str {
    match p {
        PublicParams::Elgamal(_) => "Elgamal",
        PublicParams::ECDH(_) => "ECDH",
        PublicParams::X25519(_) => "X25519",
        PublicParams::X448(_) => "X448",
        PublicParams::Ed448(_) => "Ed448",
        PublicParams::EdDSALegacy(_) => "EdDSA on a curve other than Ed25519",
        _ => "this key algorithm",
    }
}

fn check_algorithm(ctx: &Context<'_>, fp: &str, params: &PublicParams) -> Result<(), Rejection> {
    let reject = |reason: String| Rejection::KeyAlgorithm {
        key: fp.to_string(),
        reason,
    };
    let alg = key_algorithm(params).map_err(reject)?;
    ctx.algorithms
        .check_key(alg)
        .map_err(|e| reject(e.to_string()))
}

/// Counts one signature verification against the budget.
fn spend(budget: &mut usize, primary: &str) -> Result<(), Rejection> {
    if *budget == 0 {
        return Err(Rejection::Budget(primary.to_string()));
    }
    *budget -= 1;
    Ok(())
}

/// Whether a self-signature's issuer subpackets could name the primary
/// key (a third-party certification is not worth a verification).
fn names_key(sig: &Signature, key: &impl KeyDetails) -> bool {
    let fps = sig.issuer_fingerprint();
    let ids = sig.issuer_key_id();
    (fps.is_empty() && ids.is_empty())
        || fps.iter().any(|f| **f == key.fingerprint())
        || ids.iter().any(|i| **i == key.legacy_key_id())
}

/// A revocation's reason, as report text, and whether it is "soft"
/// (superseded or retired: signatures made before it stay good,
/// RFC 9580 §5.2.3.31).
fn revocation_reason(rev: &Signature) -> (String, bool) {
    let code = rev.revocation_reason_code();
    let soft = matches!(
        code,
        Some(RevocationCode::KeySuperseded | RevocationCode::KeyRetired)
    );
    let text = rev
        .revocation_reason_string()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .filter(|s| !s.is_empty());
    let created = rev.created().map(time_of).map(fmt).unwrap_or_default();
    let mut why = format!(" at {created}");
    if let Some(c) = code {
        why.push_str(&format!(" ({c:?})"));
    }
    if let Some(t) = text {
        why.push_str(&format!(": {t:?}"));
    }
    (why, soft)
}

/// Applies a valid revocation to a signature made at `created`.
fn apply_revocation(rev: &Signature, key: &str, created: OffsetDateTime) -> Result<(), Rejection> {
    let (why, soft) = revocation_reason(rev);
    let revoked_at = rev.created().map(time_of);
    if soft && revoked_at.is_some_and(|r| created < r) {
        // Retired or superseded after this signature was made.
        return Ok(());
    }
    Err(Rejection::Revoked {
        key: key.to_string(),
        reason: why,
    })
}

/// Step 5: the certificate makes `which` a valid signing key for a
/// signature made at `created`, judged at `ctx.at`. Returns the user ID.
fn check_key(
    ctx: &Context<'_>,
    c: &SignedPublicKey,
    which: Which,
    sig: &Signature,
    created: OffsetDateTime,
    budget: &mut usize,
) -> Result<Option<String>, Rejection> {
    let primary = &c.primary_key;
    let pfp = hex_upper(primary.fingerprint().as_bytes());
    check_algorithm(ctx, &pfp, primary.public_params())?;

    // Signature times (§5.2.3.11, §5.2.3.18).
    if created > ctx.at {
        return Err(Rejection::Time(format!(
            "the signature claims creation at {}, after the validation time {}",
            fmt(created),
            fmt(ctx.at)
        )));
    }
    if let Some(d) = sig.signature_expiration_time().filter(|d| d.as_secs() != 0) {
        let until = created + time::Duration::seconds(i64::from(d.as_secs()));
        if until <= ctx.at {
            return Err(Rejection::Time(format!(
                "the signature expired at {} (validation time {})",
                fmt(until),
                fmt(ctx.at)
            )));
        }
    }

    // The primary key's self-signature in force: the newest valid one
    // made by the validation time (§5.2.3.10).
    let (self_sig, user_id) = newest_self_signature(ctx, c, &pfp, budget)?;
    for rev in c
        .details
        .revocation_signatures
        .iter()
        .filter(|r| names_key(r, primary))
    {
        spend(budget, &pfp)?;
        if rev.verify_key(primary).is_ok() {
            apply_revocation(rev, &pfp, created)?;
        }
    }
    check_expiry(
        &pfp,
        primary.created_at(),
        self_sig.key_expiration_time(),
        created,
        ctx.at,
    )?;

    match which {
        Which::Primary => {
            check_before(&pfp, primary.created_at(), created)?;
            if !self_sig.key_flags().sign() {
                return Err(Rejection::NotSigningKey(pfp));
            }
        }
        Which::Subkey(j) => {
            let sub = &c.public_subkeys[j];
            let sfp = hex_upper(sub.key.fingerprint().as_bytes());
            check_algorithm(ctx, &sfp, sub.key.public_params())?;
            check_before(&sfp, sub.key.created_at(), created)?;
            let binding = newest_binding(ctx, c, sub, &sfp, &pfp, budget)?;
            for rev in sub
                .signatures
                .iter()
                .filter(|s| s.typ() == Some(SignatureType::SubkeyRevocation))
            {
                spend(budget, &pfp)?;
                if rev.verify_subkey_binding(primary, &sub.key).is_ok() {
                    apply_revocation(rev, &sfp, created)?;
                }
            }
            check_expiry(
                &sfp,
                sub.key.created_at(),
                binding.key_expiration_time(),
                created,
                ctx.at,
            )?;
        }
    }
    Ok(user_id)
}

/// A signature made before its key existed is forged or misdated.
fn check_before(
    fp: &str,
    key_created: Timestamp,
    created: OffsetDateTime,
) -> Result<(), Rejection> {
    let k = time_of(key_created);
    if created < k {
        return Err(Rejection::Time(format!(
            "the signature claims creation at {}, before key {fp} was created ({})",
            fmt(created),
            fmt(k)
        )));
    }
    Ok(())
}

/// Key expiration (§5.2.3.13): relative to the key's creation; zero or
/// absent means none. Expired when the signature was made, or at the
/// validation time, fails.
fn check_expiry(
    fp: &str,
    key_created: Timestamp,
    expiration: Option<pgp::types::Duration>,
    created: OffsetDateTime,
    at: OffsetDateTime,
) -> Result<(), Rejection> {
    let Some(d) = expiration.filter(|d| d.as_secs() != 0) else {
        return Ok(());
    };
    let expires = time_of(key_created) + time::Duration::seconds(i64::from(d.as_secs()));
    let when = if created >= expires {
        Some(format!(
            ", before the signature was made ({})",
            fmt(created)
        ))
    } else if at >= expires {
        Some(format!(" (validation time {})", fmt(at)))
    } else {
        None
    };
    match when {
        Some(when) => Err(Rejection::Expired {
            key: fp.to_string(),
            expired: fmt(expires),
            when,
        }),
        None => Ok(()),
    }
}

/// The newest valid self-signature over the primary key made by the
/// validation time: a direct-key signature or a user ID certification by
/// the primary key itself, with an allowed hash. Also the user ID to
/// report: the one of the newest valid certification, preferring one
/// marked primary.
fn newest_self_signature<'c>(
    ctx: &Context<'_>,
    c: &'c SignedPublicKey,
    pfp: &str,
    budget: &mut usize,
) -> Result<(&'c Signature, Option<String>), Rejection> {
    let primary = &c.primary_key;
    // (sig, user ID index) for every candidate, newest first.
    let mut candidates: Vec<(&Signature, Option<usize>)> = c
        .details
        .direct_signatures
        .iter()
        .filter(|s| s.typ() == Some(SignatureType::Key))
        .map(|s| (s, None))
        .chain(c.details.users.iter().enumerate().flat_map(|(i, u)| {
            u.signatures
                .iter()
                .filter(|s| s.is_certification() && s.typ() != Some(SignatureType::CertRevocation))
                .map(move |s| (s, Some(i)))
        }))
        .filter(|(s, _)| names_key(s, primary))
        .filter(|(s, _)| s.created().map(time_of).is_some_and(|t| t <= ctx.at))
        .collect();
    candidates.sort_by_key(|(s, uid)| {
        std::cmp::Reverse((
            s.created().map(|t| t.as_secs()),
            uid.is_some() && s.is_primary(),
        ))
    });
    let mut weak = None;
    let mut found: Option<(&Signature, Option<usize>)> = None;
    for (s, uid) in candidates {
        if let Some(h) = s.hash_alg().filter(|h| check_hash(*h).is_err()) {
            weak.get_or_insert(h);
            continue;
        }
        spend(budget, pfp)?;
        let ok = match uid {
            None => s.verify_key(primary).is_ok(),
            Some(i) => s
                .verify_certification(primary, Tag::UserId, &c.details.users[i].id)
                .is_ok(),
        };
        if ok {
            found = Some((s, uid));
            break;
        }
    }
    let Some((s, uid)) = found else {
        return Err(Rejection::SelfSignature {
            primary: pfp.to_string(),
            reason: match weak {
                Some(h) => format!(
                    "its only self-signatures use {h}, which is refused; the key holder must \
                     re-sign the key with SHA-256 or stronger"
                ),
                None => "no valid self-signature (user ID certification or direct-key \
                         signature by the key itself, RFC 9580 §5.2.3.10) made by the \
                         validation time"
                    .into(),
            },
        });
    };
    let user_id = uid
        .or_else(|| (!c.details.users.is_empty()).then_some(0))
        .map(|i| String::from_utf8_lossy(c.details.users[i].id.id()).into_owned());
    Ok((s, user_id))
}

/// The newest valid subkey binding signature (§5.2.1.8) made by the
/// validation time, with the signing flag and a valid embedded primary
/// key binding signature (§5.2.1.9) from the subkey.
fn newest_binding<'c>(
    ctx: &Context<'_>,
    c: &'c SignedPublicKey,
    sub: &'c SignedPublicSubKey,
    sfp: &str,
    pfp: &str,
    budget: &mut usize,
) -> Result<&'c Signature, Rejection> {
    let primary = &c.primary_key;
    let mut bindings: Vec<&Signature> = sub
        .signatures
        .iter()
        .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding))
        .filter(|s| s.created().map(time_of).is_some_and(|t| t <= ctx.at))
        .collect();
    bindings.sort_by_key(|s| std::cmp::Reverse(s.created().map(|t| t.as_secs())));
    let reject = |reason: String| Rejection::SubkeyBinding {
        subkey: sfp.to_string(),
        reason,
    };
    let mut last = None;
    for b in bindings {
        if let Some(h) = b.hash_alg().filter(|h| check_hash(*h).is_err()) {
            last = Some(format!("its binding signature uses {h}, which is refused"));
            continue;
        }
        spend(budget, pfp)?;
        if let Err(e) = b.verify_subkey_binding(primary, &sub.key) {
            last = Some(format!("binding signature does not verify: {e}"));
            continue;
        }
        // The newest valid binding is the one in force; its flags decide.
        if !b.key_flags().sign() {
            return Err(Rejection::NotSigningKey(sfp.to_string()));
        }
        let Some(back) = b.embedded_signature() else {
            return Err(reject(
                "a signing subkey's binding lacks the embedded primary key binding signature \
                 (RFC 9580 §5.2.1.8): the subkey never agreed to be bound"
                    .into(),
            ));
        };
        if let Some(h) = back.hash_alg().filter(|h| check_hash(*h).is_err()) {
            return Err(reject(format!(
                "its primary key binding signature uses {h}, which is refused"
            )));
        }
        spend(budget, pfp)?;
        back.verify_primary_key_binding(&sub.key, primary)
            .map_err(|e| {
                reject(format!(
                    "primary key binding signature does not verify: {e}"
                ))
            })?;
        return Ok(b);
    }
    Err(reject(last.unwrap_or_else(|| {
        "no binding signature by the primary key made by the validation time".into()
    })))
}

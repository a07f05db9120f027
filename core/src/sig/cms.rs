//! Detached CMS / PKCS#7 SignedData signatures (RFC 5652), as made by
//! `openssl cms -sign -binary`, `openssl smime -sign` and most code-signing
//! tools, in PEM or DER.
//!
//! What is checked, per SignerInfo, in order:
//! 1. the signed attributes exist and carry exactly one contentType equal to
//!    the eContentType and one messageDigest equal to the digest of the
//!    content (RFC 5652 §5.3, §11.1, §11.2); signingTime is recorded but
//!    never trusted (the signer asserts it);
//! 2. the signer certificate is found in the certificate bag by
//!    issuer+serial or subjectKeyIdentifier (RFC 5652 §5.3 `sid`);
//! 3. the signature algorithm is resolved from the SignerInfo and the key
//!    through the one allow-list ([`x509::SignatureAlgorithm`] onto
//!    [`crate::keys::SignatureScheme`]), and must be on the policy's
//!    allow-list with a large enough key;
//! 4. the signature is verified over the DER encoding of the signed
//!    attributes as a SET OF (RFC 5652 §5.4); an ECDSA signature must be a
//!    DER Ecdsa-Sig-Value (RFC 5753 §2.1.1), a raw `r‖s` is refused;
//! 5. an RFC 3161 timestamp token in the unsigned attributes, if present,
//!    is verified ([`super::tsp`]); under `signing-time` it is required and
//!    its genTime becomes the validation time;
//! 6. the signer's chain is validated to the policy's roots with the
//!    required EKU at the policy's validation time.
//!
//! Choices (fail closed): every SignerInfo must verify — a signature with
//! one good and one bad signer fails, since the bad signer is material the
//! auditor cannot vouch for; signed attributes are required (they bind the
//! content type and let the content be hashed while streaming); SHA-1 and
//! other digests outside SHA-2 are refused; embedded (non-detached) content
//! is refused; anything that does not parse as strict DER is refused.

use std::collections::BTreeSet;
use std::io::Read;

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Tagged};
use serde::Serialize;
use sha2::Digest as _;
use time::OffsetDateTime;
use x509_cert::Certificate;

use super::tsp::{self, TimestampReport};
use crate::digest::Sha256Digest;
use crate::keys::{KeyAlgorithm as KeyKind, PublicKey};
use crate::policy::{Algorithm, TrustPolicy, ValidationTime};
use crate::x509::{self, Purpose};

/// Largest signature file accepted (certificates and timestamp included).
pub const MAX_SIGNATURE_BYTES: usize = 4 * 1024 * 1024;
/// Most SignerInfos accepted in one SignedData.
pub const MAX_SIGNERS: usize = 16;
/// Most certificates accepted in one certificate bag.
pub const MAX_CERTIFICATES: usize = 64;

pub(crate) const OID_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
pub(crate) const OID_TIMESTAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

const OID_SHA1: &str = "1.3.14.3.2.26";
const OID_MD5: &str = "1.2.840.113549.2.5";
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

/// A message-digest algorithm accepted in CMS (SHA-2 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// Recognises a digest AlgorithmIdentifier OID; anything else (SHA-1,
    /// MD5, SHA-3, ...) is refused with its OID named.
    /// Recognises a digest AlgorithmIdentifier: a SHA-2 OID with absent or
    /// NULL parameters (RFC 5754 §2); other parameters are refused.
    pub(crate) fn from_alg(
        alg: &x509_cert::spki::AlgorithmIdentifierOwned,
    ) -> Result<Self, CmsError> {
        let d = Self::from_oid(&alg.oid)?;
        match &alg.parameters {
            None => Ok(d),
            Some(p) if p.tag() == der::Tag::Null && p.value().is_empty() => Ok(d),
            Some(p) => Err(CmsError::Malformed(format!(
                "digest algorithm {} with parameters of tag {}",
                alg.oid,
                p.tag()
            ))),
        }
    }

    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Result<Self, CmsError> {
        match *oid {
            OID_SHA256 => Ok(Self::Sha256),
            OID_SHA384 => Ok(Self::Sha384),
            OID_SHA512 => Ok(Self::Sha512),
            ref o if o.to_string() == OID_SHA1 => Err(CmsError::Unsupported(
                "digest algorithm SHA-1 is refused (collision attacks)".into(),
            )),
            ref o if o.to_string() == OID_MD5 => Err(CmsError::Unsupported(
                "digest algorithm MD5 is refused (collision attacks)".into(),
            )),
            ref o => Err(CmsError::Unsupported(format!("digest algorithm {o}"))),
        }
    }

    /// The digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        self.digest_parts(&[bytes])
    }

    /// The digest of the concatenation of `parts`, without copying them.
    pub fn digest_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().to_vec()
        }
        match self {
            Self::Sha256 => run::<sha2::Sha256>(parts),
            Self::Sha384 => run::<sha2::Sha384>(parts),
            Self::Sha512 => run::<sha2::Sha512>(parts),
        }
    }

    /// Lower-case name (`sha256`, ...), as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Its output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// Digests of one content under the algorithms its signers use.
#[derive(Clone, Debug, Default)]
pub struct ContentDigests(Vec<(DigestAlgorithm, Vec<u8>)>);

impl ContentDigests {
    /// Hashes `content` once, streaming, under every algorithm of `algs`.
    pub fn compute(
        mut content: impl Read,
        algs: &BTreeSet<DigestAlgorithm>,
    ) -> std::io::Result<Self> {
        let mut s256 = algs
            .contains(&DigestAlgorithm::Sha256)
            .then(sha2::Sha256::new);
        let mut s384 = algs
            .contains(&DigestAlgorithm::Sha384)
            .then(sha2::Sha384::new);
        let mut s512 = algs
            .contains(&DigestAlgorithm::Sha512)
            .then(sha2::Sha512::new);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(h) = s256.as_mut() {
                h.update(&buf[..n]);
            }
            if let Some(h) = s384.as_mut() {
                h.update(&buf[..n]);
            }
            if let Some(h) = s512.as_mut() {
                h.update(&buf[..n]);
            }
        }
        let mut out = Vec::new();
        if let Some(h) = s256 {
            out.push((DigestAlgorithm::Sha256, h.finalize().to_vec()));
        }
        if let Some(h) = s384 {
            out.push((DigestAlgorithm::Sha384, h.finalize().to_vec()));
        }
        if let Some(h) = s512 {
            out.push((DigestAlgorithm::Sha512, h.finalize().to_vec()));
        }
        Ok(Self(out))
    }

    /// Digests already known (from a release listing).
    pub fn from_known(digests: Vec<(DigestAlgorithm, Vec<u8>)>) -> Self {
        Self(digests)
    }

    /// Digests of in-memory bytes.
    pub fn of(bytes: &[u8], algs: &BTreeSet<DigestAlgorithm>) -> Self {
        Self(algs.iter().map(|a| (*a, a.digest(bytes))).collect())
    }

    fn get(&self, alg: DigestAlgorithm) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, d)| d.as_slice())
    }
}

/// Why a CMS signature did not verify. Each variant is one check; see
/// [`CmsError::check`] for its stable name in reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    /// Not PEM/DER CMS SignedData, or not strict DER.
    #[error("malformed CMS: {0}")]
    Malformed(String),
    /// A construct or algorithm glassbox does not verify.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A signed attribute is missing, repeated or wrong.
    #[error("signed attribute {attr}: {reason}")]
    SignedAttribute {
        /// The attribute (contentType, messageDigest, signingTime).
        attr: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The content does not hash to the signed messageDigest.
    #[error(
        "messageDigest mismatch: the signature covers {} {signed}, the content hashes to {actual}", algorithm.name()
    )]
    MessageDigest {
        /// The digest algorithm.
        algorithm: DigestAlgorithm,
        /// Hex of the signed value.
        signed: String,
        /// Hex of the content's digest.
        actual: String,
    },
    /// The signer certificate is missing or unusable.
    #[error("signer certificate: {0}")]
    SignerCertificate(String),
    /// The algorithm or key size is not allowed by the policy.
    #[error("algorithm policy: {0}")]
    AlgorithmPolicy(String),
    /// The signature value does not verify.
    #[error("signature: {0}")]
    Signature(String),
    /// The signer's certificate chain does not validate.
    #[error("certificate chain: {0}")]
    Chain(String),
    /// The RFC 3161 timestamp is missing (when required) or invalid.
    #[error("timestamp: {0}")]
    Timestamp(String),
}

impl CmsError {
    /// The stable name of the failed check, as used in JSON reports.
    pub fn check(&self) -> &'static str {
        match self {
            CmsError::Malformed(_) => "parse",
            CmsError::Unsupported(_) => "supported",
            CmsError::SignedAttribute { .. } => "signed-attributes",
            CmsError::MessageDigest { .. } => "message-digest",
            CmsError::SignerCertificate(_) => "signer-certificate",
            CmsError::AlgorithmPolicy(_) => "algorithm-policy",
            CmsError::Signature(_) => "signature",
            CmsError::Chain(_) => "chain",
            CmsError::Timestamp(_) => "timestamp",
        }
    }
}

/// A CMS failure located at one SignerInfo (or the whole structure).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{error}", signer.map(|i| format!("signer #{}: ", i + 1)).unwrap_or_default())]
pub struct CmsFailure {
    /// Index of the SignerInfo, when the failure is about one.
    pub signer: Option<usize>,
    /// What failed.
    pub error: CmsError,
}

impl From<CmsError> for CmsFailure {
    fn from(error: CmsError) -> Self {
        Self {
            signer: None,
            error,
        }
    }
}

/// Who signed, with what, and when certificates were judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignerReport {
    /// Signer certificate subject (RFC 4514).
    pub subject: String,
    /// Signer certificate issuer.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the signer certificate (DER).
    pub certificate_sha256: Sha256Digest,
    /// SHA-256 of the signer's SubjectPublicKeyInfo (DER), stable across
    /// re-issued certificates for the same key.
    pub key_sha256: Sha256Digest,
    /// Signature algorithm.
    pub algorithm: Algorithm,
    /// Message-digest algorithm.
    pub digest_algorithm: DigestAlgorithm,
    /// The validated path, leaf first, ending at a policy root.
    pub chain: Vec<String>,
    /// The signingTime signed attribute: claimed by the signer, not trusted.
    #[serde(with = "super::rfc3339_opt")]
    pub claimed_signing_time: Option<OffsetDateTime>,
    /// The verified RFC 3161 timestamp, if any.
    pub timestamp: Option<TimestampReport>,
    /// The instant the chain was validated at.
    #[serde(with = "super::rfc3339")]
    pub validated_at: OffsetDateTime,
    /// Signed attributes glassbox does not interpret (OIDs), for the record.
    pub other_signed_attributes: Vec<String>,
}

/// A verified CMS signature: every SignerInfo verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CmsVerified {
    /// One report per SignerInfo, in order.
    pub signers: Vec<SignerReport>,
}

/// A parsed CMS SignedData.
#[derive(Clone, Debug)]
pub struct CmsSignature {
    pub(crate) signed_data: SignedData,
}

impl CmsSignature {
    /// Parses PEM (`PKCS7`, `CMS`) or DER ContentInfo holding SignedData.
    pub fn parse(bytes: &[u8]) -> Result<Self, CmsError> {
        if bytes.len() > MAX_SIGNATURE_BYTES {
            return Err(CmsError::Malformed(format!(
                "{} bytes exceeds the {MAX_SIGNATURE_BYTES}-byte limit",
                bytes.len()
            )));
        }
        let der = if bytes.starts_with(b"-----BEGIN") {
            let pem = crate::pem::blocks(bytes)
                .map_err(|e| CmsError::Malformed(format!("PEM: {e}")))?
                .into_iter()
                .next()
                .ok_or_else(|| CmsError::Malformed("empty PEM".into()))?;
            if !matches!(pem.label.as_str(), "PKCS7" | "CMS" | "PKCS #7 SIGNED DATA") {
                return Err(CmsError::Malformed(format!(
                    "PEM label {:?} is not PKCS7/CMS",
                    pem.label
                )));
            }
            pem.der
        } else {
            bytes.to_vec()
        };
        Self::from_der(&der)
    }

    /// Parses a DER ContentInfo holding SignedData.
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        let signed_data = signed_data_from_der(der)?;
        check_structure(&signed_data)?;
        Ok(Self { signed_data })
    }

    /// The digest algorithms the signers use, to hash the content with.
    pub fn digest_algorithms(&self) -> Result<BTreeSet<DigestAlgorithm>, CmsError> {
        self.signed_data
            .signer_infos
            .0
            .iter()
            .map(|si| DigestAlgorithm::from_alg(&si.digest_alg))
            .collect()
    }

    /// The DER of every certificate in the bag.
    pub fn certificates_der(&self) -> Vec<Vec<u8>> {
        bag_certificates(&self.signed_data)
            .iter()
            .filter_map(|c| c.to_der().ok())
            .collect()
    }
}

/// The SignedData of a DER ContentInfo (RFC 5652 §3, §5.1), not yet
/// checked against glassbox's limits ([`check_structure`]).
pub(crate) fn signed_data_from_der(der: &[u8]) -> Result<SignedData, CmsError> {
    let ci =
        ContentInfo::from_der(der).map_err(|e| CmsError::Malformed(format!("ContentInfo: {e}")))?;
    if ci.content_type != OID_SIGNED_DATA {
        return Err(CmsError::Unsupported(format!(
            "content type {} is not SignedData",
            ci.content_type
        )));
    }
    ci.content
        .decode_as()
        .map_err(|e| CmsError::Malformed(format!("SignedData: {e}")))
}

/// The limits every SignedData is held to: at least one and at most
/// [`MAX_SIGNERS`] SignerInfos, at most [`MAX_CERTIFICATES`] certificates,
/// only digest algorithms glassbox vouches for.
pub(crate) fn check_structure(signed_data: &SignedData) -> Result<(), CmsError> {
    if signed_data.signer_infos.0.is_empty() {
        return Err(CmsError::Malformed("no SignerInfo".into()));
    }
    if signed_data.signer_infos.0.len() > MAX_SIGNERS {
        return Err(CmsError::Unsupported(format!(
            "more than {MAX_SIGNERS} signers"
        )));
    }
    if signed_data
        .certificates
        .as_ref()
        .is_some_and(|c| c.0.len() > MAX_CERTIFICATES)
    {
        return Err(CmsError::Unsupported(format!(
            "more than {MAX_CERTIFICATES} certificates"
        )));
    }
    check_digest_algorithms(signed_data)
}

/// RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms
/// for one-pass processors. glassbox does not use it, but an algorithm it
/// cannot vouch for there (SHA-1, anything unknown) fails the signature
/// rather than being ignored.
pub(crate) fn check_digest_algorithms(sd: &SignedData) -> Result<(), CmsError> {
    for a in sd.digest_algorithms.iter() {
        DigestAlgorithm::from_alg(a)?;
    }
    Ok(())
}

fn bag_certificates(sd: &SignedData) -> Vec<&Certificate> {
    sd.certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            CertificateChoices::Other(_) => None,
        })
        .collect()
}

/// Verifies a detached CMS signature over `content` under `policy`.
/// `now` is the time of verification (for the `now` validation time).
pub fn verify_detached(
    signature: &[u8],
    content: impl Read,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<CmsVerified, CmsFailure> {
    let sig = CmsSignature::parse(signature)?;
    let algs = sig.digest_algorithms()?;
    let digests = ContentDigests::compute(content, &algs)
        .map_err(|e| CmsError::Malformed(format!("reading content: {e}")))?;
    verify_parsed(&sig, &digests, policy, now)
}

/// Verifies a parsed detached signature against precomputed digests.
pub fn verify_parsed(
    sig: &CmsSignature,
    digests: &ContentDigests,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<CmsVerified, CmsFailure> {
    let sd = &sig.signed_data;
    if sd.encap_content_info.econtent.is_some() {
        return Err(CmsError::Unsupported(
            "content is embedded; glassbox verifies detached signatures only".into(),
        )
        .into());
    }
    let mut signers = Vec::new();
    for (i, si) in sd.signer_infos.0.iter().enumerate() {
        let report =
            verify_code_signer(sd, si, digests, policy, now).map_err(|error| CmsFailure {
                signer: Some(i),
                error,
            })?;
        signers.push(report);
    }
    Ok(CmsVerified { signers })
}

fn verify_code_signer(
    sd: &SignedData,
    si: &SignerInfo,
    digests: &ContentDigests,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<SignerReport, CmsError> {
    let checked = check_signer(
        sd,
        si,
        &sd.encap_content_info.econtent_type,
        digests,
        policy,
    )?;

    // RFC 3161 Appendix A: the token's imprint is the hash of the
    // SignerInfo's signature value.
    let timestamp = match timestamp_token(si)? {
        Some(token) => Some(
            tsp::verify_token(&token, si.signature.as_bytes(), policy, now)
                .map_err(|e| CmsError::Timestamp(e.to_string()))?,
        ),
        None => None,
    };
    finish_signer(sd, checked, timestamp, policy, now, &[])
}

/// Steps 5–6 for a signer whose attributes and signature checked out and
/// whose timestamp (if any) verified: the validation time the policy asks
/// for, the chain at that time, and the report. `extra_ekus` are EKU OIDs
/// accepted in place of id-kp-codeSigning (a vendor's own, from the policy).
pub(crate) fn finish_signer(
    sd: &SignedData,
    checked: CheckedSigner,
    timestamp: Option<TimestampReport>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
    extra_ekus: &[String],
) -> Result<SignerReport, CmsError> {
    let validated_at = match (policy.validation_time, &timestamp) {
        (ValidationTime::Now, _) => now,
        (ValidationTime::Fixed(t), _) => t,
        (ValidationTime::SigningTime, Some(ts)) => ts.gen_time,
        (ValidationTime::SigningTime, None) => {
            return Err(CmsError::Timestamp(
                "the policy validates at signing time, which needs an RFC 3161 timestamp token; there is none"
                    .into(),
            ));
        }
    };
    let chain = validate_signer_chain(
        sd,
        &checked.cert_der,
        policy,
        validated_at,
        required_purpose(policy),
        extra_ekus,
    )?;
    Ok(SignerReport {
        subject: checked.cert.tbs_certificate.subject.to_string(),
        issuer: checked.cert.tbs_certificate.issuer.to_string(),
        serial: hex::encode(checked.cert.tbs_certificate.serial_number.as_bytes()),
        certificate_sha256: Sha256Digest::of(&checked.cert_der),
        key_sha256: Sha256Digest::of(&checked.spki_der),
        algorithm: checked.algorithm,
        digest_algorithm: checked.digest_algorithm,
        chain,
        claimed_signing_time: checked.signing_time,
        timestamp,
        validated_at,
        other_signed_attributes: checked.other_attributes,
    })
}

/// The EKU the policy requires of code signers (RFC 5280 §4.2.1.12).
fn required_purpose(policy: &TrustPolicy) -> Purpose {
    match policy.required_eku {
        crate::policy::RequiredEku::CodeSigning => Purpose::CodeSigning,
    }
}

/// Validates the chain of `leaf_der` to the policy's roots (TSA roots for
/// timestamping) through the certificate bag and the policy's
/// intermediates, at `at`, for `purpose` (RFC 5280 §6.1, [`x509::validate`]);
/// `extra_ekus` are further EKU OIDs the leaf may carry instead.
pub(crate) fn validate_signer_chain(
    sd: &SignedData,
    leaf_der: &[u8],
    policy: &TrustPolicy,
    at: OffsetDateTime,
    purpose: Purpose,
    extra_ekus: &[String],
) -> Result<Vec<String>, ChainError> {
    let parse = |d: &[u8]| x509::Certificate::from_der(d).map_err(|e| format!("certificate: {e}"));
    let leaf = parse(leaf_der)?;
    let mut inter = Vec::new();
    for c in bag_certificates(sd) {
        let der = c.to_der().map_err(|e| format!("certificate: {e}"))?;
        if der != leaf_der {
            // A bag certificate glassbox cannot parse is only a candidate
            // issuer; it cannot vouch for anything, so it is left out.
            if let Ok(c) = parse(&der) {
                inter.push(c);
            }
        }
    }
    inter.extend(policy.intermediates.iter().map(|c| c.cert.clone()));
    let anchors = match purpose {
        Purpose::TimeStamping => &policy.tsa_roots,
        p if p == required_purpose(policy) => &policy.roots,
        _ => return Err(format!("purpose {purpose} is not used for signatures").into()),
    };
    if anchors.is_empty() {
        return Err(ChainError::Path(
            "the policy has no trusted roots for this purpose".into(),
        ));
    }
    let roots: Vec<x509::Certificate> = anchors.iter().map(|c| c.cert.clone()).collect();
    let opts = x509::ValidationOptions {
        time: x509::ValidationTime::At(at),
        purpose,
        extra_ekus: extra_ekus.to_vec(),
        ..x509::ValidationOptions::default()
    };
    let chain = x509::validate(&leaf, &inter, &roots, &opts).map_err(|e| e.to_string())?;
    // `[algorithms]` binds every link, not only the signer's own key: a
    // chain through a weak intermediate is only as strong as that link.
    policy
        .algorithms
        .check_chain(&chain.certificates)
        .map_err(|e| ChainError::AlgorithmPolicy(e.to_string()))?;
    Ok(chain
        .certificates
        .iter()
        .map(|c| c.subject().to_string())
        .collect())
}

/// Why a signer's (or TSA's) chain was not accepted.
#[derive(Debug)]
pub(crate) enum ChainError {
    /// No valid path to a policy root (RFC 5280 §6.1).
    Path(String),
    /// A valid path with a link the policy's `[algorithms]` refuses.
    AlgorithmPolicy(String),
}

impl From<String> for ChainError {
    fn from(e: String) -> Self {
        ChainError::Path(e)
    }
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::Path(e) => f.write_str(e),
            ChainError::AlgorithmPolicy(e) => write!(f, "chain link: {e}"),
        }
    }
}

impl From<ChainError> for CmsError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Path(e) => CmsError::Chain(e),
            e @ ChainError::AlgorithmPolicy(_) => CmsError::AlgorithmPolicy(e.to_string()),
        }
    }
}

/// The result of the checks every SignerInfo goes through (code signer or
/// timestamp authority): attributes, certificate, algorithm, signature.
pub(crate) struct CheckedSigner {
    pub cert: Certificate,
    pub cert_der: Vec<u8>,
    pub spki_der: Vec<u8>,
    pub algorithm: Algorithm,
    pub digest_algorithm: DigestAlgorithm,
    pub signing_time: Option<OffsetDateTime>,
    pub other_attributes: Vec<String>,
}

/// Steps 1–4 of the module documentation for one SignerInfo, whose
/// contentType attribute must be `content_type` (the eContentType, or
/// id-data for an Authenticode countersignature).
pub(crate) fn check_signer(
    sd: &SignedData,
    si: &SignerInfo,
    content_type_expected: &ObjectIdentifier,
    digests: &ContentDigests,
    policy: &TrustPolicy,
) -> Result<CheckedSigner, CmsError> {
    let digest_algorithm = DigestAlgorithm::from_alg(&si.digest_alg)?;
    let attrs = si.signed_attrs.as_ref().ok_or_else(|| {
        CmsError::Unsupported(
            "no signed attributes: glassbox requires contentType and messageDigest (RFC 5652 §5.3)"
                .into(),
        )
    })?;

    // RFC 5652 §5.3 / §11: contentType and messageDigest exactly once with
    // exactly one value; signingTime at most once.
    let single = |oid: ObjectIdentifier, name: &'static str| -> Result<Option<&Any>, CmsError> {
        let found: Vec<_> = attrs.iter().filter(|a| a.oid == oid).collect();
        match found.as_slice() {
            [] => Ok(None),
            [a] if a.values.len() == 1 => Ok(a.values.get(0)),
            [_] => Err(CmsError::SignedAttribute {
                attr: name,
                reason: "must have exactly one value".into(),
            }),
            _ => Err(CmsError::SignedAttribute {
                attr: name,
                reason: "occurs more than once".into(),
            }),
        }
    };
    let content_type =
        single(OID_CONTENT_TYPE, "contentType")?.ok_or(CmsError::SignedAttribute {
            attr: "contentType",
            reason: "missing".into(),
        })?;
    let content_type: ObjectIdentifier =
        content_type
            .decode_as()
            .map_err(|e| CmsError::SignedAttribute {
                attr: "contentType",
                reason: format!("not an OID: {e}"),
            })?;
    if content_type != *content_type_expected {
        return Err(CmsError::SignedAttribute {
            attr: "contentType",
            reason: format!("{content_type} differs from the expected {content_type_expected}"),
        });
    }
    let md = single(OID_MESSAGE_DIGEST, "messageDigest")?.ok_or(CmsError::SignedAttribute {
        attr: "messageDigest",
        reason: "missing".into(),
    })?;
    let md: OctetString = md.decode_as().map_err(|e| CmsError::SignedAttribute {
        attr: "messageDigest",
        reason: format!("not an OCTET STRING: {e}"),
    })?;
    let actual = digests.get(digest_algorithm).ok_or_else(|| {
        CmsError::Malformed(format!("content was not hashed with {digest_algorithm:?}"))
    })?;
    if md.as_bytes() != actual {
        return Err(CmsError::MessageDigest {
            algorithm: digest_algorithm,
            signed: hex::encode(md.as_bytes()),
            actual: hex::encode(actual),
        });
    }
    let signing_time = single(OID_SIGNING_TIME, "signingTime")?
        .map(signing_time_value)
        .transpose()?;
    let other_attributes = attrs
        .iter()
        .map(|a| a.oid)
        .filter(|o| ![OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME].contains(o))
        .map(|o| o.to_string())
        .collect();

    let (cert, cert_der) = find_signer_certificate(sd, &si.sid)?;
    let spki_der = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| CmsError::SignerCertificate(format!("SubjectPublicKeyInfo: {e}")))?;
    let public_key = PublicKey::from_spki_der(&spki_der)
        .map_err(|e| CmsError::SignerCertificate(e.to_string()))?;
    let key = public_key.algorithm();
    let algorithm = resolve_algorithm(si, digest_algorithm, key)?;
    check_algorithm_policy(algorithm, key, policy)?;

    // RFC 5652 §5.4: the signature covers the DER encoding of the signed
    // attributes with an EXPLICIT SET OF tag, not the [0] IMPLICIT tag
    // they carry inside SignerInfo.
    let signed_input = attrs
        .to_der()
        .map_err(|e| CmsError::Malformed(format!("re-encoding signed attributes: {e}")))?;
    check_ecdsa_encoding(si.signature.as_bytes(), key, cert)?;
    public_key
        .verify_der_with(algorithm, &signed_input, si.signature.as_bytes())
        .map_err(|e| CmsError::Signature(e.to_string()))?;

    Ok(CheckedSigner {
        cert: cert.clone(),
        cert_der,
        spki_der,
        algorithm,
        digest_algorithm,
        signing_time,
        other_attributes,
    })
}

/// RFC 5652 §5.3: the signer is named by issuer and serial number or by
/// subject key identifier; the certificate must be in the bag.
/// The value of a signingTime attribute (RFC 5652 §11.3: a Time).
fn signing_time_value(v: &Any) -> Result<OffsetDateTime, CmsError> {
    let t = x509_cert::time::Time::from_der(
        &v.to_der().map_err(|e| CmsError::Malformed(e.to_string()))?,
    )
    .map_err(|e| CmsError::SignedAttribute {
        attr: "signingTime",
        reason: format!("not a Time: {e}"),
    })?;
    OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64).map_err(|e| {
        CmsError::SignedAttribute {
            attr: "signingTime",
            reason: e.to_string(),
        }
    })
}

/// What a SignerInfo states without any check: the subject, issuer and
/// serial of the certificate its identifier names (found in the
/// SignedData's bag), and its signingTime. For describing a signature
/// (`diff`), never for trusting one: [`check_signer`] is that.
pub(crate) fn stated_signer(
    sd: &SignedData,
    si: &SignerInfo,
) -> Result<(CertificateName, Option<OffsetDateTime>), CmsError> {
    let (cert, _) = find_signer_certificate(sd, &si.sid)?;
    let time = si
        .signed_attrs
        .iter()
        .flat_map(|a| a.iter())
        .find(|a| a.oid == OID_SIGNING_TIME)
        .and_then(|a| a.values.get(0))
        .map(signing_time_value)
        .transpose()?;
    Ok((CertificateName::of(cert), time))
}

/// A certificate's subject, issuer and serial, as reports show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateName {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
}

impl CertificateName {
    pub(crate) fn of(cert: &Certificate) -> Self {
        Self {
            subject: cert.tbs_certificate.subject.to_string(),
            issuer: cert.tbs_certificate.issuer.to_string(),
            serial: hex::encode(cert.tbs_certificate.serial_number.as_bytes()),
        }
    }
}

fn find_signer_certificate<'a>(
    sd: &'a SignedData,
    sid: &SignerIdentifier,
) -> Result<(&'a Certificate, Vec<u8>), CmsError> {
    let certs = bag_certificates(sd);
    let found = match sid {
        SignerIdentifier::IssuerAndSerialNumber(is) => certs.into_iter().find(|c| {
            c.tbs_certificate.issuer == is.issuer
                && c.tbs_certificate.serial_number == is.serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(ski) => certs.into_iter().find(|c| {
            c.tbs_certificate
                .extensions
                .iter()
                .flatten()
                .filter(|e| e.extn_id == OID_SKI)
                .any(|e| {
                    OctetString::from_der(e.extn_value.as_bytes())
                        .is_ok_and(|v| v.as_bytes() == ski.0.as_bytes())
                })
        }),
    };
    let cert = found.ok_or_else(|| {
        CmsError::SignerCertificate(match sid {
            SignerIdentifier::IssuerAndSerialNumber(is) => format!(
                "no certificate in the signature with issuer \"{}\" and serial {}",
                is.issuer,
                hex::encode(is.serial_number.as_bytes())
            ),
            SignerIdentifier::SubjectKeyIdentifier(ski) => format!(
                "no certificate in the signature with subjectKeyIdentifier {}",
                hex::encode(ski.0.as_bytes())
            ),
        })
    })?;
    let der = cert
        .to_der()
        .map_err(|e| CmsError::SignerCertificate(format!("re-encoding: {e}")))?;
    Ok((cert, der))
}

/// Maps the SignerInfo's signatureAlgorithm and the signer's key type to
/// the one [`SignatureScheme`](crate::keys::SignatureScheme). The
/// identifiers that name hash and padding (sha256WithRSAEncryption,
/// ecdsa-with-SHA256/384, RSASSA-PSS, Ed25519) are read by the one X.509
/// table, [`x509::SignatureAlgorithm`], under its parameter rules. CMS alone
/// may name only the key type and leave the hash to digestAlgorithm:
/// rsaEncryption (RFC 5754 §3.2) and id-ecPublicKey (RFC 5753 §2.1.1).
fn resolve_algorithm(
    si: &SignerInfo,
    digest: DigestAlgorithm,
    key: KeyKind,
) -> Result<Algorithm, CmsError> {
    use x509::SignatureAlgorithm as X;
    let unsupported = |e: x509::X509Error| CmsError::Unsupported(e.to_string());
    let oid = si.signature_algorithm.oid.to_string();
    let algorithm = match (oid.as_str(), digest) {
        (OID_RSA, DigestAlgorithm::Sha256) => X::RSA_PKCS1_SHA256,
        (OID_RSA, DigestAlgorithm::Sha384) => X::RSA_PKCS1_SHA384,
        (OID_RSA, DigestAlgorithm::Sha512) => X::RSA_PKCS1_SHA512,
        (OID_EC_PUBLIC_KEY, DigestAlgorithm::Sha256) => X::ECDSA_SHA256,
        (OID_EC_PUBLIC_KEY, DigestAlgorithm::Sha384) => X::ECDSA_SHA384,
        (OID_EC_PUBLIC_KEY, DigestAlgorithm::Sha512) => {
            return Err(CmsError::Unsupported(
                "ECDSA with SHA-512 is not on the allow-list".into(),
            ));
        }
        _ => {
            let params = match &si.signature_algorithm.parameters {
                Some(p) => Some(p.to_der().map_err(|e| {
                    CmsError::Malformed(format!("signatureAlgorithm parameters: {e}"))
                })?),
                None => None,
            };
            X::from_oid_and_params(&oid, params.as_deref()).map_err(|e| match oid.as_str() {
                OID_RSA_PSS => CmsError::Unsupported(format!(
                    "{e}: only RSASSA-PSS with MGF1 of the same SHA-2 hash and salt length = \
                     hash length is verifiable (RFC 8702 §3.1 profile; sign with \
                     -keyopt rsa_pss_saltlen:digest)"
                )),
                _ => unsupported(e),
            })?
        }
    };
    let scheme = algorithm.scheme_for(key).map_err(unsupported)?;
    // RFC 8419 §3.1: with signed attributes, the digest is SHA-512.
    if scheme == Algorithm::Ed25519 && digest != DigestAlgorithm::Sha512 {
        return Err(CmsError::Unsupported(format!(
            "Ed25519 with digest {} (RFC 8419 §3.1 requires SHA-512)",
            digest.name()
        )));
    }
    Ok(scheme)
}

/// RFC 3279 §2.2.3 `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`.
#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: der::asn1::UintRef<'a>,
    s: der::asn1::UintRef<'a>,
}

/// RFC 5753 §2.1.1 (by way of RFC 3279 §2.2.3): a SignerInfo's ECDSA
/// signature is a DER Ecdsa-Sig-Value. The bare `r‖s` some signers write is
/// a second encoding of the same signature that CMS does not have; OpenSSL
/// refuses it, so accepting it would read bytes another verifier rejects.
fn check_ecdsa_encoding(
    signature: &[u8],
    key: KeyKind,
    signer: &Certificate,
) -> Result<(), CmsError> {
    if !matches!(key, KeyKind::EcdsaP256 | KeyKind::EcdsaP384)
        || EcdsaSigValue::from_der(signature).is_ok()
    {
        return Ok(());
    }
    let raw_len = if key == KeyKind::EcdsaP256 { 64 } else { 96 };
    let looks = if signature.len() == raw_len {
        format!("{raw_len} bytes, the size of a raw r‖s")
    } else {
        format!("{} bytes", signature.len())
    };
    Err(CmsError::Signature(format!(
        "signer \"{}\": the ECDSA signature is not a DER Ecdsa-Sig-Value ({looks}); \
         RFC 5753 §2.1.1 and RFC 3279 §2.2.3 require DER, so glassbox refuses it: \
         ask the vendor to re-sign with a CMS tool that encodes ECDSA signatures in DER \
         (openssl cms -sign does)",
        signer.tbs_certificate.subject
    )))
}

fn check_algorithm_policy(
    alg: Algorithm,
    key: KeyKind,
    policy: &TrustPolicy,
) -> Result<(), CmsError> {
    let a = &policy.algorithms;
    if !a.allowed.contains(&alg) {
        return Err(CmsError::AlgorithmPolicy(format!(
            "{alg} is not in algorithms.allowed"
        )));
    }
    match key {
        KeyKind::Rsa { bits } if (bits as u64) < u64::from(a.min_rsa_bits) => {
            Err(CmsError::AlgorithmPolicy(format!(
                "RSA key of {bits} bits is below algorithms.min_rsa_bits = {}",
                a.min_rsa_bits
            )))
        }
        KeyKind::EcdsaP256 if a.min_ec_bits > 256 => Err(CmsError::AlgorithmPolicy(format!(
            "P-256 key is below algorithms.min_ec_bits = {}",
            a.min_ec_bits
        ))),
        _ => Ok(()),
    }
}

/// The DER ContentInfo of the timestamp token in the unsigned attributes,
/// if any. More than one token is refused rather than choosing one.
fn timestamp_token(si: &SignerInfo) -> Result<Option<Vec<u8>>, CmsError> {
    let Some(attrs) = si.unsigned_attrs.as_ref() else {
        return Ok(None);
    };
    let tokens: Vec<&Any> = attrs
        .iter()
        .filter(|a| a.oid == OID_TIMESTAMP_TOKEN)
        .flat_map(|a| a.values.iter())
        .collect();
    match tokens.as_slice() {
        [] => Ok(None),
        [t] => t
            .to_der()
            .map(Some)
            .map_err(|e| CmsError::Timestamp(format!("re-encoding token: {e}"))),
        _ => Err(CmsError::Timestamp(format!(
            "{} timestamp tokens; glassbox accepts exactly one",
            tokens.len()
        ))),
    }
}

//! Errors: [`X509Error`] for input that cannot be used at all, [`CertError`]
//! for a verdict about one certificate in a path.

use serde::Serialize;

/// Input that could not be parsed or used (a bad file, a disallowed
/// algorithm, a signature that does not verify).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    /// The DER of a certificate, CRL, key or algorithm identifier is malformed.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// Why it failed.
        why: String,
    },
    /// PEM armour is malformed.
    #[error("malformed PEM: {0}")]
    Pem(String),
    /// A bundle held no certificate.
    #[error("no certificate found")]
    NoCertificates,
    /// An input exceeds a fixed limit.
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The signature algorithm is unknown or not on the allow-list.
    #[error("signature algorithm not allowed: {0}")]
    DisallowedAlgorithm(String),
    /// The public key type, curve or size is not on the allow-list.
    #[error("public key not allowed: {0}")]
    DisallowedKey(String),
    /// The key cannot produce signatures of the given algorithm.
    #[error("public key type {key} cannot verify {algorithm} signatures")]
    KeyAlgorithmMismatch {
        /// The key type.
        key: String,
        /// The signature algorithm.
        algorithm: String,
    },
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    BadSignature,
    /// A peer name is neither a DNS name, an IP address nor an email address.
    #[error("invalid peer name {0:?}")]
    PeerName(String),
}

/// Why one certificate of a candidate path was rejected. Variants are
/// verdicts an auditor can act on; [`CertError::rank`] orders them so that
/// the most specific one is reported when several candidate paths fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CertError {
    /// The certificate violates the RFC 5280 profile (structure, encoding).
    #[error("malformed certificate: {reason}")]
    Malformed {
        /// Which rule is broken.
        reason: String,
    },
    /// An extension occurs twice (RFC 5280 §4.2).
    #[error("duplicate extension {oid}")]
    DuplicateExtension {
        /// The extension OID.
        oid: String,
    },
    /// A critical extension is not understood (RFC 5280 §4.2).
    #[error("unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// The extension OID.
        oid: String,
    },
    /// A known extension failed to parse or is empty.
    #[error("extension {name} is malformed: {reason}")]
    MalformedExtension {
        /// The extension name.
        name: String,
        /// Why.
        reason: String,
    },
    /// An extension has the wrong criticality or appears where it must not.
    #[error("extension {name} misused: {reason}")]
    ExtensionMisuse {
        /// The extension name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The public key is not on the allow-list.
    #[error("public key not allowed: {reason}")]
    DisallowedKey {
        /// Why.
        reason: String,
    },
    /// The validation time is before notBefore (RFC 5280 §4.1.2.5).
    #[error("not valid before {not_before} (validation time {at})")]
    NotYetValid {
        /// notBefore, RFC 3339.
        not_before: String,
        /// The validation time, RFC 3339.
        at: String,
    },
    /// The validation time is after notAfter (RFC 5280 §4.1.2.5).
    #[error("expired at {not_after} (validation time {at})")]
    Expired {
        /// notAfter, RFC 3339.
        not_after: String,
        /// The validation time, RFC 3339.
        at: String,
    },
    /// An issuer is not a CA: basicConstraints absent or cA false (§6.1.4(k)).
    #[error("not a CA: {reason}")]
    NotCa {
        /// Why.
        reason: String,
    },
    /// pathLenConstraint exceeded (RFC 5280 §6.1.4(m)).
    #[error("pathLenConstraint {path_len} allows fewer than the {below} intermediate(s) below it")]
    PathLenConstraintViolated {
        /// The constraint.
        path_len: u32,
        /// Non-self-issued intermediates below this CA.
        below: usize,
    },
    /// The path has more intermediates than the caller allows.
    #[error("path needs more than the maximum of {max} intermediate(s)")]
    MaxDepthExceeded {
        /// The maximum.
        max: usize,
    },
    /// keyUsage lacks a required bit.
    #[error("keyUsage lacks {bit}")]
    KeyUsageMissing {
        /// The required bit.
        bit: String,
    },
    /// extendedKeyUsage does not allow the requested purpose.
    #[error("extendedKeyUsage does not allow {purpose}")]
    RequiredEkuNotFound {
        /// The requested purpose.
        purpose: String,
    },
    /// A name in the certificate is not valid for its type.
    #[error("invalid name {name}: {reason}")]
    InvalidName {
        /// The name as text.
        name: String,
        /// Why.
        reason: String,
    },
    /// A name violates an issuing CA's name constraints (RFC 5280 §6.1.3(b)(c)).
    #[error("name {name} violates name constraints of {ca}: {reason}")]
    NameConstraintViolation {
        /// The offending name.
        name: String,
        /// The subject of the constraining CA.
        ca: String,
        /// Which constraint.
        reason: String,
    },
    /// The signature algorithm is not on the allow-list.
    #[error("signature algorithm not allowed: {reason}")]
    DisallowedSignatureAlgorithm {
        /// Why.
        reason: String,
    },
    /// The signature by the issuer does not verify.
    #[error("signature does not verify under the issuer's key: {reason}")]
    BadSignature {
        /// Why.
        reason: String,
    },
    /// A CRL that covers this certificate is unusable.
    #[error("CRL unusable: {reason}")]
    CrlUnusable {
        /// Why.
        reason: String,
    },
    /// The certificate is on its issuer's CRL.
    #[error("revoked at {date} (reason: {reason})")]
    Revoked {
        /// revocationDate, RFC 3339.
        date: String,
        /// CRLReason.
        reason: String,
    },
    /// The leaf does not match the expected peer name.
    #[error("does not match peer name {expected}")]
    PeerNameMismatch {
        /// The expected name.
        expected: String,
    },
    /// No candidate issuer was found among the intermediates and roots.
    #[error("no issuer found among the given intermediates and roots")]
    UnknownIssuer,
    /// Path building hit its budget of signature checks.
    #[error("path building gave up after {checks} signature checks")]
    BudgetExhausted {
        /// The budget.
        checks: usize,
    },
}

impl CertError {
    /// How specific the verdict is: higher wins when candidate paths fail
    /// in different ways. "No issuer" is the least informative; a broken
    /// signature, constraint or revocation says the most.
    pub fn rank(&self) -> u8 {
        match self {
            CertError::UnknownIssuer => 0,
            CertError::BudgetExhausted { .. } => 1,
            CertError::MaxDepthExceeded { .. } => 2,
            CertError::BadSignature { .. } => 3,
            CertError::DisallowedSignatureAlgorithm { .. } | CertError::DisallowedKey { .. } => 4,
            CertError::NotCa { .. } => 5,
            CertError::Expired { .. } | CertError::NotYetValid { .. } => 6,
            CertError::KeyUsageMissing { .. } | CertError::RequiredEkuNotFound { .. } => 7,
            CertError::PathLenConstraintViolated { .. } => 8,
            CertError::Malformed { .. }
            | CertError::DuplicateExtension { .. }
            | CertError::UnknownCriticalExtension { .. }
            | CertError::MalformedExtension { .. }
            | CertError::ExtensionMisuse { .. }
            | CertError::InvalidName { .. } => 9,
            CertError::NameConstraintViolation { .. } => 10,
            CertError::CrlUnusable { .. } => 11,
            CertError::PeerNameMismatch { .. } => 12,
            CertError::Revoked { .. } => 13,
        }
    }
}

//! OpenPGP signatures (RFC 9580): detached signatures (`.sig`, `.asc`,
//! `.gpg`, binary or ASCII-armored) and cleartext-signed documents
//! (Debian's `InRelease`), verified against the keyrings of the trust
//! policy's `[[openpgp]]` tables.
//!
//! # API
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use glassbox_core::policy::TrustPolicy;
//! use glassbox_core::sig::openpgp;
//! let policy = TrustPolicy::load("policy.toml".as_ref())?; // [[openpgp]] keyring = "..."
//! let now = time::OffsetDateTime::now_utc();
//!
//! // A detached signature (binary or armored, one or several signatures).
//! let v = openpgp::verify_detached(&std::fs::read("Release.gpg")?, &std::fs::read("Release")?, &policy, now)?;
//!
//! // A cleartext-signed document: the signed text comes back with the verdict.
//! let c = openpgp::verify_cleartext(&std::fs::read("InRelease")?, &policy, now)?;
//! if c.verification.verified {
//!     let release_text: &[u8] = &c.text; // LF line endings, exactly what was signed
//! }
//! for s in &c.verification.signatures {
//!     println!("{} {:?} {:?}", s.issuer, s.primary_key, s.failure);
//! }
//! # Ok(()) }
//! ```
//!
//! - [`Keyring`]: a policy keyring, parsed when the policy loads
//!   ([`Keyring::from_bytes`] / [`Keyring::load`]; binary or armored, one or
//!   more certificates, an optional fingerprint allow-list).
//! - [`verify_detached`] / [`verify_cleartext`]: every signature is
//!   reported ([`SignatureReport`]: issuer fingerprint, signing (sub)key,
//!   primary key, user ID, creation time, hash, verdict with a typed
//!   [`Rejection`]). An [`OpenpgpError`] means the input could not be read
//!   at all (malformed armor, truncated packets, a packet that is not a
//!   signature): an input error, not a verdict.
//! - [`validation_time`]: the instant keys are judged at, from the policy.
//!
//! # Rule
//!
//! A document verifies only when it carries at least one signature and
//! **every** signature on it verifies with a key of the policy's keyrings.
//! A signature by a key in no keyring fails naming the issuer's
//! fingerprint; it is never skipped (Debian's `InRelease` carries two
//! signatures, so the policy must hold both keys). Each signature passes
//! the checks of [`verify`] in order, and the first that fails is its
//! verdict.

mod cleartext;
pub mod framing;
mod keyring;
pub mod release;
mod verify;

use serde::Serialize;
use time::OffsetDateTime;

pub use keyring::{Keyring, MAX_KEYRING_BYTES};
pub use verify::Rejection;

use crate::policy::{TrustPolicy, ValidationTime};

/// Most signatures read from one signature file or cleartext document.
pub const MAX_SIGNATURES: usize = 64;

/// Largest signature input (file or cleartext document) read.
pub const MAX_SIGNATURE_INPUT: usize = crate::sig::cms::MAX_SIGNATURE_BYTES;

/// Why OpenPGP input could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenpgpError {
    /// ASCII armor that does not follow RFC 9580 §6.
    #[error("OpenPGP armor, line {line}: {reason}")]
    Armor {
        /// 1-based line of the armor text.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A packet whose framing or content does not parse.
    #[error("OpenPGP packet at byte {offset}: {reason}")]
    Packet {
        /// Offset of the packet in the (dearmored) input.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A cleartext-signed document that does not follow RFC 9580 §7.
    #[error("cleartext-signed document, line {line}: {reason}")]
    Cleartext {
        /// 1-based line (0 when the problem is the end of the document).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Input over a size or count limit.
    #[error("{what}: {size} is over the limit of {max}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// How much there was.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A signature input holding no signature.
    #[error("no OpenPGP signature in the input")]
    NoSignature,
    /// A keyring that does not parse.
    #[error("keyring: {reason}")]
    Keyring {
        /// What is wrong.
        reason: String,
    },
}

/// The verdict on one OpenPGP signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// The issuer the signature names: its issuer fingerprint (upper-case
    /// hex), or `key ID XXXXXXXXXXXXXXXX` when it names only a key ID.
    pub issuer: String,
    /// The fingerprint of the key (primary or subkey) that made it.
    pub signing_key: Option<String>,
    /// The fingerprint of that key's primary key (the certificate).
    pub primary_key: Option<String>,
    /// The policy keyring holding the certificate.
    pub keyring: Option<String>,
    /// The certificate's user ID.
    pub user_id: Option<String>,
    /// The signing key's type and size (`RSA-4096`, `Ed25519`, ...).
    pub key_algorithm: Option<String>,
    /// The signature's creation time (its hashed subpacket).
    #[serde(with = "crate::sig::rfc3339_opt")]
    pub created: Option<OffsetDateTime>,
    /// The hash algorithm (`SHA512`, ...).
    pub hash_algorithm: String,
    /// True when every check passed.
    pub verified: bool,
    /// Why it failed, when it did.
    pub failure: Option<Rejection>,
}

/// The verdict on every signature of one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentVerification {
    /// The instant keys were judged at.
    #[serde(with = "crate::sig::rfc3339")]
    pub validated_at: OffsetDateTime,
    /// Each signature, in the order of the input.
    pub signatures: Vec<SignatureReport>,
    /// True when there is at least one signature and every one verified.
    pub verified: bool,
}

impl DocumentVerification {
    /// One line per failed signature (`issuer: reason`), for failures
    /// that name the document as a whole.
    pub fn failure_reasons(&self) -> Vec<String> {
        self.signatures
            .iter()
            .filter_map(|s| {
                s.failure
                    .as_ref()
                    .map(|f| format!("signature by {}: {f}", s.issuer))
            })
            .collect()
    }
}

/// A verified (or not) cleartext-signed document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CleartextVerification {
    /// The signed text with LF line endings, dash escapes removed, each
    /// line ending in LF: byte for byte what the signatures cover (up to
    /// the CR LF canonicalization of RFC 9580 §7.1). Use it only when
    /// `verification.verified`.
    #[serde(skip)]
    pub text: Vec<u8>,
    /// The `Hash:` armor headers.
    pub hash_headers: Vec<String>,
    /// The signatures' verdicts.
    pub verification: DocumentVerification,
}

/// The instant keys and signatures are judged at: the policy's fixed
/// `[validation] time`, else `now`. OpenPGP signatures carry no trusted
/// timestamp, so under `signing-time` they are judged at `now` (stricter:
/// the key must still be valid).
pub fn validation_time(policy: &TrustPolicy, now: OffsetDateTime) -> OffsetDateTime {
    match policy.validation_time {
        ValidationTime::Fixed(t) => t,
        ValidationTime::Now | ValidationTime::SigningTime => now,
    }
}

/// Whether `bytes` look like OpenPGP signature material: armor, or a
/// binary signature packet (tag 2, either header format).
pub fn looks_like_signature(bytes: &[u8]) -> bool {
    if framing::is_armored(bytes) {
        return true;
    }
    match bytes.first() {
        Some(&b) if b & 0xC0 == 0xC0 => b & 0x3F == 2,
        Some(&b) if b & 0xC0 == 0x80 => (b >> 2) & 0x0F == 2,
        _ => false,
    }
}

/// Verifies a detached signature file (binary or armored; one or several
/// signature packets) over `content`, with the policy's keyrings, at
/// [`validation_time`]. Text-mode signatures (type 0x01) are refused: they
/// ignore line-ending changes, so they do not pin a file's bytes.
pub fn verify_detached(
    signature: &[u8],
    content: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<DocumentVerification, OpenpgpError> {
    let packets = read_signatures(signature)?;
    let at = validation_time(policy, now);
    let ctx = verify::Context {
        keyrings: &policy.openpgp,
        algorithms: &policy.algorithms,
        at,
    };
    Ok(verify::document(
        &ctx,
        &packets,
        content,
        verify::Mode::Detached,
    ))
}

/// Verifies a cleartext-signed document (RFC 9580 §7) and returns its
/// signed text with the verdict. The framing is read strictly (see the
/// cleartext rules in this module's source): a document two readers could
/// split differently is an error, not a verdict.
pub fn verify_cleartext(
    doc: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<CleartextVerification, OpenpgpError> {
    if doc.len() > MAX_SIGNATURE_INPUT {
        return Err(OpenpgpError::TooLarge {
            what: "cleartext-signed document (bytes)",
            size: doc.len(),
            max: MAX_SIGNATURE_INPUT,
        });
    }
    let split = cleartext::split(doc)?;
    let packets = read_signatures(split.signature)?;
    let at = validation_time(policy, now);
    let ctx = verify::Context {
        keyrings: &policy.openpgp,
        algorithms: &policy.algorithms,
        at,
    };
    let verification = verify::document(
        &ctx,
        &packets,
        &split.hashed,
        verify::Mode::Cleartext {
            hash_headers: &split.hash_headers,
        },
    );
    Ok(CleartextVerification {
        text: split.text,
        hash_headers: split.hash_headers,
        verification,
    })
}

/// Whether `bytes` start like a cleartext-signed document.
pub fn is_cleartext(bytes: &[u8]) -> bool {
    bytes.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----")
}

/// The signature packets of a signature input: armored or binary, every
/// packet a signature (tag 2), at least one, at most [`MAX_SIGNATURES`].
fn read_signatures(bytes: &[u8]) -> Result<Vec<pgp::packet::Signature>, OpenpgpError> {
    if bytes.len() > MAX_SIGNATURE_INPUT {
        return Err(OpenpgpError::TooLarge {
            what: "OpenPGP signature (bytes)",
            size: bytes.len(),
            max: MAX_SIGNATURE_INPUT,
        });
    }
    let bytes = framing::binary(bytes, framing::BlockKind::Signature, false)?;
    let framed = framing::split_packets(&bytes)?;
    if framed.len() > MAX_SIGNATURES {
        return Err(OpenpgpError::TooLarge {
            what: "OpenPGP signatures in one input",
            size: framed.len(),
            max: MAX_SIGNATURES,
        });
    }
    let mut out = Vec::with_capacity(framed.len());
    for p in framed {
        if p.tag != 2 {
            return Err(OpenpgpError::Packet {
                offset: p.offset,
                reason: format!(
                    "packet tag {} where only signature packets (tag 2) may be",
                    p.tag
                ),
            });
        }
        out.push(keyring::parse_signature(p)?);
    }
    if out.is_empty() {
        return Err(OpenpgpError::NoSignature);
    }
    Ok(out)
}

//! Raw detached signatures: the bytes `openssl dgst -<hash> -sign KEY` or
//! `openssl pkeyutl -sign -rawin` (Ed25519) write, over a whole artifact.
//!
//! The signer's key comes from the caller: a pinned public key, or the key
//! of an X.509 leaf certificate the caller has validated
//! ([`PublicKey::from_certificate_der`]). Accepted schemes are those of
//! [`crate::keys`]: Ed25519 (RFC 8032), ECDSA P-256/P-384 (DER or raw
//! `r‖s`), RSASSA-PKCS1-v1_5 and RSASSA-PSS (RFC 8017 §8; PSS with MGF1 of
//! the same hash and salt length = hash length, OpenSSL's
//! `rsa_pss_saltlen:digest`) with SHA-256/384/512. The caller may pin the
//! scheme; otherwise any scheme that applies to the key is accepted.
//!
//! Limitation: OpenSSL 3.0 signs PSS with the *maximum* salt length unless
//! told `-sigopt rsa_pss_saltlen:digest`; ring verifies only salt length =
//! hash length, so such signatures fail (as a mismatch) here.
//!
//! Signature files may be binary or base64 text (as `openssl base64` writes).
//! ring needs the whole message to verify, so the artifact is held in memory;
//! [`verify_file`] bounds it.

use std::path::Path;

use base64::Engine as _;

use crate::digest::Sha256Digest;
use crate::keys::{KeyAlgorithm, KeyError, PublicKey, SignatureScheme};

/// Largest signature file accepted (64 KiB: an RSA-8192 signature in base64 is under 2 KiB).
pub const MAX_SIGNATURE_BYTES: usize = 64 << 10;

/// Why a raw signature did not verify.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// The signature has the wrong size or structure for the key.
    #[error("malformed {key} signature: {why}")]
    MalformedSignature {
        /// The key's algorithm.
        key: KeyAlgorithm,
        /// What is wrong.
        why: String,
    },
    /// Well-formed, but it does not verify over these bytes with this key.
    #[error("signature does not match artifact (sha256 {artifact_sha256}): {source}")]
    Mismatch {
        /// SHA-256 of the artifact bytes checked.
        artifact_sha256: String,
        /// The key error naming key and schemes tried.
        source: KeyError,
    },
    /// The pinned scheme does not apply to the key.
    #[error("{0}")]
    Scheme(KeyError),
    /// A file could not be read, or exceeds its limit.
    #[error("{path}: {why}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

/// A verified raw signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawVerified {
    /// The scheme that verified.
    pub scheme: SignatureScheme,
    /// The signer's key id (SHA-256 of its SPKI).
    pub key_id: String,
    /// SHA-256 of the artifact that was verified.
    pub artifact_sha256: Sha256Digest,
    /// Whether the signature file was base64 text rather than binary.
    pub base64_encoded: bool,
}

/// Verifies `signature` (binary or base64 text) over `artifact` with `key`,
/// under `scheme` when given, else any scheme that applies to the key.
pub fn verify(
    artifact: &[u8],
    signature: &[u8],
    key: &PublicKey,
    scheme: Option<SignatureScheme>,
) -> Result<RawVerified, RawError> {
    if let Some(s) = scheme
        && !s.applies_to(key.algorithm())
    {
        return Err(RawError::Scheme(KeyError::SchemeMismatch {
            scheme: s,
            key: key.algorithm(),
        }));
    }
    let artifact_sha256 = Sha256Digest::of(artifact);
    // Binary first; base64 text only when the bytes are not a signature
    // shape for this key but decode to one.
    let (sig, base64_encoded) = match shape_problem(key, signature) {
        None => (signature.to_vec(), false),
        Some(problem) => match decode_text(signature) {
            Some(decoded) if shape_problem(key, &decoded).is_none() => (decoded, true),
            _ => {
                return Err(RawError::MalformedSignature {
                    key: key.algorithm(),
                    why: problem,
                });
            }
        },
    };
    let verified = match scheme {
        Some(s) => key.verify_with(s, artifact, &sig).map(|()| s),
        None => key.verify_detect(artifact, &sig),
    };
    match verified {
        Ok(scheme) => Ok(RawVerified {
            scheme,
            key_id: key.key_id(),
            artifact_sha256,
            base64_encoded,
        }),
        Err(source) => Err(RawError::Mismatch {
            artifact_sha256: artifact_sha256.to_hex(),
            source,
        }),
    }
}

/// Reads `artifact` (at most `max_artifact_bytes`) and `signature` files
/// and calls [`verify`].
pub fn verify_file(
    artifact: &Path,
    signature: &Path,
    key: &PublicKey,
    scheme: Option<SignatureScheme>,
    max_artifact_bytes: u64,
) -> Result<RawVerified, RawError> {
    let data = read_bounded(artifact, max_artifact_bytes)?;
    let sig = read_bounded(signature, MAX_SIGNATURE_BYTES as u64)?;
    verify(&data, &sig, key, scheme)
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, RawError> {
    crate::keys::read_bounded(path, limit).map_err(|e| RawError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    })
}

/// Base64 text (standard alphabet, line breaks allowed), decoded.
fn decode_text(bytes: &[u8]) -> Option<Vec<u8>> {
    let text: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if text.is_empty() {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Why `sig` cannot be a signature by `key`, judged by size and (ECDSA)
/// DER structure alone, or `None` when it could be.
fn shape_problem(key: &PublicKey, sig: &[u8]) -> Option<String> {
    match key.algorithm() {
        // RFC 8032 §5.1.6: R ‖ S, 64 octets.
        KeyAlgorithm::Ed25519 => {
            (sig.len() != 64).then(|| format!("{} bytes, an Ed25519 signature is 64", sig.len()))
        }
        // RFC 8017 §8.2.2 step 1 / §8.1.2 step 1: length k of the modulus.
        KeyAlgorithm::Rsa { bits } => {
            let k = bits.div_ceil(8);
            (sig.len() != k).then(|| format!("{} bytes, an RSA-{bits} signature is {k}", sig.len()))
        }
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::EcdsaP521 => {
            let n = match key.algorithm() {
                KeyAlgorithm::EcdsaP256 => 32,
                KeyAlgorithm::EcdsaP384 => 48,
                _ => 66,
            };
            if sig.len() == 2 * n || ecdsa_der_ok(sig, n) {
                None
            } else {
                Some(format!(
                    "{} bytes, neither a DER ECDSA-Sig-Value (RFC 3279 §2.2.3) nor raw r||s of {} bytes",
                    sig.len(),
                    2 * n
                ))
            }
        }
    }
}

/// `SEQUENCE { INTEGER r, INTEGER s }` (RFC 3279 §2.2.3, read with the
/// `der` crate), each at most `n` octets plus a sign octet, nothing
/// trailing.
fn ecdsa_der_ok(sig: &[u8], n: usize) -> bool {
    use der::{Decode as _, Reader as _, Tagged as _};
    let lengths = || -> der::Result<(usize, usize)> {
        let mut reader = der::SliceReader::new(sig)?;
        let lens = reader.sequence(|seq| {
            let r = der::asn1::AnyRef::decode(seq)?;
            r.tag().assert_eq(der::Tag::Integer)?;
            let s = der::asn1::AnyRef::decode(seq)?;
            s.tag().assert_eq(der::Tag::Integer)?;
            Ok((r.value().len(), s.value().len()))
        })?;
        reader.finish(lens)
    };
    lengths().is_ok_and(|(r, s)| (1..=n + 1).contains(&r) && (1..=n + 1).contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlgorithm, SigningKey};

    #[test]
    fn base64_signature_files_are_accepted_and_flips_fail() {
        for alg in [SigningAlgorithm::Ed25519, SigningAlgorithm::EcdsaP256] {
            let k = SigningKey::generate(alg).unwrap().key;
            let sig = k.sign(b"artifact").unwrap();
            let text = base64::engine::general_purpose::STANDARD.encode(&sig) + "\n";
            let v = verify(b"artifact", text.as_bytes(), k.public_key(), None).unwrap();
            assert!(v.base64_encoded);
            assert_eq!(v.scheme, k.scheme());
            let err = verify(b"artifacT", &sig, k.public_key(), None).unwrap_err();
            assert!(matches!(err, RawError::Mismatch { .. }), "{err}");
        }
    }

    #[test]
    fn truncated_signature_is_malformed() {
        let k = SigningKey::generate(SigningAlgorithm::Ed25519).unwrap().key;
        let sig = k.sign(b"a").unwrap();
        let err = verify(b"a", &sig[..63], k.public_key(), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed Ed25519 signature: 63 bytes, an Ed25519 signature is 64"
        );
    }

    #[test]
    fn pinned_scheme_must_fit_the_key() {
        let k = SigningKey::generate(SigningAlgorithm::Ed25519).unwrap().key;
        let sig = k.sign(b"a").unwrap();
        let err = verify(
            b"a",
            &sig,
            k.public_key(),
            Some(SignatureScheme::RsaPkcs1Sha256),
        )
        .unwrap_err();
        assert!(matches!(err, RawError::Scheme(_)));
    }
}

//! DSSE envelopes (Dead Simple Signing Envelope, secure-systems-lab/dsse
//! `protocol.md` v1.0.2 and `envelope.md`) and in-toto Statements v1
//! (in-toto/attestation `spec/v1/statement.md`).
//!
//! - Signatures are over the pre-authentication encoding [`pae`]:
//!   `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
//!   decimal, so the payload type is authenticated too.
//! - On input, `payload` and `sig` may be standard or URL-safe base64, with
//!   or without padding (`envelope.md`: "either standard or URL-safe");
//!   output is always standard, padded base64.
//! - [`verify`] counts a threshold over *distinct* trusted keys: a key that
//!   signed twice counts once, and two names for one key (same SPKI) are one
//!   key. The `keyid` is an unauthenticated hint (`protocol.md`, "Signature
//!   verification"): it only orders the keys tried, and a signature whose
//!   hint names the wrong key is still found by trying the others.
//!
//! ```
//! use glassbox_core::dsse;
//! use glassbox_core::keys::{SigningAlgorithm, SigningKey};
//! let k = SigningKey::generate(SigningAlgorithm::EcdsaP256).unwrap().key;
//! let env = dsse::sign("text/plain", b"hi", &[&k]).unwrap();
//! let parsed = dsse::Envelope::from_json(env.to_json().as_bytes()).unwrap();
//! let ok = dsse::verify(&parsed, &[("auditor", k.public_key().clone())], 1).unwrap();
//! assert_eq!(ok.payload, b"hi");
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::digest::Sha256Digest;
use crate::keys::{KeyError, PublicKey, SignatureScheme, SigningKey};

/// Largest envelope [`Envelope::from_json`] accepts (64 MiB).
pub const MAX_ENVELOPE_BYTES: usize = 64 << 20;
/// Most signatures one envelope may carry.
pub const MAX_SIGNATURES: usize = 256;
/// The payload type of in-toto Statements (in-toto/attestation `envelope.md`).
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the older Statement v0.1, same layout, still widely produced.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// Why an envelope or Statement was rejected.
#[derive(Debug, thiserror::Error)]
pub enum DsseError {
    /// Not a DSSE envelope (bad JSON, missing field, too large).
    #[error("malformed DSSE envelope: {0}")]
    Malformed(String),
    /// A base64 field did not decode.
    #[error("malformed DSSE envelope: {field}: {why}")]
    Base64 {
        /// Which field (`payload`, `signatures[1].sig`).
        field: String,
        /// Why.
        why: String,
    },
    /// The envelope has no signatures.
    #[error("DSSE envelope has no signatures")]
    NoSignatures,
    /// No trusted keys were given, or the threshold is 0 or above their number.
    #[error("invalid DSSE verification setup: {0}")]
    InvalidThreshold(String),
    /// Fewer distinct trusted keys verified than required.
    #[error("DSSE threshold not met: {verified} of {threshold} required distinct trusted keys verified{}", detail(.problems))]
    ThresholdNotMet {
        /// Required.
        threshold: usize,
        /// Distinct keys that verified.
        verified: usize,
        /// One line per signature that did not count, and why.
        problems: Vec<String>,
    },
    /// The payload type is not the one the caller requires.
    #[error("DSSE payload type is {found:?}, expected {expected:?}")]
    PayloadType {
        /// Required.
        expected: String,
        /// Found.
        found: String,
    },
    /// The payload is not a valid in-toto Statement.
    #[error("invalid in-toto Statement: {0}")]
    Statement(String),
    /// Signing failed.
    #[error("DSSE signing failed: {0}")]
    Key(#[from] KeyError),
}

fn detail(problems: &[String]) -> String {
    if problems.is_empty() {
        String::new()
    } else {
        format!(" ({})", problems.join("; "))
    }
}

/// One signature of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Unauthenticated hint naming the key; may be absent or wrong.
    pub keyid: Option<String>,
    /// The signature bytes (decoded).
    pub sig: Vec<u8>,
}

/// A DSSE envelope with its base64 fields decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// `payloadType`: how to interpret the payload.
    pub payload_type: String,
    /// The payload bytes (decoded).
    pub payload: Vec<u8>,
    /// Signatures over [`pae`]`(payload_type, payload)`.
    pub signatures: Vec<Signature>,
}

#[derive(Deserialize, Serialize)]
struct WireEnvelope {
    payload: String,
    #[serde(rename = "payloadType")]
    payload_type: String,
    signatures: Vec<WireSignature>,
}

#[derive(Deserialize, Serialize)]
struct WireSignature {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyid: Option<String>,
    sig: String,
}

/// The pre-authentication encoding (DSSE `protocol.md`, "Signature
/// definition"): `DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths as
/// ASCII decimal byte counts, single spaces.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Decodes standard or URL-safe base64, padded or not; mixing the two
/// alphabets or non-canonical trailing bits is an error.
pub fn decode_base64(field: &str, text: &str) -> Result<Vec<u8>, DsseError> {
    use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
    let standard = text.contains(['+', '/']);
    let url_safe = text.contains(['-', '_']);
    let err = |why: String| DsseError::Base64 {
        field: field.to_string(),
        why,
    };
    if standard && url_safe {
        return Err(err("mixes standard and URL-safe base64 alphabets".into()));
    }
    let engine = if url_safe {
        &URL_SAFE_PAD_INDIFFERENT
    } else {
        &STANDARD_PAD_INDIFFERENT
    };
    engine
        .decode(text)
        .map_err(|e| err(format!("bad base64: {e}")))
}

fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Envelope {
    /// Parses envelope JSON (at most [`MAX_ENVELOPE_BYTES`], at most
    /// [`MAX_SIGNATURES`] signatures). Unknown fields are ignored: they are
    /// not signed and change nothing.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DsseError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(DsseError::Malformed(format!(
                "{} bytes, more than the {MAX_ENVELOPE_BYTES}-byte limit",
                bytes.len()
            )));
        }
        let wire: WireEnvelope =
            serde_json::from_slice(bytes).map_err(|e| DsseError::Malformed(e.to_string()))?;
        if wire.signatures.len() > MAX_SIGNATURES {
            return Err(DsseError::Malformed(format!(
                "{} signatures, more than the limit of {MAX_SIGNATURES}",
                wire.signatures.len()
            )));
        }
        let payload = decode_base64("payload", &wire.payload)?;
        let signatures = wire
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                Ok(Signature {
                    keyid: s.keyid.filter(|k| !k.is_empty()),
                    sig: decode_base64(&format!("signatures[{i}].sig"), &s.sig)?,
                })
            })
            .collect::<Result<Vec<_>, DsseError>>()?;
        Ok(Self {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// Envelope JSON: `payload`, `payloadType`, `signatures` (each `keyid`
    /// when known, then `sig`), standard padded base64, no whitespace.
    pub fn to_json(&self) -> String {
        let wire = WireEnvelope {
            payload: encode_base64(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSignature {
                    keyid: s.keyid.clone(),
                    sig: encode_base64(&s.sig),
                })
                .collect(),
        };
        serde_json::to_string(&wire).expect("strings and vectors always serialize")
    }

    /// The bytes the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

/// Signs `payload` with every key in `keys`; each signature's `keyid` is
/// the key's id ([`crate::keys::PublicKey::key_id`]).
pub fn sign(
    payload_type: &str,
    payload: &[u8],
    keys: &[&SigningKey],
) -> Result<Envelope, DsseError> {
    if keys.is_empty() {
        return Err(DsseError::InvalidThreshold("no signing keys".into()));
    }
    let message = pae(payload_type, payload);
    let signatures = keys
        .iter()
        .map(|k| {
            Ok(Signature {
                keyid: Some(k.key_id()),
                sig: k.sign(&message)?,
            })
        })
        .collect::<Result<Vec<_>, DsseError>>()?;
    Ok(Envelope {
        payload_type: payload_type.to_string(),
        payload: payload.to_vec(),
        signatures,
    })
}

/// Signs an in-toto Statement: validates it, then [`sign`]s its JSON with
/// payload type [`IN_TOTO_PAYLOAD_TYPE`].
pub fn sign_statement(statement: &Statement, keys: &[&SigningKey]) -> Result<Envelope, DsseError> {
    statement.validate()?;
    sign(IN_TOTO_PAYLOAD_TYPE, &statement.to_json(), keys)
}

/// A trusted key that verified one of the envelope's signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSigner {
    /// The caller's name for the key.
    pub name: String,
    /// The key id (SHA-256 of its SPKI).
    pub key_id: String,
    /// Index of the first signature it verified.
    pub signature_index: usize,
    /// The scheme that verified.
    pub scheme: SignatureScheme,
}

/// A verified envelope: its authenticated payload and who signed it.
#[derive(Clone, Debug)]
pub struct DsseVerified {
    /// Authenticated payload type.
    pub payload_type: String,
    /// Authenticated payload.
    pub payload: Vec<u8>,
    /// Distinct trusted keys that verified, at least the threshold.
    pub signers: Vec<VerifiedSigner>,
    /// Signatures that did not count, and why (unknown key, duplicate).
    pub ignored: Vec<String>,
}

impl DsseVerified {
    /// Parses the authenticated payload as an in-toto Statement, requiring
    /// the in-toto payload type.
    pub fn statement(&self) -> Result<Statement, DsseError> {
        if self.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(DsseError::PayloadType {
                expected: IN_TOTO_PAYLOAD_TYPE.into(),
                found: self.payload_type.clone(),
            });
        }
        Statement::from_json(&self.payload)
    }
}

/// Verifies `envelope` against named trusted keys: at least `threshold`
/// distinct keys must each verify some signature over the PAE.
pub fn verify<N: AsRef<str>>(
    envelope: &Envelope,
    keys: &[(N, PublicKey)],
    threshold: usize,
) -> Result<DsseVerified, DsseError> {
    // Distinct keys by SPKI: two names for one key are one key.
    let mut distinct: Vec<(&str, &PublicKey, String)> = Vec::new();
    for (name, key) in keys {
        let id = key.key_id();
        if !distinct.iter().any(|(_, _, d)| *d == id) {
            distinct.push((name.as_ref(), key, id));
        }
    }
    if threshold == 0 {
        return Err(DsseError::InvalidThreshold(
            "threshold must be at least 1".into(),
        ));
    }
    if threshold > distinct.len() {
        return Err(DsseError::InvalidThreshold(format!(
            "threshold {threshold} exceeds the {} distinct trusted keys",
            distinct.len()
        )));
    }
    if envelope.signatures.is_empty() {
        return Err(DsseError::NoSignatures);
    }
    let message = envelope.pae();
    let mut signers: Vec<VerifiedSigner> = Vec::new();
    let mut ignored = Vec::new();
    for (index, signature) in envelope.signatures.iter().enumerate() {
        // The hint only decides which key is tried first.
        let hinted = |(name, _, id): &&(&str, &PublicKey, String)| {
            signature
                .keyid
                .as_deref()
                .is_some_and(|h| h == id || h == *name)
        };
        let order = distinct
            .iter()
            .filter(hinted)
            .chain(distinct.iter().filter(|k| !hinted(k)));
        let mut matched = None;
        for (name, key, id) in order {
            if let Ok(scheme) = key.verify_detect(&message, &signature.sig) {
                matched = Some((*name, id.clone(), scheme));
                break;
            }
        }
        match matched {
            Some((_, id, _)) if signers.iter().any(|s| s.key_id == id) => {
                ignored.push(format!(
                    "signature {index}: key {id} already counted (a key counts once)"
                ));
            }
            Some((name, key_id, scheme)) => signers.push(VerifiedSigner {
                name: name.to_string(),
                key_id,
                signature_index: index,
                scheme,
            }),
            None => ignored.push(format!(
                "signature {index}{}: verifies with no trusted key",
                signature
                    .keyid
                    .as_deref()
                    .map(|k| format!(" (keyid hint {k})"))
                    .unwrap_or_default()
            )),
        }
    }
    if signers.len() < threshold {
        return Err(DsseError::ThresholdNotMet {
            threshold,
            verified: signers.len(),
            problems: ignored,
        });
    }
    Ok(DsseVerified {
        payload_type: envelope.payload_type.clone(),
        payload: envelope.payload.clone(),
        signers,
        ignored,
    })
}

/// An in-toto Statement (v1; v0.1 has the same layout and is accepted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// `_type`: [`STATEMENT_V1`] or [`STATEMENT_V01`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// The artifacts the statement is about.
    pub subject: Vec<Subject>,
    /// URI naming the predicate's schema.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The claim; any JSON (absent means `null`).
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// One subject: a name and its digests (algorithm → lowercase hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The artifact's name (a path within the release, usually).
    #[serde(default)]
    pub name: String,
    /// Digests by algorithm name (`sha256`, `sha512`, ...).
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A subject with one `sha256` digest.
    pub fn sha256(name: impl Into<String>, digest: &Sha256Digest) -> Self {
        Self {
            name: name.into(),
            digest: BTreeMap::from([("sha256".to_string(), digest.to_hex())]),
        }
    }

    /// The `sha256` digest, if present (validated by [`Statement::from_json`]).
    pub fn sha256_digest(&self) -> Option<Sha256Digest> {
        self.digest
            .get("sha256")
            .and_then(|h| Sha256Digest::from_hex(&h.to_ascii_lowercase()).ok())
    }
}

impl Statement {
    /// A v1 Statement.
    pub fn new(
        subject: Vec<Subject>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Self {
        Self {
            type_: STATEMENT_V1.into(),
            subject,
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// Parses and validates a Statement: known `_type`, at least one
    /// subject, every subject with at least one digest, `sha256`/`sha512`
    /// digests well-formed hex, non-empty `predicateType`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DsseError> {
        let s: Statement =
            serde_json::from_slice(bytes).map_err(|e| DsseError::Statement(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// The checks of [`Statement::from_json`].
    pub fn validate(&self) -> Result<(), DsseError> {
        let bad = |why: String| Err(DsseError::Statement(why));
        if self.type_ != STATEMENT_V1 && self.type_ != STATEMENT_V01 {
            return bad(format!("unknown _type {:?}", self.type_));
        }
        if self.subject.is_empty() {
            return bad("no subjects".into());
        }
        if self.predicate_type.is_empty() {
            return bad("empty predicateType".into());
        }
        for (i, s) in self.subject.iter().enumerate() {
            if s.digest.is_empty() {
                return bad(format!("subject {i} ({:?}) has no digest", s.name));
            }
            for (alg, value) in &s.digest {
                let len = match alg.as_str() {
                    "sha256" => 64,
                    "sha512" => 128,
                    _ => continue,
                };
                if value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return bad(format!(
                        "subject {i} ({:?}): {alg} digest is not {len} hex digits",
                        s.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// Statement JSON (`_type`, `subject`, `predicateType`, `predicate`;
    /// object keys inside the predicate sorted).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("JSON values always serialize")
    }

    /// Subjects whose `sha256` equals `digest`.
    pub fn subjects_matching<'a>(
        &'a self,
        digest: &'a Sha256Digest,
    ) -> impl Iterator<Item = &'a Subject> + 'a {
        self.subject
            .iter()
            .filter(move |s| s.sha256_digest().as_ref() == Some(digest))
    }

    /// Whether some subject named `name` has `sha256` equal to `digest`.
    pub fn covers(&self, name: &str, digest: &Sha256Digest) -> bool {
        self.subjects_matching(digest).any(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningAlgorithm;

    fn key(alg: SigningAlgorithm) -> SigningKey {
        SigningKey::generate(alg).unwrap().key
    }

    #[test]
    fn pae_matches_the_spec_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn base64_variants() {
        assert_eq!(decode_base64("f", "-_8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("f", "-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("f", "+/8").unwrap(), [0xfb, 0xff]);
        assert!(decode_base64("f", "+_8=").is_err());
        assert!(
            decode_base64("f", "+/9=").is_err(),
            "non-canonical trailing bits"
        );
    }

    #[test]
    fn threshold_counts_distinct_keys_and_ignores_hints() {
        let a = key(SigningAlgorithm::Ed25519);
        let b = key(SigningAlgorithm::EcdsaP256);
        let mut env = sign("t", b"p", &[&a, &a]).unwrap();
        let keys = [
            ("a", a.public_key().clone()),
            ("a-again", a.public_key().clone()),
            ("b", b.public_key().clone()),
        ];
        let err = verify(&env, &keys, 2).unwrap_err();
        assert!(
            matches!(err, DsseError::ThresholdNotMet { verified: 1, .. }),
            "{err}"
        );
        env.signatures[1] = sign("t", b"p", &[&b]).unwrap().signatures.remove(0);
        env.signatures[1].keyid = Some(a.key_id()); // wrong hint
        let ok = verify(&env, &keys, 2).unwrap();
        assert_eq!(ok.signers.len(), 2);
        assert_eq!(ok.signers[1].name, "b");
    }

    #[test]
    fn envelope_round_trips_and_payload_type_is_signed() {
        let a = key(SigningAlgorithm::Ed25519);
        let env = sign("t", b"p", &[&a]).unwrap();
        let mut parsed = Envelope::from_json(env.to_json().as_bytes()).unwrap();
        assert_eq!(parsed, env);
        parsed.payload_type = "u".into();
        assert!(verify(&parsed, &[("a", a.public_key().clone())], 1).is_err());
    }

    #[test]
    fn statement_validation_and_matching() {
        let d = Sha256Digest::of(b"x");
        let st = Statement::new(
            vec![Subject::sha256("x.bin", &d)],
            "https://e/p",
            serde_json::json!({}),
        );
        let k = key(SigningAlgorithm::EcdsaP256);
        let env = sign_statement(&st, &[&k]).unwrap();
        let verified = verify(&env, &[("k", k.public_key().clone())], 1).unwrap();
        let back = verified.statement().unwrap();
        assert_eq!(back, st);
        assert!(back.covers("x.bin", &d));
        assert_eq!(back.subjects_matching(&Sha256Digest::of(b"y")).count(), 0);
        let bad = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"zz"}}],"predicateType":"p"}"#;
        assert!(Statement::from_json(bad).is_err());
    }
}

//! TUF public keys (TUF specification §4.2, "KEY" objects) and signature
//! verification through `ring`.
//!
//! Supported `keytype`/`scheme` pairs (the ones python-tuf/securesystemslib,
//! go-tuf and tuf-on-ci emit):
//!
//! | keytype | scheme | `keyval.public` | signature |
//! |---|---|---|---|
//! | `ed25519` | `ed25519` | 32 bytes, hex | 64 bytes, hex |
//! | `ecdsa` or `ecdsa-sha2-nistp256` | `ecdsa-sha2-nistp256` | PEM SPKI or hex SEC1 point | DER, hex |
//! | `ecdsa` or `ecdsa-sha2-nistp384` | `ecdsa-sha2-nistp384` | PEM SPKI or hex SEC1 point | DER, hex |
//! | `rsa` | `rsassa-pss-sha256` | PEM SPKI | hex |
//!
//! Anything else is [`KeyError::Unsupported`]: such a key can never count
//! towards a threshold.

use base64::Engine;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::canonical_json;

/// Why a key object cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A keytype/scheme pair glassbox does not implement.
    #[error("unsupported key type {keytype:?} with scheme {scheme:?}")]
    Unsupported {
        /// `keytype` as listed.
        keytype: String,
        /// `scheme` as listed.
        scheme: String,
    },
    /// The key object or its public key material is malformed.
    #[error("malformed key: {0}")]
    Malformed(String),
}

/// A parsed public key that can verify signatures.
#[derive(Debug, Clone)]
pub struct PublicKey {
    /// `keytype` as listed in the metadata.
    pub keytype: String,
    /// `scheme` as listed in the metadata.
    pub scheme: String,
    /// The raw key ring verifies with (Ed25519 point, SEC1 point, PKCS#1).
    raw: Vec<u8>,
    alg: &'static dyn VerificationAlgorithm,
    /// sha256 of the canonical JSON of the key object as listed: what the
    /// keyid should be (TUF specification §4.2, "KEYID").
    pub computed_keyid: String,
}

impl PublicKey {
    /// Parses a TUF key object.
    pub fn from_json(key: &Value) -> Result<Self, KeyError> {
        let obj = key
            .as_object()
            .ok_or_else(|| KeyError::Malformed("key is not an object".into()))?;
        let field = |name: &str| {
            obj.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| KeyError::Malformed(format!("missing string field {name:?}")))
        };
        let keytype = field("keytype")?.to_owned();
        let scheme = field("scheme")?.to_owned();
        let public = obj
            .get("keyval")
            .and_then(|kv| kv.get("public"))
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::Malformed("missing keyval.public".into()))?;
        let canonical =
            canonical_json::to_canonical(key).map_err(|e| KeyError::Malformed(e.to_string()))?;
        let computed_keyid = hex::encode(Sha256::digest(&canonical));
        let unsupported = || KeyError::Unsupported {
            keytype: keytype.clone(),
            scheme: scheme.clone(),
        };
        let (raw, alg): (Vec<u8>, &'static dyn VerificationAlgorithm) =
            match (keytype.as_str(), scheme.as_str()) {
                ("ed25519", "ed25519") => {
                    let raw = hex::decode(public)
                        .map_err(|_| KeyError::Malformed("ed25519 key is not hex".into()))?;
                    if raw.len() != 32 {
                        return Err(KeyError::Malformed(format!(
                            "ed25519 key is {} bytes, not 32",
                            raw.len()
                        )));
                    }
                    (raw, &signature::ED25519)
                }
                ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => (
                    ec_point(public, OID_P256, 65)?,
                    &signature::ECDSA_P256_SHA256_ASN1,
                ),
                ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => (
                    ec_point(public, OID_P384, 97)?,
                    &signature::ECDSA_P384_SHA384_ASN1,
                ),
                ("rsa", "rsassa-pss-sha256") => {
                    let (oid, _params, key) = spki(public)?;
                    if oid != OID_RSA {
                        return Err(KeyError::Malformed(
                            "RSA key SPKI is not rsaEncryption".into(),
                        ));
                    }
                    (key, &signature::RSA_PSS_2048_8192_SHA256)
                }
                _ => return Err(unsupported()),
            };
        Ok(Self {
            keytype,
            scheme,
            raw,
            alg,
            computed_keyid,
        })
    }

    /// Whether `sig` is a valid signature of `message` by this key.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(self.alg, &self.raw)
            .verify(message, sig)
            .is_ok()
    }

    /// The key material, so that one key listed under two keyids counts
    /// once towards a threshold.
    pub fn material(&self) -> &[u8] {
        &self.raw
    }
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// An uncompressed SEC1 point from PEM SPKI (RFC 5480 §2) or hex.
fn ec_point(public: &str, curve_oid: &str, point_len: usize) -> Result<Vec<u8>, KeyError> {
    let point = if public.trim_start().starts_with("-----BEGIN") {
        let (oid, params, key) = spki(public)?;
        if oid != OID_EC_PUBLIC_KEY || params.as_deref() != Some(curve_oid) {
            return Err(KeyError::Malformed(format!(
                "SPKI algorithm {oid} / {params:?} does not match the scheme's curve {curve_oid}"
            )));
        }
        key
    } else {
        hex::decode(public)
            .map_err(|_| KeyError::Malformed("EC key is neither PEM nor hex".into()))?
    };
    if point.len() != point_len || point[0] != 0x04 {
        return Err(KeyError::Malformed(
            "EC key is not an uncompressed point on the scheme's curve".into(),
        ));
    }
    Ok(point)
}

/// (algorithm OID, named-curve parameter OID, subjectPublicKey bits) of a
/// PEM "PUBLIC KEY" (RFC 7468 §13, RFC 5280 §4.1.2.7).
fn spki(pem: &str) -> Result<(String, Option<String>, Vec<u8>), KeyError> {
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|s| s.strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or_else(|| KeyError::Malformed("PEM is not a PUBLIC KEY block".into()))?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| KeyError::Malformed(format!("PEM base64: {e}")))?;
    use x509_parser::prelude::FromDer;
    let (rest, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&der)
        .map_err(|e| KeyError::Malformed(format!("SPKI DER: {e}")))?;
    if !rest.is_empty() {
        return Err(KeyError::Malformed("trailing bytes after SPKI".into()));
    }
    let params = info
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    Ok((
        info.algorithm.algorithm.to_id_string(),
        params,
        info.subject_public_key.data.to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    #[test]
    fn ed25519_verifies_and_computes_keyid() {
        let rng = SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let key = serde_json::json!({
            "keytype": "ed25519", "scheme": "ed25519",
            "keyval": {"public": hex::encode(pair.public_key().as_ref())}
        });
        let pk = PublicKey::from_json(&key).unwrap();
        let sig = pair.sign(b"msg");
        assert!(pk.verify(b"msg", sig.as_ref()));
        assert!(!pk.verify(b"msh", sig.as_ref()));
        let canon = canonical_json::to_canonical(&key).unwrap();
        assert_eq!(pk.computed_keyid, hex::encode(Sha256::digest(&canon)));
    }

    /// securesystemslib-made keys of every supported scheme: keyids match
    /// ours, signatures verify, signatures over another message do not.
    #[test]
    fn securesystemslib_vectors_verify() {
        let vectors: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/tuf/key_vectors.json"
        )))
        .unwrap();
        let vectors = vectors.as_array().unwrap();
        assert_eq!(vectors.len(), 4);
        for v in vectors {
            let name = v["name"].as_str().unwrap();
            let pk = PublicKey::from_json(&v["key"]).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(pk.computed_keyid, v["keyid"].as_str().unwrap(), "{name}");
            let msg = v["message"].as_str().unwrap().as_bytes();
            let sig = hex::decode(v["sig"].as_str().unwrap()).unwrap();
            let other = hex::decode(v["sig_other_message"].as_str().unwrap()).unwrap();
            assert!(pk.verify(msg, &sig), "{name}");
            assert!(!pk.verify(msg, &other), "{name}");
        }
    }

    #[test]
    fn unknown_and_malformed_keys_are_rejected() {
        let k = serde_json::json!({"keytype": "dsa", "scheme": "dsa", "keyval": {"public": "00"}});
        assert!(matches!(
            PublicKey::from_json(&k),
            Err(KeyError::Unsupported { .. })
        ));
        let k = serde_json::json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "abcd"}});
        assert!(matches!(
            PublicKey::from_json(&k),
            Err(KeyError::Malformed(_))
        ));
        // A P-256 point under a P-384 scheme.
        let k = serde_json::json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp384",
            "keyval": {"public": format!("04{}", "11".repeat(64))}});
        assert!(matches!(
            PublicKey::from_json(&k),
            Err(KeyError::Malformed(_))
        ));
    }
}

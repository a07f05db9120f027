//! TUF public keys (TUF specification §4.2, "KEY" objects) and signature
//! verification through `ring`.
//!
//! Supported `keytype`/`scheme` pairs (the ones python-tuf/securesystemslib,
//! go-tuf and tuf-on-ci emit):
//!
//! | keytype | scheme | `keyval.public` | signature |
//! |---|---|---|---|
//! | `ed25519` | `ed25519` | 32 bytes, hex | 64 bytes, hex |
//! | `ecdsa` or `ecdsa-sha2-nistp256` | `ecdsa-sha2-nistp256` | PEM SPKI or hex SEC1 point | DER or raw r‖s, hex |
//! | `ecdsa` or `ecdsa-sha2-nistp384` | `ecdsa-sha2-nistp384` | PEM SPKI or hex SEC1 point | DER or raw r‖s, hex |
//! | `rsa` | `rsassa-pss-sha256` | PEM SPKI | hex |
//!
//! Anything else is [`KeyError::Unsupported`]: such a key can never count
//! towards a threshold. SPKI parsing and ring verification are
//! [`crate::keys`]'s; this module maps TUF key objects onto it and pins each
//! key to the one scheme it lists.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::canonical_json;
use crate::keys::{KeyAlgorithm, SignatureScheme};

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

/// A TUF key object: the listed `keytype`/`scheme`, the one
/// [`crate::keys::PublicKey`] it holds, pinned to the one scheme it lists.
#[derive(Debug, Clone)]
pub struct TufKey {
    /// `keytype` as listed in the metadata.
    pub keytype: String,
    /// `scheme` as listed in the metadata.
    pub scheme: String,
    /// The key, parsed and checked by [`crate::keys`].
    key: crate::keys::PublicKey,
    /// The one signature scheme `scheme` names.
    sig_scheme: SignatureScheme,
    /// sha256 of the canonical JSON of the key object as listed: what the
    /// keyid should be (TUF specification §4.2, "KEYID").
    pub computed_keyid: String,
}

impl TufKey {
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
        let malformed = |e: crate::keys::KeyError| KeyError::Malformed(e.to_string());
        let (key, sig_scheme) = match (keytype.as_str(), scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(public)
                    .map_err(|_| KeyError::Malformed("ed25519 key is not hex".into()))?;
                let key = crate::keys::PublicKey::from_ed25519_raw(&raw).map_err(malformed)?;
                (key, SignatureScheme::Ed25519)
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => (
                ec_key(public, KeyAlgorithm::EcdsaP256)?,
                SignatureScheme::EcdsaP256Sha256,
            ),
            ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => (
                ec_key(public, KeyAlgorithm::EcdsaP384)?,
                SignatureScheme::EcdsaP384Sha384,
            ),
            ("rsa", "rsassa-pss-sha256") => (
                crate::keys::PublicKey::from_pem_or_der(public.as_bytes()).map_err(malformed)?,
                SignatureScheme::RsaPssSha256,
            ),
            _ => return Err(KeyError::Unsupported { keytype, scheme }),
        };
        let fits = match sig_scheme {
            SignatureScheme::EcdsaP256Sha256 => key.algorithm() == KeyAlgorithm::EcdsaP256,
            SignatureScheme::EcdsaP384Sha384 => key.algorithm() == KeyAlgorithm::EcdsaP384,
            _ => sig_scheme.applies_to(key.algorithm()),
        };
        if !fits {
            return Err(KeyError::Malformed(format!(
                "{} key listed with scheme {scheme:?}",
                key.algorithm()
            )));
        }
        Ok(Self {
            keytype,
            scheme,
            key,
            sig_scheme,
            computed_keyid,
        })
    }

    /// Whether `sig` is a valid signature of `message` by this key under
    /// exactly the listed scheme.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        self.key.verify_with(self.sig_scheme, message, sig).is_ok()
    }

    /// The key material, so that one key listed under two keyids counts
    /// once towards a threshold.
    pub fn material(&self) -> &[u8] {
        self.key.raw_key()
    }
}

/// An EC key from PEM SPKI or, as securesystemslib used to list them
/// (Sigstore roots v1-v4), a bare hex SEC1 point on the scheme's curve.
fn ec_key(public: &str, curve: KeyAlgorithm) -> Result<crate::keys::PublicKey, KeyError> {
    let parsed = if public.trim_start().starts_with("-----BEGIN") {
        crate::keys::PublicKey::from_pem_or_der(public.as_bytes())
    } else {
        let point = hex::decode(public)
            .map_err(|_| KeyError::Malformed("EC key is neither PEM nor hex".into()))?;
        crate::keys::PublicKey::from_ec_point(curve, &point)
    };
    parsed.map_err(|e| KeyError::Malformed(e.to_string()))
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
        let pk = TufKey::from_json(&key).unwrap();
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
            let pk = TufKey::from_json(&v["key"]).unwrap_or_else(|e| panic!("{name}: {e}"));
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
            TufKey::from_json(&k),
            Err(KeyError::Unsupported { .. })
        ));
        let k = serde_json::json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "abcd"}});
        assert!(matches!(TufKey::from_json(&k), Err(KeyError::Malformed(_))));
        // A P-256 point under a P-384 scheme.
        let k = serde_json::json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp384",
            "keyval": {"public": format!("04{}", "11".repeat(64))}});
        assert!(matches!(TufKey::from_json(&k), Err(KeyError::Malformed(_))));
    }
}

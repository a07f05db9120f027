//! Ed25519 signing keys for logs and witnesses, loaded from PKCS#8
//! (PEM `PRIVATE KEY` or DER), as `glassbox keygen` and
//! `openssl genpkey -algorithm ed25519` write them.

use ring::signature::{Ed25519KeyPair, KeyPair};

use super::Error;
use super::note::{KeyType, Note, Signature, VerifierKey};

/// A named Ed25519 key that signs notes: a log key (type 0x01) or a
/// witness key (type 0x04, cosignature/v1).
pub struct LogSigner {
    pair: Ed25519KeyPair,
    vkey: VerifierKey,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("vkey", &self.vkey)
            .finish()
    }
}

/// Decodes PEM `PRIVATE KEY` ([`crate::pem`]) or passes DER through.
pub fn pkcs8_der(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    if !crate::pem::looks_like_pem(bytes) {
        return Ok(bytes.to_vec());
    }
    let blocks = crate::pem::blocks(bytes).map_err(|e| Error::MalformedKey(format!("PEM: {e}")))?;
    blocks
        .into_iter()
        .find(|b| b.label == "PRIVATE KEY")
        .map(|b| b.der)
        .ok_or_else(|| Error::MalformedKey("PEM block is not \"PRIVATE KEY\" (PKCS#8)".into()))
}

/// PEM-encodes PKCS#8 DER as `PRIVATE KEY`.
pub fn pkcs8_pem(der: &[u8]) -> String {
    crate::pem::encode("PRIVATE KEY", der)
}

/// A fresh Ed25519 key as PKCS#8 DER.
pub fn generate_pkcs8() -> Result<Vec<u8>, Error> {
    let rng = ring::rand::SystemRandom::new();
    Ed25519KeyPair::generate_pkcs8(&rng)
        .map(|d| d.as_ref().to_vec())
        .map_err(|_| Error::MalformedKey("cannot generate an Ed25519 key".into()))
}

impl LogSigner {
    /// A log key (signature type 0x01) named `name` (the log's origin).
    pub fn from_pkcs8(name: &str, pkcs8: &[u8]) -> Result<Self, Error> {
        Self::with_kind(name, KeyType::Ed25519, pkcs8)
    }

    /// A witness key (signature type 0x04, cosignature/v1) named `name`.
    pub fn witness_from_pkcs8(name: &str, pkcs8: &[u8]) -> Result<Self, Error> {
        Self::with_kind(name, KeyType::CosignatureV1, pkcs8)
    }

    fn with_kind(name: &str, kind: KeyType, pkcs8: &[u8]) -> Result<Self, Error> {
        let der = pkcs8_der(pkcs8)?;
        // maybe_unchecked: accepts PKCS#8 v1 (OpenSSL) as well as v2 (ring).
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| Error::MalformedKey(format!("not an Ed25519 PKCS#8 key ({e})")))?;
        Self::from_pair(name, kind, pair)
    }

    /// From a raw 32-byte Ed25519 seed (test vectors derive keys this way).
    pub fn from_seed(name: &str, kind: KeyType, seed: &[u8; 32]) -> Result<Self, Error> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| Error::MalformedKey(format!("bad Ed25519 seed ({e})")))?;
        Self::from_pair(name, kind, pair)
    }

    fn from_pair(name: &str, kind: KeyType, pair: Ed25519KeyPair) -> Result<Self, Error> {
        let public: [u8; 32] = pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| Error::MalformedKey("public key is not 32 bytes".into()))?;
        let vkey = VerifierKey::new(name, kind, public)?;
        Ok(Self { pair, vkey })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.vkey.name
    }

    /// The signature type.
    pub fn kind(&self) -> KeyType {
        self.vkey.kind
    }

    /// The verifier key others use to check this key's signatures.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.vkey
    }

    /// An Ed25519 signature over `msg`.
    pub(crate) fn sign_raw(&self, msg: &[u8]) -> Vec<u8> {
        self.pair.sign(msg).as_ref().to_vec()
    }

    /// Signs `text` as a note (type 0x01 keys only).
    pub fn sign_note(&self, text: &str) -> Result<Note, Error> {
        if self.kind() != KeyType::Ed25519 {
            return Err(Error::MalformedKey(
                "a cosignature key cannot sign a note on its own".into(),
            ));
        }
        if !text.ends_with('\n') || text.contains("\n\n") || text.starts_with('\n') {
            return Err(Error::MalformedNote(
                "note text must be non-empty lines, each ending in a newline".into(),
            ));
        }
        Ok(Note {
            text: text.to_string(),
            signatures: vec![Signature {
                name: self.name().to_string(),
                id: self.vkey.id,
                body: self.sign_raw(text.as_bytes()),
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_and_der_load_the_same_key() {
        let der = generate_pkcs8().unwrap();
        let a = LogSigner::from_pkcs8("x.example/log", &der).unwrap();
        let b = LogSigner::from_pkcs8("x.example/log", pkcs8_pem(&der).as_bytes()).unwrap();
        assert_eq!(a.verifier_key(), b.verifier_key());
        assert!(LogSigner::from_pkcs8("x", b"-----BEGIN RSA PRIVATE KEY-----\n").is_err());
        assert!(LogSigner::from_pkcs8("x", b"garbage").is_err());
    }
}

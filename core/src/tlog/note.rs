//! C2SP signed-note: a text signed by one or more keys, each signature on
//! its own line after a blank line (c2sp.org/signed-note).
//!
//! ```text
//! <text, one or more lines, each ending in \n>
//! \n
//! — <key name> <base64(key ID || signature)>\n     (one or more)
//! ```

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use super::Error;
use super::cosignature;

/// The largest note we read: checkpoints are a few hundred bytes.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// The most signature lines we look at (as Go's x/mod/sumdb/note).
pub const MAX_SIGNATURES: usize = 100;

const EM_DASH_PREFIX: &str = "\u{2014} ";

/// Signature types of c2sp.org/signed-note ("signature types" table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum KeyType {
    /// 0x01: Ed25519 over the note text.
    Ed25519,
    /// 0x04: c2sp.org/tlog-cosignature/v1, Ed25519 over a timestamped message.
    CosignatureV1,
}

impl KeyType {
    /// The type byte.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::CosignatureV1 => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::CosignatureV1),
            _ => None,
        }
    }
}

/// c2sp.org/signed-note: key ID = `SHA-256(name || 0x0A || type || public key)[:4]`.
pub fn key_id(name: &str, kind: KeyType, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', kind.byte()]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Key names: non-empty, no Unicode spaces, no `+` (signed-note §"Signatures").
fn check_key_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty key name".into());
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(format!(
            "key name {name:?} has a space, control character or '+'"
        ));
    }
    Ok(())
}

/// A verifier key: `<name>+<hex key ID>+<base64(type || public key)>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    /// The key name, which signature lines repeat.
    pub name: String,
    /// The 4-byte key ID.
    pub id: [u8; 4],
    /// What the key signs.
    pub kind: KeyType,
    /// The Ed25519 public key.
    pub public: [u8; 32],
}

impl VerifierKey {
    /// The verifier key for an Ed25519 public key.
    pub fn new(name: &str, kind: KeyType, public: [u8; 32]) -> Result<Self, Error> {
        check_key_name(name).map_err(Error::MalformedVerifierKey)?;
        Ok(Self {
            name: name.to_string(),
            id: key_id(name, kind, &public),
            kind,
            public,
        })
    }

    /// Through the one key type ([`crate::keys::PublicKey`]), so a note
    /// signature is judged by the same Ed25519 verifier as every other.
    fn verify_ed25519(&self, msg: &[u8], sig: &[u8]) -> bool {
        crate::keys::PublicKey::from_ed25519_raw(&self.public).is_ok_and(|k| {
            k.verify_with(crate::keys::SignatureScheme::Ed25519, msg, sig)
                .is_ok()
        })
    }
}

impl FromStr for VerifierKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::MalformedVerifierKey(format!("{why} in {:?}", trunc(s)));
        let s = s.trim_end_matches(['\n', '\r']);
        // The base64 part may itself contain '+', so split twice only.
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected name+keyid+key"));
        };
        check_key_name(name).map_err(|e| bad(&e))?;
        let mut id = [0u8; 4];
        if id_hex.len() != 8 || hex::decode_to_slice(id_hex, &mut id).is_err() {
            return Err(bad("key ID is not 8 hex digits"));
        }
        let raw = B64.decode(b64).map_err(|_| bad("key is not base64"))?;
        let Some((&t, public)) = raw.split_first() else {
            return Err(bad("empty key"));
        };
        let kind = KeyType::from_byte(t)
            .ok_or_else(|| bad(&format!("unsupported signature type 0x{t:02x}")))?;
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| bad("Ed25519 public key is not 32 bytes"))?;
        if key_id(name, kind, &public) != id {
            return Err(bad("key ID does not match name and key"));
        }
        Ok(Self {
            name: name.to_string(),
            id,
            kind,
            public,
        })
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.kind.byte());
        raw.extend_from_slice(&self.public);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(raw)
        )
    }
}

fn trunc(s: &str) -> String {
    s.chars().take(120).collect()
}

/// One signature line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The key name.
    pub name: String,
    /// The key ID (first 4 bytes of the decoded signature).
    pub id: [u8; 4],
    /// What follows the key ID.
    pub body: Vec<u8>,
}

impl Signature {
    /// The line, `— name base64\n`.
    pub fn line(&self) -> String {
        let mut raw = self.id.to_vec();
        raw.extend_from_slice(&self.body);
        format!("{EM_DASH_PREFIX}{} {}\n", self.name, B64.encode(raw))
    }
}

/// A parsed (not yet verified) signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<Signature>,
}

/// A signature that verified.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedSignature {
    /// The key name.
    pub name: String,
    /// The key's type.
    pub kind: KeyType,
    /// For cosignatures, the witness's timestamp (seconds since the epoch).
    pub timestamp: Option<u64>,
}

impl Note {
    /// Parses a note (c2sp.org/signed-note "Format").
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why: &str| Error::MalformedNote(why.to_string());
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(Error::Limit(format!(
                "note larger than {MAX_NOTE_BYTES} bytes"
            )));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        // The text ends at the last blank line.
        let split = match s.rfind("\n\n") {
            Some(i) if s.ends_with('\n') => i,
            _ => return Err(bad("no blank line before signatures / no final newline")),
        };
        let (text, sigblock) = (&s[..split + 1], &s[split + 2..]);
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(bad("text has control characters"));
        }
        let mut signatures = Vec::new();
        for line in sigblock.split_terminator('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(Error::Limit(format!(
                    "more than {MAX_SIGNATURES} signatures"
                )));
            }
            let rest = line
                .strip_prefix(EM_DASH_PREFIX)
                .ok_or_else(|| bad(&format!("malformed signature line {:?}", trunc(line))))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| bad("signature line without a space"))?;
            check_key_name(name).map_err(|e| bad(&e))?;
            let raw = B64
                .decode(b64)
                .map_err(|_| bad("signature is not base64"))?;
            if raw.len() < 5 {
                return Err(bad("signature shorter than a key ID"));
            }
            signatures.push(Signature {
                name: name.to_string(),
                id: [raw[0], raw[1], raw[2], raw[3]],
                body: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("no signatures"));
        }
        Ok(Self {
            text: text.to_string(),
            signatures,
        })
    }

    /// The note as bytes: text, blank line, signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
        }
        out.into_bytes()
    }

    /// Verifies the signatures from `keys` (c2sp.org/signed-note
    /// "Verification"): signatures from unknown keys are ignored, a
    /// signature from a known key that does not verify is an error, and at
    /// least one must verify.
    pub fn verify(&self, keys: &[VerifierKey]) -> Result<Vec<VerifiedSignature>, Error> {
        let mut ok = Vec::new();
        for sig in &self.signatures {
            let Some(key) = keys.iter().find(|k| k.name == sig.name && k.id == sig.id) else {
                continue;
            };
            let timestamp = match key.kind {
                KeyType::Ed25519 => {
                    if !key.verify_ed25519(self.text.as_bytes(), &sig.body) {
                        return Err(Error::BadSignature {
                            name: sig.name.clone(),
                        });
                    }
                    None
                }
                KeyType::CosignatureV1 => {
                    let Some((ts, ed)) = cosignature::split_body(&sig.body) else {
                        return Err(Error::BadSignature {
                            name: sig.name.clone(),
                        });
                    };
                    let msg = cosignature::signed_message(ts, &self.text);
                    if !key.verify_ed25519(&msg, ed) {
                        return Err(Error::BadSignature {
                            name: sig.name.clone(),
                        });
                    }
                    Some(ts)
                }
            };
            ok.push(VerifiedSignature {
                name: sig.name.clone(),
                kind: key.kind,
                timestamp,
            });
        }
        if ok.is_empty() {
            return Err(Error::NoKnownSignature);
        }
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_key_round_trip_and_id_check() {
        let s = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
        let k: VerifierKey = s.parse().unwrap();
        assert_eq!(k.to_string(), s);
        let wrong = s.replace("530d903a", "530d903b");
        assert!(wrong.parse::<VerifierKey>().is_err());
        assert!("a+b".parse::<VerifierKey>().is_err());
    }

    #[test]
    fn rejects_malformed_notes() {
        assert!(Note::parse(b"text\n").is_err());
        assert!(Note::parse(b"text\n\n").is_err());
        assert!(Note::parse("text\n\n\u{2014} k AAAA\n".as_bytes()).is_err());
        assert!(Note::parse("te\x07xt\n\n\u{2014} k AAAAAA==\n".as_bytes()).is_err());
        assert!(Note::parse("text\n\n- k AAAAAA==\n".as_bytes()).is_err());
    }
}

//! C2SP tlog-checkpoint: the signed tree head of a log
//! (c2sp.org/tlog-checkpoint).
//!
//! ```text
//! <origin>\n
//! <tree size, decimal>\n
//! <base64 root hash>\n
//! [<extension line>\n ...]
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::Error;
use super::merkle::Hash;
use super::note::{KeyType, Note, VerifiedSignature, VerifierKey};

/// A checkpoint body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique identity; equal to the log key's name.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 9162 MTH of the first `size` leaves.
    pub root: Hash,
    /// Extension lines (opaque, non-empty).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// Parses a checkpoint body ("Note text").
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::MalformedCheckpoint(why.to_string());
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("text does not end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(bad("empty origin line"));
        }
        let size_line = lines.next().ok_or_else(|| bad("no tree size line"))?;
        let size = parse_decimal(size_line).ok_or_else(|| bad("tree size is not a decimal"))?;
        let root_line = lines.next().ok_or_else(|| bad("no root hash line"))?;
        let root: Hash = B64
            .decode(root_line)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("root hash is not base64 of 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("empty extension line"));
        }
        Ok(Self {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }

    /// The body text, as it is signed.
    pub fn to_text(&self) -> String {
        let mut t = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            t.push_str(e);
            t.push('\n');
        }
        t
    }
}

/// ASCII decimal without leading zeros (tlog-checkpoint "Note text").
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// A checkpoint whose log signature (and witness quorum) verified.
#[derive(Clone, Debug)]
pub struct SignedCheckpoint {
    /// The body.
    pub checkpoint: Checkpoint,
    /// The whole note, with every signature line (known or not).
    pub note: Note,
    /// The signatures that verified.
    pub verified: Vec<VerifiedSignature>,
}

impl SignedCheckpoint {
    /// The note's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }

    /// Witness cosignatures that verified.
    pub fn cosignatures(&self) -> impl Iterator<Item = &VerifiedSignature> {
        self.verified
            .iter()
            .filter(|v| v.kind == KeyType::CosignatureV1)
    }
}

/// Opens a signed checkpoint under a policy: signed by the log key whose
/// name is the origin, and cosigned by at least `quorum` of `witnesses`.
pub fn open(
    bytes: &[u8],
    log: &VerifierKey,
    witnesses: &[VerifierKey],
    quorum: usize,
) -> Result<SignedCheckpoint, Error> {
    if log.kind != KeyType::Ed25519 {
        return Err(Error::MalformedVerifierKey(
            "a log key must be of type 0x01 (Ed25519)".into(),
        ));
    }
    let note = Note::parse(bytes)?;
    let mut keys = vec![log.clone()];
    keys.extend(witnesses.iter().cloned());
    let verified = note.verify(&keys)?;
    let checkpoint = Checkpoint::parse(&note.text)?;
    let by_log = verified
        .iter()
        .any(|v| v.name == log.name && v.kind == KeyType::Ed25519);
    if !by_log || checkpoint.origin != log.name {
        return Err(Error::NotSignedByLog {
            origin: checkpoint.origin,
        });
    }
    // A quorum counts distinct witness *keys*, not names: the cosigned
    // message (c2sp.org/tlog-cosignature) does not include the key name, so
    // one witness's signature verifies under every name its key is given
    // (two vkeys for one key), and would otherwise count once per name.
    let mut witnessed: Vec<&[u8; 32]> = verified
        .iter()
        .filter(|v| v.kind == KeyType::CosignatureV1)
        .filter_map(|v| {
            witnesses
                .iter()
                .find(|w| w.name == v.name && w.kind == KeyType::CosignatureV1)
                .map(|w| &w.public)
        })
        .collect();
    witnessed.sort_unstable();
    witnessed.dedup();
    if witnessed.len() < quorum {
        return Err(Error::QuorumNotMet {
            got: witnessed.len(),
            want: quorum,
        });
    }
    Ok(SignedCheckpoint {
        checkpoint,
        note,
        verified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let t =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let c = Checkpoint::parse(t).unwrap();
        assert_eq!(c.size, 20852163);
        assert_eq!(c.to_text(), t);
        assert!(Checkpoint::parse(&t.replace("20852163", "020852163")).is_err());
        assert!(Checkpoint::parse(&t.replace("20852163", "-1")).is_err());
        assert!(Checkpoint::parse("o\n1\nAAAA\n").is_err());
        assert!(Checkpoint::parse("\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n").is_err());
        assert!(Checkpoint::parse("o\n1\n").is_err());
    }
}

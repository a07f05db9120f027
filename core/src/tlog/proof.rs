//! C2SP tlog-proof@v1: a self-contained, offline-verifiable proof that an
//! entry is in a log (c2sp.org/tlog-proof).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64 opaque data>]
//! index <leaf index>
//! <base64 inclusion proof hash>      (zero or more, leaf first)
//!
//! <signed checkpoint note>
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::Error;
use super::checkpoint::{self, SignedCheckpoint, parse_decimal};
use super::leaf::LeafRecord;
use super::merkle::{self, Hash, MAX_PROOF_HASHES};
use super::note::VerifierKey;

/// The header line.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// The largest proof file we read.
pub const MAX_PROOF_BYTES: usize = 1 << 20;

/// A proof that verified for a glassbox leaf record.
#[derive(Clone, Debug)]
pub struct VerifiedEntry {
    /// The checkpoint the entry is included in.
    pub checkpoint: SignedCheckpoint,
    /// The entry's index.
    pub index: u64,
    /// The entry as a leaf record, when it is one.
    pub record: Option<LeafRecord>,
}

/// A parsed tlog-proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque, unauthenticated data; glassbox puts the leaf entry here.
    pub extra: Option<Vec<u8>>,
    /// The leaf index.
    pub index: u64,
    /// The inclusion proof, leaf first.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint note, as bytes.
    pub checkpoint: Vec<u8>,
}

impl TlogProof {
    /// Parses a tlog-proof file.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why: &str| Error::MalformedProof(why.to_string());
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(Error::Limit(format!(
                "proof larger than {MAX_PROOF_BYTES} bytes"
            )));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let (head, note) = s
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad(&format!("first line is not {HEADER:?}")));
        }
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        let mut extra = None;
        if let Some(b) = line.strip_prefix("extra ") {
            extra = Some(B64.decode(b).map_err(|_| bad("extra is not base64"))?);
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or_else(|| bad("malformed index line"))?;
        let mut hashes = Vec::new();
        for l in lines {
            if hashes.len() == MAX_PROOF_HASHES {
                return Err(bad("too many proof hashes"));
            }
            let h: Hash = B64
                .decode(l)
                .ok()
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| bad("proof line is not base64 of 32 bytes"))?;
            hashes.push(h);
        }
        Ok(Self {
            extra,
            index,
            hashes,
            checkpoint: note.as_bytes().to_vec(),
        })
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        if let Some(e) = &self.extra {
            out.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.hashes {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        let mut b = out.into_bytes();
        b.extend_from_slice(&self.checkpoint);
        b
    }

    /// Verifies the proof for the entry `leaf` (tlog-proof "Verification"):
    /// the checkpoint under the policy (log key, witness quorum), then the
    /// inclusion of `leaf` at `index` (RFC 9162 §2.1.3.2).
    pub fn verify(
        &self,
        leaf: &[u8],
        log: &VerifierKey,
        witnesses: &[VerifierKey],
        quorum: usize,
    ) -> Result<SignedCheckpoint, Error> {
        let cp = checkpoint::open(&self.checkpoint, log, witnesses, quorum)?;
        merkle::verify_inclusion(
            self.index,
            cp.checkpoint.size,
            &merkle::leaf_hash(leaf),
            &self.hashes,
            &cp.checkpoint.root,
        )?;
        Ok(cp)
    }

    /// Verifies the proof of a file logged as a [`LeafRecord`] (what
    /// `glassbox log prove` writes and `glassbox verify --log-proof` checks):
    /// the entry is the proof's `extra` data, or else `file`'s record; after
    /// [`TlogProof::verify`], the logged record must have `file`'s digest
    /// and size.
    pub fn verify_file(
        &self,
        file: Option<&LeafRecord>,
        log: &VerifierKey,
        witnesses: &[VerifierKey],
        quorum: usize,
    ) -> Result<VerifiedEntry, Error> {
        let entry = match (&self.extra, file) {
            (Some(e), _) => e.clone(),
            (None, Some(f)) => f.to_bytes(),
            (None, None) => {
                return Err(Error::MalformedProof(
                    "the proof carries no entry and no file was given".into(),
                ));
            }
        };
        let cp = self.verify(&entry, log, witnesses, quorum)?;
        let record = LeafRecord::parse(&entry).ok();
        if let Some(want) = file {
            match &record {
                Some(r) if r.same_content(want) => {}
                Some(r) => {
                    return Err(Error::EntryMismatch(format!(
                        "the log has sha256 {} size {}, the file has sha256 {} size {}",
                        r.sha256, r.size, want.sha256, want.size
                    )));
                }
                None => {
                    return Err(Error::EntryMismatch(
                        "the entry is not a glassbox-leaf/v1 record".into(),
                    ));
                }
            }
        }
        Ok(VerifiedEntry {
            checkpoint: cp,
            index: self.index,
            record,
        })
    }
}

//! C2SP tlog-cosignature/v1: a witness's timestamped Ed25519 signature on a
//! checkpoint, signature type 0x04 (c2sp.org/tlog-cosignature).
//!
//! The signature line's body is `timestamp (u64 BE) || Ed25519 signature`
//! over `cosignature/v1\ntime <timestamp>\n<checkpoint text>`.

use super::Error;
use super::key::LogSigner;
use super::note::{KeyType, Note, Signature};

/// The message a cosignature signs (tlog-cosignature "Format").
pub fn signed_message(timestamp: u64, text: &str) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(text.as_bytes());
    m
}

/// Splits a cosignature body (after the key ID) into timestamp and
/// Ed25519 signature; `None` unless it is exactly 8 + 64 bytes.
pub fn split_body(body: &[u8]) -> Option<(u64, &[u8])> {
    if body.len() != 8 + 64 {
        return None;
    }
    let ts = u64::from_be_bytes(body[..8].try_into().ok()?);
    Some((ts, &body[8..]))
}

/// Cosigns `note`'s text as witness `signer` at `timestamp` and appends the
/// cosignature line to the note.
pub fn cosign(note: &mut Note, signer: &LogSigner, timestamp: u64) -> Result<(), Error> {
    if signer.kind() != KeyType::CosignatureV1 {
        return Err(Error::MalformedKey(
            "a witness key must be a cosignature/v1 key".into(),
        ));
    }
    let sig = signer.sign_raw(&signed_message(timestamp, &note.text));
    let mut body = timestamp.to_be_bytes().to_vec();
    body.extend_from_slice(&sig);
    // A witness replaces its own older cosignature rather than adding a second.
    note.signatures
        .retain(|s| !(s.name == signer.name() && s.id == signer.verifier_key().id));
    note.signatures.push(Signature {
        name: signer.name().to_string(),
        id: signer.verifier_key().id,
        body,
    });
    Ok(())
}

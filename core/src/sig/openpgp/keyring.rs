//! Policy keyrings: OpenPGP certificates (transferable public keys, RFC
//! 9580 §10.1) parsed once when the policy loads, indexed by the
//! fingerprint and key ID of every primary key and subkey so finding a
//! signature's issuer costs one lookup whatever the keyring's size.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::types::KeyDetails;
use serde::Serialize;

use super::OpenpgpError;
use super::framing::{self, Framed};

/// Largest keyring file read.
pub const MAX_KEYRING_BYTES: u64 = 64 * 1024 * 1024;

/// Which key of a certificate: the primary or the subkey at an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Which {
    Primary,
    Subkey(usize),
}

/// A key found for an issuer: certificate index and which key of it.
pub(super) type Found = (usize, Which);

/// A keyring of the trust policy (`[[openpgp]]`).
#[derive(Clone, Debug, Serialize)]
pub struct Keyring {
    /// The auditor's name for it, used in reports.
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Primary fingerprints of its certificates (upper-case hex).
    pub certificates: Vec<String>,
    /// When set, only certificates with these primary fingerprints may
    /// sign (`fingerprints = [...]` in the policy).
    pub fingerprints: Option<BTreeSet<String>>,
    #[serde(skip)]
    pub(super) certs: Arc<Vec<SignedPublicKey>>,
    #[serde(skip)]
    by_fingerprint: Arc<HashMap<Vec<u8>, Vec<Found>>>,
    #[serde(skip)]
    by_key_id: Arc<HashMap<[u8; 8], Vec<Found>>>,
}

/// Upper-case hex of a fingerprint, as gpg prints it without spaces.
pub(super) fn hex_upper(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

impl Keyring {
    /// Reads a keyring file (at most [`MAX_KEYRING_BYTES`]) and parses it
    /// with [`Keyring::from_bytes`].
    pub fn load(
        name: &str,
        path: &Path,
        fingerprints: Option<&[String]>,
    ) -> Result<Self, OpenpgpError> {
        let bytes = crate::fsio::read_file_capped(path, MAX_KEYRING_BYTES).map_err(|e| {
            OpenpgpError::Keyring {
                reason: e.to_string(),
            }
        })?;
        Self::from_bytes(name, path, &bytes, fingerprints)
    }

    /// Parses a keyring: binary (a `gpg --export` or Debian keyring file)
    /// or armored (one or more `PUBLIC KEY BLOCK`s), one or more
    /// certificates. Secret keys, packets that do not belong to a
    /// certificate, an empty keyring, and a `fingerprints` entry that is
    /// not a primary fingerprint of the keyring are errors.
    pub fn from_bytes(
        name: &str,
        path: &Path,
        bytes: &[u8],
        fingerprints: Option<&[String]>,
    ) -> Result<Self, OpenpgpError> {
        let bytes = framing::binary(bytes, framing::BlockKind::PublicKey, true)?;
        let framed = framing::split_packets(&bytes)?;
        if let Some(p) = framed.iter().find(|p| matches!(p.tag, 5 | 7)) {
            return Err(OpenpgpError::Packet {
                offset: p.offset,
                reason: "a secret key in a policy keyring: export the public keys only \
                         (gpg --export)"
                    .into(),
            });
        }
        // The crate's certificate parser on bytes whose every packet was
        // framed above, so nothing at the end can be silently dropped.
        let mut certs = Vec::new();
        let parsed =
            SignedPublicKey::from_bytes_many(&bytes[..]).map_err(|e| OpenpgpError::Keyring {
                reason: e.to_string(),
            })?;
        for (i, c) in parsed.enumerate() {
            certs.push(c.map_err(|e| OpenpgpError::Keyring {
                reason: format!("certificate {}: {e}", i + 1),
            })?);
        }
        let primaries = framed.iter().filter(|p| p.tag == 6).count();
        if certs.is_empty() {
            return Err(OpenpgpError::Keyring {
                reason: "no certificate (public key) in the keyring".into(),
            });
        }
        if certs.len() != primaries {
            return Err(OpenpgpError::Keyring {
                reason: format!(
                    "{primaries} public-key packets but {} certificates parsed: \
                     the keyring is malformed",
                    certs.len()
                ),
            });
        }
        let mut by_fingerprint: HashMap<Vec<u8>, Vec<Found>> = HashMap::new();
        let mut by_key_id: HashMap<[u8; 8], Vec<Found>> = HashMap::new();
        let mut certificates = Vec::with_capacity(certs.len());
        for (i, c) in certs.iter().enumerate() {
            let mut add = |fp: pgp::types::Fingerprint, id: pgp::types::KeyId, which| {
                by_fingerprint
                    .entry(fp.as_bytes().to_vec())
                    .or_default()
                    .push((i, which));
                let mut k = [0u8; 8];
                k.copy_from_slice(id.as_ref());
                by_key_id.entry(k).or_default().push((i, which));
            };
            add(
                c.primary_key.fingerprint(),
                c.primary_key.legacy_key_id(),
                Which::Primary,
            );
            for (j, s) in c.public_subkeys.iter().enumerate() {
                add(s.key.fingerprint(), s.key.legacy_key_id(), Which::Subkey(j));
            }
            certificates.push(hex_upper(c.primary_key.fingerprint().as_bytes()));
        }
        let fingerprints = match fingerprints {
            None => None,
            Some(list) => {
                let mut set = BTreeSet::new();
                for f in list {
                    let norm: String = f
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect::<String>()
                        .to_ascii_uppercase();
                    if !(norm.len() == 40 || norm.len() == 64)
                        || !norm.chars().all(|c| c.is_ascii_hexdigit())
                    {
                        return Err(OpenpgpError::Keyring {
                            reason: format!(
                                "fingerprints: {f:?} is not a v4 (40 hex digits) or v6 \
                                 (64 hex digits) fingerprint"
                            ),
                        });
                    }
                    if !certificates.contains(&norm) {
                        return Err(OpenpgpError::Keyring {
                            reason: format!(
                                "fingerprints: {norm} is not the primary key of any certificate \
                                 in the keyring"
                            ),
                        });
                    }
                    set.insert(norm);
                }
                if set.is_empty() {
                    return Err(OpenpgpError::Keyring {
                        reason: "fingerprints = []: the keyring would trust nothing; \
                                 remove the key or list fingerprints"
                            .into(),
                    });
                }
                Some(set)
            }
        };
        Ok(Keyring {
            name: name.to_string(),
            path: path.to_path_buf(),
            certificates,
            fingerprints,
            certs: Arc::new(certs),
            by_fingerprint: Arc::new(by_fingerprint),
            by_key_id: Arc::new(by_key_id),
        })
    }

    /// Keys with this fingerprint (bytes).
    pub(super) fn find_fingerprint(&self, fp: &[u8]) -> &[Found] {
        self.by_fingerprint.get(fp).map_or(&[], Vec::as_slice)
    }

    /// Keys with this key ID.
    pub(super) fn find_key_id(&self, id: &[u8]) -> &[Found] {
        <[u8; 8]>::try_from(id)
            .ok()
            .and_then(|k| self.by_key_id.get(&k))
            .map_or(&[], Vec::as_slice)
    }
}

/// Parses one framed signature packet with the crate.
pub(super) fn parse_signature(p: Framed<'_>) -> Result<pgp::packet::Signature, OpenpgpError> {
    let err = |reason: String| OpenpgpError::Packet {
        offset: p.offset,
        reason,
    };
    let mut parser = pgp::packet::PacketParser::new(p.bytes);
    match parser.next() {
        Some(Ok(pgp::packet::Packet::Signature(s))) => Ok(s),
        Some(Ok(other)) => Err(err(format!(
            "expected a signature, found {:?}",
            pgp::packet::PacketTrait::tag(&other)
        ))),
        Some(Err(e)) => Err(err(format!("malformed signature: {e}"))),
        None => Err(err("empty packet".into())),
    }
}

//! Digests computed while streaming: content is hashed as it is read and
//! never held whole, so memory stays bounded whatever the file size.

use std::fmt;
use std::io::{self, Read};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256, Sha512};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

/// A SHA-512 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha512Digest(pub [u8; 64]);

macro_rules! hex_digest {
    ($t:ident, $h:ty, $n:expr, $name:expr) => {
        impl $t {
            /// Lower-case hex, as `sha256sum` and in-toto print it.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses lower- or upper-case hex of exactly the digest's length.
            pub fn from_hex(s: &str) -> Result<Self, DigestParseError> {
                let mut out = [0u8; $n];
                hex::decode_to_slice(s, &mut out).map_err(|_| DigestParseError {
                    algorithm: $name,
                    value: s.chars().take(80).collect(),
                })?;
                Ok(Self(out))
            }

            /// The digest of a byte slice.
            pub fn of(bytes: &[u8]) -> Self {
                let mut out = [0u8; $n];
                out.copy_from_slice(&<$h>::digest(bytes));
                Self(out)
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}:{}", $name, self.to_hex())
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_digest!(Sha256Digest, Sha256, 32, "sha256");
hex_digest!(Sha512Digest, Sha512, 64, "sha512");

/// A hex string that is not a digest of the expected algorithm.
#[derive(Debug, thiserror::Error)]
#[error("not a {algorithm} hex digest: {value:?}")]
pub struct DigestParseError {
    /// The algorithm that was expected.
    pub algorithm: &'static str,
    /// The offending value (shortened).
    pub value: String,
}

/// Which digests to compute while reading content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSet {
    /// Also compute SHA-512 (SHA-256 is always computed).
    pub sha512: bool,
}

/// The digests of one piece of content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Digests {
    /// SHA-256, always present.
    pub sha256: Sha256Digest,
    /// SHA-512, when asked for.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha512: Option<Sha512Digest>,
}

/// Hashes everything written to it; the building block for hashing while
/// reading (see [`hash_reader`]).
#[derive(Clone)]
pub struct MultiHasher {
    sha256: Sha256,
    sha512: Option<Sha512>,
    len: u64,
}

impl MultiHasher {
    /// A hasher for the given set.
    pub fn new(set: DigestSet) -> Self {
        Self {
            sha256: Sha256::new(),
            sha512: set.sha512.then(Sha512::new),
            len: 0,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        if let Some(h) = &mut self.sha512 {
            h.update(bytes);
        }
        self.len += bytes.len() as u64;
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing was fed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digests of everything fed.
    pub fn finish(self) -> Digests {
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(&self.sha256.finalize());
        let sha512 = self.sha512.map(|h| {
            let mut out = [0u8; 64];
            out.copy_from_slice(&h.finalize());
            Sha512Digest(out)
        });
        Digests {
            sha256: Sha256Digest(sha256),
            sha512,
        }
    }
}

/// Size of the buffer content is streamed through.
pub const STREAM_BUFFER: usize = 256 * 1024;

/// Reads `reader` to its end, hashing as it goes, and returns the digests and
/// the number of bytes read. Memory use is one fixed buffer.
pub fn hash_reader<R: Read + ?Sized>(reader: &mut R, set: DigestSet) -> io::Result<(Digests, u64)> {
    let mut hasher = MultiHasher::new(set);
    let mut buf = vec![0u8; STREAM_BUFFER];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    let len = hasher.len();
    Ok((hasher.finish(), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_matches_fips_180_2_example() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256Digest::from_hex(&d.to_hex()).unwrap(), d);
    }

    #[test]
    fn hash_reader_computes_both_digests_and_length() {
        let data = vec![7u8; STREAM_BUFFER * 2 + 3];
        let (d, n) = hash_reader(&mut &data[..], DigestSet { sha512: true }).unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(d.sha256, Sha256Digest::of(&data));
        assert_eq!(d.sha512.unwrap(), Sha512Digest::of(&data));
    }

    #[test]
    fn from_hex_rejects_wrong_length() {
        assert!(Sha256Digest::from_hex("abcd").is_err());
    }
}

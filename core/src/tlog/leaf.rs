//! The leaf record glassbox logs for a file: its digest, size and name,
//! not its content, so the log stays small whatever it records.
//!
//! ```text
//! glassbox-leaf/v1\n
//! sha256 <64 lower-case hex>\n
//! size <decimal bytes>\n
//! name <file name>\n
//! ```
//!
//! The name is the file's base name, UTF-8 without control characters,
//! at most 255 bytes. The record is the leaf's data: the leaf hash is
//! SHA-256(0x00 || record).

use std::path::Path;

use crate::digest::Sha256Digest;

use super::Error;
use super::checkpoint::parse_decimal;

const HEADER: &str = "glassbox-leaf/v1";
/// Longest name a record carries.
pub const MAX_NAME_BYTES: usize = 255;

/// What the log says about one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LeafRecord {
    /// SHA-256 of the file's content.
    pub sha256: Sha256Digest,
    /// Size in bytes.
    pub size: u64,
    /// Base name of the file when it was logged.
    pub name: String,
}

/// The name a record carries for `path`: its base name, checked.
fn base_name(path: &Path) -> Result<String, Error> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::EntryMismatch(format!("{}: file name is not UTF-8", path.display())))?
        .to_string();
    check_name(&name)?;
    Ok(name)
}

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(Error::EntryMismatch(format!(
            "file name {:?} is empty, longer than {MAX_NAME_BYTES} bytes or has control characters",
            name.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

impl LeafRecord {
    /// The record of a file on disk, hashed while streaming.
    pub fn of_file(path: &Path) -> Result<Self, Error> {
        let name = base_name(path)?;
        let mut f = std::fs::File::open(path).map_err(Error::io(path))?;
        let (digests, size) =
            crate::digest::hash_reader(&mut f, Default::default()).map_err(Error::io(path))?;
        Ok(Self {
            sha256: digests.sha256,
            size,
            name,
        })
    }

    /// The record of a file at `path` whose digest and size are already
    /// known (an audited file, hashed by the audit): not read again.
    pub fn of_hashed(path: &Path, sha256: Sha256Digest, size: u64) -> Result<Self, Error> {
        Ok(Self {
            sha256,
            size,
            name: base_name(path)?,
        })
    }

    /// The record's bytes (the leaf data).
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            "{HEADER}\nsha256 {}\nsize {}\nname {}\n",
            self.sha256.to_hex(),
            self.size,
            self.name
        )
        .into_bytes()
    }

    /// Parses a record; anything else is an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = || Error::EntryMismatch("entry is not a glassbox-leaf/v1 record".into());
        let s = std::str::from_utf8(bytes).map_err(|_| bad())?;
        let mut lines = s.strip_suffix('\n').ok_or_else(bad)?.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad());
        }
        let mut field = |key: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix(' '))
                .ok_or_else(bad)
        };
        let sha = field("sha256")?;
        if sha.len() != 64 || sha.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let sha256 = Sha256Digest::from_hex(sha).map_err(|_| bad())?;
        let size = parse_decimal(field("size")?).ok_or_else(bad)?;
        let name = field("name")?.to_string();
        check_name(&name)?;
        if lines.next().is_some() {
            return Err(bad());
        }
        Ok(Self { sha256, size, name })
    }

    /// Whether this record describes `other`'s content (digest and size;
    /// the name may differ, files get renamed).
    pub fn same_content(&self, other: &LeafRecord) -> bool {
        self.sha256 == other.sha256 && self.size == other.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strict_parse() {
        let r = LeafRecord {
            sha256: Sha256Digest::of(b"hello"),
            size: 5,
            name: "hello.txt".into(),
        };
        let b = r.to_bytes();
        assert_eq!(LeafRecord::parse(&b).unwrap(), r);
        let s = String::from_utf8(b).unwrap();
        assert!(LeafRecord::parse(s.replace("size 5", "size 05").as_bytes()).is_err());
        assert!(LeafRecord::parse(format!("{s}extra\n").as_bytes()).is_err());
        assert!(LeafRecord::parse(s.trim_end().as_bytes()).is_err());
    }
}

//! The trusted-state directory: the metadata a client has accepted, kept
//! between runs so the next run can detect rollback and freeze attacks
//! (TUF specification §5.4.3, §5.5.5). One directory per repository.
//!
//! Layout is python-tuf's (and tuf-conformance's `METADATA_DIR`):
//! `root.json`, `timestamp.json`, `snapshot.json`, `targets.json` and
//! `<role>.json` per delegated role (role name percent-encoded), always
//! non-versioned names. Files are the exact bytes fetched, written
//! atomically (temporary file in the same directory, fsync, rename) so a
//! crash never leaves a half-written trusted file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the state directory could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct StateError {
    /// The file or directory.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Largest trusted file read back (the largest metadata cap).
const MAX_STATE_FILE: u64 = 64 * 1024 * 1024;

/// A trusted-state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Uses (and creates if needed) `dir`.
    pub fn open(dir: &Path) -> Result<Self, StateError> {
        fs::create_dir_all(dir).map_err(|e| StateError {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// File name for role `role`: [`Self::encode_name`] plus `.json`.
    pub fn file_name(role: &str) -> String {
        let mut out = Self::encode_name(role);
        out.push_str(".json");
        out
    }

    /// `name` as one safe file name: ASCII letters, digits, `-`, `_` and
    /// non-leading `.` kept, every other byte percent-encoded (so `/` and
    /// a leading `.` can never escape or hide in the directory).
    pub fn encode_name(name: &str) -> String {
        let mut out = String::with_capacity(name.len());
        for &b in name.as_bytes() {
            if b.is_ascii_alphanumeric() || b"-_".contains(&b) || (b == b'.' && !out.is_empty()) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The trusted bytes of `role`, if stored.
    pub fn load(&self, role: &str) -> Result<Option<Vec<u8>>, StateError> {
        let path = self.dir.join(Self::file_name(role));
        let err = |reason: String| StateError {
            path: path.display().to_string(),
            reason,
        };
        match fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(e.to_string())),
            Ok(m) if m.len() > MAX_STATE_FILE => return Err(err("file too large".into())),
            Ok(_) => {}
        }
        fs::read(&path).map(Some).map_err(|e| err(e.to_string()))
    }

    /// Stores `bytes` as the trusted `role`, atomically.
    pub fn store(&self, role: &str, bytes: &[u8]) -> Result<(), StateError> {
        write_atomic(&self.dir.join(Self::file_name(role)), bytes)
    }

    /// Forgets the trusted `role` (after key rotation, §5.3.11).
    pub fn remove(&self, role: &str) -> Result<(), StateError> {
        let path = self.dir.join(Self::file_name(role));
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StateError {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

/// Temporary file beside `path`, fsynced, renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let err = |reason: String| StateError {
        path: path.display().to_string(),
        reason,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err(e.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_load_remove_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let s = StateDir::open(&dir.path().join("state")).unwrap();
        assert_eq!(s.load("timestamp").unwrap(), None);
        s.store("timestamp", b"abc").unwrap();
        assert_eq!(s.load("timestamp").unwrap().unwrap(), b"abc");
        s.remove("timestamp").unwrap();
        assert_eq!(s.load("timestamp").unwrap(), None);
    }

    #[test]
    fn role_names_cannot_escape_the_directory() {
        assert_eq!(StateDir::file_name("bases"), "bases.json");
        assert_eq!(StateDir::file_name("../x"), "%2E.%2Fx.json");
        assert_eq!(StateDir::file_name("a/b"), "a%2Fb.json");
        assert_eq!(
            StateDir::encode_name("trusted_root.json"),
            "trusted_root.json"
        );
        assert_eq!(
            StateDir::encode_name("client/na\u{ef}ve"),
            "client%2Fna%C3%AFve"
        );
    }
}

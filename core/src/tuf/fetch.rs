//! Where repository files come from: a local directory (an auditor's copy)
//! or a base URL over plain HTTP/1.1.
//!
//! Every read has a byte cap given by the caller (TUF specification §5.2:
//! "the client MUST download at most the length ... or an upper bound");
//! nothing is read past it. The HTTP client is deliberately small: one
//! blocking `GET` per file over `std::net::TcpStream`, no redirects (a
//! repository that redirects elsewhere is refused), no TLS (use a local
//! copy or a loopback proxy for HTTPS repositories).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::http::{Client, Url, percent_encode};

/// Why a file could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// More bytes than the cap allows.
    #[error("{what}: longer than the {max}-byte limit")]
    TooLong {
        /// The file.
        what: String,
        /// The cap in bytes.
        max: u64,
    },
    /// The path cannot safely name a file (`..`, absolute, empty part).
    #[error("{0:?}: unsafe path")]
    UnsafePath(String),
    /// I/O or protocol failure.
    #[error("{what}: {reason}")]
    Failed {
        /// The file or URL.
        what: String,
        /// Why.
        reason: String,
    },
}

/// A repository's files. `Ok(None)` means "does not exist" (HTTP 404 or
/// no such file), which the root-rotation loop relies on to stop.
pub trait Source {
    /// Metadata file `name` (e.g. `3.root.json`, or `1.<role>.json` with the
    /// delegated role name as is), at most `max` bytes. Over HTTP the name
    /// is one percent-encoded path segment (as python-tuf quotes role
    /// names); on disk it must be a plain file name.
    fn metadata(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError>;
    /// Target file at `path` (already consistent-snapshot prefixed), at
    /// most `max` bytes.
    fn target(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError>;
    /// Human-readable location, for reports.
    fn describe(&self) -> String;
}

/// A repository copy on disk: `metadata/` and `targets/` directories.
#[derive(Debug, Clone)]
pub struct DirSource {
    /// Directory holding metadata files.
    pub metadata_dir: PathBuf,
    /// Directory holding target files.
    pub targets_dir: PathBuf,
}

impl DirSource {
    /// `<repo>/metadata` and `<repo>/targets`.
    pub fn new(repo: &Path) -> Self {
        Self {
            metadata_dir: repo.join("metadata"),
            targets_dir: repo.join("targets"),
        }
    }
}

/// Rejects paths that could leave the base directory or URL path.
fn safe_parts(path: &str) -> Result<Vec<&str>, FetchError> {
    let parts: Vec<&str> = path.split('/').collect();
    if path.is_empty()
        || path.contains('\\')
        || path.contains('\0')
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(FetchError::UnsafePath(path.to_owned()));
    }
    Ok(parts)
}

fn read_capped(mut r: impl Read, what: &str, max: u64) -> Result<Vec<u8>, FetchError> {
    let got = crate::fsio::read_capped(r.by_ref(), max, 0).map_err(|e| FetchError::Failed {
        what: what.to_owned(),
        reason: e.to_string(),
    })?;
    let buf = got.bytes;
    if got.over {
        return Err(FetchError::TooLong {
            what: what.to_owned(),
            max,
        });
    }
    Ok(buf)
}

fn read_file(base: &Path, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
    let parts = safe_parts(path)?;
    let mut full = base.to_path_buf();
    full.extend(parts);
    let what = full.display().to_string();
    match File::open(&full) {
        Ok(f) => {
            if f.metadata().is_ok_and(|m| m.is_dir()) {
                return Ok(None);
            }
            read_capped(f, &what, max).map(Some)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FetchError::Failed {
            what,
            reason: e.to_string(),
        }),
    }
}

impl Source for DirSource {
    fn metadata(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        if name.contains('/') || name.starts_with('.') {
            return Err(FetchError::UnsafePath(name.to_owned()));
        }
        read_file(&self.metadata_dir, name, max)
    }
    fn target(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        read_file(&self.targets_dir, path, max)
    }
    fn describe(&self) -> String {
        self.metadata_dir.display().to_string()
    }
}

/// A repository served over `http://` (metadata and targets base URLs),
/// fetched with [`crate::http::Client`].
#[derive(Debug, Clone)]
pub struct HttpSource {
    metadata: Url,
    targets: Url,
    /// Connect, read and overall time-outs of each fetch.
    pub client: Client,
}

impl From<crate::http::Error> for FetchError {
    fn from(e: crate::http::Error) -> Self {
        match e {
            crate::http::Error::TooLong { url, max } => FetchError::TooLong { what: url, max },
            e => FetchError::Failed {
                what: e.url().to_owned(),
                reason: e.to_string(),
            },
        }
    }
}

impl HttpSource {
    /// Metadata and targets base URLs (`http://` only).
    pub fn new(metadata_url: &str, targets_url: &str) -> Result<Self, FetchError> {
        Ok(Self {
            metadata: Url::parse(metadata_url)?.as_dir(),
            targets: Url::parse(targets_url)?.as_dir(),
            client: Client::default(),
        })
    }

    /// GET `base` + `encoded_rel` (already percent-encoded). 403 counts as
    /// absent too: static hosts (S3) answer 403 for a missing object.
    fn get(&self, base: &Url, encoded_rel: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        match self.client.get(&base.join(encoded_rel), max) {
            Err(crate::http::Error::Status { status: 403, .. }) => Ok(None),
            r => Ok(r?),
        }
    }
}

impl Source for HttpSource {
    fn metadata(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        // One segment: a `/` or `..` in a role name is encoded, never a
        // path separator.
        self.get(&self.metadata, &percent_encode(name), max)
    }
    fn target(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        let parts = safe_parts(path)?;
        let encoded: Vec<String> = parts.iter().map(|p| percent_encode(p)).collect();
        self.get(&self.targets, &encoded.join("/"), max)
    }
    fn describe(&self) -> String {
        self.metadata.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Write};

    #[test]
    fn unsafe_paths_are_refused() {
        for p in ["../x", "a/../b", "/abs", "a//b", "a\\b", ""] {
            assert!(safe_parts(p).is_err(), "{p}");
        }
    }

    /// One canned response per path, on loopback.
    fn canned_server(responses: Vec<(&'static str, &'static [u8])>) -> String {
        use std::io::BufRead;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/m/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(responses.len()) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap() == 0 || h.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split(' ').nth(1).unwrap().to_owned();
                let resp = responses
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, r)| *r)
                    .unwrap_or(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
                stream.write_all(resp).unwrap();
            }
        });
        url
    }

    #[test]
    fn http_statuses_lengths_and_redirects() {
        let url = canned_server(vec![
            (
                "/m/ok.json",
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
            ),
            (
                "/m/gone.json",
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            ),
            (
                "/m/big.json",
                b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nabc",
            ),
            (
                "/m/moved.json",
                b"HTTP/1.1 301 Moved\r\nLocation: http://elsewhere/\r\n\r\n",
            ),
            (
                "/m/short.json",
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
            ),
        ]);
        let src = HttpSource::new(&url, &url).unwrap();
        assert_eq!(src.metadata("ok.json", 10).unwrap().unwrap(), b"abc");
        assert_eq!(src.metadata("gone.json", 10).unwrap(), None);
        assert!(matches!(
            src.metadata("big.json", 10),
            Err(FetchError::TooLong { .. })
        ));
        assert!(matches!(
            src.metadata("moved.json", 10),
            Err(FetchError::Failed { .. })
        ));
        assert!(matches!(
            src.metadata("short.json", 10),
            Err(FetchError::Failed { .. })
        ));
    }

    #[test]
    fn dir_source_caps_reads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("metadata")).unwrap();
        std::fs::write(dir.path().join("metadata/a.json"), b"0123456789").unwrap();
        let src = DirSource::new(dir.path());
        assert_eq!(src.metadata("a.json", 10).unwrap().unwrap().len(), 10);
        assert!(matches!(
            src.metadata("a.json", 9),
            Err(FetchError::TooLong { .. })
        ));
        assert_eq!(src.metadata("missing.json", 9).unwrap(), None);
    }
}

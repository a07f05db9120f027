//! Where a log is read from: a log directory, or an `http://` URL serving
//! the same C2SP tlog-tiles layout (`glassbox log serve`, or any static web
//! server or object store holding the directory).
//!
//! Every fetch is bounded by what the spec lets the file hold, so a hostile
//! server cannot make a reader allocate more (c2sp.org/tlog-tiles):
//! a hash tile is at most 256 hashes of 32 bytes; an entry bundle is at
//! most 256 entries, each a 2-byte length and at most 65535 bytes; a
//! checkpoint is a signed note of a few lines ([`MAX_CHECKPOINT_BYTES`]).
//! Over HTTP the time is bounded too ([`crate::http::Client`]'s time-outs).

use std::path::{Path, PathBuf};

use super::Error;
use super::checkpoint::{self, SignedCheckpoint};
use super::note::VerifierKey;
use super::storage::CHECKPOINT_FILE;
use super::tiles::{self, MAX_ENTRY_BYTES, TILE_WIDTH, TileReader};
use crate::http::{Client, Url};

/// The largest checkpoint fetched: origin, size, root, a few extension
/// lines and signature lines for the log and its witnesses fit many
/// times over.
pub const MAX_CHECKPOINT_BYTES: u64 = 16 * 1024;
/// The largest hash tile: 256 hashes of 32 bytes (tlog-tiles "Merkle
/// Tree").
pub const MAX_TILE_BYTES: u64 = TILE_WIDTH * 32;
/// The largest entry bundle: 256 entries of a big-endian u16 length and at
/// most 65535 bytes each (tlog-tiles "Log Entries"), 16 MiB and a bit.
pub const MAX_BUNDLE_BYTES: u64 = TILE_WIDTH * (2 + MAX_ENTRY_BYTES as u64);

/// A log to read: a directory or an `http://` base URL.
#[derive(Clone, Debug)]
pub enum LogSource {
    /// A log directory on disk.
    Dir(PathBuf),
    /// A log served over HTTP; the URL is the directory's base.
    Http {
        /// Base URL (ends with `/`).
        base: Url,
        /// Time-outs of each fetch.
        client: Client,
    },
}

impl LogSource {
    /// `http://...` is a served log; anything else a directory. `https://`
    /// is refused with a reason (no TLS in glassbox; a log's content is
    /// verified by its signatures and proofs, not by the transport).
    pub fn parse(arg: &str) -> Result<Self, Error> {
        if arg.starts_with("http://") || arg.starts_with("https://") {
            Ok(Self::Http {
                base: Url::parse(arg)?.as_dir(),
                client: Client::default(),
            })
        } else {
            Ok(Self::Dir(PathBuf::from(arg)))
        }
    }

    /// The same log fetched with `client`'s time-outs (no effect on a
    /// directory).
    pub fn with_client(self, client: Client) -> Self {
        match self {
            Self::Http { base, .. } => Self::Http { base, client },
            d => d,
        }
    }

    /// The directory or base URL, for messages and reports.
    pub fn describe(&self) -> String {
        match self {
            Self::Dir(d) => d.display().to_string(),
            Self::Http { base, .. } => base.to_string(),
        }
    }

    /// Where `rel` (a tlog-tiles path) lives: a file path or a full URL.
    pub fn location(&self, rel: &str) -> PathBuf {
        match self {
            Self::Dir(d) => d.join(rel),
            Self::Http { base, .. } => PathBuf::from(base.join(rel).to_string()),
        }
    }

    /// `rel` (a tlog-tiles path), at most `max` bytes; `None` when absent
    /// (no such file, HTTP 404 or 410).
    pub(crate) fn fetch(&self, rel: &str, max: u64) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Self::Dir(d) => match tiles::read_bounded(&d.join(rel), max) {
                Ok(b) => Ok(Some(b)),
                Err(Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
                    Ok(None)
                }
                Err(e) => Err(e),
            },
            Self::Http { base, client } => Ok(client.get(&base.join(rel), max)?),
        }
    }

    /// Like [`LogSource::fetch`], an absent file being an error naming it.
    pub(crate) fn fetch_required(&self, rel: &str, max: u64) -> Result<Vec<u8>, Error> {
        self.fetch(rel, max)?.ok_or_else(|| self.not_found(rel))
    }

    /// The error for a tlog-tiles file the log should have and does not.
    pub(crate) fn not_found(&self, rel: &str) -> Error {
        let why = match self {
            Self::Dir(_) => "no such file",
            Self::Http { .. } => "not found (HTTP 404)",
        };
        Error::Io {
            path: self.location(rel),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, why),
        }
    }

    /// The published checkpoint's bytes, unverified.
    pub fn checkpoint_bytes(&self) -> Result<Vec<u8>, Error> {
        self.fetch_required(CHECKPOINT_FILE, MAX_CHECKPOINT_BYTES)
    }

    /// The published checkpoint, verified with the log key `vkey` and, when
    /// `quorum` > 0, cosigned by that many of `witnesses`.
    pub fn checkpoint(
        &self,
        vkey: &VerifierKey,
        witnesses: &[VerifierKey],
        quorum: usize,
    ) -> Result<SignedCheckpoint, Error> {
        let bytes = self.checkpoint_bytes()?;
        checkpoint::open(&bytes, vkey, witnesses, quorum)
    }

    /// A reader of this log's tiles as the tree of `size` leaves. Nothing
    /// it reads is trusted: proofs computed from it are verified against a
    /// signed root by the caller.
    pub fn reader(&self, size: u64) -> TileReader {
        TileReader::from_source(self.clone(), size)
    }
}

impl From<&Path> for LogSource {
    fn from(dir: &Path) -> Self {
        Self::Dir(dir.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_a_directory_or_a_url() {
        assert!(matches!(
            LogSource::parse("audit-log").unwrap(),
            LogSource::Dir(_)
        ));
        let s = LogSource::parse("http://127.0.0.1:8080/log").unwrap();
        assert_eq!(s.describe(), "http://127.0.0.1:8080/log/");
        assert_eq!(
            s.location("tile/0/x001/234.p/5"),
            PathBuf::from("http://127.0.0.1:8080/log/tile/0/x001/234.p/5")
        );
        let err = LogSource::parse("https://log.example/").unwrap_err();
        assert!(err.to_string().contains("no TLS"), "{err}");
    }
}

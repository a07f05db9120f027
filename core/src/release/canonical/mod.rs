//! The canonical, byte-exact view of an artifact that reproducibility is
//! judged on: every container parsed down to its members, with the header
//! bytes that must match kept apart from the [`Field`]s that record when,
//! where or by whom something was built (mtimes, owners, gzip headers,
//! compression parameters), in member order.
//!
//! This is part of the release reader so that one module opens artifacts:
//! formats are recognised through the one registry (`registry.rs`) and
//! files are opened through [`crate::fsio`]. `repro` builds its verdict from
//! these trees and keeps only the comparison and the normalizers (which
//! [`Field`] a named normalization may ignore).
//!
//! Where a format's raw fields are read: gzip header and member count
//! (`gzip.rs`, RFC 1952), zstd frames (`zstd.rs`), tar headers and pax
//! records (`tar.rs`), zip local and central records (`zip.rs`, APPNOTE),
//! ar headers (`ar.rs`); directories and compression in `read.rs`.

mod ar;
mod gzip;
mod node;
mod read;
mod tar;
mod zip;
mod zstd;

use std::io::{self, Read};
use std::path::Path;

use super::Limits;
pub use super::model::Field;

pub(crate) use node::{Archive, AuthenticodeImage, Blob, Compressed, Member, Node};
pub(crate) use read::{open_err, read_up_to};

/// How many leading bytes of a stream are looked at before it is read
/// (at least the registry's sniff length).
pub(crate) const HEAD_LEN: usize = 8 * 1024;
const _: () = assert!(HEAD_LEN >= super::registry::SNIFF_LEN);

/// Reads content that is not a container (or is not expanded), given its
/// file name: the caller's content normalizers hook in here.
pub(crate) type BlobReader = fn(&mut dyn Read, &[u8], Limits) -> io::Result<Blob>;

/// Reads the artifact at `path` (a directory, an archive or a file) into
/// its canonical tree under `limits`; `blob` reads plain content.
pub(crate) fn read_path(
    path: &Path,
    limits: Limits,
    blob: BlobReader,
) -> Result<Node, CanonicalError> {
    read::Reader::new(limits, blob).read_path(path)
}

/// The canonical tree of an opened release. A directory's tree is built
/// from the listing (see `Reader::read_listed_dir`): only the files for
/// which `reread` returns true are read again. An archive is still parsed
/// again from [`Release::source`] (its header bytes are not yet in the
/// listing).
pub(crate) fn read_release(
    release: &super::Release,
    limits: Limits,
    blob: BlobReader,
    reread: &dyn Fn(&super::Entry) -> bool,
) -> Result<Node, CanonicalError> {
    let mut reader = read::Reader::new(limits, blob);
    if release.format == super::Format::Directory {
        reader.read_listed_dir(release, reread)
    } else {
        reader.read_path(&release.source)
    }
}

/// Why an artifact could not be read into its canonical tree (re-exported
/// by `repro` as `ReproError`).
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The input is not something that can be compared.
    #[error("{path}: {why}")]
    Input {
        /// Which input.
        path: String,
        /// Why.
        why: String,
    },
    /// A container is malformed or truncated.
    #[error("{at}: corrupt at byte offset {offset}: {why}")]
    Corrupt {
        /// The container and member.
        at: String,
        /// Byte offset in the container where it went wrong.
        offset: u64,
        /// What was wrong.
        why: String,
    },
    /// The input ends inside a container (a cut download). Never compared
    /// as plain bytes: "format differs" would hide that the vendor's file is
    /// incomplete.
    #[error(
        "{at}: truncated: {source}; obtain a fresh copy and compare it with the vendor's published digest"
    )]
    Truncated {
        /// The container and member.
        at: String,
        /// The read that ran out.
        source: std::io::Error,
    },
    /// A limit was reached.
    #[error("{at}: {why}")]
    Limit {
        /// Where.
        at: String,
        /// Which limit, and how to raise it.
        why: String,
    },
    /// The release reader refused the artifact: real extractors could
    /// read it differently, a name is unsafe, or a limit was crossed (the
    /// reason says which and what to do).
    #[error("{source}")]
    Release {
        /// The artifact as given.
        path: String,
        /// The reader's reason.
        source: super::ReleaseError,
    },
}

impl CanonicalError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CanonicalError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn read(at: &str, e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            return CanonicalError::Truncated {
                at: at.to_string(),
                source: e,
            };
        }
        CanonicalError::Input {
            path: at.to_string(),
            why: format!("cannot read: {e}"),
        }
    }

    pub(crate) fn corrupt(at: &str, offset: u64, why: impl std::fmt::Display) -> Self {
        CanonicalError::Corrupt {
            at: at.to_string(),
            offset,
            why: why.to_string(),
        }
    }
}

//! The canonical, byte-exact view of an artifact that reproducibility is
//! judged on: every container down to its members, with the header bytes
//! that must match kept apart from the [`Field`]s that record when, where
//! or by whom something was built (mtimes, owners, gzip headers,
//! compression parameters), in member order.
//!
//! Nothing here parses a format: the tree is built (`build.rs`) from a
//! [`Release`](super::Release) as the one release reader listed it, with
//! the raw header fields each format's reader recorded on its entries
//! ([`RawHeader`](super::RawHeader): `tar.rs`, `zip_layout.rs`, `ar.rs`,
//! `dir.rs`) and the facts it recorded about each container
//! ([`ContainerFacts`](super::ContainerFacts): `codec.rs` for gzip and
//! zstd streams). `repro` compares these trees and keeps only the
//! comparison and the normalizers (which [`Field`] a named normalization
//! may ignore).

mod build;
mod node;

use std::io::{self, Read};
use std::path::Path;

use super::Limits;
pub use super::model::Field;

pub(crate) use crate::fsio::read_up_to;
pub(crate) use build::{open_err, read_release};
pub(crate) use node::{Archive, AuthenticodeImage, Blob, Compressed, Member, Node};

/// Reads content that is not a container (or is not expanded), given its
/// file name: the caller's content normalizers hook in here.
pub(crate) type BlobReader = fn(&mut dyn Read, &[u8], Limits) -> io::Result<Blob>;

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
}

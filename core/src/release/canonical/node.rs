//! The canonical view of an artifact that reproducibility is judged on.
//!
//! Every container is parsed down to its members; for each member the bytes
//! that must match exactly are kept apart from the values a named
//! normalization may ignore. Content is hashed while streaming, so a tree of
//! nodes costs a few hundred bytes per member whatever the artifact's size.

use crate::digest::Sha256Digest;
use crate::release::{EntryKind, RawPath};

use super::Field;

/// One artifact, or one member's content.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Content that is not a container (or was not expanded).
    Blob(Blob),
    /// A compressed stream around one payload.
    Compressed(Compressed),
    /// An archive or directory with members.
    Archive(Archive),
}

impl Node {
    /// SHA-256 of the node's own bytes (for a directory: none).
    pub(crate) fn raw_sha256(&self) -> Option<Sha256Digest> {
        match self {
            Node::Blob(b) => Some(b.sha256),
            Node::Compressed(c) => Some(c.raw_sha256),
            Node::Archive(a) => a.raw_sha256,
        }
    }

    /// A short name of the node's format, for messages.
    pub(crate) fn format_name(&self) -> &'static str {
        match self {
            Node::Blob(_) => "file",
            Node::Compressed(c) => c.format.name(),
            Node::Archive(a) => a.format.name(),
        }
    }
}

/// Plain content.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub sha256: Sha256Digest,
    pub size: u64,
    /// The digest after a content normalizer (pyc, PE, PNG, jar manifest)
    /// rewrote its ignorable fields, when one applies.
    pub normalized: Option<(Field, Sha256Digest)>,
    /// For a PE image glassbox's Authenticode reader accepts: the image
    /// without its signature ([`Normalization::AuthenticodeSignature`]).
    ///
    /// [`Normalization::AuthenticodeSignature`]: crate::repro::Normalization::AuthenticodeSignature
    pub authenticode: Option<AuthenticodeImage>,
    /// Why a container-looking blob was not expanded, if it was not.
    pub not_expanded: Option<String>,
}

/// A PE image as signing leaves it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthenticodeImage {
    /// SHA-256 of the file without its certificate table, with the
    /// table's directory entry and the CheckSum zeroed.
    pub unsigned_sha256: Sha256Digest,
    /// Whether it carries a certificate table.
    pub signed: bool,
}

/// Compression formats the reader unwraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Xz,
    Zstd,
    Bzip2,
}

impl Compression {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// A compressed stream.
#[derive(Debug, Clone)]
pub(crate) struct Compressed {
    pub format: Compression,
    /// Why no normalization may apply to this stream, when one may not:
    /// structure whose bytes are not read as fields (gzip members after
    /// the first, zstd skippable frames). Then its bytes must match.
    pub unnormalizable: Option<String>,
    pub raw_sha256: Sha256Digest,
    /// Header bytes that must match (gzip: CM, flags other than FNAME,
    /// FEXTRA, FCOMMENT).
    pub strict: Vec<u8>,
    /// gzip MTIME, FNAME, OS.
    pub header: Vec<u8>,
    /// Digest of the compressed body (everything after the header), and
    /// XFL for gzip: differs when the same bytes were compressed differently.
    pub body: Vec<u8>,
    pub payload: Box<Node>,
}

/// Archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveFormat {
    Directory,
    Tar,
    Zip,
    Ar,
}

impl ArchiveFormat {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ArchiveFormat::Directory => "directory",
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::Ar => "ar",
        }
    }
}

/// An archive or a directory tree.
#[derive(Debug, Clone)]
pub(crate) struct Archive {
    pub format: ArchiveFormat,
    pub raw_sha256: Option<Sha256Digest>,
    /// Members in stored order.
    pub members: Vec<Member>,
    /// Archive-level bytes that must match (zip comment, non-zero data after
    /// a tar's end marker).
    pub strict: Vec<u8>,
    /// Length of all-zero padding after a tar's end marker.
    pub padding: u64,
}

/// One archive member or directory entry.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub path: RawPath,
    pub kind: EntryKind,
    pub link_target: Option<RawPath>,
    pub mode: Option<u32>,
    /// Format-specific header bytes that must match exactly.
    pub strict: Vec<u8>,
    /// Values of fields that a named normalization may ignore.
    pub normalized: Vec<(Field, Vec<u8>)>,
    /// The content, for files.
    pub content: Option<Node>,
}

impl Member {
    /// The value recorded for `n`, if any.
    pub(crate) fn field(&self, n: Field) -> Option<&[u8]> {
        self.normalized
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.as_slice())
    }
}

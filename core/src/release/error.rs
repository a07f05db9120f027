//! Why reading a release stopped. Every variant names where (the archive,
//! the entry, the byte offset) and the message says what the auditor can do.

use std::io;
use std::path::PathBuf;

use super::EntryPath;

/// An error that stopped reading a release.
///
/// `archive` is the container being read, addressed like entries
/// (`/path/release.tar.gz`, or `/path/dir!outer.zip!inner.tar.gz` for a
/// nested one); `entry` is the member being read (escaped, may be empty when
/// the container itself is at fault); `offset` is the byte offset in the
/// container's (decompressed) stream where the problem was seen.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The release path itself cannot be opened or read.
    // The reason is part of the message, not a `source`, so that a cause
    // chain printer does not repeat it.
    #[error("{path}: cannot read the release: {error}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// The operating system's reason.
        error: io::Error,
    },
    /// The container is truncated or corrupt.
    #[error(
        "{archive}: entry `{entry}` at byte {offset}: archive is truncated or corrupt ({reason}); \
         obtain a fresh copy and compare it with the vendor's published digest"
    )]
    Corrupt {
        /// The container.
        archive: String,
        /// The member being read.
        entry: String,
        /// Byte offset in the container's stream.
        offset: u64,
        /// What the decoder said.
        reason: String,
    },
    /// A member's content is not the size its header declares.
    #[error(
        "{archive}: entry `{entry}` at byte {offset}: declared size {declared} but content is \
         {actual} bytes; the archive lies about its contents, treat it as tampered"
    )]
    SizeMismatch {
        /// The container.
        archive: String,
        /// The member.
        entry: String,
        /// Byte offset of the member's header.
        offset: u64,
        /// Size the header declares.
        declared: u64,
        /// Bytes actually present (at least this many when larger).
        actual: u64,
    },
    /// The total expanded size exceeded `--max-expanded-bytes`.
    #[error(
        "{archive}: entry `{entry}` at byte {offset}: more than {limit} bytes expanded in total \
         (--max-expanded-bytes); possible decompression bomb — raise the limit only if the \
         release is really that large"
    )]
    ExpandedBytesLimit {
        /// The container.
        archive: String,
        /// The member being read.
        entry: String,
        /// Byte offset in the container's stream.
        offset: u64,
        /// The limit.
        limit: u64,
    },
    /// A compressed stream or member expanded beyond `--max-ratio`.
    #[error(
        "{archive}: entry `{entry}` at byte {offset}: expands more than {limit}:1 (--max-ratio); \
         possible decompression bomb — raise the limit only if you expect such content"
    )]
    RatioLimit {
        /// The container.
        archive: String,
        /// The member or stream.
        entry: String,
        /// Byte offset in the compressed stream.
        offset: u64,
        /// The limit.
        limit: u64,
    },
    /// The archive can be read more than one way: real extractors (GNU tar,
    /// bsdtar, Python, unzip, Java) would install different members than
    /// glassbox would verify, so glassbox refuses to pick one reading.
    #[error(
        "{archive}: entry `{entry}`: real extractors can read this archive differently: \
         {reason}; glassbox refuses it rather than verify one reading while customers install \
         another — treat the archive as tampered and ask the vendor for one without this"
    )]
    Ambiguous {
        /// The container.
        archive: String,
        /// The member (escaped), or a description of where in the container.
        entry: String,
        /// What is ambiguous and how the readings differ.
        reason: String,
    },
    /// A member name or link an extractor would follow out of the
    /// extraction directory (absolute, `..`, through an earlier symlink, a
    /// hard link to nothing before it).
    #[error(
        "{archive}: entry `{entry}`: unsafe name: {reason}; extracting this archive could write \
         outside its directory or through a link — treat it as hostile and do not unpack it"
    )]
    UnsafeName {
        /// The container.
        archive: String,
        /// The member (escaped).
        entry: String,
        /// Why the name is unsafe.
        reason: String,
    },
    /// More entries than `--max-entries`.
    #[error(
        "{archive}: more than {limit} entries (--max-entries); raise the limit if the release \
         really is that large"
    )]
    EntriesLimit {
        /// The container being read when the limit was hit.
        archive: String,
        /// The limit.
        limit: u64,
    },
    /// [`Release::read_entry`](super::Release::read_entry) or a visit asked
    /// for an entry the release does not have.
    #[error("{path}: no such entry in the release")]
    NoSuchEntry {
        /// The address asked for.
        path: EntryPath,
    },
    /// The entry is not a regular file, so it has no content to read.
    #[error("{path}: not a regular file")]
    NotAFile {
        /// The address asked for.
        path: EntryPath,
    },
    /// The entry is larger than the caller allowed.
    #[error("{path}: {size} bytes, more than the {max} this step reads")]
    TooLarge {
        /// The address asked for.
        path: EntryPath,
        /// Its size.
        size: u64,
        /// The caller's maximum.
        max: u64,
    },
    /// The release changed on disk between listing and reading.
    #[error("{path}: changed on disk while being read; rerun on a stable copy")]
    Changed {
        /// The entry.
        path: EntryPath,
    },
    /// An error raised by a visitor of [`Release::visit_contents`](super::Release::visit_contents).
    #[error("{path}: {source}")]
    Visitor {
        /// The entry being visited.
        path: EntryPath,
        /// The visitor's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ReleaseError {
    /// True when the release was read far enough to be judged unsafe: an
    /// archive real extractors read differently, a member name that escapes
    /// or passes through a link, or a member whose size lies. That is a
    /// verdict on the vendor's material, so `verify` and the audit report it
    /// as a failed (critical) check rather than as an input they could not
    /// use; the other errors (cannot open, truncated, over a limit) are
    /// input errors.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Ambiguous { .. } | Self::UnsafeName { .. } | Self::SizeMismatch { .. }
        )
    }
}

impl ReleaseError {
    /// Wraps a visitor's own error, naming the entry.
    pub fn visitor(
        path: &EntryPath,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        ReleaseError::Visitor {
            path: path.clone(),
            source: source.into(),
        }
    }

    /// Converts an I/O error seen while reading an entry's content. When the
    /// I/O error carries a `ReleaseError` (a limit tripped inside the reader
    /// handed to a visitor) that error is returned as is; otherwise the
    /// content was unreadable, reported as [`ReleaseError::Corrupt`] at
    /// `path` (the archive is the entry's container).
    pub fn from_io(path: &EntryPath, e: io::Error) -> Self {
        match unwrap_io(e) {
            Ok(r) => r,
            Err(e) => ReleaseError::Corrupt {
                archive: path
                    .container()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "release".into()),
                entry: path.inner().to_string(),
                offset: 0,
                reason: e.to_string(),
            },
        }
    }

    /// The message without the archive name and advice, for a finding
    /// that already names the nested archive.
    pub(crate) fn brief(&self) -> String {
        match self {
            ReleaseError::Corrupt {
                entry,
                offset,
                reason,
                ..
            } if entry.is_empty() => format!("corrupt at byte {offset}: {reason}"),
            ReleaseError::Corrupt {
                entry,
                offset,
                reason,
                ..
            } => format!("entry `{entry}` at byte {offset}: corrupt: {reason}"),
            ReleaseError::SizeMismatch {
                entry,
                offset,
                declared,
                actual,
                ..
            } => format!(
                "entry `{entry}` at byte {offset}: declared size {declared}, content {actual} bytes"
            ),
            e => e.to_string(),
        }
    }

    pub(crate) fn into_io(self) -> io::Error {
        io::Error::other(self)
    }
}

/// Takes a `ReleaseError` back out of an `io::Error` made by
/// [`ReleaseError::into_io`], or returns the I/O error.
pub(crate) fn unwrap_io(e: io::Error) -> Result<ReleaseError, io::Error> {
    if e.get_ref().is_some_and(|i| i.is::<ReleaseError>()) {
        let inner = e.into_inner().expect("checked above");
        Ok(*inner.downcast::<ReleaseError>().expect("checked above"))
    } else {
        Err(e)
    }
}

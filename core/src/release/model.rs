//! The release model shared by every reader and by every consumer (diff,
//! repro, verify, report).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::digest::Digests;

/// One path component sequence inside a container, kept as raw bytes so
/// non-UTF-8 names survive losslessly. Components are separated by `/`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RawPath(pub Vec<u8>);

impl RawPath {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The path as UTF-8 when it is valid UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The last component (file name).
    pub fn file_name(&self) -> &[u8] {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(i) => &self.0[i + 1..],
            None => &self.0,
        }
    }
}

impl From<&str> for RawPath {
    fn from(s: &str) -> Self {
        RawPath(s.as_bytes().to_vec())
    }
}

/// Writes bytes as text: valid UTF-8 as is, every other byte as `\xNN`, and
/// a literal backslash as `\\`, so the escaped form is unambiguous.
pub fn write_escaped(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                c if c.is_control() => write!(f, "\\x{:02x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

impl fmt::Display for RawPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, &self.0)
    }
}

impl fmt::Debug for RawPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl Serialize for RawPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where an entry lives: the chain of containers from the release root to the
/// entry, addressed as `outer.zip!inner.tar.gz!path/file`.
///
/// Ordering is the byte order of the components, container by container,
/// which is the deterministic order every listing uses.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryPath {
    /// Outermost first; the last element is the path inside the innermost
    /// container. Never empty.
    segments: Vec<RawPath>,
}

impl EntryPath {
    /// A top-level entry of the release.
    pub fn top(path: RawPath) -> Self {
        Self {
            segments: vec![path],
        }
    }

    /// An entry inside the nested container `self`.
    pub fn child(&self, path: RawPath) -> Self {
        let mut segments = self.segments.clone();
        segments.push(path);
        Self { segments }
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[RawPath] {
        &self.segments
    }

    /// The path inside the innermost container.
    pub fn inner(&self) -> &RawPath {
        self.segments.last().expect("EntryPath is never empty")
    }

    /// The container this entry is nested in, if any.
    pub fn container(&self) -> Option<EntryPath> {
        (self.segments.len() > 1).then(|| EntryPath {
            segments: self.segments[..self.segments.len() - 1].to_vec(),
        })
    }

    /// The entry a hard link at `self` names: `link` (normalised as
    /// extractors do, `./a` is `a`) from the root of the archive `self` is
    /// in — tar(5) link names are archive paths, at any depth.
    pub fn hardlink_target(&self, link: &RawPath) -> EntryPath {
        let mut segments = self.segments.clone();
        *segments.last_mut().expect("EntryPath is never empty") =
            RawPath(super::walk::normalise(link.as_bytes()));
        Self { segments }
    }

    /// How many containers deep the entry is (0 for a top-level entry).
    pub fn depth(&self) -> usize {
        self.segments.len() - 1
    }
}

impl fmt::Display for EntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str("!")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for EntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl Serialize for EntryPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What kind of filesystem object an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file with content.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (see [`Entry::link_target`]).
    Symlink,
    /// A hard link to another entry of the same archive.
    Hardlink,
    /// Device, FIFO, socket or anything else; never read.
    Other,
}

impl EntryKind {
    /// The lowercase name used in listings and JSON (`file`, `dir`, ...).
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::Other => "other",
        }
    }
}

/// Ownership as recorded by the container (tar, ar) or the filesystem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Owner {
    /// Numeric user id.
    pub uid: Option<u64>,
    /// Numeric group id.
    pub gid: Option<u64>,
    /// User name (tar uname).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Group name (tar gname).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// A container or content format the registry recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A directory tree on disk.
    Directory,
    /// POSIX tar (ustar, GNU, pax).
    Tar,
    /// gzip-compressed tar.
    TarGz,
    /// xz-compressed tar.
    TarXz,
    /// zstd-compressed tar.
    TarZst,
    /// bzip2-compressed tar.
    TarBz2,
    /// A single gzip-compressed file.
    Gz,
    /// A single xz-compressed file.
    Xz,
    /// A single zstd-compressed file.
    Zst,
    /// A single bzip2-compressed file.
    Bz2,
    /// zip, and zip-based formats (jar, apk, whl).
    Zip,
    /// Unix `ar` archive.
    Ar,
    /// Debian package (an `ar` with control.tar.* and data.tar.*).
    Deb,
    /// RPM package: its payload's files, rooted at `/`.
    Rpm,
    /// A plain file that is not a container.
    File,
}

impl Format {
    /// The short name used in listings and messages (`tar.gz`, `zip`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Format::Directory => "directory",
            Format::Tar => "tar",
            Format::TarGz => "tar.gz",
            Format::TarXz => "tar.xz",
            Format::TarZst => "tar.zst",
            Format::TarBz2 => "tar.bz2",
            Format::Gz => "gz",
            Format::Xz => "xz",
            Format::Zst => "zst",
            Format::Bz2 => "bz2",
            Format::Zip => "zip",
            Format::Ar => "ar",
            Format::Deb => "deb",
            Format::Rpm => "rpm",
            Format::File => "file",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Full address, including enclosing containers.
    pub path: EntryPath,
    /// File, directory, link, ...
    pub kind: EntryKind,
    /// Content size in bytes (0 for non-files).
    pub size: u64,
    /// Permission bits (and file type bits where the container records them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Modification time, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
    /// Owner, where recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Target of a symlink or hardlink, as recorded (never followed blindly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<RawPath>,
    /// Digests of the content, for files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digests: Option<Digests>,
    /// Format of the container this entry was read from.
    pub format: Format,
    /// When this entry is itself a container that was expanded, its format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expanded_as: Option<Format>,
    /// The raw header fields reproducibility is judged on, where the
    /// reader records them (directory files: mtime with nanoseconds,
    /// owner). Not part of the listing's JSON.
    #[serde(skip)]
    pub header: Option<Box<RawHeader>>,
}

/// A recorded field that carries no content but when, where or by whom an
/// artifact was built (an mtime, an owner, a compression parameter);
/// `repro` decides which named normalization may ignore each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// tar header mtime, GNU atime/ctime.
    TarMtime,
    /// tar header uid, gid, uname, gname.
    TarOwner,
    /// pax time records.
    TarPaxTimes,
    /// zip MS-DOS date and time.
    ZipDosTime,
    /// zip time and unix-owner extra fields.
    ZipExtraFields,
    /// How a member's bytes were compressed (method parameters, the
    /// compressed bytes' digest).
    CompressedStream,
    /// ar member mtime, uid, gid.
    ArMetadata,
    /// Directory file mtime.
    FileMtime,
    /// Directory file owner.
    FileOwner,
    /// `.pyc` source mtime (PEP 552).
    PycSourceMtime,
    /// PE COFF TimeDateStamp and CheckSum.
    PeTimestamp,
    /// Timestamps in a jar manifest.
    JarManifestTimestamps,
    /// PNG tIME chunk.
    PngTime,
}

/// What the container recorded about an entry beyond its [`Entry`] fields,
/// kept so reproducibility can be judged on the listing itself (`repro`
/// builds its canonical tree from it instead of reading the release a
/// second time): the header bytes that must match exactly apart from the
/// [`Field`]s a named normalization may ignore.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawHeader {
    /// Format-specific header bytes that must match exactly.
    pub strict: Vec<u8>,
    /// Values of the fields a named normalization may ignore, in the order
    /// the header holds them.
    pub fields: Vec<(Field, Vec<u8>)>,
    /// The member's place in its container's stored order (tar and ar:
    /// stream order; zip: central-directory order). The listing is sorted
    /// by path, so this is what keeps the order a rebuild must reproduce.
    pub order: u64,
    /// The permission bits reproducibility compares, as the container
    /// records them (`None` when it records none, as a zip made on a
    /// non-Unix host).
    pub mode: Option<u32>,
    /// When the member is a container that was expanded: what its reader
    /// recorded about the container itself.
    pub container: Option<ContainerFacts>,
}

/// What a container's reader records about the container itself rather than
/// its members, for reproducibility: the compression stream around it and
/// the archive-level bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerFacts {
    /// The compression stream the container (or single file) is wrapped in.
    pub codec: Option<CodecFacts>,
    /// Archive-level bytes that must match exactly (a zip's comment).
    pub strict: Vec<u8>,
    /// Length of the all-zero padding after a tar's end-of-archive block.
    pub padding: u64,
}

/// A compression stream as its reader saw it (RFC 1952 for gzip, RFC 8878
/// for zstd).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecFacts {
    /// The codec's format (`Gz`, `Xz`, `Zst`, `Bz2`).
    pub format: Format,
    /// Header bytes that must match (gzip: CM, flags other than FNAME; the
    /// whole header when it has FEXTRA or FCOMMENT).
    pub strict: Vec<u8>,
    /// The header fields the `gzip-header` normalization ignores (gzip
    /// MTIME, OS, FNAME when it has a file name's shape).
    pub header: Vec<u8>,
    /// SHA-256 of the compressed body (everything after the header), and
    /// gzip's XFL: differs when the same bytes were compressed differently.
    pub body: Vec<u8>,
    /// Why no normalization may speak for this stream, when none may:
    /// structure whose bytes are not read as fields (gzip members after
    /// the first, zstd skippable frames).
    pub unnormalizable: Option<String>,
    /// SHA-256 of the decompressed stream when it is a tar (a single
    /// decompressed file's digest is its entry's).
    pub payload_sha256: Option<crate::digest::Sha256Digest>,
}

/// Explicit limits on what reading an untrusted release may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// How many containers deep nested archives are expanded.
    pub max_depth: usize,
    /// Total bytes of content that may be read after decompression.
    pub max_expanded_bytes: u64,
    /// Total entries across all containers.
    pub max_entries: u64,
    /// Largest allowed ratio of decompressed to compressed bytes for any
    /// compressed stream or member (bomb defence).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 8,
            max_expanded_bytes: 64 * 1024 * 1024 * 1024,
            max_entries: 1_000_000,
            max_ratio: 1000,
        }
    }
}

/// Options for reading a release.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Resource limits.
    pub limits: Limits,
    /// Which digests to compute.
    pub digests: crate::digest::DigestSet,
    /// Expand nested archives (up to `limits.max_depth`). Off in
    /// `ReadOptions::default()`; the CLI turns it on unless `--no-nested`.
    /// A `.deb`'s control.tar.* and data.tar.* are expanded either way.
    pub expand_nested: bool,
}

/// Something suspicious found while reading that did not stop the read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadFinding {
    /// Where.
    pub path: EntryPath,
    /// What. Serialized flat: `{"path": ..., "kind": "symlink-escapes",
    /// "target": ...}`.
    #[serde(flatten)]
    pub kind: ReadFindingKind,
}

/// The kinds of [`ReadFinding`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReadFindingKind {
    /// The entry name contains a `..\` component that only Windows
    /// extractors read as one (a `/`-separated `..` is refused with
    /// [`ReleaseError::UnsafeName`](super::ReleaseError::UnsafeName)).
    ParentTraversal,
    /// The entry name starts with `\` or a drive letter, absolute only to
    /// Windows extractors (a leading `/` is refused).
    AbsolutePath,
    /// A symlink whose target resolves outside the release.
    SymlinkEscapes {
        /// The recorded target.
        target: RawPath,
    },
    /// Information, not suspicion: in a package whose paths are rooted at
    /// `/` (a `.deb`'s data.tar), a symlink with an absolute target that the
    /// package does not hold (`usr/lib/ssl/openssl.cnf ->
    /// /etc/ssl/openssl.cnf`): it points at a file of the installed system.
    SymlinkOutsidePackage {
        /// The recorded target.
        target: RawPath,
    },
    /// A symlink chain that loops.
    SymlinkLoop,
    /// The same name occurs more than once in one container. No longer
    /// reported: such archives are refused with
    /// [`ReleaseError::Ambiguous`](super::ReleaseError::Ambiguous); kept so
    /// earlier JSON output still parses.
    DuplicateName {
        /// How many times.
        count: usize,
    },
    /// A nested archive was not expanded because `max_depth` was reached.
    DepthLimitReached,
    /// A hard link whose target is absolute or climbs out with `..`. No
    /// longer reported: refused with
    /// [`ReleaseError::UnsafeName`](super::ReleaseError::UnsafeName); kept so
    /// earlier JSON output still parses.
    HardlinkEscapes {
        /// The recorded target.
        target: RawPath,
    },
    /// A nested archive was recognised but not expanded (listed as a plain
    /// file with its digest); `reason` says why.
    NotExpanded {
        /// The recognised format.
        format: Format,
        /// Why it was not expanded.
        reason: String,
    },
    /// An entry whose content cannot be read (for example an encrypted zip
    /// member); it is listed without digests.
    Unreadable {
        /// Why.
        reason: String,
    },
}

impl ReadFindingKind {
    /// Whether this is information for the auditor rather than something
    /// suspicious: informational findings never fail `manifest` or
    /// `verify`.
    pub fn is_informational(&self) -> bool {
        matches!(self, Self::SymlinkOutsidePackage { .. })
    }
}

impl fmt::Display for ReadFindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ParentTraversal => f.write_str("name contains `..`; not followed"),
            Self::AbsolutePath => f.write_str("absolute name; not followed"),
            Self::SymlinkEscapes { target } => {
                write!(
                    f,
                    "symlink to `{target}` resolves outside the release; not followed"
                )
            }
            Self::SymlinkOutsidePackage { target } => {
                write!(f, "points outside the package: {target}")
            }
            Self::SymlinkLoop => f.write_str("symlink chain loops"),
            Self::DuplicateName { count } => {
                write!(f, "name occurs {count} times in its container")
            }
            Self::DepthLimitReached => {
                f.write_str("nested archive not expanded: --max-depth reached")
            }
            Self::HardlinkEscapes { target } => {
                write!(
                    f,
                    "hard link to `{target}` points outside the container; not followed"
                )
            }
            Self::NotExpanded { format, reason } => {
                write!(f, "nested {} not expanded: {reason}", format.name())
            }
            Self::Unreadable { reason } => write!(f, "content not readable: {reason}"),
        }
    }
}

impl fmt::Display for ReadFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind)
    }
}

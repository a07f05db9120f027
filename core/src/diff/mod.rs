//! What an update changes between two releases.
//!
//! A diff runs in two stages. [`classify`] works on the two entry lists
//! only: identical files are recognised by digest without reading them
//! again, renames and moves are paired by digest (a renamed directory is one
//! event), and metadata changes are listed apart from content changes. Then
//! only the entries whose content differs are read, once per side, and
//! handed to the comparator registry in [`compare`] (text, binary,
//! executables, structured configs). Nested archives are compared member by
//! member: their entries carry the container chain in their [`EntryPath`].
//!
//! Memory stays bounded whatever the release: content is buffered only up to
//! [`DiffOptions::max_compare_bytes`] per file and
//! [`DiffOptions::max_buffered_bytes`] in all; larger files are compared in
//! lockstep chunks (directories) or by 64 KiB block digests (archives).
//!
//! The result, [`ReleaseDiff`], is data with stable serde field names; the
//! `glassbox` binary renders it (text, JSON, Markdown, HTML).

pub mod classify;
pub mod code;
pub mod compare;
mod content;
pub mod group;
mod release_source;
pub mod security;
mod source;
pub mod summary;

use std::collections::HashMap;

use serde::Serialize;

use crate::digest::Sha256Digest;
use crate::release::{Entry, EntryKind, EntryPath, Format, Limits, RawPath};

pub use compare::{
    AuthenticodeDiff, BinaryDiff, ByteRange, ContentDiff, ContentKind, DiffLine, ExecutableDiff,
    HexWindow, Hunk, KeyChange, KeyChangeOp, LineTag, SectionRow, Segment, StructuredDiff,
    SymbolChanges, TextDiff, TextEncoding,
};
pub use group::{ChangeGroup, GroupLine, NAME_PLACEHOLDER};
pub use release_source::{ReleaseSource, diff_paths, diff_releases, read_options};
pub use security::{Direction, SecurityChange, SecurityFlag};
pub use source::{ContentSource, VisitFn};
pub use summary::{ChangedExecutable, DiffSummary};

/// Version of the [`ReleaseDiff`] serialization; bumped on any incompatible
/// change of field names or meaning (see `docs/diff-schema.md`).
pub const DIFF_SCHEMA: &str = "glassbox.diff/v1";

/// What to compare and how far.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// Report every mode change and owner changes. Changes of the
    /// security-relevant mode bits ([`security::SECURITY_MODE_BITS`]:
    /// execute, setuid, setgid, sticky, world-writable) and of link targets
    /// are always reported.
    pub include_metadata: bool,
    /// Report modification-time changes (off by default: every rebuild
    /// changes them).
    pub include_mtime: bool,
    /// Glob patterns (globset syntax); an entry whose full path
    /// (`outer.zip!inner/file`) or innermost path matches any is ignored.
    pub excludes: Vec<String>,
    /// Most diff lines (text) or key changes (configs) kept per file.
    pub max_diff_lines: usize,
    /// Entries nested deeper than this many containers are ignored.
    pub max_depth: usize,
    /// Expand archives inside the releases (members compared one by one).
    pub expand_nested: bool,
    /// Limits for reading the releases.
    pub limits: Limits,
    /// Largest file (per side) whose content is buffered and compared in
    /// depth (text, config, executable); larger files get a streaming
    /// binary comparison.
    pub max_compare_bytes: u64,
    /// Total content buffered at once per side while reading archives.
    pub max_buffered_bytes: u64,
    /// Most differing byte ranges kept per file (all are counted).
    pub max_ranges: usize,
    /// Function, string and capability-surface comparison of executables.
    pub code: code::CodeOptions,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            include_metadata: false,
            include_mtime: false,
            excludes: Vec::new(),
            max_diff_lines: 2000,
            max_depth: Limits::default().max_depth,
            expand_nested: true,
            limits: Limits::default(),
            max_compare_bytes: 32 * 1024 * 1024,
            max_buffered_bytes: 512 * 1024 * 1024,
            max_ranges: 256,
            code: code::CodeOptions::default(),
        }
    }
}

/// Errors that stop a diff.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// An `--exclude` pattern is not a valid glob.
    #[error("invalid exclude pattern {pattern:?}: {reason}")]
    BadExclude {
        /// The pattern.
        pattern: String,
        /// Why globset rejected it.
        reason: String,
    },
    /// A release could not be opened.
    #[error("{side} release {path}")]
    Open {
        /// `old` or `new`.
        side: Side,
        /// The path given.
        path: String,
        /// The reader's error.
        #[source]
        source: crate::release::ReleaseError,
    },
    /// The reader failed while streaming content for the comparison.
    #[error("{side} release")]
    Release {
        /// `old` or `new`.
        side: Side,
        /// The reader's error.
        #[source]
        source: crate::release::ReleaseError,
    },
    /// Content of an entry could not be read.
    #[error("{side} release: reading {path}: {reason}")]
    Read {
        /// `old` or `new`.
        side: Side,
        /// The entry.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// Which of the two releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The release diffed from.
    Old,
    /// The release diffed to.
    New,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Old => "old",
            Side::New => "new",
        })
    }
}

/// The complete comparison of two releases.
#[derive(Clone, Debug, Serialize)]
pub struct ReleaseDiff {
    /// Always [`DIFF_SCHEMA`].
    pub schema: &'static str,
    /// The release diffed from.
    pub old: ReleaseInfo,
    /// The release diffed to.
    pub new: ReleaseInfo,
    /// True when no change of any reported class was found.
    pub identical: bool,
    /// Counts per class and the changed executables.
    pub summary: DiffSummary,
    /// Every change, sorted by path.
    pub changes: Vec<EntryChange>,
    /// Changes made the same way in several files ([`group`]), each shown
    /// once.
    pub groups: Vec<ChangeGroup>,
}

/// Which release a side of the diff is.
#[derive(Clone, Debug, Serialize)]
pub struct ReleaseInfo {
    /// Path as given.
    pub source: String,
    /// Directory or archive format.
    pub format: Format,
    /// Entries read (all depths).
    pub entries: usize,
}

/// The class of one change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeClass {
    /// Only in the new release.
    Added,
    /// Only in the old release.
    Removed,
    /// Same path, different content.
    Modified,
    /// Same path and content; mode, owner, mtime or link target changed.
    Metadata,
    /// Same content at a different path (a file, or a whole directory).
    Renamed,
    /// Same path, different kind (file became symlink, ...).
    TypeChanged,
}

impl ChangeClass {
    /// The lower-case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Added => "added",
            ChangeClass::Removed => "removed",
            ChangeClass::Modified => "modified",
            ChangeClass::Metadata => "metadata",
            ChangeClass::Renamed => "renamed",
            ChangeClass::TypeChanged => "type-changed",
        }
    }
}

/// One side of a change: what the entry was or became.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryState {
    /// File, directory, link...
    pub kind: EntryKind,
    /// Content size in bytes.
    pub size: u64,
    /// SHA-256 of the content (files), `null` otherwise.
    pub sha256: Option<Sha256Digest>,
    /// Permission bits, where recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Symlink or hardlink target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<RawPath>,
}

impl EntryState {
    /// The state recorded for `e`.
    pub fn of(e: &Entry) -> Self {
        Self {
            kind: e.kind,
            size: e.size,
            sha256: e.digests.map(|d| d.sha256),
            mode: e.mode.map(|m| m & 0o7777),
            link_target: e.link_target.clone(),
        }
    }
}

/// A metadata field that changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetadataField {
    /// Permission bits.
    Mode,
    /// uid/gid/user/group.
    Owner,
    /// Modification time.
    Mtime,
    /// Symlink or hardlink target.
    LinkTarget,
}

/// One metadata difference, values rendered as text (`0644`, `0:0 root/root`,
/// RFC 3339 time, the link target).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MetadataChange {
    /// Which field.
    pub field: MetadataField,
    /// Old value.
    pub old: String,
    /// New value.
    pub new: String,
}

/// One change between the releases.
#[derive(Clone, Debug, Serialize)]
pub struct EntryChange {
    /// The class.
    pub class: ChangeClass,
    /// The entry's path in the new release (in the old one when removed).
    pub path: EntryPath,
    /// For renames: the path in the old release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<EntryPath>,
    /// The entry in the old release (`null` when added).
    pub old: Option<EntryState>,
    /// The entry in the new release (`null` when removed).
    pub new: Option<EntryState>,
    /// Metadata differences (also listed for modified and renamed entries).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataChange>,
    /// For a directory or container that is renamed, added or removed as a
    /// whole: how many entries below it the event covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u64>,
    /// For modified files: the content comparison. For added or removed
    /// files that were sniffed: their content kind only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentDiff>,
    /// Security-relevant changes ([`security::of`]), reported whatever the
    /// options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<SecurityChange>,
    /// Index in [`ReleaseDiff::groups`] of the group of identical changes
    /// this one belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<usize>,
}

/// Progress events, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub enum DiffProgress {
    /// A release is being read; its size in bytes.
    Opening {
        /// Which.
        side: Side,
        /// Bytes to read (archive size, or sum of file sizes).
        total_bytes: u64,
    },
    /// More bytes of a release were read.
    Read {
        /// Which.
        side: Side,
        /// How many more.
        bytes: u64,
    },
    /// Entry lists compared; `to_read` entries need their content.
    Classified {
        /// Entries whose content will be read.
        to_read: usize,
    },
    /// One more entry's content was compared.
    Compared,
}

/// Longest chain of hard links to hard links followed. Each names an
/// earlier member ([`crate::release`] refuses anything else), so a chain
/// ends; the bound keeps the work linear whatever the input.
const MAX_HARDLINK_HOPS: usize = 40;

/// What a hard link's mode is read from: each entry's kind, header mode
/// and link target, by path.
type Inodes = HashMap<EntryPath, (EntryKind, Option<u32>, Option<RawPath>)>;

fn inodes(entries: &[Entry]) -> Inodes {
    entries
        .iter()
        .map(|e| (e.path.clone(), (e.kind, e.mode, e.link_target.clone())))
        .collect()
}

/// A hard link has no permissions of its own: tar(5) extractors link it to
/// its target's inode, so a link to a setuid file is a setuid file — at the
/// top level and in a nested archive (a tar in the release, a `.deb`'s
/// data.tar) alike. Its security bits are its target's, followed through
/// links to links; when the target cannot be found the header's mode
/// stays.
fn hardlink_mode(state: &mut Option<EntryState>, at: &EntryPath, inodes: &Inodes) {
    let Some(s) = state.as_mut().filter(|s| s.kind == EntryKind::Hardlink) else {
        return;
    };
    let (mut at, mut link) = (at.clone(), s.link_target.clone());
    for _ in 0..MAX_HARDLINK_HOPS {
        let Some(l) = link else { return };
        at = at.hardlink_target(&l);
        let Some((kind, mode, next)) = inodes.get(&at) else {
            return;
        };
        if *kind != EntryKind::Hardlink {
            if mode.is_some() {
                s.mode = *mode;
            }
            return;
        }
        link = next.clone();
    }
}

/// Compares two releases: classification by entry list and digest, then an
/// in-depth comparison of the entries whose content differs.
pub fn diff_sources(
    old: &dyn ContentSource,
    new: &dyn ContentSource,
    opts: &DiffOptions,
    progress: &(dyn Fn(DiffProgress) + Sync),
) -> Result<ReleaseDiff, DiffError> {
    let aliased = source::Aliased::single_files(old, new);
    let new: &dyn ContentSource = match &aliased {
        Some(a) => a,
        None => new,
    };
    let mut changes = classify::classify(old.entries(), new.entries(), opts)?;
    let (old_inodes, new_inodes) = (inodes(old.entries()), inodes(new.entries()));
    for c in &mut changes {
        let mut view = c.clone();
        let old_at = c.old_path.as_ref().unwrap_or(&c.path);
        hardlink_mode(&mut view.old, old_at, &old_inodes);
        hardlink_mode(&mut view.new, &c.path, &new_inodes);
        c.security = security::of(&view);
    }
    let to_read = changes.iter().filter(|c| content::wants_content(c)).count();
    progress(DiffProgress::Classified { to_read });
    content::fill_content(old, new, &mut changes, opts, progress)?;
    let summary = DiffSummary::of(&changes);
    let groups = group::group(&mut changes);
    Ok(ReleaseDiff {
        schema: DIFF_SCHEMA,
        old: old.info(),
        new: new.info(),
        identical: changes.is_empty(),
        summary,
        changes,
        groups,
    })
}

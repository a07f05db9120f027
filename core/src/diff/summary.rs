//! The summary of a diff for the audit report: counts per class and the
//! executables that changed.

use serde::Serialize;

use crate::digest::Sha256Digest;
use crate::release::EntryPath;

use super::{ChangeClass, ContentKind, EntryChange};

/// Counts per class, and the changed executables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    /// Entries added.
    pub added: u64,
    /// Entries removed.
    pub removed: u64,
    /// Files whose content changed.
    pub modified: u64,
    /// Entries whose metadata only changed.
    pub metadata: u64,
    /// Files and directories renamed or moved.
    pub renamed: u64,
    /// Entries whose kind changed.
    pub type_changed: u64,
    /// Executables and libraries added, removed or modified.
    pub changed_executables: Vec<ChangedExecutable>,
}

/// An executable or library that an update adds, removes or modifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangedExecutable {
    /// Where (new path; old path when removed).
    pub path: EntryPath,
    /// Added, removed or modified.
    pub class: ChangeClass,
    /// `elf`, `pe` or `macho`.
    pub format: String,
    /// Old content digest.
    pub old_sha256: Option<Sha256Digest>,
    /// New content digest.
    pub new_sha256: Option<Sha256Digest>,
    /// Modified, yet the build-id is unchanged: patched after linking.
    pub build_id_unchanged: bool,
    /// Modified only in sections tools rewrite after linking
    /// (`.gnu_debuglink`...), build-id unchanged: "debug link updated".
    pub debug_link_updated: bool,
    /// A PE file whose Authenticode signature changed while the image it
    /// covers (its Authenticode digest) did not: "code identical,
    /// re-signed".
    pub code_identical_resigned: bool,
}

impl DiffSummary {
    /// Summarises classified (and compared) changes.
    pub fn of(changes: &[EntryChange]) -> Self {
        let mut s = DiffSummary::default();
        for c in changes {
            *match c.class {
                ChangeClass::Added => &mut s.added,
                ChangeClass::Removed => &mut s.removed,
                ChangeClass::Modified => &mut s.modified,
                ChangeClass::Metadata => &mut s.metadata,
                ChangeClass::Renamed => &mut s.renamed,
                ChangeClass::TypeChanged => &mut s.type_changed,
            } += 1;
            let Some(content) = &c.content else { continue };
            if content.kind != Some(ContentKind::Executable) {
                continue;
            }
            s.changed_executables.push(ChangedExecutable {
                path: c.path.clone(),
                class: c.class,
                format: content
                    .executable_format
                    .clone()
                    .unwrap_or_else(|| "object".into()),
                old_sha256: c.old.as_ref().and_then(|o| o.sha256),
                new_sha256: c.new.as_ref().and_then(|n| n.sha256),
                build_id_unchanged: content
                    .executable
                    .as_ref()
                    .is_some_and(|e| e.build_id_unchanged),
                debug_link_updated: content
                    .executable
                    .as_ref()
                    .is_some_and(|e| !e.debug_link_updated.is_empty()),
                code_identical_resigned: content
                    .authenticode
                    .as_ref()
                    .is_some_and(|a| a.resigned_only()),
            });
        }
        s
    }

    /// Total number of changes.
    pub fn total(&self) -> u64 {
        self.added + self.removed + self.modified + self.metadata + self.renamed + self.type_changed
    }
}

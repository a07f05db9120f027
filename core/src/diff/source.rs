//! Where the differ gets content from: a release read by the release
//! reader, or (in tests) entries held in memory.

use std::io::Read;

use crate::release::{Entry, EntryPath, Format, RawPath};

use super::{DiffError, ReleaseInfo};

/// The visitor handed to [`ContentSource::visit`]: called once per selected
/// file entry with a reader over its content.
pub type VisitFn<'a> = dyn FnMut(&Entry, &mut dyn Read) -> Result<(), DiffError> + 'a;

/// A release as the differ sees it: its entries, and a way to read the
/// content of some of them.
pub trait ContentSource: Sync {
    /// Which release this is.
    fn info(&self) -> ReleaseInfo;

    /// Every entry, sorted by path.
    fn entries(&self) -> &[Entry];

    /// Opens one entry for reading on its own, when the source allows
    /// random access (a file of a directory release). `None` when the entry
    /// can only be reached by [`visit`](Self::visit).
    fn open(&self, entry: &Entry) -> Option<std::io::Result<Box<dyn Read + Send + '_>>>;

    /// Streams the content of every file entry `select` accepts, each
    /// container read once.
    fn visit(
        &self,
        select: &(dyn Fn(&Entry) -> bool + Sync),
        visit: &mut VisitFn<'_>,
    ) -> Result<(), DiffError>;
}

/// A release seen with its top-level name replaced: two single-file
/// artifacts (`app-1.0.bin` vs `app-1.1.bin`, or `x.gz` vs `y.gz`) are then
/// compared as one file that changed rather than one removed and one added.
pub(crate) struct Aliased<'a> {
    inner: &'a dyn ContentSource,
    from: RawPath,
    to: RawPath,
    entries: Vec<Entry>,
}

fn rename_top(e: &Entry, from: &RawPath, to: &RawPath) -> Entry {
    let segs = e.path.segments();
    if &segs[0] != from {
        return e.clone();
    }
    let mut p = EntryPath::top(to.clone());
    for s in &segs[1..] {
        p = p.child(s.clone());
    }
    Entry {
        path: p,
        ..e.clone()
    }
}

impl<'a> Aliased<'a> {
    /// When both releases are one top-level file (a plain file, or a
    /// single compressed file) with different names: the new side renamed
    /// to the old side's name.
    pub(crate) fn single_files(
        old: &dyn ContentSource,
        new: &'a dyn ContentSource,
    ) -> Option<Self> {
        let single = |src: &dyn ContentSource| {
            let single_format = matches!(
                src.info().format,
                Format::File | Format::Gz | Format::Xz | Format::Zst | Format::Bz2
            );
            let mut tops = src.entries().iter().filter(|e| e.path.depth() == 0);
            match (tops.next(), tops.next()) {
                (Some(e), None) if single_format => Some(e.path.inner().clone()),
                _ => None,
            }
        };
        let (from, to) = (single(new)?, single(old)?);
        if from == to {
            return None;
        }
        let entries = new
            .entries()
            .iter()
            .map(|e| rename_top(e, &from, &to))
            .collect();
        Some(Self {
            inner: new,
            from,
            to,
            entries,
        })
    }
}

impl ContentSource for Aliased<'_> {
    fn info(&self) -> ReleaseInfo {
        self.inner.info()
    }

    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn open(&self, entry: &Entry) -> Option<std::io::Result<Box<dyn Read + Send + '_>>> {
        self.inner.open(&rename_top(entry, &self.to, &self.from))
    }

    fn visit(
        &self,
        select: &(dyn Fn(&Entry) -> bool + Sync),
        visit: &mut VisitFn<'_>,
    ) -> Result<(), DiffError> {
        let (from, to) = (&self.from, &self.to);
        self.inner.visit(
            &|e: &Entry| select(&rename_top(e, from, to)),
            &mut |e: &Entry, r: &mut dyn Read| visit(&rename_top(e, from, to), r),
        )
    }
}

#[cfg(test)]
pub(crate) mod memory {
    //! An in-memory release for unit tests.

    use std::collections::HashMap;

    use super::*;
    use crate::digest::{DigestSet, MultiHasher};
    use crate::release::EntryKind;

    /// Entries with their content in memory.
    pub struct MemoryRelease {
        pub entries: Vec<Entry>,
        pub content: HashMap<EntryPath, Vec<u8>>,
        /// Whether `open` works (like a directory) or only `visit` (like an archive).
        pub random_access: bool,
    }

    /// Parses `a/b.zip!c` into an EntryPath.
    pub fn path(s: &str) -> EntryPath {
        let mut parts = s.split('!');
        let mut p = EntryPath::top(RawPath::from(parts.next().unwrap()));
        for part in parts {
            p = p.child(RawPath::from(part));
        }
        p
    }

    pub fn file(p: &str, content: &[u8]) -> (Entry, Vec<u8>) {
        let mut h = MultiHasher::new(DigestSet::default());
        h.update(content);
        (
            Entry {
                path: path(p),
                kind: EntryKind::File,
                size: content.len() as u64,
                mode: Some(0o100644),
                mtime: Some(1_700_000_000),
                owner: None,
                link_target: None,
                digests: Some(h.finish()),
                format: Format::Directory,
                expanded_as: None,
                header: None,
            },
            content.to_vec(),
        )
    }

    pub fn dir(p: &str) -> Entry {
        Entry {
            path: path(p),
            kind: EntryKind::Dir,
            size: 0,
            mode: Some(0o040755),
            mtime: Some(1_700_000_000),
            owner: None,
            link_target: None,
            digests: None,
            format: Format::Directory,
            expanded_as: None,
            header: None,
        }
    }

    pub fn symlink(p: &str, target: &str) -> Entry {
        Entry {
            kind: EntryKind::Symlink,
            link_target: Some(RawPath::from(target)),
            mode: Some(0o120777),
            ..dir(p)
        }
    }

    impl MemoryRelease {
        pub fn new(random_access: bool) -> Self {
            Self {
                entries: Vec::new(),
                content: HashMap::new(),
                random_access,
            }
        }

        pub fn with_file(mut self, p: &str, content: &[u8]) -> Self {
            let (e, c) = file(p, content);
            self.content.insert(e.path.clone(), c);
            self.push(e)
        }

        pub fn push(mut self, e: Entry) -> Self {
            self.entries.push(e);
            self.entries.sort_by(|a, b| a.path.cmp(&b.path));
            self
        }
    }

    impl ContentSource for MemoryRelease {
        fn info(&self) -> ReleaseInfo {
            ReleaseInfo {
                source: "memory".into(),
                format: Format::Directory,
                entries: self.entries.len(),
            }
        }

        fn entries(&self) -> &[Entry] {
            &self.entries
        }

        fn open(&self, entry: &Entry) -> Option<std::io::Result<Box<dyn Read + Send + '_>>> {
            if !self.random_access || entry.path.depth() > 0 {
                return None;
            }
            let c = self.content.get(&entry.path)?;
            Some(Ok(Box::new(&c[..])))
        }

        fn visit(
            &self,
            select: &(dyn Fn(&Entry) -> bool + Sync),
            visit: &mut VisitFn<'_>,
        ) -> Result<(), DiffError> {
            for e in &self.entries {
                if e.kind == EntryKind::File && select(e) {
                    let c = &self.content[&e.path];
                    visit(e, &mut &c[..])?;
                }
            }
            Ok(())
        }
    }
}

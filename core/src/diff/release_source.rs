//! The release reader as a [`ContentSource`], and [`diff_paths`]: open two
//! releases (in parallel) and diff them.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::release::{Entry, EntryKind, Format, Progress, ReadOptions, Release, ReleaseError};

use super::{
    ContentSource, DiffError, DiffOptions, DiffProgress, ReleaseDiff, ReleaseInfo, Side, VisitFn,
    diff_sources,
};

/// A [`Release`] with the side it plays, so reader errors name it.
pub struct ReleaseSource<'r> {
    release: &'r Release,
    side: Side,
}

impl<'r> ReleaseSource<'r> {
    /// Wraps an opened release.
    pub fn new(release: &'r Release, side: Side) -> Self {
        Self { release, side }
    }
}

impl ContentSource for ReleaseSource<'_> {
    fn info(&self) -> ReleaseInfo {
        ReleaseInfo {
            source: self.release.source.display().to_string(),
            format: self.release.format,
            entries: self.release.entries.len(),
        }
    }

    fn entries(&self) -> &[Entry] {
        &self.release.entries
    }

    /// Top-level files of a directory release are opened directly, after
    /// checking they are still regular files (not swapped for a symlink) of
    /// the listed size; reads never go past the listed size.
    fn open(&self, entry: &Entry) -> Option<std::io::Result<Box<dyn Read + Send + '_>>> {
        if self.release.format != Format::Directory
            || entry.path.depth() > 0
            || entry.kind != EntryKind::File
        {
            return None;
        }
        let full = self
            .release
            .source
            .join(std::ffi::OsStr::from_bytes(entry.path.inner().as_bytes()));
        let open = || -> std::io::Result<Box<dyn Read + Send + '_>> {
            // No link followed, the inode re-checked (fsio); and the
            // size must still be the listed one.
            let changed = || std::io::Error::other("changed since it was listed");
            let f = crate::fsio::open_checked(&full).map_err(|e| match e {
                crate::fsio::OpenSameError::Io(e) => e,
                crate::fsio::OpenSameError::Changed => changed(),
            })?;
            if f.metadata()?.len() != entry.size {
                return Err(changed());
            }
            Ok(Box::new(
                std::io::BufReader::with_capacity(256 * 1024, f).take(entry.size),
            ))
        };
        Some(open())
    }

    fn visit(
        &self,
        select: &(dyn Fn(&Entry) -> bool + Sync),
        visit: &mut VisitFn<'_>,
    ) -> Result<(), DiffError> {
        let side = self.side;
        self.release
            .visit_contents(select, &mut |e, r| {
                visit(e, r).map_err(|d| ReleaseError::visitor(&e.path, d))
            })
            .map_err(|source| DiffError::Release { side, source })
    }
}

/// Forwards the reader's byte progress, naming the side.
struct OpenProgress<'p> {
    side: Side,
    progress: &'p (dyn Fn(DiffProgress) + Sync),
}

impl Progress for OpenProgress<'_> {
    fn start(&self, total_bytes: u64) {
        (self.progress)(DiffProgress::Opening {
            side: self.side,
            total_bytes,
        });
    }

    fn advance(&self, bytes: u64) {
        (self.progress)(DiffProgress::Read {
            side: self.side,
            bytes,
        });
    }
}

/// The read options a diff uses: the diff's limits, nested archives
/// expanded (when asked) up to `max_depth`.
pub fn read_options(opts: &DiffOptions) -> ReadOptions {
    let mut limits = opts.limits;
    limits.max_depth = limits.max_depth.min(opts.max_depth);
    ReadOptions {
        limits,
        digests: Default::default(),
        expand_nested: opts.expand_nested,
    }
}

/// Diffs two releases already opened (for callers that also need the
/// releases themselves, like `repro` and `audit`).
pub fn diff_releases(
    old: &Release,
    new: &Release,
    opts: &DiffOptions,
    progress: &(dyn Fn(DiffProgress) + Sync),
) -> Result<ReleaseDiff, DiffError> {
    diff_sources(
        &ReleaseSource::new(old, Side::Old),
        &ReleaseSource::new(new, Side::New),
        opts,
        progress,
    )
}

/// Opens two releases (directories or archives, in parallel) and diffs them.
pub fn diff_paths(
    old: &Path,
    new: &Path,
    opts: &DiffOptions,
    progress: &(dyn Fn(DiffProgress) + Sync),
) -> Result<ReleaseDiff, DiffError> {
    let ro = read_options(opts);
    let open = |path: &Path, side| {
        let p = OpenProgress { side, progress };
        Release::open_with_progress(path, &ro, Some(&p)).map_err(|source| DiffError::Open {
            side,
            path: path.display().to_string(),
            source,
        })
    };
    let (a, b) = rayon::join(|| open(old, Side::Old), || open(new, Side::New));
    let (a, b) = (a?, b?);
    diff_sources(
        &ReleaseSource::new(&a, Side::Old),
        &ReleaseSource::new(&b, Side::New),
        opts,
        progress,
    )
}

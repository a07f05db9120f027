//! The releases of a case (the release under audit, the previous one, the
//! rebuild), each read **once** through `core::release` and shared by
//! reference by every check that needs it: the inputs' digests, the
//! signatures, the diff.
//!
//! One reading serves them all because it is made with the union of what
//! they need: SHA-512 when a policy is to be checked, nested archives
//! expanded when a diff runs. Where a check's own reading would have come
//! out differently, the check reads the release again with its own
//! options rather than see something else (the audit's verdicts do not
//! depend on which checks share a reading):
//! - the reading failed (a limit crossed only because nested archives
//!   were expanded, an unreadable release): each check reads on its own
//!   and reports its own error, as it would alone;
//! - the verifier reads without nested expansion: it is given the shared
//!   reading without what nesting added ([`Release::without_nesting`]).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diff::DiffOptions;
use crate::release::{ReadOptions, Release, ReleaseError};
use crate::repro::ReproOptions;

use super::case::AuditCase;

/// One release of the case, read at most once, on first use.
#[derive(Debug)]
pub struct SharedRelease {
    path: PathBuf,
    opts: ReadOptions,
    read: OnceLock<Result<Release, ReleaseError>>,
    /// The reading without what nested expansion added, for the verifier.
    plain: OnceLock<Release>,
    /// Times the shared reading was made (0 or 1).
    shared_reads: AtomicUsize,
    /// Times a check was told to read on its own instead.
    own_reads: AtomicUsize,
}

/// How often a release was read during an audit ([`SharedRelease::reads`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    /// The shared reading (0 or 1).
    pub shared: usize,
    /// Readings checks made on their own because the shared one was not
    /// theirs (see the module documentation).
    pub own: usize,
}

impl SharedRelease {
    fn new(path: &Path, opts: ReadOptions) -> Self {
        Self {
            path: path.to_path_buf(),
            opts,
            read: OnceLock::new(),
            plain: OnceLock::new(),
            shared_reads: AtomicUsize::new(0),
            own_reads: AtomicUsize::new(0),
        }
    }

    /// How often this release has been listed so far by the audit's
    /// checks. The repro check builds a directory's canonical tree from the
    /// listing (reading again only the files whose bytes differ from the
    /// other side's); an archive's is still a second pass over its bytes
    /// (its raw header bytes are not yet in the listing), not counted here.
    pub fn reads(&self) -> Reads {
        Reads {
            shared: self.shared_reads.load(Ordering::Relaxed),
            own: self.own_reads.load(Ordering::Relaxed),
        }
    }

    /// `reading` when a check can use it, else a count of the reading the
    /// check will make on its own.
    fn usable<'a>(&self, reading: Option<&'a Release>) -> Option<&'a Release> {
        if reading.is_none() {
            self.own_reads.fetch_add(1, Ordering::Relaxed);
        }
        reading
    }

    /// Where the release is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The one reading (made now if not yet).
    pub fn read(&self) -> Result<&Release, &ReleaseError> {
        self.read
            .get_or_init(|| {
                self.shared_reads.fetch_add(1, Ordering::Relaxed);
                Release::open(&self.path, &self.opts)
            })
            .as_ref()
    }

    /// The reading, for the inputs' digests (top-level files only, so any
    /// successful reading is the same as a plain one).
    pub fn for_inputs(&self) -> Option<&Release> {
        self.usable(self.read().ok())
    }

    /// The reading as the signature verifier's own
    /// ([`crate::sig::release::read_options`]) would give it: the shared
    /// one, or, when nested expansion changed it, the shared one without
    /// what nesting added ([`Release::without_nesting`], derived once, not
    /// read again).
    pub fn for_verify(&self) -> Option<&Release> {
        let release = self
            .read()
            .ok()
            .filter(|_| self.opts.digests.sha512)
            .map(|r| {
                if r.nesting_changed() {
                    self.plain.get_or_init(|| r.without_nesting())
                } else {
                    r
                }
            });
        self.usable(release)
    }

    /// The reading, when it is what the diff's own would give.
    pub fn for_diff(&self, opts: &DiffOptions) -> Option<&Release> {
        self.read_as(&crate::diff::read_options(opts))
    }

    /// The reading, when it is what the repro check's own would give
    /// ([`crate::repro::read_options`]).
    pub fn for_repro(&self, opts: &ReproOptions) -> Option<&Release> {
        self.read_as(&crate::repro::read_options(opts))
    }

    /// The reading, when it was made as `want` would make it (the digests
    /// may be more: a check ignores a digest it did not ask for).
    fn read_as(&self, want: &ReadOptions) -> Option<&Release> {
        let same = self.opts.expand_nested == want.expand_nested && self.opts.limits == want.limits;
        let release = if same { self.read().ok() } else { None };
        self.usable(release)
    }
}

/// The case's releases, each read once.
#[derive(Debug)]
pub struct Releases {
    /// The release under audit.
    pub release: SharedRelease,
    /// The previous release, if the case names one.
    pub previous: Option<SharedRelease>,
    /// The auditor's rebuild, if the case names one.
    pub rebuild: Option<SharedRelease>,
}

impl Releases {
    /// Prepares the readings of `case`'s releases with the options of the
    /// checks the case runs (nothing is read yet).
    pub fn new(case: &AuditCase) -> Self {
        // The diff and the repro check (whose evidence is a diff) read
        // nested archives; the inputs and the verifier take any reading.
        let nested = crate::diff::read_options(&DiffOptions::default());
        let mut opts = if case.previous.is_some() || case.rebuild.is_some() {
            nested.clone()
        } else {
            ReadOptions::default()
        };
        if case.policy.is_some() {
            opts.digests = crate::sig::release::read_options().digests;
        }
        Self {
            release: SharedRelease::new(&case.release.path.resolved, opts.clone()),
            previous: case
                .previous
                .as_ref()
                .map(|p| SharedRelease::new(&p.path.resolved, opts.clone())),
            rebuild: case
                .rebuild
                .as_ref()
                .map(|r| SharedRelease::new(&r.resolved, nested.clone())),
        }
    }

    /// Reads, in parallel, every release some check will need: each one
    /// the inputs hash as a directory, and the release and previous
    /// release when signatures or a diff are checked.
    pub fn prefetch(&self, case: &AuditCase) {
        let checked = case.policy.is_some() || case.previous.is_some();
        let wanted: Vec<&SharedRelease> = std::iter::once(&self.release)
            .chain(&self.previous)
            .filter(|r| checked || case.rebuild.is_some() || r.path.is_dir())
            .chain(&self.rebuild)
            .collect();
        use rayon::prelude::*;
        wanted.par_iter().for_each(|r| {
            let _ = r.read();
        });
    }
}

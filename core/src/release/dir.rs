//! A release that is a directory tree. The tree is listed without ever
//! following a symlink (`symlink_metadata`), then its files are hashed in
//! parallel (rayon); the listing is sorted afterwards, so the order never
//! depends on scheduling.

use std::fs::{self, File, Metadata};
use std::io::{self, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::limits::{Budget, Place};
use super::walk::{Collected, Content, Names, Out, Progress, VisitState, Walk};
use super::{
    Entry, EntryKind, EntryPath, Field, Format, Owner, RawHeader, RawPath, ReadOptions,
    ReleaseError,
};

/// A listed regular file, hashed in the second phase.
struct Pending {
    entry: Entry,
    full: PathBuf,
    dev: u64,
    ino: u64,
}

fn io_err(path: &Path, e: io::Error) -> ReleaseError {
    ReleaseError::Open {
        path: path.to_path_buf(),
        error: e,
    }
}

fn kind_of(meta: &Metadata) -> EntryKind {
    let ft = meta.file_type();
    if ft.is_file() {
        EntryKind::File
    } else if ft.is_dir() {
        EntryKind::Dir
    } else if ft.is_symlink() {
        EntryKind::Symlink
    } else {
        EntryKind::Other
    }
}

fn entry_of(path: EntryPath, meta: &Metadata, link: Option<RawPath>) -> Entry {
    let kind = kind_of(meta);
    Entry {
        path,
        kind,
        size: if kind == EntryKind::File {
            meta.len()
        } else {
            0
        },
        mode: Some(meta.permissions().mode()),
        mtime: Some(meta.mtime()),
        owner: Some(Owner {
            uid: Some(u64::from(meta.uid())),
            gid: Some(u64::from(meta.gid())),
            user: None,
            group: None,
        }),
        link_target: link,
        digests: None,
        format: Format::Directory,
        expanded_as: None,
        header: Some(Box::new(raw_header(meta))),
    }
}

/// What reproducibility compares of a directory file beyond its [`Entry`]:
/// the mtime with its nanoseconds and the numeric owner, as the
/// normalizable [`Field::FileMtime`] and [`Field::FileOwner`].
pub(crate) fn raw_header(meta: &Metadata) -> RawHeader {
    RawHeader {
        strict: Vec::new(),
        fields: vec![
            (
                Field::FileMtime,
                [meta.mtime().to_le_bytes(), meta.mtime_nsec().to_le_bytes()].concat(),
            ),
            (
                Field::FileOwner,
                [meta.uid().to_le_bytes(), meta.gid().to_le_bytes()].concat(),
            ),
        ],
        // A directory has no stored order: it is compared in path order.
        order: 0,
        mode: Some(meta.mode() & 0o7777),
        container: None,
    }
}

/// Lists `root` depth-first without following symlinks. Directories are
/// entered by name only, so a symlinked directory is listed as a symlink
/// and never walked: symlink loops cannot make this spin.
fn list(
    walk: &mut Walk<'_, '_>,
    names: &mut Names,
    rel: &[u8],
    dir: &Path,
    files: &mut Vec<Pending>,
    others: &mut Vec<Entry>,
) -> Result<(), ReleaseError> {
    let children = crate::fsio::list_dir(dir).map_err(|e| io_err(dir, e))?;
    for name in children {
        let full = dir.join(&name);
        let mut child_rel = rel.to_vec();
        if !child_rel.is_empty() {
            child_rel.push(b'/');
        }
        child_rel.extend_from_slice(name.as_bytes());
        let meta = fs::symlink_metadata(&full).map_err(|e| io_err(&full, e))?;
        let kind = kind_of(&meta);
        let link = if kind == EntryKind::Symlink {
            Some(
                fs::read_link(&full)
                    .map_err(|e| io_err(&full, e))?
                    .as_os_str()
                    .as_bytes()
                    .to_vec(),
            )
        } else {
            None
        };
        let path = walk.admit(names, &child_rel, kind, link.as_deref())?;
        let entry = entry_of(path, &meta, link.map(RawPath));
        match kind {
            EntryKind::File => files.push(Pending {
                entry,
                full,
                dev: meta.dev(),
                ino: meta.ino(),
            }),
            EntryKind::Dir => {
                others.push(entry);
                list(walk, names, &child_rel, &full, files, others)?;
            }
            _ => others.push(entry),
        }
    }
    Ok(())
}

/// Opens a listed file, refusing it if it is no longer the same inode (a
/// file swapped for a symlink after listing must not be followed).
fn open_same(full: &Path, path: &EntryPath, dev: u64, ino: u64) -> Result<File, ReleaseError> {
    crate::fsio::open_same(full, dev, ino).map_err(|e| match e {
        crate::fsio::OpenSameError::Changed => ReleaseError::Changed { path: path.clone() },
        crate::fsio::OpenSameError::Io(e) => io_err(full, e),
    })
}

/// Counts raw bytes read from disk for the progress bar.
struct ProgressRead<'p, R> {
    inner: R,
    progress: Option<&'p dyn Progress>,
}

impl<R: Read> Read for ProgressRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = self.progress {
            p.advance(n as u64);
        }
        Ok(n)
    }
}

/// Lists and hashes the directory release `root`.
pub(crate) fn collect(
    root: &Path,
    opts: &ReadOptions,
    budget: &Budget,
    progress: Option<&dyn Progress>,
) -> Result<Collected, ReleaseError> {
    let mut walk = Walk {
        source: root,
        opts,
        budget,
        out: Out::Collect(Collected::default()),
    };
    let mut names = Names::new(None);
    let mut files = Vec::new();
    let mut others = Vec::new();
    list(&mut walk, &mut names, b"", root, &mut files, &mut others)?;
    walk.finish_container(names);
    if let Some(p) = progress {
        p.start(files.iter().map(|f| f.entry.size).sum());
    }
    // Largest first, so one big file does not end up alone at the tail.
    files.sort_by_key(|f| std::cmp::Reverse(f.entry.size));
    let parts: Vec<Collected> = files
        .into_par_iter()
        .map(|f| {
            let mut walk = Walk {
                source: root,
                opts,
                budget,
                out: Out::Collect(Collected::default()),
            };
            let file = open_same(&f.full, &f.entry.path, f.dev, f.ino)?;
            // Unbuffered: the drain reads 64 KiB at a time straight from
            // the file.
            let mut reader = ProgressRead {
                inner: file,
                progress,
            };
            let place = Place {
                archive: root.display().to_string(),
                entry: f.entry.path.to_string(),
                offset: 0,
            };
            walk.file(
                f.entry,
                Content {
                    reader: &mut reader,
                    declared: None,
                    place,
                    short_is_truncation: true,
                    random: Some(&f.full),
                    forced: false,
                },
            )?;
            match walk.out {
                Out::Collect(c) => Ok(c),
                Out::Visit(_) => unreachable!("collect walk"),
            }
        })
        .collect::<Result<_, ReleaseError>>()?;
    let Out::Collect(mut all) = walk.out else {
        unreachable!("collect walk")
    };
    all.entries.extend(others);
    for p in parts {
        all.entries.extend(p.entries);
        all.findings.extend(p.findings);
    }
    Ok(all)
}

/// Hands the selected content of the directory release `root` to the
/// visitor, top-level files in path order.
pub(crate) fn visit(
    root: &Path,
    opts: &ReadOptions,
    budget: &Budget,
    state: VisitState<'_>,
) -> Result<Vec<EntryPath>, ReleaseError> {
    let todo: Vec<Entry> = state
        .entries
        .iter()
        .filter(|e| {
            e.kind == EntryKind::File
                && e.path.depth() == 0
                && (state.selected.contains(&e.path) || state.inner.contains(&e.path))
        })
        .cloned()
        .collect();
    let mut walk = Walk {
        source: root,
        opts,
        budget,
        out: Out::Visit(state),
    };
    for entry in todo {
        let full = root.join(std::ffi::OsStr::from_bytes(entry.path.inner().as_bytes()));
        let meta = fs::symlink_metadata(&full).map_err(|e| io_err(&full, e))?;
        if !meta.is_file() {
            return Err(ReleaseError::Changed { path: entry.path });
        }
        let file = open_same(&full, &entry.path, meta.dev(), meta.ino())?;
        let mut reader = BufReader::with_capacity(crate::digest::STREAM_BUFFER, file);
        let place = Place {
            archive: root.display().to_string(),
            entry: entry.path.to_string(),
            offset: 0,
        };
        walk.file(
            entry,
            Content {
                reader: &mut reader,
                declared: None,
                place,
                short_is_truncation: true,
                random: Some(&full),
                forced: false,
            },
        )?;
    }
    match walk.out {
        Out::Visit(v) => Ok(v.deferred),
        Out::Collect(_) => unreachable!("visit walk"),
    }
}

//! The one hardened file-system layer: every file glassbox opens from an
//! untrusted tree (a release, a rebuild, a log directory, a key file) goes
//! through here, so the defences are written once.
//!
//! - [`open_regular`]: `O_NOFOLLOW` (a file swapped for a symlink fails with
//!   `ELOOP` instead of being followed), `O_NONBLOCK` (one swapped for a FIFO
//!   cannot block the open), and anything but a regular file refused.
//! - [`open_same`]: [`open_regular`] plus a device/inode re-check, for a file
//!   that was listed earlier (a file swapped after listing is caught).
//! - [`read_capped`] / [`read_file_capped`]: whole-file reads with a cap, so
//!   a hostile file costs at most the cap in memory.
//! - [`list_dir`]: a directory's names in byte order, so listings never
//!   depend on the file system's order.
//! - [`write_file`]: every file glassbox writes, atomically and with one
//!   documented mode ([`OUTPUT_MODE`] 0644, [`PRIVATE_KEY_MODE`] 0600).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Opens a regular file for reading. With `follow` false, `O_NOFOLLOW`
/// makes a file swapped for a symlink fail (`ELOOP`) instead of being
/// followed; `O_NONBLOCK` keeps one swapped for a FIFO from blocking the
/// open (reads of regular files ignore the flag). Anything but a regular
/// file is refused with [`io::ErrorKind::InvalidInput`].
pub fn open_regular(path: &Path, follow: bool) -> io::Result<File> {
    let mut flags = libc::O_NONBLOCK;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file or a directory",
        ));
    }
    Ok(f)
}

/// Creates `path` afresh for writing, for the temporary file of a
/// write-then-rename: whatever is there already (a leftover, or a symlink
/// planted in a shared state directory to make us truncate and write
/// another file) is unlinked, not followed, and the file is created with
/// `O_EXCL`, which never follows a link. A link planted again between the
/// two steps makes the create fail instead of being followed.
pub fn create_fresh(path: &Path) -> io::Result<File> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
}

/// Mode of every file glassbox writes for people and other tools to read:
/// reports and their renderings, diff pages, log proofs, public keys. Set
/// explicitly, so the umask does not make one report private and the next
/// world-readable.
pub const OUTPUT_MODE: u32 = 0o644;

/// Mode of a private key glassbox writes: owner only, from the first byte.
pub const PRIVATE_KEY_MODE: u32 = 0o600;

/// Writes `bytes` to `path` atomically with `mode` ([`OUTPUT_MODE`] or
/// [`PRIVATE_KEY_MODE`]): a fresh temporary file beside it (created with
/// `O_EXCL`, never through a link), its mode set before anything is
/// written (a key is never readable by others, even briefly), fsynced, then
/// moved into place. Without `replace` an existing `path` is an
/// `AlreadyExists` error and is left as it was (the move is a hard link,
/// which never replaces); with it, a rename over it.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32, replace: bool) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut f = create_fresh(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if replace {
            fs::rename(&tmp, path)
        } else {
            fs::hard_link(&tmp, path)
        }
    })();
    // After a rename there is nothing left; after a link or a failure the
    // temporary name goes.
    let _ = fs::remove_file(&tmp);
    written
}

/// Crash-safe replace of a small state file in `dir`: `<file>.tmp` made
/// with [`create_fresh`], written, fsynced, renamed over `file`, then `dir`
/// fsynced, so after a crash `file` holds either the old bytes or the new,
/// never a torn write. The error names the path that failed.
pub fn replace_durable(dir: &Path, file: &Path, bytes: &[u8]) -> Result<(), (PathBuf, io::Error)> {
    use std::io::Write as _;
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = create_fresh(&tmp).map_err(|e| (tmp.clone(), e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| (tmp.clone(), e))?;
    fs::rename(&tmp, file).map_err(|e| (file.to_path_buf(), e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| (dir.to_path_buf(), e))
}

/// Opens (creating it if need be) the lock file of a directory whose
/// writers take turns: read-write so `File::lock` works, and never
/// truncated, since other processes may hold it open while we do.
pub fn open_lock(path: &Path) -> io::Result<File> {
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Why [`open_same`] refused a file.
#[derive(Debug, thiserror::Error)]
pub enum OpenSameError {
    /// The file is no longer the one that was listed: swapped for a
    /// symlink, or for another file (different device or inode).
    #[error("changed since it was listed (swapped for a link or another file)")]
    Changed,
    /// It could not be opened at all.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Opens a file that was listed earlier (with `symlink_metadata`) as device
/// `dev`, inode `ino`, refusing it if it is no longer that regular file:
/// a file swapped for a symlink after listing must not be followed.
pub fn open_same(path: &Path, dev: u64, ino: u64) -> Result<File, OpenSameError> {
    let f = open_regular(path, false).map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => OpenSameError::Changed,
        _ => OpenSameError::Io(e),
    })?;
    let meta = f.metadata()?;
    if meta.dev() != dev || meta.ino() != ino || !meta.is_file() {
        return Err(OpenSameError::Changed);
    }
    Ok(f)
}

/// Opens `path` (not following a final symlink) after checking with
/// `symlink_metadata` that it is a regular file, and re-checks the inode
/// once open: the pair that catches a swap between the two.
pub fn open_checked(path: &Path) -> Result<File, OpenSameError> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Err(OpenSameError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    open_same(path, meta.dev(), meta.ino())
}

/// What [`read_capped`] read.
#[derive(Debug)]
pub struct Capped {
    /// The bytes read: everything, or the first `cap + 1` when
    /// [`Capped::over`].
    pub bytes: Vec<u8>,
    /// The input went on past the cap.
    pub over: bool,
}

/// Reads `r` to its end but never more than `cap + 1` bytes, so a hostile
/// input costs at most the cap in memory; `hint` (a declared size) sizes
/// the buffer once, capped too.
pub fn read_capped(r: impl Read, cap: u64, hint: u64) -> io::Result<Capped> {
    // Room for the one byte past the cap, so a full read never regrows.
    let mut bytes = Vec::with_capacity(hint.min(cap).saturating_add(1) as usize);
    r.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    let over = bytes.len() as u64 > cap;
    Ok(Capped { bytes, over })
}

/// Why [`read_file_capped`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadFileError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// Which file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is larger than the cap.
    #[error("{}: larger than the {max}-byte limit", path.display())]
    TooLarge {
        /// Which file.
        path: PathBuf,
        /// The cap.
        max: u64,
    },
}

impl ReadFileError {
    /// As an `io::Error` (`InvalidData` for a file over the cap), for
    /// callers whose errors carry one.
    pub fn into_io(self) -> io::Error {
        match self {
            ReadFileError::Io { source, .. } => source,
            ReadFileError::TooLarge { max, .. } => io::Error::new(
                io::ErrorKind::InvalidData,
                format!("larger than the {max}-byte limit"),
            ),
        }
    }
}

/// Reads the whole regular file at `path`, at most `max` bytes. The path
/// was given by the operator, so a symlink is followed, but a FIFO or
/// device is refused (it could block or never end).
pub fn read_file_capped(path: &Path, max: u64) -> Result<Vec<u8>, ReadFileError> {
    let io = |source| ReadFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = open_regular(path, true).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let got = read_capped(f, max, len).map_err(io)?;
    if got.over {
        return Err(ReadFileError::TooLarge {
            path: path.to_path_buf(),
            max,
        });
    }
    Ok(got.bytes)
}

/// The names in directory `dir`, sorted by their bytes (not by the file
/// system's order, which differs between machines).
pub fn list_dir(dir: &Path) -> io::Result<Vec<OsString>> {
    let mut names: Vec<OsString> = fs::read_dir(dir)?
        .map(|d| d.map(|d| d.file_name()))
        .collect::<Result<_, _>>()?;
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

/// Reads until `buf` is full or the input ends; returns the bytes read
/// (fewer than `buf.len()` only at the end of the input).
pub(crate) fn read_up_to(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_regular_refuses_a_symlink_unless_following() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"x").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(
            open_regular(&link, false).unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
        assert!(open_regular(&link, true).is_ok());
        assert!(matches!(open_checked(&link), Err(OpenSameError::Io(_))));
        assert!(open_checked(&file).is_ok());
    }

    #[test]
    fn open_same_catches_a_swapped_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"x").unwrap();
        let meta = fs::symlink_metadata(&file).unwrap();
        fs::remove_file(&file).unwrap();
        fs::write(dir.path().join("g"), b"y").unwrap();
        // Keep the old inode alive elsewhere so the new file cannot reuse it.
        let _keep = fs::File::open(dir.path().join("g")).unwrap();
        fs::write(&file, b"z").unwrap();
        let again = fs::symlink_metadata(&file).unwrap();
        if again.ino() != meta.ino() {
            assert!(matches!(
                open_same(&file, meta.dev(), meta.ino()),
                Err(OpenSameError::Changed)
            ));
        }
    }

    #[test]
    fn capped_reads_stop_one_byte_past_the_cap() {
        let got = read_capped(&[7u8; 100][..], 10, 1 << 40).unwrap();
        assert!(got.over);
        assert_eq!(got.bytes.len(), 11);
        let got = read_capped(&[7u8; 10][..], 10, 0).unwrap();
        assert!(!got.over);
        assert_eq!(got.bytes.len(), 10);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, [1u8; 5]).unwrap();
        assert_eq!(read_file_capped(&file, 5).unwrap().len(), 5);
        assert!(matches!(
            read_file_capped(&file, 4),
            Err(ReadFileError::TooLarge { max: 4, .. })
        ));
    }

    #[test]
    fn listing_is_in_byte_order() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["b", "a", "C", "\u{e9}"] {
            fs::write(dir.path().join(n), b"").unwrap();
        }
        let names: Vec<_> = list_dir(dir.path()).unwrap();
        assert_eq!(names, ["C", "a", "b", "\u{e9}"]);
    }
}

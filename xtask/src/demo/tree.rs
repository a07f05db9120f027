//! In-memory model of a release tree and writing it to disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::{Result, err};

/// One regular file of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Content.
    pub data: Vec<u8>,
    /// Permission bits (0o644 or 0o755).
    pub mode: u32,
}

/// A release: relative `/`-separated paths to files, in byte order of path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// The files.
    pub files: BTreeMap<String, File>,
}

impl Tree {
    /// Adds (or replaces) a file.
    pub fn put(&mut self, path: &str, data: impl Into<Vec<u8>>, mode: u32) {
        self.files.insert(
            path.to_string(),
            File {
                data: data.into(),
                mode,
            },
        );
    }

    /// The content of a file that must exist.
    pub fn data(&self, path: &str) -> Result<&[u8]> {
        self.files
            .get(path)
            .map(|f| f.data.as_slice())
            .ok_or_else(|| err(format!("release has no file {path}")))
    }

    /// Every directory that holds a file, without trailing slash.
    pub fn dirs(&self) -> BTreeSet<String> {
        let mut dirs = BTreeSet::new();
        for path in self.files.keys() {
            let mut p = path.as_str();
            while let Some(i) = p.rfind('/') {
                p = &p[..i];
                dirs.insert(p.to_string());
            }
        }
        dirs
    }
}

/// Writes `data` to `path` (creating parents) with `mode` and mtime `mtime` (unix seconds).
pub fn write_file(path: &Path, data: &[u8], mode: u32, mtime: i64) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| err(format!("creating {}: {e}", parent.display())))?;
    }
    std::fs::write(path, data).map_err(|e| err(format!("writing {}: {e}", path.display())))?;
    set_mode(path, mode)?;
    filetime::set_file_mtime(path, filetime::FileTime::from_unix_time(mtime, 0))
        .map_err(|e| err(format!("setting mtime of {}: {e}", path.display())))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| err(format!("chmod {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// Writes a release tree under `root` (which must not exist yet); every
/// file and directory gets mtime `mtime`.
pub fn write_tree(root: &Path, tree: &Tree, mtime: i64) -> Result<()> {
    std::fs::create_dir_all(root).map_err(|e| err(format!("creating {}: {e}", root.display())))?;
    for (path, file) in &tree.files {
        write_file(&root.join(path), &file.data, file.mode, mtime)?;
    }
    // Directories last, deepest first, so writing children does not bump them.
    let ft = filetime::FileTime::from_unix_time(mtime, 0);
    for dir in tree.dirs().iter().rev() {
        filetime::set_file_mtime(root.join(dir), ft)
            .map_err(|e| err(format!("setting mtime of {dir}: {e}")))?;
    }
    filetime::set_file_mtime(root, ft).map_err(|e| err(format!("setting mtime: {e}")))
}

/// Reads a file if it exists.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(data) => Ok(Some(data)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err(format!("reading {}: {e}", path.display()))),
    }
}

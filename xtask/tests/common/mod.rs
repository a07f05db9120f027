//! Helpers shared by the xtask tests: the committed demo tree and what a
//! release directory holds.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The committed demo vendor, `testdata/demo`.
pub fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/demo")
}

/// The files a vendor signs with, as opposed to the payload it ships.
pub fn is_signature_file(path: &str) -> bool {
    path.ends_with(".p7s")
        || path.ends_with(".sig")
        || path.ends_with(".intoto.jsonl")
        || path == "SHA256SUMS"
}

/// (relative path → (content, executable?)) of every file under `root`;
/// anything but directories and regular files fails the test.
pub fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, bool)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                walk(root, &path, out);
                continue;
            }
            assert!(meta.is_file(), "unexpected non-file {}", path.display());
            let rel = path.strip_prefix(root).unwrap().to_str().unwrap();
            out.insert(
                rel.to_string(),
                (std::fs::read(&path).unwrap(), is_executable(&meta)),
            );
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// [`snapshot`] without the signature files.
pub fn payload(root: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    snapshot(root)
        .into_iter()
        .filter(|(p, _)| !is_signature_file(p))
        .collect()
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

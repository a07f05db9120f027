//! Behaviour of `core::diff` on release pairs generated here (directory,
//! tar.gz and zip forms of the same two trees): each change the generator
//! makes is reported, nothing else, and every form gives the same findings.

mod common;
use common::write;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use glassbox_core::diff::{
    ChangeClass, ContentKind, DiffOptions, MetadataField, ReleaseDiff, diff_paths,
};

/// A small zip (for nesting inside the release).
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn elf() -> Vec<u8> {
    fs::read("/bin/true").expect("/bin/true as a real ELF sample")
}

/// Release 1.0 and 1.1 as directories under `base`; returns (a, b).
fn make_pair(base: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = (base.join("A"), base.join("B"));
    let lines: String = (0..200)
        .map(|i| format!("line {i} of the module\n"))
        .collect();
    let bin = elf();
    let mut patched = bin.clone();
    let at = patched.len() / 2;
    patched[at] = patched[at].wrapping_add(1);
    for root in [&a, &b] {
        write(root, "pkg/keep.txt", b"unchanged\n");
        write(root, "pkg/data/blob.bin", &[7u8; 5000]);
        for i in 0..3 {
            write(
                root,
                &format!("pkg/plugins/p{i}.py"),
                format!("plugin {i}\n").as_bytes(),
            );
        }
    }
    write(&a, "pkg/mod.py", lines.as_bytes());
    write(
        &b,
        "pkg/mod.py",
        lines
            .replace("line 100 of", "line 100 (patched) of")
            .as_bytes(),
    );
    write(&a, "pkg/bin/tool", &bin);
    write(&b, "pkg/bin/tool", &patched);
    write(&a, "pkg/etc/conf.json", br#"{"port": 80, "debug": false}"#);
    write(
        &b,
        "pkg/etc/conf.json",
        br#"{"port": 8080, "debug": false}"#,
    );
    write(&a, "pkg/gone.txt", b"removed in 1.1\n");
    write(&a, "pkg/old_name.txt", b"renamed in 1.1\n");
    write(&b, "pkg/new_name.txt", b"renamed in 1.1\n");
    for i in 0..3 {
        write(
            &a,
            &format!("pkg/olddir/f{i}.txt"),
            format!("moved file {i}\n").as_bytes(),
        );
        write(
            &b,
            &format!("pkg/newdir/f{i}.txt"),
            format!("moved file {i}\n").as_bytes(),
        );
    }
    write(&b, "pkg/added.txt", b"new in 1.1\n");
    std::os::unix::fs::symlink("added.txt", b.join("pkg/added.link")).unwrap();
    write(
        &a,
        "pkg/lib.zip",
        &zip_of(&[("x.txt", b"x1\n"), ("y.txt", b"same\n")]),
    );
    write(
        &b,
        "pkg/lib.zip",
        &zip_of(&[("x.txt", b"x2\n"), ("y.txt", b"same\n")]),
    );
    write(&a, "pkg/run.sh", b"#!/bin/sh\necho run\n");
    write(&b, "pkg/run.sh", b"#!/bin/sh\necho run\n");
    fs::set_permissions(b.join("pkg/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    // Same modes everywhere else, whatever the umask.
    for root in [&a, &b] {
        set_modes(root);
    }
    fs::set_permissions(b.join("pkg/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    (a, b)
}

fn set_modes(dir: &Path) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            fs::set_permissions(e.path(), fs::Permissions::from_mode(0o755)).unwrap();
            set_modes(&e.path());
        } else if ft.is_file() {
            fs::set_permissions(e.path(), fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

fn tar_gz(dir: &Path, out: &Path) {
    let f = fs::File::create(out).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut t = tar::Builder::new(gz);
    t.follow_symlinks(false);
    t.mode(tar::HeaderMode::Deterministic);
    t.append_dir_all("pkg", dir.join("pkg")).unwrap();
    t.into_inner().unwrap().finish().unwrap();
}

/// Zips `dir`; symlinks only with `links` (glassbox refuses zip symlinks
/// since issue 18: unzip creates a link, Python and Java a file holding the
/// target).
fn zip_dir(dir: &Path, out: &Path, links: bool) {
    let mut w = zip::ZipWriter::new(fs::File::create(out).unwrap());
    let mut stack = vec![PathBuf::from("pkg")];
    while let Some(rel) = stack.pop() {
        let full = dir.join(&rel);
        let mut names: Vec<_> = fs::read_dir(&full).unwrap().map(|e| e.unwrap()).collect();
        names.sort_by_key(|e| e.file_name());
        let rel_s = rel.to_str().unwrap();
        w.add_directory(
            format!("{rel_s}/"),
            zip::write::SimpleFileOptions::default().unix_permissions(0o755),
        )
        .unwrap();
        for e in names {
            let r = rel.join(e.file_name());
            let name = r.to_str().unwrap().to_string();
            let meta = fs::symlink_metadata(e.path()).unwrap();
            if meta.file_type().is_symlink() {
                if !links {
                    continue;
                }
                let target = fs::read_link(e.path()).unwrap();
                w.add_symlink(
                    name,
                    target.to_str().unwrap(),
                    zip::write::SimpleFileOptions::default(),
                )
                .unwrap();
            } else if meta.is_dir() {
                stack.push(r);
            } else {
                let opts = zip::write::SimpleFileOptions::default()
                    .unix_permissions(meta.permissions().mode() & 0o7777);
                w.start_file(name, opts).unwrap();
                w.write_all(&fs::read(e.path()).unwrap()).unwrap();
            }
        }
    }
    w.finish().unwrap();
}

fn opts() -> DiffOptions {
    DiffOptions {
        include_metadata: true,
        ..DiffOptions::default()
    }
}

/// (class, path, old path) of every change, as a comparable list.
fn findings(d: &ReleaseDiff) -> Vec<(ChangeClass, String, Option<String>)> {
    d.changes
        .iter()
        .map(|c| {
            (
                c.class,
                c.path.to_string(),
                c.old_path.as_ref().map(|p| p.to_string()),
            )
        })
        .collect()
}

#[test]
fn dir_tar_gz_and_zip_pairs_give_the_same_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = make_pair(tmp.path());
    tar_gz(&a, &tmp.path().join("A.tar.gz"));
    tar_gz(&b, &tmp.path().join("B.tar.gz"));
    zip_dir(&a, &tmp.path().join("A.zip"), false);
    zip_dir(&b, &tmp.path().join("B.zip"), false);
    zip_dir(&b, &tmp.path().join("B-links.zip"), true);

    let dir = diff_paths(&a, &b, &opts(), &|_| {}).unwrap();
    use ChangeClass::*;
    let s = |x: &str| x.to_string();
    let want = vec![
        (Added, s("pkg/added.link"), None),
        (Added, s("pkg/added.txt"), None),
        (Modified, s("pkg/bin/tool"), None),
        (Modified, s("pkg/etc/conf.json"), None),
        (Removed, s("pkg/gone.txt"), None),
        (Modified, s("pkg/lib.zip"), None),
        (Modified, s("pkg/lib.zip!x.txt"), None),
        (Modified, s("pkg/mod.py"), None),
        (Renamed, s("pkg/new_name.txt"), Some(s("pkg/old_name.txt"))),
        (Renamed, s("pkg/newdir"), Some(s("pkg/olddir"))),
        (Metadata, s("pkg/run.sh"), None),
    ];
    assert_eq!(findings(&dir), want);
    assert!(!dir.identical);

    let by = |d: &ReleaseDiff, p: &str| {
        d.changes
            .iter()
            .find(|c| c.path.to_string() == p)
            .unwrap()
            .clone()
    };
    let tool = by(&dir, "pkg/bin/tool");
    let content = tool.content.as_ref().unwrap();
    assert_eq!(content.kind, Some(ContentKind::Executable));
    let bin = content.binary.as_ref().unwrap();
    assert_eq!((bin.range_count, bin.differing_bytes), (1, 1));
    assert_eq!(bin.ranges[0].offset, (elf().len() / 2) as u64);
    assert_eq!(dir.summary.changed_executables.len(), 1);

    let conf = by(&dir, "pkg/etc/conf.json");
    let st = conf.content.as_ref().unwrap().structured.as_ref().unwrap();
    assert_eq!(st.changes[0].path, "/port");
    let m = by(&dir, "pkg/mod.py");
    let t = m.content.as_ref().unwrap().text.as_ref().unwrap();
    assert_eq!((t.lines_added, t.lines_removed), (1, 1));
    assert_eq!(
        by(&dir, "pkg/lib.zip").content.as_ref().unwrap().kind,
        Some(ContentKind::Archive)
    );
    assert_eq!(by(&dir, "pkg/newdir").members, Some(3));
    let run = by(&dir, "pkg/run.sh");
    assert_eq!(run.metadata[0].field, MetadataField::Mode);
    assert_eq!(
        (run.metadata[0].old.as_str(), run.metadata[0].new.as_str()),
        ("0644", "0755")
    );
    for c in &dir.changes {
        if c.class == Modified {
            assert!(
                c.old.as_ref().unwrap().sha256.is_some()
                    && c.new.as_ref().unwrap().sha256.is_some()
            );
        }
    }

    for form in ["tar.gz", "zip"] {
        let d = diff_paths(
            &tmp.path().join(format!("A.{form}")),
            &tmp.path().join(format!("B.{form}")),
            &opts(),
            &|_| {},
        )
        .unwrap();
        // The zips carry no symlink (see `zip_dir`).
        let keep = |p: &str| form != "zip" || p != "pkg/added.link";
        let want: Vec<_> = want.iter().filter(|w| keep(&w.1)).cloned().collect();
        assert_eq!(findings(&d), want, "{form}");
        // Same content comparisons too, not only the same list.
        let dir_changes = dir.changes.iter().filter(|c| keep(&c.path.to_string()));
        for (x, y) in dir_changes.zip(&d.changes) {
            assert_eq!(
                serde_json::to_value(&x.content).unwrap(),
                serde_json::to_value(&y.content).unwrap(),
                "{form}: {}",
                x.path
            );
        }
    }
    // With the symlink, the zip is refused naming it.
    let e = diff_paths(
        &tmp.path().join("A.zip"),
        &tmp.path().join("B-links.zip"),
        &opts(),
        &|_| {},
    )
    .unwrap_err();
    let e = std::error::Error::source(&e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(e.contains("pkg/added.link") && e.contains("symlink"), "{e}");
}

#[test]
fn a_release_against_itself_is_identical_and_mtimes_are_opt_in() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = make_pair(tmp.path());
    let copy = tmp.path().join("A2");
    fs::create_dir_all(copy.join("pkg")).unwrap();
    let out = std::process::Command::new("cp")
        .arg("-a")
        .arg(a.join("pkg"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(out.success());
    // Shift one mtime: invisible by default, reported with include_mtime.
    let f = fs::File::options()
        .write(true)
        .open(copy.join("pkg/keep.txt"))
        .unwrap();
    f.set_modified(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000),
    )
    .unwrap();
    let d = diff_paths(&a, &copy, &opts(), &|_| {}).unwrap();
    assert!(d.identical, "{:?}", findings(&d));
    let with_mtime = DiffOptions {
        include_mtime: true,
        ..opts()
    };
    let d = diff_paths(&a, &copy, &with_mtime, &|_| {}).unwrap();
    assert_eq!(
        findings(&d),
        vec![(ChangeClass::Metadata, "pkg/keep.txt".to_string(), None)]
    );
    assert_eq!(d.changes[0].metadata[0].new, "2001-09-09T01:46:40Z");
}

#[test]
fn excludes_remove_entries_from_every_class() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = make_pair(tmp.path());
    let o = DiffOptions {
        excludes: vec!["*.py".into(), "pkg/lib.zip".into(), "pkg/bin/*".into()],
        ..opts()
    };
    let d = diff_paths(&a, &b, &o, &|_| {}).unwrap();
    let paths: Vec<String> = d.changes.iter().map(|c| c.path.to_string()).collect();
    assert!(
        paths.iter().all(|p| !p.ends_with(".py")
            && !p.starts_with("pkg/lib.zip")
            && !p.starts_with("pkg/bin")),
        "{paths:?}"
    );
    assert_eq!(d.summary.modified, 1, "only conf.json is left modified");
}

#[test]
fn two_single_file_artifacts_with_different_names_are_one_modified_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = elf();
    let mut patched = bin.clone();
    patched[100] ^= 1;
    fs::write(tmp.path().join("app-1.0.bin"), &bin).unwrap();
    fs::write(tmp.path().join("app-1.1.bin"), &patched).unwrap();
    let d = diff_paths(
        &tmp.path().join("app-1.0.bin"),
        &tmp.path().join("app-1.1.bin"),
        &opts(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(
        findings(&d),
        vec![(ChangeClass::Modified, "app-1.0.bin".to_string(), None)]
    );
    let bin_diff = d.changes[0]
        .content
        .as_ref()
        .unwrap()
        .binary
        .as_ref()
        .unwrap();
    assert_eq!(
        (bin_diff.ranges[0].offset, bin_diff.ranges[0].len),
        (100, 1)
    );
}

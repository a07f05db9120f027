//! The committed demo vendor is exactly what the generator makes from the
//! committed inputs, and every form of a release (dir, tar.gz, zip) holds
//! the same files.

mod common;
use common::{demo, snapshot};

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

#[test]
fn regenerating_from_committed_inputs_reproduces_the_committed_tree() {
    let committed = demo();
    let tmp = tempfile::tempdir().unwrap();
    for rel in xtask::demo::input_files() {
        let dst = tmp.path().join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(committed.join(rel), &dst).unwrap();
    }
    let summary = xtask::demo::generate(&xtask::demo::Options {
        out: tmp.path().to_path_buf(),
        rebuild_binaries: false,
    })
    .unwrap();
    assert!(
        summary.notes.is_empty(),
        "generator created inputs: {:?}",
        summary.notes
    );

    let mut want = snapshot(&committed);
    want.remove("README.md")
        .expect("testdata/demo/README.md exists");
    // The auditor's trust policy for the demo is hand-written, like the
    // README, and not produced by the generator.
    want.remove("policy.toml")
        .expect("testdata/demo/policy.toml exists");
    // The audit case files and the auditor's TEST-ONLY key (see
    // auditor/README.md) use the demo rather than make it.
    want.retain(|path, _| {
        // (The key itself is an input of the published report, and the
        // auditor's CA files are generated.)
        let generated = path == xtask::demo::customers::AUDITOR_KEY_FILE
            || xtask::demo::auditor_ca::FILES.contains(&path.as_str());
        !((path.starts_with("auditor/") && !generated)
            || (path.starts_with("audit") && path.ends_with(".toml")))
    });
    let got = snapshot(tmp.path());
    let want_names: Vec<&String> = want.keys().collect();
    let got_names: Vec<&String> = got.keys().collect();
    assert_eq!(want_names, got_names, "file sets differ");
    for (path, (data, exec)) in &want {
        let (got_data, got_exec) = &got[path];
        assert!(data == got_data, "{path}: content differs from a rerun");
        assert_eq!(exec, got_exec, "{path}: executable bit differs");
    }
}

/// (path → (sha256 hex, mode)) of the regular files of a tar.gz.
fn tar_gz_files(path: &Path) -> BTreeMap<String, (String, u32)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut ar = tar::Archive::new(gz);
    let mut out = BTreeMap::new();
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry.path().unwrap().to_str().unwrap().to_string();
        let mode = entry.header().mode().unwrap();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        assert!(out.insert(name, (sha256(&data), mode)).is_none());
    }
    out
}

fn zip_files(path: &Path) -> BTreeMap<String, (String, u32)> {
    let mut ar = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..ar.len() {
        let mut f = ar.by_index(i).unwrap();
        if f.is_dir() {
            continue;
        }
        let name = f.name().unwrap().to_string();
        let mode = f.unix_mode().unwrap() & 0o7777;
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        assert!(out.insert(name, (sha256(&data), mode)).is_none());
    }
    out
}

fn dir_files(root: &Path) -> BTreeMap<String, (String, u32)> {
    snapshot(root)
        .into_iter()
        .map(|(p, (data, exec))| (p, (sha256(&data), if exec { 0o755 } else { 0o644 })))
        .collect()
}

fn sha256(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}

#[test]
fn directory_tar_gz_and_zip_of_each_release_hold_the_same_files() {
    let demo = demo();
    for rel in [
        "releases/exampleav-1.0.0",
        "releases/exampleav-1.1.0",
        "rebuild/exampleav-1.1.0",
        "tampered/exampleav-1.1.0",
    ] {
        let dir = dir_files(&demo.join(rel));
        assert!(dir.contains_key("engine/avengine"), "{rel}");
        assert_eq!(
            dir,
            tar_gz_files(&demo.join(format!("{rel}.tar.gz"))),
            "{rel}.tar.gz"
        );
        assert_eq!(
            dir,
            zip_files(&demo.join(format!("{rel}.zip"))),
            "{rel}.zip"
        );
    }
}

#[test]
fn rebuild_has_the_vendor_payload_and_tampered_differs_in_one_engine_byte() {
    let demo = demo();
    let vendor = snapshot(&demo.join("releases/exampleav-1.1.0"));
    let rebuild = snapshot(&demo.join("rebuild/exampleav-1.1.0"));
    for (path, file) in &rebuild {
        assert_eq!(vendor.get(path), Some(file), "{path}");
    }
    let tampered = snapshot(&demo.join("tampered/exampleav-1.1.0"));
    assert_eq!(
        vendor.keys().collect::<Vec<_>>(),
        tampered.keys().collect::<Vec<_>>()
    );
    for (path, (data, _)) in &vendor {
        let other = &tampered[path].0;
        let diffs: Vec<usize> = (0..data.len())
            .filter(|&i| data.get(i) != other.get(i))
            .collect();
        if path == "engine/avengine" {
            assert_eq!(data.len(), other.len());
            assert_eq!(diffs, vec![0x20f3], "tampered engine byte");
        } else {
            assert!(diffs.is_empty(), "{path} differs in the tampered release");
        }
    }
}

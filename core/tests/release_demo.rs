//! The shipped ExampleAV demo (testdata/demo, made by the xtask generator):
//! each release read as a directory, a tar.gz and a zip gives the same files
//! with the same digests.

mod common;
use common::demo;

use std::path::PathBuf;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::release::{EntryKind, ReadOptions, Release};

fn files(r: &Release) -> Vec<(String, Sha256Digest)> {
    r.entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| {
            (
                e.path.to_string(),
                e.digests.expect("files are hashed").sha256,
            )
        })
        .collect()
}

fn same_in_every_form(dir: PathBuf) {
    let opts = ReadOptions {
        expand_nested: true,
        ..Default::default()
    };
    let d = Release::open(&dir, &opts).unwrap();
    let mut tgz = dir.clone().into_os_string();
    tgz.push(".tar.gz");
    let mut zip = dir.clone().into_os_string();
    zip.push(".zip");
    let t = Release::open(&PathBuf::from(tgz), &opts).unwrap();
    let z = Release::open(&PathBuf::from(zip), &opts).unwrap();
    let want = files(&d);
    assert!(
        want.len() >= 8,
        "{}: only {} files",
        dir.display(),
        want.len()
    );
    assert!(want.iter().any(|(p, _)| p == "engine/avengine"), "{want:?}");
    assert_eq!(files(&t), want, "{} tar.gz", dir.display());
    assert_eq!(files(&z), want, "{} zip", dir.display());
    assert!(d.findings.is_empty() && t.findings.is_empty() && z.findings.is_empty());
}

#[test]
fn demo_releases_list_the_same_files_as_directory_tar_gz_and_zip() {
    for v in ["exampleav-1.0.0", "exampleav-1.1.0"] {
        same_in_every_form(demo("releases").join(v));
    }
    same_in_every_form(demo("rebuild/exampleav-1.1.0"));
}

#[test]
fn tampered_demo_differs_only_in_the_engine() {
    let opts = ReadOptions::default();
    let good = Release::open(&demo("releases/exampleav-1.1.0.tar.gz"), &opts).unwrap();
    let bad = Release::open(&demo("tampered/exampleav-1.1.0.tar.gz"), &opts).unwrap();
    let (g, b) = (files(&good), files(&bad));
    let changed: Vec<_> = g
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.0.as_str())
        .collect();
    assert_eq!(g.len(), b.len());
    assert_eq!(changed, ["engine/avengine"]);
}

//! `release` and `repro` read artifacts through one reader: one format
//! registry, one hardened file layer, and releases opened once can be
//! compared without being listed again.

use std::path::Path;

use glassbox_core::release::{EntryKind, Format, ReadOptions, Release};
use glassbox_core::repro::{ReproOptions, Verdict, compare, compare_releases};

/// `BZh1` followed by anything but the bzip2 block magic (BCD of pi) is not
/// bzip2 to the release reader, so it must not be bzip2 to repro either:
/// repro used to sniff it as bzip2, fail to decompress it, and refuse the
/// comparison that `release` reads as one plain file.
#[test]
fn bzh_without_the_block_magic_is_a_plain_file_to_release_and_repro() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = dir.path().join("vendor.bz2");
    let rebuild = dir.path().join("rebuild.bz2");
    std::fs::write(&vendor, b"BZh1 is not a bzip2 stream: vendor\n").unwrap();
    std::fs::write(&rebuild, b"BZh1 is not a bzip2 stream: rebuild\n").unwrap();

    let release = Release::open(&vendor, &ReadOptions::default()).unwrap();
    assert_eq!(release.format, Format::File);
    assert_eq!(release.entries.len(), 1);
    assert_eq!(release.entries[0].kind, EntryKind::File);

    let report = compare(&vendor, &rebuild, &ReproOptions::default())
        .expect("repro reads it as a plain file, as release does");
    assert_eq!(report.verdict, Verdict::Different);
    assert_eq!(report.vendor.format, "file");
    assert_eq!(report.rebuild.format, "file");
}

fn tar_gz(path: &Path, engine: &[u8]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, data) in [("pkg/README", &b"ExampleAV\n"[..]), ("pkg/engine", engine)] {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        tar.append(&h, data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// The audit pipeline opens each release once and hands it to repro:
/// `compare_releases` reaches the same verdict, differences and evidence as
/// `compare` on the paths.
#[test]
fn compare_releases_on_opened_releases_matches_compare_on_paths() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = dir.path().join("app-1.0.tar.gz");
    let rebuild = dir.path().join("rebuild-1.0.tar.gz");
    tar_gz(&vendor, b"engine v1\n");
    tar_gz(&rebuild, b"engine v1 with a backdoor\n");
    let opts = ReproOptions::default();
    let by_path = compare(&vendor, &rebuild, &opts).unwrap();

    let ro = glassbox_core::repro::read_options(&opts);
    let v = Release::open(&vendor, &ro).unwrap();
    let r = Release::open(&rebuild, &ro).unwrap();
    let shared = compare_releases(&v, &r, &opts).unwrap();

    assert_eq!(shared.verdict, Verdict::Different);
    assert_eq!(shared.verdict, by_path.verdict);
    assert_eq!(shared.differences, by_path.differences);
    assert_eq!(shared.vendor, by_path.vendor);
    let paths = |r: &glassbox_core::repro::ReproReport| -> Vec<String> {
        r.evidence
            .as_ref()
            .expect("evidence of a different verdict")
            .changes
            .iter()
            .map(|c| c.path.to_string())
            .collect()
    };
    assert_eq!(paths(&shared), paths(&by_path));
    assert_eq!(paths(&shared), ["pkg/engine"]);
}

/// A tar with one name twice (GNU tar keeps the last, other extractors the
/// first) is refused by the release reader; `repro` read archives with a
/// second reader and called two copies of it identical (exit 0). A passing
/// verdict on it is now refused with the release reader's reason.
#[test]
fn repro_refuses_to_pass_an_archive_real_extractors_read_differently() {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    for data in [&b"engine v1\n"[..], b"tampered engine\n"] {
        let mut h = tar::Header::new_gnu();
        h.set_path("pkg/engine").unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        h.set_cksum();
        tar.append(&h, data).unwrap();
    }
    let bytes = tar.into_inner().unwrap();
    let (vendor, rebuild) = (dir.path().join("v.tar"), dir.path().join("r.tar"));
    std::fs::write(&vendor, &bytes).unwrap();
    std::fs::write(&rebuild, &bytes).unwrap();

    let err = compare(&vendor, &rebuild, &ReproOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            glassbox_core::repro::ReproError::Release {
                source: glassbox_core::release::ReleaseError::Ambiguous { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("occurs twice"), "{err}");
}

//! `release` and `repro` read artifacts through one reader: one format
//! registry, one hardened file layer, and releases opened once can be
//! compared without being listed again.

mod common;

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

/// A tar holding `members` (name, content; a content starting with `->`
/// makes a symlink to the rest).
fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        match data.strip_prefix(b"->") {
            Some(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                tar.append_link(&mut h, name, std::str::from_utf8(target).unwrap())
                    .unwrap();
            }
            None => {
                h.set_path(name).unwrap();
                h.set_size(data.len() as u64);
                h.set_cksum();
                tar.append(&h, *data).unwrap();
            }
        }
    }
    tar.into_inner().unwrap()
}

/// The verifier reads without nested expansion; the audit shares a reading
/// made with it. `without_nesting` derives the verifier's reading from the
/// shared one instead of listing the release again: it must be exactly
/// what a plain `Release::open` lists — entries, digests, `expanded_as`
/// and findings — for nested archives that expand (a zip holding a zip),
/// that fail to (a truncated zip), and that hold findings of their own (a
/// symlink leaving a nested tar).
#[test]
fn a_reading_without_nesting_is_the_plain_reading() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("release");
    let inner = common::zip_bytes(b"", &[common::ZipMember::stored("a.txt", b"a\n")]);
    let zip = common::zip_bytes(
        b"",
        &[
            common::ZipMember::deflated("docs/readme.txt", b"hello\n"),
            common::ZipMember::stored("inner.zip", &inner),
        ],
    );
    common::write(&root, "README", b"release\n");
    common::write(&root, "lib/bundle.zip", &zip);
    common::write(&root, "lib/broken.zip", &zip[..zip.len() / 2]);
    let nested_tar = tar_bytes(&[("evil", b"->../../../etc/passwd"), ("ok", b"ok\n")]);
    common::write(
        &root,
        "pkg.tar.gz",
        &common::gzip(&tar_bytes(&[
            ("pkg/inner.tar", &nested_tar),
            ("pkg/x", b"x\n"),
        ])),
    );
    let plain_opts = glassbox_core::sig::release::read_options();
    let nested_opts = ReadOptions {
        expand_nested: true,
        ..plain_opts.clone()
    };
    let nested = Release::open(&root, &nested_opts).unwrap();
    let plain = Release::open(&root, &plain_opts).unwrap();
    // The nested reading did expand and find things the plain one does not.
    assert!(nested.nesting_changed());
    assert!(nested.entries.len() > plain.entries.len() + 4);
    assert!(
        nested.findings.len() > plain.findings.len(),
        "{:?}",
        nested.findings
    );
    assert!(!plain.nesting_changed());

    let derived = nested.without_nesting();
    assert_eq!(derived.entries, plain.entries);
    assert_eq!(derived.findings, plain.findings);
    assert_eq!(derived.format, plain.format);
    assert!(!derived.nesting_changed());
}

/// `compare_releases` judges the releases as they were opened: in a
/// directory, a file whose listed bytes the other side has at the same
/// place is compared on its listed digest and not read again. (The
/// canonical tree was built by a second walk over the tree, which read
/// and hashed every file again and saw what was on disk by then: here a
/// file removed after both sides were listed made it DIFFERENT.)
#[test]
fn compare_releases_builds_a_directorys_tree_from_its_listing() {
    let dir = tempfile::tempdir().unwrap();
    let (vendor, rebuild) = (dir.path().join("vendor"), dir.path().join("rebuild"));
    for side in [&vendor, &rebuild] {
        common::write(side, "bin/tool", b"#!/bin/sh\necho tool\n");
        common::write(side, "share/data.txt", b"data\n");
    }
    let opts = ReproOptions::default();
    let ro = glassbox_core::repro::read_options(&opts);
    let v = Release::open(&vendor, &ro).unwrap();
    let r = Release::open(&rebuild, &ro).unwrap();
    std::fs::remove_file(vendor.join("share/data.txt")).unwrap();

    let report = compare_releases(&v, &r, &opts).unwrap();
    assert_eq!(report.differences, []);
    assert_ne!(report.verdict, Verdict::Different);
}

/// The release reader and repro's canonical tree buffer a zip found inside
/// a stream up to one cap ([`NESTED_ZIP_BUFFER_CAP`], 16 MiB); repro's was
/// 256 MiB, so a zip between the two was a listed file to `manifest` and
/// `diff` but expanded by `repro`, whose EQUIVALENT then rested on members
/// no other reader saw. Above the cap repro compares the zip as bytes.
#[test]
fn a_zip_in_a_stream_above_the_one_cap_is_compared_as_bytes() {
    use glassbox_core::release::NESTED_ZIP_BUFFER_CAP;
    // Incompressible, so the gzip around it stays within --max-ratio.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let blob: Vec<u8> = (0..NESTED_ZIP_BUFFER_CAP + 4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut sides = Vec::new();
    for (name, dos_time) in [
        ("vendor.tar.gz", 0x0021_0000),
        ("rebuild.tar.gz", 0x5a21_0000),
    ] {
        let zip = common::zip_bytes(
            b"",
            &[common::ZipMember {
                dos_time,
                ..common::ZipMember::stored("blob.bin", &blob)
            }],
        );
        let path = dir.path().join(name);
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        let mut h = tar::Header::new_ustar();
        h.set_path("pkg/big.zip").unwrap();
        h.set_size(zip.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, &zip[..]).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
        sides.push(path);
    }
    let ro = glassbox_core::repro::read_options(&ReproOptions::default());
    let listed = Release::open(&sides[0], &ro).unwrap();
    assert!(
        listed
            .findings
            .iter()
            .any(|f| f.to_string().contains("not expanded")),
        "{:?}",
        listed.findings
    );

    let report = compare(&sides[0], &sides[1], &ReproOptions::default()).unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Different,
        "{:?}",
        report.normalizations
    );
    assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
    assert_eq!(report.differences[0].path, "pkg/big.zip");
    assert_eq!(report.differences[0].kind.name(), "content");
}

/// A tar.gz holding `pkg/engine` and a zip (`pkg/lib.zip`), with the given
/// tar mtime and zip MS-DOS time: the same content built at another time.
fn built_at(path: &Path, mtime: u64, dos_time: u32) {
    let zip = common::zip_bytes(
        b"",
        &[common::ZipMember {
            dos_time,
            ..common::ZipMember::deflated("lib/core.py", &b"print('core')\n".repeat(40))
        }],
    );
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in [("pkg/engine", &b"engine v1\n"[..]), ("pkg/lib.zip", &zip)] {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_cksum();
        tar.append(&h, data).unwrap();
    }
    std::fs::write(path, common::gzip(&tar.into_inner().unwrap())).unwrap();
}

/// An archive's canonical tree is built from its listing: the release
/// reader records every member's raw header fields, the members' stored
/// order and the compression stream while it reads the archive once, so
/// `compare_releases` needs nothing from disk when the contents match. (It
/// parsed each archive a second time with readers of its own, from
/// `Release::source`: with the files gone it failed.)
#[test]
fn compare_releases_judges_archives_on_their_listing_alone() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = dir.path().join("app-1.0.tar.gz");
    let rebuild = dir.path().join("rebuild-1.0.tar.gz");
    built_at(&vendor, 1_700_000_000, 0x5b2c_6000);
    built_at(&rebuild, 1_800_000_000, 0x5d2c_6000);
    let opts = ReproOptions::default();
    let by_path = compare(&vendor, &rebuild, &opts).unwrap();

    let ro = glassbox_core::repro::read_options(&opts);
    let v = Release::open(&vendor, &ro).unwrap();
    let r = Release::open(&rebuild, &ro).unwrap();
    std::fs::remove_file(&vendor).unwrap();
    std::fs::remove_file(&rebuild).unwrap();
    let shared = compare_releases(&v, &r, &opts).unwrap();

    assert_eq!(shared.verdict, Verdict::Equivalent, "{shared:#?}");
    let names: Vec<&str> = shared
        .normalizations
        .iter()
        .map(|n| n.name.name())
        .collect();
    assert_eq!(names, ["tar-mtime", "zip-dos-time"], "{shared:#?}");
    assert_eq!(shared.vendor.format, "tar+gzip");
    assert_eq!(shared.vendor, by_path.vendor);
    assert_eq!(shared.normalizations, by_path.normalizations);
}

/// Bytes after a zip member's deflate stream but inside its compressed
/// size: Java's ZipInputStream reads a hidden member there, other readers
/// skip them. Only repro's own zip reader refused them; the release reader
/// (so `manifest`, `diff` and `verify`) listed the member as clean.
#[test]
fn bytes_after_a_deflate_stream_are_refused_by_the_release_reader() {
    let data = b"the engine ".repeat(200);
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut e, &data).unwrap();
    let mut raw = e.finish().unwrap();
    raw.extend_from_slice(b"PK\x03\x04hidden");
    let zip = common::zip_bytes(
        b"",
        &[common::ZipMember {
            raw,
            ..common::ZipMember::deflated("engine", &data)
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "app.zip", &zip);
    let err = Release::open(&path, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err, glassbox_core::release::ReleaseError::Ambiguous { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("after the deflate stream"),
        "{err}"
    );
}

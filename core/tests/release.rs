//! Behaviour of the release reader on well-formed and hostile input. Every
//! archive is generated here, so each test shows exactly what it feeds in.

mod common;
use common::{gzip, nested, noise, path, sha, write};

use std::fs;
use std::io::Write;

use std::os::unix::ffi::OsStrExt;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::release::{
    EntryKind, Format, Limits, ReadFindingKind, ReadOptions, Release, ReleaseError,
};

/// One tar member: raw name bytes, so hostile names can be written.
struct Member<'a> {
    name: &'a [u8],
    kind: tar::EntryType,
    data: &'a [u8],
    link: &'a [u8],
}

fn file<'a>(name: &'a [u8], data: &'a [u8]) -> Member<'a> {
    Member {
        name,
        kind: tar::EntryType::Regular,
        data,
        link: b"",
    }
}

fn symlink<'a>(name: &'a [u8], target: &'a [u8]) -> Member<'a> {
    Member {
        name,
        kind: tar::EntryType::Symlink,
        data: b"",
        link: target,
    }
}

/// A GNU tar with the members as given (no name validation).
fn tar_bytes(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in members {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(m.kind);
        h.set_size(m.data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        let g = h.as_gnu_mut().unwrap();
        g.name[..m.name.len()].copy_from_slice(m.name);
        g.linkname[..m.link.len()].copy_from_slice(m.link);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(m.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        w.start_file(*name, o).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn pairs(r: &Release) -> Vec<(String, Sha256Digest)> {
    r.entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| (e.path.to_string(), e.digests.unwrap().sha256))
        .collect()
}

fn has(r: &Release, p: &str, want: impl Fn(&ReadFindingKind) -> bool) -> bool {
    r.findings
        .iter()
        .any(|f| f.path == path(p) && want(&f.kind))
}

/// Visits the selected entries, checks each content against its listed
/// digest, and returns the paths in visit order.
fn visit_checked(
    r: &Release,
    select: &(dyn Fn(&glassbox_core::release::Entry) -> bool + Sync),
) -> Vec<String> {
    let mut seen = Vec::new();
    r.visit_contents(select, &mut |e, rd| {
        let mut buf = Vec::new();
        rd.read_to_end(&mut buf)
            .map_err(|x| ReleaseError::from_io(&e.path, x))?;
        assert_eq!(
            Sha256Digest::of(&buf),
            e.digests.unwrap().sha256,
            "{}",
            e.path
        );
        seen.push(e.path.to_string());
        Ok(())
    })
    .unwrap();
    seen
}

#[test]
fn directory_tar_gz_and_zip_list_the_same_files_and_digests() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    write(&d, "bin/engine", b"\x7fELF engine");
    write(&d, "db/sigs.dat", &vec![42u8; 300_000]);
    write(&d, "README", b"hello\n");
    let tar = tar_bytes(&[
        file(b"./bin/engine", b"\x7fELF engine"),
        file(b"./db/sigs.dat", &vec![42u8; 300_000]),
        file(b"./README", b"hello\n"),
    ]);
    let tgz = write(t.path(), "rel.tar.gz", &gzip(&tar));
    let big = vec![42u8; 300_000];
    let z = write(
        t.path(),
        "rel.zip",
        &zip_bytes(&[
            ("bin/engine", b"\x7fELF engine"),
            ("db/sigs.dat", &big),
            ("README", b"hello\n"),
        ]),
    );
    let rd = Release::open(&d, &nested()).unwrap();
    let rt = Release::open(&tgz, &nested()).unwrap();
    let rz = Release::open(&z, &nested()).unwrap();
    assert_eq!(rd.format, Format::Directory);
    assert_eq!(rt.format, Format::TarGz);
    assert_eq!(rz.format, Format::Zip);
    assert_eq!(pairs(&rd), pairs(&rt));
    assert_eq!(pairs(&rd), pairs(&rz));
    assert_eq!(sha(&rd, "README"), Sha256Digest::of(b"hello\n"));
    assert_eq!(rd.entry(&path("bin")).unwrap().kind, EntryKind::Dir);
    assert!(rd.findings.is_empty(), "{:?}", rd.findings);
}

#[test]
fn nested_archives_are_expanded_and_addressed_with_bang() {
    let t = tempfile::tempdir().unwrap();
    let inner_zip = zip_bytes(&[("conf/app.json", b"{}")]);
    let tar = tar_bytes(&[file(b"pkg/inner.zip", &inner_zip), file(b"pkg/a.txt", b"a")]);
    let d = t.path().join("rel");
    write(&d, "outer.tar.gz", &gzip(&tar));
    let r = Release::open(&d, &nested()).unwrap();
    let outer = r.entry(&path("outer.tar.gz")).unwrap();
    assert_eq!(outer.expanded_as, Some(Format::TarGz));
    assert_eq!(outer.digests.unwrap().sha256, Sha256Digest::of(&gzip(&tar)));
    assert_eq!(
        r.entry(&path("outer.tar.gz!pkg/inner.zip"))
            .unwrap()
            .expanded_as,
        Some(Format::Zip)
    );
    assert_eq!(
        sha(&r, "outer.tar.gz!pkg/inner.zip!conf/app.json"),
        Sha256Digest::of(b"{}")
    );
    assert_eq!(
        path("outer.tar.gz!pkg/inner.zip!conf/app.json").to_string(),
        "outer.tar.gz!pkg/inner.zip!conf/app.json"
    );
    // Without nesting only the outer file is listed.
    let flat = Release::open(&d, &ReadOptions::default()).unwrap();
    assert_eq!(flat.entries.len(), 1);
    assert_eq!(flat.entries[0].expanded_as, None);
}

#[test]
fn nesting_deeper_than_max_depth_is_a_finding_not_an_expansion() {
    let t = tempfile::tempdir().unwrap();
    let mut data = b"core".to_vec();
    let mut name = "leaf".to_string();
    for i in 0..4 {
        let n = format!("l{i}.tar");
        data = tar_bytes(&[file(name.as_bytes(), &data)]);
        name = n;
    }
    let p = write(t.path(), &name, &data);
    let mut o = nested();
    o.limits.max_depth = 2;
    let r = Release::open(&p, &o).unwrap();
    assert!(has(&r, "l2.tar!l1.tar!l0.tar", |k| *k
        == ReadFindingKind::DepthLimitReached));
    assert!(r.entry(&path("l2.tar!l1.tar!l0.tar!leaf")).is_none());
    let deep = Release::open(&p, &nested()).unwrap();
    assert_eq!(
        sha(&deep, "l2.tar!l1.tar!l0.tar!leaf"),
        Sha256Digest::of(b"core")
    );
}

/// Names an extractor would write outside the tree are refused (issue 18:
/// they used to be findings on a listing that still verified).
#[test]
fn dotdot_and_absolute_names_are_refused() {
    let t = tempfile::tempdir().unwrap();
    for (name, why) in [
        (&b"../../etc/cron.d/x"[..], "`..`"),
        (b"/etc/passwd", "absolute"),
    ] {
        let p = write(t.path(), "evil.tar", &tar_bytes(&[file(name, b"evil")]));
        match Release::open(&p, &nested()) {
            Err(ReleaseError::UnsafeName { entry, reason, .. }) => {
                assert_eq!(entry.as_bytes(), name);
                assert!(reason.contains(why), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    let z = write(
        t.path(),
        "evil.zip",
        &zip_bytes(&[("a/../../up.txt", b"x")]),
    );
    // Through a symlink, as an auditor might name it.
    std::os::unix::fs::symlink(&z, t.path().join("link.zip")).unwrap();
    assert!(matches!(
        Release::open(&t.path().join("link.zip"), &nested()),
        Err(ReleaseError::UnsafeName { entry, .. }) if entry == "a/../../up.txt"
    ));
    // Backslashes: unzip reads a separator, Python and Java a character.
    for name in ["..\\win.txt", "C:\\boot.ini"] {
        let z = write(t.path(), "bs.zip", &zip_bytes(&[(name, b"w")]));
        assert!(matches!(
            Release::open(&z, &nested()),
            Err(ReleaseError::Ambiguous { reason, .. }) if reason.contains("backslash")
        ));
    }
    // A hard link whose target climbs out.
    let tar = tar_bytes(&[Member {
        name: b"hl",
        kind: tar::EntryType::Link,
        data: b"",
        link: b"../../etc/shadow",
    }]);
    assert!(matches!(
        Release::open(&write(t.path(), "hl.tar", &tar), &nested()),
        Err(ReleaseError::UnsafeName { entry, .. }) if entry == "hl"
    ));
}

#[test]
fn directory_symlinks_out_of_the_release_are_findings_and_never_followed() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    write(&d, "lib/real.so", b"so");
    write(t.path(), "secret", b"outside");
    std::os::unix::fs::symlink("../../secret", d.join("lib/escape")).unwrap();
    std::os::unix::fs::symlink("/etc", d.join("etc")).unwrap();
    std::os::unix::fs::symlink("real.so", d.join("lib/ok.so")).unwrap();
    let r = Release::open(&d, &nested()).unwrap();
    for p in ["lib/escape", "etc"] {
        let e = r.entry(&path(p)).unwrap();
        assert_eq!(e.kind, EntryKind::Symlink);
        assert!(e.digests.is_none(), "{p} was followed");
        assert!(has(&r, p, |k| matches!(
            k,
            ReadFindingKind::SymlinkEscapes { .. }
        )));
    }
    // The /etc tree was not walked.
    assert!(
        r.entries
            .iter()
            .all(|e| !e.path.to_string().starts_with("etc/"))
    );
    assert!(!has(&r, "lib/ok.so", |_| true));
}

#[test]
fn symlink_loops_terminate_with_a_finding() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    fs::create_dir_all(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("b", d.join("a")).unwrap();
    std::os::unix::fs::symlink("a", d.join("b")).unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/up")).unwrap();
    let r = Release::open(&d, &nested()).unwrap();
    assert!(has(&r, "a", |k| *k == ReadFindingKind::SymlinkLoop));
    assert!(!has(&r, "sub/up", |_| true), "sub/up -> .. stays inside");
    let tar = tar_bytes(&[
        symlink(b"x", b"y"),
        symlink(b"y", b"x"),
        symlink(b"up", b".."),
    ]);
    let p = write(t.path(), "loop.tar", &tar);
    let r = Release::open(&p, &nested()).unwrap();
    assert!(has(&r, "x", |k| *k == ReadFindingKind::SymlinkLoop));
    assert!(has(&r, "up", |k| matches!(
        k,
        ReadFindingKind::SymlinkEscapes { .. }
    )));
}

/// Opens `bytes`, written as the file `name`, with the nested reader under
/// the limits `limit` sets; the read must fail, and its error is returned.
fn refused(name: &str, bytes: &[u8], limit: impl FnOnce(&mut Limits)) -> ReleaseError {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), name, bytes);
    let mut o = nested();
    limit(&mut o.limits);
    Release::open(&p, &o).unwrap_err()
}

#[test]
fn gzip_bomb_stops_on_the_ratio_limit() {
    let tar = tar_bytes(&[file(b"zeros", &vec![0u8; 20 << 20])]);
    let e = refused("bomb.tar.gz", &gzip(&tar), |l| l.max_ratio = 100);
    assert!(
        matches!(e, ReleaseError::RatioLimit { limit: 100, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("bomb.tar.gz"), "{e}");
}

#[test]
fn zip_bomb_stops_on_the_ratio_limit_before_inflating() {
    let zeros = vec![0u8; 20 << 20];
    let e = refused("bomb.zip", &zip_bytes(&[("zeros", &zeros)]), |l| {
        l.max_ratio = 100
    });
    assert!(
        matches!(&e, ReleaseError::RatioLimit { entry, .. } if entry == "zeros"),
        "{e}"
    );
}

#[test]
fn total_expanded_size_is_limited() {
    let tar = tar_bytes(&[
        file(b"a", &vec![1u8; 3 << 20]),
        file(b"b", &vec![2u8; 3 << 20]),
    ]);
    let e = refused("big.tar.gz", &gzip(&tar), |l| {
        l.max_expanded_bytes = 4 << 20
    });
    assert!(
        matches!(&e, ReleaseError::ExpandedBytesLimit { entry, .. } if entry == "b"),
        "{e}"
    );
    assert!(e.to_string().contains("--max-expanded-bytes"));
}

#[test]
fn entry_count_is_limited() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let members: Vec<Member> = names.iter().map(|n| file(n.as_bytes(), b"x")).collect();
    let e = refused("many.tar", &tar_bytes(&members), |l| l.max_entries = 10);
    assert!(
        matches!(e, ReleaseError::EntriesLimit { limit: 10, .. }),
        "{e}"
    );
}

#[test]
fn tar_whose_declared_size_runs_past_the_end_is_truncated_with_offset() {
    let mut tar = tar_bytes(&[file(b"ok", b"fine"), file(b"liar", &[7u8; 5000])]);
    tar.truncate(512 * 2 + 512 + 1024); // cut inside liar's content
    let e = refused("cut.tar", &tar, |_| {});
    let msg = e.to_string();
    assert!(
        matches!(&e, ReleaseError::Corrupt { entry, offset, .. } if entry == "liar" && *offset > 1024),
        "{e}"
    );
    assert!(msg.contains("cut.tar") && msg.contains("byte"), "{msg}");
}

#[test]
fn tar_whose_declared_size_is_too_small_fails_at_the_next_header() {
    let mut tar = tar_bytes(&[file(b"small", &[b'A'; 2000]), file(b"next", b"n")]);
    // Rewrite the size field of the first header to 10 and fix its checksum.
    tar[124..136].copy_from_slice(b"00000000012\0");
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&tar[..512]);
    h.set_cksum();
    tar[..512].copy_from_slice(h.as_bytes());
    let e = refused("short.tar", &tar, |_| {});
    assert!(
        matches!(&e, ReleaseError::Corrupt { offset: 1024, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("small"), "{e}");
}

#[test]
fn tar_declaring_an_enormous_size_fails_without_allocating_it() {
    let mut tar = tar_bytes(&[file(b"huge", b"tiny")]);
    // GNU base-256 size (the high bit of the field's first byte): 2^64 - 1.
    tar[124] = 0x80;
    tar[125..128].fill(0);
    tar[128..136].fill(0xff);
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&tar[..512]);
    h.set_cksum();
    tar[..512].copy_from_slice(h.as_bytes());
    let e = refused("huge.tar", &tar, |_| {});
    assert!(e.to_string().contains("huge.tar"), "{e}");
}

#[test]
fn zip_whose_declared_size_lies_is_caught() {
    let data = vec![b'z'; 4000];
    let mut z = zip_bytes(&[("liar.bin", &data)]);
    // Central directory header (APPNOTE 4.3.12): uncompressed size at +24.
    let cd = z.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    z[cd + 24..cd + 28].copy_from_slice(&100u32.to_le_bytes());
    let lh = 0; // local header (4.3.7): uncompressed size at +22
    z[lh + 22..lh + 26].copy_from_slice(&100u32.to_le_bytes());
    let e = refused("liar.zip", &z, |_| {});
    let msg = e.to_string();
    assert!(
        msg.contains("liar.zip") && msg.contains("liar.bin"),
        "{msg}"
    );
    assert!(
        matches!(
            &e,
            ReleaseError::SizeMismatch { declared: 100, .. } | ReleaseError::Corrupt { .. }
        ),
        "{e}"
    );
}

/// Extractors keep the last of two members with one name; glassbox used to
/// verify the first (issue 18), so a second copy is refused.
#[test]
fn duplicate_names_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let tar = tar_bytes(&[
        file(b"a.txt", b"one"),
        file(b"./a.txt", b"two"),
        file(b"b", b""),
    ]);
    let p = write(t.path(), "dup.tar", &tar);
    match Release::open(&p, &nested()) {
        Err(e @ ReleaseError::Ambiguous { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("./a.txt") && msg.contains("twice"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_utf8_names_are_kept_losslessly_and_shown_escaped() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    fs::create_dir_all(&d).unwrap();
    fs::write(
        d.join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt")),
        b"latin1",
    )
    .unwrap();
    let r = Release::open(&d, &nested()).unwrap();
    let e = &r.entries[0];
    assert_eq!(e.path.inner().as_bytes(), b"caf\xe9.txt");
    assert_eq!(e.path.to_string(), "caf\\xe9.txt");
    let tar = tar_bytes(&[file(b"na\xffme", b"x")]);
    let p = write(t.path(), "raw.tar", &tar);
    let r = Release::open(&p, &nested()).unwrap();
    assert_eq!(r.entries[0].path.inner().as_bytes(), b"na\xffme");
    assert_eq!(r.read_entry(&r.entries[0].path.clone(), 10).unwrap(), b"x");
}

#[test]
fn truncated_gzip_names_archive_and_offset() {
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let tar = tar_bytes(&[file(b"data.bin", &noise)]);
    let mut g = gzip(&tar);
    g.truncate(g.len() / 2);
    let e = refused("cut.tar.gz", &g, |_| {});
    let msg = e.to_string();
    assert!(
        msg.contains("cut.tar.gz") && msg.contains("data.bin") && msg.contains("byte"),
        "{msg}"
    );
}

#[test]
fn corrupt_nested_archive_is_listed_as_a_file_with_a_finding() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    let mut g = gzip(&tar_bytes(&[file(b"x", &[3u8; 100_000])]));
    g.truncate(40);
    write(&d, "broken.tar.gz", &g);
    let r = Release::open(&d, &nested()).unwrap();
    assert_eq!(sha(&r, "broken.tar.gz"), Sha256Digest::of(&g));
    assert!(has(&r, "broken.tar.gz", |k| matches!(
        k,
        ReadFindingKind::NotExpanded { .. }
    )));
}

#[test]
fn visit_contents_and_read_entry_reach_nested_files() {
    let t = tempfile::tempdir().unwrap();
    let inner_zip = zip_bytes(&[("sig/engine.sig", b"SIG"), ("other", b"o")]);
    let tar = tar_bytes(&[file(b"inner.zip", &inner_zip), file(b"engine", b"ENGINE")]);
    let d = t.path().join("rel");
    write(&d, "pkg.tar.gz", &gzip(&tar));
    write(&d, "top.txt", b"top");
    let r = Release::open(&d, &nested()).unwrap();
    assert_eq!(
        r.read_entry(&path("pkg.tar.gz!inner.zip!sig/engine.sig"), 100)
            .unwrap(),
        b"SIG"
    );
    assert_eq!(r.read_entry(&path("top.txt"), 100).unwrap(), b"top");
    assert!(matches!(
        r.read_entry(&path("pkg.tar.gz!engine"), 3),
        Err(ReleaseError::TooLarge { .. })
    ));
    assert!(matches!(
        r.read_entry(&path("nope"), 3),
        Err(ReleaseError::NoSuchEntry { .. })
    ));
    // Select a container and its members at once: both arrive, digests match.
    let mut seen = visit_checked(&r, &|e| e.path.to_string() != "pkg.tar.gz!inner.zip!other");
    seen.sort();
    assert_eq!(
        seen,
        [
            "pkg.tar.gz",
            "pkg.tar.gz!engine",
            "pkg.tar.gz!inner.zip",
            "pkg.tar.gz!inner.zip!sig/engine.sig",
            "top.txt"
        ]
    );
    // The same from the archive itself (no random access at the top).
    let top = Release::open(&d.join("pkg.tar.gz"), &nested()).unwrap();
    assert_eq!(visit_checked(&top, &|_| true).len(), 4);
}

#[test]
fn visitor_errors_are_returned_naming_the_entry() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "a.tar", &tar_bytes(&[file(b"f", b"x")]));
    let r = Release::open(&p, &nested()).unwrap();
    let e = r
        .visit_contents(&|_| true, &mut |e, _| {
            Err(ReleaseError::visitor(&e.path, "nope"))
        })
        .unwrap_err();
    assert_eq!(e.to_string(), "f: nope");
}

#[test]
fn limits_default_as_documented() {
    let l = Limits::default();
    assert_eq!(l.max_depth, 8);
    assert_eq!(l.max_ratio, 1000);
}

fn ar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = ar::Builder::new(Vec::new());
    for (name, data) in members {
        let h = ar::Header::new(name.as_bytes().to_vec(), data.len() as u64);
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_compressed_tar_and_plain_compressed_file_is_read() {
    let t = tempfile::tempdir().unwrap();
    let tar = tar_bytes(&[file(b"pkg/engine", b"ENGINE")]);
    let cases: [(&str, Vec<u8>, Format); 4] = [
        ("r.tgz", gzip(&tar), Format::TarGz),
        ("r.tar.xz", xz(&tar), Format::TarXz),
        ("r.tar.zst", zst(&tar), Format::TarZst),
        ("r.tar.bz2", bz2(&tar), Format::TarBz2),
    ];
    for (name, bytes, format) in cases {
        let r = Release::open(&write(t.path(), name, &bytes), &nested()).unwrap();
        assert_eq!(r.format, format, "{name}");
        assert_eq!(sha(&r, "pkg/engine"), Sha256Digest::of(b"ENGINE"), "{name}");
    }
    let plain: [(&str, Vec<u8>, Format, &str); 4] = [
        ("notes.txt.gz", gzip(b"notes"), Format::Gz, "notes.txt"),
        ("notes.txt.xz", xz(b"notes"), Format::Xz, "notes.txt"),
        ("notes.txt.zst", zst(b"notes"), Format::Zst, "notes.txt"),
        ("notes.txt.bz2", bz2(b"notes"), Format::Bz2, "notes.txt"),
    ];
    for (name, bytes, format, inner) in plain {
        let r = Release::open(&write(t.path(), name, &bytes), &nested()).unwrap();
        assert_eq!(r.format, format, "{name}");
        assert_eq!(sha(&r, inner), Sha256Digest::of(b"notes"), "{name}");
    }
    // A plain file is a one-entry release.
    let r = Release::open(&write(t.path(), "engine.bin", b"\x7fELF"), &nested()).unwrap();
    assert_eq!(r.format, Format::File);
    assert_eq!(sha(&r, "engine.bin"), Sha256Digest::of(b"\x7fELF"));
}

#[test]
fn deb_expands_control_and_data_even_without_nesting() {
    let t = tempfile::tempdir().unwrap();
    let control = gzip(&tar_bytes(&[file(b"./control", b"Package: exampleav\n")]));
    let data = xz(&tar_bytes(&[file(b"./usr/bin/engine", b"ENGINE")]));
    let deb = ar_bytes(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar.gz", &control),
        ("data.tar.xz", &data),
    ]);
    let p = write(t.path(), "exampleav_1.1.0_amd64.deb", &deb);
    let r = Release::open(&p, &ReadOptions::default()).unwrap();
    assert_eq!(r.format, Format::Deb);
    assert_eq!(
        sha(&r, "data.tar.xz!usr/bin/engine"),
        Sha256Digest::of(b"ENGINE")
    );
    assert_eq!(
        sha(&r, "control.tar.gz!control"),
        Sha256Digest::of(b"Package: exampleav\n")
    );
    assert_eq!(
        r.entry(&path("data.tar.xz")).unwrap().expanded_as,
        Some(Format::TarXz)
    );
    // A plain ar archive lists its members.
    let a = write(
        t.path(),
        "libx.a",
        &ar_bytes(&[("x.o", b"obj"), ("y.o", b"obj2")]),
    );
    let r = Release::open(&a, &nested()).unwrap();
    assert_eq!(r.format, Format::Ar);
    assert_eq!(sha(&r, "y.o"), Sha256Digest::of(b"obj2"));
}

#[test]
fn a_zip_inside_a_stream_is_buffered_only_up_to_the_cap() {
    let t = tempfile::tempdir().unwrap();
    let big = noise(
        glassbox_core::release::NESTED_ZIP_BUFFER_CAP as usize + 1000,
        7,
    );
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("big.bin", o).unwrap();
    w.write_all(&big).unwrap();
    let z = w.finish().unwrap().into_inner();
    let small = zip_bytes(&[("in.txt", b"in")]);
    let p = write(
        t.path(),
        "r.tar",
        &tar_bytes(&[file(b"big.zip", &z), file(b"small.zip", &small)]),
    );
    let r = Release::open(&p, &nested()).unwrap();
    assert!(has(&r, "big.zip", |k| matches!(
        k,
        ReadFindingKind::NotExpanded {
            format: Format::Zip,
            ..
        }
    )));
    assert_eq!(sha(&r, "big.zip"), Sha256Digest::of(&z));
    assert!(r.entry(&path("big.zip!big.bin")).is_none());
    assert_eq!(sha(&r, "small.zip!in.txt"), Sha256Digest::of(b"in"));
}

/// The in-memory entry point the fuzz targets use, on deterministic
/// mutations of valid archives: errors are fine, panics are not.
#[test]
fn mutated_archives_never_panic() {
    let tar = tar_bytes(&[
        file(b"a/b", b"hello"),
        symlink(b"l", b"a/b"),
        file(b"z", &[1; 700]),
    ]);
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("m.tar", tar.clone()),
        ("m.tar.gz", gzip(&tar)),
        ("m.tar.xz", xz(&tar)),
        ("m.tar.zst", zst(&tar)),
        ("m.tar.bz2", bz2(&tar)),
        ("m.zip", zip_bytes(&[("a", b"hello"), ("b/c", &[2; 900])])),
        (
            "m.deb",
            ar_bytes(&[("debian-binary", b"2.0\n"), ("data.tar.gz", &gzip(&tar))]),
        ),
    ];
    let mut o = nested();
    o.limits.max_expanded_bytes = 16 << 20;
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (name, bytes) in &inputs {
        assert!(
            Release::from_bytes(name, bytes, &o).is_ok(),
            "{name} unmutated"
        );
        for _ in 0..150 {
            let mut m = bytes.clone();
            match next() % 3 {
                0 => {
                    for _ in 0..1 + next() % 4 {
                        let i = (next() as usize) % m.len();
                        m[i] = next() as u8;
                    }
                }
                1 => m.truncate((next() as usize) % m.len()),
                _ => {
                    let i = (next() as usize) % m.len();
                    m.splice(i..i, noise(1 + (next() % 64) as usize, next()));
                }
            }
            let _ = Release::from_bytes(name, &m, &o);
        }
    }
}

#[test]
fn a_large_selected_container_is_handed_over_in_a_second_pass() {
    let t = tempfile::tempdir().unwrap();
    let big = noise(
        glassbox_core::release::NESTED_ZIP_BUFFER_CAP as usize + 4096,
        3,
    );
    let inner = tar_bytes(&[file(b"big.bin", &big), file(b"small", b"s")]);
    let p = write(
        t.path(),
        "outer.tar",
        &tar_bytes(&[file(b"inner.tar", &inner)]),
    );
    let r = Release::open(&p, &nested()).unwrap();
    let seen = visit_checked(&r, &|_| true);
    // Members stream while the container is expanded; the container itself,
    // too big to buffer, comes in the next pass.
    assert_eq!(seen, ["inner.tar!big.bin", "inner.tar!small", "inner.tar"]);
}

#[test]
fn fifos_and_other_special_files_are_listed_never_opened() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    write(&d, "a.txt", b"a");
    let ok = std::process::Command::new("mkfifo")
        .arg(d.join("pipe"))
        .status()
        .expect("coreutils mkfifo");
    assert!(ok.success());
    // Opening the FIFO for reading would block forever: it must not be.
    let r = Release::open(&d, &nested()).unwrap();
    let pipe = r.entry(&path("pipe")).unwrap();
    assert_eq!(pipe.kind, EntryKind::Other);
    assert!(pipe.digests.is_none());
    assert_eq!(sha(&r, "a.txt"), Sha256Digest::of(b"a"));
}

/// A `.deb` (deb(5): `debian-binary`, `control.tar.gz`, `data.tar.xz`)
/// whose data and control members are the given tars.
fn deb_bytes(control: &[u8], data: &[u8]) -> Vec<u8> {
    ar_bytes(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar.gz", &gzip(control)),
        ("data.tar.xz", &xz(data)),
    ])
}

#[test]
fn absolute_symlinks_in_a_deb_resolve_against_the_package_root() {
    let t = tempfile::tempdir().unwrap();
    let data = tar_bytes(&[
        file(b"./etc/ssl/openssl.cnf", b"[openssl_init]\n"),
        // Inside the package: an ordinary link.
        symlink(b"./usr/lib/ssl/openssl.cnf", b"/etc/ssl/openssl.cnf"),
        // A file of the installed system: information only.
        symlink(b"./usr/lib/ssl/certs", b"/etc/ssl/certs"),
        // `..` through the root still escapes, absolute or relative.
        symlink(b"./usr/lib/ssl/up", b"/../etc/passwd"),
        symlink(b"./usr/lib/ssl/rel", b"../../../../etc/passwd"),
    ]);
    // control.tar is not installed at `/`: an absolute link there escapes.
    let control = tar_bytes(&[symlink(b"./conffiles", b"/etc/ssl/openssl.cnf")]);
    let p = write(t.path(), "libssl.deb", &deb_bytes(&control, &data));
    let r = Release::open(&p, &ReadOptions::default()).unwrap();
    assert_eq!(r.format, Format::Deb);
    let data_path = |p: &str| format!("data.tar.xz!{p}");
    let findings: Vec<(String, String, bool)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.path.to_string(),
                f.kind.to_string(),
                f.kind.is_informational(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        vec![
            (
                "control.tar.gz!conffiles".to_string(),
                "symlink to `/etc/ssl/openssl.cnf` resolves outside the release; not followed"
                    .to_string(),
                false
            ),
            (
                data_path("usr/lib/ssl/certs"),
                "points outside the package: /etc/ssl/certs".to_string(),
                true
            ),
            (
                data_path("usr/lib/ssl/rel"),
                "symlink to `../../../../etc/passwd` resolves outside the release; not followed"
                    .to_string(),
                false
            ),
            (
                data_path("usr/lib/ssl/up"),
                "symlink to `/../etc/passwd` resolves outside the release; not followed"
                    .to_string(),
                false
            ),
        ],
        "{findings:#?}"
    );
    // The same tree as a plain tar (no package root): absolute targets
    // escape the release, as before.
    let p = write(t.path(), "data.tar", &data);
    let r = Release::open(&p, &ReadOptions::default()).unwrap();
    assert!(has(&r, "usr/lib/ssl/openssl.cnf", |k| matches!(
        k,
        ReadFindingKind::SymlinkEscapes { .. }
    )));
    assert!(r.findings.iter().all(|f| !f.kind.is_informational()));
}

#[test]
fn a_member_below_an_absolute_symlink_of_a_deb_is_still_refused() {
    let t = tempfile::tempdir().unwrap();
    let data = tar_bytes(&[
        symlink(b"./usr/lib/ssl/certs", b"/etc/ssl/certs"),
        file(b"./usr/lib/ssl/certs/evil.pem", b"x"),
    ]);
    let control = tar_bytes(&[file(b"./control", b"Package: x\n")]);
    let p = write(t.path(), "evil.deb", &deb_bytes(&control, &data));
    let e = Release::open(&p, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(&e, ReleaseError::UnsafeName { entry, .. } if entry.contains("evil.pem")),
        "{e}"
    );
}

//! The tar (and ar) reader reads an archive exactly one way: every archive
//! here is built byte by byte at test time with a construct that GNU tar,
//! bsdtar and Python's tarfile would read differently (issue 18), and each
//! test asserts that reading it is refused with a reason naming the entry.

mod common;
use common::{nested, path, sha};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::release::{EntryKind, Release, ReleaseError};

/// A header block: GNU magic unless `ustar`, raw name and link bytes.
fn header(name: &[u8], typeflag: u8, size: u64, link: &[u8], ustar: bool) -> Vec<u8> {
    let mut h = if ustar {
        tar::Header::new_ustar()
    } else {
        tar::Header::new_gnu()
    };
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(1_700_000_000);
    h.set_uid(0);
    h.set_gid(0);
    let b = h.as_mut_bytes();
    b[..name.len()].copy_from_slice(name);
    b[156] = typeflag;
    b[157..157 + link.len()].copy_from_slice(link);
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// A header with its content, padded to the block size.
fn member(h: Vec<u8>, data: &[u8]) -> Vec<u8> {
    let mut out = h;
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn file(name: &str, data: &[u8]) -> Vec<u8> {
    member(
        header(name.as_bytes(), b'0', data.len() as u64, b"", false),
        data,
    )
}

/// pax records (POSIX.1-2001: "%d %s=%s\n", the length counting itself).
fn pax_records(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in records {
        let body = k.len() + v.len() + 3;
        let mut len = body + body.to_string().len();
        if len.to_string().len() != body.to_string().len() {
            len += 1;
        }
        out.extend_from_slice(format!("{len} {k}=").as_bytes());
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    out
}

fn pax(typeflag: u8, records: &[(&str, &[u8])]) -> Vec<u8> {
    let data = pax_records(records);
    member(
        header(b"PaxHeader", typeflag, data.len() as u64, b"", true),
        &data,
    )
}

/// A GNU long name (`L`) or long link (`K`) header with its NUL.
fn gnu_long(typeflag: u8, name: &[u8]) -> Vec<u8> {
    let mut data = name.to_vec();
    data.push(0);
    member(
        header(b"././@LongLink", typeflag, data.len() as u64, b"", false),
        &data,
    )
}

fn archive(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out: Vec<u8> = parts.concat();
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn read(bytes: &[u8]) -> Result<Release, ReleaseError> {
    Release::from_bytes("t.tar", bytes, &nested())
}

/// Asserts an `Ambiguous` refusal naming `entry` with `why` in its reason.
fn ambiguous(bytes: &[u8], entry: &str, why: &str) {
    match read(bytes) {
        Err(e @ ReleaseError::Ambiguous { .. }) => {
            let ReleaseError::Ambiguous {
                entry: got, reason, ..
            } = &e
            else {
                unreachable!()
            };
            assert!(got.contains(entry), "entry {got:?}, wanted {entry:?}: {e}");
            assert!(reason.contains(why), "reason {reason:?}, wanted {why:?}");
            assert!(e.to_string().contains("real extractors"), "{e}");
        }
        other => panic!("wanted Ambiguous for {entry}, got {other:?}"),
    }
}

fn unsafe_name(bytes: &[u8], entry: &str, why: &str) {
    match read(bytes) {
        Err(ReleaseError::UnsafeName {
            entry: got, reason, ..
        }) => {
            assert!(got.contains(entry), "entry {got:?}, wanted {entry:?}");
            assert!(reason.contains(why), "reason {reason:?}, wanted {why:?}");
        }
        other => panic!("wanted UnsafeName for {entry}, got {other:?}"),
    }
}

#[test]
fn gnu_long_name_and_pax_path_that_disagree_are_refused() {
    // The issue-18 attack: tar-rs believed the long name (a spare
    // signature), GNU tar and Python install the pax path (the engine).
    let tar = archive(&[
        file("engine/avengine", b"good engine"),
        gnu_long(b'L', b"engine/avengine.p7s"),
        pax(b'x', &[("path", b"engine/avengine")]),
        file("engine/avengine.p7", b"tampered engine"),
    ]);
    ambiguous(
        &tar,
        "engine/avengine",
        "GNU long name says `engine/avengine.p7s`",
    );
    // Agreeing sources are one reading.
    let ok = archive(&[
        gnu_long(b'L', b"engine/avengine"),
        pax(b'x', &[("path", b"engine/avengine")]),
        file("engine/avengine.p7", b"engine"),
    ]);
    let r = read(&ok).unwrap();
    assert_eq!(sha(&r, "engine/avengine"), Sha256Digest::of(b"engine"));
}

#[test]
fn gnu_long_link_and_pax_linkpath_that_disagree_are_refused() {
    let tar = archive(&[
        file("a", b"a"),
        file("b", b"b"),
        gnu_long(b'K', b"a"),
        pax(b'x', &[("linkpath", b"b")]),
        member(header(b"l", b'2', 0, b"a", false), b""),
    ]);
    ambiguous(&tar, "l", "GNU long link target says `a`");
}

#[test]
fn pax_global_header_renaming_members_is_refused() {
    let tar = archive(&[
        pax(b'g', &[("path", b"engine/avengine")]),
        file("README", b"harmless"),
    ]);
    ambiguous(&tar, "first header", "sets `path`");
    // `git archive` writes a global header with only a comment: one reading.
    let git = archive(&[
        pax(
            b'g',
            &[("comment", b"0123456789abcdef0123456789abcdef01234567")],
        ),
        file("README", b"harmless"),
    ]);
    assert_eq!(read(&git).unwrap().entries.len(), 1);
}

#[test]
fn a_name_twice_is_refused_after_normalisation() {
    for second in ["a.txt", "./a.txt", ".//a.txt", "././a.txt"] {
        let tar = archive(&[file("a.txt", b"one"), file(second, b"two")]);
        ambiguous(&tar, second, "occurs twice");
    }
    // Directories too, with and without the trailing slash.
    let dir = |n: &[u8]| member(header(n, b'5', 0, b"", false), b"");
    ambiguous(&archive(&[dir(b"d/"), dir(b"./d")]), "./d", "occurs twice");
    // A file and a symlink with one name.
    let tar = archive(&[
        file("lib.so", b"x"),
        member(header(b"lib.so", b'2', 0, b"other.so", false), b""),
    ]);
    ambiguous(&tar, "lib.so", "occurs twice");
}

#[test]
fn header_types_the_extractors_disagree_on_are_refused() {
    for (t, why) in [
        (b'A', "Solaris ACL"),
        (b'D', "dump directory"),
        (b'M', "multi-volume"),
        (b'V', "volume label"),
        (b'X', "Solaris extended header"),
        (b'!', "not a letter or digit"),
    ] {
        let tar = archive(&[member(header(b"m", t, 6, b"", false), b"hello\n")]);
        ambiguous(&tar, "m", why);
    }
    // Types that GNU tar, bsdtar and Python all extract as regular files.
    for t in [b'7', b'N', b'Q', b'8'] {
        let tar = archive(&[member(header(b"m", t, 6, b"", false), b"hello\n")]);
        let r = read(&tar).unwrap();
        let e = r.entry(&path("m")).unwrap();
        assert_eq!(e.kind, EntryKind::File, "type {}", t as char);
        assert_eq!(e.digests.unwrap().sha256, Sha256Digest::of(b"hello\n"));
    }
}

#[test]
fn unknown_type_a_matches_what_gnu_tar_and_bsdtar_do() {
    // The experiment behind `disputed_type`, rerun: GNU tar extracts type
    // `A` as a file, bsdtar does not; so glassbox refuses it.
    let t = tempfile::tempdir().unwrap();
    let tar = archive(&[
        member(header(b"m", b'A', 6, b"", false), b"hello\n"),
        file("after", b"after\n"),
    ]);
    let p = t.path().join("a.tar");
    std::fs::write(&p, &tar).unwrap();
    let extract = |tool: &str, dir: &str| {
        let d = t.path().join(dir);
        std::fs::create_dir(&d).unwrap();
        let _ = Command::new(tool)
            .arg("-xf")
            .arg(&p)
            .arg("-C")
            .arg(&d)
            .output()
            .expect("tool installed");
        d.join("m").exists()
    };
    let gnu = extract("tar", "gnu");
    let bsd = extract("bsdtar", "bsd");
    assert_ne!(gnu, bsd, "the tools agree now: revisit disputed_type");
    ambiguous(&tar, "m", "Solaris ACL");
}

#[test]
fn unsafe_names_and_links_are_refused() {
    unsafe_name(
        &archive(&[file("/etc/passwd", b"x")]),
        "/etc/passwd",
        "absolute",
    );
    unsafe_name(&archive(&[file("a/../../x", b"x")]), "a/../../x", "`..`");
    // A hard link with no earlier regular file of that name.
    unsafe_name(
        &archive(&[member(header(b"hl", b'1', 0, b"etc/shadow", false), b"")]),
        "hl",
        "no earlier member",
    );
    // Nor may it name itself.
    unsafe_name(
        &archive(&[member(header(b"hl", b'1', 0, b"hl", false), b"")]),
        "hl",
        "no earlier regular file",
    );
    unsafe_name(
        &archive(&[member(
            header(b"hl", b'1', 0, b"../../etc/shadow", false),
            b"",
        )]),
        "hl",
        "outside the archive",
    );
    // A symlink without a target.
    unsafe_name(
        &archive(&[member(header(b"s", b'2', 0, b"", false), b"")]),
        "s",
        "without a target",
    );
    // A member written through a symlink declared earlier.
    let through = archive(&[
        member(header(b"lib", b'2', 0, b"/etc", false), b""),
        file("lib/cron.d/evil", b"* * * * * root sh"),
    ]);
    unsafe_name(&through, "lib/cron.d/evil", "symlink declared earlier");
    // A link target longer than PATH_MAX.
    let long = vec![b'a'; 5000];
    let tar = archive(&[
        gnu_long(b'K', &long),
        member(header(b"s", b'2', 0, b"x", false), b""),
    ]);
    match read(&tar) {
        Err(ReleaseError::UnsafeName { .. } | ReleaseError::Ambiguous { .. }) => {}
        other => panic!("{other:?}"),
    }
    // The hard link to an earlier file is fine.
    let ok = archive(&[
        file("bin/a", b"x"),
        member(header(b"bin/b", b'1', 0, b"bin/a", false), b""),
    ]);
    assert_eq!(
        read(&ok).unwrap().entry(&path("bin/b")).unwrap().kind,
        EntryKind::Hardlink
    );
}

#[test]
fn sizes_and_trailing_data_read_two_ways_are_refused() {
    // pax size and header size disagree.
    let tar = archive(&[pax(b'x', &[("size", b"3")]), file("f", b"hello")]);
    ambiguous(&tar, "f", "pax `size` says 3");
    // A directory with content bytes: Python reads them as a header.
    let tar = archive(&[member(header(b"d/", b'5', 512, b"", false), &[b'x'; 512])]);
    ambiguous(&tar, "d/", "content bytes");
    // A regular file named like a directory.
    ambiguous(&archive(&[file("d/", b"")]), "d/", "ends in `/`");
    // A member hidden after the end-of-archive marker (`tar -i` reads it).
    let mut tar = archive(&[file("a", b"a")]);
    tar.extend_from_slice(&file("hidden", b"h"));
    tar.extend_from_slice(&[0u8; 1024]);
    ambiguous(&tar, "end-of-archive", "--ignore-zeros");
    // A GNU header with a ustar prefix: Python prepends it.
    let mut h = header(b"name", b'0', 0, b"", false);
    h[345..350].copy_from_slice(b"evil/");
    let mut t = tar::Header::new_old();
    t.as_mut_bytes().copy_from_slice(&h);
    t.set_cksum();
    ambiguous(&archive(&[t.as_bytes().to_vec()]), "name", "prefix");
    // pax keywords that only some readers act on.
    let tar = archive(&[pax(b'x', &[("GNU.sparse.size", b"100")]), file("f", b"x")]);
    ambiguous(&tar, "f", "GNU.sparse");
}

/// Python takes a header whose device numbers do not parse for the end of
/// the archive (it extracts `a` only); GNU tar and bsdtar extract `b` too.
/// A first byte 0x95 is base-256 to GNU tar and bsdtar, nothing to Python;
/// `9` is nothing to anyone.
#[test]
fn numeric_fields_python_cannot_parse_are_refused() {
    for (field, what, bad) in [
        (329..337, "devmajor", 0x95),
        (337..345, "devminor", 0x95),
        (337..345, "devminor", b'9'),
    ] {
        let mut h = header(b"b", b'0', 1, b"", true);
        h[field.start] = bad;
        let mut t = tar::Header::new_old();
        t.as_mut_bytes().copy_from_slice(&h);
        t.set_cksum();
        let tar = archive(&[file("a", b"a"), member(t.as_bytes().to_vec(), b"b")]);
        match read(&tar) {
            Err(ReleaseError::Corrupt { entry, reason, .. }) => {
                assert!(entry.contains("after `a`"), "{entry}");
                assert!(reason.contains(what), "{reason}");
            }
            other => panic!("wanted Corrupt for {what}, got {other:?}"),
        }
    }
    // The same in a pax header's own mtime: Python stops there, before `b`.
    let mut x = pax(b'x', &[("path", b"b")]);
    x[142] = b'I';
    let mut t = tar::Header::new_old();
    t.as_mut_bytes().copy_from_slice(&x[..512]);
    t.set_cksum();
    x[..512].copy_from_slice(t.as_bytes());
    let tar = archive(&[file("a", b"a"), x, file("bb", b"b")]);
    match read(&tar) {
        Err(ReleaseError::Corrupt { reason, .. }) => assert!(reason.contains("mtime"), "{reason}"),
        other => panic!("wanted Corrupt for a pax header's mtime, got {other:?}"),
    }
}

#[test]
fn ar_members_with_one_name_are_refused() {
    let mut b = ar::Builder::new(Vec::new());
    for data in [&b"one"[..], b"two"] {
        b.append(&ar::Header::new(b"x.o".to_vec(), data.len() as u64), data)
            .unwrap();
    }
    let a = b.into_inner().unwrap();
    match Release::from_bytes("lib.a", &a, &nested()) {
        Err(ReleaseError::Ambiguous { entry, .. }) => assert_eq!(entry, "x.o"),
        other => panic!("{other:?}"),
    }
}

/// GNU sparse members (old GNU format, written by `tar --format=gnu -S`).
fn sparse_member(real: u64, segments: &[(u64, &[u8])]) -> Vec<u8> {
    let stored: Vec<u8> = segments.iter().flat_map(|(_, d)| d.to_vec()).collect();
    let mut h = header(b"sparse.img", b'S', stored.len() as u64, b"", false);
    for (i, (off, d)) in segments.iter().enumerate() {
        let at = 386 + i * 24;
        h[at..at + 12].copy_from_slice(format!("{off:012o}").as_bytes());
        h[at + 12..at + 24].copy_from_slice(format!("{:012o}", d.len()).as_bytes());
    }
    h[483..495].copy_from_slice(format!("{real:012o}").as_bytes());
    let mut t = tar::Header::new_old();
    t.as_mut_bytes().copy_from_slice(&h);
    t.set_cksum();
    member(t.as_bytes().to_vec(), &stored)
}

#[test]
fn sparse_holes_count_against_the_limits_before_hashing() {
    a_sparse_file_archived_by_gnu_tar_reads_as_gnu_tar_extracts_it();
    // 8 GiB of holes behind one stored byte.
    let tar = archive(&[sparse_member(8 << 30, &[(0, b"x")])]);
    let start = std::time::Instant::now();
    match read(&tar) {
        Err(ReleaseError::RatioLimit { entry, .. }) => assert_eq!(entry, "sparse.img"),
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    // Within the ratio, the expanded-bytes limit still applies up front.
    let data = vec![7u8; 4096];
    let tar = archive(&[sparse_member(
        2 << 20,
        &[(0, &data), ((2 << 20) - 4096, &data)],
    )]);
    let mut o = nested();
    o.limits.max_expanded_bytes = 1 << 20;
    assert!(matches!(
        Release::from_bytes("t.tar", &tar, &o),
        Err(ReleaseError::ExpandedBytesLimit { .. })
    ));
    // And read in full it is the file with its holes.
    let r = read(&tar).unwrap();
    let mut want = vec![0u8; 2 << 20];
    want[..4096].copy_from_slice(&data);
    want[(2 << 20) - 4096..].copy_from_slice(&data);
    let e = r.entry(&path("sparse.img")).unwrap();
    assert_eq!(e.size, 2 << 20);
    assert_eq!(e.digests.unwrap().sha256, Sha256Digest::of(&want));
}

/// Positive control for the sparse reader: a file GNU tar archived with
/// `-S` reads as the file itself.
fn a_sparse_file_archived_by_gnu_tar_reads_as_gnu_tar_extracts_it() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let mut f = std::fs::File::create(src.join("disk.img")).unwrap();
    f.write_all(b"head").unwrap();
    f.set_len(3 << 20).unwrap();
    drop(f);
    {
        use std::io::{Seek, SeekFrom};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(src.join("disk.img"))
            .unwrap();
        f.seek(SeekFrom::Start(2 << 20)).unwrap();
        f.write_all(b"middle").unwrap();
    }
    let out = gnu_sparse_tar(&t.path().join("s.tar"), &src, &["disk.img"]);
    let want = Sha256Digest::of(&std::fs::read(src.join("disk.img")).unwrap());
    let r = Release::open(&out, &nested()).unwrap();
    assert_eq!(sha(&r, "disk.img"), want);
}

#[test]
fn an_ambiguous_archive_nested_in_a_release_stops_the_read() {
    // Not a `not-expanded` finding on an otherwise readable release: the
    // nested archive is unpacked by customers too.
    let inner = archive(&[file("a", b"one"), file("./a", b"two")]);
    let outer = archive(&[file("pkg/inner.tar", &inner)]);
    match read(&outer) {
        Err(ReleaseError::Ambiguous { archive, entry, .. }) => {
            assert!(archive.ends_with("!pkg/inner.tar"), "{archive}");
            assert_eq!(entry, "./a");
        }
        other => panic!("{other:?}"),
    }
}

/// An old GNU sparse member with raw 24-byte map entries in the header,
/// `isextended` and the given extension blocks before the stored data.
fn sparse_raw(
    real: u64,
    entries: &[Vec<u8>],
    isext: bool,
    ext: &[Vec<u8>],
    stored: &[u8],
) -> Vec<u8> {
    let mut h = header(b"sparse.img", b'S', stored.len() as u64, b"", false);
    for (i, e) in entries.iter().enumerate() {
        h[386 + i * 24..386 + (i + 1) * 24].copy_from_slice(e);
    }
    h[482] = u8::from(isext);
    h[483..495].copy_from_slice(format!("{real:011o}\0").as_bytes());
    let mut t = tar::Header::new_old();
    t.as_mut_bytes().copy_from_slice(&h);
    t.set_cksum();
    let mut out = t.as_bytes().to_vec();
    for b in ext {
        out.extend_from_slice(b);
    }
    member(out, stored)
}

/// A map entry as GNU tar writes it: two 11-digit octal numbers, each NUL
/// terminated.
fn sparse_entry(off: u64, len: u64) -> Vec<u8> {
    format!("{off:011o}\0{len:011o}\0").into_bytes()
}

/// What `tar -xf` (GNU) or Python's `extractall` installs as `sparse.img`.
fn extracted_by(tool: &str, tar: &[u8]) -> Vec<u8> {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("s.tar");
    std::fs::write(&file, tar).unwrap();
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let status = match tool {
        "gnu" => Command::new("tar")
            .arg("-xf")
            .arg(&file)
            .arg("-C")
            .arg(&out)
            .status(),
        _ => Command::new("python3")
            .args([
                "-c",
                "import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])",
            ])
            .arg(&file)
            .arg(&out)
            .status(),
    }
    .unwrap();
    assert!(status.success(), "{tool} failed");
    std::fs::read(out.join("sparse.img")).unwrap()
}

/// Where an old GNU sparse map ends is read differently (adversarial
/// review of issue 18): GNU tar stops at a length field starting with a NUL
/// and then ignores `isextended`, bsdtar stops at an offset field starting
/// with a NUL, Python reads on. Each map below installs other bytes with
/// one extractor than glassbox hashed, so each is refused.
#[test]
fn sparse_maps_whose_end_extractors_find_differently_are_refused() {
    let data: Vec<u8> = (0..8192u32).map(|i| (i % 251) as u8 + 1).collect();
    let n = data.len() as u64;
    let zero = vec![0u8; 24];
    // Entry 2 has a NUL length: GNU tar ends the map there and installs
    // only the first 4096 bytes (shown), glassbox read on.
    let mut nul_len = format!("{:011o}\0", 4096).into_bytes();
    nul_len.extend_from_slice(&[0u8; 12]);
    let gnu_stops = sparse_raw(
        n,
        &[sparse_entry(0, 4096), nul_len, sparse_entry(4096, n - 4096)],
        false,
        &[],
        &data,
    );
    let gnu = extracted_by("gnu", &archive(std::slice::from_ref(&gnu_stops)));
    assert_ne!(gnu, data, "GNU tar installs the signed bytes after all");
    ambiguous(&archive(&[gnu_stops]), "sparse.img", "starts with a NUL");
    // A NUL offset: bsdtar ends the map there.
    let mut nul_off = vec![0u8; 12];
    nul_off.extend_from_slice(format!("{n:011o}\0").as_bytes());
    let tar = archive(&[sparse_raw(n, &[nul_off], false, &[], &data)]);
    ambiguous(&tar, "sparse.img", "starts with a NUL");
    // The map ended by an all-zero entry, yet `isextended` is set: GNU tar
    // reads the extension block as the file's first 512 bytes.
    let tar = archive(&[sparse_raw(
        n,
        &[sparse_entry(0, n), zero.clone()],
        true,
        &[vec![0u8; 512]],
        &data,
    )]);
    ambiguous(&tar, "sparse.img", "isextended");
    // Zero-length entries before data: Python skips the extension block's
    // offset-0 entry and installs zeros (shown); GNU tar and glassbox read
    // on.
    let mut ext = vec![0u8; 512];
    ext[..24].copy_from_slice(&sparse_entry(0, n));
    let zeros_first = sparse_raw(n, &vec![sparse_entry(0, 0); 4], true, &[ext], &data);
    let py = extracted_by("python", &archive(std::slice::from_ref(&zeros_first)));
    assert_ne!(py, data, "Python installs the signed bytes after all");
    ambiguous(&archive(&[zeros_first]), "sparse.img", "zero-length");
    // GNU tar's own form of a file ending in a hole, a final (size, 0)
    // entry, still reads.
    let tar = archive(&[sparse_raw(
        2 * n,
        &[sparse_entry(0, n), sparse_entry(2 * n, 0)],
        false,
        &[],
        &data,
    )]);
    let mut want = data.clone();
    want.resize(2 * data.len(), 0);
    let r = read(&tar).unwrap();
    assert_eq!(sha(&r, "sparse.img"), Sha256Digest::of(&want));
}

/// A pax header near the 1 MiB glassbox reads, of ~40,000 distinct keys
/// every extractor accepts (`SCHILY.xattr.*`), on each of several members:
/// the duplicate-key check compared every record with every earlier one,
/// minutes per member in a debug build (adversarial review of issue 18).
/// Work must stay linear in the header.
#[test]
fn a_pax_header_of_many_records_reads_in_linear_time() {
    let keys: Vec<String> = (0..40_000).map(|i| format!("SCHILY.xattr.k{i}")).collect();
    let records: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), &b""[..])).collect();
    let mut parts = Vec::new();
    for i in 0..4 {
        parts.push(pax(b'x', &records));
        parts.push(file(&format!("f{i}"), b"x"));
    }
    let tar = archive(&parts);
    assert!(tar.len() > 3 << 20, "{}", tar.len());
    let start = std::time::Instant::now();
    let r = read(&tar).unwrap();
    assert!(r.entry(&path("f3")).is_some());
    assert!(
        start.elapsed().as_secs() < 10,
        "{:?} for 3.5 MiB of pax records",
        start.elapsed()
    );
}

/// Positive control for the sparse-map rules: what GNU tar itself writes
/// (a map spilling into extension blocks, a file that is one hole, a file
/// ending in a hole) reads as the files GNU tar archived.
#[test]
fn sparse_maps_gnu_tar_writes_still_read() {
    use std::io::{Seek, SeekFrom};
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let mut many = std::fs::File::create(src.join("many.img")).unwrap();
    for i in 0..40u64 {
        many.seek(SeekFrom::Start(i * 65536)).unwrap();
        many.write_all(format!("segment {i}").as_bytes()).unwrap();
    }
    many.set_len(40 * 65536 + 100_000).unwrap();
    drop(many);
    std::fs::File::create(src.join("hole.img"))
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let mut tail = std::fs::File::create(src.join("tail.img")).unwrap();
    tail.write_all(b"head").unwrap();
    tail.set_len(1 << 20).unwrap();
    drop(tail);
    let out = gnu_sparse_tar(
        &t.path().join("s.tar"),
        &src,
        &["many.img", "hole.img", "tail.img"],
    );
    let mut o = nested();
    o.limits.max_ratio = u64::MAX;
    let r = Release::open(&out, &o).unwrap();
    for name in ["many.img", "hole.img", "tail.img"] {
        let want = Sha256Digest::of(&std::fs::read(src.join(name)).unwrap());
        assert_eq!(
            r.entry(&path(name)).unwrap().digests.unwrap().sha256,
            want,
            "{name}"
        );
    }
}

/// GNU tar's own sparse archive (`--format=gnu -S`) of `files` under `src`,
/// written to `out`.
fn gnu_sparse_tar(out: &Path, src: &Path, files: &[&str]) -> PathBuf {
    let ok = Command::new("tar")
        .args(["--format=gnu", "-S", "-cf"])
        .arg(out)
        .arg("-C")
        .arg(src)
        .args(files)
        .status()
        .unwrap();
    assert!(ok.success());
    out.to_path_buf()
}

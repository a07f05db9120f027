//! The adversarial review of issue 18, kept as regression cases: each input
//! below is a tampered archive that real extractors (GNU tar, bsdtar,
//! Python's tarfile/zipfile, unzip, Java) read differently from each other
//! or from the bytes a signature covers (checked by hand with each tool;
//! see the comment of each case). glassbox already refused each one when
//! the review tried it; the table keeps it that way. The attacks that did
//! break through have their own tests next to the fixes
//! (`tar_one_reading.rs`, `zip_one_reading.rs`, `repro_normalizers.rs`).
//!
//! A case passes when the member named `target` is not hashed as a plain
//! file: the read fails, or the member is recorded without a digest (an
//! unreadable member, which `verify` fails on).

mod common;
use common::{ZipMember, deflate, gzip, zip_bytes};

use glassbox_core::release::{EntryPath, RawPath, ReadOptions, Release};

/// A tar header block (GNU magic unless `magic` is given), checksum set.
fn tar_header(name: &[u8], typeflag: u8, size_field: &[u8], magic: &[u8; 8]) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..124 + size_field.len()].copy_from_slice(size_field);
    h[136..148].copy_from_slice(b"14000000000\0");
    h[156] = typeflag;
    h[257..265].copy_from_slice(magic);
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

const GNU: &[u8; 8] = b"ustar  \0";
const V7: &[u8; 8] = &[0; 8];

fn size(n: usize) -> Vec<u8> {
    format!("{n:011o}\0").into_bytes()
}

fn tar_member(name: &[u8], data: &[u8], magic: &[u8; 8]) -> Vec<u8> {
    let mut out = tar_header(name, b'0', &size(data.len()), magic);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut n = body.len() + 1;
    while n.to_string().len() + body.len() != n {
        n += 1;
    }
    format!("{n}{body}").into_bytes()
}

fn tar(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = parts.concat();
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// Whether `target` came out of reading `bytes` (named `name`) as a
/// hashed file.
fn hashed(name: &str, bytes: &[u8], target: &str) -> bool {
    let opts = ReadOptions {
        expand_nested: true,
        ..Default::default()
    };
    match Release::from_bytes(name, bytes, &opts) {
        Ok(r) => r
            .entry(&EntryPath::top(RawPath::from(target)))
            .is_some_and(|e| e.digests.is_some()),
        Err(_) => false,
    }
}

#[test]
fn tampered_archives_the_review_tried_are_not_read_as_plain_files() {
    let genuine = b"the signed engine".to_vec();
    let evil = b"#!/bin/sh\necho pwned\n".to_vec();
    let good_tar = tar(&[tar_member(b"engine", &genuine, GNU)]);
    let good_zip = zip_bytes(b"", &[ZipMember::deflated("engine", &genuine)]);
    // Positive controls: the untampered forms read.
    assert!(hashed("r.tar", &good_tar, "engine"));
    assert!(hashed("r.tar.gz", &gzip(&good_tar), "engine"));
    assert!(hashed("r.zip", &good_zip, "engine"));

    let mut cases: Vec<(&str, &str, Vec<u8>)> = Vec::new();
    // A pax header in a pre-POSIX (v7, no magic) block renaming a later
    // member onto `engine`: GNU tar, bsdtar and Python all apply it (by
    // experiment) and install the evil bytes last.
    let rec = pax_record("path", "engine");
    let mut pax = tar_header(b"PaxHeader", b'x', &size(rec.len()), V7);
    pax.extend_from_slice(&rec);
    pax.resize(1024, 0);
    cases.push((
        "pax header in a v7 block renames a later member",
        "r.tar",
        tar(&[
            tar_member(b"engine", &genuine, GNU),
            pax,
            tar_member(b"zz", &evil, GNU),
        ]),
    ));
    // Trailing garbage after the gzip member: gzip (so GNU tar) fails,
    // bsdtar and Python extract.
    let mut garbage = gzip(&good_tar);
    garbage.extend_from_slice(b"garbage!");
    cases.push(("gzip with trailing garbage", "r.tar.gz", garbage));
    // Zero padding after the gzip member: each reader skips it its own
    // way; glassbox refuses the stream rather than guess.
    let mut zeros = gzip(&good_tar);
    zeros.extend_from_slice(&[0u8; 100]);
    cases.push(("gzip with zero padding", "r.tar.gz", zeros));
    // A size field cut by a NUL with digits after it: Python reads the
    // digits before the NUL, GNU tar complains.
    let mut cut = tar_header(b"engine", b'0', b"0000\x000000021\0", GNU);
    cut.extend_from_slice(&genuine);
    cut.resize(1024, 0);
    cases.push(("size field with a NUL inside", "r.tar", tar(&[cut])));
    // Base-256 with a first byte other than 0x80/0xff: GNU tar and Python
    // reject it, libarchive reads its low bits.
    let mut b256 = vec![0x81u8];
    b256.extend_from_slice(&[0u8; 10]);
    b256.push(genuine.len() as u8);
    let mut odd = tar_header(b"engine", b'0', &b256, GNU);
    odd.extend_from_slice(&genuine);
    odd.resize(1024, 0);
    cases.push(("base-256 size with 0x81", "r.tar", tar(&[odd])));
    // Trailing data after the end-of-archive blocks (`tar -i` reads it).
    let mut after = good_tar.clone();
    after.extend_from_slice(&tar_member(b"engine2", &evil, GNU));
    cases.push(("a member after the end marker", "r.tar", after));

    // Stored, compressed size larger than the size: unzip writes all the
    // bytes (evil tail included), Python and bsdtar stop at the size.
    let mut stored = ZipMember::deflated("engine", &genuine);
    stored.method = 0;
    stored.raw = [genuine.clone(), evil.clone()].concat();
    cases.push(("stored, csize > size", "r.zip", zip_bytes(b"", &[stored])));
    // Deflate inflating to more (the evil tail) than the declared size:
    // unzip and Java install the tail, Python stops at the size.
    let mut longer = ZipMember::deflated("engine", &genuine);
    longer.raw = deflate(&[genuine.clone(), evil.clone()].concat());
    cases.push((
        "deflate longer than its size",
        "r.zip",
        zip_bytes(b"", &[longer]),
    ));
    // Deflate shorter than the declared size, CRC of the full content.
    let mut shorter = ZipMember::deflated("engine", &genuine);
    shorter.raw = deflate(&genuine[..4]);
    cases.push((
        "deflate shorter than its size",
        "r.zip",
        zip_bytes(b"", &[shorter]),
    ));
    // The encryption flag on a plain member: every extractor asks for a
    // password or fails.
    let mut enc = ZipMember::deflated("engine", &genuine);
    enc.flags = 1;
    cases.push(("encryption flag", "r.zip", zip_bytes(b"", &[enc])));
    // A truncated extra field in the central directory: Python and bsdtar
    // fail, unzip and Java extract.
    let mut extra = ZipMember::deflated("engine", &genuine);
    extra.cd_extra = b"\x55\x54\x05\x00\x01\x00\x00".to_vec();
    cases.push((
        "truncated central extra field",
        "r.zip",
        zip_bytes(b"", &[extra]),
    ));

    let broke: Vec<&str> = cases
        .iter()
        .filter(|(_, name, bytes)| hashed(name, bytes, "engine"))
        .map(|(what, _, _)| *what)
        .collect();
    assert!(broke.is_empty(), "read as plain files: {broke:?}");
}

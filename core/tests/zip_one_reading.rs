//! The zip reader reads an archive exactly one way (issue 18): the central
//! directory and the local headers must describe the same members, laid
//! out back to back with no unexplained byte. Each archive here is written
//! byte by byte at test time (APPNOTE.TXT 4.3) with one construct that
//! unzip, Python's zipfile and Java's ZipFile/ZipInputStream read
//! differently, and each test asserts the read is refused naming the entry.

mod common;
use common::{ZipMember, crc, deflate, nested, sha, zip_bytes};

use std::process::Command;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::release::{Release, ReleaseError};

/// Reads the zip from a file (the top-level path, with random access).
fn read(bytes: &[u8]) -> Result<Release, ReleaseError> {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("r.zip");
    std::fs::write(&p, bytes).unwrap();
    let on_disk = Release::open(&p, &nested());
    // The in-memory reading (nested zips) must agree.
    let in_memory = Release::from_bytes("r.zip", bytes, &nested());
    assert_eq!(
        on_disk
            .as_ref()
            .err()
            .map(|e| e.to_string().replace(&p.display().to_string(), "r.zip")),
        in_memory.as_ref().err().map(|e| e.to_string()),
    );
    on_disk
}

fn ambiguous(bytes: &[u8], entry: &str, why: &str) {
    match read(bytes) {
        Err(ReleaseError::Ambiguous {
            entry: got, reason, ..
        }) => {
            assert!(
                got.contains(entry),
                "entry {got:?}, wanted {entry:?} ({reason})"
            );
            assert!(reason.contains(why), "reason {reason:?}, wanted {why:?}");
        }
        other => panic!("wanted Ambiguous for {entry}, got {other:?}"),
    }
}

/// Positive control: the hand-built layout itself is one reading.
fn a_well_formed_hand_built_zip_reads() {
    let r = read(&zip_bytes(
        b"",
        &[
            ZipMember::stored("a.txt", b"alpha"),
            ZipMember::stored("dir/b", b"beta"),
        ],
    ))
    .unwrap();
    assert_eq!(sha(&r, "dir/b"), Sha256Digest::of(b"beta"));
}

#[test]
fn one_name_twice_in_the_central_directory_is_refused() {
    a_well_formed_hand_built_zip_reads();
    for second in ["engine", "./engine"] {
        let members = [
            ZipMember::stored("engine", b"good"),
            ZipMember::stored(second, b"evil"),
        ];
        ambiguous(&zip_bytes(b"", &members), second, "occurs twice");
    }
}

#[test]
fn a_local_header_the_central_directory_does_not_list_is_refused() {
    zips_written_by_info_zip_and_python_streaming_read();
    let mut hidden = ZipMember::stored("engine", b"evil");
    hidden.listed = false;
    ambiguous(
        &zip_bytes(b"", &[ZipMember::stored("README", b"hi"), hidden]),
        "(central directory)",
        "ZipInputStream",
    );
}

#[test]
fn a_local_header_that_differs_from_its_central_record_is_refused() {
    let mut e = ZipMember::stored("engine.sig", b"evil");
    e.local_name = Some(b"engine.bin".to_vec());
    ambiguous(&zip_bytes(b"", &[e]), "engine.sig", "local header's name");
}

#[test]
fn entries_sharing_bytes_are_refused() {
    // Many central records over one member's data: the 16 GB hashed from
    // 1 MB of the issue.
    let mut copies = vec![ZipMember::stored("m0", &[0u8; 4096])];
    for i in 1..4 {
        let mut c = ZipMember::stored(&format!("m{i}"), &[0u8; 4096]);
        c.listed = true;
        c.offset = Some(0);
        copies.push(c);
    }
    // Only the first is written as a local entry.
    let mut bytes = zip_bytes(b"", &copies[..1]);
    let cd_at = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let eocd_at = bytes.len() - 22;
    let record = bytes[cd_at..eocd_at].to_vec();
    let mut more = Vec::new();
    for i in 1..4u8 {
        let mut r = record.clone();
        let n = r.len();
        r[n - 1] = b'0' + i;
        more.extend_from_slice(&r);
    }
    bytes.splice(eocd_at..eocd_at, more.iter().copied());
    let eocd_at = bytes.len() - 22;
    bytes[eocd_at + 8..eocd_at + 10].copy_from_slice(&4u16.to_le_bytes());
    bytes[eocd_at + 10..eocd_at + 12].copy_from_slice(&4u16.to_le_bytes());
    let cd_len = (eocd_at - cd_at) as u32;
    bytes[eocd_at + 12..eocd_at + 16].copy_from_slice(&cd_len.to_le_bytes());
    ambiguous(&bytes, "m", "overlaps");
}

#[test]
fn bytes_before_the_first_entry_are_refused() {
    // A prefix the zip sniffer accepts (it starts like a local header),
    // offsets pointing past it.
    let stub = b"PK\x03\x04 a stub that unpacks the zip that follows";
    ambiguous(
        &zip_bytes(stub, &[ZipMember::stored("a", b"a")]),
        "a",
        "self-extractor",
    );
    // The same prefix without fixing the offsets (readers that guess the
    // shift, like the zip crate, and those that do not disagree).
    let mut shifted = stub.to_vec();
    shifted.extend_from_slice(&zip_bytes(b"", &[ZipMember::stored("a", b"a")]));
    ambiguous(&shifted, "(central directory)", "self-extractor");
    // A real self-extractor starts with its executable header. unzip,
    // bsdtar and Python still find the zip from its end and extract it, so
    // listing the file as one opaque file would be a second reading (found
    // by cli/tests/differential.rs): refused too, offsets shifted or not.
    let mut sfx = b"MZ\x90\0".to_vec();
    sfx.extend_from_slice(&zip_bytes(b"", &[ZipMember::stored("a", b"a")]));
    ambiguous(&sfx, "(central directory)", "self-extractor");
    ambiguous(
        &zip_bytes(b"MZ\x90\0 stub", &[ZipMember::stored("a", b"a")]),
        "a",
        "self-extractor",
    );
    // A file that merely holds the end-record signature near its end, with
    // no central directory where it points, is still one plain file.
    let mut plain = b"MZ\x90\0 just a program ".to_vec();
    plain.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\x10\0\0\0\0\0");
    let r = read(&plain).unwrap();
    assert_eq!(r.entries.len(), 1);
    assert_eq!(r.entries[0].expanded_as, None);
}

#[test]
fn zip64_fields_that_do_not_match_the_record_are_refused() {
    let mut e = ZipMember::stored("big", b"small really");
    // A zip64 extra field (0x0001) with a size although no field is maxed.
    e.cd_extra = [
        &1u16.to_le_bytes()[..],
        &8u16.to_le_bytes(),
        &(1u64 << 33).to_le_bytes(),
    ]
    .concat();
    ambiguous(&zip_bytes(b"", &[e]), "big", "zip64 extra field");
}

#[test]
fn an_info_zip_unicode_path_that_disagrees_is_refused() {
    let mut e = ZipMember::stored("readme.txt", b"x");
    let unicode = b"engine";
    let mut data = vec![1u8];
    data.extend_from_slice(&crc(b"readme.txt").to_le_bytes());
    data.extend_from_slice(unicode);
    e.cd_extra = [
        &0x7075u16.to_le_bytes()[..],
        &(data.len() as u16).to_le_bytes(),
        &data,
    ]
    .concat();
    ambiguous(&zip_bytes(b"", &[e]), "readme.txt", "Unicode Path");
}

#[test]
fn names_the_extractors_decode_differently_are_refused() {
    ambiguous(
        &zip_bytes(b"", &[ZipMember::stored("a\\b", b"x")]),
        "a\\\\b",
        "backslash",
    );
    let mut latin = ZipMember::stored("x", b"x");
    latin.name = b"caf\x82.txt".to_vec();
    ambiguous(&zip_bytes(b"", &[latin]), "caf", "CP437");
}

/// bsdtar makes a directory of a member whose attributes say directory
/// (S_IFDIR, or the MS-DOS bit 0x10) whatever its name; unzip, Python and
/// Java write a file. Found by cli/tests/differential.rs.
#[test]
fn a_directory_by_attributes_but_not_by_name_is_refused() {
    let mut unix = ZipMember::stored("engine/avengine.p7s", b"signature");
    unix.attrs = 0o040755 << 16;
    ambiguous(
        &zip_bytes(b"", &[unix]),
        "avengine.p7s",
        "external attributes",
    );
    let mut dos = ZipMember::stored("x", b"content");
    dos.made_by = 20;
    dos.attrs = 0x10;
    ambiguous(&zip_bytes(b"", &[dos]), "x", "external attributes");
    // A directory by both is a directory.
    let mut dir = ZipMember::stored("d/", b"");
    dir.attrs = (0o040755 << 16) | 0x10;
    read(&zip_bytes(b"", &[dir])).unwrap();
}

#[test]
fn zip_symlinks_are_refused() {
    let mut l = ZipMember::stored("lib.so", b"../../etc/passwd");
    l.attrs = 0o120777 << 16;
    ambiguous(&zip_bytes(b"", &[l]), "lib.so", "symlink");
    // And one made by the zip crate, as real tools write them.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.add_symlink("link", "target", zip::write::SimpleFileOptions::default())
        .unwrap();
    let bytes = w.finish().unwrap().into_inner();
    ambiguous(&bytes, "link", "symlink");
}

/// Positive controls: real writers' layouts (extra fields, data
/// descriptors) pass the one-reading checks.
fn zips_written_by_info_zip_and_python_streaming_read() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/f.txt"), b"from zip").unwrap();
    let out = t.path().join("info.zip");
    let ok = Command::new("zip")
        .arg("-qr")
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .status()
        .unwrap();
    assert!(ok.success());
    let r = Release::open(&out, &nested()).unwrap();
    assert_eq!(sha(&r, "d/f.txt"), Sha256Digest::of(b"from zip"));
    let py = t.path().join("stream.zip");
    let script = "import zipfile,sys\n\
        class W:\n\
        \x20   def __init__(s,f): s.f=f\n\
        \x20   def write(s,b): return s.f.write(b)\n\
        \x20   def flush(s): s.f.flush()\n\
        with open(sys.argv[1],'wb') as f:\n\
        \x20   with zipfile.ZipFile(W(f),'w',zipfile.ZIP_DEFLATED) as z:\n\
        \x20       z.writestr('a.txt', b'streamed'*100)\n\
        \x20       z.writestr('b.txt', b'second')\n";
    let ok = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&py)
        .status()
        .unwrap();
    assert!(ok.success());
    let bytes = std::fs::read(&py).unwrap();
    assert_ne!(bytes[6] & 8, 0, "python wrote no data descriptor");
    let r = read(&bytes).unwrap();
    assert_eq!(sha(&r, "b.txt"), Sha256Digest::of(b"second"));
}

/// One deflated member with a data descriptor (APPNOTE 4.3.9), its
/// compressed bytes followed by `slack` inside the declared compressed size.
fn deflated_with_descriptor(name: &str, data: &[u8], slack: &[u8]) -> Vec<u8> {
    let mut raw = deflate(data);
    raw.extend_from_slice(slack);
    let desc = descriptor(crc(data), raw.len() as u32, data.len() as u32);
    let m = ZipMember {
        flags: 8,
        raw,
        descriptor: Some(desc),
        ..ZipMember::deflated(name, data)
    };
    zip_bytes(b"", &[m])
}

#[test]
fn a_deflate_stream_ending_before_its_compressed_size_is_refused() {
    let data = b"the real engine ".repeat(50);
    // Positive control: the stream fills its entry exactly.
    let r = read(&deflated_with_descriptor("engine", &data, b"")).unwrap();
    assert_eq!(sha(&r, "engine"), Sha256Digest::of(&data));
    // Slack after the stream's end, where a streaming reader would look for
    // the descriptor and the next local header.
    let mut slack = b"PK\x07\x08".to_vec();
    slack.extend_from_slice(&[0u8; 12]);
    slack.extend_from_slice(b"PK\x03\x04 hidden member");
    ambiguous(
        &deflated_with_descriptor("engine", &data, &slack),
        "engine",
        "deflate stream ends after",
    );
}

/// A zip whose members are given as (name, method, stored bytes, CRC,
/// uncompressed size, data descriptor written after the stored bytes).
type RawMember<'a> = (&'a str, u16, Vec<u8>, u32, u32, Option<Vec<u8>>);

fn build_raw(members: &[RawMember<'_>]) -> Vec<u8> {
    let members: Vec<ZipMember> = members
        .iter()
        .map(|(name, method, raw, crc, size, desc)| ZipMember {
            flags: if desc.is_some() { 8 } else { 0 },
            method: *method,
            raw: raw.clone(),
            crc: *crc,
            size: *size,
            descriptor: desc.clone(),
            ..ZipMember::stored(name, b"")
        })
        .collect();
    zip_bytes(b"", &members)
}

fn descriptor(c: u32, csize: u32, size: u32) -> Vec<u8> {
    let mut d = b"PK\x07\x08".to_vec();
    for v in [c, csize, size] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d
}

/// What Java's `ZipInputStream` (the streaming reader of jar tools and
/// many updaters) installs from `zip`: (name, content) in stream order.
fn java_stream(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("Stream.java");
    std::fs::write(
        &src,
        "import java.util.zip.*; import java.io.*;\n\
         public class Stream { public static void main(String[] a) throws Exception {\n\
           ZipInputStream z = new ZipInputStream(new FileInputStream(a[0])); ZipEntry e;\n\
           while ((e = z.getNextEntry()) != null) {\n\
             byte[] b = z.readAllBytes();\n\
             System.out.println(e.getName() + \" \" + java.util.HexFormat.of().formatHex(b)); } } }\n",
    )
    .unwrap();
    let file = t.path().join("z.zip");
    std::fs::write(&file, zip).unwrap();
    let out = Command::new("java").arg(&src).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, hex) = l.split_once(' ').unwrap_or((l, ""));
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (n.to_string(), bytes)
        })
        .collect()
}

/// Adversarial review of issue 18: bytes after a member's deflate stream
/// but inside its compressed size. Python, unzip and the zip crate ignore
/// them; Java's ZipInputStream reads its data descriptor and the next local
/// header right where the stream ended. A fake descriptor and a hidden
/// local header there make Java install `engine/avengine` with the
/// attacker's content while the central directory (and the old glassbox)
/// saw only `lib.so` and `z.txt`: the demo release zip built this way got
/// VERIFIED. Now every deflate stream must end exactly at its compressed
/// size.
#[test]
fn a_member_hidden_from_all_but_java_after_a_deflate_stream_is_refused() {
    let lib = b"genuine library ".repeat(64);
    let d = deflate(&lib);
    let (c, size) = (crc(&lib), lib.len() as u32);
    let evil = b"#!/bin/sh\necho pwned\n#".to_vec();
    let name = b"engine/avengine";
    let fake = descriptor(c, d.len() as u32, size);
    let csize = (d.len() + fake.len() + 30 + name.len() + evil.len()) as u32;
    let real = descriptor(c, csize, size);
    // The hidden member's stored data runs over the real descriptor, so
    // Java resumes exactly at the next real local header.
    let mut hidden_data = evil.clone();
    hidden_data.extend_from_slice(&real);
    let mut raw = d.clone();
    raw.extend_from_slice(&fake);
    raw.extend_from_slice(b"PK\x03\x04");
    for v in [20u16, 0, 0, 0, 0x21] {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    let hl = hidden_data.len() as u32;
    for v in [crc(&hidden_data), hl, hl] {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    raw.extend_from_slice(&(name.len() as u16).to_le_bytes());
    raw.extend_from_slice(&0u16.to_le_bytes());
    raw.extend_from_slice(name);
    raw.extend_from_slice(&evil);
    assert_eq!(raw.len() as u32, csize);
    let zip = build_raw(&[
        ("lib.so", 8, raw, c, size, Some(real)),
        ("z.txt", 8, deflate(b"last"), crc(b"last"), 4, None),
    ]);
    // The attack works on Java: it installs a member no other reader sees.
    let java = java_stream(&zip);
    let names: Vec<&str> = java.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["lib.so", "engine/avengine", "z.txt"]);
    assert_eq!(java[1].1, hidden_data);
    ambiguous(&zip, "lib.so", "deflate stream ends after");

    // A deflate stream that does end at its size still reads.
    let r = read(&build_raw(&[("a", 8, d, c, size, None)])).unwrap();
    assert_eq!(sha(&r, "a"), Sha256Digest::of(&lib));
}

//! The hostile corpus: one archive per way two real extractors could read
//! the same bytes differently (issue 18), plus controls that every reader
//! must read alike (they prove the harness sees what it should).

use super::extractors::Family;
use super::tarb::{self, Header, Rec};
use super::zipb::{self, Member, Zip};

/// One archive of the corpus.
pub struct Case {
    pub name: String,
    pub family: Family,
    pub bytes: Vec<u8>,
    /// A control: glassbox and every extractor must read it, identically.
    pub control: bool,
}

pub const GOOD: &[u8] = b"\x7fELF genuine engine, signed by the vendor\n";
pub const EVIL: &[u8] = b"\x7fELF tampered engine\n";
pub const SIG: &[u8] = b"0\x82 CMS signature over the genuine engine\n";

/// Symlink target that leaves the extraction directory but stays inside
/// the harness's sandbox (`out` is `d1/d2/d3/out`), so a tool writing
/// through it is seen, and contained.
pub const ESCAPE: &[u8] = b"../../escape";

/// The demo release's engine directory, the members an attack hides among
/// (a directory has no content).
const ENGINE: [(&str, Option<&[u8]>); 4] = [
    ("engine/", None),
    ("engine/avengine", Some(GOOD)),
    ("engine/avengine.p7s", Some(SIG)),
    ("README.md", Some(b"ExampleAV engine\n")),
];

pub fn engine_tar() -> Vec<Rec> {
    ENGINE
        .iter()
        .map(|&(name, data)| data.map_or_else(|| Rec::dir(name), |d| Rec::file(name, d)))
        .collect()
}

pub fn engine_zip() -> Vec<Member> {
    ENGINE
        .iter()
        .map(|&(name, data)| data.map_or_else(|| Member::dir(name), |d| Member::file(name, d)))
        .collect()
}

fn tar(name: &str, recs: Vec<Rec>) -> Case {
    Case {
        name: format!("tar/{name}"),
        family: Family::Tar,
        bytes: tarb::build(&recs),
        control: false,
    }
}

fn zip(name: &str, z: Zip) -> Case {
    Case {
        name: format!("zip/{name}"),
        family: Family::Zip,
        bytes: zipb::build(&z),
        control: false,
    }
}

/// gzip(1), the real one.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .args(["-c", "-n"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip(1)");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn members(m: Vec<Member>) -> Zip {
    Zip {
        members: m,
        ..Default::default()
    }
}

fn with<T>(mut base: Vec<T>, more: Vec<T>) -> Vec<T> {
    base.extend(more);
    base
}

/// A long name: over the 100 bytes of the ustar name field.
fn long_name() -> String {
    format!("engine/{}/avengine", "deep".repeat(30))
}

/// A file holding the tampered engine: what every attack smuggles in.
fn evil(name: &str) -> Rec {
    Rec::file(name, EVIL)
}

fn evil_zip(name: &str) -> Member {
    Member::file(name, EVIL)
}

/// A (local) pax header with one record.
fn pax(key: &str, value: &[u8]) -> Rec {
    Rec::pax(false, &[(key, value)])
}

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let control = |mut c: Case| {
        c.control = true;
        c
    };

    // --- controls -------------------------------------------------------
    v.push(control(tar("control-plain", engine_tar())));
    let ln = long_name();
    for (name, more) in [
        (
            "control-links-inside",
            vec![
                Rec::link(b'2', "engine/current", b"avengine"),
                Rec::link(b'1', "engine/copy", b"engine/avengine"),
            ],
        ),
        (
            "control-pax-long-name",
            vec![pax("path", ln.as_bytes()), evil(&ln[..90])],
        ),
        (
            "control-gnu-long-name",
            vec![Rec::gnu_long(b'L', ln.as_bytes()), evil(&ln[..90])],
        ),
    ] {
        v.push(control(tar(name, with(engine_tar(), more))));
    }
    v.push(control(zip("control-plain", members(engine_zip()))));

    // --- tar: one member, two names ------------------------------------
    // The attack: tar-rs took the GNU long name (a spare
    // signature), GNU tar and Python take the pax path (the engine).
    let gnu_vs_pax = vec![
        Rec::gnu_long(b'L', b"engine/avengine.p7s"),
        pax("path", b"engine/avengine"),
        evil("engine/avengine.p7s"),
    ];
    v.push(tar(
        "gnu-long-name-vs-pax-path",
        with(engine_tar(), gnu_vs_pax.clone()),
    ));
    // The same, gzipped, as the reviewer shipped it: every reader
    // here decompresses by magic, so the tar inside is what is compared.
    let mut attack = tar(
        "gnu-long-name-vs-pax-path.tar.gz",
        with(engine_tar(), gnu_vs_pax),
    );
    attack.bytes = gzip(&attack.bytes);
    v.push(attack);
    let mut gnu_prefix = Header::new(b'0', b"avengine");
    gnu_prefix.prefix = b"engine".to_vec();
    gnu_prefix.gnu_magic = true;
    let global_path = Rec::pax(true, &[("path", b"engine/avengine")]);
    let pax_then_gnu = vec![
        pax("path", b"engine/avengine"),
        Rec::gnu_long(b'L', b"engine/avengine.p7s"),
        evil("engine/avengine.p7s"),
    ];
    let gnu_link_vs_pax = vec![
        Rec::gnu_long(b'K', b"avengine.p7s"),
        pax("linkpath", b"avengine"),
        Rec::link(b'2', "engine/current", b"avengine.p7s"),
    ];
    let ustar_prefix = Rec::Member {
        h: gnu_prefix,
        data: EVIL.to_vec(),
    };
    for (name, more) in [
        ("pax-path-vs-gnu-long-name", pax_then_gnu),
        (
            "pax-path-vs-header-name",
            vec![pax("path", b"engine/avengine"), evil("engine/notes.txt")],
        ),
        ("gnu-long-link-vs-pax-linkpath", gnu_link_vs_pax),
        (
            "pax-global-path-late",
            vec![global_path.clone(), evil("engine/update.txt")],
        ),
        (
            "pax-size-vs-header-size",
            vec![pax("size", b"0"), evil("engine/notes.txt")],
        ),
        ("ustar-prefix-under-gnu-magic", vec![ustar_prefix]),
    ] {
        v.push(tar(name, with(engine_tar(), more)));
    }
    v.push(tar(
        "pax-global-path",
        with(
            vec![global_path],
            with(engine_tar(), vec![evil("engine/update.txt")]),
        ),
    ));

    // --- tar: one name, two members -----------------------------------
    for (name, more) in [
        ("duplicate-name", evil("engine/avengine")),
        ("duplicate-dot-slash", evil("./engine/avengine")),
        ("duplicate-double-slash", evil("engine//avengine")),
        ("duplicate-dir-and-file", evil("engine")),
    ] {
        v.push(tar(name, with(engine_tar(), vec![more])));
    }
    v.push(tar(
        "duplicate-file-trailing-slash",
        with(
            vec![evil("notes")],
            with(engine_tar(), vec![Rec::dir("notes/")]),
        ),
    ));
    v.push(tar(
        "duplicate-trailing-slash-file",
        with(engine_tar(), vec![evil("engine/avengine/")]),
    ));
    // After the two zero blocks that end an archive: GNU tar without
    // --ignore-zeros, bsdtar and Python stop; a reader that went on would
    // see the second archive.
    let mut appended = tar("second-archive-after-end", engine_tar());
    appended
        .bytes
        .extend(tarb::build(&[evil("engine/avengine")]));
    v.push(appended);
    let mut garbage = tar("garbage-after-end", engine_tar());
    garbage.bytes.extend_from_slice(&[0xa5; 700]);
    v.push(garbage);
    v.push(tar(
        "file-then-symlink-same-name",
        with(
            engine_tar(),
            vec![Rec::link(b'2', "engine/avengine", b"avengine.p7s")],
        ),
    ));

    // --- tar: typeflags tools read differently -------------------------
    for (flag, what) in [
        (b'A', "unknown-typeflag-A"),
        (b'V', "gnu-volume-label-V"),
        (b'N', "gnu-old-long-name-N"),
        (b'7', "contiguous-file-7"),
    ] {
        v.push(tar(
            what,
            with(engine_tar(), vec![Rec::typed(flag, "engine/plugin", EVIL)]),
        ));
    }

    // A device number that is base-256 to GNU tar and bsdtar and nothing
    // to Python, which then takes the header for the end of the archive.
    let recs = with(engine_tar(), vec![evil("engine/plugin")]);
    let mut odd = tar("devminor-not-a-number", recs.clone());
    let h = *tarb::header_offsets(&recs).last().unwrap();
    odd.bytes[h + 337] = 0x95;
    tarb::fix_checksum(&mut odd.bytes[h..h + 512]);
    v.push(odd);

    // --- tar: names and links that leave the tree ---------------------
    let long_target = "a/".repeat(2100) + "x";
    for (name, more) in [
        ("dotdot-name", vec![evil("../../escape-dotdot")]),
        ("absolute-name", vec![evil("/glassbox-difftest-absolute")]),
        (
            "symlink-then-file-through-it",
            vec![
                Rec::link(b'2', "engine/plugins", ESCAPE),
                evil("engine/plugins/evil.so"),
            ],
        ),
        (
            "symlink-then-file-same-name",
            vec![
                Rec::link(b'2', "engine/hook", b"../../../escape-hook"),
                evil("engine/hook"),
            ],
        ),
        (
            "hardlink-to-missing",
            vec![Rec::link(b'1', "engine/copy", b"engine/missing")],
        ),
    ] {
        v.push(tar(name, with(engine_tar(), more)));
    }
    v.push(tar(
        "hardlink-before-target",
        with(
            vec![Rec::link(b'1', "copy", b"engine/avengine")],
            engine_tar(),
        ),
    ));
    v.push(tar(
        "long-link-target",
        with(
            engine_tar(),
            vec![
                pax("linkpath", long_target.as_bytes()),
                Rec::link(b'2', "engine/deep", b"a/a"),
            ],
        ),
    ));

    // --- zip -----------------------------------------------------------
    // Java's ZipInputStream reads local headers in order and never sees
    // the central directory.
    let mut hidden = evil_zip("engine/avengine");
    hidden.in_cd = false;
    let mut renamed = evil_zip("engine/avengine");
    renamed.cd_name = b"engine/avengine.bak".to_vec();
    let mut overlap = Member::file("engine/avengine.old", b"");
    overlap.points_at = Some(1);
    let mut uni = evil_zip("engine/readme.txt");
    uni.cd_extra = zipb::unicode_path_extra(b"engine/readme.txt", b"engine/avengine");
    uni.local_extra = uni.cd_extra.clone();
    for (name, more) in [
        ("local-header-not-in-cd", vec![hidden]),
        ("duplicate-cd-name", vec![evil_zip("engine/avengine")]),
        ("duplicate-dot-slash", vec![evil_zip("./engine/avengine")]),
        ("duplicate-dir-and-file", vec![evil_zip("engine")]),
        ("local-name-differs-from-cd", vec![renamed]),
        ("overlapping-entries", vec![overlap]),
    ] {
        v.push(zip(name, members(with(engine_zip(), more))));
    }
    let evil_prefix = zipb::build(&members(vec![evil_zip("engine/avengine")]));
    for (name, z) in [
        (
            "prefix-garbage",
            Zip {
                prefix: b"#!/bin/sh\necho self-extractor stub\nexit 0\n".to_vec(),
                ..members(engine_zip())
            },
        ),
        (
            "prefix-holds-another-zip",
            Zip {
                prefix: evil_prefix,
                ..members(engine_zip())
            },
        ),
        (
            "gap-before-cd",
            Zip {
                gap: b"garbage between the last member and the central directory".to_vec(),
                ..members(engine_zip())
            },
        ),
        (
            "suffix-garbage",
            Zip {
                suffix: b"trailing bytes after the end record".to_vec(),
                ..members(engine_zip())
            },
        ),
    ] {
        v.push(zip(name, z));
    }
    // bsdtar makes a directory of it (S_IFDIR), the others a file.
    let mut dir_by_mode = Member::file("engine/avengine.p7s", SIG);
    dir_by_mode.unix_mode = 0o040755;
    let without_sig = engine_zip()
        .into_iter()
        .filter(|m| m.cd_name != b"engine/avengine.p7s")
        .collect();
    v.push(zip(
        "unicode-path-extra-disagrees",
        members(with(engine_zip(), vec![uni])),
    ));
    v.push(zip(
        "directory-by-mode-file-by-name",
        members(with(without_sig, vec![dir_by_mode])),
    ));
    for (name, more) in [
        (
            "symlink-member",
            vec![Member::symlink("engine/current", b"avengine")],
        ),
        (
            "symlink-then-file-through-it",
            vec![
                Member::symlink("engine/plugins", ESCAPE),
                evil_zip("engine/plugins/evil.so"),
            ],
        ),
        ("dotdot-name", vec![evil_zip("../../escape-dotdot")]),
        (
            "absolute-name",
            vec![evil_zip("/glassbox-difftest-absolute")],
        ),
        ("backslash-name", vec![evil_zip("engine\\avengine")]),
    ] {
        v.push(zip(name, members(with(engine_zip(), more))));
    }
    let mut reordered = members(with(engine_zip(), vec![evil_zip("engine/avengine")]));
    reordered.cd_order = Some(vec![0, 4, 2, 3, 1]);
    v.push(zip("duplicate-cd-order-differs", reordered));
    v
}

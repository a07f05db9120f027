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

/// The demo release's engine directory, the members an attack hides among.
pub fn engine_tar() -> Vec<Rec> {
    vec![
        Rec::dir("engine/"),
        Rec::file("engine/avengine", GOOD),
        Rec::file("engine/avengine.p7s", SIG),
        Rec::file("README.md", b"ExampleAV engine\n"),
    ]
}

pub fn engine_zip() -> Vec<Member> {
    vec![
        Member::dir("engine/"),
        Member::file("engine/avengine", GOOD),
        Member::file("engine/avengine.p7s", SIG),
        Member::file("README.md", b"ExampleAV engine\n"),
    ]
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

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let control = |mut c: Case| {
        c.control = true;
        c
    };

    // --- controls -------------------------------------------------------
    v.push(control(tar("control-plain", engine_tar())));
    v.push(control(tar(
        "control-links-inside",
        with(
            engine_tar(),
            vec![
                Rec::link(b'2', "engine/current", b"avengine"),
                Rec::link(b'1', "engine/copy", b"engine/avengine"),
            ],
        ),
    )));
    let ln = long_name();
    v.push(control(tar(
        "control-pax-long-name",
        with(
            engine_tar(),
            vec![
                Rec::pax(false, &[("path", ln.as_bytes())]),
                Rec::file(&ln[..90], EVIL),
            ],
        ),
    )));
    v.push(control(tar(
        "control-gnu-long-name",
        with(
            engine_tar(),
            vec![
                Rec::gnu_long(b'L', ln.as_bytes()),
                Rec::file(&ln[..90], EVIL),
            ],
        ),
    )));
    v.push(control(zip("control-plain", members(engine_zip()))));

    // --- tar: one member, two names ------------------------------------
    // The attack: tar-rs took the GNU long name (a spare
    // signature), GNU tar and Python take the pax path (the engine).
    v.push(tar(
        "gnu-long-name-vs-pax-path",
        with(
            engine_tar(),
            vec![
                Rec::gnu_long(b'L', b"engine/avengine.p7s"),
                Rec::pax(false, &[("path", b"engine/avengine")]),
                Rec::file("engine/avengine.p7s", EVIL),
            ],
        ),
    ));
    // The same, gzipped, as the reviewer shipped it: every reader
    // here decompresses by magic, so the tar inside is what is compared.
    let mut attack = tar(
        "gnu-long-name-vs-pax-path.tar.gz",
        with(
            engine_tar(),
            vec![
                Rec::gnu_long(b'L', b"engine/avengine.p7s"),
                Rec::pax(false, &[("path", b"engine/avengine")]),
                Rec::file("engine/avengine.p7s", EVIL),
            ],
        ),
    );
    attack.bytes = gzip(&attack.bytes);
    v.push(attack);
    v.push(tar(
        "pax-path-vs-gnu-long-name",
        with(
            engine_tar(),
            vec![
                Rec::pax(false, &[("path", b"engine/avengine")]),
                Rec::gnu_long(b'L', b"engine/avengine.p7s"),
                Rec::file("engine/avengine.p7s", EVIL),
            ],
        ),
    ));
    v.push(tar(
        "pax-path-vs-header-name",
        with(
            engine_tar(),
            vec![
                Rec::pax(false, &[("path", b"engine/avengine")]),
                Rec::file("engine/notes.txt", EVIL),
            ],
        ),
    ));
    v.push(tar(
        "gnu-long-link-vs-pax-linkpath",
        with(
            engine_tar(),
            vec![
                Rec::gnu_long(b'K', b"avengine.p7s"),
                Rec::pax(false, &[("linkpath", b"avengine")]),
                Rec::link(b'2', "engine/current", b"avengine.p7s"),
            ],
        ),
    ));
    v.push(tar(
        "pax-global-path",
        with(
            vec![Rec::pax(true, &[("path", b"engine/avengine")])],
            with(engine_tar(), vec![Rec::file("engine/update.txt", EVIL)]),
        ),
    ));
    v.push(tar(
        "pax-global-path-late",
        with(
            engine_tar(),
            vec![
                Rec::pax(true, &[("path", b"engine/avengine")]),
                Rec::file("engine/update.txt", EVIL),
            ],
        ),
    ));
    v.push(tar(
        "pax-size-vs-header-size",
        with(
            engine_tar(),
            vec![
                Rec::pax(false, &[("size", b"0")]),
                Rec::file("engine/notes.txt", EVIL),
            ],
        ),
    ));
    let mut gnu_prefix = Header::new(b'0', b"avengine");
    gnu_prefix.prefix = b"engine".to_vec();
    gnu_prefix.gnu_magic = true;
    v.push(tar(
        "ustar-prefix-under-gnu-magic",
        with(
            engine_tar(),
            vec![Rec::Member {
                h: gnu_prefix,
                data: EVIL.to_vec(),
            }],
        ),
    ));

    // --- tar: one name, two members -----------------------------------
    v.push(tar(
        "duplicate-name",
        with(engine_tar(), vec![Rec::file("engine/avengine", EVIL)]),
    ));
    v.push(tar(
        "duplicate-dot-slash",
        with(engine_tar(), vec![Rec::file("./engine/avengine", EVIL)]),
    ));
    v.push(tar(
        "duplicate-double-slash",
        with(engine_tar(), vec![Rec::file("engine//avengine", EVIL)]),
    ));
    v.push(tar(
        "duplicate-dir-and-file",
        with(engine_tar(), vec![Rec::file("engine", EVIL)]),
    ));
    v.push(tar(
        "duplicate-file-trailing-slash",
        with(
            vec![Rec::file("notes", EVIL)],
            with(engine_tar(), vec![Rec::dir("notes/")]),
        ),
    ));
    v.push(tar(
        "duplicate-trailing-slash-file",
        with(engine_tar(), vec![Rec::file("engine/avengine/", EVIL)]),
    ));
    // After the two zero blocks that end an archive: GNU tar without
    // --ignore-zeros, bsdtar and Python stop; a reader that went on would
    // see the second archive.
    let mut appended = tar("second-archive-after-end", engine_tar());
    appended
        .bytes
        .extend(tarb::build(&[Rec::file("engine/avengine", EVIL)]));
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
    let recs = with(engine_tar(), vec![Rec::file("engine/plugin", EVIL)]);
    let mut odd = tar("devminor-not-a-number", recs.clone());
    let h = *tarb::header_offsets(&recs).last().unwrap();
    odd.bytes[h + 337] = 0x95;
    tarb::fix_checksum(&mut odd.bytes[h..h + 512]);
    v.push(odd);

    // --- tar: names and links that leave the tree ---------------------
    v.push(tar(
        "dotdot-name",
        with(engine_tar(), vec![Rec::file("../../escape-dotdot", EVIL)]),
    ));
    v.push(tar(
        "absolute-name",
        with(
            engine_tar(),
            vec![Rec::file("/glassbox-difftest-absolute", EVIL)],
        ),
    ));
    v.push(tar(
        "symlink-then-file-through-it",
        with(
            engine_tar(),
            vec![
                Rec::link(b'2', "engine/plugins", ESCAPE),
                Rec::file("engine/plugins/evil.so", EVIL),
            ],
        ),
    ));
    v.push(tar(
        "symlink-then-file-same-name",
        with(
            engine_tar(),
            vec![
                Rec::link(b'2', "engine/hook", b"../../../escape-hook"),
                Rec::file("engine/hook", EVIL),
            ],
        ),
    ));
    v.push(tar(
        "hardlink-to-missing",
        with(
            engine_tar(),
            vec![Rec::link(b'1', "engine/copy", b"engine/missing")],
        ),
    ));
    v.push(tar(
        "hardlink-before-target",
        with(
            vec![Rec::link(b'1', "copy", b"engine/avengine")],
            engine_tar(),
        ),
    ));
    let long_target = "a/".repeat(2100) + "x";
    v.push(tar(
        "long-link-target",
        with(
            engine_tar(),
            vec![
                Rec::pax(false, &[("linkpath", long_target.as_bytes())]),
                Rec::link(b'2', "engine/deep", b"a/a"),
            ],
        ),
    ));

    // --- zip -----------------------------------------------------------
    // Java's ZipInputStream reads local headers in order and never sees
    // the central directory.
    let mut hidden = Member::file("engine/avengine", EVIL);
    hidden.in_cd = false;
    v.push(zip(
        "local-header-not-in-cd",
        members(with(engine_zip(), vec![hidden])),
    ));
    v.push(zip(
        "duplicate-cd-name",
        members(with(
            engine_zip(),
            vec![Member::file("engine/avengine", EVIL)],
        )),
    ));
    v.push(zip(
        "duplicate-dot-slash",
        members(with(
            engine_zip(),
            vec![Member::file("./engine/avengine", EVIL)],
        )),
    ));
    v.push(zip(
        "duplicate-dir-and-file",
        members(with(engine_zip(), vec![Member::file("engine", EVIL)])),
    ));
    let mut renamed = Member::file("engine/avengine", EVIL);
    renamed.cd_name = b"engine/avengine.bak".to_vec();
    v.push(zip(
        "local-name-differs-from-cd",
        members(with(engine_zip(), vec![renamed])),
    ));
    let mut overlap = Member::file("engine/avengine.old", b"");
    overlap.points_at = Some(1);
    v.push(zip(
        "overlapping-entries",
        members(with(engine_zip(), vec![overlap])),
    ));
    v.push(zip(
        "prefix-garbage",
        Zip {
            prefix: b"#!/bin/sh\necho self-extractor stub\nexit 0\n".to_vec(),
            ..members(engine_zip())
        },
    ));
    let mut evil_prefix = Vec::new();
    {
        let z = members(vec![Member::file("engine/avengine", EVIL)]);
        evil_prefix.extend(zipb::build(&z));
    }
    v.push(zip(
        "prefix-holds-another-zip",
        Zip {
            prefix: evil_prefix,
            ..members(engine_zip())
        },
    ));
    v.push(zip(
        "gap-before-cd",
        Zip {
            gap: b"garbage between the last member and the central directory".to_vec(),
            ..members(engine_zip())
        },
    ));
    v.push(zip(
        "suffix-garbage",
        Zip {
            suffix: b"trailing bytes after the end record".to_vec(),
            ..members(engine_zip())
        },
    ));
    let mut uni = Member::file("engine/readme.txt", EVIL);
    uni.cd_extra = zipb::unicode_path_extra(b"engine/readme.txt", b"engine/avengine");
    uni.local_extra = uni.cd_extra.clone();
    v.push(zip(
        "unicode-path-extra-disagrees",
        members(with(engine_zip(), vec![uni])),
    ));
    // bsdtar makes a directory of it (S_IFDIR), the others a file.
    let mut dir_by_mode = Member::file("engine/avengine.p7s", SIG);
    dir_by_mode.unix_mode = 0o040755;
    v.push(zip(
        "directory-by-mode-file-by-name",
        members(with(
            engine_zip()
                .into_iter()
                .filter(|m| m.cd_name != b"engine/avengine.p7s")
                .collect(),
            vec![dir_by_mode],
        )),
    ));
    v.push(zip(
        "symlink-member",
        members(with(
            engine_zip(),
            vec![Member::symlink("engine/current", b"avengine")],
        )),
    ));
    v.push(zip(
        "symlink-then-file-through-it",
        members(with(
            engine_zip(),
            vec![
                Member::symlink("engine/plugins", ESCAPE),
                Member::file("engine/plugins/evil.so", EVIL),
            ],
        )),
    ));
    v.push(zip(
        "dotdot-name",
        members(with(
            engine_zip(),
            vec![Member::file("../../escape-dotdot", EVIL)],
        )),
    ));
    v.push(zip(
        "absolute-name",
        members(with(
            engine_zip(),
            vec![Member::file("/glassbox-difftest-absolute", EVIL)],
        )),
    ));
    v.push(zip(
        "backslash-name",
        members(with(
            engine_zip(),
            vec![Member::file("engine\\avengine", EVIL)],
        )),
    ));
    let mut reordered = members(with(
        engine_zip(),
        vec![Member::file("engine/avengine", EVIL)],
    ));
    reordered.cd_order = Some(vec![0, 4, 2, 3, 1]);
    v.push(zip("duplicate-cd-order-differs", reordered));
    v
}

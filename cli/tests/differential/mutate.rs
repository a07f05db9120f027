//! Seeded generator of mutated archives: starts from honest tar and zip
//! archives and applies one to three mutations each — header fields,
//! typeflags, pax records, GNU long names, duplicated and overlapping
//! entries, names that collide after normalisation, links, garbage,
//! truncation, byte flips. The same seed gives the same archives.

use super::corpus::{Case, ESCAPE, EVIL, GOOD, SIG, engine_tar, engine_zip};
use super::extractors::Family;
use super::tarb::{self, Header, Rec};
use super::zipb::{self, Member, Zip};

/// SplitMix64: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Names an attacker would aim at, and their near-collisions.
const NAMES: &[&str] = &[
    "engine/avengine",
    "engine/avengine.p7s",
    "README.md",
    "engine",
    "engine/",
    "./engine/avengine",
    "engine//avengine",
    "engine/./avengine",
    "engine/avengine/",
    "engine/plugin",
    "engine/x/../avengine",
    "../escape-mut",
    "/glassbox-difftest-absolute-mut",
    "engine\\avengine",
    "ENGINE/AVENGINE",
];

/// Link targets: inside, missing, or leaving the extraction directory
/// (but never the sandbox, see `corpus::ESCAPE`).
const TARGETS: &[&[u8]] = &[
    b"avengine",
    b"engine/avengine",
    b"missing",
    ESCAPE,
    b"../../escape/file",
    b".",
    b"",
];

const TYPEFLAGS: &[u8] = b"0123456789AgxLKSVMNDIX\0 Z";

fn tar_base(rng: &mut Rng) -> Vec<Rec> {
    let mut recs = engine_tar();
    match rng.below(4) {
        0 => {}
        1 => recs.push(Rec::link(b'2', "engine/current", b"avengine")),
        2 => recs.push(Rec::link(b'1', "engine/copy", b"engine/avengine")),
        _ => {
            let ln = format!("engine/{}/lib.so", "long".repeat(28));
            recs.push(Rec::pax(false, &[("path", ln.as_bytes())]));
            recs.push(Rec::file(&ln[..99], EVIL));
        }
    }
    recs
}

fn mutate_tar(rng: &mut Rng, recs: &mut Vec<Rec>) -> String {
    let at = rng.below(recs.len());
    let name = (*rng.pick(NAMES)).to_string();
    match rng.below(14) {
        0 => {
            let pos = rng.below(recs.len() + 1);
            recs.insert(pos, Rec::file(&name, EVIL));
            format!("insert file {name:?} at {pos}")
        }
        1 => {
            let Rec::Member { h, .. } = &mut recs[at];
            h.name = name.clone().into_bytes();
            format!("rename member {at} to {name:?}")
        }
        2 => {
            recs.insert(at, Rec::pax(false, &[("path", name.as_bytes())]));
            format!("pax path {name:?} before member {at}")
        }
        3 => {
            recs.insert(at, Rec::gnu_long(b'L', name.as_bytes()));
            format!("GNU long name {name:?} before member {at}")
        }
        4 => {
            let pos = rng.below(recs.len() + 1);
            let key = *rng.pick(&["path", "linkpath", "comment", "size", "uname"]);
            let sizes: [&[u8]; 5] = [b"0", b"7", b"99999", b"-1", b"x"];
            let val: &[u8] = if key == "size" {
                sizes[rng.below(sizes.len())]
            } else {
                name.as_bytes()
            };
            recs.insert(pos, Rec::pax(true, &[(key, val)]));
            format!(
                "pax global {key}={:?} at {pos}",
                String::from_utf8_lossy(val)
            )
        }
        5 => {
            let flag = *rng.pick(TYPEFLAGS);
            let Rec::Member { h, .. } = &mut recs[at];
            h.typeflag = flag;
            format!("typeflag of member {at} to {:?}", flag as char)
        }
        6 => {
            let delta = *rng.pick(&[-512i64, -1, 1, 100, 512, 1 << 20]);
            let Rec::Member { h, data } = &mut recs[at];
            h.size = Some((data.len() as i64 + delta).max(0) as u64);
            format!("size of member {at} {delta:+}")
        }
        7 => {
            let target = *rng.pick(TARGETS);
            let flag = *rng.pick(b"12");
            let pos = rng.below(recs.len() + 1);
            recs.insert(pos, Rec::link(flag, &name, target));
            format!(
                "link {:?} {name:?} -> {:?} at {pos}",
                flag as char,
                String::from_utf8_lossy(target)
            )
        }
        8 => {
            recs.push(Rec::link(b'2', "engine/sub", ESCAPE));
            recs.push(Rec::file("engine/sub/x", EVIL));
            "symlink out, then a file through it".into()
        }
        9 => {
            let records: Vec<(&str, &[u8])> = vec![
                ("path", b"engine/avengine"),
                ("path", name.as_bytes()),
                ("linkpath", b"avengine"),
            ];
            let n = 1 + rng.below(records.len());
            recs.insert(at, Rec::pax(false, &records[..n]));
            let shown: Vec<String> = records[..n]
                .iter()
                .map(|(k, v)| format!("{k}={}", String::from_utf8_lossy(v)))
                .collect();
            format!("pax records {shown:?} before member {at}")
        }
        10 => {
            let Rec::Member { h, .. } = &mut recs[at];
            h.gnu_magic = !h.gnu_magic;
            h.prefix = b"engine".to_vec();
            format!("toggle GNU magic and set prefix on member {at}")
        }
        11 => {
            let mut h = Header::new(b'0', name.as_bytes());
            h.linkname = b"avengine".to_vec();
            recs.insert(
                at,
                Rec::Member {
                    h,
                    data: GOOD.to_vec(),
                },
            );
            format!("duplicate-ish member {name:?} before {at}")
        }
        12 => {
            let mut bad = tarb::pax_record("path", name.as_bytes());
            bad[0] = b'9';
            recs.insert(
                at,
                Rec::Member {
                    h: Header::new(b'x', b"PaxHeaders/bad"),
                    data: bad,
                },
            );
            format!("pax record with a wrong length before member {at}")
        }
        _ => {
            recs.push(Rec::file(&name, SIG));
            recs.push(Rec::file(&name, EVIL));
            format!("two more copies of {name:?}")
        }
    }
}

/// Byte-level damage after serialisation: flip a byte of a header (and
/// usually keep its checksum valid), truncate, or append garbage.
fn damage_tar(rng: &mut Rng, recs: &[Rec], bytes: &mut Vec<u8>) -> Option<String> {
    match rng.below(6) {
        0 => {
            let offs = tarb::header_offsets(recs);
            let h = *rng.pick(&offs);
            let field = rng.below(512);
            if h + 512 > bytes.len() {
                return None;
            }
            let value = rng.next() as u8;
            bytes[h + field] = value;
            let fixed = rng.below(4) != 0;
            if fixed {
                tarb::fix_checksum(&mut bytes[h..h + 512]);
            }
            Some(format!(
                "header at {h}: byte {field} = {value:#04x}{}",
                if fixed { "" } else { " (checksum stale)" }
            ))
        }
        1 => {
            let n = rng.below(bytes.len());
            bytes.truncate(n);
            Some(format!("truncated to {n} bytes"))
        }
        2 => {
            bytes.extend_from_slice(&tarb::build(&[Rec::file("engine/avengine", EVIL)]));
            Some("a second archive appended after the end blocks".into())
        }
        _ => None,
    }
}

fn zip_base(rng: &mut Rng) -> Vec<Member> {
    let mut m = engine_zip();
    if rng.below(3) == 0 {
        m.push(Member::symlink("engine/current", b"avengine"));
    }
    m
}

fn mutate_zip(rng: &mut Rng, z: &mut Zip) -> String {
    let n = z.members.len();
    let at = rng.below(n);
    let name = (*rng.pick(NAMES)).to_string();
    match rng.below(12) {
        0 => {
            z.members.push(Member::file(&name, EVIL));
            format!("add member {name:?}")
        }
        1 => {
            z.members[at].cd_name = name.clone().into_bytes();
            format!("central-directory name of member {at} to {name:?}")
        }
        2 => {
            z.members[at].local_name = name.clone().into_bytes();
            format!("local name of member {at} to {name:?}")
        }
        3 => {
            let mut m = Member::file(&name, EVIL);
            m.in_cd = false;
            let pos = rng.below(n + 1);
            z.members.insert(pos, m);
            z.cd_order = None;
            format!("unlisted local header {name:?} at {pos}")
        }
        4 => {
            let mut m = Member::file(&name, b"");
            m.points_at = Some(at);
            z.members.push(m);
            format!("central-directory entry {name:?} pointing at member {at}")
        }
        5 => {
            let stubs: [&[u8]; 3] = [b"MZ stub", b"#!/bin/sh\n", b"PK\x03\x04junk"];
            z.prefix = (*rng.pick(&stubs)).to_vec();
            "prefix bytes".into()
        }
        6 => {
            let e = zipb::unicode_path_extra(&z.members[at].cd_name.clone(), name.as_bytes());
            match rng.below(3) {
                0 => z.members[at].cd_extra = e,
                1 => z.members[at].local_extra = e,
                _ => {
                    z.members[at].cd_extra = e.clone();
                    z.members[at].local_extra = e;
                }
            }
            format!("unicode path extra {name:?} on member {at}")
        }
        7 => {
            z.members[at].unix_mode = *rng.pick(&[0o120777, 0o010644, 0o040755, 0o100644, 0]);
            format!("unix mode of member {at} to {:o}", z.members[at].unix_mode)
        }
        8 => {
            let mut order: Vec<usize> = (0..n).collect();
            order.reverse();
            z.cd_order = Some(order);
            "central directory in reverse order".into()
        }
        9 => {
            if rng.below(2) == 0 {
                z.members[at].cd_crc = Some(rng.next() as u32);
                format!("wrong CRC for member {at} in the central directory")
            } else {
                let s = z.members[at].data.len() as u32;
                z.members[at].cd_size = Some(s.saturating_add(*rng.pick(&[1u32, 7, 100])));
                format!("wrong size for member {at} in the central directory")
            }
        }
        10 => {
            z.members.push(Member::symlink("engine/sub", ESCAPE));
            z.members.push(Member::file("engine/sub/x", EVIL));
            "symlink out, then a file through it".into()
        }
        _ => {
            z.members.push(Member::file(&name, SIG));
            z.members.push(Member::file(&name, EVIL));
            format!("two more copies of {name:?}")
        }
    }
}

fn damage_zip(rng: &mut Rng, bytes: &mut Vec<u8>) -> Option<String> {
    match rng.below(6) {
        0 => {
            let i = rng.below(bytes.len());
            let v = rng.next() as u8;
            bytes[i] = v;
            Some(format!("byte {i} = {v:#04x}"))
        }
        1 => {
            bytes.extend_from_slice(b"trailing");
            Some("trailing bytes".into())
        }
        _ => None,
    }
}

/// `count` mutated archives, half tar and half zip, from `seed`.
pub fn generate(seed: u64, count: usize) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let ops = 1 + rng.below(3);
        let mut what = Vec::new();
        let (family, bytes) = if i % 2 == 0 {
            let mut recs = tar_base(&mut rng);
            for _ in 0..ops {
                what.push(mutate_tar(&mut rng, &mut recs));
            }
            let mut bytes = tarb::build(&recs);
            what.extend(damage_tar(&mut rng, &recs, &mut bytes));
            (Family::Tar, bytes)
        } else {
            let mut z = Zip {
                members: zip_base(&mut rng),
                ..Default::default()
            };
            for _ in 0..ops {
                what.push(mutate_zip(&mut rng, &mut z));
            }
            let mut bytes = zipb::build(&z);
            what.extend(damage_zip(&mut rng, &mut bytes));
            (Family::Zip, bytes)
        };
        out.push(Case {
            name: format!(
                "mutant-{i:03}-{} [{}]",
                if family == Family::Tar { "tar" } else { "zip" },
                what.join("; ")
            ),
            family,
            bytes,
            control: false,
        });
    }
    out
}

//! `glassbox verify` on OpenPGP material made by `gpg` at test time: a
//! release with detached `.asc`/`.sig` signatures and a cleartext
//! `InRelease`, `--signature`, signer continuity across a new signing
//! subkey, hostile inputs (bounded, never a panic), and Debian's real
//! `InRelease`.

mod common;
#[path = "../../core/tests/common/gpg.rs"]
mod gpg;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{code, corpus, expect, glassbox, json, text};
use gpg::Gpg;

fn write_policy(dir: &Path, keyring: &Path) -> String {
    let p = gpg::openpgp_policy(dir, keyring, "");
    p.to_str().unwrap().to_string()
}

/// A release signed three ways by a cert-only primary key's signing
/// subkey: `app.bin.asc` (armored), `lib.bin.sig` (binary OpenPGP),
/// `InRelease` (cleartext, covering itself).
fn signed_release(g: &Gpg, dir: &Path, signer: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("app.bin"), b"app \x00\x01 v1\n").unwrap();
    std::fs::write(dir.join("lib.bin"), b"lib \x7f v1\n").unwrap();
    let asc = g.detach_sign(signer, &dir.join("app.bin"), true, &[]);
    std::fs::write(dir.join("app.bin.asc"), asc).unwrap();
    let sig = g.detach_sign(signer, &dir.join("lib.bin"), false, &[]);
    std::fs::write(dir.join("lib.bin.sig"), sig).unwrap();
    let text = g.path("Release.txt");
    std::fs::write(&text, "Origin: Vendor\nSuite: stable\n").unwrap();
    std::fs::write(dir.join("InRelease"), g.clearsign(&[signer], &text, &[])).unwrap();
}

#[test]
#[cfg_attr(not(any(ci, has_gpg)), ignore = "needs gpg")]
fn release_with_openpgp_signatures_and_continuity() {
    let g = Gpg::new();
    let primary = g.cert_key("Vendor Archive <archive@example.invalid>");
    let sub1 = g.add_subkey(&primary, "ed25519", "sign");
    let v1 = g.path("v1");
    signed_release(&g, &v1, &format!("{sub1}!"));
    // The vendor rotates to a new signing subkey for the next release.
    let sub2 = g.add_subkey(&primary, "ed25519", "sign");
    let v2 = g.path("v2");
    signed_release(&g, &v2, &format!("{sub2}!"));
    let ring = g.export("vendor.gpg", &[&primary], false);
    let policy = write_policy(g.home.path(), &ring);

    let o = glassbox(&["verify", v1.to_str().unwrap(), "--policy", &policy]);
    expect(
        &o,
        0,
        &[
            "ok   app.bin.asc [openpgp]",
            "ok   lib.bin.sig [openpgp]",
            "ok   InRelease [openpgp]",
            &format!("{sub1} (subkey of {primary})"),
        ],
    );

    // Continuity: same primary key, another signing subkey.
    let o = glassbox(&[
        "verify",
        v2.to_str().unwrap(),
        "--policy",
        &policy,
        "--previous",
        v1.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v = json(&o);
    let changed = &v["continuity"]["changed"];
    assert_eq!(changed.as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(changed[0]["what"], "signing-key");
    assert_eq!(
        changed[0]["before"]["openpgp"]["signing_key"],
        sub1.as_str()
    );
    assert_eq!(changed[0]["after"]["openpgp"]["signing_key"], sub2.as_str());
    assert_eq!(
        changed[0]["after"]["openpgp"]["primary_key"],
        primary.as_str()
    );

    // One changed byte in a signed file fails that file, naming the key.
    std::fs::write(v1.join("lib.bin"), b"lib \x7f v2\n").unwrap();
    let o = glassbox(&["verify", v1.to_str().unwrap(), "--policy", &policy]);
    expect(
        &o,
        1,
        &[&format!(
            "lib.bin [lib.bin.sig] signature: the signature does not verify with key {sub1}"
        )],
    );

    // --signature on one artifact, armored and binary.
    let app = v2.join("app.bin");
    let asc = v2.join("app.bin.asc");
    let o = glassbox(&[
        "verify",
        app.to_str().unwrap(),
        "--signature",
        asc.to_str().unwrap(),
        "--policy",
        &policy,
    ]);
    expect(&o, 0, &[&sub2]);
}

/// Takes a v4 signature packet (either header format) and returns it
/// with `n` one-byte notation-less subpackets (type 100, private use)
/// appended to the hashed or the unhashed area, re-framed with a new
/// format header.
fn with_subpackets(packet: &[u8], n: usize, hashed: bool) -> Vec<u8> {
    let (hlen, blen) = match packet[0] {
        0x88 => (2, usize::from(packet[1])),
        0x89 => (3, usize::from(u16::from_be_bytes([packet[1], packet[2]]))),
        b => panic!("unexpected header {b:#x}"),
    };
    let body = &packet[hlen..hlen + blen];
    assert_eq!(body[0], 4, "v4 signature");
    let hashed_len = usize::from(u16::from_be_bytes([body[4], body[5]]));
    let hashed_area = &body[6..6 + hashed_len];
    let rest = &body[6 + hashed_len..];
    let unhashed_len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
    let unhashed_area = &rest[2..2 + unhashed_len];
    let tail = &rest[2 + unhashed_len..];
    let extra: Vec<u8> = (0..n).flat_map(|i| [2u8, 100, i as u8]).collect();
    let (mut h, mut u) = (hashed_area.to_vec(), unhashed_area.to_vec());
    if hashed {
        h.extend(&extra)
    } else {
        u.extend(&extra)
    }
    let mut out_body = body[..4].to_vec();
    out_body.extend((h.len() as u16).to_be_bytes());
    out_body.extend(&h);
    out_body.extend((u.len() as u16).to_be_bytes());
    out_body.extend(&u);
    out_body.extend(tail);
    let mut out = vec![0xC2, 0xFF];
    out.extend((out_body.len() as u32).to_be_bytes());
    out.extend(out_body);
    out
}

#[test]
#[cfg_attr(not(any(ci, has_gpg)), ignore = "needs gpg")]
fn hostile_openpgp_inputs_fail_or_error_without_panic() {
    let g = Gpg::new();
    let key = g.signing_key("Vendor <v@example.invalid>", "ed25519");
    let file = g.path("f.bin");
    std::fs::write(&file, b"payload\n").unwrap();
    let sig = g.detach_sign(&key, &file, false, &[]);
    let one = g.export("one.gpg", &[&key], false);
    let policy = write_policy(g.home.path(), &one);
    let verify_with = |sig_bytes: &[u8], policy: &str| {
        let p = g.path("hostile.sig");
        std::fs::write(&p, sig_bytes).unwrap();
        glassbox(&[
            "verify",
            file.to_str().unwrap(),
            "--signature",
            p.to_str().unwrap(),
            "--policy",
            policy,
        ])
    };
    assert_eq!(code(&verify_with(&sig, &policy)), 0);

    // 1,000 subpackets: unhashed ones are outside the signature (RFC 9580
    // §5.2.3.7) and change nothing; hashed ones break it. Neither panics.
    let o = verify_with(&with_subpackets(&sig, 1000, false), &policy);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = verify_with(&with_subpackets(&sig, 1000, true), &policy);
    assert_eq!(code(&o), 1, "{}", text(&o));

    // Malformed armor, truncated packets, a huge declared length: each a
    // failure with its reason (exit 1), never a panic (101).
    let armored = g.detach_sign(&key, &file, true, &[]);
    let mut bad_armor = armored.clone();
    let at = bad_armor.len() / 2;
    bad_armor[at] = b'!';
    let mut huge = sig.clone();
    huge.splice(0..2, [0xC2, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]);
    for (what, bytes) in [
        ("malformed armor", bad_armor),
        ("truncated", sig[..sig.len() - 7].to_vec()),
        ("huge length", huge),
        ("armor without end", armored[..armored.len() - 30].to_vec()),
    ] {
        let o = verify_with(&bytes, &policy);
        assert_eq!(code(&o), 1, "{what}: {}", text(&o));
        assert!(
            text(&o).contains("openpgp-parse") || text(&o).contains("signature"),
            "{what}: {}",
            text(&o)
        );
    }

    // A keyring of 10,000 certificates (one gpg certificate repeated):
    // loading and verifying stay bounded.
    let cert = std::fs::read(&one).unwrap();
    let big = g.path("big.gpg");
    std::fs::write(&big, cert.repeat(10_000)).unwrap();
    let big_policy = g.path("big");
    std::fs::create_dir_all(&big_policy).unwrap();
    let big_policy = write_policy(&big_policy, &big);
    let start = Instant::now();
    let o = verify_with(&sig, &big_policy);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );

    // A keyring that is not OpenPGP: an input error naming the key.
    let junk = g.path("junk.gpg");
    std::fs::write(&junk, b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n@@@\n").unwrap();
    let junk_dir = g.path("junk");
    std::fs::create_dir_all(&junk_dir).unwrap();
    let o = verify_with(&sig, &write_policy(&junk_dir, &junk));
    expect(&o, 2, &["openpgp[0].keyring"]);
}

/// Debian's real InRelease with Debian's archive keyring: exit 0, both
/// signing keys named; one changed byte: exit 1.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn debian_inrelease_cli() {
    let dir = corpus("vendor-channels/apt-bookworm-updates");
    let t = tempfile::tempdir().unwrap();
    let policy = write_policy(t.path(), &dir.join("debian-archive-keyring.gpg"));
    let inrelease = dir.join("InRelease");
    let o = glassbox(&["verify", inrelease.to_str().unwrap(), "--policy", &policy]);
    expect(
        &o,
        0,
        &[
            "4CB50190207B4758A3F73A796ED0E7B82643E131",
            "B8E5F13176D2A7A75220028078DBA3BC47EF2265",
        ],
    );
    let mut doc = std::fs::read(&inrelease).unwrap();
    let at = doc.windows(8).position(|w| w == b"bookworm").unwrap();
    doc[at] ^= 0x20;
    let copy = t.path().join("InRelease");
    std::fs::write(&copy, doc).unwrap();
    let o = glassbox(&["verify", copy.to_str().unwrap(), "--policy", &policy]);
    assert_eq!(code(&o), 1, "{}", text(&o));
}

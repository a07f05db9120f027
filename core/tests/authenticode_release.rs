//! Authenticode inside a release: PE images recognised by content whatever
//! their name, and Windows catalogs (.cat) covering the files they list.
//! PE images are built with the `object` crate and signed with
//! `osslsigncode`; the PKI is made with openssl (under faketime, so the
//! certificates lie in the past); everything at test time.

mod common;

use common::Pki;
use common::pe::{build_pe, tool_test};

use glassbox_core::policy::TrustPolicy;
use glassbox_core::sig::release::{CoverageStatus, ReleaseVerification, verify_release_at};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-08 00:00 UTC);

/// Root `root` with a code signer `signer`; a second root `other` with its
/// own code signer `stranger`.
fn pki() -> Pki {
    let pki = Pki::at("2020-01-01 00:00:00");
    for (root, signer) in [("root", "signer"), ("other", "stranger")] {
        pki.key(root, "rsa:2048");
        pki.self_signed(root, &format!("/CN=Test {root}"), &[]);
        pki.key(signer, "rsa:2048");
        pki.issue_days(signer, &format!("/CN=Test {signer}"), root, "cs", 3650);
    }
    pki
}

/// A policy trusting `root.pem` only.
fn policy(pki: &Pki) -> TrustPolicy {
    policy_with(pki, "")
}

/// [`policy`] with `extra` TOML.
fn policy_with(pki: &Pki, extra: &str) -> TrustPolicy {
    let p = pki.path("policy.toml");
    std::fs::write(&p, format!("[x509]\nroots = [\"root.pem\"]\n{extra}")).unwrap();
    TrustPolicy::load(&p).unwrap()
}

fn unsigned_pe() -> Vec<u8> {
    build_pe(&[0xc3; 600], b"glassbox catalog member")
}

fn verify(dir: &std::path::Path, policy: &TrustPolicy) -> ReleaseVerification {
    verify_release_at(dir, policy, NOW).unwrap()
}

fn status(v: &ReleaseVerification, path: &str) -> CoverageStatus {
    v.files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not in {:#?}", v.files))
        .status
}

fn failure<'a>(v: &'a ReleaseVerification, path: &str) -> (&'a str, &'a str) {
    let f = v
        .failures
        .iter()
        .find(|f| f.file == path)
        .unwrap_or_else(|| panic!("no failure for {path}: {:#?}", v.failures));
    (f.check.as_str(), f.reason.as_str())
}

tool_test!(a_signed_pe_named_bin_is_verified_by_its_own_signature, {
    let pki = pki();
    let signed = pki.sign(&unsigned_pe(), "signer", &[]);
    let rel = tempfile::tempdir().unwrap();
    common::write(rel.path(), "update.bin", &signed);
    let v = verify(rel.path(), &policy(&pki));
    assert!(v.verified, "{:#?}", v.failures);
    assert_eq!(status(&v, "update.bin"), CoverageStatus::Verified);
    assert_eq!(v.authenticode.len(), 1);
    assert_eq!(v.authenticode[0].path, "update.bin");

    // The same bytes, tampered inside the signed image: the signature
    // over `update.bin` fails, whatever the name.
    let mut bad = signed.clone();
    bad[0x400] ^= 1;
    common::write(rel.path(), "update.bin", &bad);
    let v = verify(rel.path(), &policy(&pki));
    assert!(!v.verified);
    assert_eq!(failure(&v, "update.bin").0, "image-digest");

    // An unsigned PE, whatever its name, is covered by nothing.
    common::write(rel.path(), "update.bin", &unsigned_pe());
    let v = verify(rel.path(), &policy(&pki));
    assert_eq!(failure(&v, "update.bin").0, "coverage");
    assert!(v.authenticode.is_empty(), "nothing claims to sign it");
});

#[test]
fn a_file_named_like_a_pe_that_is_not_one_is_reported() {
    let pki = Pki::empty();
    pki.key("root", "ec:P-256");
    pki.self_signed("root", "/CN=Test root", &[]);
    let policy = policy_with(&pki, "[coverage]\nrequire_signed = []\n");
    let rel = tempfile::tempdir().unwrap();
    common::write(
        rel.path(),
        "setup.exe",
        b"#!/bin/sh\necho not a windows program\n",
    );
    // An MS-DOS program: `MZ`, but e_lfanew points at no PE signature.
    let mut dos = vec![0u8; 128];
    dos[..2].copy_from_slice(b"MZ");
    dos[0x3c] = 0x40;
    common::write(rel.path(), "old.com.exe", &dos);
    // The same bytes under a name that claims nothing are a plain file.
    common::write(rel.path(), "dos.bin", &dos);
    let v = verify(rel.path(), &policy);
    assert!(!v.verified);
    let (check, reason) = failure(&v, "setup.exe");
    assert_eq!(check, "not-pe");
    assert!(reason.contains("does not start with"), "{reason}");
    let (check, reason) = failure(&v, "old.com.exe");
    assert_eq!(check, "not-pe");
    assert!(reason.contains("e_lfanew (0x40)"), "{reason}");
    assert_eq!(status(&v, "dos.bin"), CoverageStatus::Unsigned);
}

// ---- Windows catalogs ------------------------------------------------

/// A tiny DER writer: enough to build a Certificate Trust List.
mod der_w {
    pub fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = body.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes: Vec<u8> = n
                .to_be_bytes()
                .into_iter()
                .skip_while(|&b| b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(body);
        out
    }
    pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }
    /// SET OF in DER order (X.690 §11.6).
    pub fn set(parts: &[Vec<u8>]) -> Vec<u8> {
        let mut p = parts.to_vec();
        p.sort();
        tlv(0x31, &p.concat())
    }
    pub fn oid(s: &str) -> Vec<u8> {
        let arcs: Vec<u64> = s.split('.').map(|a| a.parse().unwrap()).collect();
        let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
        for &a in &arcs[2..] {
            let mut chunk = vec![(a & 0x7f) as u8];
            let mut rest = a >> 7;
            while rest > 0 {
                chunk.push(0x80 | (rest & 0x7f) as u8);
                rest >>= 7;
            }
            chunk.reverse();
            body.extend(chunk);
        }
        tlv(0x06, &body)
    }
    pub fn octets(b: &[u8]) -> Vec<u8> {
        tlv(0x04, b)
    }
    pub fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }
    pub fn bmp(s: &str) -> Vec<u8> {
        tlv(
            0x1e,
            &s.encode_utf16()
                .flat_map(|u| u.to_be_bytes())
                .collect::<Vec<u8>>(),
        )
    }
}

/// A catalog member: its file name, PE (Authenticode) or flat, the digest
/// algorithm OID and the digest.
struct Member<'a> {
    file: &'a str,
    pe: bool,
    alg: &'a str,
    digest: Vec<u8>,
}

const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA1: &str = "1.3.14.3.2.26";

/// The DER CertificateTrustList of a version 2 catalog listing `members`
/// as makecat does (`<HASH>` tags, a `File` name each).
fn ctl(members: &[Member]) -> Vec<u8> {
    use der_w::*;
    let subjects: Vec<Vec<u8>> = members
        .iter()
        .map(|m| {
            let tag = hex::encode_upper(&m.digest);
            let (kind, value) = if m.pe {
                // SpcPeImageData { flags '', file [0] { [2] { [0] "" } } }
                (
                    "1.3.6.1.4.1.311.2.1.15",
                    hex::decode("3009030100a004a2028000").unwrap(),
                )
            } else {
                // SpcLink file [2] { [0] "" }
                ("1.3.6.1.4.1.311.2.1.25", hex::decode("a2028000").unwrap())
            };
            let indirect = seq(&[
                seq(&[oid(kind), value]),
                seq(&[seq(&[oid(m.alg), vec![5, 0]]), octets(&m.digest)]),
            ]);
            let name = seq(&[
                bmp("File"),
                tlv(0x02, &[0x10, 0x01, 0x00, 0x01]),
                octets(&utf16le(&format!("{}\0", m.file))),
            ]);
            seq(&[
                octets(&utf16le(&tag)),
                set(&[
                    seq(&[oid("1.3.6.1.4.1.311.2.1.4"), set(&[indirect])]),
                    seq(&[oid("1.3.6.1.4.1.311.12.2.1"), set(&[name])]),
                ]),
            ])
        })
        .collect();
    seq(&[
        seq(&[oid("1.3.6.1.4.1.311.12.1.1")]),
        octets(&[0x42; 16]),
        tlv(0x17, b"201201000000Z"),
        seq(&[oid("1.3.6.1.4.1.311.12.1.3"), vec![5, 0]]),
        seq(&subjects),
    ])
}

/// `ctl` signed by `signer` as a catalog (`openssl cms -sign -nodetach`
/// with eContentType szOID_CTL, SHA-256).
fn sign_catalog(pki: &Pki, ctl: &[u8], signer: &str) -> Vec<u8> {
    std::fs::write(pki.path("content.bin"), ctl).unwrap();
    let root = if signer == "signer" {
        "root.pem"
    } else {
        "other.pem"
    };
    pki.cms_sign_file(
        signer,
        root,
        "catalog.cat",
        &[
            "-nodetach",
            "-econtent_type",
            "1.3.6.1.4.1.311.10.1",
            "-md",
            "sha256",
        ],
    )
}

fn authenticode_sha256(pe: &[u8]) -> Vec<u8> {
    glassbox_core::sig::authenticode::PeImage::parse_maybe_unsigned(pe)
        .unwrap()
        .digest(glassbox_core::sig::cms::DigestAlgorithm::Sha256)
}

const INF: &[u8] = b"[Version]\r\nSignature=\"$Windows NT$\"\r\n";

/// A driver package: an unsigned `driver.sys`, a `driver.inf`, and
/// `driver.cat` listing both (by `alg`) signed by `signer`.
fn driver_package(pki: &Pki, alg: &str, signer: &str) -> tempfile::TempDir {
    let sys = unsigned_pe();
    let (sys_digest, inf_digest) = if alg == SHA1 {
        (vec![0x11; 20], vec![0x22; 20])
    } else {
        (authenticode_sha256(&sys), sha2_256(INF))
    };
    let cat = sign_catalog(
        pki,
        &ctl(&[
            Member {
                file: "driver.sys",
                pe: true,
                alg,
                digest: sys_digest,
            },
            Member {
                file: "driver.inf",
                pe: false,
                alg,
                digest: inf_digest,
            },
        ]),
        signer,
    );
    let rel = tempfile::tempdir().unwrap();
    common::write(rel.path(), "drivers/driver.sys", &sys);
    common::write(rel.path(), "drivers/driver.inf", INF);
    common::write(rel.path(), "drivers/driver.cat", &cat);
    rel
}

fn sha2_256(b: &[u8]) -> Vec<u8> {
    glassbox_core::sig::cms::DigestAlgorithm::Sha256.digest(b)
}

tool_test!(a_catalog_covers_an_unsigned_pe_and_a_flat_file, {
    let pki = pki();
    let rel = driver_package(&pki, SHA256, "signer");
    let v = verify(rel.path(), &policy(&pki));
    assert!(v.verified, "{:#?}", v.failures);
    assert_eq!(status(&v, "drivers/driver.sys"), CoverageStatus::Verified);
    assert_eq!(status(&v, "drivers/driver.inf"), CoverageStatus::Verified);
    assert_eq!(status(&v, "drivers/driver.cat"), CoverageStatus::Signature);
    let cat = v
        .signatures
        .iter()
        .find(|s| s.signature == "drivers/driver.cat")
        .unwrap();
    assert_eq!(cat.signers[0].name, "CN=Test signer");

    // osslsigncode finds the same Authenticode digest in the catalog.
    let out = std::process::Command::new("osslsigncode")
        .args(["verify", "-CAfile", "root.pem", "-catalog"])
        .arg(rel.path().join("drivers/driver.cat"))
        .arg("-in")
        .arg(rel.path().join("drivers/driver.sys"))
        .current_dir(pki.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "Calculated message digest : {}",
            hex::encode_upper(authenticode_sha256(&unsigned_pe()))
        )),
        "{text}"
    );

    // The catalog alone: its signer and members.
    let c = glassbox_core::sig::authenticode::verify_catalog(
        &std::fs::read(rel.path().join("drivers/driver.cat")).unwrap(),
        &policy(&pki),
        NOW,
    );
    assert!(c.verified, "{:#?}", c.failures);
    assert_eq!(c.version, Some(2));
    let files: Vec<_> = c
        .members
        .iter()
        .map(|m| m.file.as_deref().unwrap())
        .collect();
    assert_eq!(files, ["driver.sys", "driver.inf"]);
});

tool_test!(a_changed_or_missing_member_fails_naming_the_file, {
    let pki = pki();
    let rel = driver_package(&pki, SHA256, "signer");
    let mut sys = unsigned_pe();
    sys[0x400] ^= 1;
    common::write(rel.path(), "drivers/driver.sys", &sys);
    std::fs::remove_file(rel.path().join("drivers/driver.inf")).unwrap();
    let v = verify(rel.path(), &policy(&pki));
    assert!(!v.verified);
    let (check, reason) = failure(&v, "drivers/driver.sys");
    assert_eq!(check, "catalog-digest");
    assert!(reason.contains("Authenticode sha256"), "{reason}");
    assert_eq!(status(&v, "drivers/driver.sys"), CoverageStatus::Failed);
    let (check, reason) = failure(&v, "drivers/driver.inf");
    assert_eq!(check, "catalog-missing");
    assert!(reason.contains("not in the release"), "{reason}");
});

tool_test!(a_catalog_signed_under_another_root_covers_nothing, {
    let pki = pki();
    let rel = driver_package(&pki, SHA256, "stranger");
    let v = verify(rel.path(), &policy(&pki));
    assert!(!v.verified);
    assert_eq!(failure(&v, "drivers/driver.cat").0, "chain");
    assert_eq!(status(&v, "drivers/driver.sys"), CoverageStatus::Failed);
    assert_eq!(failure(&v, "drivers/driver.sys").0, "coverage");
});

tool_test!(sha1_member_hashes_are_refused_with_that_reason, {
    let pki = pki();
    let rel = driver_package(&pki, SHA1, "signer");
    let v = verify(rel.path(), &policy(&pki));
    assert!(!v.verified);
    let (check, reason) = failure(&v, "drivers/driver.cat");
    assert_eq!(check, "catalog-member");
    assert!(reason.contains("SHA-1"), "{reason}");
    assert_eq!(status(&v, "drivers/driver.sys"), CoverageStatus::Failed);
});

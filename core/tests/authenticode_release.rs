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

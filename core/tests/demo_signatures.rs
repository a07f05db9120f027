//! The demo vendor's raw Ed25519 signature and DSSE statement (see
//! testdata/demo/README.md) verify with the pinned release key; in the
//! tampered release the DSSE subject `engine/avengine` no longer matches.

mod common;
use common::demo;

use std::path::Path;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::dsse::{self, Envelope};
use glassbox_core::keys::PublicKey;
use glassbox_core::sig::raw;

fn release_key() -> PublicKey {
    PublicKey::from_file(&demo("keys/exampleav-release-ed25519.pub.pem")).unwrap()
}

/// Subjects whose sha256 does not match the file in `release`.
fn mismatched_subjects(release: &Path, version: &str) -> Vec<String> {
    let key = release_key();
    let line = std::fs::read(release.join(format!("exampleav-{version}.intoto.jsonl"))).unwrap();
    let env = Envelope::from_json(line.trim_ascii_end()).unwrap();
    let verified = dsse::verify(&env, &[("exampleav-release", key.clone())], 1).unwrap();
    assert_eq!(verified.signers[0].key_id, key.key_id());
    let statement = verified.statement().unwrap();
    assert!(statement.subject.len() > 5);
    statement
        .subject
        .iter()
        .filter(|s| {
            let actual = Sha256Digest::of(&std::fs::read(release.join(&s.name)).unwrap());
            !statement.covers(&s.name, &actual)
        })
        .map(|s| s.name.clone())
        .collect()
}

/// The raw Ed25519 signature of `signatures/daily.cvd` in `release`.
fn verify_daily_cvd(release: &Path) -> raw::RawVerified {
    raw::verify_file(
        &release.join("signatures/daily.cvd"),
        &release.join("signatures/daily.cvd.sig"),
        &release_key(),
        None,
        1 << 30,
    )
    .unwrap()
}

#[test]
fn demo_releases_raw_and_dsse_signatures_verify() {
    for version in ["1.0.0", "1.1.0"] {
        let release = demo(format!("releases/exampleav-{version}"));
        let v = verify_daily_cvd(&release);
        assert_eq!(v.scheme, glassbox_core::keys::SignatureScheme::Ed25519);
        assert!(
            mismatched_subjects(&release, version).is_empty(),
            "{version}"
        );
    }
}

#[test]
fn tampered_release_fails_on_the_engine_subject_only() {
    let release = demo("tampered/exampleav-1.1.0");
    assert_eq!(mismatched_subjects(&release, "1.1.0"), ["engine/avengine"]);
    // The raw signature covers a file that was not tampered with.
    verify_daily_cvd(&release);
}

#[test]
fn demo_pkcs8_v1_private_key_loads_and_matches_the_pinned_key() {
    let key = glassbox_core::keys::SigningKey::from_file(&demo(
        "keys/TEST-ONLY-exampleav-release-ed25519.key",
    ))
    .unwrap();
    assert_eq!(key.key_id(), release_key().key_id());
}

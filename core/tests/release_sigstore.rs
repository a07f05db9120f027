//! A Sigstore bundle inside a release, verified through the trust policy's
//! `[[sigstore]]` trusted root and identities. Uses the
//! sigstore-conformance corpus (`$GLASSBOX_CORPORA/sigstore-conformance`).

mod common;
use common::corpus;

use glassbox_core::policy::TrustPolicy;
use glassbox_core::release::{ReadOptions, Release};
use glassbox_core::sig::release::{SignerKind, verify_release};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// A release holding `a.txt` and `a.txt.sigstore.json` from `case`.
fn release(
    corpus: &std::path::Path,
    case: &str,
    identity: &str,
) -> (tempfile::TempDir, TrustPolicy) {
    let dir = tempfile::tempdir().unwrap();
    let rel = dir.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::copy(corpus.join("bundle-verify/a.txt"), rel.join("a.txt")).unwrap();
    std::fs::copy(
        corpus
            .join("bundle-verify")
            .join(case)
            .join("bundle.sigstore.json"),
        rel.join("a.txt.sigstore.json"),
    )
    .unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[sigstore]]\ntrusted_root = {:?}\nidentities = [{{ san = {identity:?}, issuer = {ISSUER:?} }}]\n",
            corpus.join("production-trusted-root.json").display().to_string()
        ),
    )
    .unwrap();
    let policy = TrustPolicy::load(&policy).unwrap();
    (dir, policy)
}

fn run(
    dir: &tempfile::TempDir,
    policy: &TrustPolicy,
) -> glassbox_core::sig::release::ReleaseVerification {
    let r = Release::open(&dir.path().join("release"), &ReadOptions::default()).unwrap();
    verify_release(&r, policy, time::OffsetDateTime::now_utc()).unwrap()
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn sigstore_bundle_in_a_release() {
    let c = corpus("sigstore-conformance");
    let (dir, policy) = release(&c, "happy-path-v0.3", IDENTITY);
    let v = run(&dir, &policy);
    assert!(v.verified, "{:#?}", v.failures);
    assert_eq!(v.signers.len(), 1);
    assert_eq!(v.signers[0].kind, SignerKind::Sigstore);
    assert!(v.signers[0].name.starts_with(IDENTITY));

    // Another identity: the same bundle is not trusted.
    let (dir, policy) = release(&c, "happy-path-v0.3", "https://github.com/someone/else");
    let v = run(&dir, &policy);
    assert!(!v.verified);
    assert_eq!(v.failures[0].file, "a.txt");
    assert_eq!(v.failures[0].signature, "a.txt.sigstore.json");
    assert_eq!(v.failures[0].check, "signature");

    // A corrupted bundle.
    let (dir, policy) = release(&c, "bundle-invalid-base64-signature_fail", IDENTITY);
    let v = run(&dir, &policy);
    assert!(!v.verified);
    assert_eq!(v.failures[0].file, "a.txt");
}

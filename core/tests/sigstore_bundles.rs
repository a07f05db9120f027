//! core::sig::sigstore on real bundles from the sigstore-conformance corpus:
//! signer rules (exact, regex, key) and artifact forms (bytes, reader, digest).

mod common;
use common::corpus;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::keys::PublicKey;
use glassbox_core::sig::sigstore::{
    Artifact, BundleContent, SignerRule, SigstoreError, SigstoreTrust, verify_bundle,
};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn compiled_in_production_root_is_the_corpus_copy() {
    let dir = corpus("sigstore-conformance");
    let copy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("production-trusted-root.json")).unwrap())
            .unwrap();
    let compiled: serde_json::Value =
        serde_json::from_str(sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT)
            .unwrap();
    assert_eq!(copy, compiled);
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn rules_and_artifact_forms() {
    let dir = corpus("sigstore-conformance");
    let trust = SigstoreTrust::production().unwrap();
    let bundle =
        std::fs::read(dir.join("bundle-verify/happy-path-v0.3/bundle.sigstore.json")).unwrap();
    let artifact = std::fs::read(dir.join("a.txt")).unwrap();

    let exact = SignerRule::identity(IDENTITY, ISSUER);
    let v = verify_bundle(&bundle, Artifact::Bytes(&artifact), &exact, &trust).unwrap();
    assert_eq!(v.content, BundleContent::MessageSignature);
    assert_eq!(v.identity.as_deref(), Some(IDENTITY));
    assert!(v.certificate_verified && v.sct_verified && v.tlog_verified);
    let mut reader = &artifact[..];
    verify_bundle(&bundle, Artifact::Reader(&mut reader), &exact, &trust).unwrap();
    verify_bundle(
        &bundle,
        Artifact::Digest(Sha256Digest::of(&artifact)),
        &exact,
        &trust,
    )
    .unwrap();

    let regex =
        SignerRule::identity_regex("https://github.com/sigstore-conformance/.*", ISSUER).unwrap();
    verify_bundle(&bundle, Artifact::Bytes(&artifact), &regex, &trust).unwrap();
    // Anchored: a pattern matching only a substring does not pass.
    let partial = SignerRule::identity_regex("sigstore-conformance", ISSUER).unwrap();
    let err = verify_bundle(&bundle, Artifact::Bytes(&artifact), &partial, &trust).unwrap_err();
    assert!(
        matches!(err, SigstoreError::IdentityRegexMismatch { .. }),
        "{err}"
    );

    let wrong_issuer = SignerRule::identity(IDENTITY, "https://accounts.google.com");
    assert!(verify_bundle(&bundle, Artifact::Bytes(&artifact), &wrong_issuer, &trust).is_err());
    let tampered = [&artifact[..], b"x"].concat();
    assert!(verify_bundle(&bundle, Artifact::Bytes(&tampered), &exact, &trust).is_err());

    // A keyless bundle does not verify under a key rule.
    let key_pem = std::fs::read(dir.join("bundle-verify/managed-key-happy-path/key.pub")).unwrap();
    let key = SignerRule::Key(PublicKey::from_pem_or_der(&key_pem).unwrap());
    assert!(verify_bundle(&bundle, Artifact::Bytes(&artifact), &key, &trust).is_err());
}

#[test]
fn malformed_bundle_is_reported_as_such() {
    let trust = SigstoreTrust::production().unwrap();
    let err = verify_bundle(
        b"{",
        Artifact::Bytes(b""),
        &SignerRule::identity("a", "b"),
        &trust,
    )
    .unwrap_err();
    assert!(matches!(err, SigstoreError::Malformed(_)), "{err}");
}

//! `glassbox repro --attest`: the rebuild verdict signed as an in-toto
//! Statement in a DSSE envelope, checked by glassbox's own DSSE verifier and
//! by an independent one (Python securesystemslib).

mod common;
use common::{demo_path, glassbox_cmd, items, keygen, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glassbox_core::dsse::{self, Envelope};
use glassbox_core::keys::PublicKey;

/// `glassbox repro` of the demo 1.1.0 archive and its rebuild, attested
/// with `key` into `envelope`.
fn repro_attest(key: &Path, envelope: &Path) -> Output {
    glassbox_cmd()
        .arg("repro")
        .arg(demo_path("releases/exampleav-1.1.0.tar.gz"))
        .arg(demo_path("rebuild/exampleav-1.1.0.tar.gz"))
        .arg("--attest")
        .arg(key)
        .arg("--output")
        .arg(envelope)
        .output()
        .unwrap()
}

fn attest(dir: &std::path::Path, algorithm: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("auditor-{algorithm}.key"));
    keygen(&key, algorithm);
    let envelope = dir.join(format!("rebuild-{algorithm}.dsse.json"));
    let out = repro_attest(&key, &envelope);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (key, envelope)
}

#[test]
fn attestation_verifies_and_names_both_artifacts_and_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    for algorithm in ["ed25519", "p256"] {
        let (key, envelope_path) = attest(dir.path(), algorithm);
        let bytes = std::fs::read(&envelope_path).unwrap();
        let envelope = Envelope::from_json(&bytes).unwrap();
        let public =
            PublicKey::from_file(&PathBuf::from(format!("{}.pub", key.display()))).unwrap();
        let verified = dsse::verify(&envelope, &[("auditor", public.clone())], 1).unwrap();
        let statement = verified.statement().unwrap();
        assert_eq!(
            statement.predicate_type,
            glassbox_core::repro::REBUILD_PREDICATE_TYPE
        );
        let vendor = std::fs::read(demo_path("releases/exampleav-1.1.0.tar.gz")).unwrap();
        let digest = glassbox_core::digest::Sha256Digest::of(&vendor);
        assert!(statement.covers("exampleav-1.1.0.tar.gz", &digest));
        assert_eq!(statement.subject.len(), 2);
        assert_eq!(statement.predicate["verdict"], "equivalent");
        assert_eq!(statement.predicate["tool"]["name"], "glassbox");
        let names: Vec<&str> = items(&statement.predicate["normalizations"])
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "member-order",
                "tar-mtime",
                "tar-owner",
                "gzip-header",
                "detached-signatures"
            ]
        );

        // One flipped bit in the payload breaks it.
        let mut tampered = envelope.clone();
        tampered.payload[10] ^= 1;
        assert!(dsse::verify(&tampered, &[("auditor", public)], 1).is_err());

        // Never overwritten without --force.
        let again = repro_attest(&key, &envelope_path);
        assert_eq!(again.status.code(), Some(2));
    }
}

/// securesystemslib is installed by .ci/run; elsewhere the test is ignored
/// unless the build probe found it (test_cfgs.rs). Under CI a missing
/// module is a failure.
#[test]
#[cfg_attr(
    not(any(ci, has_securesystemslib)),
    ignore = "needs python3 securesystemslib"
)]
fn attestation_verifies_with_python_securesystemslib() {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import securesystemslib.dsse, securesystemslib.signer",
        ])
        .status();
    assert!(
        probe.is_ok_and(|s| s.success()),
        "python3 securesystemslib is not installed (.ci/run installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    for algorithm in ["ed25519", "p256"] {
        let (key, envelope) = attest(dir.path(), algorithm);
        let scheme = if algorithm == "ed25519" {
            "ed25519"
        } else {
            "ecdsa-sha2-nistp256"
        };
        let script = r#"
import json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
env = Envelope.from_dict(json.load(open(sys.argv[1])))
pem = open(sys.argv[2], "rb").read()
keyid = env.signatures[next(iter(env.signatures))].keyid
key = SSlibKey.from_crypto(load_pem_public_key(pem), keyid=keyid, scheme=sys.argv[3])
env.verify([key], 1)
env.payload = env.payload[:-1] + b" "
try:
    env.verify([key], 1)
except Exception:
    print("ok")
else:
    sys.exit("tampered envelope verified")
"#;
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&envelope)
            .arg(format!("{}.pub", key.display()))
            .arg(scheme)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stdout == b"ok\n",
            "{algorithm}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

/// A rebuild attestation is a verdict about a release, not the vendor's
/// signature of it (issue 18): `glassbox verify --signature` refuses it
/// for every artifact, the two it names included, with the check named —
/// a rebuild that found differences is attested just the same.
#[test]
fn attestation_is_not_a_release_signature_to_glassbox_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (key, envelope) = attest(dir.path(), "ed25519");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[keys]]\nname = \"auditor\"\npath = \"{}.pub\"\n\n[coverage]\nrequire_signed = [\"**\"]\n",
            key.display()
        ),
    )
    .unwrap();
    let verify = |artifact: &str| {
        let out = glassbox_cmd()
            .arg("verify")
            .arg(demo_path(artifact))
            .arg("--policy")
            .arg(&policy)
            .arg("--signature")
            .arg(&envelope)
            .arg("--format")
            .arg("json")
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    for artifact in [
        "releases/exampleav-1.1.0.tar.gz",
        "rebuild/exampleav-1.1.0.tar.gz",
        "tampered/exampleav-1.1.0.tar.gz",
    ] {
        let (code, v) = verify(artifact);
        assert_eq!(code, Some(1), "{artifact}: {v:#}");
        assert!(
            items(&v["failures"]).any(|f| f["check"] == "dsse-predicate-type"),
            "{artifact}: {v:#}"
        );
    }
}

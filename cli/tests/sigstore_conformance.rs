//! All 70 cases of `$GLASSBOX_CORPORA/sigstore-conformance/bundle-verify`,
//! driven through `glassbox sigstore verify-bundle` exactly as the
//! sigstore-conformance suite drives a client, with the artifact's path and
//! with `sha256:<hex>`: `*_fail` cases must exit non-zero (1, or 2 for a
//! defective key/trusted root), the others 0.

mod common;
use common::{corpus, stderr};

use std::path::{Path, PathBuf};
use std::process::Command;

use glassbox_core::digest::Sha256Digest;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Failing cases whose defect is in the verifier's own inputs (the key or
/// trusted root given on the command line), not in the bundle: glassbox
/// reports those as input errors, exit 2. The conformance suite only asks
/// for a non-zero exit.
const INPUT_ERROR_CASES: [&str; 2] = [
    "managed-key-wrong-key_fail", // key.pub is not valid base64
    "trust-root-tlog-missing-validity-start_fail", // trusted_root.json lacks validFor.start
];

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The suite's argument list for one case (cli_protocol.md, "Verify").
fn args_for(case: &Path, artifact_arg: &str) -> Vec<String> {
    let mut args = vec!["sigstore".to_string(), "verify-bundle".into()];
    args.push("--bundle".into());
    args.push(case.join("bundle.sigstore.json").display().to_string());
    if case.join("key.pub").exists() {
        args.push("--key".into());
        args.push(case.join("key.pub").display().to_string());
    } else {
        args.push("--certificate-identity".into());
        args.push(read_trimmed(&case.join("identity")).unwrap_or(DEFAULT_IDENTITY.into()));
        args.push("--certificate-oidc-issuer".into());
        args.push(read_trimmed(&case.join("issuer")).unwrap_or(DEFAULT_ISSUER.into()));
    }
    if case.join("trusted_root.json").exists() {
        args.push("--trusted-root".into());
        args.push(case.join("trusted_root.json").display().to_string());
    }
    args.push(artifact_arg.to_string());
    args
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn all_conformance_cases_in_path_and_digest_modes() {
    let dir = corpus("sigstore-conformance/bundle-verify");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 70, "the corpus has 70 cases");
    let mut wrong = Vec::new();
    let mut runs = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        let expect_ok = !name.ends_with("_fail");
        let artifact = if case.join("artifact").exists() {
            case.join("artifact")
        } else {
            dir.join("a.txt")
        };
        let digest = format!(
            "sha256:{}",
            Sha256Digest::of(&std::fs::read(&artifact).unwrap()).to_hex()
        );
        for mode in [artifact.display().to_string(), digest] {
            let out = Command::new(env!("CARGO_BIN_EXE_glassbox"))
                .args(args_for(case, &mode))
                .output()
                .unwrap();
            runs += 1;
            let code = out.status.code();
            let expected = if expect_ok {
                Some(0)
            } else if INPUT_ERROR_CASES.contains(&name) {
                Some(2)
            } else {
                Some(1)
            };
            if code != expected {
                wrong.push(format!(
                    "{name} [{}]: exit {code:?}, expected {expected:?}: {}{}",
                    if mode.starts_with("sha256:") {
                        "digest"
                    } else {
                        "path"
                    },
                    String::from_utf8_lossy(&out.stdout).trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
    }
    assert_eq!(runs, 140);
    assert!(
        wrong.is_empty(),
        "{} of 140 runs wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn digest_argument_that_is_a_path_is_read_as_a_path() {
    // cli_protocol.md: a `sha256:` string naming a file on disk is a path.
    let dir = corpus("sigstore-conformance/bundle-verify");
    let tmp = tempfile::tempdir().unwrap();
    let case = dir.join("happy-path-v0.3");
    let name = format!("sha256:{}", "0".repeat(64));
    std::fs::copy(dir.join("a.txt"), tmp.path().join(&name)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .current_dir(tmp.path())
        .args(args_for(&case, &name))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn missing_signer_rule_is_a_usage_error() {
    let dir = corpus("sigstore-conformance/bundle-verify");
    let out = Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(["sigstore", "verify-bundle", "--bundle"])
        .arg(dir.join("happy-path-v0.3/bundle.sigstore.json"))
        .arg(dir.join("a.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--certificate-identity"));
}

//! `glassbox chain` on the demo vendor PKI: exit codes and JSON verdicts.

mod common;
use common::{demo_path, glassbox_cmd, items, json};

use std::process::Output;

fn chain(extra: &[&str]) -> Output {
    glassbox_cmd()
        .arg("chain")
        .arg(demo_path("pki/codesign.pem"))
        .arg("--intermediates")
        .arg(demo_path("pki/intermediate.pem"))
        .arg("--roots")
        .arg(demo_path("pki/root.pem"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn valid_code_signing_chain() {
    let out = chain(&["--at", "2026-06-01T00:00:00Z", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["valid"], true);
    let subjects: Vec<&str> = items(&v["chain"])
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "C=DE, O=ExampleAV GmbH, CN=ExampleAV Release Signing",
            "C=DE, O=ExampleAV GmbH, CN=ExampleAV Code Signing CA 2026",
            "C=DE, O=ExampleAV GmbH, CN=ExampleAV Root CA 2026",
        ]
    );
}

#[test]
fn wrong_purpose_fails_with_reason() {
    let out = chain(&[
        "--at",
        "2026-06-01T00:00:00Z",
        "--purpose",
        "timestamping",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["chain"][0]["error"]["check"]["kind"],
        "required_eku_not_found"
    );
}

#[test]
fn before_validity_fails_in_text() {
    let out = chain(&["--at", "2025-06-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("FAILED: not valid before 2026-01-01T00:00:00Z"),
        "{text}"
    );
    assert!(text.contains("verdict: INVALID"), "{text}");
}

#[test]
fn bad_input_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let out = glassbox_cmd()
        .arg("chain")
        .arg(&junk)
        .arg("--roots")
        .arg(demo_path("pki/root.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = chain(&["--at", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}

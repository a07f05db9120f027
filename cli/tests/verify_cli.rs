//! `glassbox verify` end to end on the shipped demo vendor.

mod common;
use common::{demo, expect_stdout, glassbox, items, json, stderr, stdout};

use std::process::Command;

#[test]
fn demo_release_verifies_as_directory_and_archives() {
    let policy = demo("policy.toml");
    for rel in [
        "releases/exampleav-1.1.0",
        "releases/exampleav-1.1.0.tar.gz",
        "releases/exampleav-1.0.0.zip",
    ] {
        let out = glassbox(&[
            "verify",
            &demo(rel),
            "--policy",
            &policy,
            "--format",
            "json",
        ]);
        let v = json(&out);
        assert_eq!(out.status.code(), Some(0), "{rel}: {:#}", v["failures"]);
        assert_eq!(v["verified"], true);
        let files = v["files"].as_array().unwrap();
        for f in files {
            assert!(
                f["status"] == "verified" || f["status"] == "signature",
                "{rel}: {f}"
            );
        }
        let avengine = files
            .iter()
            .find(|f| f["path"] == "engine/avengine")
            .unwrap();
        let by: Vec<&str> = items(&avengine["covered_by"])
            .map(|c| c["signature"].as_str().unwrap())
            .collect();
        assert!(by.contains(&"engine/avengine.p7s"), "{by:?}");
        assert!(by.contains(&"SHA256SUMS.p7s"), "{by:?}");
    }
}

#[test]
fn tampered_release_fails_naming_the_file() {
    let out = glassbox(&[
        "verify",
        &demo("tampered/exampleav-1.1.0"),
        "--policy",
        &demo("policy.toml"),
    ]);
    expect_stdout(
        &out,
        1,
        &[
            "engine/avengine [engine/avengine.p7s] message-digest",
            "engine/avengine [SHA256SUMS] manifest-digest",
            "verdict: FAILED",
        ],
    );

    let out = glassbox(&[
        "verify",
        &demo("tampered/exampleav-1.1.0.tar.gz"),
        "--policy",
        &demo("policy.toml"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let failures = v["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    for f in failures {
        assert_eq!(
            f["file"], "engine/avengine",
            "only the tampered file fails: {f}"
        );
        for key in ["signature", "check", "reason"] {
            assert!(f[key].as_str().is_some_and(|s| !s.is_empty()), "{f}");
        }
    }
}

#[test]
fn continuity_between_demo_releases() {
    let out = glassbox(&[
        "verify",
        &demo("releases/exampleav-1.1.0"),
        "--policy",
        &demo("policy.toml"),
        "--previous",
        &demo("releases/exampleav-1.0.0"),
        "--format",
        "json",
    ]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{:#}", v["failures"]);
    let c = &v["continuity"];
    assert_eq!(c["new"].as_array().unwrap().len(), 0, "{c}");
    assert_eq!(c["removed"].as_array().unwrap().len(), 0, "{c}");
    assert!(!c["unchanged"].as_array().unwrap().is_empty(), "{c}");
}

#[test]
fn single_artifact_with_given_signature() {
    let policy = demo("policy.toml");
    let ok = glassbox(&[
        "verify",
        &demo("releases/exampleav-1.1.0/engine/avengine"),
        "--signature",
        &demo("releases/exampleav-1.1.0/engine/avengine.p7s"),
        "--policy",
        &policy,
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let bad = glassbox(&[
        "verify",
        &demo("tampered/exampleav-1.1.0/engine/avengine"),
        "--signature",
        &demo("tampered/exampleav-1.1.0/engine/avengine.p7s"),
        "--policy",
        &policy,
        "--format",
        "json",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let v = json(&bad);
    assert_eq!(v["failures"][0]["check"], "message-digest");

    // Raw Ed25519 and DSSE given explicitly: recognised from content.
    let rel = "releases/exampleav-1.1.0";
    for (artifact, sig) in [
        ("signatures/daily.cvd", "signatures/daily.cvd.sig"),
        ("engine/avengine", "exampleav-1.1.0.intoto.jsonl"),
    ] {
        let out = glassbox(&[
            "verify",
            &demo(&format!("{rel}/{artifact}")),
            "--signature",
            &demo(&format!("{rel}/{sig}")),
            "--policy",
            &policy,
            "--format",
            "json",
        ]);
        let v = json(&out);
        assert_eq!(out.status.code(), Some(0), "{artifact}: {v:#}");
    }
    let out = glassbox(&[
        "verify",
        &demo("tampered/exampleav-1.1.0/engine/avengine"),
        "--signature",
        &demo("tampered/exampleav-1.1.0/exampleav-1.1.0.intoto.jsonl"),
        "--policy",
        &policy,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["failures"][0]["check"], "dsse-subject-missing");
}

#[test]
fn bad_policy_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    std::fs::write(&p, "[x509]\nroots = [\"missing.pem\"]\n").unwrap();
    let out = glassbox(&[
        "verify",
        &demo("releases/exampleav-1.1.0"),
        "--policy",
        p.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("x509.roots[0]") && err.contains("missing.pem"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// glassbox's own FAILED audit report of the tampered demo names the
/// tampered `engine/avengine` as its subject. Given as `--signature` with
/// the auditor's key pinned, it must not vouch for the file it condemns
/// (issue 18): an audit report is a verdict, never a release signature.
#[test]
fn a_failed_audit_report_is_not_a_signature() {
    let out = tempfile::tempdir().unwrap();
    let run = glassbox(&[
        "audit",
        &demo("audit-tampered.toml"),
        "--time",
        "2026-07-01T12:00:00Z",
        "--output",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let envelope = out
        .path()
        .join("exampleav-1.1.0-2026-07-01/report.dsse.json");
    assert!(envelope.is_file());
    // The engine under the report's envelope, with a policy trusting the
    // auditor's key plus `extra`.
    let verify_under = |extra: &str, args: &[&str]| {
        let policy = out.path().join("consumer.toml");
        let key = demo("auditor/TEST-ONLY-auditor.key.pub");
        std::fs::write(
            &policy,
            format!("[[keys]]\nname = \"auditor\"\npath = {key:?}\n{extra}"),
        )
        .unwrap();
        let engine = demo("tampered/exampleav-1.1.0/engine/avengine");
        let mut all = vec!["verify", &engine, "--signature", envelope.to_str().unwrap()];
        all.extend(["--policy", policy.to_str().unwrap()]);
        all.extend(args);
        glassbox(&all)
    };
    let v = verify_under("", &["--format", "json"]);
    let j = json(&v);
    assert_eq!(v.status.code(), Some(1), "{j:#}");
    assert_eq!(j["verified"], false);
    assert!(
        items(&j["failures"]).any(|f| f["check"] == "dsse-predicate-type"),
        "{j:#}"
    );

    // And no policy can make it one.
    let v = verify_under(
        "\n[dsse]\npredicate_types = [\"https://glassbox.dev/audit-report/v1\"]\n",
        &[],
    );
    assert_eq!(v.status.code(), Some(2));
    let err = stderr(&v);
    assert!(err.contains("dsse.predicate_types[0]"), "{err}");
}

/// A link in a release archive is listed with its type and target and
/// fails unless `allow_unsigned_links` names it.
#[test]
fn a_link_in_the_demo_archive_fails_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let rel = dir.path().join("exampleav-1.1.0");
    let status = Command::new("cp")
        .args([
            "-r",
            &demo("releases/exampleav-1.1.0"),
            rel.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("avengine", rel.join("engine/avscan")).unwrap();
    let tar = dir.path().join("rel.tar.gz");
    let status = Command::new("tar")
        .args([
            "-czf",
            tar.to_str().unwrap(),
            "-C",
            rel.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let out = glassbox(&[
        "verify",
        tar.to_str().unwrap(),
        "--policy",
        &demo("policy.toml"),
    ]);
    expect_stdout(
        &out,
        1,
        &[
            "FAILED   engine/avscan (symlink -> avengine)",
            "engine/avscan coverage: symlink to `avengine`",
        ],
    );
}

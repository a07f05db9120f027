//! `glassbox audit` and `glassbox report` on the demo vendor.

mod common;
use common::{copy_dir, demo, glassbox, items, repo_root, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Output;

const TIME: &str = "2026-07-01T12:00:00Z";

/// Runs the audit of `case` into a fresh directory; returns it and the run.
fn audit(case: &str, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec![
        "audit",
        case,
        "--time",
        TIME,
        "--output",
        out.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = glassbox(&args);
    (out, run)
}

fn report_dir(out: &Path) -> PathBuf {
    out.join("exampleav-1.1.0-2026-07-01")
}

#[test]
fn demo_audit_writes_the_report_files() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let dir = report_dir(out.path());
    for f in [
        "report.json",
        "report.dsse.json",
        "report.md",
        "report.html",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let report = glassbox_core_report(&json);
    assert_eq!(report["case"]["version"], "1.1.0");
    assert_eq!(report["time"], TIME);
    let files = report["inputs"][0]["files"].as_array().unwrap();
    let engine = files
        .iter()
        .find(|f| f["path"] == "engine/avengine")
        .expect("engine listed");
    assert_eq!(engine["size"], 16600);
    assert!(engine["sha256"].as_str().unwrap().starts_with("7db28977"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.starts_with("# Audit report: ExampleAV ExampleAV Engine 1\\.1.0"));
}

fn glassbox_core_report(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("report.json is JSON")
}

#[test]
fn same_inputs_and_time_give_identical_bytes() {
    let (a, ra) = audit(&demo("audit.toml"), &[]);
    let (b, rb) = audit(&demo("audit.toml"), &[]);
    assert!(ra.status.success() && rb.status.success());
    for f in [
        "report.json",
        "report.dsse.json",
        "report.md",
        "report.html",
    ] {
        let x = std::fs::read(report_dir(a.path()).join(f)).unwrap();
        let y = std::fs::read(report_dir(b.path()).join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs");
    }
}

#[test]
fn existing_report_is_not_overwritten_without_force() {
    let (out, first) = audit(&demo("audit.toml"), &[]);
    assert!(first.status.success());
    let json = report_dir(out.path()).join("report.json");
    std::fs::write(&json, b"sentinel").unwrap();
    let o = out.path().to_str().unwrap();
    let again = glassbox(&["audit", &demo("audit.toml"), "--time", TIME, "--output", o]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(&json).unwrap(), b"sentinel");
    let forced = glassbox(&[
        "audit",
        &demo("audit.toml"),
        "--time",
        TIME,
        "--output",
        o,
        "--force",
    ]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_ne!(std::fs::read(&json).unwrap(), b"sentinel");
}

#[test]
fn bad_case_files_are_input_errors() {
    let d = tempfile::tempdir().unwrap();
    let case = d.path().join("audit.toml");
    std::fs::write(
        &case,
        format!(
            "vendor = \"V\"\nproduct = \"P\"\nsurprise = 1\n[auditor]\nname = \"A\"\nkey = \"{}\"\n[release]\npath = \".\"\nversion = \"1\"\n",
            demo("auditor/TEST-ONLY-auditor.key")
        ),
    )
    .unwrap();
    let run = glassbox(&["audit", case.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    let err = stderr(&run);
    assert!(
        err.starts_with("error: ") && err.contains("surprise"),
        "{err}"
    );

    let bad_time = glassbox(&["audit", &demo("audit.toml"), "--time", "noon"]);
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(stderr(&bad_time).contains("RFC 3339"));
}

#[test]
fn report_render_matches_what_audit_wrote() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success());
    let dir = report_dir(out.path());
    let json = dir.join("report.json");
    for (format, file) in [("markdown", "report.md"), ("html", "report.html")] {
        let r = glassbox(&[
            "report",
            "render",
            json.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(r.stdout, std::fs::read(dir.join(file)).unwrap());
    }
}

fn auditor_pub() -> String {
    demo("auditor/TEST-ONLY-auditor.key.pub")
}

fn verify(envelope: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "report",
        "verify",
        envelope.to_str().unwrap(),
        "--key",
        Box::leak(auditor_pub().into_boxed_str()),
    ];
    args.extend_from_slice(extra);
    glassbox(&args)
}

#[test]
fn signed_demo_report_verifies_with_artifacts() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let env = report_dir(out.path()).join("report.dsse.json");
    let ok = verify(&env, &["--artifacts", &demo("")]);
    let text = stdout(&ok);
    assert_eq!(ok.status.code(), Some(0), "{text}{}", stderr(&ok));
    assert!(
        text.contains("verified") && text.contains("artifacts checked: 43"),
        "{text}"
    );

    // The artifacts of another release are not the audited ones.
    let wrong = tempfile::tempdir().unwrap();
    let rel = wrong.path().join("releases");
    std::fs::create_dir_all(&rel).unwrap();
    copy_dir(
        &PathBuf::from(demo("tampered/exampleav-1.1.0")),
        &rel.join("exampleav-1.1.0"),
    );
    let bad = verify(&env, &["--artifacts", wrong.path().to_str().unwrap()]);
    let text = stdout(&bad);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(
        text.contains("releases/exampleav-1.1.0/engine/avengine: sha256 on disk"),
        "{text}"
    );
}

/// Writes a case file into a fresh copy of the demo, so that its relative
/// paths resolve as in the demo case. Tests never write into
/// `testdata/demo` itself: other tests of this file copy and re-read it
/// concurrently (a temporary case file there made `copy_dir` race).
fn case_beside_a_demo_copy(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    copy_dir(Path::new(&demo("")), d.path());
    let case = d.path().join("case.toml");
    std::fs::write(&case, text).unwrap();
    (d, case)
}

#[test]
fn flipped_bytes_in_envelope_or_json_fail_with_a_reason() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success());
    let dir = report_dir(out.path());
    for name in ["report.dsse.json", "report.json"] {
        let path = dir.join(name);
        let original = std::fs::read(&path).unwrap();
        // Every byte is checked in core's unit test; here a spread of
        // positions, first and last included, through the CLI.
        let step = (original.len() / 40).max(1);
        let positions = (0..original.len())
            .step_by(step)
            .chain([original.len() - 1]);
        for i in positions {
            let mut bad = original.clone();
            bad[i] ^= 0x01;
            std::fs::write(&path, &bad).unwrap();
            let r = verify(&dir.join("report.dsse.json"), &[]);
            let text = stdout(&r);
            assert_eq!(r.status.code(), Some(1), "{name} byte {i} flipped: {text}");
            assert!(text.contains("FAILED: "), "{text}");
        }
        std::fs::write(&path, &original).unwrap();
    }
    let ok = verify(&dir.join("report.dsse.json"), &[]);
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn verify_rejects_another_key_and_reports_input_errors() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success());
    let env = report_dir(out.path()).join("report.dsse.json");
    let vendor_key = demo("keys/exampleav-release-ed25519.pub.pem");
    let r = glassbox(&[
        "report",
        "verify",
        env.to_str().unwrap(),
        "--key",
        &vendor_key,
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stdout).contains("threshold"));
    let missing = glassbox(&[
        "report",
        "verify",
        "/nonexistent.dsse.json",
        "--key",
        &vendor_key,
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn audit_appends_the_signed_report_to_a_log_and_proves_it() {
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("log.key");
    let log = d.path().join("log");
    let k = glassbox(&["keygen", "--out", key.to_str().unwrap()]);
    assert!(k.status.success(), "{}", stderr(&k));
    let init = glassbox(&[
        "log",
        "init",
        log.to_str().unwrap(),
        "--origin",
        "audit.test/log",
        "--key",
        key.to_str().unwrap(),
    ]);
    assert!(init.status.success(), "{}", stderr(&init));
    // The case lives beside the demo material, so copy the demo case and
    // point it at the log with absolute paths.
    let case_text = std::fs::read_to_string(demo("audit.toml")).unwrap()
        + &format!(
            "\n[log]\ndir = \"{}\"\nkey = \"{}\"\n",
            log.display(),
            key.display()
        );
    let (_demo_copy, case) = case_beside_a_demo_copy(&case_text);
    let (out, run) = audit(case.to_str().unwrap(), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("44 entries appended, report at index 0"));
    let dir = report_dir(out.path());
    let proof = dir.join("report.tlog-proof");
    let v = glassbox(&[
        "log",
        "verify-proof",
        proof.to_str().unwrap(),
        "--vkey",
        log.join("vkey").to_str().unwrap(),
        "--file",
        dir.join("report.dsse.json").to_str().unwrap(),
    ]);
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
}

/// The committed example (audit-reports/example/) was signed by an earlier
/// build; it must keep verifying (format compatibility), and its committed
/// markdown and HTML must be what this build renders.
#[test]
fn committed_example_report_still_verifies() {
    let example = repo_root().join("audit-reports/example");
    let r = verify(
        &example.join("report.dsse.json"),
        &["--artifacts", &demo("")],
    );
    let text = stdout(&r);
    assert_eq!(r.status.code(), Some(0), "{text}{}", stderr(&r));
    assert!(
        text.contains("compared: ") && text.contains("verified"),
        "{text}"
    );
    for (format, file) in [("markdown", "report.md"), ("html", "report.html")] {
        let out = glassbox(&[
            "report",
            "render",
            example.join("report.json").to_str().unwrap(),
            "--format",
            format,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        // The committed renderings are what a reader of the repository sees:
        // they must be exactly what this build renders from report.json.
        let committed = std::fs::read(example.join(file)).unwrap();
        assert!(
            out.stdout == committed,
            "audit-reports/example/{file} differs from `glassbox report render --format \
             {format}` of report.json: re-render it and commit the result"
        );
    }
}

#[test]
fn demo_rebuild_is_equivalent_with_its_normalizations_listed() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let json = std::fs::read_to_string(report_dir(out.path()).join("report.json")).unwrap();
    let report = glassbox_core_report(&json);
    let repro = &report["results"]["repro"];
    assert_eq!(repro["verdict"], "equivalent");
    let names: Vec<&str> = items(&repro["normalizations"])
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"detached-signatures"), "{names:?}");
    let finding = items(&report["findings"])
        .find(|f| f["check"] == "repro")
        .expect("a repro finding");
    assert_eq!(finding["severity"], "info");
    assert_eq!(report["inputs"][3]["role"], "rebuild");
}

#[test]
fn tampered_release_yields_a_critical_finding_naming_the_engine() {
    let (out, run) = audit(&demo("audit-tampered.toml"), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let stdout = stdout(&run);
    assert!(stdout.contains("FAIL"), "{stdout}");
    let json = std::fs::read_to_string(report_dir(out.path()).join("report.json")).unwrap();
    let report = glassbox_core_report(&json);
    assert_eq!(report["summary"]["verdict"], "fail");
    let critical: Vec<&serde_json::Value> = items(&report["findings"])
        .filter(|f| f["severity"] == "critical")
        .collect();
    assert!(
        critical.iter().any(|f| {
            f["title"].as_str().unwrap().contains("engine/avengine")
                && items(&f["paths"]).any(|p| p == "engine/avengine")
        }),
        "{critical:#?}"
    );
    // Nothing else in the tampered copy differs from the rebuild.
    assert_eq!(
        report["results"]["repro"]["differences"],
        serde_json::json!([{"kind": "content", "path": "engine/avengine"}])
    );
    let md = std::fs::read_to_string(report_dir(out.path()).join("report.md")).unwrap();
    assert!(md.contains("**Verdict: FAIL**"));
}

/// The tuf-on-ci repository of `$GLASSBOX_CORPORA/tuf/real-world`, at its
/// `faketime` and long after every role expired.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn audit_verifies_a_tuf_repository_at_the_report_time() {
    let corpora = std::env::var_os("GLASSBOX_CORPORA").expect(
        "GLASSBOX_CORPORA unset: this test needs the corpora (see README, Tests and corpora)",
    );
    let repo = PathBuf::from(corpora).join("tuf/real-world/tuf-on-ci-0.11");
    assert!(repo.is_dir(), "{} missing", repo.display());
    let faketime = std::fs::read_to_string(repo.join("faketime")).unwrap();
    let faketime = faketime.trim().replacen(' ', "T", 1);
    let d = tempfile::tempdir().unwrap();
    let case = d.path().join("audit.toml");
    std::fs::write(
        &case,
        format!(
            "vendor = \"V\"\nproduct = \"P\"\n[auditor]\nname = \"A\"\nkey = \"{}\"\n\
             [release]\npath = \"{}\"\nversion = \"1\"\n[tuf]\nrepo = \"{}\"\nroot = \"{}\"\n",
            demo("auditor/TEST-ONLY-auditor.key"),
            demo("releases/exampleav-1.1.0.tar.gz"),
            repo.display(),
            repo.join("initial_root.json").display()
        ),
    )
    .unwrap();
    let run_at = |time: &str| {
        let out = tempfile::tempdir().unwrap();
        let o = out.path().to_str().unwrap();
        let r = glassbox(&[
            "audit",
            case.to_str().unwrap(),
            "--time",
            time,
            "--output",
            o,
        ]);
        let dir = std::fs::read_dir(out.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
        (r, glassbox_core_report(&json))
    };
    let (ok, report) = run_at(&faketime);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let tuf = &report["results"]["tuf"];
    assert_eq!(tuf["verified"], true);
    assert_eq!(tuf["roles"][0]["role"], "root");
    assert_eq!(tuf["targets"].as_array().unwrap().len(), 1);
    assert!(items(&report["inputs"]).any(|i| i["role"] == "tuf-repository"));

    let (expired, report) = run_at("2099-01-01T00:00:00Z");
    assert_eq!(expired.status.code(), Some(1));
    let f = &report["findings"][0];
    assert_eq!(
        (f["severity"].as_str(), f["check"].as_str()),
        (Some("critical"), Some("tuf"))
    );
    assert!(f["evidence"][0].as_str().unwrap().contains("expire"), "{f}");
}

#[test]
fn demo_signatures_verify_with_chains_and_unchanged_signers() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let json = std::fs::read_to_string(report_dir(out.path()).join("report.json")).unwrap();
    let report = glassbox_core_report(&json);
    let v = &report["results"]["verify"];
    assert_eq!(v["verified"], true);
    assert_eq!(v["coverage"]["failed"], 0);
    let x509 = items(&v["signers"])
        .find(|s| s["kind"] == "x509")
        .expect("the code-signing certificate");
    let chain: Vec<&str> = items(&x509["chain"]).map(|c| c.as_str().unwrap()).collect();
    assert_eq!(chain.len(), 3, "{chain:?}");
    assert!(chain[2].contains("ExampleAV Root CA 2026"));
    assert_eq!(
        v["continuity"],
        serde_json::json!({"new": [], "removed": [], "changed": []})
    );
    let html = std::fs::read_to_string(report_dir(out.path()).join("report.html")).unwrap();
    assert!(html.contains("engine/avengine.p7s") && html.contains("Signers and chains"));
}

#[test]
fn tampered_engine_fails_signature_verification_naming_the_file() {
    let (out, run) = audit(&demo("audit-tampered.toml"), &[]);
    assert_eq!(run.status.code(), Some(1));
    let json = std::fs::read_to_string(report_dir(out.path()).join("report.json")).unwrap();
    let report = glassbox_core_report(&json);
    let f = items(&report["findings"])
        .find(|f| f["check"] == "verify" && f["severity"] == "critical")
        .expect("a critical verify finding");
    assert_eq!(
        f["title"],
        "Signature verification failed for engine/avengine"
    );
    assert_eq!(f["paths"], serde_json::json!(["engine/avengine"]));
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("engine/avengine.p7s: message-digest"),
        "{evidence}"
    );
}

/// A previous release with no signatures: every signer of 1.1.0 is new,
/// which the auditor must see (high).
#[test]
fn new_signers_since_the_previous_release_are_high_findings() {
    let text = std::fs::read_to_string(demo("audit.toml"))
        .unwrap()
        .replace(
            "path = \"releases/exampleav-1.0.0\"",
            "path = \"rebuild/exampleav-1.1.0\"",
        );
    let (_demo_copy, case) = case_beside_a_demo_copy(&text);
    let (out, run) = audit(case.to_str().unwrap(), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let json = std::fs::read_to_string(report_dir(out.path()).join("report.json")).unwrap();
    let report = glassbox_core_report(&json);
    let titles: Vec<&str> = items(&report["findings"])
        .filter(|f| f["severity"] == "high")
        .map(|f| f["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"New signer since 1.0.0: exampleav-release-ed25519"),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("ExampleAV Release Signing")),
        "{titles:?}"
    );
}

#[test]
fn diff_summary_counts_changes_and_names_the_changed_engine() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let json = std::fs::read_to_string(report_dir(out.path()).join("report.json")).unwrap();
    let report = glassbox_core_report(&json);
    let d = &report["results"]["diff"];
    assert_eq!(d["previous_version"], "1.0.0");
    assert_eq!(
        d["changed_executables"],
        serde_json::json!(["engine/avengine"])
    );
    assert_eq!(d["counts"]["renamed"], 1);
    let engine = items(&report["findings"])
        .find(|f| f["check"] == "diff" && f["severity"] == "medium")
        .expect("a finding for the changed engine");
    assert_eq!(
        engine["title"],
        "Executable engine/avengine modified since 1.0.0 (elf)"
    );
    let md = std::fs::read_to_string(report_dir(out.path()).join("report.md")).unwrap();
    assert!(md.contains("Changed executables:\n\n- engine/avengine"));
}

#[test]
fn report_verify_prints_the_verdict_and_require_pass_fails_on_fail() {
    // The tampered release audits to FAIL (exit 1), and the report is
    // still written and signed.
    let (out, run) = audit(&demo("audit-tampered.toml"), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let env = report_dir(out.path()).join("report.dsse.json");
    let r = verify(&env, &[]);
    let text = stdout(&r);
    assert_eq!(r.status.code(), Some(0), "{text}");
    assert!(
        text.contains("verified: signature valid, report unaltered; audit verdict: FAIL ("),
        "{text}"
    );
    let strict = verify(&env, &["--require-pass"]);
    let text = stdout(&strict);
    assert_eq!(strict.status.code(), Some(1), "{text}");
    assert!(text.contains("FAILED: --require-pass"), "{text}");
    let json = verify(&env, &["--require-pass", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (v["verified"].as_bool(), v["verdict"].as_str()),
        (Some(true), Some("fail"))
    );

    // The demo passes, with or without --require-pass.
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let env = report_dir(out.path()).join("report.dsse.json");
    let ok = verify(&env, &["--require-pass"]);
    let text = stdout(&ok);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(text.contains("audit verdict: PASS ("), "{text}");
}

#[test]
fn envelopes_with_an_extra_or_duplicated_signature_fail() {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let dir = report_dir(out.path());
    let env_path = dir.join("report.dsse.json");
    let original = std::fs::read_to_string(&env_path).unwrap();
    let env: serde_json::Value = serde_json::from_str(&original).unwrap();
    let sig = env["signatures"][0].clone();
    // A duplicate of the auditor's signature, and an extra one nobody can
    // verify, each written in glassbox's own compact form.
    let extra = serde_json::json!({"keyid": "someone-else", "sig": "AAAA"});
    for (what, added) in [("duplicate", sig), ("extra", extra)] {
        let mut bad = env.clone();
        bad["signatures"].as_array_mut().unwrap().push(added);
        let path = dir.join(format!("{what}.dsse.json"));
        std::fs::write(&path, serde_json::to_string(&bad).unwrap() + "\n").unwrap();
        let r = verify(
            &path,
            &["--report", dir.join("report.json").to_str().unwrap()],
        );
        let text = stdout(&r);
        assert_eq!(r.status.code(), Some(1), "{what}: {text}");
        assert!(
            text.contains("the envelope carries 2 signatures; glassbox writes exactly one"),
            "{what}: {text}"
        );
    }
}

#[test]
fn artifacts_bind_whole_directories_and_the_policy_trust_material() {
    let example = repo_root().join("audit-reports/example");
    let env = example.join("report.dsse.json");
    // The policy's roots and keys are inputs of the signed report.
    let report =
        glassbox_core_report(&std::fs::read_to_string(example.join("report.json")).unwrap());
    let trust: Vec<&str> = items(&report["inputs"])
        .filter(|i| i["role"] == "trust-material")
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        trust,
        [
            "pki/root.pem",
            "pki/intermediate.pem",
            "keys/exampleav-release-ed25519.pub.pem"
        ]
    );

    let fresh = || {
        let d = tempfile::tempdir().unwrap();
        copy_dir(Path::new(&demo("")), d.path());
        d
    };
    let check = |dir: &Path| {
        let r = verify(&env, &["--artifacts", dir.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&r.stdout).into_owned();
        (r.status.code(), text)
    };
    let copy = fresh();
    assert_eq!(check(copy.path()).0, Some(0), "{}", check(copy.path()).1);

    // A file added to the audited release directory after the audit.
    std::fs::write(
        copy.path().join("releases/exampleav-1.1.0/engine/extra.so"),
        b"x",
    )
    .unwrap();
    let (code, text) = check(copy.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "FAILED: releases/exampleav-1.1.0/engine/extra.so: present in the audited directory but not in the report"
        ),
        "{text}"
    );
    assert!(
        text.contains("FAILED: releases/exampleav-1.1.0: directory digest on disk"),
        "{text}"
    );

    // A symbolic link added to the rebuild directory: never hashed, so it
    // is not bound, and not recorded either.
    let copy = fresh();
    std::os::unix::fs::symlink(
        "avengine",
        copy.path().join("rebuild/exampleav-1.1.0/alias"),
    )
    .unwrap();
    let (code, text) = check(copy.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "rebuild/exampleav-1.1.0/alias: a link or special file the report does not record"
        ),
        "{text}"
    );

    // A different root certificate where the policy points.
    let copy = fresh();
    std::fs::copy(
        demo("pki/intermediate.pem"),
        copy.path().join("pki/root.pem"),
    )
    .unwrap();
    let (code, text) = check(copy.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAILED: pki/root.pem: sha256 on disk"),
        "{text}"
    );
}

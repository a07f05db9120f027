//! `glassbox audit` and `glassbox report` on the demo vendor.

mod common;
use common::{
    copy_dir, demo, expect_stdout, glassbox, init_log, items, keygen, repo_root, stderr, stdout,
};

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

/// The demo case audited into a fresh output folder, which must pass:
/// the folder (removed when dropped) and the report directory in it.
fn demo_audit() -> (tempfile::TempDir, PathBuf) {
    let (out, run) = audit(&demo("audit.toml"), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let dir = report_dir(out.path());
    (out, dir)
}

#[test]
fn demo_audit_writes_the_report_files() {
    let (_out, dir) = demo_audit();
    for f in [
        "report.json",
        "report.dsse.json",
        "report.md",
        "report.html",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let report = report_json(&dir);
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

/// `report.json` in the report directory `dir`, parsed.
fn report_json(dir: &Path) -> serde_json::Value {
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    serde_json::from_str(&json).expect("report.json is JSON")
}

#[test]
fn same_inputs_and_time_give_identical_bytes() {
    let ((_a, a), (_b, b)) = (demo_audit(), demo_audit());
    for f in [
        "report.json",
        "report.dsse.json",
        "report.md",
        "report.html",
    ] {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs");
    }
}

#[test]
fn existing_report_is_not_overwritten_without_force() {
    let (out, dir) = demo_audit();
    let json = dir.join("report.json");
    std::fs::write(&json, b"sentinel").unwrap();
    let o = out.path().to_str().unwrap();
    let again = glassbox(&["audit", &demo("audit.toml"), "--time", TIME, "--output", o]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists") && stderr(&again).contains("--force"),
        "{}",
        stderr(&again)
    );
    // Refused before any check ran: nothing but the error, at once.
    assert_eq!(stdout(&again), "");
    assert_eq!(stderr(&again).lines().count(), 1, "{}", stderr(&again));
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
    let (_out, dir) = demo_audit();
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
    let (_out, dir) = demo_audit();
    let env = dir.join("report.dsse.json");
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
    let (_out, dir) = demo_audit();
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
    let (_out, dir) = demo_audit();
    let env = dir.join("report.dsse.json");
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
    keygen(&key, "ed25519");
    let init = init_log(d.path(), "log", "audit.test/log", "log.key");
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
    let (_out, dir) = demo_audit();
    let report = report_json(&dir);
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
    let report = report_json(&report_dir(out.path()));
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
        (r, report_json(&dir))
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
    let (_out, dir) = demo_audit();
    let report = report_json(&dir);
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
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("engine/avengine.p7s") && html.contains("Signers and chains"));
}

#[test]
fn tampered_engine_fails_signature_verification_naming_the_file() {
    let (out, run) = audit(&demo("audit-tampered.toml"), &[]);
    assert_eq!(run.status.code(), Some(1));
    let report = report_json(&report_dir(out.path()));
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
    let report = report_json(&report_dir(out.path()));
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
    let (_out, dir) = demo_audit();
    let report = report_json(&dir);
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
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
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
    let (_out, dir) = demo_audit();
    let env = dir.join("report.dsse.json");
    let ok = verify(&env, &["--require-pass"]);
    let text = stdout(&ok);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(text.contains("audit verdict: PASS ("), "{text}");
}

#[test]
fn envelopes_with_an_extra_or_duplicated_signature_fail() {
    let (_out, dir) = demo_audit();
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
    let report = report_json(&example);
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
    // `report verify --artifacts DIR` exits `code` saying each of `says`.
    let check = |dir: &Path, code: i32, says: &[&str]| {
        expect_stdout(
            &verify(&env, &["--artifacts", dir.to_str().unwrap()]),
            code,
            says,
        );
    };
    let copy = fresh();
    check(copy.path(), 0, &[]);

    // A file added to the audited release directory after the audit.
    std::fs::write(
        copy.path().join("releases/exampleav-1.1.0/engine/extra.so"),
        b"x",
    )
    .unwrap();
    check(
        copy.path(),
        1,
        &[
            "FAILED: releases/exampleav-1.1.0/engine/extra.so: present in the audited directory but not in the report",
            "FAILED: releases/exampleav-1.1.0: directory digest on disk",
        ],
    );

    // A symbolic link added to the rebuild directory: never hashed, so it
    // is not bound, and not recorded either.
    let copy = fresh();
    std::os::unix::fs::symlink(
        "avengine",
        copy.path().join("rebuild/exampleav-1.1.0/alias"),
    )
    .unwrap();
    check(
        copy.path(),
        1,
        &["rebuild/exampleav-1.1.0/alias: a link or special file the report does not record"],
    );

    // A different root certificate where the policy points.
    let copy = fresh();
    std::fs::copy(
        demo("pki/intermediate.pem"),
        copy.path().join("pki/root.pem"),
    )
    .unwrap();
    check(copy.path(), 1, &["FAILED: pki/root.pem: sha256 on disk"]);
}

/// A case with only `[release]` and `[previous]`: the checks it does not
/// configure are steps too, `not-run` with why, and the verdict names them.
#[test]
fn checks_not_configured_are_not_run_and_named_in_the_verdict() {
    let (_demo_copy, out, run) = audit_minimal_case("");
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let summary = stdout(&run);
    assert!(
        summary
            .contains("PASS — signatures, reproducibility, TUF repository not checked (0 critical"),
        "{summary}"
    );
    assert!(
        summary
            .contains("verify   not run (not configured)   the case file has no [verify] section"),
        "{summary}"
    );
    let dir = report_dir(out.path());
    let report = report_json(&dir);
    let steps: Vec<(&str, &str, Option<&str>)> = items(&report["steps"])
        .map(|s| {
            (
                s["check"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
                s["why"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("inputs", "ok", None),
            ("verify", "not-run", Some("not-configured")),
            ("diff", "ok", None),
            ("repro", "not-run", Some("not-configured")),
            ("tuf", "not-run", Some("not-configured")),
        ]
    );
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("**Verdict: PASS** — signatures, reproducibility, TUF repository not checked"),
        "{md}"
    );
    assert!(md.contains("| verify | not run (not configured) |"), "{md}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("<td>repro</td><td>not run (not configured)</td>"),
        "{html}"
    );
    assert!(html.contains("— signatures, reproducibility, TUF repository not checked"));
    // The signed report says so too.
    let v = verify(&dir.join("report.dsse.json"), &[]);
    assert!(
        stdout(&v).contains("— signatures, reproducibility, TUF repository not checked"),
        "{}",
        stdout(&v)
    );
}

/// The demo case's header, auditor, release and previous release, plus
/// `extra` (no verify, rebuild or tuf).
fn minimal_case(extra: &str) -> String {
    format!(
        "vendor = \"ExampleAV\"\nproduct = \"P\"\n[auditor]\nname = \"A\"\n\
         key = \"auditor/TEST-ONLY-auditor.key\"\n[release]\npath = \"releases/exampleav-1.1.0\"\n\
         version = \"1.1.0\"\n[previous]\npath = \"releases/exampleav-1.0.0\"\nversion = \"1.0.0\"\n{extra}"
    )
}

/// Audits [`minimal_case`] with `extra` beside a copy of the demo; returns
/// the copy, the output directory and the run.
fn audit_minimal_case(extra: &str) -> (tempfile::TempDir, tempfile::TempDir, Output) {
    let (demo_copy, case) = case_beside_a_demo_copy(&minimal_case(extra));
    let (out, run) = audit(case.to_str().unwrap(), &[]);
    (demo_copy, out, run)
}

#[test]
fn a_required_check_that_is_not_configured_fails_the_audit() {
    let (_demo_copy, out, run) = audit_minimal_case("[require]\nchecks = [\"verify\", \"diff\"]\n");
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("FAIL — signatures, reproducibility, TUF repository not checked"),
        "{}",
        stdout(&run)
    );
    let report = report_json(&report_dir(out.path()));
    let high: Vec<&str> = items(&report["findings"])
        .filter(|f| f["severity"] == "high")
        .map(|f| f["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        high,
        ["Required check did not run: verify (signatures not checked)"]
    );
    // An unknown check name is a mistake in the case file.
    let (_copy, _out, run) = audit_minimal_case("[require]\nchecks = [\"signatures\"]\n");
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("signatures"), "{}", stderr(&run));
}

/// A new release cut short: the diff and repro checks could not run, and
/// their signed findings blame the release (not the previous one) with the
/// whole cause: the input, the entry, the byte offset, "truncated".
#[test]
fn a_truncated_release_is_blamed_with_the_cause_in_the_signed_evidence() {
    let d = tempfile::tempdir().unwrap();
    copy_dir(Path::new(&demo("")), d.path());
    // A tar of the 1.1.0 directory, built here, then cut inside a member.
    let mut tar = tar::Builder::new(Vec::new());
    tar.append_dir_all(".", d.path().join("releases/exampleav-1.1.0"))
        .unwrap();
    let full = tar.into_inner().unwrap();
    let cut = full.len() * 2 / 3;
    std::fs::write(d.path().join("new.tar"), &full[..cut]).unwrap();
    let text = minimal_case("[rebuild]\npath = \"rebuild/exampleav-1.1.0\"\n")
        .replace("path = \"releases/exampleav-1.1.0\"", "path = \"new.tar\"");
    let case = d.path().join("case.toml");
    std::fs::write(&case, text).unwrap();
    let (out, run) = audit(case.to_str().unwrap(), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let dir = report_dir(out.path());
    // The evidence is read back from the signed statement, not report.json.
    let v = verify(&dir.join("report.dsse.json"), &[]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.dsse.json")).unwrap()).unwrap();
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let report = &statement["predicate"];
    let finding = |check: &str| {
        items(&report["findings"])
            .find(|f| f["check"] == check)
            .unwrap_or_else(|| panic!("a {check} finding: {report}"))
            .clone()
    };
    let diff = finding("diff");
    assert_eq!(diff["severity"], "high");
    assert_eq!(
        diff["title"],
        "Check could not run: cannot read the release new.tar"
    );
    let evidence = diff["evidence"][0].as_str().unwrap();
    assert!(
        evidence.starts_with("new release ")
            && evidence.contains("new.tar: entry `")
            && evidence.contains("` at byte ")
            && evidence.contains("truncated"),
        "{evidence}"
    );
    let repro = finding("repro")["evidence"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        repro.contains("new.tar")
            && repro.contains("truncated")
            && !repro.contains("format differs"),
        "{repro}"
    );
    let steps: Vec<(&str, &str)> = items(&report["steps"])
        .filter(|s| s["status"] == "not-run")
        .map(|s| (s["check"].as_str().unwrap(), s["why"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("verify", "not-configured"),
            ("diff", "could-not-run"),
            ("repro", "could-not-run"),
            ("tuf", "not-configured")
        ]
    );
}

/// README, "Set up" then "glassbox audit": in a fresh checkout, the demo
/// audit and then the tampered one, as written (no --force, no --output),
/// each in its own report directory.
#[test]
fn readme_demo_audits_run_one_after_the_other_without_force() {
    let d = tempfile::tempdir().unwrap();
    let demo_dir = d.path().join("testdata/demo");
    std::fs::create_dir_all(&demo_dir).unwrap();
    copy_dir(Path::new(&demo("")), &demo_dir);
    let first = common::glassbox_in(&["audit", "testdata/demo/audit.toml"], d.path());
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = common::glassbox_in(&["audit", "testdata/demo/audit-tampered.toml"], d.path());
    let out = stdout(&second);
    assert_eq!(second.status.code(), Some(1), "{out}{}", stderr(&second));
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("critical") && l.contains("engine/avengine")),
        "{out}"
    );
    // Two report directories, one per case.
    assert!(d.path().join("audit-reports/tampered").is_dir());
}

/// `glassbox audit init`: a commented case file and policy; with a key
/// and a release in place the case runs as written, and with `[verify]`
/// uncommented its policy loads (the unsigned release then fails).
#[test]
fn audit_init_writes_a_case_that_runs() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("my-audit");
    let init = glassbox(&["audit", "init", dir.to_str().unwrap()]);
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let again = glassbox(&["audit", "init", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "refuses to overwrite");
    {
        use std::os::unix::fs::PermissionsExt as _;
        for f in ["audit.toml", "policy.toml"] {
            let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "{f}");
        }
    }
    keygen(&dir.join("auditor.key"), "ed25519");
    std::fs::create_dir(dir.join("release")).unwrap();
    std::fs::write(dir.join("release/app.bin"), b"payload").unwrap();
    let case = dir.join("audit.toml");
    let run = glassbox(&["audit", case.to_str().unwrap(), "--time", TIME]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("PASS — signatures, changes since the previous release, reproducibility, TUF repository not checked"),
        "{}",
        stdout(&run)
    );

    let text = std::fs::read_to_string(&case)
        .unwrap()
        .replace("# [verify]", "[verify]")
        .replace("# policy = \"policy.toml\"", "policy = \"policy.toml\"");
    std::fs::write(&case, text).unwrap();
    std::fs::copy(
        demo("keys/exampleav-release-ed25519.pub.pem"),
        dir.join("vendor-release.pub.pem"),
    )
    .unwrap();
    let run = glassbox(&["audit", case.to_str().unwrap(), "--time", TIME, "--force"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("verify   failed "),
        "the policy loaded and the check ran: {}",
        stdout(&run)
    );
}

/// Severity is coloured, and colour codes do not count as columns: with
/// `--color always` every finding's id starts in the same column once the
/// codes are removed.
#[test]
fn colour_does_not_break_the_summary_columns() {
    let out = tempfile::tempdir().unwrap();
    let run = common::glassbox_cmd()
        .env_remove("NO_COLOR")
        .args([
            "--color",
            "always",
            "audit",
            &demo("audit-tampered.toml"),
            "--time",
            TIME,
            "--output",
            out.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let raw = stdout(&run);
    assert!(raw.contains("\x1b["), "coloured: {raw}");
    let plain = strip_ansi(&raw);
    let severities = ["critical", "high", "medium", "info"];
    let columns: Vec<usize> = plain
        .lines()
        .filter(|l| severities.iter().any(|s| l.trim_start().starts_with(s)))
        .map(|l| l.find(|c: char| c.is_ascii_uppercase()).unwrap())
        .collect();
    assert!(columns.len() >= 3, "{plain}");
    assert!(columns.iter().all(|&c| c == columns[0]), "{plain}");
    // The step table: the summary starts in one column after the status
    // (2 + check 8 + 1 + status 26 + 1).
    let steps: Vec<&str> = plain
        .lines()
        .filter(|l| {
            ["  inputs ", "  verify ", "  diff ", "  repro ", "  tuf "]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .collect();
    assert_eq!(steps.len(), 5, "{plain}");
    for l in steps {
        let b = l.as_bytes();
        assert!(b[37] == b' ' && b[38] != b' ', "{l:?} in {plain}");
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Every file a command writes for others has mode 0644 whatever the
/// umask allowed the temporary file: a rendered report and a diff page
/// like the report itself.
#[test]
fn written_outputs_are_mode_0644() {
    use std::os::unix::fs::PermissionsExt as _;
    let d = tempfile::tempdir().unwrap();
    let html = d.path().join("r.html");
    let r = glassbox(&[
        "report",
        "render",
        &repo_root()
            .join("audit-reports/example/report.json")
            .to_string_lossy(),
        "--format",
        "html",
        "--output",
        html.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let page = d.path().join("d.html");
    let r = glassbox(&[
        "diff",
        &demo("releases/exampleav-1.0.0"),
        &demo("releases/exampleav-1.1.0"),
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert!(
        r.status.code() == Some(1) || r.status.success(),
        "{}",
        stderr(&r)
    );
    for f in [&html, &page] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", f.display());
    }
}

/// The report page names the key that signed it and how to verify it.
#[test]
fn report_html_shows_the_signing_key_and_the_verify_command() {
    let example = repo_root().join("audit-reports/example");
    let html = std::fs::read_to_string(example.join("report.html")).unwrap();
    let key_id = glassbox_core::keys::PublicKey::from_file(Path::new(&auditor_pub()))
        .unwrap()
        .key_id();
    assert!(
        html.contains(&format!("<code id=\"key-id\">{key_id}</code>")),
        "{html}"
    );
    assert!(
        html.contains("<code id=\"verify-command\">glassbox report verify report.dsse.json --roots AUDITOR-CA.pem --artifacts CASE-DIR</code>"),
        "{html}"
    );
    // Table cells wrap between words only (code, digests and paths may
    // break anywhere).
    assert!(
        !html.contains("td{overflow-wrap:anywhere")
            && !html.contains(";overflow-wrap:anywhere}th{")
    );
}

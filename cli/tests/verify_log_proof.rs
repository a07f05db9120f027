//! `glassbox verify --log-proof` on the demo transparency log, and
//! `glassbox log monitor` on the demo's split view.

mod common;
use common::{demo, glassbox, items, stderr, stdout};

use glassbox_core::tlog::LogSigner;
use glassbox_core::tlog::note::KeyType;

const PROOF: &str = "log/exampleav-1.1.0.tar.gz.tlog-proof";

/// `verify TARGET --policy demo --log-proof PROOF --log-vkey VKEY --format json`.
fn verify(target: &str, proof: &str, vkey: &str) -> (Option<i32>, serde_json::Value) {
    let out = glassbox(&[
        "verify",
        target,
        "--policy",
        &demo("policy.toml"),
        "--log-proof",
        proof,
        "--log-vkey",
        vkey,
        "--format",
        "json",
    ]);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), v)
}

/// The log-proof failure's reason (and that it is the only failure when
/// the signatures are fine).
fn log_failure(v: &serde_json::Value) -> String {
    assert_eq!(v["verified"], false);
    assert_eq!(v["log_proof"]["verified"], false);
    let reason = v["log_proof"]["reason"].as_str().unwrap().to_string();
    let f = items(&v["failures"])
        .find(|f| f["check"] == "log-proof")
        .expect("a log-proof failure");
    assert_eq!(f["reason"], reason.as_str());
    reason
}

#[test]
fn vendor_archive_with_its_log_proof_verifies_in_text_and_json() {
    let target = demo("releases/exampleav-1.1.0.tar.gz");
    let (code, v) = verify(&target, &demo(PROOF), &demo("log/vkey"));
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["verified"], true);
    let lp = &v["log_proof"];
    assert_eq!(lp["verified"], true);
    assert_eq!(lp["index"], 2);
    assert_eq!(lp["tree_size"], 4);
    assert_eq!(lp["origin"], "transparency.exampleav.invalid/releases");
    assert_eq!(lp["record"]["name"], "exampleav-1.1.0.tar.gz");
    // The verifier key may be given as the string itself.
    let vkey = std::fs::read_to_string(demo("log/vkey")).unwrap();
    let out = glassbox(&[
        "verify",
        &target,
        "--policy",
        &demo("policy.toml"),
        "--log-proof",
        &demo(PROOF),
        "--log-vkey",
        vkey.trim_end(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("exampleav-1.1.0.tar.gz is entry 2 of transparency.exampleav.invalid/releases at tree size 4"),
        "{text}"
    );
    assert!(text.contains("verdict: VERIFIED"), "{text}");
}

/// Verifies the demo `target` against the demo's proof of 1.1.0, which
/// must fail (exit 1) because the logged entry is not this file; returns
/// the JSON and the log-proof failure's reason.
fn entry_mismatch(target: &str) -> (serde_json::Value, String) {
    let (code, v) = verify(&demo(target), &demo(PROOF), &demo("log/vkey"));
    assert_eq!(code, Some(1));
    let reason = log_failure(&v);
    assert!(
        reason.starts_with("entry does not match the file"),
        "{reason}"
    );
    (v, reason)
}

#[test]
fn tampered_archive_fails_the_log_proof() {
    let (_, reason) = entry_mismatch("tampered/exampleav-1.1.0.tar.gz");
    assert!(reason.contains("size 17817"), "{reason}");
}

#[test]
fn proof_of_another_release_fails_even_though_the_signatures_verify() {
    let (v, _) = entry_mismatch("releases/exampleav-1.0.0.tar.gz");
    assert_eq!(v["failures"].as_array().unwrap().len(), 1, "{v:#}");
}

#[test]
fn same_content_under_another_name_fails() {
    // A vendor serving a logged archive as another version: the content
    // is in the log, but under its own name.
    let tmp = tempfile::tempdir().unwrap();
    let renamed = tmp.path().join("exampleav-1.2.0.tar.gz");
    std::fs::copy(demo("releases/exampleav-1.1.0.tar.gz"), &renamed).unwrap();
    let (code, v) = verify(renamed.to_str().unwrap(), &demo(PROOF), &demo("log/vkey"));
    assert_eq!(code, Some(1));
    let reason = log_failure(&v);
    assert!(
        reason.contains("\"exampleav-1.1.0.tar.gz\"")
            && reason.contains("\"exampleav-1.2.0.tar.gz\""),
        "{reason}"
    );
}

#[test]
fn wrong_log_key_fails_on_the_checkpoint_signature() {
    let other = LogSigner::from_seed(
        "transparency.exampleav.invalid/releases",
        KeyType::Ed25519,
        &[7; 32],
    )
    .unwrap()
    .verifier_key()
    .to_string();
    let (code, v) = verify(
        &demo("releases/exampleav-1.1.0.tar.gz"),
        &demo(PROOF),
        &other,
    );
    assert_eq!(code, Some(1));
    let reason = log_failure(&v);
    assert!(
        reason.starts_with("checkpoint: no signature from a known key"),
        "{reason}"
    );
}

#[test]
fn tampered_proofs_fail_with_the_reason() {
    let good = std::fs::read_to_string(demo(PROOF)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let target = demo("releases/exampleav-1.1.0.tar.gz");
    let run = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (code, v) = verify(&target, p.to_str().unwrap(), &demo("log/vkey"));
        assert_eq!(code, Some(1), "{name}: {v:#}");
        log_failure(&v)
    };
    // One inclusion-proof hash changed (first line after "index").
    let lines: Vec<&str> = good.split('\n').collect();
    let at = lines.iter().position(|l| l.starts_with("index ")).unwrap() + 1;
    let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    changed[at] = if changed[at].starts_with('A') {
        format!("B{}", &changed[at][1..])
    } else {
        format!("A{}", &changed[at][1..])
    };
    let reason = run("hash.tlog-proof", &changed.join("\n"));
    assert!(
        reason.starts_with("inclusion proof does not verify"),
        "{reason}"
    );
    // Another index.
    let reason = run("index.tlog-proof", &good.replace("index 2\n", "index 3\n"));
    assert!(
        reason.starts_with("inclusion proof does not verify"),
        "{reason}"
    );
    // The checkpoint's tree size changed under its signature.
    let reason = run(
        "size.tlog-proof",
        &good.replacen("/releases\n4\n", "/releases\n5\n", 1),
    );
    assert!(reason.contains("bad signature"), "{reason}");
    // Not a proof at all.
    let reason = run("garbage.tlog-proof", "hello\n");
    assert!(reason.starts_with("malformed proof"), "{reason}");
}

#[test]
fn log_proof_input_errors_exit_2() {
    let policy = demo("policy.toml");
    // A directory is not a file the log can vouch for.
    let out = glassbox(&[
        "verify",
        &demo("releases/exampleav-1.1.0"),
        "--policy",
        &policy,
        "--log-proof",
        &demo(PROOF),
        "--log-vkey",
        &demo("log/vkey"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    // --log-proof without --log-vkey, a vkey that is neither key nor file,
    // a quorum without witnesses.
    for extra in [
        vec!["--log-proof", PROOF],
        vec!["--log-proof", PROOF, "--log-vkey", "nonsense"],
        vec![
            "--log-proof",
            PROOF,
            "--log-vkey",
            "log/vkey",
            "--quorum",
            "1",
        ],
    ] {
        let extra: Vec<String> = extra
            .iter()
            .map(|a| {
                if a.starts_with("log/") {
                    demo(a)
                } else {
                    a.to_string()
                }
            })
            .collect();
        let target = demo("releases/exampleav-1.1.0.tar.gz");
        let mut args = vec!["verify", target.as_str(), "--policy", policy.as_str()];
        args.extend(extra.iter().map(String::as_str));
        let out = glassbox(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn monitor_on_the_demo_logs_reports_the_split_view_with_both_checkpoints() {
    let out = common::glassbox_in(&common::words(common::MONITOR_DEMO), &common::demo_path(""));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("SPLIT VIEW"), "{text}");
    let log_cp = std::fs::read_to_string(demo("log/checkpoint")).unwrap();
    let fork_cp = std::fs::read_to_string(demo("log-targeted/checkpoint")).unwrap();
    assert_ne!(log_cp, fork_cp);
    assert!(text.contains(&log_cp), "{text}");
    assert!(text.contains(&fork_cp), "{text}");
    // The public log alone shows no split view.
    let out = glassbox(&["log", "monitor", "--vkey", &demo("log/vkey"), &demo("log")]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn witness_quorum_is_enforced_on_the_log_proof() {
    use glassbox_core::tlog::cosignature;
    use glassbox_core::tlog::note::Note;
    use glassbox_core::tlog::proof::TlogProof;

    let witness = |seed: u8| {
        LogSigner::from_seed("witness.example/w1", KeyType::CosignatureV1, &[seed; 32]).unwrap()
    };
    let w1 = witness(1);
    let mut proof = TlogProof::parse(&std::fs::read(demo(PROOF)).unwrap()).unwrap();
    let mut note = Note::parse(&proof.checkpoint).unwrap();
    cosignature::cosign(&mut note, &w1, 1_790_000_000).unwrap();
    proof.checkpoint = note.to_bytes();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("cosigned.tlog-proof");
    std::fs::write(&path, proof.to_bytes()).unwrap();

    let run = |wkey: &str| {
        let out = glassbox(&[
            "verify",
            &demo("releases/exampleav-1.1.0.tar.gz"),
            "--policy",
            &demo("policy.toml"),
            "--log-proof",
            path.to_str().unwrap(),
            "--log-vkey",
            &demo("log/vkey"),
            "--witness-vkey",
            wkey,
            "--quorum",
            "1",
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    let (code, v) = run(&w1.verifier_key().to_string());
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["log_proof"]["cosigned_by"][0], "witness.example/w1");
    // A witness the checkpoint was not cosigned by: the quorum is not met.
    let (code, v) = run(&witness(2).verifier_key().to_string());
    assert_eq!(code, Some(1));
    let reason = log_failure(&v);
    assert!(reason.starts_with("witness quorum not met"), "{reason}");
}

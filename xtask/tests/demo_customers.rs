//! The demo's customer side (testdata/demo/published, customers): alice's
//! 1.1.0 checks out against the witnessed log; bob's tampered engine is
//! named, his forked log lacks the witnesses' cosignatures, a machine that
//! saw the real log first catches the fork, and a witness refuses it.

use std::path::{Path, PathBuf};

use glassbox_core::check::{CheckPolicy, CheckResult, FileStatus, check};
use glassbox_core::keys::PublicKey;
use glassbox_core::tlog::note::{KeyType, VerifierKey};
use glassbox_core::tlog::witness::{AddCheckpoint, Refusal, Witness};
use glassbox_core::tlog::{LogSigner, LogSource};
use xtask::demo::customers::{ORIGIN, WITNESSES};

fn demo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/demo")
        .join(rel)
}

fn vkey(path: &Path) -> VerifierKey {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn policy(quorum: usize) -> CheckPolicy {
    CheckPolicy {
        log_key: vkey(&demo("published/log/vkey")),
        witnesses: WITNESSES
            .iter()
            .map(|(name, _)| vkey(&demo(&format!("published/witnesses/{name}.vkey"))))
            .collect(),
        quorum,
        auditor_keys: vec![(
            "demo auditor".into(),
            PublicKey::from_file(&demo("auditor/TEST-ONLY-auditor.key.pub")).unwrap(),
        )],
    }
}

fn run(machine: &str, log: &str, quorum: usize, state: Option<&Path>) -> CheckResult {
    check(
        &demo(machine),
        &demo("published/reports"),
        &LogSource::Dir(demo(log)),
        &policy(quorum),
        state,
    )
    .unwrap()
}

fn failing(r: &CheckResult) -> Vec<&str> {
    r.files
        .iter()
        .filter(|f| !f.status.ok())
        .map(|f| f.path.as_str())
        .collect()
}

#[test]
fn alice_received_the_audited_release() {
    let r = run("customers/alice", "published/log", 2, None);
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.summary.covered, 15);
    assert_eq!(r.log.cosigned_by.len(), 2);
}

#[test]
fn bob_received_the_tampered_engine_from_a_fork() {
    let r = run("customers/bob", "published/log-forked", 0, None);
    assert!(!r.ok);
    assert_eq!(failing(&r), ["engine/avengine"]);
    assert!(matches!(
        r.files
            .iter()
            .find(|f| f.path == "engine/avengine")
            .unwrap()
            .status,
        FileStatus::Uncovered { .. }
    ));
    // The witnesses never cosigned the fork.
    let r = run("customers/bob", "published/log-forked", 1, None);
    assert!(!r.ok);
    assert!(
        r.log.problems[0].contains("witness quorum not met: 0 of 1"),
        "{:?}",
        r.log.problems
    );
    // A machine that saw the public log before is shown the fork: caught.
    let state = tempfile::tempdir().unwrap();
    assert!(run("customers/alice", "published/log", 2, Some(state.path())).ok);
    let r = run(
        "customers/alice",
        "published/log-forked",
        0,
        Some(state.path()),
    );
    assert!(!r.ok);
    assert!(
        r.log.problems[0].contains("SPLIT VIEW"),
        "{:?}",
        r.log.problems
    );
}

#[test]
fn a_witness_that_cosigned_the_public_log_refuses_the_fork() {
    let dir = tempfile::tempdir().unwrap();
    let (name, seed) = WITNESSES[0];
    let signer = LogSigner::from_seed(name, KeyType::CosignatureV1, &seed).unwrap();
    let log_key = vkey(&demo("published/log/vkey"));
    assert_eq!(log_key.name, ORIGIN);
    let w = Witness::open(dir.path(), signer, vec![log_key]).unwrap();
    let public = std::fs::read(demo("published/log/checkpoint")).unwrap();
    let add = |old_size, checkpoint: Vec<u8>| {
        let body = AddCheckpoint {
            old_size,
            proof: Vec::new(),
            checkpoint,
        };
        w.add_checkpoint(&body.to_bytes(), 1_782_910_800)
    };
    add(0, public).unwrap();
    let fork = std::fs::read(demo("published/log-forked/checkpoint")).unwrap();
    let refused = add(17, fork).unwrap_err();
    assert!(matches!(refused, Refusal::RootMismatch { .. }), "{refused}");
    assert_eq!(refused.status(), 409);
}

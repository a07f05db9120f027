//! The demo transparency log: the public log and the fork served to one
//! customer form a split view, and the shipped proofs verify for exactly
//! the archives they were made for.

use std::path::{Path, PathBuf};

use glassbox_core::tlog::leaf::LeafRecord;
use glassbox_core::tlog::monitor;
use glassbox_core::tlog::note::VerifierKey;
use glassbox_core::tlog::proof::{TlogProof, VerifiedEntry};
use glassbox_core::tlog::{Error, LogSigner};

fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/demo")
}

fn vkey() -> VerifierKey {
    let text = std::fs::read_to_string(demo_dir().join("log/vkey")).unwrap();
    text.trim_end().parse().unwrap()
}

fn proof(dir: &str) -> TlogProof {
    let path = demo_dir()
        .join(dir)
        .join("exampleav-1.1.0.tar.gz.tlog-proof");
    TlogProof::parse(&std::fs::read(path).unwrap()).unwrap()
}

fn record(rel: &str) -> LeafRecord {
    LeafRecord::of_file(&demo_dir().join(rel)).unwrap()
}

/// `proof` checked against the demo file `rel` with the log's key, no
/// witnesses.
fn check(proof: &TlogProof, rel: &str) -> Result<VerifiedEntry, Error> {
    proof.verify_file(Some(&record(rel)), &vkey(), &[], 0)
}

#[test]
fn both_logs_share_the_key_and_the_committed_key_file_is_that_key() {
    let demo = demo_dir();
    let targeted = std::fs::read_to_string(demo.join("log-targeted/vkey")).unwrap();
    assert_eq!(targeted.trim_end().parse::<VerifierKey>().unwrap(), vkey());
    let pem = std::fs::read(demo.join(xtask::demo::tlog::KEY_FILE)).unwrap();
    let signer = LogSigner::from_pkcs8(xtask::demo::tlog::ORIGIN, &pem).unwrap();
    assert_eq!(signer.verifier_key(), &vkey());
}

#[test]
fn monitor_over_the_public_and_the_targeted_log_reports_the_split_view() {
    let demo = demo_dir();
    let places = [demo.join("log"), demo.join("log-targeted")];
    let report = monitor::monitor(&places, &vkey()).unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert!(!report.split_views.is_empty(), "no split view found");
    let evidence = |o: &monitor::Observation| o.place.strip_prefix(&demo).unwrap().to_path_buf();
    let split = report
        .split_views
        .iter()
        .find(|s| {
            let mut pair = [evidence(&s.first), evidence(&s.second)];
            pair.sort();
            pair == [
                Path::new("log/checkpoint").to_path_buf(),
                Path::new("log-targeted/checkpoint").to_path_buf(),
            ]
        })
        .expect("a split view between log/checkpoint and log-targeted/checkpoint");
    assert_eq!(split.first.size, 4);
    assert_eq!(split.second.size, 4);
    assert_ne!(split.first.root, split.second.root);
    assert_eq!(split.first.origin, xtask::demo::tlog::ORIGIN);
    // The public log alone is consistent with itself.
    let alone = monitor::monitor(&[demo.join("log")], &vkey()).unwrap();
    assert!(alone.split_views.is_empty());
}

#[test]
fn public_proof_verifies_the_vendor_archive_and_rejects_the_tampered_one() {
    let p = proof("log");
    let v = check(&p, "releases/exampleav-1.1.0.tar.gz").unwrap();
    assert_eq!(v.index, 2);
    assert_eq!(v.checkpoint.checkpoint.size, 4);
    assert_eq!(v.record.unwrap().name, "exampleav-1.1.0.tar.gz");
    let e = check(&p, "tampered/exampleav-1.1.0.tar.gz").unwrap_err();
    assert!(matches!(e, Error::EntryMismatch(_)), "{e}");
}

#[test]
fn targeted_proof_alone_fools_its_customer_which_is_why_monitoring_matters() {
    let p = proof("log-targeted");
    let v = check(&p, "tampered/exampleav-1.1.0.tar.gz").unwrap();
    assert_eq!(v.index, 2);
    assert!(check(&p, "releases/exampleav-1.1.0.tar.gz").is_err());
}

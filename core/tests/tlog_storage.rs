//! Behaviour of a log directory: appends across tile boundaries, proofs,
//! crash injection at every step, concurrent appenders, split views, and
//! proofs cross-checked by the independent Python RFC 9162 checker.

mod common;
use common::{copy_dir, corpus};

use std::path::Path;

use glassbox_core::tlog::checkpoint::Checkpoint;
use glassbox_core::tlog::key::{self, LogSigner};
use glassbox_core::tlog::merkle::{self, MemoryTree, leaf_hash};
use glassbox_core::tlog::monitor;
use glassbox_core::tlog::storage::{CrashPoint, Log};
use glassbox_core::tlog::{Error, tiles};

const ORIGIN: &str = "test.example/log";

fn signer() -> LogSigner {
    LogSigner::from_pkcs8(ORIGIN, &key::generate_pkcs8().unwrap()).unwrap()
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

fn entries(range: std::ops::Range<u64>) -> Vec<Vec<u8>> {
    range.map(entry).collect()
}

fn reference(n: u64) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        t.push(leaf_hash(&entry(i)));
    }
    t
}

#[test]
fn appends_across_tile_boundaries_give_rfc_roots_and_proofs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let s = signer();
    let log = Log::create(&dir, &s).unwrap();
    assert_eq!(log.checkpoint().unwrap().checkpoint.size, 0);
    assert_eq!(
        log.checkpoint().unwrap().checkpoint.root,
        merkle::empty_root()
    );
    let mut sizes = vec![];
    let mut next = 0;
    for batch in [1u64, 254, 1, 1, 300, 65536 - 557, 1, 2000] {
        let a = log.append(&s, entries(next..next + batch)).unwrap();
        assert_eq!(a.first_index, next);
        next += batch;
        assert_eq!(a.checkpoint.checkpoint.size, next);
        sizes.push(next);
    }
    let t = reference(next);
    let cp = log.check().unwrap();
    assert_eq!(cp.checkpoint.root, t.root());
    assert_eq!(
        log.find(|e| e == entry(65535).as_slice()).unwrap(),
        Some(65535)
    );
    assert_eq!(log.find(|e| e == b"nope").unwrap(), None);
    // Level-2 tile exists once 65536 leaves are in.
    assert!(dir.join(tiles::tile_path(2, 0, 1)).is_file());
    // Superseded partial tiles were removed, full ones remain.
    assert!(!dir.join("tile/0/000.p").exists());
    assert!(dir.join("tile/0/000").is_file());
    for idx in [0, 1, 255, 256, 257, 65535, 65536, next - 1] {
        let p = log.prove(idx).unwrap();
        assert_eq!(p.hashes, merkle::inclusion_proof(&t, idx, next).unwrap());
        p.verify(&entry(idx), log.verifier_key(), &[], 0).unwrap();
        assert!(
            p.verify(&entry(idx + 1), log.verifier_key(), &[], 0)
                .is_err()
        );
    }
    for (i, &m) in sizes.iter().enumerate() {
        assert_eq!(log.root_at(m).unwrap(), merkle::root_at(&t, m).unwrap());
        for &n in &sizes[i..] {
            let p = log.consistency_proof(m, n).unwrap();
            merkle::verify_consistency(
                m,
                n,
                &p,
                &log.root_at(m).unwrap(),
                &log.root_at(n).unwrap(),
            )
            .unwrap();
        }
    }
    assert!(log.prove(next).is_err());
    // A second, independent handle sees the same log.
    let again = Log::open(&dir).unwrap();
    assert_eq!(again.checkpoint().unwrap().checkpoint, cp.checkpoint);
}

#[test]
fn refuses_wrong_key_oversized_entries_and_non_empty_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let s = signer();
    let log = Log::create(&dir, &s).unwrap();
    assert!(matches!(
        log.append(&signer(), [b"x"]),
        Err(Error::MalformedKey(_))
    ));
    assert!(matches!(
        log.append(&s, [vec![0u8; 70_000]]),
        Err(Error::Limit(_))
    ));
    assert_eq!(log.check().unwrap().checkpoint.size, 0);
    assert!(Log::create(&dir, &s).is_err());
}

/// Tampered tiles are caught before anything is appended on top of them.
#[test]
fn tampered_tiles_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let s = signer();
    let log = Log::create(&dir, &s).unwrap();
    log.append(&s, entries(0..10)).unwrap();
    let tile = dir.join(tiles::tile_path(0, 0, 10));
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    assert!(matches!(log.check(), Err(Error::Inconsistent(_))));
    assert!(matches!(
        log.append(&s, entries(10..11)),
        Err(Error::Inconsistent(_))
    ));
}

fn every_crash_point(files: usize) -> Vec<CrashPoint> {
    let mut v: Vec<CrashPoint> = (1..=files).map(CrashPoint::AfterDataFiles).collect();
    v.extend([
        CrashPoint::AfterDataSynced,
        CrashPoint::AfterCheckpointTemp,
        CrashPoint::AfterCheckpointRename,
        CrashPoint::AfterPublish,
    ]);
    v
}

#[test]
fn a_crash_at_any_step_leaves_a_valid_consistent_log() {
    let s = signer();
    // 300 entries, then a batch of 600: bundles 1 and 2 full, 3 partial;
    // level-0 tiles 1 and 2 full, 3 partial; level-1 partial: 7 files.
    let (before, batch) = (300u64, 600u64);
    let files = 7;
    let t_old = reference(before);
    let t_new = reference(before + batch);
    for crash in every_crash_point(files) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("log");
        let log = Log::create(&dir, &s).unwrap();
        log.append(&s, entries(0..before)).unwrap();
        let err = log
            .append_until(&s, entries(before..before + batch), Some(crash))
            .unwrap_err();
        assert!(
            matches!(err, Error::InjectedCrash(p) if p == crash),
            "{crash:?}: {err}"
        );
        // "Reopen after the crash": a fresh handle, the whole log checked.
        let reopened = Log::open(&dir).unwrap();
        let cp = reopened
            .check()
            .unwrap_or_else(|e| panic!("{crash:?}: {e}"));
        let published_new = matches!(
            crash,
            CrashPoint::AfterCheckpointRename | CrashPoint::AfterPublish
        );
        let want = if published_new { &t_new } else { &t_old };
        assert_eq!(cp.checkpoint.size, want.size(), "{crash:?}");
        assert_eq!(cp.checkpoint.root, want.root(), "{crash:?}");
        // The log carries on: append (again) and end up where a log that
        // never crashed would be.
        if !published_new {
            reopened
                .append(&s, entries(before..before + batch))
                .unwrap();
        }
        reopened
            .append(&s, entries(before + batch..before + batch + 5))
            .unwrap();
        let cp = reopened.check().unwrap();
        assert_eq!(
            cp.checkpoint.root,
            reference(before + batch + 5).root(),
            "{crash:?}"
        );
        let p = reopened.prove(before + 1).unwrap();
        p.verify(&entry(before + 1), reopened.verifier_key(), &[], 0)
            .unwrap();
    }
}

/// A crash between writes of a batch that started on a tile boundary, and
/// a retry with *different* entries: the stale files are overwritten.
#[test]
fn stale_files_of_a_crashed_batch_are_overwritten_by_the_next_append() {
    let s = signer();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let log = Log::create(&dir, &s).unwrap();
    log.append(&s, entries(0..256)).unwrap();
    let junk: Vec<Vec<u8>> = (0..300).map(|i| format!("junk {i}").into_bytes()).collect();
    for crash in every_crash_point(4).into_iter().take(5) {
        log.append_until(&s, junk.clone(), Some(crash)).unwrap_err();
        assert_eq!(log.check().unwrap().checkpoint.size, 256);
    }
    log.append(&s, entries(256..556)).unwrap();
    assert_eq!(log.check().unwrap().checkpoint.root, reference(556).root());
}

#[test]
fn concurrent_appenders_are_serialised_by_the_lock_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let s = signer();
    let pkcs8 = key::generate_pkcs8().unwrap();
    let s2 = LogSigner::from_pkcs8(ORIGIN, &pkcs8).unwrap();
    drop(s);
    Log::create(&dir, &s2).unwrap();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let dir = dir.clone();
            let pkcs8 = pkcs8.clone();
            std::thread::spawn(move || {
                // Each thread has its own handle and its own lock-file descriptor.
                let s = LogSigner::from_pkcs8(ORIGIN, &pkcs8).unwrap();
                let log = Log::open(&dir).unwrap();
                for b in 0..15u64 {
                    let batch: Vec<Vec<u8>> = (0..20)
                        .map(|i| format!("t{t} b{b} i{i}").into_bytes())
                        .collect();
                    log.append(&s, batch).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let log = Log::open(&dir).unwrap();
    let cp = log.check().unwrap();
    assert_eq!(cp.checkpoint.size, 4 * 15 * 20);
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..cp.checkpoint.size {
        assert!(
            seen.insert(log.entry(i).unwrap()),
            "entry {i} appears twice"
        );
    }
    // Each batch stayed contiguous: appends did not interleave.
    for b in 0..60u64 {
        let first = String::from_utf8(log.entry(b * 20).unwrap()).unwrap();
        let prefix = first.rsplit_once(' ').unwrap().0.to_string();
        for i in 0..20 {
            let e = String::from_utf8(log.entry(b * 20 + i).unwrap()).unwrap();
            assert_eq!(e, format!("{prefix} i{i}"));
        }
    }
}

#[test]
fn monitor_reports_a_forked_log_as_a_split_view() {
    let tmp = tempfile::tempdir().unwrap();
    let main = tmp.path().join("main");
    let s = signer();
    let log = Log::create(&main, &s).unwrap();
    log.append(&s, entries(0..10)).unwrap();
    let old = log.checkpoint().unwrap().to_bytes();
    // A fork: a copy of the log at size 10 that gets a targeted entry.
    let forked = tmp.path().join("forked");
    copy_dir(&main, &forked);
    let fork = Log::open(&forked).unwrap();
    fork.append(&s, [b"targeted 1.1.0".to_vec()]).unwrap();
    log.append(&s, entries(10..20)).unwrap();
    let places = tmp.path().join("customer");
    std::fs::create_dir(&places).unwrap();
    std::fs::write(places.join("old.checkpoint"), &old).unwrap();
    std::fs::write(
        places.join("customer-b.tlog-proof"),
        fork.prove(10).unwrap().to_bytes(),
    )
    .unwrap();
    std::fs::write(places.join("garbage.note"), b"not a note").unwrap();

    let vkey = log.verifier_key().clone();
    // Without the fork: consistent.
    let r = monitor::monitor(&[main.clone(), places.join("old.checkpoint")], &vkey).unwrap();
    assert!(r.split_views.is_empty());
    assert_eq!(r.observations.len(), 2);
    assert_eq!(r.proof_sources, vec![main.clone()]);
    // With the customer's proof (size 11, forked root): split view.
    let r = monitor::monitor(&[main.clone(), places.clone()], &vkey).unwrap();
    assert_eq!(r.split_views.len(), 1, "{r:#?}");
    let sv = &r.split_views[0];
    assert_eq!(sv.first.size, 11);
    assert_eq!(sv.second.size, 20);
    assert!(sv.first.note.contains(ORIGIN) && sv.second.note.contains(ORIGIN));
    assert_eq!(r.rejected.len(), 1);
    // Same size, different roots, no tiles at all: still a split view.
    let a = tmp.path().join("a.note");
    let b = tmp.path().join("b.note");
    std::fs::write(&a, fork.checkpoint().unwrap().to_bytes()).unwrap();
    let other = Checkpoint {
        origin: ORIGIN.into(),
        size: 11,
        root: reference(11).root(),
        extensions: vec![],
    };
    std::fs::write(&b, s.sign_note(&other.to_text()).unwrap().to_bytes()).unwrap();
    let r = monitor::monitor(&[a, b], &vkey).unwrap();
    assert_eq!(r.split_views.len(), 1);
    // Checkpoints signed by another key are rejected, not evidence.
    let r = monitor::monitor(&[main], signer().verifier_key()).unwrap();
    assert!(r.observations.is_empty() && r.split_views.is_empty());
}

/// Proofs from a 10,007-entry log, written as transparency-dev probes and
/// checked by `$GLASSBOX_CORPORA/tlog/rfc9162_check.py`; tampered copies
/// (wantErr) check that the checker is really looking.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn python_rfc9162_checker_accepts_our_proofs_from_a_10007_entry_log() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    let script = corpus("tlog/rfc9162_check.py");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let s = signer();
    let log = Log::create(&dir, &s).unwrap();
    let mut sizes = Vec::new();
    let mut next = 0;
    for batch in [1u64, 99, 156, 3840, 5904, 7] {
        log.append(&s, entries(next..next + batch)).unwrap();
        next += batch;
        sizes.push(next);
    }
    assert_eq!(next, 10_007);
    let probes = tmp.path().join("probes");
    std::fs::create_dir_all(probes.join("inclusion")).unwrap();
    std::fs::create_dir_all(probes.join("consistency")).unwrap();
    let b = |h: &[u8; 32]| B64.encode(h);
    let root = log.checkpoint().unwrap().checkpoint.root;
    // Each probe is one JSON file the checker reads; `n` counts them.
    let mut n = 0;
    let mut probe = |name: String, j: serde_json::Value| {
        std::fs::write(probes.join(name), j.to_string()).unwrap();
        n += 1;
    };
    let mut idxs: Vec<u64> = (0..next).step_by(97).collect();
    idxs.extend([255, 256, 4095, 4096, 10_006]);
    for idx in idxs {
        let p = log.prove(idx).unwrap();
        for (tamper, name) in [(false, "ok"), (true, "bad")] {
            let mut proof: Vec<String> = p.hashes.iter().map(b).collect();
            if tamper {
                proof[0] = b(&[7u8; 32]);
            }
            probe(
                format!("inclusion/{idx}-{name}.json"),
                serde_json::json!({
                    "leafIdx": idx, "treeSize": next, "root": b(&root),
                    "leafHash": b(&leaf_hash(&entry(idx))), "proof": proof,
                    "desc": format!("glassbox {name} {idx}"), "wantErr": tamper,
                }),
            );
        }
    }
    for &m in &sizes {
        for &k in sizes.iter().filter(|&&k| k > m) {
            let p = log.consistency_proof(m, k).unwrap();
            let (r1, r2) = (log.root_at(m).unwrap(), log.root_at(k).unwrap());
            for (tamper, name) in [(false, "ok"), (true, "bad")] {
                let mut proof: Vec<String> = p.iter().map(b).collect();
                if tamper {
                    let last = proof.len() - 1;
                    proof[last] = b(&[9u8; 32]);
                }
                probe(
                    format!("consistency/{m}-{k}-{name}.json"),
                    serde_json::json!({
                        "size1": m, "size2": k, "root1": b(&r1), "root2": b(&r2), "proof": proof,
                        "desc": format!("glassbox {name} {m}->{k}"), "wantErr": tamper,
                    }),
                );
            }
        }
    }
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&probes)
        .output()
        .expect("python3 runs (.ci/run installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "checker failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{n} passed, 0 failed")),
        "{stdout}"
    );
}

#[test]
fn append_files_logs_leaf_records() {
    use glassbox_core::tlog::leaf::LeafRecord;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("app-1.0.0.tar.gz");
    std::fs::write(&f, b"release bytes").unwrap();
    let s = signer();
    let log = Log::create(&tmp.path().join("log"), &s).unwrap();
    let a = log.append_files(&s, &[f.as_path(), f.as_path()]).unwrap();
    assert_eq!(a.checkpoint.checkpoint.size, 2);
    let p = log.prove(1).unwrap();
    let rec = LeafRecord::parse(p.extra.as_deref().unwrap()).unwrap();
    assert_eq!(rec, LeafRecord::of_file(&f).unwrap());
    assert_eq!(rec.name, "app-1.0.0.tar.gz");
    assert_eq!(rec.size, 13);
    p.verify(&rec.to_bytes(), log.verifier_key(), &[], 0)
        .unwrap();
    assert!(
        log.append_files(&s, &[tmp.path().join("missing").as_path()])
            .is_err()
    );
}

fn files_under(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, base, out);
        } else {
            out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        }
    }
}

/// The example of c2sp.org/tlog-tiles "Partial Tiles": a tree of size
/// 70,000 is 273 full level-0 tiles, a level-0 partial of width 112, one
/// full level-1 tile, a level-1 partial of width 17 and a level-2 partial
/// of width 1 (and the entry bundles mirror level 0).
#[test]
fn tree_of_70000_has_the_tiles_of_the_tlog_tiles_example() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let s = signer();
    let log = Log::create(&dir, &s).unwrap();
    log.append(&s, entries(0..70_000)).unwrap();
    let mut files = Vec::new();
    files_under(&dir.join("tile"), &dir, &mut files);
    files.sort();
    let count = |prefix: &str| files.iter().filter(|f| f.starts_with(prefix)).count();
    assert_eq!(count("tile/0/"), 274);
    assert!(files.contains(&"tile/0/272".to_string()));
    assert!(files.contains(&"tile/0/273.p/112".to_string()));
    assert_eq!(count("tile/entries/"), 274);
    assert!(files.contains(&"tile/entries/273.p/112".to_string()));
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with("tile/1/") || f.starts_with("tile/2/"))
            .collect::<Vec<_>>(),
        ["tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]
    );
    for f in files.iter().filter(|f| !f.starts_with("tile/entries/")) {
        let len = std::fs::metadata(dir.join(f)).unwrap().len();
        let width = f
            .rsplit_once(".p/")
            .map_or(256, |(_, w)| w.parse::<u64>().unwrap());
        assert_eq!(len, width * 32, "{f}");
    }
    assert_eq!(
        log.check().unwrap().checkpoint.root,
        reference(70_000).root()
    );
}

//! The tlog algorithms against the external vectors in
//! `$GLASSBOX_CORPORA/tlog`: all 196 transparency-dev/merkle inclusion and
//! consistency probes and every C2SP vector (signed-note example,
//! checkpoints, cosignatures, proofs, tlog-proof, negative notes).

mod common;
use common::{corpus, files_with_extension};

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use glassbox_core::tlog::checkpoint;
use glassbox_core::tlog::cosignature;
use glassbox_core::tlog::key::LogSigner;
use glassbox_core::tlog::merkle::{self, CompactRange, Hash, MemoryTree};
use glassbox_core::tlog::note::{KeyType, Note, VerifierKey};
use glassbox_core::tlog::proof::TlogProof;
use glassbox_core::tlog::{Error, merkle::leaf_hash};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    v.as_str()
        .map(|s| B64.decode(s).unwrap())
        .unwrap_or_default()
}

/// A 32-byte hash, or None for a wrong length (which must be rejected).
fn hash(v: &Value) -> Option<Hash> {
    b64(v).try_into().ok()
}

fn proof(v: &Value) -> Option<Vec<Hash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => a.iter().map(hash).collect(),
        _ => panic!("proof is not an array"),
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn transparency_dev_merkle_all_196_probes() {
    let dir = corpus("tlog");
    let base = dir.join("transparency-dev-merkle/testdata");
    let files = files_with_extension(&base, "json");
    assert_eq!(files.len(), 196, "expected the 196 probes");
    let (mut inclusion, mut consistency) = (0, 0);
    let mut wrong = Vec::new();
    for f in &files {
        let p = json(f);
        let want_err = p["wantErr"].as_bool().unwrap();
        let raw_proof: Vec<Vec<u8>> = match &p["proof"] {
            Value::Array(a) => a.iter().map(b64).collect(),
            _ => Vec::new(),
        };
        let ok = if f.components().any(|c| c.as_os_str() == "inclusion") {
            inclusion += 1;
            merkle::verify_inclusion_bytes(
                p["leafIdx"].as_u64().unwrap(),
                p["treeSize"].as_u64().unwrap(),
                &b64(&p["leafHash"]),
                &raw_proof,
                &b64(&p["root"]),
            )
            .is_ok()
        } else {
            consistency += 1;
            merkle::verify_consistency_bytes(
                p["size1"].as_u64().unwrap(),
                p["size2"].as_u64().unwrap(),
                &raw_proof,
                &b64(&p["root1"]),
                &b64(&p["root2"]),
            )
            .is_ok()
        };
        if ok == want_err {
            wrong.push(format!("{} ({})", f.display(), p["desc"]));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts: {wrong:#?}");
    assert!(inclusion > 0 && consistency > 0);
    assert_eq!(inclusion + consistency, 196);
}

/// The RFC 6962 test leaves (transparency-dev/merkle `testonly`), pushed
/// into a tree; `each` sees the tree and a compact range after each push.
fn rfc6962_tree(mut each: impl FnMut(&MemoryTree, &CompactRange)) -> MemoryTree {
    let leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    let mut t = MemoryTree::new();
    let mut c = CompactRange::new();
    for l in leaves {
        t.push(leaf_hash(&hex::decode(l).unwrap()));
        c.push(leaf_hash(&hex::decode(l).unwrap()));
        each(&t, &c);
    }
    t
}

/// Known answers of the RFC 6962 test leaves (transparency-dev/merkle
/// `testonly`): empty root, empty leaf, the root at 8 and at 3, and the
/// compact range agreeing with the whole tree at every size.
#[test]
fn rfc6962_test_leaves_known_answers() {
    assert_eq!(
        hex::encode(merkle::empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex::encode(leaf_hash(b"")),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
    let t = rfc6962_tree(|t, c| assert_eq!(t.root(), c.root()));
    assert_eq!(
        hex::encode(t.root()),
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
    assert_eq!(
        hex::encode(merkle::root_at(&t, 3).unwrap()),
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
    );
}

/// The happy-path probes were made from the RFC 6962 test leaves; our
/// proof *creation* must give the same proofs.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn transparency_dev_happy_paths_are_what_we_create() {
    let dir = corpus("tlog");
    let t = rfc6962_tree(|_, _| {});
    let mut checked = 0;
    let files = files_with_extension(&dir.join("transparency-dev-merkle/testdata"), "json");
    for f in files.iter().filter(|f| f.ends_with("happy-path.json")) {
        let p = json(f);
        if let Some(idx) = p["leafIdx"].as_u64() {
            let size = p["treeSize"].as_u64().unwrap();
            if size > 8 || hash(&p["leafHash"]) != Some(t.node(0, idx)) {
                continue;
            }
            assert_eq!(
                merkle::inclusion_proof(&t, idx, size).unwrap(),
                proof(&p["proof"]).unwrap()
            );
            assert_eq!(Some(merkle::root_at(&t, size).unwrap()), hash(&p["root"]));
        } else {
            let (m, n) = (p["size1"].as_u64().unwrap(), p["size2"].as_u64().unwrap());
            if n > 8 || Some(merkle::root_at(&t, n).unwrap()) != hash(&p["root2"]) {
                continue;
            }
            assert_eq!(
                merkle::consistency_proof(&t, m, n).unwrap(),
                proof(&p["proof"]).unwrap()
            );
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} happy paths compared");
}

trait Node {
    fn node(&self, level: u32, index: u64) -> Hash;
}
impl Node for MemoryTree {
    fn node(&self, level: u32, index: u64) -> Hash {
        merkle::NodeSource::node(self, level, index).unwrap()
    }
}

struct Keys {
    log: VerifierKey,
    witnesses: Vec<VerifierKey>,
}

fn keys(dir: &Path) -> Keys {
    let k = json(&dir.join("c2sp/keys.json"));
    Keys {
        log: k["log"]["vkey"].as_str().unwrap().parse().unwrap(),
        witnesses: k["witnesses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["vkey"].as_str().unwrap().parse().unwrap())
            .collect(),
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn c2sp_spec_example_note_verifies() {
    let dir = corpus("tlog");
    let vkey: VerifierKey = std::fs::read_to_string(dir.join("c2sp/spec-example.vkey"))
        .unwrap()
        .trim_end()
        .parse()
        .unwrap();
    assert_eq!(hex::encode(vkey.id), "530d903a");
    let bytes = std::fs::read(dir.join("c2sp/spec-example.note")).unwrap();
    let note = Note::parse(&bytes).unwrap();
    assert_eq!(note.to_bytes(), bytes, "re-encoding is byte-exact");
    let v = note.verify(std::slice::from_ref(&vkey)).unwrap();
    assert_eq!(v[0].name, "example.com/foo");
    let mut tampered = bytes.clone();
    tampered[0] ^= 0x20;
    assert!(matches!(
        Note::parse(&tampered).unwrap().verify(&[vkey]),
        Err(Error::BadSignature { .. })
    ));
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn c2sp_keys_have_the_documented_ids() {
    let dir = corpus("tlog");
    let k = json(&dir.join("c2sp/keys.json"));
    let ks = keys(&dir);
    assert_eq!(
        hex::encode(ks.log.id),
        k["log"]["key_id_hex"].as_str().unwrap()
    );
    assert_eq!(
        hex::encode(ks.log.public),
        k["log"]["ed25519_pub_hex"].as_str().unwrap()
    );
    assert_eq!(ks.log.kind, KeyType::Ed25519);
    for (w, j) in ks.witnesses.iter().zip(k["witnesses"].as_array().unwrap()) {
        assert_eq!(w.kind, KeyType::CosignatureV1);
        assert_eq!(w.to_string(), j["vkey"].as_str().unwrap());
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn c2sp_log_entries_roots_and_proofs() {
    let dir = corpus("tlog");
    let le = json(&dir.join("c2sp/log-entries.json"));
    let mut t = MemoryTree::new();
    for (e, h) in le["entries_utf8"]
        .as_array()
        .unwrap()
        .iter()
        .zip(le["leaf_hashes_hex"].as_array().unwrap())
    {
        let lh = leaf_hash(e.as_str().unwrap().as_bytes());
        assert_eq!(hex::encode(lh), h.as_str().unwrap());
        t.push(lh);
    }
    for (size, root) in le["roots_hex_by_size"].as_object().unwrap() {
        let size: u64 = size.parse().unwrap();
        assert_eq!(
            hex::encode(merkle::root_at(&t, size).unwrap()),
            root.as_str().unwrap()
        );
    }
    let p = json(&dir.join("c2sp/proofs.json"));
    let inc = &p["inclusion"];
    let (idx, size) = (
        inc["leafIdx"].as_u64().unwrap(),
        inc["treeSize"].as_u64().unwrap(),
    );
    let inc_proof = proof(&inc["proof"]).unwrap();
    assert_eq!(merkle::inclusion_proof(&t, idx, size).unwrap(), inc_proof);
    merkle::verify_inclusion(
        idx,
        size,
        &hash(&inc["leafHash"]).unwrap(),
        &inc_proof,
        &hash(&inc["root"]).unwrap(),
    )
    .unwrap();
    let con = &p["consistency"];
    let (m, n) = (
        con["size1"].as_u64().unwrap(),
        con["size2"].as_u64().unwrap(),
    );
    let con_proof = proof(&con["proof"]).unwrap();
    assert_eq!(merkle::consistency_proof(&t, m, n).unwrap(), con_proof);
    let (r1, r2) = (hash(&con["root1"]).unwrap(), hash(&con["root2"]).unwrap());
    merkle::verify_consistency(m, n, &con_proof, &r1, &r2).unwrap();
    assert!(merkle::verify_consistency(m, n, &con_proof, &r2, &r1).is_err());
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn c2sp_checkpoints_verify_with_log_and_both_witnesses() {
    let dir = corpus("tlog");
    let ks = keys(&dir);
    let ts = json(&dir.join("c2sp/keys.json"))["cosignature_timestamp"]
        .as_u64()
        .unwrap();
    let le = json(&dir.join("c2sp/log-entries.json"));
    for size in [7u64, 13] {
        let bytes = std::fs::read(dir.join(format!("c2sp/checkpoint-{size}.note"))).unwrap();
        let cp = checkpoint::open(&bytes, &ks.log, &ks.witnesses, 2).unwrap();
        assert_eq!(cp.checkpoint.origin, "audit.example/log");
        assert_eq!(cp.checkpoint.size, size);
        assert_eq!(
            hex::encode(cp.checkpoint.root),
            le["roots_hex_by_size"][size.to_string()].as_str().unwrap()
        );
        assert_eq!(cp.cosignatures().count(), 2);
        assert!(cp.cosignatures().all(|c| c.timestamp == Some(ts)));
        assert_eq!(cp.to_bytes(), bytes);
        // Without the witness keys the cosignatures are unknown and ignored.
        checkpoint::open(&bytes, &ks.log, &[], 0).unwrap();
        assert!(matches!(
            checkpoint::open(&bytes, &ks.log, &[], 1),
            Err(Error::QuorumNotMet { got: 0, want: 1 })
        ));
    }
}

/// The generator derives its keys as SHA-256("<seed>/<name>"); Ed25519 is
/// deterministic, so our signer and cosigner must reproduce the vectors'
/// signature lines byte for byte.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn c2sp_signing_and_cosigning_reproduce_the_vectors() {
    let dir = corpus("tlog");
    let seed = |n: &str| -> [u8; 32] {
        Sha256::digest(format!("kaspersky-audit-tlog-sample-v1/{n}").as_bytes()).into()
    };
    let ks = keys(&dir);
    let ts = json(&dir.join("c2sp/keys.json"))["cosignature_timestamp"]
        .as_u64()
        .unwrap();
    let log = LogSigner::from_seed("audit.example/log", KeyType::Ed25519, &seed("log")).unwrap();
    assert_eq!(log.verifier_key(), &ks.log);
    let w1 = LogSigner::from_seed(
        "witness.example/w1",
        KeyType::CosignatureV1,
        &seed("witness-1"),
    )
    .unwrap();
    let w2 = LogSigner::from_seed(
        "witness.example/w2",
        KeyType::CosignatureV1,
        &seed("witness-2"),
    )
    .unwrap();
    assert_eq!(w1.verifier_key(), &ks.witnesses[0]);
    for size in [7u64, 13] {
        let bytes = std::fs::read(dir.join(format!("c2sp/checkpoint-{size}.note"))).unwrap();
        let text = Note::parse(&bytes).unwrap().text;
        let mut note = log.sign_note(&text).unwrap();
        cosignature::cosign(&mut note, &w1, ts).unwrap();
        cosignature::cosign(&mut note, &w2, ts).unwrap();
        assert_eq!(note.to_bytes(), bytes);
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn c2sp_tlog_proof_for_entry_6() {
    let dir = corpus("tlog");
    let ks = keys(&dir);
    let bytes = std::fs::read(dir.join("c2sp/entry-6.tlog-proof")).unwrap();
    let p = TlogProof::parse(&bytes).unwrap();
    assert_eq!(p.to_bytes(), bytes, "re-encoding is byte-exact");
    assert_eq!(p.index, 6);
    let entry = p.extra.clone().unwrap();
    assert!(entry.starts_with(b"audit-report 006 "));
    let cp = p.verify(&entry, &ks.log, &ks.witnesses, 2).unwrap();
    assert_eq!(cp.checkpoint.size, 13);
    assert!(matches!(
        p.verify(b"audit-report 007", &ks.log, &ks.witnesses, 2),
        Err(Error::InclusionFailed(_))
    ));
    let mut other = p.clone();
    other.index = 5;
    assert!(other.verify(&entry, &ks.log, &ks.witnesses, 2).is_err());
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn c2sp_negative_notes_rejected_for_the_expected_reason() {
    let dir = corpus("tlog");
    let ks = keys(&dir);
    let expected = json(&dir.join("c2sp/negative/EXPECTED.json"));
    let mut n = 0;
    for (name, want) in expected.as_object().unwrap() {
        if name.starts_with('_') {
            continue;
        }
        n += 1;
        let want = want.as_str().unwrap();
        assert!(want.starts_with("rejected: "), "{name}: {want}");
        let bytes = std::fs::read(dir.join(format!("c2sp/negative/{name}.note"))).unwrap();
        let got = checkpoint::open(&bytes, &ks.log, &ks.witnesses, 1)
            .expect_err(&format!("{name} must be rejected"));
        let ok = match &got {
            Error::BadSignature { name: key } => {
                want == format!("rejected: bad signature from known key {key}")
            }
            Error::NoKnownSignature => want == "rejected: no signature from a known key",
            Error::NotSignedByLog { .. } => {
                want == "rejected: checkpoint not signed by the log key for this origin"
            }
            Error::MalformedNote(_) => want.starts_with("rejected: malformed note"),
            _ => false,
        };
        assert!(ok, "{name}: expected {want:?}, got {got}");
    }
    assert_eq!(n, 6);
}

/// Untrusted input: every single-byte change and every truncation of the
/// vectors' cosigned checkpoint and tlog-proof is rejected, without a panic.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn every_mutation_of_a_checkpoint_or_proof_is_rejected() {
    let dir = corpus("tlog");
    let ks = keys(&dir);
    let note = std::fs::read(dir.join("c2sp/checkpoint-13.note")).unwrap();
    let proof = std::fs::read(dir.join("c2sp/entry-6.tlog-proof")).unwrap();
    let check_note = |b: &[u8]| checkpoint::open(b, &ks.log, &ks.witnesses, 2).is_ok();
    let check_proof = |b: &[u8]| {
        TlogProof::parse(b).is_ok_and(|p| {
            let entry = p.extra.clone().unwrap_or_default();
            p.verify(&entry, &ks.log, &ks.witnesses, 2).is_ok()
        })
    };
    assert!(check_note(&note) && check_proof(&proof));
    for (bytes, check) in [
        (&note, &check_note as &dyn Fn(&[u8]) -> bool),
        (&proof, &check_proof),
    ] {
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut m = bytes.clone();
                m[i] ^= flip;
                assert!(!check(&m), "accepted with byte {i} ^ {flip:#x}");
            }
            // Dropping the final newline breaks the note; any other cut
            // loses a signature line the policy needs.
            assert!(!check(&bytes[..i]), "accepted when cut at {i}");
        }
    }
}

//! The tlog-witness handler (c2sp.org/tlog-witness "add-checkpoint") fed
//! the C2SP vectors in `$GLASSBOX_CORPORA/tlog/c2sp`: with the vectors'
//! witness key and timestamp it must answer with exactly the vectors'
//! cosignature lines, and refuse what the spec says to refuse with the
//! spec's status codes, its state surviving a restart.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use glassbox_core::tlog::checkpoint::{self, Checkpoint};
use glassbox_core::tlog::key::LogSigner;
use glassbox_core::tlog::merkle::{self, Hash, MemoryTree, leaf_hash};
use glassbox_core::tlog::note::{KeyType, Note, VerifierKey};
use glassbox_core::tlog::witness::{self, AddCheckpoint, Reply, SIZE_CONTENT_TYPE, Witness};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn corpus() -> PathBuf {
    let base = std::env::var_os("GLASSBOX_CORPORA").expect(
        "GLASSBOX_CORPORA unset: this test needs the corpora (see README, Tests and corpora)",
    );
    let dir = Path::new(&base).join("tlog/c2sp");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The vectors' generator derives each key as SHA-256("<seed>/<name>").
fn seed(n: &str) -> [u8; 32] {
    Sha256::digest(format!("kaspersky-audit-tlog-sample-v1/{n}").as_bytes()).into()
}

struct Vectors {
    dir: PathBuf,
    log_vkey: VerifierKey,
    w1_vkey: VerifierKey,
    ts: u64,
}

impl Vectors {
    fn load() -> Self {
        let dir = corpus();
        let k = json(&dir.join("keys.json"));
        Self {
            log_vkey: k["log"]["vkey"].as_str().unwrap().parse().unwrap(),
            w1_vkey: k["witnesses"][0]["vkey"].as_str().unwrap().parse().unwrap(),
            ts: k["cosignature_timestamp"].as_u64().unwrap(),
            dir,
        }
    }
    fn note(&self, size: u64) -> Vec<u8> {
        std::fs::read(self.dir.join(format!("checkpoint-{size}.note"))).unwrap()
    }
    fn w1(&self) -> LogSigner {
        LogSigner::from_seed(
            "witness.example/w1",
            KeyType::CosignatureV1,
            &seed("witness-1"),
        )
        .unwrap()
    }
    fn log_signer(&self) -> LogSigner {
        LogSigner::from_seed("audit.example/log", KeyType::Ed25519, &seed("log")).unwrap()
    }
    fn witness(&self, state: &Path) -> Witness {
        Witness::open(state, self.w1(), vec![self.log_vkey.clone()]).unwrap()
    }
    /// The vectors' consistency proof from 7 to 13.
    fn proof_7_13(&self) -> Vec<Hash> {
        json(&self.dir.join("proofs.json"))["consistency"]["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
            .collect()
    }
    /// The vector's signature line by `name`.
    fn line(&self, size: u64, name: &str) -> String {
        Note::parse(&self.note(size))
            .unwrap()
            .signatures
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .line()
    }
}

fn body(old: u64, proof: &[Hash], note: &[u8]) -> Vec<u8> {
    AddCheckpoint {
        old_size: old,
        proof: proof.to_vec(),
        checkpoint: note.to_vec(),
    }
    .to_bytes()
}

/// Our witness, given the vectors' key and timestamp, answers with the
/// vectors' own cosignature lines byte for byte; and the same verifier
/// (`checkpoint::open` with the witness key) accepts the vectors' notes and
/// the log-signed checkpoint carrying our line.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn cosignatures_match_the_c2sp_vectors() {
    let v = Vectors::load();
    let state = tempfile::tempdir().unwrap();
    let w = v.witness(state.path());
    assert_eq!(w.verifier_key(), &v.w1_vkey);

    // First contact: old size 0, no proof. The vector note carries w1 and w2
    // cosignatures already; to the witness they are unknown keys, ignored.
    let r = w.handle("POST", "/add-checkpoint", &body(0, &[], &v.note(7)), v.ts);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let line = String::from_utf8(r.body).unwrap();
    assert_eq!(line, v.line(7, "witness.example/w1"));

    let r = w.handle(
        "POST",
        "/add-checkpoint",
        &body(7, &v.proof_7_13(), &v.note(13)),
        v.ts,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let line13 = String::from_utf8(r.body).unwrap();
    assert_eq!(line13, v.line(13, "witness.example/w1"));

    // One verifier for both: the vectors' notes, and the log's signature
    // plus our line.
    let witnesses = [v.w1_vkey.clone()];
    for size in [7, 13] {
        checkpoint::open(&v.note(size), &v.log_vkey, &witnesses, 1).unwrap();
    }
    let mut ours = Note::parse(&v.note(13)).unwrap();
    ours.signatures.retain(|s| s.name == "audit.example/log");
    let mut bytes = ours.to_bytes();
    bytes.extend_from_slice(line13.as_bytes());
    let cp = checkpoint::open(&bytes, &v.log_vkey, &witnesses, 1).unwrap();
    assert_eq!(cp.cosignatures().next().unwrap().timestamp, Some(v.ts));
    // Without our line the quorum of one is not met: the line is what counts.
    assert!(checkpoint::open(&ours.to_bytes(), &v.log_vkey, &witnesses, 1).is_err());

    // The client reads the 200 body the same way.
    let note = Note::parse(&v.note(13)).unwrap();
    match witness::read_reply(&note, &witnesses, 200, None, line13.as_bytes()) {
        Reply::Cosigned(sigs) => assert_eq!(sigs[0].line(), line13),
        other => panic!("{other:?}"),
    }
    // ... and refuses a line that does not verify (other timestamp).
    let mut sig = Note::parse(&v.note(13)).unwrap().signatures[1].clone();
    assert_eq!(sig.name, "witness.example/w1");
    sig.body[7] ^= 1; // the timestamp's last byte
    let tampered = sig.line();
    assert!(matches!(
        witness::read_reply(&note, &witnesses, 200, None, tampered.as_bytes()),
        Reply::Refused { .. }
    ));
}

/// Each refusal of tlog-witness "add-checkpoint" with its status code, and
/// the stored state unchanged by every refusal.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn refusals_have_the_spec_status_codes() {
    let v = Vectors::load();
    let state = tempfile::tempdir().unwrap();
    let w = v.witness(state.path());
    let post = |b: &[u8]| w.handle("POST", "/add-checkpoint", b, v.ts);
    assert_eq!(post(&body(0, &[], &v.note(7))).status, 200);

    // 409 with the witness's size when the old size is not its latest.
    for stale in [0, 3] {
        let r = post(&body(stale, &[], &v.note(13)));
        assert_eq!(r.status, 409);
        assert_eq!(r.content_type, SIZE_CONTENT_TYPE);
        assert_eq!(r.body, b"7\n");
        assert_eq!(
            witness::read_reply(
                &Note::parse(&v.note(13)).unwrap(),
                &[],
                r.status,
                Some(r.content_type),
                &r.body
            ),
            Reply::Conflict(7)
        );
    }
    // 400: old size larger than the checkpoint's.
    assert_eq!(post(&body(13, &[], &v.note(7))).status, 400);
    // 400: not a request body at all.
    assert_eq!(post(b"hello").status, 400);
    assert_eq!(post(&body(7, &[], b"not a note\n")).status, 400);
    // 404: an origin this witness has no key for.
    let other = LogSigner::from_seed("other.example/log", KeyType::Ed25519, &[9; 32]).unwrap();
    let other_note = other
        .sign_note("other.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
        .unwrap();
    assert_eq!(post(&body(0, &[], &other_note.to_bytes())).status, 404);
    // 403: the log's origin, signed by another key of the same name.
    let imposter = LogSigner::from_seed("audit.example/log", KeyType::Ed25519, &[9; 32]).unwrap();
    let text = Note::parse(&v.note(13)).unwrap().text;
    let forged = imposter.sign_note(&text).unwrap().to_bytes();
    assert_eq!(post(&body(7, &v.proof_7_13(), &forged)).status, 403);
    // 403: the log's own signature over a tampered text.
    let tampered = String::from_utf8(v.note(13))
        .unwrap()
        .replace("\n13\n", "\n14\n");
    assert_eq!(
        post(&body(7, &v.proof_7_13(), tampered.as_bytes())).status,
        403
    );
    // 422: a proof that does not verify (one hash flipped).
    let mut bad = v.proof_7_13();
    bad[0][0] ^= 1;
    assert_eq!(post(&body(7, &bad, &v.note(13))).status, 422);
    // 422: a proof where none is allowed (equal sizes).
    assert_eq!(post(&body(7, &bad[..1], &v.note(7))).status, 422);
    // 404 / 405 for other paths and methods.
    assert_eq!(w.handle("GET", "/add-checkpoint", b"", v.ts).status, 405);
    assert_eq!(w.handle("POST", "/checkpoint", b"", v.ts).status, 404);

    // None of this moved the state: 7 is still the latest, so 7 -> 13 works.
    let r = post(&body(7, &v.proof_7_13(), &v.note(13)));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// A split view: the log signs a second tree that does not extend the one
/// the witness cosigned. Same size, other root: 409; larger, but not an
/// extension: 422. The witness's state still holds the honest checkpoint.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn a_fork_is_refused() {
    let v = Vectors::load();
    let state = tempfile::tempdir().unwrap();
    let w = v.witness(state.path());
    let post = |b: &[u8]| w.handle("POST", "/add-checkpoint", b, v.ts);
    assert_eq!(post(&body(0, &[], &v.note(7))).status, 200);

    // The fork: the first 6 entries, then different ones.
    let entries = json(&v.dir.join("log-entries.json"));
    let mut fork = MemoryTree::new();
    for (i, e) in entries["entries_utf8"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let e = e.as_str().unwrap();
        fork.push(leaf_hash(if i < 6 { e.as_bytes() } else { b"tampered" }));
    }
    let log = v.log_signer();
    let sign = |size: u64| {
        let cp = Checkpoint {
            origin: "audit.example/log".into(),
            size,
            root: fork.root_at_size(size),
            extensions: vec![],
        };
        log.sign_note(&cp.to_text()).unwrap().to_bytes()
    };
    let r = post(&body(7, &[], &sign(7)));
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("split view"));
    // The fork's own proof from 7 to 13 links the fork's roots, not ours.
    let proof = merkle::consistency_proof(&fork, 7, 13).unwrap();
    let r = post(&body(7, &proof, &sign(13)));
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("not consistent"));

    // Both refused checkpoints are kept as evidence, signed by the log.
    let evidence: Vec<_> = std::fs::read_dir(state.path().join("evidence"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(evidence.len(), 2);
    for e in &evidence {
        let cp = checkpoint::open(e, &v.log_vkey, &[], 0).unwrap();
        assert_eq!(cp.checkpoint.root, fork.root_at_size(cp.checkpoint.size));
    }

    let stored = w.stored("audit.example/log").unwrap().unwrap();
    assert_eq!(
        Checkpoint::parse(&stored.text).unwrap(),
        Checkpoint::parse(&Note::parse(&v.note(7)).unwrap().text).unwrap()
    );
}

/// The state is on disk before the answer: a new witness process on the
/// same directory knows the size; a second process cannot share it; a
/// damaged state file stops the witness instead of restarting at 0.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn state_survives_a_restart_and_is_never_reset() {
    let v = Vectors::load();
    let state = tempfile::tempdir().unwrap();
    {
        let w = v.witness(state.path());
        let r = w.handle("POST", "/add-checkpoint", &body(0, &[], &v.note(7)), v.ts);
        assert_eq!(r.status, 200);
        let second = Witness::open(state.path(), v.w1(), vec![v.log_vkey.clone()]);
        assert!(second.is_err(), "two witnesses on one state directory");
    }
    let w = v.witness(state.path());
    let r = w.handle("POST", "/add-checkpoint", &body(0, &[], &v.note(13)), v.ts);
    assert_eq!((r.status, r.body.as_slice()), (409, &b"7\n"[..]));
    drop(w);
    // The state belongs to the witness key it was made with.
    let other = LogSigner::from_seed("witness.example/w1", KeyType::CosignatureV1, &[7; 32]);
    let e = Witness::open(state.path(), other.unwrap(), vec![v.log_vkey.clone()]).unwrap_err();
    assert!(e.to_string().contains("belongs to witness key"), "{e}");

    // Damage the state file: the witness answers 500 and cosigns nothing.
    let file = witness::state_file(state.path(), "audit.example/log");
    let mut bytes = std::fs::read(&file).unwrap();
    let i = bytes.iter().position(|&b| b == b'7').unwrap();
    bytes[i] = b'8';
    std::fs::write(&file, &bytes).unwrap();
    let w = v.witness(state.path());
    for old in [0, 7, 8] {
        let r = w.handle(
            "POST",
            "/add-checkpoint",
            &body(old, &[], &v.note(13)),
            v.ts,
        );
        assert_eq!(r.status, 500, "{}", String::from_utf8_lossy(&r.body));
    }
}

/// Concurrent requests from one old size: exactly one is cosigned, the
/// others see the new size (the rollback race of tlog-witness).
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn concurrent_requests_are_serialised() {
    let v = Vectors::load();
    let state = tempfile::tempdir().unwrap();
    let w = v.witness(state.path());
    assert_eq!(
        w.handle("POST", "/add-checkpoint", &body(0, &[], &v.note(7)), v.ts)
            .status,
        200
    );
    let entries = json(&v.dir.join("log-entries.json"));
    let mut tree = MemoryTree::new();
    for e in entries["entries_utf8"].as_array().unwrap() {
        tree.push(leaf_hash(e.as_str().unwrap().as_bytes()));
    }
    let log = v.log_signer();
    let requests: Vec<Vec<u8>> = (8..=13)
        .map(|size| {
            let cp = Checkpoint {
                origin: "audit.example/log".into(),
                size,
                root: tree.root_at_size(size),
                extensions: vec![],
            };
            let note = log.sign_note(&cp.to_text()).unwrap().to_bytes();
            body(
                7,
                &merkle::consistency_proof(&tree, 7, size).unwrap(),
                &note,
            )
        })
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .iter()
            .map(|b| s.spawn(|| w.handle("POST", "/add-checkpoint", b, v.ts).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        5,
        "{statuses:?}"
    );
}

trait RootAt {
    fn root_at_size(&self, size: u64) -> Hash;
}
impl RootAt for MemoryTree {
    fn root_at_size(&self, size: u64) -> Hash {
        merkle::root_at(self, size).unwrap()
    }
}

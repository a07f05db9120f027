//! Workflow behaviour the generated corpus does not cover, on small
//! repositories signed here with Ed25519 keys: delegation search order
//! (terminating, cycles, hash prefixes), fast-forward recovery (§5.3.11),
//! plain (non-consistent) names, root-rotation limits, snapshot entries
//! dropped across audits, one key under two keyids.

use std::path::Path;

use glassbox_core::tuf::canonical_json::to_canonical;
use glassbox_core::tuf::{self, DirSource, Options, TargetSelection, TufError};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

struct Key {
    pair: Ed25519KeyPair,
    json: Value,
    id: String,
}

fn key(seed: u8) -> Key {
    let pair = Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap();
    let json = json!({"keytype": "ed25519", "scheme": "ed25519",
        "keyval": {"public": hex::encode(pair.public_key().as_ref())}});
    let id = hex::encode(Sha256::digest(to_canonical(&json).unwrap()));
    Key { pair, json, id }
}

fn sign(signed: &Value, keys: &[&Key]) -> Vec<u8> {
    let canon = to_canonical(signed).unwrap();
    let sigs: Vec<Value> = keys
        .iter()
        .map(|k| json!({"keyid": k.id, "sig": hex::encode(k.pair.sign(&canon).as_ref())}))
        .collect();
    serde_json::to_vec_pretty(&json!({"signatures": sigs, "signed": signed})).unwrap()
}

const FAR: &str = "2100-01-01T00:00:00Z";

fn root(
    version: u64,
    consistent: bool,
    root_k: &Key,
    ts_k: &Key,
    snap_k: &Key,
    tg_k: &Key,
) -> Value {
    let mut keys = serde_json::Map::new();
    for k in [root_k, ts_k, snap_k, tg_k] {
        keys.insert(k.id.clone(), k.json.clone());
    }
    json!({"_type": "root", "spec_version": "1.0.31", "version": version, "expires": FAR,
        "consistent_snapshot": consistent, "keys": keys,
        "roles": {
            "root": {"keyids": [root_k.id], "threshold": 1},
            "timestamp": {"keyids": [ts_k.id], "threshold": 1},
            "snapshot": {"keyids": [snap_k.id], "threshold": 1},
            "targets": {"keyids": [tg_k.id], "threshold": 1}}})
}

fn meta(bytes: &[u8], version: u64) -> Value {
    json!({"version": version, "length": bytes.len(),
        "hashes": {"sha256": hex::encode(Sha256::digest(bytes))}})
}

fn target(bytes: &[u8]) -> Value {
    json!({"length": bytes.len(), "hashes": {"sha256": hex::encode(Sha256::digest(bytes))}})
}

fn targets(version: u64, listed: Value, delegations: Option<Value>) -> Value {
    let mut t = json!({"_type": "targets", "spec_version": "1.0.31", "version": version,
        "expires": FAR, "targets": listed});
    if let Some(d) = delegations {
        t["delegations"] = d;
    }
    t
}

/// The four role keys of a test repository.
struct Keys {
    root: Key,
    ts: Key,
    snap: Key,
    tg: Key,
}

fn keys() -> Keys {
    Keys {
        root: key(1),
        ts: key(2),
        snap: key(3),
        tg: key(4),
    }
}

impl Keys {
    /// The trust anchor: root version 1 over these keys, signed by the
    /// root key.
    fn anchor(&self, consistent: bool) -> Vec<u8> {
        sign(
            &root(1, consistent, &self.root, &self.ts, &self.snap, &self.tg),
            &[&self.root],
        )
    }
}

/// Writes timestamp/snapshot for `roles` (name -> signed bytes) and
/// targets files; returns the metadata dir.
fn publish(dir: &Path, k: &Keys, consistent: bool, version: u64, roles: &[(&str, Vec<u8>)]) {
    let md = dir.join("metadata");
    std::fs::create_dir_all(&md).unwrap();
    let mut snap_meta = serde_json::Map::new();
    for (name, bytes) in roles {
        let v: Value = serde_json::from_slice(bytes).unwrap();
        let rv = v["signed"]["version"].as_u64().unwrap();
        snap_meta.insert(format!("{name}.json"), meta(bytes, rv));
        let file = if consistent {
            format!("{rv}.{name}.json")
        } else {
            format!("{name}.json")
        };
        std::fs::write(md.join(file), bytes).unwrap();
    }
    let snap = sign(
        &json!({"_type": "snapshot", "spec_version": "1.0.31", "version": version,
            "expires": FAR, "meta": snap_meta}),
        &[&k.snap],
    );
    let snap_file = if consistent {
        format!("{version}.snapshot.json")
    } else {
        "snapshot.json".into()
    };
    std::fs::write(md.join(snap_file), &snap).unwrap();
    let ts = sign(
        &json!({"_type": "timestamp", "spec_version": "1.0.31", "version": version,
            "expires": FAR, "meta": {"snapshot.json": meta(&snap, version)}}),
        &[&k.ts],
    );
    std::fs::write(md.join("timestamp.json"), ts).unwrap();
}

fn write_target(dir: &Path, name: &str, bytes: &[u8], consistent: bool) {
    let rel = if consistent {
        let h = hex::encode(Sha256::digest(bytes));
        match name.rsplit_once('/') {
            Some((d, b)) => format!("{d}/{h}.{b}"),
            None => format!("{h}.{name}"),
        }
    } else {
        name.to_owned()
    };
    let p = dir.join("targets").join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn verify(dir: &Path, anchor: &[u8], names: &[&str]) -> tuf::RepositoryReport {
    let mut opts = Options::now();
    opts.targets = TargetSelection::Names(names.iter().map(|s| s.to_string()).collect());
    tuf::verify_repository(anchor, &DirSource::new(dir), &opts).unwrap()
}

fn role_of(report: &tuf::RepositoryReport, name: &str) -> Result<String, String> {
    let t = report.targets.iter().find(|t| t.name == name).unwrap();
    match &t.error {
        None => Ok(t.role.clone().unwrap()),
        Some(e) => Err(e.kind().to_owned()),
    }
}

fn delegation(name: &str, k: &Key, paths: Value, terminating: bool) -> Value {
    let mut d = json!({"name": name, "keyids": [k.id], "threshold": 1, "terminating": terminating});
    if paths.is_array() {
        d["paths"] = paths;
    } else {
        d["path_hash_prefixes"] = paths["prefixes"].clone();
    }
    d
}

#[test]
fn delegation_search_is_preorder_terminating_and_cycle_safe() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    let (a, b, c) = (key(10), key(11), key(12));
    let keys_obj = json!({a.id.clone(): a.json, b.id.clone(): b.json, c.id.clone(): c.json});
    let body = b"from c".to_vec();
    // targets -> a (pkg/*, terminating) -> nothing for pkg/x;
    //         -> b (never reached for pkg/*: a is terminating)
    // targets -> c (other/*) -> c delegates back to "c2" = cycle through a
    let top = targets(
        1,
        json!({}),
        Some(json!({"keys": keys_obj, "roles": [
            delegation("a", &a, json!(["pkg/*"]), true),
            delegation("b", &b, json!(["pkg/*", "other/*"]), false),
            delegation("c", &c, json!({"prefixes": [hex::encode(Sha256::digest(b"other/y"))[..4].to_string()]}), false),
        ]})),
    );
    let a_md = targets(
        1,
        json!({}),
        Some(
            json!({"keys": {b.id.clone(): b.json.clone()}, "roles": [delegation("b", &b, json!(["*/*"]), false)]}),
        ),
    );
    let b_md = targets(
        1,
        json!({"pkg/x": target(b"from b"), "other/y": target(b"from b too")}),
        Some(
            json!({"keys": {a.id.clone(): a.json.clone()}, "roles": [delegation("a", &a, json!(["*/*"]), false)]}),
        ),
    );
    let c_md = targets(1, json!({"other/y": target(&body)}), None);
    let anchor = k.anchor(true);
    std::fs::create_dir_all(dir.path().join("metadata")).unwrap();
    std::fs::write(dir.path().join("metadata/1.root.json"), &anchor).unwrap();
    publish(
        dir.path(),
        &k,
        true,
        1,
        &[
            ("targets", sign(&top, &[&k.tg])),
            ("a", sign(&a_md, &[&a])),
            ("b", sign(&b_md, &[&b])),
            ("c", sign(&c_md, &[&c])),
        ],
    );
    write_target(dir.path(), "pkg/x", b"from b", true);
    write_target(dir.path(), "other/y", b"from b too", true);
    let r = verify(dir.path(), &anchor, &["pkg/x", "other/y", "pkg/none"]);
    assert!(r.error.is_none(), "{:?}", r.error);
    // pkg/x: targets -> a (terminating) -> b (via a, "*/*") lists it.
    assert_eq!(role_of(&r, "pkg/x"), Ok("b".into()));
    // other/y: a does not cover it; b does and lists it before c is tried.
    assert_eq!(role_of(&r, "other/y"), Ok("b".into()));
    // pkg/none: a -> b -> a is a cycle; the search ends, nothing found.
    assert_eq!(role_of(&r, "pkg/none"), Err("unknown_target".into()));
}

#[test]
fn fast_forward_recovery_after_timestamp_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let k = keys();
    let anchor = k.anchor(true);
    let md = dir.path().join("metadata");
    std::fs::create_dir_all(&md).unwrap();
    std::fs::write(md.join("1.root.json"), &anchor).unwrap();
    let t = sign(&targets(1, json!({}), None), &[&k.tg]);
    // Audit 1: timestamp and snapshot at version 9 (e.g. attacker-inflated).
    publish(dir.path(), &k, true, 9, &[("targets", t.clone())]);
    let mut opts = Options::now();
    opts.state_dir = Some(state.path().to_path_buf());
    let r = tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts).unwrap();
    assert!(r.verified(), "{:?}", r.error);
    // Audit 2: root v2 rotates the timestamp key; versions restart at 1.
    let new_ts = key(20);
    let k2 = Keys {
        root: key(1),
        ts: new_ts,
        snap: key(3),
        tg: key(4),
    };
    std::fs::remove_dir_all(&md).unwrap();
    std::fs::create_dir_all(&md).unwrap();
    std::fs::write(md.join("1.root.json"), &anchor).unwrap();
    let r2 = sign(
        &root(2, true, &k2.root, &k2.ts, &k2.snap, &k2.tg),
        &[&k.root],
    );
    std::fs::write(md.join("2.root.json"), &r2).unwrap();
    publish(dir.path(), &k2, true, 1, &[("targets", t)]);
    let r = tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts).unwrap();
    assert!(r.verified(), "{:?}", r.error);
    assert!(
        r.findings.iter().any(|f| f.message.contains("§5.3.11")),
        "{:?}",
        r.findings
    );
}

#[test]
fn plain_names_without_consistent_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    let anchor = k.anchor(false);
    let t = sign(
        &targets(3, json!({"dir/f.txt": target(b"hello")}), None),
        &[&k.tg],
    );
    publish(dir.path(), &k, false, 2, &[("targets", t)]);
    write_target(dir.path(), "dir/f.txt", b"hello", false);
    let r = verify(dir.path(), &anchor, &["dir/f.txt"]);
    assert!(r.verified(), "{r:#?}");
    let files: Vec<_> = r.roles.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "trust anchor",
            "timestamp.json",
            "snapshot.json",
            "targets.json"
        ]
    );
}

#[test]
fn root_rotation_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    let md = dir.path().join("metadata");
    std::fs::create_dir_all(&md).unwrap();
    let anchor = k.anchor(true);
    for v in 2..=4 {
        let r = sign(&root(v, true, &k.root, &k.ts, &k.snap, &k.tg), &[&k.root]);
        std::fs::write(md.join(format!("{v}.root.json")), r).unwrap();
    }
    let mut opts = Options::now();
    opts.limits.max_root_rotations = 2;
    let r = tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts).unwrap();
    assert_eq!(r.error, Some(TufError::TooManyRootVersions(2)));
    assert_eq!(r.root_chain.last().unwrap().version, 3);
}

#[test]
fn snapshot_dropping_a_role_is_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let k = keys();
    let a = key(10);
    let anchor = k.anchor(true);
    let deleg = json!({"keys": {a.id.clone(): a.json.clone()},
        "roles": [delegation("a", &a, json!(["*"]), false)]});
    let t = sign(&targets(1, json!({}), Some(deleg)), &[&k.tg]);
    let a_md = sign(&targets(1, json!({}), None), &[&a]);
    publish(
        dir.path(),
        &k,
        true,
        1,
        &[("targets", t.clone()), ("a", a_md)],
    );
    let mut opts = Options::now();
    opts.state_dir = Some(state.path().to_path_buf());
    assert!(
        tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts)
            .unwrap()
            .verified()
    );
    publish(dir.path(), &k, true, 2, &[("targets", t)]);
    let r = tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts).unwrap();
    assert_eq!(
        r.error,
        Some(TufError::DroppedFromSnapshot {
            file: "a.json".into()
        })
    );
}

#[test]
fn one_key_under_two_keyids_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    // The same public key listed again with an extra field: a second keyid.
    let mut twin_json = k.root.json.clone();
    twin_json["x-note"] = "same key".into();
    let twin_id = hex::encode(Sha256::digest(to_canonical(&twin_json).unwrap()));
    let mut r = root(1, true, &k.root, &k.ts, &k.snap, &k.tg);
    r["keys"][&twin_id] = twin_json;
    r["roles"]["root"] = json!({"keyids": [k.root.id, twin_id], "threshold": 2});
    let canon = to_canonical(&r).unwrap();
    let sig = hex::encode(k.root.pair.sign(&canon).as_ref());
    let anchor = serde_json::to_vec(&json!({"signed": r, "signatures": [
        {"keyid": k.root.id, "sig": sig}, {"keyid": twin_id, "sig": sig}]}))
    .unwrap();
    let err =
        tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &Options::now()).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Threshold {
                have: 1,
                need: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn timestamp_changed_without_new_version_keeps_the_trusted_copy() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let k = keys();
    let anchor = k.anchor(true);
    let t = sign(&targets(1, json!({}), None), &[&k.tg]);
    publish(dir.path(), &k, true, 1, &[("targets", t.clone())]);
    let mut opts = Options::now();
    opts.state_dir = Some(state.path().to_path_buf());
    let r = tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts).unwrap();
    assert!(r.verified(), "{:?}", r.error);
    // Snapshot v2 published, but timestamp re-signed still as version 1.
    publish(dir.path(), &k, true, 2, &[("targets", t)]);
    let md = dir.path().join("metadata");
    let snap2 = std::fs::read(md.join("2.snapshot.json")).unwrap();
    let ts = sign(
        &json!({"_type": "timestamp", "spec_version": "1.0.31", "version": 1,
            "expires": FAR, "meta": {"snapshot.json": meta(&snap2, 2)}}),
        &[&k.ts],
    );
    std::fs::write(md.join("timestamp.json"), ts).unwrap();
    let r = tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts).unwrap();
    assert!(r.verified(), "{:?}", r.error);
    let snap = r.roles.iter().find(|x| x.role == "snapshot").unwrap();
    assert_eq!(
        snap.version, 1,
        "the trusted timestamp (snapshot v1) is kept"
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.message.contains("without a new version"))
    );
}

/// Serves `files` (raw request path -> body) on loopback; logs paths.
fn serve(
    files: std::collections::HashMap<String, Vec<u8>>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let l = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap_or("").to_owned();
            l.lock().unwrap().push(path.clone());
            let _ = match files.get(&path) {
                Some(body) => stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                            .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(body)),
                None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
            };
        }
    });
    (url, log)
}

#[test]
fn unusual_role_names_are_one_quoted_url_segment_and_a_safe_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let k = keys();
    let odd = key(30);
    let role = "../x?";
    let anchor = k.anchor(true);
    let deleg = json!({"keys": {odd.id.clone(): odd.json.clone()},
        "roles": [delegation(role, &odd, json!(["*"]), false)]});
    let t = sign(&targets(1, json!({}), Some(deleg)), &[&k.tg]);
    let odd_md = sign(&targets(1, json!({}), None), &[&odd]);
    // publish() cannot write a file named "1.../x?.json": serve from memory.
    let md = dir.path().join("metadata");
    std::fs::create_dir_all(&md).unwrap();
    publish(dir.path(), &k, true, 1, &[("targets", t)]);
    let mut files = std::collections::HashMap::new();
    for e in std::fs::read_dir(&md).unwrap() {
        let e = e.unwrap();
        files.insert(
            format!("/metadata/{}", e.file_name().to_str().unwrap()),
            std::fs::read(e.path()).unwrap(),
        );
    }
    // Snapshot must list the odd role: rebuild snapshot/timestamp with it.
    let t_bytes = files["/metadata/1.targets.json"].clone();
    let snap = sign(
        &json!({"_type": "snapshot", "spec_version": "1.0.31", "version": 1, "expires": FAR,
            "meta": {"targets.json": meta(&t_bytes, 1), format!("{role}.json"): meta(&odd_md, 1)}}),
        &[&k.snap],
    );
    let ts = sign(
        &json!({"_type": "timestamp", "spec_version": "1.0.31", "version": 1, "expires": FAR,
            "meta": {"snapshot.json": meta(&snap, 1)}}),
        &[&k.ts],
    );
    files.insert("/metadata/1.snapshot.json".into(), snap);
    files.insert("/metadata/timestamp.json".into(), ts);
    files.insert("/metadata/1...%2Fx%3F.json".into(), odd_md);
    let (url, log) = serve(files);
    let src = tuf::HttpSource::new(&format!("{url}/metadata"), &format!("{url}/targets")).unwrap();
    let mut opts = Options::now();
    opts.state_dir = Some(state.path().to_path_buf());
    opts.targets = TargetSelection::Names(vec!["nonexistent target".into()]);
    let r = tuf::verify_repository(&anchor, &src, &opts).unwrap();
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(
        r.targets[0].error.as_ref().map(TufError::kind),
        Some("unknown_target")
    );
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|p| p == "/metadata/1...%2Fx%3F.json")
    );
    assert!(r.roles.iter().any(|x| x.role == role));
    let mut stored: Vec<String> = std::fs::read_dir(state.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        [
            "%2E.%2Fx%3F.json",
            "root.json",
            "snapshot.json",
            "targets.json",
            "timestamp.json"
        ]
    );
}

/// A "diamond": targets delegates `parent-a` (team-a/*) and `parent-b`
/// (team-b/*); each delegates the same role `release` to a different key.
/// `release` is signed only with parent A's key, and lists a target under
/// each team. Returns the repository's trust anchor.
fn diamond(dir: &Path) -> Vec<u8> {
    let k = keys();
    let (pa, pb, ra, rb) = (key(20), key(21), key(22), key(23));
    let top = targets(
        1,
        json!({}),
        Some(
            json!({"keys": {pa.id.clone(): pa.json.clone(), pb.id.clone(): pb.json.clone()},
            "roles": [
                delegation("parent-a", &pa, json!(["team-a/*"]), false),
                delegation("parent-b", &pb, json!(["team-b/*"]), false),
            ]}),
        ),
    );
    let parent = |rk: &Key, paths: Value| {
        targets(
            1,
            json!({}),
            Some(json!({"keys": {rk.id.clone(): rk.json.clone()},
                "roles": [delegation("release", rk, paths, false)]})),
        )
    };
    let release = targets(
        1,
        json!({"team-a/app": target(b"trusted A"), "team-b/app": target(b"malicious B")}),
        None,
    );
    let anchor = k.anchor(true);
    std::fs::create_dir_all(dir.join("metadata")).unwrap();
    std::fs::write(dir.join("metadata/1.root.json"), &anchor).unwrap();
    publish(
        dir,
        &k,
        true,
        1,
        &[
            ("targets", sign(&top, &[&k.tg])),
            ("parent-a", sign(&parent(&ra, json!(["team-a/*"])), &[&pa])),
            ("parent-b", sign(&parent(&rb, json!(["team-b/*"])), &[&pb])),
            // Only parent A's release key signs; parent B's never does.
            ("release", sign(&release, &[&ra])),
        ],
    );
    write_target(dir, "team-a/app", b"trusted A", true);
    write_target(dir, "team-b/app", b"malicious B", true);
    anchor
}

/// §5.6.7.2: a role reached through a second delegator is verified
/// against that delegator's keys and threshold, even though the first
/// lookup already read and trusted it through another delegator.
#[test]
fn role_reached_from_two_delegators_meets_each_delegators_keys() {
    let dir = tempfile::tempdir().unwrap();
    let anchor = diamond(dir.path());
    // team-a first, so `release` is already trusted (through parent-a)
    // when the team-b lookup reaches it through parent-b.
    let r = verify(dir.path(), &anchor, &["team-a/app", "team-b/app"]);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(role_of(&r, "team-a/app"), Ok("release".into()));
    assert_eq!(role_of(&r, "team-b/app"), Err("threshold".into()));
    assert!(!r.verified());
    let b = r.targets.iter().find(|t| t.name == "team-b/app").unwrap();
    assert!(
        matches!(&b.error, Some(TufError::Threshold { role, keys_from, have: 0, need: 1, .. })
            if role == "release" && keys_from == "parent-b"),
        "{:?}",
        b.error
    );

    // `--targets all` (and so the audit): the failing delegation is a role
    // failure, the target under it fails, the one under parent-a verifies.
    let mut opts = Options::now();
    opts.targets = TargetSelection::All;
    let r = tuf::verify_repository(&anchor, &DirSource::new(dir.path()), &opts).unwrap();
    assert!(!r.verified());
    assert_eq!(role_of(&r, "team-a/app"), Ok("release".into()));
    assert_eq!(role_of(&r, "team-b/app"), Err("threshold".into()));
    assert!(
        r.role_failures
            .iter()
            .any(|f| f.role == "release" && f.error.kind() == "threshold"),
        "{:?}",
        r.role_failures
    );
}

/// §4.2: "The keyid MUST be unique in the signatures array". A snapshot
/// that repeats its one valid signature is refused, not counted once.
#[test]
fn repeated_signature_keyid_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    let anchor = k.anchor(true);
    let t = sign(&targets(1, json!({}), None), &[&k.tg]);
    publish(dir.path(), &k, true, 1, &[("targets", t.clone())]);
    let r = verify(dir.path(), &anchor, &[]);
    assert!(r.verified(), "{:?}", r.error);

    // Re-publish snapshot v2 with its signature listed twice.
    let md = dir.path().join("metadata");
    publish(dir.path(), &k, true, 2, &[("targets", t)]);
    let mut snap: Value =
        serde_json::from_slice(&std::fs::read(md.join("2.snapshot.json")).unwrap()).unwrap();
    let sig = snap["signatures"][0].clone();
    snap["signatures"].as_array_mut().unwrap().push(sig);
    let snap = serde_json::to_vec(&snap).unwrap();
    std::fs::write(md.join("2.snapshot.json"), &snap).unwrap();
    let ts = sign(
        &json!({"_type": "timestamp", "spec_version": "1.0.31", "version": 2,
            "expires": FAR, "meta": {"snapshot.json": meta(&snap, 2)}}),
        &[&k.ts],
    );
    std::fs::write(md.join("timestamp.json"), ts).unwrap();
    let r = verify(dir.path(), &anchor, &[]);
    match &r.error {
        Some(TufError::Malformed { file, reason }) => {
            assert_eq!(file, "2.snapshot.json");
            assert!(reason.contains("appears twice"), "{reason}");
        }
        other => panic!("expected malformed snapshot, got {other:?}"),
    }
}

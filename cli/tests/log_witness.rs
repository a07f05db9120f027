//! `glassbox log witness --listen` and `glassbox log cosign` over loopback
//! HTTP (c2sp.org/tlog-witness): a witness cosigns a consistent checkpoint,
//! the cosignature is stored with the log's checkpoint and counts towards
//! `verify-proof --quorum`; the 409 path; state that survives a restart;
//! and a forked copy of the log refused with the protocol's status codes.

mod common;
use common::{Listening, code, glassbox_in, json, write_key};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Output;

/// A `log witness --listen` process, killed when dropped.
fn start_witness(d: &Path, state: &str, key: &str, name: &str) -> Listening {
    Listening::start(
        &[
            "log",
            "witness",
            "--listen",
            "127.0.0.1:0",
            "--state",
            state,
            "--key",
            key,
            "--name",
            name,
            "--log-vkey",
            "L/vkey",
        ],
        d,
    )
}

fn setup() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    for k in ["log.key", "w1.key", "w2.key"] {
        write_key(d, k);
    }
    for (n, c) in [("a.bin", "alpha"), ("b.bin", "beta"), ("c.bin", "gamma")] {
        std::fs::write(d.join(n), c).unwrap();
    }
    let o = common::init_log(d, "L", "test.example/log", "log.key");
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(
        code(&glassbox_in(&["log", "append", "L", "a.bin", "b.bin"], d)),
        0
    );
    t
}

fn cosign(d: &Path, log: &str, w: &Listening, vkey: &str) -> Output {
    glassbox_in(
        &[
            "log",
            "cosign",
            "--log",
            log,
            "--witness",
            &w.url,
            "--witness-vkey",
            vkey,
            "--format",
            "json",
        ],
        d,
    )
}

fn verify_quorum(d: &Path, quorum: &str, vkeys: &[&str]) -> Output {
    let o = glassbox_in(
        &[
            "log",
            "prove",
            "L",
            "--index",
            "0",
            "-o",
            "p.tlog-proof",
            "--force",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{o:?}");
    let mut args = vec![
        "log",
        "verify-proof",
        "p.tlog-proof",
        "--vkey",
        "L/vkey",
        "--quorum",
        quorum,
    ];
    for v in vkeys {
        args.extend(["--witness-vkey", v]);
    }
    glassbox_in(&args, d)
}

/// A raw HTTP/1.1 POST, so the status line and headers on the wire are
/// checked, not what our client makes of them.
fn raw_post(url: &str, body: &[u8]) -> String {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn a_witness_cosigns_over_http_and_the_quorum_counts_it() {
    let t = setup();
    let d = t.path();
    let w1 = start_witness(d, "ws1", "w1.key", "w1.example/w");
    // Before cosigning: a quorum of one is not met.
    assert_eq!(code(&verify_quorum(d, "1", &["ws1/vkey"])), 1);

    let o = cosign(d, "L", &w1, "ws1/vkey");
    assert_eq!(code(&o), 0, "{o:?}");
    let j = json(&o);
    assert_eq!(j["size"], 2);
    assert_eq!(j["witnesses"][0]["cosigned_by"][0], "w1.example/w");
    assert_eq!(j["witnesses"][0]["retried"], false);
    assert_eq!(j["stored"][0], "w1.example/w");
    // The cosignature is stored with the published checkpoint, so a proof
    // made now carries it.
    let cp = std::fs::read_to_string(d.join("L/checkpoint")).unwrap();
    assert!(cp.contains("\n\u{2014} w1.example/w "), "{cp}");
    let o = verify_quorum(d, "1", &["ws1/vkey"]);
    assert_eq!(code(&o), 0, "{o:?}");
    // A second witness's key: one cosignature is not a quorum of two.
    let w2 = start_witness(d, "ws2", "w2.key", "w2.example/w");
    assert_eq!(code(&verify_quorum(d, "2", &["ws1/vkey", "ws2/vkey"])), 1);
    let o = cosign(d, "L", &w2, "ws2/vkey");
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(
        json(&o)["stored"].as_array().unwrap().len(),
        1,
        "only ws2/vkey was given"
    );
    assert_eq!(code(&verify_quorum(d, "2", &["ws1/vkey", "ws2/vkey"])), 0);

    // The log grows: the next request starts from the size w1 cosigned, with
    // a consistency proof, no 409.
    assert_eq!(code(&glassbox_in(&["log", "append", "L", "c.bin"], d)), 0);
    let o = cosign(d, "L", &w1, "ws1/vkey");
    assert_eq!(code(&o), 0, "{o:?}");
    let j = json(&o);
    assert_eq!(
        (
            &j["size"],
            &j["witnesses"][0]["old_size"],
            &j["witnesses"][0]["retried"]
        ),
        (&3.into(), &2.into(), &false.into())
    );
    // The append dropped the older cosignatures with the older checkpoint.
    assert_eq!(code(&verify_quorum(d, "2", &["ws1/vkey", "ws2/vkey"])), 1);
    // A key the witness does not sign with: its cosignature is ignored and
    // the witness counts as failed.
    let o = glassbox_in(
        &[
            "log",
            "cosign",
            "--log",
            "L",
            "--witness",
            &w1.url,
            "--witness-vkey",
            "ws2/vkey",
        ],
        d,
    );
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("no cosignature from a witness key"));
}

#[test]
fn a_stale_size_gets_409_and_one_retry_and_state_survives_a_restart() {
    let t = setup();
    let d = t.path();
    let w1 = start_witness(d, "ws1", "w1.key", "w1.example/w");
    assert_eq!(code(&cosign(d, "L", &w1, "ws1/vkey")), 0);
    // On the wire: old size 0 when the witness holds 2 is a 409 with the
    // size as text/x.tlog.size.
    let note = std::fs::read(d.join("L/checkpoint")).unwrap();
    let mut body = b"old 0\n\n".to_vec();
    body.extend_from_slice(&note);
    let r = raw_post(&w1.url, &body);
    assert!(r.starts_with("HTTP/1.1 409 "), "{r}");
    assert!(
        r.to_ascii_lowercase()
            .contains("\r\ncontent-type: text/x.tlog.size\r\n"),
        "{r}"
    );
    assert!(r.ends_with("\r\n\r\n2\n"), "{r}");

    // Restart the witness on its state; forget what size it cosigned.
    drop(w1);
    let w1 = start_witness(d, "ws1", "w1.key", "w1.example/w");
    assert_eq!(code(&glassbox_in(&["log", "append", "L", "c.bin"], d)), 0);
    std::fs::remove_file(d.join("L/witness-sizes.json")).unwrap();
    let o = cosign(d, "L", &w1, "ws1/vkey");
    assert_eq!(code(&o), 0, "{o:?}");
    let j = json(&o);
    // The first request (old 0) got 409 "2": the restarted witness still
    // knew it had cosigned size 2; the retry from 2 carried the proof.
    assert_eq!(j["witnesses"][0]["retried"], true);
    assert_eq!(j["witnesses"][0]["old_size"], 2);
    assert_eq!(j["size"], 3);
}

#[test]
fn the_witness_refuses_a_forked_copy_of_the_log() {
    let t = setup();
    let d = t.path();
    let w1 = start_witness(d, "ws1", "w1.key", "w1.example/w");
    // Fork at size 1: the copy gets a different second entry, so its size 2
    // has another root than the size 2 the witness cosigns below.
    let o = common::init_log(d, "F", "test.example/log", "log.key");
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(
        code(&glassbox_in(&["log", "append", "F", "a.bin", "c.bin"], d)),
        0
    );
    assert_eq!(code(&cosign(d, "L", &w1, "ws1/vkey")), 0);

    // Same size, other root: 409 (not a size reply) after the 409 retry.
    // The fork's cosign fails (exit 1); the witness's one failure reason.
    let refused = || {
        let o = cosign(d, "F", &w1, "ws1/vkey");
        assert_eq!(code(&o), 1, "{o:?}");
        json(&o)["witnesses"][0]["failure"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let why = refused();
    assert!(
        why.starts_with("HTTP 409: ") && why.contains("split view"),
        "{why}"
    );
    // Larger, but not an extension of what the witness cosigned: 422.
    assert_eq!(code(&glassbox_in(&["log", "append", "F", "b.bin"], d)), 0);
    let why = refused();
    assert!(
        why.starts_with("HTTP 422: ") && why.contains("not consistent"),
        "{why}"
    );
    // Nothing was stored with the fork's checkpoint.
    let cp = std::fs::read_to_string(d.join("F/checkpoint")).unwrap();
    assert!(!cp.contains("w1.example/w"), "{cp}");
    // The honest log still gets cosigned.
    assert_eq!(code(&glassbox_in(&["log", "append", "L", "c.bin"], d)), 0);
    let o = cosign(d, "L", &w1, "ws1/vkey");
    assert_eq!(code(&o), 0, "{o:?}");
    // The witness kept the fork's signed checkpoints as evidence: a monitor
    // over its state directory and the honest log shows the split view.
    let o = glassbox_in(&["log", "monitor", "--vkey", "L/vkey", "L", "ws1"], d);
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("SPLIT VIEW"),
        "{o:?}"
    );

    // An unknown origin is 404 on the wire.
    write_key(d, "other.key");
    let o = common::init_log(d, "O", "other.example/log", "other.key");
    assert_eq!(code(&o), 0, "{o:?}");
    let mut body = b"old 0\n\n".to_vec();
    body.extend_from_slice(&std::fs::read(d.join("O/checkpoint")).unwrap());
    let r = raw_post(&w1.url, &body);
    assert!(r.starts_with("HTTP/1.1 404 "), "{r}");
}

/// Witnesses that stall or answer with an endless body: each fails within
/// the time-out, named by its URL, and nothing is stored.
#[test]
fn hostile_witnesses_fail_within_the_timeout() {
    use std::net::TcpListener;
    use std::time::{Duration, Instant};
    let t = setup();
    let d = t.path();
    let stall = TcpListener::bind("127.0.0.1:0").unwrap();
    let flood = TcpListener::bind("127.0.0.1:0").unwrap();
    let stall_url = format!("http://{}/", stall.local_addr().unwrap());
    let flood_url = format!("http://{}/", flood.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in stall.incoming() {
            held.push(c); // read nothing, answer nothing
        }
    });
    std::thread::spawn(move || {
        for c in flood.incoming() {
            let Ok(mut c) = c else { continue };
            std::thread::spawn(move || {
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
                let line = format!("\u{2014} w1.example/w {}\n", "A".repeat(96));
                while c.write_all(line.as_bytes()).is_ok() {}
            });
        }
    });
    // Both hostile witnesses at once, with a 2 s time-out.
    let cosign_both = |vkey: &str| {
        glassbox_in(
            &[
                "log",
                "cosign",
                "--log",
                "L",
                "--witness",
                &stall_url,
                "--witness",
                &flood_url,
                "--witness-vkey",
                vkey,
                "--timeout",
                "2",
                "--format",
                "json",
            ],
            d,
        )
    };
    let start = Instant::now();
    let o = cosign_both("L/vkey");
    // L/vkey is a log key, not a witness key: refused as input first.
    assert_eq!(code(&o), 2, "{o:?}");
    let w = start_witness(d, "ws1", "w1.key", "w1.example/w");
    drop(w);
    let o = cosign_both("ws1/vkey");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(code(&o), 1, "{o:?}");
    let j = json(&o);
    for (i, url) in [&stall_url, &flood_url].into_iter().enumerate() {
        let why = j["witnesses"][i]["failure"].as_str().unwrap();
        assert!(why.contains(url.trim_end_matches('/')), "{why}");
    }
    assert_eq!(j["stored"].as_array().unwrap().len(), 0);
}

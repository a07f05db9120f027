//! `glassbox log` end to end: init, append, prove, verify-proof,
//! consistency, witness, monitor, with their exit codes.

mod common;
use common::{code, glassbox_in, stdout, words, write_key};

use std::path::Path;
use std::process::{Command, Output};

/// `glassbox log init L` in `d` with origin `test.example/log` and
/// `log.key`.
fn init_log(d: &Path) -> Output {
    common::init_log(d, "L", "test.example/log", "log.key")
}

fn setup() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write_key(d, "log.key");
    write_key(d, "w.key");
    for (n, c) in [("a.bin", "alpha"), ("b.bin", "beta"), ("c.bin", "gamma")] {
        std::fs::write(d.join(n), c).unwrap();
    }
    let o = init_log(d);
    assert_eq!(code(&o), 0, "{o:?}");
    let vkey = std::fs::read_to_string(d.join("L/vkey")).unwrap();
    assert_eq!(stdout(&o), vkey);
    assert!(vkey.starts_with("test.example/log+"));
    t
}

#[test]
fn append_prove_verify_round_trip() {
    let t = setup();
    let d = t.path();
    let o = glassbox_in(&["log", "append", "L", "a.bin", "b.bin"], d);
    assert_eq!(code(&o), 0, "{o:?}");
    assert!(stdout(&o).starts_with("0  "), "{}", stdout(&o));
    let o = glassbox_in(&["log", "append", "L", "c.bin", "--format", "json"], d);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["entries"][0]["index"], 2);
    assert_eq!(j["checkpoint"]["size"], 3);

    let o = glassbox_in(
        &["log", "prove", "L", "--file", "b.bin", "-o", "b.tlog-proof"],
        d,
    );
    assert_eq!(code(&o), 0, "{o:?}");
    let proof = std::fs::read_to_string(d.join("b.tlog-proof")).unwrap();
    assert!(proof.starts_with("c2sp.org/tlog-proof@v1\nextra "));
    assert!(proof.contains("\nindex 1\n"));

    let ok = glassbox_in(
        &words("log verify-proof b.tlog-proof --vkey L/vkey --file b.bin"),
        d,
    );
    assert_eq!(code(&ok), 0, "{ok:?}");
    assert!(stdout(&ok).starts_with("ok: b.bin"));
    // Another file, another log key, a tampered proof: verification fails (1).
    let other = glassbox_in(
        &words("log verify-proof b.tlog-proof --vkey L/vkey --file a.bin"),
        d,
    );
    assert_eq!(code(&other), 1);
    write_key(d, "other.key");
    common::init_log(d, "M", "test.example/log", "other.key");
    let wrong_key = glassbox_in(
        &["log", "verify-proof", "b.tlog-proof", "--vkey", "M/vkey"],
        d,
    );
    assert_eq!(code(&wrong_key), 1, "{wrong_key:?}");
    let tampered = proof.replace("\nindex 1\n", "\nindex 0\n");
    std::fs::write(d.join("t.tlog-proof"), tampered).unwrap();
    let o = glassbox_in(
        &words("log verify-proof t.tlog-proof --vkey L/vkey --format json"),
        d,
    );
    assert_eq!(code(&o), 1);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["verified"], false);
    // Malformed input: exit 2 with one error line.
    std::fs::write(d.join("junk.tlog-proof"), "nonsense").unwrap();
    let o = glassbox_in(
        &["log", "verify-proof", "junk.tlog-proof", "--vkey", "L/vkey"],
        d,
    );
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "));
    let o = glassbox_in(&["log", "prove", "L", "--index", "3"], d);
    assert_eq!(code(&o), 2);
    // A file never logged: prove reports it and exits 1.
    std::fs::write(d.join("new.bin"), "never logged").unwrap();
    assert_eq!(
        code(&glassbox_in(&["log", "prove", "L", "--file", "new.bin"], d)),
        1
    );
}

#[test]
fn consistency_and_witness() {
    let t = setup();
    let d = t.path();
    glassbox_in(&["log", "append", "L", "a.bin"], d);
    std::fs::copy(d.join("L/checkpoint"), d.join("old.cp")).unwrap();
    let w = words(common::WITNESS_L);
    let o = glassbox_in(&w, d);
    assert_eq!(code(&o), 0, "{o:?}");
    assert!(stdout(&o).contains("\u{2014} w.example/w1 "));
    glassbox_in(&["log", "append", "L", "b.bin", "c.bin"], d);
    let o = glassbox_in(
        &["log", "consistency", "old.cp", "L/checkpoint", "--log", "L"],
        d,
    );
    assert_eq!(code(&o), 0, "{o:?}");
    let o = glassbox_in(
        &["log", "consistency", "L/checkpoint", "old.cp", "--log", "L"],
        d,
    );
    assert_eq!(code(&o), 1, "{o:?}");
    let o = glassbox_in(&w, d);
    assert_eq!(code(&o), 0, "{o:?}");
    // The witness refuses a log rewritten behind its back.
    std::fs::rename(d.join("L"), d.join("L.orig")).unwrap();
    init_log(d);
    glassbox_in(
        &["log", "append", "L", "c.bin", "b.bin", "a.bin", "a.bin"],
        d,
    );
    let o = glassbox_in(&w, d);
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(stdout(&o).contains("not consistent"));
}

#[test]
fn monitor_exits_1_on_a_split_view_with_both_checkpoints_as_evidence() {
    let t = setup();
    let d = t.path();
    glassbox_in(&["log", "append", "L", "a.bin", "b.bin"], d);
    // Copy the log, and append different files to each copy: a fork.
    let copy = Command::new("cp")
        .args(["-r", "L", "F"])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(copy.success());
    glassbox_in(&["log", "append", "F", "c.bin"], d);
    glassbox_in(&["log", "append", "L", "a.bin", "a.bin"], d);
    glassbox_in(
        &[
            "log",
            "prove",
            "F",
            "--index",
            "2",
            "-o",
            "customer.tlog-proof",
        ],
        d,
    );
    let o = glassbox_in(&["log", "monitor", "--vkey", "L/vkey", "L"], d);
    assert_eq!(code(&o), 0, "{o:?}");
    let o = glassbox_in(
        &[
            "log",
            "monitor",
            "--vkey",
            "L/vkey",
            "L",
            "customer.tlog-proof",
        ],
        d,
    );
    assert_eq!(code(&o), 1, "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("SPLIT VIEW"), "{out}");
    assert_eq!(out.matches("--- evidence").count(), 2);
    let o = glassbox_in(
        &[
            "log", "monitor", "--vkey", "L/vkey", "L", "F", "--format", "json",
        ],
        d,
    );
    assert_eq!(code(&o), 1);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["split_views"].as_array().unwrap().len(), 1);
    assert_eq!(
        code(&glassbox_in(
            &["log", "monitor", "--vkey", "nonsense", "L"],
            d
        )),
        2
    );
}

#[test]
fn concurrent_append_processes_are_serialised() {
    let t = setup();
    let d = t.path();
    let mut children = Vec::new();
    for p in 0..4 {
        let mut files = Vec::new();
        for i in 0..10 {
            let name = format!("p{p}-{i}.bin");
            std::fs::write(d.join(&name), format!("process {p} file {i}")).unwrap();
            files.push(name);
        }
        children.push(
            Command::new(env!("CARGO_BIN_EXE_glassbox"))
                .args(["log", "append", "L"])
                .args(&files)
                .current_dir(d)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let log = glassbox_core::tlog::storage::Log::open(&d.join("L")).unwrap();
    assert_eq!(log.check().unwrap().checkpoint.size, 40);
    for p in 0..4 {
        for i in 0..10 {
            let o = glassbox_in(
                &["log", "prove", "L", "--file", &format!("p{p}-{i}.bin")],
                d,
            );
            assert_eq!(code(&o), 0, "p{p}-{i}");
        }
    }
}

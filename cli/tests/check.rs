//! `glassbox check` end to end: a real audit of the demo release signed
//! and logged at test time, then the customer's check of what it received.

mod common;
use common::{Listening, copy_dir, demo_path, expect, glassbox, keygen, succeed, text as out};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glassbox_core::tlog::{LogSigner, key};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A log, the auditor's report of demo 1.1.0 (directory) appended to it,
/// and the paths a customer's check needs.
struct Published {
    dir: tempfile::TempDir,
}

impl Published {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("log.key"),
            key::pkcs8_pem(&key::generate_pkcs8().unwrap()),
        )
        .unwrap();
        let init = glassbox(&[
            "log",
            "init",
            s(&d.join("log")),
            "--origin",
            "check.test/log",
            "--key",
            s(&d.join("log.key")),
        ]);
        assert!(init.status.success(), "{}", out(&init));
        let case = format!(
            "vendor = \"ExampleAV\"\nproduct = \"ExampleAV Engine\"\n\
             [auditor]\nname = \"Test Auditor\"\nkey = \"{}\"\n\
             [release]\npath = \"{}\"\nversion = \"1.1.0\"\n\
             [verify]\npolicy = \"{}\"\n\
             [log]\ndir = \"{}\"\nkey = \"{}\"\n",
            demo_path("auditor/TEST-ONLY-auditor.key").display(),
            demo_path("releases/exampleav-1.1.0").display(),
            demo_path("policy.toml").display(),
            d.join("log").display(),
            d.join("log.key").display(),
        );
        std::fs::write(d.join("case.toml"), case).unwrap();
        let audit = glassbox(&[
            "audit",
            s(&d.join("case.toml")),
            "--time",
            "2026-07-01T12:00:00Z",
            "--output",
            s(&d.join("reports")),
        ]);
        assert!(audit.status.success(), "{}", out(&audit));
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// What a customer's check of this bundle is given; a test replaces
    /// one input (`CheckInputs { log: .., ..p.inputs() }`) to attack it.
    fn inputs(&self) -> CheckInputs {
        CheckInputs {
            log: s(&self.path("log")).to_owned(),
            vkey: self.path("log/vkey"),
            reports: self.path("reports"),
            auditor: demo_path("auditor/TEST-ONLY-auditor.key.pub"),
        }
    }

    /// `glassbox check TARGET` against this bundle, plus `extra` arguments.
    fn check(&self, target: &Path, extra: &[&str]) -> Output {
        self.inputs().check(target, extra)
    }
}

/// The inputs of `glassbox check` besides the target.
struct CheckInputs {
    /// A log directory or an http:// URL.
    log: String,
    vkey: PathBuf,
    reports: PathBuf,
    auditor: PathBuf,
}

impl CheckInputs {
    fn check(&self, target: &Path, extra: &[&str]) -> Output {
        let mut args = vec![
            "check",
            s(target),
            "--log",
            &self.log,
            "--vkey",
            s(&self.vkey),
            "--reports",
            s(&self.reports),
            "--auditor-key",
            s(&self.auditor),
        ];
        args.extend_from_slice(extra);
        glassbox(&args)
    }
}

#[test]
fn audited_release_passes_in_every_form_it_can_arrive_in() {
    let p = Published::new();
    let listing = p.path("manifest.json");
    let m = glassbox(&[
        "manifest",
        s(&demo_path("releases/exampleav-1.1.0")),
        "--format",
        "json",
    ]);
    std::fs::write(&listing, &m.stdout).unwrap();
    for target in [
        demo_path("releases/exampleav-1.1.0"),
        demo_path("releases/exampleav-1.1.0.tar.gz"),
        demo_path("releases/exampleav-1.1.0.zip"),
        listing,
    ] {
        let r = p.check(&target, &[]);
        let text = out(&r);
        assert_eq!(r.status.code(), Some(0), "{}: {text}", target.display());
        assert!(text.contains("15 file(s): 15 covered"), "{text}");
    }
}

#[test]
fn tampered_engine_fails_named_and_json_says_why() {
    let p = Published::new();
    for target in [
        "tampered/exampleav-1.1.0",
        "tampered/exampleav-1.1.0.tar.gz",
    ] {
        let r = p.check(&demo_path(target), &[]);
        expect(
            &r,
            1,
            &[
                "FAIL engine/avengine: not covered by any audit",
                "14 covered, 1 not covered",
            ],
        );
    }
    let r = p.check(
        &demo_path("tampered/exampleav-1.1.0"),
        &["--format", "json"],
    );
    assert_eq!(r.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let bad: Vec<&serde_json::Value> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "covered")
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["path"], "engine/avengine");
    assert_eq!(bad[0]["status"], "uncovered");
    assert_valid(&v);
}

/// Validates against the published schema (core/schema/).
fn assert_valid(v: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(include_str!(
        "../../core/schema/check-result.v1.schema.json"
    ))
    .unwrap();
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn an_extra_file_and_a_link_on_the_machine_are_named() {
    let p = Published::new();
    let machine = p.path("machine");
    copy_dir(&demo_path("releases/exampleav-1.1.0"), &machine);
    std::fs::write(machine.join("engine/helper.so"), b"not audited").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("avengine", machine.join("engine/av")).unwrap();
    let r = p.check(&machine, &[]);
    let text = expect(&r, 1, &["FAIL engine/helper.so: not covered by any audit"]);
    #[cfg(unix)]
    assert!(
        text.contains("FAIL engine/av: a symlink, not a regular file"),
        "{text}"
    );
    let j = p.check(&machine, &["--format", "json"]);
    assert_eq!(j.status.code(), Some(1));
    assert_valid(&serde_json::from_slice(&j.stdout).unwrap());
    // Modes are not part of what an auditor signs: a stricter mode on the
    // machine does not fail the check.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::remove_file(machine.join("engine/helper.so")).unwrap();
        std::fs::remove_file(machine.join("engine/av")).unwrap();
        std::fs::set_permissions(
            machine.join("engine/avengine"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let r = p.check(&machine, &[]);
        assert_eq!(r.status.code(), Some(0), "{}", out(&r));
    }
}

#[test]
fn a_report_signed_by_another_key_covers_nothing() {
    let p = Published::new();
    let other = p.path("other.key");
    keygen(&other, "ed25519");
    let pubkey = p.path("other.key.pub");
    let r = CheckInputs {
        auditor: pubkey,
        ..p.inputs()
    }
    .check(&demo_path("releases/exampleav-1.1.0"), &[]);
    expect(
        &r,
        1,
        &[
            "not verified with the auditor keys given",
            "0 covered, 15 not covered",
        ],
    );
}

#[test]
fn a_report_missing_from_the_log_is_unproved() {
    let p = Published::new();
    // Another log with the same key and origin that never held the report:
    // what a vendor controlling the log could show one customer.
    let other = p.path("other-log");
    let init = glassbox(&[
        "log",
        "init",
        s(&other),
        "--origin",
        "check.test/log",
        "--key",
        s(&p.path("log.key")),
    ]);
    assert!(init.status.success(), "{}", out(&init));
    let a = glassbox(&[
        "log",
        "append",
        s(&other),
        s(&demo_path("releases/exampleav-1.1.0.tar.gz")),
    ]);
    assert!(a.status.success(), "{}", out(&a));
    let r = CheckInputs {
        log: s(&other).to_owned(),
        ..p.inputs()
    }
    .check(&demo_path("releases/exampleav-1.1.0"), &[]);
    expect(&r, 1, &["not this report", "0 covered"]);
}

/// Cosigns the log's checkpoint as witness `name` (the local witness) and
/// publishes the cosigned note as the log's checkpoint. Returns the
/// witness's verifier key.
fn cosign(p: &Published, name: &str) -> String {
    let der = key::generate_pkcs8().unwrap();
    let keyfile = p.path(&format!("{}.key", name.replace('/', "_")));
    std::fs::write(&keyfile, key::pkcs8_pem(&der)).unwrap();
    let cp = p.path("log/checkpoint");
    let w = glassbox(&[
        "log",
        "witness",
        "--log",
        s(&p.path("log")),
        "--state",
        s(&p.path(&format!("wstate-{}", name.replace('/', "_")))),
        "--key",
        s(&keyfile),
        "--name",
        name,
        "--vkey",
        s(&p.path("log/vkey")),
        "--output",
        s(&cp),
    ]);
    assert!(w.status.success(), "{}", out(&w));
    LogSigner::witness_from_pkcs8(name, &der)
        .unwrap()
        .verifier_key()
        .to_string()
}

#[test]
fn quorum_counts_cosignatures_stored_with_the_checkpoint() {
    let p = Published::new();
    let w1 = cosign(&p, "w1.test/witness");
    let w2 = {
        let der = key::generate_pkcs8().unwrap();
        LogSigner::witness_from_pkcs8("w2.test/witness", &der)
            .unwrap()
            .verifier_key()
            .to_string()
    };
    let target = demo_path("releases/exampleav-1.1.0");
    let witnesses = ["--witness-vkey", &w1, "--witness-vkey", &w2];
    let one = [&witnesses[..], &["--quorum", "1"]].concat();
    let r = p.check(&target, &one);
    assert_eq!(r.status.code(), Some(0), "{}", out(&r));
    assert!(out(&r).contains("cosigned by 1 witness(es) (quorum 1)"));
    let two = [&witnesses[..], &["--quorum", "2"]].concat();
    let r = p.check(&target, &two);
    let text = expect(&r, 1, &["witness quorum not met: 1 of 2 cosignatures"]);
    // One reason for every file, said once.
    assert!(
        text.contains("FAIL 15 file(s) covered by a report that cannot be proved"),
        "{text}"
    );
    assert!(!text.contains("FAIL CHANGELOG.md"), "{text}");
    // A quorum above the keys given is a usage error, not a pass.
    let r = p.check(&target, &["--witness-vkey", &w1, "--quorum", "2"]);
    assert_eq!(r.status.code(), Some(2), "{}", out(&r));
}

#[test]
fn state_catches_a_fork_shown_after_the_real_log() {
    let p = Published::new();
    let target = demo_path("releases/exampleav-1.1.0");
    let state = p.path("state");
    let st = ["--state", s(&state)];
    // The fork: a copy of the log as it is now, which then grows apart.
    copy_dir(&p.path("log"), &p.path("fork"));
    let r = p.check(&target, &st);
    assert_eq!(r.status.code(), Some(0), "{}", out(&r));
    assert!(out(&r).contains("state: first checkpoint stored"));
    let grow = |log: &str, file: &str| {
        let a = glassbox(&["log", "append", s(&p.path(log)), s(&demo_path(file))]);
        assert!(a.status.success(), "{}", out(&a));
    };
    grow("log", "releases/exampleav-1.1.0.zip");
    let r = p.check(&target, &st);
    assert_eq!(r.status.code(), Some(0), "{}", out(&r));
    assert!(out(&r).contains("state: consistent with size"));
    // The same size as the checkpoint stored, another entry: a split view.
    grow("fork", "tampered/exampleav-1.1.0.zip");
    std::fs::remove_dir_all(p.path("log")).unwrap();
    std::fs::rename(p.path("fork"), p.path("log")).unwrap();
    let r = p.check(&target, &st);
    expect(&r, 1, &["SPLIT VIEW", "same size, another root hash"]);
    let j = p.check(&target, &[&st[..], &["--format", "json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(v["log"]["state"]["updated"], false);
    assert_valid(&v);
    // Grown past the stored size, the fork still does not extend it.
    grow("log", "tampered/exampleav-1.1.0.tar.gz");
    let r = p.check(&target, &st);
    expect(&r, 1, &["consistency proof does not verify"]);
    // Without the state the fork's own checkpoint is fine: only the
    // memory of what this machine saw catches it.
    assert_eq!(p.check(&target, &[]).status.code(), Some(0));
}

#[test]
fn unusable_input_is_exit_2() {
    let p = Published::new();
    let r = p.check(Path::new("/nonexistent/target"), &[]);
    assert_eq!(r.status.code(), Some(2), "{}", out(&r));
    let empty = p.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = CheckInputs {
        reports: empty,
        ..p.inputs()
    }
    .check(&demo_path("releases/exampleav-1.1.0"), &[]);
    expect(&r, 2, &["no report.dsse.json found"]);
}

/// The published log served by `glassbox log serve` on loopback (port 0),
/// stopped on drop.
fn serve(dir: &Path) -> Listening {
    Listening::start(
        &["log", "serve", s(dir), "--listen", "127.0.0.1:0"],
        Path::new("."),
    )
}

#[test]
fn over_http_the_log_gives_the_same_verdicts() {
    let p = Published::new();
    let served = serve(&p.path("log"));
    let url = served.url.clone();
    let inputs = CheckInputs {
        log: url.clone(),
        ..p.inputs()
    };
    let over_http = |target: &Path| inputs.check(target, &[]);
    let r = over_http(&demo_path("releases/exampleav-1.1.0"));
    assert_eq!(r.status.code(), Some(0), "{}", out(&r));
    assert!(out(&r).contains("15 file(s): 15 covered"), "{}", out(&r));
    let r = over_http(&demo_path("tampered/exampleav-1.1.0"));
    assert_eq!(r.status.code(), Some(1), "{}", out(&r));
    assert!(
        out(&r).contains("FAIL engine/avengine: not covered by any audit"),
        "{}",
        out(&r)
    );
    // With the server gone, the check cannot prove anything: unusable
    // input (exit 2) naming the URL, not a pass.
    drop(served);
    let r = over_http(&demo_path("releases/exampleav-1.1.0"));
    assert_eq!(r.status.code(), Some(2), "{}", out(&r));
    assert!(out(&r).contains(&url), "{}", out(&r));
}

// ---- Adversary cases (issue 16): each tries to get a false PASS. ----

/// `!` is legal in a file name, and `manifest` also uses it to address
/// members of nested archives. A file `engine/avengine!payload` installed
/// beside the audited `engine/avengine` was skipped as if it were a member
/// of it, and the listing passed. It must be judged like any other file.
#[test]
fn a_name_holding_bang_in_a_listing_is_judged_not_skipped() {
    let p = Published::new();
    let machine = p.path("machine");
    copy_dir(&demo_path("releases/exampleav-1.1.0"), &machine);
    std::fs::write(machine.join("engine/avengine!payload"), b"not audited").unwrap();
    let m = glassbox(&["manifest", s(&machine), "--format", "json"]);
    assert!(m.status.success(), "{}", out(&m));
    let listing = p.path("machine.json");
    std::fs::write(&listing, &m.stdout).unwrap();
    for target in [&machine, &listing] {
        let r = p.check(target, &[]);
        let text = out(&r);
        assert_eq!(r.status.code(), Some(1), "{}: {text}", target.display());
        assert!(
            text.contains("FAIL engine/avengine!payload: not covered by any audit"),
            "{text}"
        );
    }
}

/// A real nested member of an expanded archive in a listing whose
/// top-level format is the same (a zip in a zip) has the same JSON as a
/// top-level member named `a.zip!x`: the check refuses to pick a reading.
#[test]
fn a_listing_with_two_readings_of_a_bang_name_is_refused() {
    let p = Published::new();
    let work = p.path("zipwork");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("inner"), b"in").unwrap();
    std::fs::write(work.join("a.zip!evil"), b"evil").unwrap();
    let zip = |args: &[&str]| {
        succeed(Command::new("zip").current_dir(&work).arg("-q").args(args));
    };
    zip(&["a.zip", "inner"]);
    zip(&["outer.zip", "a.zip", "a.zip!evil"]);
    let m = glassbox(&["manifest", s(&work.join("outer.zip")), "--format", "json"]);
    assert!(m.status.success(), "{}", out(&m));
    let listing = p.path("outer.json");
    std::fs::write(&listing, &m.stdout).unwrap();
    let r = p.check(&listing, &[]);
    expect(
        &r,
        2,
        &[
            "cannot tell a member of the nested zip a.zip from a top-level name",
            "--no-nested",
        ],
    );
}

/// Coverage is by (path, content), not by content alone: an audited
/// file's bytes at another path (a copy, a hard link) or in place of
/// another audited file are not what the auditor saw there.
#[test]
fn audited_content_at_another_path_is_not_covered() {
    let p = Published::new();
    let machine = p.path("machine");
    copy_dir(&demo_path("releases/exampleav-1.1.0"), &machine);
    // engine/avengine now holds libscan.so's bytes (both audited).
    std::fs::copy(
        demo_path("releases/exampleav-1.1.0/engine/libscan.so"),
        machine.join("engine/avengine"),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::hard_link(
        machine.join("engine/libscan.so"),
        machine.join("engine/libscan2.so"),
    )
    .unwrap();
    let r = p.check(&machine, &[]);
    let text = expect(&r, 1, &["audited engine/avengine with other content"]);
    #[cfg(unix)]
    assert!(
        text.contains("FAIL engine/libscan2.so: not covered by any audit"),
        "{text}"
    );
    // The same bytes received as a lone file under another name: a single
    // file is matched by digest only against releases audited as one file.
    let lone = p.path("avengine");
    std::fs::copy(demo_path("releases/exampleav-1.1.0/engine/avengine"), &lone).unwrap();
    let r = p.check(&lone, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", out(&r));
}

/// A listing naming one path twice with two contents, or a `..` path:
/// each entry is judged, and the one the audit did not see fails.
#[test]
fn a_listing_with_duplicate_and_dotdot_paths_fails() {
    let p = Published::new();
    let m = glassbox(&[
        "manifest",
        s(&demo_path("releases/exampleav-1.1.0")),
        "--format",
        "json",
    ]);
    let mut v: serde_json::Value = serde_json::from_slice(&m.stdout).unwrap();
    let entries = v["entries"].as_array_mut().unwrap();
    let mut dup = entries
        .iter()
        .find(|e| e["path"] == "engine/avengine")
        .unwrap()
        .clone();
    dup["digests"]["sha256"] = serde_json::Value::String("00".repeat(32));
    let mut up = dup.clone();
    up["path"] = serde_json::Value::String("../engine/avengine".into());
    entries.push(dup);
    entries.push(up);
    let listing = p.path("dup.json");
    std::fs::write(&listing, serde_json::to_vec(&v).unwrap()).unwrap();
    let r = p.check(&listing, &[]);
    expect(
        &r,
        1,
        &[
            "audited engine/avengine with other content",
            "FAIL ../engine/avengine: not covered by any audit",
            "17 file(s): 15 covered",
        ],
    );
}

/// One witness whose key the customer was given under two names: the
/// cosigned message does not include the name, so the witness's one
/// signature, relabelled, verifies under the second name too. A quorum of
/// 2 must still count one witness.
#[test]
fn one_witness_key_under_two_names_is_one_cosignature() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let p = Published::new();
    let w1 = cosign(&p, "w1.test/witness");
    let der = key::pkcs8_der(&std::fs::read(p.path("w1.test_witness.key")).unwrap()).unwrap();
    let w2 = LogSigner::witness_from_pkcs8("w2.test/witness", &der)
        .unwrap()
        .verifier_key()
        .to_string();
    let w2_id = hex::decode(w2.split('+').nth(1).unwrap()).unwrap();
    // Copy w1's signature line under w2's name and key ID.
    let cp_path = p.path("log/checkpoint");
    let cp = std::fs::read_to_string(&cp_path).unwrap();
    let line = cp
        .lines()
        .find(|l| l.starts_with("— w1.test/witness "))
        .unwrap();
    let mut body = b64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    body[..4].copy_from_slice(&w2_id);
    let forged = format!("{cp}— w2.test/witness {}\n", b64.encode(&body));
    std::fs::write(&cp_path, forged).unwrap();
    let target = demo_path("releases/exampleav-1.1.0");
    let r = p.check(
        &target,
        &[
            "--witness-vkey",
            &w1,
            "--witness-vkey",
            &w2,
            "--quorum",
            "2",
        ],
    );
    expect(&r, 1, &["witness quorum not met: 1 of 2 cosignatures"]);
}

/// A FIFO on the machine is named as not a file (reading it would block
/// forever); an empty target covers nothing and does not pass.
#[cfg(unix)]
#[test]
fn a_fifo_is_not_read_and_an_empty_target_does_not_pass() {
    let p = Published::new();
    let machine = p.path("machine");
    copy_dir(&demo_path("releases/exampleav-1.1.0"), &machine);
    succeed(Command::new("mkfifo").arg(machine.join("engine/pipe")));
    let r = p.check(&machine, &[]);
    expect(&r, 1, &["FAIL engine/pipe: a ", "not a regular file"]);
    let empty = p.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = p.check(&empty, &[]);
    expect(&r, 1, &["0 file(s)", "CHECK FAILED"]);
}

/// A received tar whose one name two extractors read differently (a
/// member twice, the second one unaudited bytes): the check cannot say
/// which file the machine holds, so it refuses (exit 2), never passes.
#[test]
fn an_archive_the_reader_flags_is_refused() {
    let p = Published::new();
    let tar = p.path("dup.tar");
    succeed(
        Command::new("python3")
            .arg("-c")
            .arg(
                "import io,sys,tarfile\n\
                 t=tarfile.open(sys.argv[1],'w',format=tarfile.USTAR_FORMAT)\n\
                 good=open(sys.argv[2],'rb').read()\n\
                 for data in (good, b'evil'):\n\
                 \x20   i=tarfile.TarInfo('engine/avengine'); i.size=len(data)\n\
                 \x20   t.addfile(i, io.BytesIO(data))\n\
                 t.close()\n",
            )
            .arg(&tar)
            .arg(demo_path("releases/exampleav-1.1.0/engine/avengine")),
    );
    let r = p.check(&tar, &[]);
    expect(&r, 2, &["the name `engine/avengine` occurs twice"]);
}

/// With a state, a log that later shows a smaller tree (a rollback to
/// hide a newer entry) is a split view.
#[test]
fn state_catches_a_rollback() {
    let p = Published::new();
    let target = demo_path("releases/exampleav-1.1.0");
    let state = p.path("state");
    let st = ["--state", s(&state)];
    copy_dir(&p.path("log"), &p.path("old"));
    let a = glassbox(&[
        "log",
        "append",
        s(&p.path("log")),
        s(&demo_path("releases/exampleav-1.1.0.zip")),
    ]);
    assert!(a.status.success(), "{}", out(&a));
    assert_eq!(p.check(&target, &st).status.code(), Some(0));
    std::fs::remove_dir_all(p.path("log")).unwrap();
    std::fs::rename(p.path("old"), p.path("log")).unwrap();
    let r = p.check(&target, &st);
    expect(&r, 1, &["SPLIT VIEW", "the tree is smaller (a rollback)"]);
}

/// The log's key signing a checkpoint whose origin line is another log's:
/// the key name the customer trusts is the origin, so it does not verify.
#[test]
fn a_checkpoint_for_another_origin_is_refused() {
    let p = Published::new();
    let der = key::pkcs8_der(&std::fs::read(p.path("log.key")).unwrap()).unwrap();
    let signer = LogSigner::from_pkcs8("check.test/log", &der).unwrap();
    let cp_path = p.path("log/checkpoint");
    let cp = std::fs::read_to_string(&cp_path).unwrap();
    let body = cp.split("\n\n").next().unwrap();
    let other = body.replacen("check.test/log", "other.test/log", 1) + "\n";
    let note = signer.sign_note(&other).unwrap();
    std::fs::write(&cp_path, note.to_bytes()).unwrap();
    let r = p.check(&demo_path("releases/exampleav-1.1.0"), &[]);
    expect(
        &r,
        1,
        &["checkpoint not signed by the log key for this origin (other.test/log)"],
    );
}

/// A symlink planted at the temporary name of a state file (a state
/// directory shared with another user) must not make `check` or the
/// witness truncate and overwrite the file it points to.
#[cfg(unix)]
#[test]
fn a_symlink_planted_at_a_state_temporary_is_not_followed() {
    let p = Published::new();
    let victim = p.path("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let state = p.path("state");
    std::fs::create_dir_all(&state).unwrap();
    let file = glassbox_core::check::state_file(&state, "check.test/log");
    std::os::unix::fs::symlink(&victim, file.with_extension("checkpoint.tmp")).unwrap();
    let r = p.check(
        &demo_path("releases/exampleav-1.1.0"),
        &["--state", s(&state)],
    );
    assert_eq!(r.status.code(), Some(0), "{}", out(&r));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(std::fs::symlink_metadata(&file).unwrap().is_file());
    // The witness's state: `cosign` keeps it in wstate-<name>.
    let wstate = p.path("wstate-w1.test_witness");
    std::fs::create_dir_all(&wstate).unwrap();
    let mut tmp =
        glassbox_core::tlog::witness::state_file(&wstate, "check.test/log").into_os_string();
    tmp.push(".tmp");
    std::os::unix::fs::symlink(&victim, &tmp).unwrap();
    cosign(&p, "w1.test/witness");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

/// The auditor's report with a second signature line appended (a copy of
/// the good one, in the form glassbox writes): DSSE would let a verifier
/// ignore a signature it cannot check, glassbox refuses any envelope that
/// is not exactly what it wrote, so the report covers nothing.
#[test]
fn a_report_with_a_second_signature_covers_nothing() {
    let p = Published::new();
    let report = std::fs::read_dir(p.path("reports"))
        .unwrap()
        .map(|e| e.unwrap().path().join("report.dsse.json"))
        .find(|f| f.exists())
        .unwrap();
    succeed(
        Command::new("python3")
            .arg("-c")
            .arg(
                "import json,sys\n\
                 b=open(sys.argv[1],'rb').read(); d=json.loads(b)\n\
                 forms=[dict(separators=(',',':')), dict(indent=2), dict()]\n\
                 f=[f for f in forms if json.dumps(d,**f).encode()+b'\\n'==b or json.dumps(d,**f).encode()==b][0]\n\
                 d['signatures'].append(dict(d['signatures'][0]))\n\
                 open(sys.argv[1],'wb').write(json.dumps(d,**f).encode()+(b'\\n' if b.endswith(b'\\n') else b''))\n",
            )
            .arg(&report)
    );
    let r = p.check(&demo_path("releases/exampleav-1.1.0"), &[]);
    expect(
        &r,
        1,
        &[
            "the envelope carries 2 signatures; glassbox writes exactly one",
            "0 covered",
        ],
    );
}

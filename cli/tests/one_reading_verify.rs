//! The issue-18 attack end to end: the demo release with one extra member
//! whose GNU long name says `engine/avengine.p7s` (a spare signature, which
//! glassbox used to see) and whose pax `path` says `engine/avengine` (the
//! tampered engine GNU tar installs). `glassbox verify` must not say
//! VERIFIED.

mod common;
use common::{demo_path, glassbox, items, stderr, stdout, succeed};

use std::path::{Path, PathBuf};
use std::process::Command;

/// A block-padded member: `header` then `data`.
fn member(typeflag: u8, name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut h = if typeflag == b'x' {
        tar::Header::new_ustar()
    } else {
        tar::Header::new_gnu()
    };
    h.set_size(data.len() as u64);
    h.set_mode(0o755);
    h.set_mtime(1_781_514_000);
    h.set_uid(0);
    h.set_gid(0);
    h.as_mut_bytes()[..name.len()].copy_from_slice(name);
    h.as_mut_bytes()[156] = typeflag;
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

#[test]
fn long_name_and_pax_path_that_disagree_do_not_verify() {
    let t = tempfile::tempdir().unwrap();
    let original = demo_path("releases/exampleav-1.1.0.tar.gz");
    let mut tar = succeed(Command::new("gzip").arg("-dc").arg(&original));
    // Drop the end-of-archive blocks, append the attack, end it again.
    while tar.len() >= 512 && tar[tar.len() - 512..].iter().all(|b| *b == 0) {
        tar.truncate(tar.len() - 512);
    }
    let evil = b"#!/bin/sh\necho tampered engine\n";
    let mut long = b"engine/avengine.p7s".to_vec();
    long.push(0);
    tar.extend(member(b'L', b"././@LongLink", &long));
    tar.extend(member(b'x', b"PaxHeader", b"24 path=engine/avengine\n"));
    tar.extend(member(b'0', b"engine/avengine.p7s", evil));
    tar.extend_from_slice(&[0u8; 1024]);
    let plain = t.path().join("exampleav-1.1.0.tar");
    std::fs::write(&plain, &tar).unwrap();
    let gz = succeed(Command::new("gzip").arg("-9nc").arg(&plain));
    let attacked = t.path().join("exampleav-1.1.0.tar.gz");
    std::fs::write(&attacked, gz).unwrap();

    // The attack is real: GNU tar installs the tampered engine.
    let out = t.path().join("x");
    std::fs::create_dir(&out).unwrap();
    succeed(
        Command::new("tar")
            .arg("-xzf")
            .arg(&attacked)
            .arg("-C")
            .arg(&out),
    );
    assert_eq!(std::fs::read(out.join("engine/avengine")).unwrap(), evil);

    let policy = demo_path("policy.toml");
    let policy = policy.to_str().unwrap();
    let ok = glassbox(&["verify", original.to_str().unwrap(), "--policy", policy]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let bad = glassbox(&["verify", attacked.to_str().unwrap(), "--policy", policy]);
    let text = format!("{}{}", stdout(&bad), stderr(&bad));
    // A refused archive is a failed verification (exit 1, critical in the
    // audit), not an input error: the reader's reason is the failed check.
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("one-reading"), "{text}");

    // The audit of the attacked archive: FAIL with a critical finding
    // carrying the reader's reason, never PASS and never "could not run".
    let case = t.path().join("case.toml");
    std::fs::write(
        &case,
        format!(
            "vendor = \"ExampleAV\"\nproduct = \"ExampleAV Engine\"\n\
             [auditor]\nname = \"Test\"\nkey = \"{key}\"\n\
             [release]\npath = \"{release}\"\nversion = \"1.1.0\"\n\
             [verify]\npolicy = \"{policy}\"\n",
            key = demo_path("auditor/TEST-ONLY-auditor.key").display(),
            release = attacked.display(),
        ),
    )
    .unwrap();
    let reports = t.path().join("reports");
    let audit = glassbox(&[
        "audit",
        case.to_str().unwrap(),
        "--time",
        "2026-06-01T00:00:00Z",
        "--output",
        reports.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&audit.stderr).into_owned();
    assert_eq!(audit.status.code(), Some(1), "{text}");
    let json = walk_for(&reports, "report.json").expect("the audit writes report.json");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(report["summary"]["verdict"], "fail", "{report}");
    let critical = items(&report["findings"])
        .find(|f| f["severity"] == "critical" && f.to_string().contains("one-reading"));
    assert!(critical.is_some(), "{report}");
    let step = items(&report["steps"])
        .find(|s| s["check"] == "verify")
        .unwrap();
    assert_eq!(step["status"], "failed", "{report}");
    assert!(
        step["summary"]
            .as_str()
            .unwrap()
            .starts_with("release refused by the reader (one-reading)"),
        "{report}"
    );
}

/// The first file called `name` below `dir`.
fn walk_for(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if let Some(found) = walk_for(&p, name) {
                return Some(found);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

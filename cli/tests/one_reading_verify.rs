//! The issue-18 attack end to end: the demo release with one extra member
//! whose GNU long name says `engine/avengine.p7s` (a spare signature, which
//! glassbox used to see) and whose pax `path` says `engine/avengine` (the
//! tampered engine GNU tar installs). `glassbox verify` must not say
//! VERIFIED.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn demo(p: &str) -> PathBuf {
    root().join("testdata/demo").join(p)
}

fn glassbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

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

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn long_name_and_pax_path_that_disagree_do_not_verify() {
    let t = tempfile::tempdir().unwrap();
    let original = demo("releases/exampleav-1.1.0.tar.gz");
    let mut tar = run(Command::new("gzip").arg("-dc").arg(&original));
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
    let gz = run(Command::new("gzip").arg("-9nc").arg(&plain));
    let attacked = t.path().join("exampleav-1.1.0.tar.gz");
    std::fs::write(&attacked, gz).unwrap();

    // The attack is real: GNU tar installs the tampered engine.
    let out = t.path().join("x");
    std::fs::create_dir(&out).unwrap();
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&attacked)
        .arg("-C")
        .arg(&out));
    assert_eq!(std::fs::read(out.join("engine/avengine")).unwrap(), evil);

    let policy = demo("policy.toml");
    let policy = policy.to_str().unwrap();
    let ok = glassbox(&["verify", original.to_str().unwrap(), "--policy", policy]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let bad = glassbox(&["verify", attacked.to_str().unwrap(), "--policy", policy]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert_ne!(bad.status.code(), Some(0), "{text}");
    assert!(!text.contains("VERIFIED"), "{text}");
    assert!(text.contains("engine/avengine"), "{text}");
}

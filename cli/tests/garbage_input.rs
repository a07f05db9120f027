//! Untrusted input never crashes glassbox: every command fed garbage (random
//! bytes, truncated archives, empty files, directories where files belong)
//! exits 2 with an `error:` line and no panic or backtrace.

mod common;
use common::{demo_path, glassbox_cmd, noise, stderr};

use std::path::PathBuf;
use std::process::Command;

fn glassbox() -> Command {
    let mut c = glassbox_cmd();
    c.env("RUST_BACKTRACE", "1");
    c
}

struct Garbage {
    _dir: tempfile::TempDir,
    files: Vec<PathBuf>,
    dir: PathBuf,
}

fn garbage() -> Garbage {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let demo = demo_path("");
    let tgz = std::fs::read(demo.join("releases/exampleav-1.1.0.tar.gz")).unwrap();
    let zip = std::fs::read(demo.join("releases/exampleav-1.1.0.zip")).unwrap();
    let mut pem = b"-----BEGIN CERTIFICATE-----\n".to_vec();
    pem.extend(b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END CERTIFICATE-----\n");
    let samples: Vec<(&str, Vec<u8>)> = vec![
        ("noise.bin", noise(4096, 7)),
        ("empty", Vec::new()),
        ("cut.tar.gz", tgz[..tgz.len() / 3].to_vec()),
        ("cut.zip", zip[..zip.len() / 2].to_vec()),
        ("bad.pem", pem),
        (
            "bad.json",
            b"{\"payloadType\": 7, \"signatures\": [".to_vec(),
        ),
        (
            "bad.toml",
            b"[x509]\nroots = [\"/nonexistent/root.pem\"]\nbogus = 1\n".to_vec(),
        ),
    ];
    let files = samples
        .into_iter()
        .map(|(name, bytes)| {
            let p = root.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let sub = root.join("somedir");
    std::fs::create_dir(&sub).unwrap();
    Garbage {
        _dir: dir,
        files,
        dir: sub,
    }
}

fn check(args: &[&str], allowed: &[i32]) {
    let out = glassbox().args(args).output().unwrap();
    let err = stderr(&out);
    let code = out.status.code();
    assert!(
        code.is_some_and(|c| allowed.contains(&c)),
        "glassbox {args:?}: exit {code:?}, stderr: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "glassbox {args:?} panicked: {err}"
    );
    if code == Some(2) {
        assert!(
            err.starts_with("error:"),
            "glassbox {args:?}: error output should start with `error:`: {err}"
        );
    }
}

#[test]
fn every_command_rejects_garbage_with_exit_2_and_no_panic() {
    let g = garbage();
    let out = tempfile::tempdir().unwrap();
    let fresh = |name: &str| out.path().join(name).display().to_string();
    let dir = g.dir.display().to_string();
    for f in &g.files {
        let f = f.display().to_string();
        let f = f.as_str();
        // Any byte string is a valid single-file release; only a corrupt
        // archive is an input error for the release readers.
        let archive = f.ends_with(".tar.gz") || f.ends_with(".zip");
        let reader_codes: &[i32] = if archive { &[2] } else { &[0, 1, 2] };
        check(&["manifest", f], reader_codes);
        check(&["chain", f, "--roots", f], &[2]);
        check(&["chain", "limbo", f], &[2]);
        check(&["verify", f, "--policy", f], &[2]);
        check(&["verify", &dir, "--policy", f], &[2]);
        check(
            &["sigstore", "verify-bundle", "--bundle", f, "--key", f, f],
            &[2],
        );
        check(&["diff", f, &dir], reader_codes);
        check(&["repro", f, &dir], reader_codes);
        check(&["repro", f, f], &[0, 2]);
        check(&["log", "verify-proof", f, "--vkey", f], &[2]);
        check(&["log", "append", f, f], &[2]);
        check(&["log", "monitor", "--vkey", f, f], &[2]);
        check(
            &["log", "init", &fresh("log"), "--origin", "x", "--key", f],
            &[2],
        );
        check(&["tuf", "verify", "--root", f, "--repo", &dir], &[2]);
        // The tuf-conformance protocol knows only success (0) and failure (1).
        check(
            &[
                "tuf",
                "client",
                "--metadata-dir",
                &fresh("tufmeta"),
                "init",
                f,
            ],
            &[1, 2],
        );
    }
    // Usage errors are exit 2 too.
    check(&["frobnicate"], &[2]);
    check(&["repro", "only-one-argument"], &[2]);
    check(&["manifest", "--max-depth", "many", "x"], &[2]);
}

//! `glassbox repro` end to end: exit codes, formats, and bad input.

mod common;
use common::{demo_path, glassbox_cmd};

#[test]
fn exit_codes_follow_the_verdict() {
    let vendor = demo_path("releases/exampleav-1.1.0.tar.gz");
    let run = |other: &str, extra: &[&str]| {
        glassbox_cmd()
            .arg("repro")
            .args(extra)
            .arg(&vendor)
            .arg(demo_path(other))
            .output()
            .unwrap()
    };
    let out = run("rebuild/exampleav-1.1.0.tar.gz", &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("verdict: EQUIVALENT"), "{text}");
    assert!(text.contains("engine/avengine.p7s"), "{text}");

    let out = run("tampered/exampleav-1.1.0.tar.gz", &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "different");
    assert_eq!(json["differences"][0]["path"], "engine/avengine");
    assert_eq!(json["differences"][0]["difference"], "content");

    let out = run("rebuild/exampleav-1.1.0.tar.gz", &["--strict"]);
    assert_eq!(out.status.code(), Some(1));

    let out = run("rebuild/exampleav-1.1.0.tar.gz", &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("| `gzip-header` | 1 |"), "{md}");
}

#[test]
fn garbage_and_missing_input_exit_2_with_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    // A file that claims to be gzip but is not.
    let bad = dir.path().join("bad.tar.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00garbage that is not deflate at all").unwrap();
    let truncated = dir.path().join("cut.zip");
    let zip = std::fs::read(demo_path("releases/exampleav-1.1.0.zip")).unwrap();
    std::fs::write(&truncated, &zip[..zip.len() / 2]).unwrap();
    for (a, b) in [
        (bad.clone(), demo_path("releases/exampleav-1.1.0.tar.gz")),
        (truncated.clone(), demo_path("releases/exampleav-1.1.0.zip")),
        (dir.path().join("missing"), bad.clone()),
    ] {
        let out = glassbox_cmd()
            .arg("repro")
            .arg(&a)
            .arg(&b)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{a:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: "), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = glassbox_cmd()
        .args(["repro", "--no-normalize", "mtime", "a", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

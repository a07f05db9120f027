//! `glassbox diff` end to end: exit codes, every output format, and the HTML
//! report loaded in headless Chromium.

mod common;
use common::{glassbox_in, stderr, stdout};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// Two small releases in `t`: `old/` and `new/`.
fn pair(t: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = (t.join("old"), t.join("new"));
    let elf = fs::read("/bin/true").unwrap();
    let mut patched = elf.clone();
    let at = patched.len() / 2;
    patched[at] ^= 0x01;
    write(&a, "app/main.py", b"print('hello <world>')\nexit(0)\n");
    write(
        &b,
        "app/main.py",
        b"print('hello <there> & \"world\"')\nexit(0)\n",
    );
    write(&a, "app/bin/engine", &elf);
    write(&b, "app/bin/engine", &patched);
    write(&a, "app/conf.toml", b"[server]\nport = 80\n");
    write(&b, "app/conf.toml", b"[server]\nport = 8080\n");
    write(&a, "app/old.txt", b"gone\n");
    write(&b, "app/added.txt", b"new\n");
    (a, b)
}

#[test]
fn exit_codes_identical_different_and_error() {
    let t = tempfile::tempdir().unwrap();
    let (a, _) = pair(t.path());
    let same = glassbox_in(
        &["diff", a.to_str().unwrap(), a.to_str().unwrap()],
        t.path(),
    );
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("identical"));
    let diff = glassbox_in(&["diff", "old", "new"], t.path());
    assert_eq!(diff.status.code(), Some(1), "{}", stderr(&diff));
    let text = stdout(&diff);
    assert!(text.contains("1 added, 1 removed, 3 modified"), "{text}");
    assert!(text.contains("M elf   app/bin/engine"), "{text}");
    assert!(text.contains("+print('hello <there> & \"world\"')"));
    let missing = glassbox_in(&["diff", "old", "nope"], t.path());
    assert_eq!(missing.status.code(), Some(2));
    let err = stderr(&missing);
    assert!(err.starts_with("error: new release nope"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let bad_glob = glassbox_in(&["diff", "old", "new", "--exclude", "a["], t.path());
    assert_eq!(bad_glob.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_glob.stderr).contains("invalid exclude pattern"));
}

#[test]
fn json_has_the_documented_fields_and_both_digests() {
    let t = tempfile::tempdir().unwrap();
    pair(t.path());
    let out = glassbox_in(&["diff", "old", "new", "--format", "json"], t.path());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "glassbox.diff/v1");
    assert_eq!(v["identical"], false);
    assert_eq!(v["summary"]["modified"], 3);
    let changes = v["changes"].as_array().unwrap();
    for c in changes {
        assert!(c["class"].is_string() && c["path"].is_string());
        if c["class"] == "modified" {
            assert_eq!(c["old"]["sha256"].as_str().unwrap().len(), 64);
            assert_eq!(c["new"]["sha256"].as_str().unwrap().len(), 64);
        }
    }
    let conf = changes
        .iter()
        .find(|c| c["path"] == "app/conf.toml")
        .unwrap();
    assert_eq!(
        conf["content"]["structured"]["changes"][0]["path"],
        "/server/port"
    );
    let engine = changes
        .iter()
        .find(|c| c["path"] == "app/bin/engine")
        .unwrap();
    assert_eq!(engine["content"]["binary"]["range_count"], 1);
}

#[test]
fn markdown_and_output_file_are_written_atomically() {
    let t = tempfile::tempdir().unwrap();
    pair(t.path());
    let out = glassbox_in(
        &[
            "diff", "old", "new", "--format", "markdown", "--output", "d.md",
        ],
        t.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let md = fs::read_to_string(t.path().join("d.md")).unwrap();
    assert!(md.starts_with("# Release diff"));
    assert!(md.contains("| 1 | 1 | 3 | 0 | 0 | 0 |"));
    let again = glassbox_in(
        &[
            "diff", "old", "new", "--format", "markdown", "--output", "d.md",
        ],
        t.path(),
    );
    assert_eq!(
        again.status.code(),
        Some(2),
        "refuses to overwrite without --force"
    );
}

/// The Chromium binary; the test that calls this is ignored unless the build
/// probe found one or `CI` is set (test_cfgs.rs), so a missing one fails.
fn chromium() -> &'static str {
    for c in ["chromium", "chromium-browser"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!("chromium is not installed (.ci/run installs it)");
}

#[test]
#[cfg_attr(
    not(any(ci, has_chromium, has_chromium_browser)),
    ignore = "needs chromium on PATH"
)]
fn html_report_loads_in_headless_chromium() {
    let browser = chromium();
    let t = tempfile::tempdir().unwrap();
    pair(t.path());
    for (name, cap) in [("full.html", "8000000"), ("small.html", "2500")] {
        let out = glassbox_in(
            &[
                "diff",
                "old",
                "new",
                "--format",
                "html",
                "--output",
                name,
                "--max-report-bytes",
                cap,
            ],
            t.path(),
        );
        assert_eq!(out.status.code(), Some(1));
        let file = t.path().join(name);
        let profile = t.path().join(format!("profile-{name}"));
        let dom = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(format!("file://{}", file.display()))
            .output()
            .expect("run chromium");
        assert!(dom.status.success(), "chromium failed: {}", stderr(&dom));
        let dom = stdout(&dom);
        // The DOM Chromium built: parsed tables and elements, not our bytes.
        assert!(dom.contains("<table id=\"summary\">"), "{dom}");
        assert!(dom.contains("<td>1</td><td>1</td><td>3</td>"));
        if name == "full.html" {
            assert_eq!(
                dom.matches("<details").count(),
                3,
                "one collapsible section per modified file"
            );
            assert!(
                dom.contains("<span class=\"e\">") && dom.contains("&lt;there&gt;"),
                "{dom}"
            );
            assert!(!dom.contains("id=\"truncated\""));
        } else {
            assert!(dom.contains("id=\"truncated\""));
            assert!(dom.contains("</table>"));
        }
    }
}

/// The diff page and the report page share one HTML escaper: a control
/// character in a vendor's file name or text line is shown as `\u{..}`,
/// never handed raw to the browser; a tab in code stays a tab.
#[test]
fn html_shows_control_characters_in_names_and_lines() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("old"), t.path().join("new"));
    write(&a, "src/lib.c", b"int x;\n\tint y;\n");
    write(&b, "src/lib.c", b"int x;\n\tint z;\x0cpage\n");
    write(&b, "src/evil\x1b[2Jname.txt", b"hidden\n");
    let out = glassbox_in(&["diff", "old", "new", "--format", "html"], t.path());
    assert_eq!(out.status.code(), Some(1));
    let h = String::from_utf8(out.stdout).unwrap();
    assert!(!h.contains('\u{1b}'), "raw ESC in the page");
    assert!(!h.contains('\u{c}'), "raw form feed in the page");
    // Names are shown escaped by the release reader already.
    assert!(h.contains("evil\\x1b[2Jname.txt"), "{h}");
    assert!(h.contains("z;\\u{c}page"), "{h}");
    assert!(h.contains("\tint "), "{h}");
}

/// Debian's signed fwupd EFI image against the unsigned build it signed
/// (osslsigncode remove-signature): every format names the Authenticode
/// signature — signer, digest, "code identical" — rather than showing the
/// certificate table as a byte range.
#[test]
#[cfg_attr(
    any(not(corpora), not(any(ci, has_osslsigncode))),
    ignore = "needs GLASSBOX_CORPORA and osslsigncode"
)]
fn authenticode_signature_is_named_in_every_format() {
    let t = tempfile::tempdir().unwrap();
    let (signed, unsigned) = common::fwupd_signed_and_unsigned(t.path());
    let run = |format: &str| {
        let o = glassbox_in(
            &[
                "diff".as_ref(),
                unsigned.as_os_str(),
                signed.as_os_str(),
                "--format".as_ref(),
                format.as_ref(),
            ],
            t.path(),
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stdout(&o)
    };
    for format in ["text", "markdown", "html"] {
        let out = run(format);
        for says in [
            "Authenticode signature added: code identical, signed",
            "signer none -&gt; CN=Debian Secure Boot Signer",
            "digest none -&gt; sha256 ",
            "not verified: run `glassbox verify` on the new file",
        ] {
            let says = if format == "html" {
                says.to_string()
            } else {
                says.replace("&gt;", ">")
            };
            assert!(out.contains(&says), "{format}: no {says:?} in\n{out}");
        }
        // The table, its directory entry and the CheckSum are no ranges.
        assert!(
            out.contains("0 bytes differ in 0 range(s)"),
            "{format}: the table shown as bytes:\n{out}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let a = &json["changes"][0]["content"]["authenticode"];
    assert_eq!(a["code_identical"], true);
    assert_eq!(a["old"]["signatures"].as_array().unwrap().len(), 0);
}

//! `glassbox diff` and `glassbox audit` on security-relevant metadata and
//! on repeated changes (issue 14, items 5 and 6): built here, run through
//! the binary, every output format checked.

mod common;
use common::{code, demo_path, expect_stdout, glassbox_in, json, stdout, text};

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn write(root: &Path, rel: &str, data: &[u8], mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

/// old/ and new/: `bin/tool` gains +x (chmod +x, same content), `bin/helper`
/// is new and setuid root, `lib/current.so` is retargeted from v1 to v2.
fn security_pair(t: &Path) {
    for side in ["old", "new"] {
        let r = t.join(side);
        write(&r, "bin/tool", b"#!/bin/sh\necho tool\n", 0o644);
        write(&r, "lib/v1.so", b"v1", 0o644);
        write(&r, "lib/v2.so", b"v2", 0o644);
    }
    fs::set_permissions(t.join("new/bin/tool"), fs::Permissions::from_mode(0o755)).unwrap();
    write(&t.join("new"), "bin/helper", b"#!/bin/sh\nid\n", 0o4755);
    std::os::unix::fs::symlink("v1.so", t.join("old/lib/current.so")).unwrap();
    std::os::unix::fs::symlink("v2.so", t.join("new/lib/current.so")).unwrap();
}

#[test]
fn chmod_x_setuid_and_retarget_are_shown_by_default_and_are_audit_findings() {
    let t = tempfile::tempdir().unwrap();
    security_pair(t.path());
    let out = glassbox_in(&["diff", "old", "new"], t.path());
    expect_stdout(
        &out,
        1,
        &[
            "security-relevant changes:\n",
            "  A bin/helper  setuid gained\n",
            "  m bin/tool  executable gained\n",
            "  m lib/current.so  link target changed\n",
            "m  bin/tool  (mode 0644 -> 0755, executable gained)\n",
        ],
    );
    let v = json(&glassbox_in(
        &["diff", "--format", "json", "old", "new"],
        t.path(),
    ));
    let security = |p: &str| {
        let c = common::items(&v["changes"])
            .find(|c| c["path"] == p)
            .unwrap_or_else(|| panic!("no change for {p}: {v}"));
        c["security"].clone()
    };
    assert_eq!(
        security("bin/helper"),
        serde_json::json!([{"flag": "setuid", "direction": "gained"}])
    );
    assert_eq!(
        security("bin/tool"),
        serde_json::json!([{"flag": "executable", "direction": "gained"}])
    );
    for format in ["markdown", "html"] {
        let s = stdout(&glassbox_in(
            &["diff", "--format", format, "old", "new"],
            t.path(),
        ));
        assert!(s.contains("Security-relevant changes"), "{format}: {s}");
        assert!(s.contains("setuid gained"), "{format}: {s}");
    }

    // The audit of the pair: each is a finding, the setuid file high.
    let report = audit_json(t.path());
    let findings: Vec<(String, String)> = common::items(&report["findings"])
        .filter(|f| f["check"] == "diff" && f["severity"] != "info")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("high", "bin/helper: setuid bit set since 1"),
        ("medium", "bin/tool: became executable since 1"),
        ("medium", "lib/current.so: link retargeted since 1"),
    ];
    for (sev, title) in want {
        assert!(
            findings.iter().any(|(s, t)| s == sev && t == title),
            "{sev} {title:?} missing from {findings:#?}"
        );
    }
}

/// Audits new/ against old/ in `t` (no verify, no rebuild) and returns the
/// report.
fn audit_json(t: &Path) -> serde_json::Value {
    fs::write(
        t.join("audit.toml"),
        format!(
            "vendor = \"V\"\nproduct = \"P\"\n[auditor]\nname = \"A\"\nkey = \"{}\"\n\
             [release]\npath = \"new\"\nversion = \"2\"\n\
             [previous]\npath = \"old\"\nversion = \"1\"\n",
            demo_path("auditor/TEST-ONLY-auditor.key").display()
        ),
    )
    .unwrap();
    let out = glassbox_in(
        &[
            "audit",
            "audit.toml",
            "--time",
            "2026-12-08T00:00:00Z",
            "--format",
            "json",
        ],
        t,
    );
    json(&out)
}

/// The audit's diff evidence (new/ against old/ in `t`) that starts with
/// `prefix`.
fn audit_evidence(t: &Path, prefix: &str) -> Vec<String> {
    let report = audit_json(t);
    common::items(&report["findings"])
        .filter(|f| f["check"] == "diff")
        .flat_map(|f| f["evidence"].as_array().into_iter().flatten())
        .filter_map(|e| e.as_str())
        .filter(|e| e.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// old/ and new/ with 50 man pages whose only change is the `.TH` line's
/// date and version (each line names its own page), and one page changed
/// otherwise.
fn man_page_pair(t: &Path) {
    let page = |i: usize, date: &str, version: &str| {
        format!(
            ".TH TOOL-{i} 1 \"{date}\" \"{version}\" \"Vendor\"\n.SH NAME\ntool-{i} \\- does {i}\n"
        )
    };
    for i in 0..50 {
        let name = format!("man/tool-{i}.1");
        write(
            &t.join("old"),
            &name,
            page(i, "2026-04-07", "3.0.20").as_bytes(),
            0o644,
        );
        write(
            &t.join("new"),
            &name,
            page(i, "2026-08-25", "3.0.22").as_bytes(),
            0o644,
        );
    }
    write(
        &t.join("old"),
        "man/other.1",
        b".TH OTHER 1\nold text\n",
        0o644,
    );
    write(
        &t.join("new"),
        "man/other.1",
        b".TH OTHER 1\nnew text\n",
        0o644,
    );
}

#[test]
fn fifty_files_changed_the_same_way_are_one_group_in_every_format() {
    let t = tempfile::tempdir().unwrap();
    man_page_pair(t.path());
    let headline = "same change in 50 files: .TH \"2026-04-07\" \"3.0.20\" → \"2026-08-25\" \"3.0.22\" (-1 +1 lines)";
    let run = |format: &str| {
        let out = glassbox_in(&["diff", "--format", format, "old", "new"], t.path());
        assert_eq!(code(&out), 1, "{}", text(&out));
        stdout(&out)
    };
    for format in ["text", "markdown", "html"] {
        let s = run(format);
        let shown = if format == "html" {
            headline.replace('"', "&quot;")
        } else {
            headline.to_string()
        };
        assert_eq!(s.matches(&shown).count(), 1, "{format}:\n{s}");
        // Every file is named, the change's detail is shown once, and the
        // page changed otherwise stays on its own.
        for i in 0..50 {
            assert!(s.contains(&format!("man/tool-{i}.1")), "{format}: tool-{i}");
        }
        assert_eq!(s.matches("2026-08-25").count(), 2, "{format}:\n{s}");
        assert!(s.contains("man/other.1"), "{format}");
    }
    let v = json(&glassbox_in(
        &["diff", "--format", "json", "old", "new"],
        t.path(),
    ));
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{v}");
    assert_eq!(groups[0]["count"], 50);
    assert_eq!(groups[0]["paths"].as_array().unwrap().len(), 50);
    assert_eq!(
        format!(
            "same change in 50 files: {}",
            groups[0]["description"].as_str().unwrap()
        ),
        headline
    );
    let other = common::items(&v["changes"])
        .find(|c| c["path"] == "man/other.1")
        .unwrap();
    assert!(other.get("group").is_none(), "{other}");
    // The audit's diff evidence names the group once, with its files.
    let evidence = audit_evidence(t.path(), "same change in 50 files: .TH");
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert!(evidence[0].contains("man/tool-49.1"), "{}", evidence[0]);
}

#[test]
fn a_page_that_also_changes_mode_is_not_hidden_in_the_group() {
    // The adversary's vendor makes one of the 50 pages 0600 besides its
    // `.TH` change: grouped with the others, its mode change was shown
    // only through the group's first page (which has none) and so not at
    // all. A different change is its own change.
    let t = tempfile::tempdir().unwrap();
    man_page_pair(t.path());
    fs::set_permissions(
        t.path().join("new/man/tool-7.1"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let out = glassbox_in(&["diff", "--include-metadata", "old", "new"], t.path());
    assert_eq!(code(&out), 1, "{}", text(&out));
    let s = stdout(&out);
    assert!(s.contains("same change in 49 files: .TH"), "{s}");
    assert!(s.contains("mode 0644 -> 0600"), "{s}");
}

/// `old.tar` with the setuid `{prefix}app/suid`, and `new.tar` that also
/// has `{prefix}app/doc.txt`, a tar hard link to it whose header says 0644
/// (Python's tarfile writes the header mode asked for). GNU tar and bsdtar
/// extract the link as the same inode: a new setuid path.
fn hardlink_to_setuid_tars(t: &Path, prefix: &str) {
    let script = r#"
import io, sys, tarfile
p = sys.argv[2]
with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT) as t:
    ti = tarfile.TarInfo(p + 'app/suid'); d = b'#!/bin/sh\nid\n'
    ti.size = len(d); ti.mode = 0o4755; t.addfile(ti, io.BytesIO(d))
    if len(sys.argv) > 3:
        ti = tarfile.TarInfo(p + 'app/doc.txt'); ti.type = tarfile.LNKTYPE
        ti.linkname = p + 'app/suid'; ti.mode = 0o644; t.addfile(ti)
"#;
    for args in [vec!["old.tar", prefix], vec!["new.tar", prefix, "link"]] {
        let st = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(&args)
            .current_dir(t)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

#[test]
fn a_new_hard_link_to_a_setuid_file_is_a_new_setuid_file() {
    // The adversary's vendor adds `app/doc.txt`, a hard link with header
    // mode 0644 to the setuid `app/suid`: it must be shown.
    let t = tempfile::tempdir().unwrap();
    hardlink_to_setuid_tars(t.path(), "");
    let out = glassbox_in(&["diff", "old.tar", "new.tar"], t.path());
    assert_eq!(code(&out), 1, "{}", text(&out));
    let s = stdout(&out);
    assert!(s.contains("A app/doc.txt  setuid gained"), "{s}");
}

#[test]
fn a_new_hard_link_to_a_setuid_file_in_a_nested_tar_is_a_new_setuid_file() {
    // The same inside a tar the release holds (as a .deb holds data.tar),
    // named `./app/...` as Debian's data.tar names its members: the link
    // took its own header's 0644 and `setuid gained` was shown nowhere.
    let t = tempfile::tempdir().unwrap();
    hardlink_to_setuid_tars(t.path(), "./");
    for side in ["old", "new"] {
        fs::create_dir(t.path().join(side)).unwrap();
        fs::rename(
            t.path().join(format!("{side}.tar")),
            t.path().join(side).join("inner.tar"),
        )
        .unwrap();
    }
    let out = glassbox_in(&["diff", "old", "new"], t.path());
    assert_eq!(code(&out), 1, "{}", text(&out));
    let s = stdout(&out);
    assert!(s.contains("A inner.tar!app/doc.txt  setuid gained"), "{s}");
    let report = audit_json(t.path());
    let high = common::items(&report["findings"]).any(|f| {
        f["severity"] == "high" && f["title"] == "inner.tar!app/doc.txt: setuid bit set since 1"
    });
    assert!(high, "{report}");
}

#[test]
fn a_group_shows_its_template_never_one_files_lines() {
    // The 50 pages' `.TH` lines each name their own page: the group shows
    // the line once with `{name}` for each page's name, and says so, in
    // every format; the first page's own line, shown as if it were every
    // page's, is not.
    let t = tempfile::tempdir().unwrap();
    man_page_pair(t.path());
    let template = "+.TH {name} 1 \"2026-08-25\" \"3.0.22\" \"Vendor\"";
    let note = "{name} standing for each file's own name";
    for format in ["text", "markdown", "html"] {
        let out = glassbox_in(&["diff", "--format", format, "old", "new"], t.path());
        let s = stdout(&out);
        let esc = |x: &str| {
            if format == "html" {
                x.replace('"', "&quot;").replace('\'', "&#39;")
            } else {
                x.to_string()
            }
        };
        assert!(s.contains(&esc(template)), "{format}:\n{s}");
        assert!(s.contains(&esc(note)), "{format}:\n{s}");
        assert!(
            !s.contains(&esc(".TH TOOL-0 1 \"2026-08-25\"")),
            "{format}:\n{s}"
        );
    }
    let v = json(&glassbox_in(
        &["diff", "--format", "json", "old", "new"],
        t.path(),
    ));
    assert_eq!(v["groups"][0]["placeholder"], "{name}");
    assert_eq!(
        v["groups"][0]["lines"],
        serde_json::json!([
            {"tag": "removed", "text": ".TH {name} 1 \"2026-04-07\" \"3.0.20\" \"Vendor\""},
            {"tag": "added", "text": ".TH {name} 1 \"2026-08-25\" \"3.0.22\" \"Vendor\""},
        ])
    );
    let evidence = audit_evidence(t.path(), "same change in 50 files");
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert!(evidence[0].contains(note), "{}", evidence[0]);
    assert!(evidence[0].contains(template), "{}", evidence[0]);
}

#[test]
fn files_that_gain_different_urls_are_never_one_group() {
    // The adversary's vendor: `evil.conf` gains `url=https://evil.com`,
    // `good.conf` gains `url=https://good.com`. With each file's name
    // masked the two lines were equal, the files grouped, and only
    // evil.conf's line was shown — read as if good.conf gained it too. A
    // line that carries an endpoint is compared as written: both URLs are
    // shown, in every format.
    let t = tempfile::tempdir().unwrap();
    for name in ["evil", "good"] {
        let conf = format!("etc/{name}.conf");
        for (side, text) in [
            ("old", format!("name={name}\n")),
            ("new", format!("name={name}\nurl=https://{name}.com\n")),
        ] {
            write(&t.path().join(side), &conf, text.as_bytes(), 0o644);
        }
    }
    for format in ["text", "markdown", "html", "json"] {
        let out = glassbox_in(&["diff", "--format", format, "old", "new"], t.path());
        assert_eq!(code(&out), 1, "{}", text(&out));
        let s = stdout(&out);
        for url in ["url=https://evil.com", "url=https://good.com"] {
            assert!(s.contains(url), "{format}: {url} missing from:\n{s}");
        }
        assert!(!s.contains("same change in"), "{format}:\n{s}");
    }
    let v = json(&glassbox_in(
        &["diff", "--format", "json", "old", "new"],
        t.path(),
    ));
    assert_eq!(v["groups"], serde_json::json!([]), "{v}");
    let grouped = audit_evidence(t.path(), "same change in");
    assert!(grouped.is_empty(), "{grouped:?}");
}

//! `glassbox manifest` end to end: formats, exit codes, and garbage input.

mod common;
use common::{glassbox_in, items, stderr, stdout, succeed};

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

fn s(x: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(x)
}

fn release(dir: &Path) {
    fs::create_dir_all(dir.join("bin")).unwrap();
    fs::write(dir.join("bin/engine"), b"\x7fELF....").unwrap();
    fs::write(dir.join("README"), b"hello\n").unwrap();
    fs::write(dir.join("back\\slash"), b"b").unwrap();
    fs::write(dir.join("new\nline"), b"n").unwrap();
    fs::write(dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9")), b"c").unwrap();
}

#[test]
fn sha256sum_format_is_accepted_by_sha256sum_check() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    release(&d);
    let out = glassbox_in(&[s("manifest"), s("--format"), s("sha256sum"), s(".")], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listing = t.path().join("SHA256SUMS");
    fs::write(&listing, &out.stdout).unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("\n\\3e23e816"),
        "escaped line for back\\slash: {text}"
    );
    let check = succeed(
        Command::new("sha256sum")
            .arg("-c")
            .arg(&listing)
            .current_dir(&d),
    );
    assert_eq!(String::from_utf8_lossy(&check).matches(": OK").count(), 5);
}

#[test]
fn text_and_json_list_every_entry() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    release(&d);
    let out = glassbox_in(&[s("manifest"), d.as_os_str()], t.path());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  6  file     README"
        ),
        "{text}"
    );
    assert!(text.contains("caf\\xe9"), "{text}");
    let out = glassbox_in(
        &[
            s("manifest"),
            s("--format"),
            s("json"),
            s("--sha512"),
            d.as_os_str(),
        ],
        t.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "glassbox.manifest/1");
    assert_eq!(v["format"], "directory");
    let readme = items(&v["entries"])
        .find(|e| e["path"] == "README")
        .unwrap();
    assert_eq!(readme["kind"], "file");
    assert_eq!(readme["size"], 6);
    assert_eq!(readme["digests"]["sha512"].as_str().unwrap().len(), 128);
}

#[test]
fn findings_give_exit_1_and_are_printed() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("rel");
    release(&d);
    std::os::unix::fs::symlink("/etc/passwd", d.join("pw")).unwrap();
    let out = glassbox_in(
        &[s("manifest"), s("--format"), s("sha256sum"), d.as_os_str()],
        t.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("finding: pw: symlink to `/etc/passwd` resolves outside"),
        "{err}"
    );
    assert_eq!(
        json_findings(&d, t.path(), 1),
        serde_json::json!([{"path": "pw", "kind": "symlink-escapes", "target": "/etc/passwd"}])
    );
}

/// `manifest --format json` of `release`, which must exit `code`: its
/// findings.
fn json_findings(release: &Path, dir: &Path, code: i32) -> serde_json::Value {
    let out = glassbox_in(
        &[s("manifest"), s("--format"), s("json"), release.as_os_str()],
        dir,
    );
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"].clone()
}

#[test]
fn garbage_input_exits_2_with_one_error_line_and_no_panic() {
    let t = tempfile::tempdir().unwrap();
    let junk = t.path().join("junk.tar.gz");
    fs::write(&junk, b"\x1f\x8b\x08\x00garbage that is not deflate at all").unwrap();
    let zipjunk = t.path().join("junk.zip");
    fs::write(&zipjunk, b"PK\x03\x04\xff\xff\xff\xff truncated").unwrap();
    let tarjunk = t.path().join("junk.tar");
    let mut block = vec![b'A'; 512];
    block[257..262].copy_from_slice(b"ustar");
    fs::write(&tarjunk, &block).unwrap();
    let fifo = t.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let cases: Vec<Vec<&std::ffi::OsStr>> = vec![
        vec![s("manifest"), fifo.as_os_str()],
        vec![s("manifest"), junk.as_os_str()],
        vec![s("manifest"), zipjunk.as_os_str()],
        vec![s("manifest"), tarjunk.as_os_str()],
        vec![s("manifest"), s("/nonexistent/release")],
        vec![s("manifest")],
        vec![s("manifest"), s("--format"), s("yaml"), s(".")],
        vec![s("manifest"), s("--max-ratio"), s("lots"), s(".")],
        vec![s("manifest"), s("--max-expanded-bytes"), s("12Q"), s(".")],
        vec![s("manifest"), s("--bogus-flag"), s(".")],
        vec![s("manifest"), std::ffi::OsStr::from_bytes(b"\xff\xfe")],
    ];
    for args in cases {
        let out = glassbox_in(&args, t.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{args:?}: {err}"
        );
        assert!(err.contains("error"), "{args:?}: {err}");
    }
}

#[test]
fn errors_name_the_archive_entry_and_offset() {
    let t = tempfile::tempdir().unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(4000);
    h.set_cksum();
    tar.append_data(&mut h, "payload.bin", &[9u8; 4000][..])
        .unwrap();
    let mut bytes = tar.into_inner().unwrap();
    bytes.truncate(2048);
    let p = t.path().join("cut.tar");
    fs::write(&p, &bytes).unwrap();
    let out = glassbox_in(&[s("manifest"), p.as_os_str()], t.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains("cut.tar") && err.contains("payload.bin") && err.contains("byte"),
        "{err}"
    );
}

/// Builds a `.deb` with dpkg-deb from a staging tree holding absolute
/// symlinks, as every Debian package with a configuration in /etc does.
fn deb_with_absolute_symlinks(t: &Path) -> std::path::PathBuf {
    let root = t.join("pkg");
    fs::create_dir_all(root.join("DEBIAN")).unwrap();
    fs::write(
        root.join("DEBIAN/control"),
        "Package: libdemo\nVersion: 1.0\nArchitecture: all\n\
         Maintainer: glassbox tests <tests@glassbox.invalid>\nDescription: demo\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("etc/ssl")).unwrap();
    fs::write(root.join("etc/ssl/openssl.cnf"), b"[openssl_init]\n").unwrap();
    fs::create_dir_all(root.join("usr/lib/ssl")).unwrap();
    std::os::unix::fs::symlink("/etc/ssl/openssl.cnf", root.join("usr/lib/ssl/openssl.cnf"))
        .unwrap();
    std::os::unix::fs::symlink("/etc/ssl/certs", root.join("usr/lib/ssl/certs")).unwrap();
    let deb = t.join("libdemo_1.0_all.deb");
    succeed(
        Command::new("dpkg-deb")
            .args(["-Zxz", "--root-owner-group", "--build"])
            .arg(&root)
            .arg(&deb),
    );
    deb
}

#[test]
fn absolute_symlinks_of_a_deb_are_information_and_exit_0() {
    let t = tempfile::tempdir().unwrap();
    let deb = deb_with_absolute_symlinks(t.path());
    let out = glassbox_in(&[s("manifest"), deb.as_os_str()], t.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("symlink  data.tar.xz!usr/lib/ssl/openssl.cnf -> /etc/ssl/openssl.cnf"),
        "{text}"
    );
    assert!(text.contains("0 findings, 1 info\n"), "{text}");
    assert!(
        text.contains(
            "info: data.tar.xz!usr/lib/ssl/certs: points outside the package: /etc/ssl/certs"
        ),
        "{text}"
    );
    assert_eq!(
        json_findings(&deb, t.path(), 0),
        serde_json::json!([{
            "path": "data.tar.xz!usr/lib/ssl/certs",
            "kind": "symlink-outside-package",
            "target": "/etc/ssl/certs"
        }])
    );
}

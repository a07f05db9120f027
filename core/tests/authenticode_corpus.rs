//! Authenticode on Debian's signed EFI images (the vendor-channels corpus,
//! `authenticode/`): every image of both packages, read through the release
//! reader from the .deb's data.tar, verifies against the Debian Secure Boot
//! CA, and its Authenticode digest is the one `osslsigncode verify`
//! calculates on the same bytes.

mod common;

use std::path::{Path, PathBuf};

use glassbox_core::policy::TrustPolicy;
use glassbox_core::release::{ReadOptions, Release};
use glassbox_core::sig::authenticode::{self, PeImage};
use glassbox_core::sig::cms::DigestAlgorithm;
use time::macros::datetime;

fn corpus_dir() -> PathBuf {
    common::corpora::corpus("vendor-channels/authenticode")
}

/// Every `*.efi.signed` in the two .debs, as (name, bytes), read through
/// `core::release` (the .deb's data.tar member).
fn efi_images() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for deb in [
        "fwupd-amd64-signed_1_1.4+1_amd64.deb",
        "grub-efi-amd64-signed_1+2.06+13+deb12u2_amd64.deb",
    ] {
        let release = Release::open(&corpus_dir().join(deb), &ReadOptions::default()).unwrap();
        release
            .visit_contents(
                &|e| e.path.to_string().ends_with(".efi.signed"),
                &mut |e, r| {
                    let mut b = Vec::new();
                    std::io::Read::read_to_end(r, &mut b).unwrap();
                    out.push((e.path.to_string(), b));
                    Ok(())
                },
            )
            .unwrap();
    }
    out.sort();
    assert_eq!(out.len(), 5, "1 fwupd image + 4 grub images");
    out
}

fn policy(dir: &Path, extra: &str) -> TrustPolicy {
    let p = dir.join("policy.toml");
    let ca = corpus_dir().join("debian-uefi-ca.pem");
    // Inside the 2022 signers' validity (2022-08-18 .. 2032-08-15).
    let text = format!(
        "[x509]\nroots = [{:?}]\n[validation]\ntime = \"2026-06-01T00:00:00Z\"\n{extra}",
        ca.display().to_string()
    );
    std::fs::write(&p, &text).unwrap();
    TrustPolicy::load(&p).unwrap()
}

/// `osslsigncode verify`'s "Calculated message digest" of `file`, lower-case hex.
fn osslsigncode_digest(file: &Path) -> String {
    let out = std::process::Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(corpus_dir().join("debian-uefi-ca.pem"))
        .arg("-in")
        .arg(file)
        .output()
        .expect("osslsigncode");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("Calculated message digest"))
        .unwrap_or_else(|| panic!("no digest in osslsigncode output:\n{text}"));
    line.rsplit(':').next().unwrap().trim().to_ascii_lowercase()
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn every_debian_efi_image_verifies_with_osslsigncode_digest() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path(), "");
    let now = datetime!(2026-12-08 00:00 UTC);
    for (name, bytes) in efi_images() {
        let v = authenticode::verify_pe(&bytes, &policy, now);
        assert!(v.verified, "{name}: {:#?}", v.failures);
        assert_eq!(v.signatures.len(), 1, "{name}");
        let s = &v.signatures[0];
        let signer = s.signer.as_ref().unwrap();
        assert!(
            signer
                .subject
                .starts_with("CN=Debian Secure Boot Signer 2022"),
            "{name}: {}",
            signer.subject
        );
        assert_eq!(signer.chain.len(), 2, "{name}: signer then the CA");
        let file = dir.path().join("image.efi");
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(
            v.authenticode_sha256.as_deref(),
            Some(osslsigncode_digest(&file).as_str()),
            "{name}"
        );
        assert_eq!(s.image_digest, v.authenticode_sha256, "{name}");
        if name.contains("fwupdx64") {
            assert!(
                v.authenticode_sha256
                    .as_deref()
                    .unwrap()
                    .starts_with("54563dba"),
                "the corpus README's digest"
            );
        }
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn a_changed_hashed_byte_fails_a_changed_checksum_byte_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path(), "");
    let now = datetime!(2026-12-08 00:00 UTC);
    let (_, original) = efi_images()
        .into_iter()
        .find(|(n, _)| n.contains("fwupdx64"))
        .unwrap();
    let e_lfanew = u32::from_le_bytes(original[0x3c..0x40].try_into().unwrap()) as usize;
    let checksum_at = e_lfanew + 24 + 64;
    let digest = PeImage::parse(&original)
        .unwrap()
        .digest(DigestAlgorithm::Sha256);

    // A byte of .text (hashed content): the digest changes, the signature fails.
    let mut code = original.clone();
    code[0x500] ^= 0x01;
    let v = authenticode::verify_pe(&code, &policy, now);
    assert!(!v.verified);
    assert_eq!(v.failures[0].check, "image-digest", "{:?}", v.failures);
    assert!(v.failures[0].reason.contains("changed after it was signed"));

    // A byte of the checksum field: same digest, still verified, the
    // mismatch noted.
    let mut sum = original.clone();
    sum[checksum_at] ^= 0x01;
    assert_eq!(
        PeImage::parse(&sum)
            .unwrap()
            .digest(DigestAlgorithm::Sha256),
        digest
    );
    let v = authenticode::verify_pe(&sum, &policy, now);
    assert!(v.verified, "{:?}", v.failures);
    assert!(!v.checksum.unwrap().matches);
    assert!(
        v.notes.iter().any(|n| n.contains("PE checksum")),
        "{:?}",
        v.notes
    );
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn outside_the_signers_validity_fails_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    let ca = corpus_dir().join("debian-uefi-ca.pem");
    std::fs::write(
        &p,
        format!(
            "[x509]\nroots = [{:?}]\n[validation]\ntime = \"2033-01-01T00:00:00Z\"\n",
            ca.display().to_string()
        ),
    )
    .unwrap();
    let policy = TrustPolicy::load(&p).unwrap();
    let (_, bytes) = efi_images().into_iter().next().unwrap();
    let v = authenticode::verify_pe(&bytes, &policy, datetime!(2026-12-08 00:00 UTC));
    assert!(!v.verified);
    assert_eq!(v.failures[0].check, "chain", "{:?}", v.failures);
}

/// In a release, each signed PE file is covered by its own signatures: the
/// Debian images verify, a tampered copy fails naming the digest, and a
/// PE-named file without a certificate table is unsigned (coverage judges it).
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn pe_files_in_a_release_are_covered_by_their_own_signatures() {
    use glassbox_core::sig::release::{CoverageStatus, SignatureKind, verify_release_at};
    let dir = tempfile::tempdir().unwrap();
    let rel = dir.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    let images = efi_images();
    let (_, fwupd) = images.iter().find(|(n, _)| n.contains("fwupdx64")).unwrap();
    std::fs::write(rel.join("fwupdx64.efi"), fwupd).unwrap();
    let mut tampered = fwupd.clone();
    tampered[0x600] ^= 0x20;
    std::fs::write(rel.join("tampered.efi"), &tampered).unwrap();
    // The same image with its certificate table removed: unsigned.
    let image = PeImage::parse(fwupd).unwrap();
    let table = image.entries[0].offset;
    let mut bare = fwupd[..table].to_vec();
    let e_lfanew = u32::from_le_bytes(bare[0x3c..0x40].try_into().unwrap()) as usize;
    bare[e_lfanew + 24 + 112 + 32..e_lfanew + 24 + 112 + 40].fill(0);
    std::fs::write(rel.join("unsigned.exe"), &bare).unwrap();

    let policy = policy(
        dir.path(),
        "[coverage]\nallow_unsigned = [\"unsigned.exe\"]\n",
    );
    let v = verify_release_at(&rel, &policy, datetime!(2026-12-08 00:00 UTC)).unwrap();
    let status = |p: &str| v.files.iter().find(|f| f.path == p).unwrap().status;
    assert_eq!(status("fwupdx64.efi"), CoverageStatus::Verified);
    assert_eq!(status("tampered.efi"), CoverageStatus::Failed);
    assert_eq!(status("unsigned.exe"), CoverageStatus::Unsigned);
    assert!(!v.verified);
    assert_eq!(v.failures.len(), 1, "{:#?}", v.failures);
    assert_eq!(v.failures[0].file, "tampered.efi");
    assert_eq!(v.failures[0].check, "image-digest");
    // Each PE file is its own signature: kind authenticode, named by the file.
    for (s, name) in v.signatures.iter().zip(["fwupdx64.efi", "tampered.efi"]) {
        assert_eq!(
            (s.signature.as_str(), s.kind),
            (name, SignatureKind::Authenticode)
        );
    }
    assert_eq!(v.authenticode.len(), 2);
    assert!(
        v.signers
            .iter()
            .any(|s| s.name == "CN=Debian Secure Boot Signer 2022 - fwupd"),
        "continuity sees the Authenticode signer: {:?}",
        v.signers
    );
}

//! Authenticode signatures in `diff` and `repro` (issue 13, item 3): PE
//! images built with the `object` crate, signed at test time with
//! `osslsigncode` by an openssl PKI. `diff` (the whole release differ, two
//! directories) describes the certificate table, its directory entry and
//! the CheckSum instead of showing them as byte ranges; `repro`'s
//! `authenticode-signature` normalization makes an unsigned rebuild
//! EQUIVALENT to the signed file, and nothing else.

mod common;

use common::Pki;
use common::pe::{build_pe, rfc3161_token, tool_test, with_rfc3161};

use glassbox_core::diff::{AuthenticodeDiff, ContentDiff, DiffOptions, ReleaseDiff, diff_paths};
use glassbox_core::repro::{Normalization, NormalizationSet, ReproOptions, ReproReport, Verdict};

/// Two roots, a code signer under each, a TSA (openssl, 2020 by faketime).
fn pki() -> Pki {
    let pki = Pki::at("2020-01-01 00:00:00");
    for name in ["root-a", "root-b"] {
        pki.key(name, "rsa:2048");
        pki.self_signed(name, &format!("/CN=Test {name}"), &[]);
    }
    for (name, ca, ext) in [
        ("signer-a", "root-a", "cs"),
        ("signer-b", "root-b", "cs"),
        ("tsa", "root-a", "tsa"),
    ] {
        pki.key(name, "rsa:2048");
        pki.issue_days(name, &format!("/CN=Test {name}"), ca, ext, 3650);
    }
    pki
}

fn image() -> Vec<u8> {
    build_pe(&[0xc3; 700], b"glassbox authenticode diff")
}

/// `pe` with one byte of its code (of [`image`]) changed.
fn patch_code(pe: &[u8]) -> Vec<u8> {
    let mut patched = pe.to_vec();
    let at = patched
        .windows(16)
        .position(|w| w == [0xc3; 16])
        .expect(".text is 700 bytes of 0xc3");
    patched[at] = 0x90;
    patched
}

/// Diffs `old` and `new` as `app.efi` in two directories.
fn diff(old: &[u8], new: &[u8]) -> ReleaseDiff {
    let dir = tempfile::tempdir().unwrap();
    for (side, bytes) in [("old", old), ("new", new)] {
        std::fs::create_dir(dir.path().join(side)).unwrap();
        std::fs::write(dir.path().join(side).join("app.efi"), bytes).unwrap();
    }
    diff_paths(
        &dir.path().join("old"),
        &dir.path().join("new"),
        &DiffOptions::default(),
        &|_| {},
    )
    .unwrap()
}

fn content(d: &ReleaseDiff) -> &ContentDiff {
    assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
    d.changes[0].content.as_ref().expect("compared")
}

fn authenticode(d: &ReleaseDiff) -> &AuthenticodeDiff {
    let c = content(d);
    c.authenticode
        .as_ref()
        .unwrap_or_else(|| panic!("no Authenticode part: {:#?}", c.notes))
}

fn has_line(a: &AuthenticodeDiff, part: &str) {
    let lines = a.lines();
    assert!(
        lines.iter().any(|l| l.contains(part)),
        "no line with {part:?} in {lines:#?}"
    );
}

tool_test!(resigned_by_another_signer_is_code_identical, {
    let pki = pki();
    let old = pki.sign(&image(), "signer-a", &[]);
    let new = pki.sign(&image(), "signer-b", &[]);
    assert_ne!(old, new);
    let d = diff(&old, &new);
    let a = authenticode(&d);
    assert!(a.code_identical && a.signature_changed && a.resigned_only());
    assert_eq!(
        a.headline(),
        "Authenticode signature changed: code identical, re-signed"
    );
    has_line(
        a,
        "signature 1: signer CN=Test signer-a (issuer CN=Test root-a, serial ",
    );
    has_line(a, "-> CN=Test signer-b (issuer CN=Test root-b, serial ");
    // The table, its directory entry and the CheckSum are not byte ranges.
    let bin = content(&d).binary.as_ref().unwrap();
    assert_eq!(bin.range_count, 0, "{bin:#?}");
    let e = &d.summary.changed_executables[0];
    assert!(e.code_identical_resigned && !e.build_id_unchanged);
    // The JSON carries it too.
    let json = serde_json::to_value(&d).unwrap();
    let j = &json["changes"][0]["content"]["authenticode"];
    assert_eq!(j["code_identical"], true);
    assert_eq!(
        j["new"]["signatures"][0]["signer"]["subject"],
        "CN=Test signer-b"
    );
    assert_eq!(j["old"]["image_sha256"], j["new"]["image_sha256"]);
});

tool_test!(changed_code_and_signature_are_both_shown, {
    let pki = pki();
    let old = pki.sign(&image(), "signer-a", &[]);
    let mut code = [0xc3; 700];
    code[100] = 0x90;
    let new = pki.sign(
        &build_pe(&code, b"glassbox authenticode diff"),
        "signer-a",
        &[],
    );
    let d = diff(&old, &new);
    let a = authenticode(&d);
    assert!(!a.code_identical && a.signature_changed && !a.resigned_only());
    assert!(
        a.headline().starts_with(
            "Authenticode signature changed; the image changed too (Authenticode SHA-256 "
        ),
        "{}",
        a.headline()
    );
    has_line(a, "signature 1: digest sha256 ");
    // The code byte is a range; nothing at or past the certificate table.
    let table = glassbox_core::sig::authenticode::PeImage::parse(&new)
        .unwrap()
        .certificate_table()
        .unwrap();
    let bin = content(&d).binary.as_ref().unwrap();
    assert!(bin.range_count >= 1);
    assert!(
        bin.ranges
            .iter()
            .all(|r| r.offset + r.len <= table.start as u64),
        "{bin:#?}"
    );
    assert!(!d.summary.changed_executables[0].code_identical_resigned);
});

tool_test!(nested_signature_and_timestamp_are_named, {
    let pki = pki();
    let old = pki.sign(&image(), "signer-a", &[]);
    let stamped = with_rfc3161(&old, &rfc3161_token(&pki, &old));
    let new = pki.sign(&stamped, "signer-b", &["-nest"]);
    let d = diff(&old, &new);
    let a = authenticode(&d);
    assert!(a.code_identical, "{:#?}", a.lines());
    assert_eq!(a.new.signatures.len(), 2);
    has_line(a, "signatures: 1 -> 2 (nested ones included)");
    has_line(a, "signature 1: timestamp none -> 2020-01-02T");
    has_line(a, " by CN=Test tsa (RFC 3161)");
    has_line(a, "signature 1.1: signer none -> CN=Test signer-b");
});

tool_test!(signing_an_unsigned_file_and_patching_a_signed_one, {
    let pki = pki();
    let signed = pki.sign(&image(), "signer-a", &[]);
    let a = diff(&image(), &signed);
    assert_eq!(
        authenticode(&a).headline(),
        "Authenticode signature added: code identical, signed"
    );
    // One code byte patched after signing: the table is the same bytes.
    let patched = patch_code(&signed);
    let d = diff(&signed, &patched);
    let p = authenticode(&d);
    assert!(!p.signature_changed && !p.code_identical);
    assert!(
        p.headline()
            .starts_with("Authenticode signature unchanged but the image changed"),
        "{}",
        p.headline()
    );
    assert_eq!(content(&d).binary.as_ref().unwrap().range_count, 1);
});

tool_test!(a_malformed_table_is_said_and_compared_as_bytes, {
    let pki = pki();
    let old = pki.sign(&image(), "signer-a", &[]);
    // The last byte cut: the table runs past the end of the file.
    let new = old[..old.len() - 1].to_vec();
    let d = diff(&old, &new);
    let c = content(&d);
    assert!(c.authenticode.is_none());
    assert!(
        c.notes.iter().any(|n| n.contains(
            "the new file's Authenticode signature could not be read (certificate table: "
        ) && n.ends_with("compared as bytes")),
        "{:#?}",
        c.notes
    );
    assert_eq!(c.binary.as_ref().unwrap().range_count, 1);
});

/// `repro` of `vendor` against `rebuild` (single files) under `set`.
fn repro(vendor: &[u8], rebuild: &[u8], set: NormalizationSet) -> ReproReport {
    let dir = tempfile::tempdir().unwrap();
    let (v, r) = (
        dir.path().join("vendor.efi"),
        dir.path().join("rebuild.efi"),
    );
    std::fs::write(&v, vendor).unwrap();
    std::fs::write(&r, rebuild).unwrap();
    let opts = ReproOptions {
        normalizations: set,
        ..Default::default()
    };
    glassbox_core::repro::compare(&v, &r, &opts).unwrap()
}

fn applied(r: &ReproReport) -> Vec<Normalization> {
    r.normalizations.iter().map(|n| n.name).collect()
}

tool_test!(an_unsigned_rebuild_is_equivalent_to_the_signed_file_only, {
    let pki = pki();
    let rebuild = image();
    let vendor = pki.sign(&rebuild, "signer-a", &[]);
    let r = repro(&vendor, &rebuild, NormalizationSet::default());
    assert_eq!(r.verdict, Verdict::Equivalent, "{:#?}", r.differences);
    assert_eq!(applied(&r), [Normalization::AuthenticodeSignature]);
    assert_eq!(r.normalizations[0].name.name(), "authenticode-signature");
    // Without the normalization the signature is a difference.
    let mut off = NormalizationSet::default();
    off.disable(Normalization::AuthenticodeSignature);
    assert_eq!(repro(&vendor, &rebuild, off).verdict, Verdict::Different);
    assert_eq!(
        repro(&vendor, &rebuild, NormalizationSet::strict()).verdict,
        Verdict::Different
    );

    // One code byte of the signed file changed: different.
    let patched = patch_code(&vendor);
    let r = repro(&patched, &rebuild, NormalizationSet::default());
    assert_eq!(r.verdict, Verdict::Different);
    assert!(!applied(&r).contains(&Normalization::AuthenticodeSignature));
    // Bytes appended after the certificate table (no signature covers
    // them; the verifier refuses such a file): different, aligned or not.
    for extra in [&[0u8; 8][..], b"appended", &[0u8; 64]] {
        let mut appended = vendor.clone();
        appended.extend_from_slice(extra);
        let r = repro(&appended, &rebuild, NormalizationSet::default());
        assert_eq!(r.verdict, Verdict::Different, "{extra:?}");
    }
    // Neither side signed: a CheckSum that is neither 0 nor the image's
    // real one is four bytes of data, and no signature explains it.
    let mut b = rebuild.clone();
    let e_lfanew = u32::from_le_bytes(b[0x3c..0x40].try_into().unwrap()) as usize;
    let checksum = e_lfanew + 24 + 64;
    b[checksum..checksum + 4].copy_from_slice(&0x1234_5678u32.to_le_bytes());
    let r = repro(&b, &rebuild, NormalizationSet::default());
    assert_eq!(r.verdict, Verdict::Different, "{:#?}", r.normalizations);
});

tool_test!(nested_and_other_signers_are_equivalent_too, {
    let pki = pki();
    let rebuild = image();
    let vendor = pki.sign(&rebuild, "signer-a", &[]);
    let nested = pki.sign(&vendor, "signer-b", &["-nest"]);
    let r = repro(&nested, &rebuild, NormalizationSet::default());
    assert_eq!(r.verdict, Verdict::Equivalent, "{:#?}", r.differences);
    // Both sides signed, by different signers: the same image.
    let other = pki.sign(&rebuild, "signer-b", &[]);
    assert_eq!(
        repro(&vendor, &other, NormalizationSet::default()).verdict,
        Verdict::Equivalent
    );
});

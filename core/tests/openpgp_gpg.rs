//! Interop: OpenPGP keys and signatures made by `gpg` at test time (in a
//! throw-away GNUPGHOME), verified by `glassbox_core::sig::openpgp`; and
//! Debian's real bookworm-updates `InRelease` with Debian's archive
//! keyring. Each broken case must fail with its own check and reason.

mod common;
#[path = "common/gpg.rs"]
mod gpg;

use std::path::Path;

use glassbox_core::policy::TrustPolicy;
use glassbox_core::sig::openpgp::{self, DocumentVerification, OpenpgpError};
use gpg::Gpg;
use time::OffsetDateTime;

/// A policy trusting the keyring file `keyring` (and nothing else).
fn policy(dir: &Path, keyring: &Path, extra: &str) -> TrustPolicy {
    let p = gpg::openpgp_policy(dir, keyring, extra);
    TrustPolicy::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The one failure of a single-signature document: (check, reason).
fn only_failure(v: &DocumentVerification) -> (String, String) {
    assert!(!v.verified, "{v:#?}");
    assert_eq!(v.signatures.len(), 1, "{v:#?}");
    let f = v.signatures[0].failure.as_ref().expect("a failure");
    (f.check().to_string(), f.to_string())
}

fn data(g: &Gpg) -> std::path::PathBuf {
    let p = g.path("release.bin");
    // Binary content with CR LF and a lone LF: a text-mode signature
    // would not pin these bytes.
    std::fs::write(&p, b"vendor update \x00\x01\r\n\nend\n").unwrap();
    p
}

/// A fresh GnuPG home, with [`data`] written in it and read back.
fn home_with_data() -> (Gpg, std::path::PathBuf, Vec<u8>) {
    let g = Gpg::new();
    let file = data(&g);
    let content = std::fs::read(&file).unwrap();
    (g, file, content)
}

#[test]
#[cfg_attr(not(any(ci, has_gpg)), ignore = "needs gpg")]
fn rsa_detached_binary_and_armored_verify_and_tampering_fails() {
    let g = Gpg::new();
    let a = g.signing_key("Vendor RSA 3072 <rsa3072@example.invalid>", "rsa3072");
    let b = g.signing_key("Vendor RSA 4096 <rsa4096@example.invalid>", "rsa4096");
    let ring = g.export("vendor.gpg", &[&a, &b], false);
    let pol = policy(g.home.path(), &ring, "");
    let file = data(&g);
    let content = std::fs::read(&file).unwrap();
    for (signer, armor) in [(&a, false), (&b, true)] {
        let sig = g.detach_sign(signer, &file, armor, &["--digest-algo", "SHA512"]);
        assert_eq!(sig.starts_with(b"-----BEGIN PGP SIGNATURE-----"), armor);
        let v = openpgp::verify_detached(&sig, &content, &pol, now()).unwrap();
        assert!(v.verified, "{v:#?}");
        let s = &v.signatures[0];
        assert_eq!(s.issuer, *signer);
        assert_eq!(s.primary_key.as_deref(), Some(signer.as_str()));
        assert_eq!(s.signing_key.as_deref(), Some(signer.as_str()));
        assert_eq!(s.keyring.as_deref(), Some("vendor"));
        assert_eq!(s.hash_algorithm, "SHA512");
        let bits = if *signer == a { "RSA-3072" } else { "RSA-4096" };
        assert_eq!(s.key_algorithm.as_deref(), Some(bits));
        assert!(s.user_id.as_deref().unwrap().contains(&bits[4..]), "{s:?}");
        assert!(s.created.is_some());

        // One changed byte of the content.
        let mut bad = content.clone();
        bad[3] ^= 1;
        let v = openpgp::verify_detached(&sig, &bad, &pol, now()).unwrap();
        let (check, why) = only_failure(&v);
        assert_eq!(check, "signature", "{why}");
        assert!(why.contains(signer.as_str()), "{why}");
    }
}

#[test]
#[cfg_attr(not(any(ci, has_gpg)), ignore = "needs gpg")]
fn ed25519_cleartext_and_p256_subkey_verify() {
    let g = Gpg::new();
    let ed = g.signing_key("Vendor Ed25519 <ed@example.invalid>", "ed25519");
    // A certification-only primary key with a P-256 signing subkey: the
    // subkey binding and its back-signature are checked.
    let ec = g.gen_key(
        "Vendor P-256 <ec@example.invalid>",
        "nistp256",
        "cert",
        "0",
        None,
    );
    let ec_sub = g.add_subkey(&ec, "nistp256/ecdsa", "sign");
    let ring = g.export("vendor.asc", &[&ed, &ec], true);
    let pol = policy(g.home.path(), &ring, "");
    let text = g.path("Release");
    std::fs::write(
        &text,
        "Origin: Vendor\nLabel: -dash\nSHA256:\n abc 12 main/Packages\n",
    )
    .unwrap();
    let doc = g.clearsign(
        &[&ed, &format!("{ec_sub}!")],
        &text,
        &["--digest-algo", "SHA256"],
    );
    let c = openpgp::verify_cleartext(&doc, &pol, now()).unwrap();
    assert!(c.verification.verified, "{c:#?}");
    assert_eq!(c.text, std::fs::read(&text).unwrap());
    assert_eq!(c.hash_headers, ["SHA256"]);
    let sigs = &c.verification.signatures;
    assert_eq!(sigs.len(), 2);
    assert_eq!(sigs[0].key_algorithm.as_deref(), Some("Ed25519"));
    assert_eq!(sigs[1].signing_key.as_deref(), Some(ec_sub.as_str()));
    assert_eq!(sigs[1].primary_key.as_deref(), Some(ec.as_str()));
    assert_eq!(sigs[1].key_algorithm.as_deref(), Some("ECDSA P-256"));

    // A changed byte in the signed text fails both signatures.
    let at = doc.windows(6).position(|w| w == b"Vendor").unwrap();
    let mut bad = doc.clone();
    bad[at] = b'X';
    let c = openpgp::verify_cleartext(&bad, &pol, now()).unwrap();
    assert!(!c.verification.verified);
    assert!(
        c.verification
            .signatures
            .iter()
            .all(|s| s.failure.as_ref().unwrap().check() == "signature")
    );

    // The same P-256 subkey, detached.
    let file = data(&g);
    let sig = g.detach_sign(&format!("{ec_sub}!"), &file, false, &[]);
    let v = openpgp::verify_detached(&sig, &std::fs::read(&file).unwrap(), &pol, now()).unwrap();
    assert!(v.verified, "{v:#?}");
}

/// Debian's bookworm-updates InRelease: two signatures by two archive
/// keys, both in debian-archive-keyring.gpg; both are named, and one
/// changed byte of the signed text fails both.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn debian_inrelease_verifies_with_the_archive_keyring() {
    let dir = common::corpus("vendor-channels/apt-bookworm-updates");
    let tmp = tempfile::tempdir().unwrap();
    let pol = policy(
        tmp.path(),
        &dir.join("debian-archive-keyring.gpg"),
        "[validation]\ntime = \"2026-12-03T00:00:00Z\"\n",
    );
    let doc = std::fs::read(dir.join("InRelease")).unwrap();
    let c = openpgp::verify_cleartext(&doc, &pol, now()).unwrap();
    assert!(c.verification.verified, "{c:#?}");
    // (signing subkey as gpgv names it, primary key, user ID)
    let got: Vec<(&str, &str, &str)> = c
        .verification
        .signatures
        .iter()
        .map(|s| {
            (
                s.signing_key.as_deref().unwrap(),
                s.primary_key.as_deref().unwrap(),
                s.user_id.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "4CB50190207B4758A3F73A796ED0E7B82643E131",
                "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8",
                "Debian Archive Automatic Signing Key (12/bookworm) <ftpmaster@debian.org>"
            ),
            (
                "B8E5F13176D2A7A75220028078DBA3BC47EF2265",
                "04B54C3CDCA79751B16BC6B5225629DF75B188BD",
                "Debian Archive Automatic Signing Key (13/trixie) <ftpmaster@debian.org>"
            )
        ]
    );
    for s in &c.verification.signatures {
        assert_eq!(s.key_algorithm.as_deref(), Some("RSA-4096"));
        assert_eq!(s.hash_algorithm, "SHA256");
    }
    assert!(
        c.text.starts_with(b"Origin: Debian\n"),
        "{:?}",
        String::from_utf8_lossy(&c.text[..40])
    );

    let at = doc.windows(8).position(|w| w == b"bookworm").unwrap();
    let mut bad = doc.clone();
    bad[at] = b'B';
    let c = openpgp::verify_cleartext(&bad, &pol, now()).unwrap();
    assert!(!c.verification.verified);
    assert_eq!(c.verification.signatures.len(), 2);
    for s in &c.verification.signatures {
        assert_eq!(s.failure.as_ref().unwrap().check(), "signature");
    }
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "not armor",
            b"-----BEGIN PGP SIGNATURE-----\n\n!!!!\n-----END PGP SIGNATURE-----\n".to_vec(),
        ),
        ("huge length", vec![0xC2, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 4]),
        ("truncated", vec![0x88, 0x75, 0x04, 0x00]),
        ("not a signature", vec![0xC6, 0x01, 0x00]),
    ];
    for (what, bytes) in cases {
        let e = read_only(&bytes);
        assert!(e.is_err(), "{what}: {e:?}");
    }
}

/// Parses a signature input against a policy with no keyrings (parsing
/// fails before any key is needed).
fn read_only(bytes: &[u8]) -> Result<DocumentVerification, OpenpgpError> {
    let tmp = tempfile::tempdir().unwrap();
    let ring = tmp.path().join("k.pem");
    // Any trust anchor lets the policy load; OpenPGP keyrings are empty.
    let key = common::openssl(tmp.path(), &["genpkey", "-algorithm", "ed25519"]);
    std::fs::write(tmp.path().join("k.key"), key).unwrap();
    common::openssl(
        tmp.path(),
        &["pkey", "-in", "k.key", "-pubout", "-out", "k.pem"],
    );
    let p = tmp.path().join("p.toml");
    std::fs::write(
        &p,
        format!(
            "[[keys]]\nname = \"k\"\npath = {:?}\n",
            ring.to_str().unwrap()
        ),
    )
    .unwrap();
    let pol = TrustPolicy::load(&p).unwrap();
    openpgp::verify_detached(bytes, b"x", &pol, now())
}

/// Every way a gpg-made signature must fail, each with its own check.
#[test]
#[cfg_attr(not(any(ci, has_gpg)), ignore = "needs gpg")]
fn broken_keys_and_signatures_fail_with_their_reason() {
    let (g, file, content) = home_with_data();

    // An Ed25519 key made in 2020 that expired after a year; the signature
    // was made while it was valid, so only the validation time is late.
    let y2020 = 1_577_836_800;
    let old = g.gen_key(
        "Expired <old@example.invalid>",
        "ed25519",
        "sign",
        "1y",
        Some(y2020),
    );
    let expired_sig = g.detach_sign(&old, &file, false, &["--faked-system-time", "1590969600"]);

    // A primary key whose signing subkey was revoked as compromised.
    let revk = g.cert_key("Revoked sub <rev@example.invalid>");
    let revsub = g.add_subkey(&revk, "ed25519", "sign");
    let revoked_sig = g.detach_sign(&format!("{revsub}!"), &file, false, &[]);
    // gpg's menu: 1 = "Key has been compromised".
    g.edit(&revk, "key 1\nrevkey\ny\n1\n\ny\nsave\n", false);

    // A signing subkey whose newer binding drops the signing flag.
    let flagk = g.cert_key("Flags <flags@example.invalid>");
    let flagsub = g.add_subkey(&flagk, "ed25519", "sign");
    let noflag_sig = g.detach_sign(&format!("{flagsub}!"), &file, false, &[]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    g.edit(&flagk, "key 1\nchange-usage\nS\nA\nQ\nsave\n", true);

    // SHA-1, and a key that is not in the policy's keyring.
    let good = g.signing_key("Vendor <vendor@example.invalid>", "rsa3072");
    let sha1_sig = g.detach_sign(&good, &file, false, &["--digest-algo", "SHA1"]);
    let stranger = g.signing_key("Stranger <x@example.invalid>", "ed25519");
    let stranger_sig = g.detach_sign(&stranger, &file, false, &[]);

    let ring = g.export("vendor.gpg", &[&old, &revk, &flagk, &good], false);
    let pol = policy(g.home.path(), &ring, "");
    let fail =
        |sig: &[u8]| only_failure(&openpgp::verify_detached(sig, &content, &pol, now()).unwrap());

    let (check, why) = fail(&expired_sig);
    assert_eq!(check, "openpgp-expired", "{why}");
    assert!(
        why.contains(&old) && why.contains("expired at 2020-12-31"),
        "{why}"
    );

    let (check, why) = fail(&revoked_sig);
    assert_eq!(check, "openpgp-revoked", "{why}");
    assert!(
        why.contains(&revsub) && why.contains("KeyCompromised"),
        "{why}"
    );

    let (check, why) = fail(&noflag_sig);
    assert_eq!(check, "openpgp-key-flags", "{why}");
    assert!(why.contains(&flagsub), "{why}");

    let (check, why) = fail(&sha1_sig);
    assert_eq!(check, "openpgp-weak-hash", "{why}");
    assert!(why.contains("SHA1"), "{why}");

    let (check, why) = fail(&stranger_sig);
    assert_eq!(check, "openpgp-unknown-key", "{why}");
    assert!(why.contains(&stranger), "{why}");

    // Two signatures in one file, one by the stranger: the document fails
    // although the other signature is good (never a skip).
    let good_sig = g.detach_sign(&good, &file, false, &[]);
    let both = [good_sig.clone(), stranger_sig.clone()].concat();
    let v = openpgp::verify_detached(&both, &content, &pol, now()).unwrap();
    assert!(!v.verified);
    assert!(
        v.signatures[0].verified && !v.signatures[1].verified,
        "{v:#?}"
    );

    // A fingerprint allow-list that leaves the good key out.
    let pol2 = policy(g.home.path(), &ring, &format!("fingerprints = [{old:?}]\n"));
    let v = openpgp::verify_detached(&good_sig, &content, &pol2, now()).unwrap();
    assert_eq!(only_failure(&v).0, "openpgp-fingerprint");

    // A fixed validation time before the signature was made.
    let pol3 = policy(
        g.home.path(),
        &ring,
        "[validation]\ntime = \"2025-01-01T00:00:00Z\"\n",
    );
    let v = openpgp::verify_detached(&good_sig, &content, &pol3, now()).unwrap();
    let (check, why) = only_failure(&v);
    assert_eq!(check, "openpgp-time", "{why}");

    // A text-mode detached signature does not pin the bytes.
    let text_sig = g.detach_sign(&good, &file, false, &["--textmode"]);
    let (check, why) = fail(&text_sig);
    assert_eq!(check, "openpgp-signature-type", "{why}");
}

/// ECDSA keys on each curve `gpg --quick-gen-key` offers: NIST P-384 and
/// P-521 verify (RFC 9580 §9.2 lists them), with their key type named;
/// brainpool and DSA keys fail naming the algorithm, never verify by an
/// unchecked path; and `[algorithms] allowed` applies to P-521 like any key.
#[test]
#[cfg_attr(not(any(ci, has_gpg)), ignore = "needs gpg")]
fn nist_p384_and_p521_verify_other_curves_and_dsa_fail_naming_them() {
    let (g, file, content) = home_with_data();
    let key = |algo: &str| g.signing_key(&format!("Vendor {algo} <{algo}@example.invalid>"), algo);
    let keys = ["nistp384", "nistp521", "brainpoolP256r1", "dsa2048"].map(key);
    let ring = g.export("vendor.gpg", &keys.each_ref().map(String::as_str), false);
    let pol = policy(g.home.path(), &ring, "");
    let sign = |k: &str| g.detach_sign(k, &file, false, &["--digest-algo", "SHA512"]);
    for (k, name) in keys[..2].iter().zip(["ECDSA P-384", "ECDSA P-521"]) {
        let v = openpgp::verify_detached(&sign(k), &content, &pol, now()).unwrap();
        assert!(v.verified, "{name}: {v:#?}");
        assert_eq!(v.signatures[0].key_algorithm.as_deref(), Some(name));
        // One changed byte still fails the signature check.
        let mut bad = content.clone();
        bad[0] ^= 1;
        let v = openpgp::verify_detached(&sign(k), &bad, &pol, now()).unwrap();
        assert_eq!(only_failure(&v).0, "signature", "{name}");
    }
    for (k, named) in keys[2..]
        .iter()
        .zip(["ECDSA on brainpoolP256r1", "DSA keys are refused"])
    {
        let v = openpgp::verify_detached(&sign(k), &content, &pol, now()).unwrap();
        let (check, why) = only_failure(&v);
        assert_eq!(check, "algorithm-policy", "{why}");
        assert!(why.contains(named) && why.contains(k.as_str()), "{why}");
    }
    let ed_only = policy(
        g.home.path(),
        &ring,
        "[algorithms]\nallowed = [\"ed25519\"]\n",
    );
    let v = openpgp::verify_detached(&sign(&keys[1]), &content, &ed_only, now()).unwrap();
    let (check, why) = only_failure(&v);
    assert_eq!(check, "algorithm-policy", "{why}");
    assert!(why.contains("ECDSA P-521 key"), "{why}");
}

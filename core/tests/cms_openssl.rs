//! Interop: detached CMS signatures and RFC 3161 timestamp tokens made by
//! the `openssl` CLI at test time, under a throw-away PKI generated here,
//! verified by `glassbox_core::sig::cms`. Flipping one bit anywhere
//! (artifact, signature value, signed attribute, certificate, token) must
//! fail with the precise check named.

mod common;
use common::Pki;
use common::cms_der::{const_oid, encode, set_unsigned_attribute, signature_value, signed_data};

use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use glassbox_core::digest::Sha256Digest;
use glassbox_core::policy::{Algorithm, TrustPolicy, ValidationTime};
use glassbox_core::release::{ReadOptions, Release};
use glassbox_core::sig::cms::{CmsError, CmsFailure, CmsVerified, verify_detached};
use glassbox_core::sig::continuity;
use glassbox_core::sig::release::{CoverageStatus, ReleaseVerification};
use time::OffsetDateTime;

/// The PKI of these tests: root (P-384) → code-signing intermediate
/// (`inter`, P-256) → leaves, and a TSA (`tsa`) under the root.
impl Pki {
    fn new() -> Self {
        let pki = Pki::empty();
        pki.key("root", "ec:P-384");
        pki.self_signed("root", "/CN=Test Root", &["-sha384"]);
        pki.key("inter", "ec:P-256");
        pki.issue("inter", "/CN=Test Code Signing CA", "root", "ca");
        pki.key("tsa", "ec:P-256");
        pki.issue("tsa", "/CN=Test TSA", "root", "tsa");
        pki
    }

    /// A code-signing leaf under the intermediate.
    fn signer(&self, name: &str, spec: &str) {
        self.key(name, spec);
        self.issue(name, &format!("/CN={name} signer"), "inter", "cs");
    }

    fn policy(&self, extra: &str) -> TrustPolicy {
        common::load_policy(
            self.dir.path(),
            &format!("[x509]\nroots = [\"root.pem\"]\nintermediates = []\n{extra}"),
        )
    }

    /// `openssl cms -sign -binary` a detached DER signature of `content`.
    fn cms_sign(&self, signer: &str, content: &[u8], extra: &[&str]) -> Vec<u8> {
        std::fs::write(self.path("content.bin"), content).unwrap();
        self.cms_sign_file(signer, "inter.pem", "sig.p7s", extra)
    }
}

fn sha2_256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

/// Puts `token` into signer #0's unsigned attributes (what a signing tool
/// does after asking a TSA), RFC 3161 Appendix A.
fn attach_token(p7s: &[u8], token: &[u8]) -> Vec<u8> {
    set_unsigned_attribute(p7s, "1.2.840.113549.1.9.16.2.14", token)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn verify(p7s: &[u8], content: &[u8], policy: &TrustPolicy) -> Result<CmsVerified, CmsFailure> {
    verify_detached(p7s, content, policy, now())
}

/// Flips the lowest bit of the last occurrence of `needle` (at `offset`
/// inside it) in `hay`: signer infos come after the certificate bag.
fn flip_in(hay: &[u8], needle: &[u8], offset: usize) -> Vec<u8> {
    let at = hay
        .windows(needle.len())
        .rposition(|w| w == needle)
        .expect("needle present");
    let mut out = hay.to_vec();
    out[at + offset] ^= 1;
    out
}

const CONTENT: &[u8] = b"ExampleAV engine update 1.1.0\n";

#[test]
fn every_key_type_made_by_openssl_verifies() {
    let pki = Pki::new();
    let policy = pki.policy("");
    let cases: &[(&str, &str, &[&str], Algorithm)] = &[
        ("rsa2048", "rsa:2048", &[], Algorithm::RsaPkcs1Sha256),
        (
            "rsa3072",
            "rsa:3072",
            &["-md", "sha384"],
            Algorithm::RsaPkcs1Sha384,
        ),
        (
            "rsa4096",
            "rsa:4096",
            &["-md", "sha512"],
            Algorithm::RsaPkcs1Sha512,
        ),
        (
            "rsapss",
            "rsa:2048",
            &[
                "-keyopt",
                "rsa_padding_mode:pss",
                "-keyopt",
                "rsa_pss_saltlen:digest",
            ],
            Algorithm::RsaPssSha256,
        ),
        ("p256", "ec:P-256", &[], Algorithm::EcdsaP256Sha256),
        (
            "p384",
            "ec:P-384",
            &["-md", "sha384"],
            Algorithm::EcdsaP384Sha384,
        ),
        ("p384d", "ec:P-384", &[], Algorithm::EcdsaP384Sha256),
    ];
    for (name, spec, extra, alg) in cases {
        pki.signer(name, spec);
        let p7s = pki.cms_sign(name, CONTENT, extra);
        let v = verify(&p7s, CONTENT, &policy).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.signers.len(), 1);
        let s = &v.signers[0];
        assert_eq!(s.algorithm, *alg, "{name}");
        assert_eq!(s.subject, format!("CN={name} signer"));
        assert_eq!(
            s.chain.len(),
            3,
            "{name}: leaf, intermediate, root: {:?}",
            s.chain
        );
        assert!(s.claimed_signing_time.is_some(), "openssl adds signingTime");
        assert!(s.timestamp.is_none());
        // The same signature over other content fails on the digest.
        let e = verify(&p7s, b"other content", &policy).unwrap_err();
        assert_eq!(e.error.check(), "message-digest", "{name}: {e}");
    }
}

/// OpenSSL 3.0 cannot CMS-sign with Ed25519 ("eddsa_digest_signverify_init:
/// invalid digest", fixed in 3.2), so the Ed25519 signer re-signs an
/// openssl-made SignedData per RFC 8419 with ring: its certificate and key
/// come from openssl, the SignerInfo is rewritten (sid, SHA-512
/// messageDigest, id-Ed25519, signature over the DER signed attributes).
#[test]
fn ed25519_signer_rfc8419_verifies() {
    use der::asn1::{OctetString, SetOfVec};
    let pki = Pki::new();
    let policy = pki.policy("");
    pki.signer("ed", "ed25519");
    pki.signer("tmpl", "ec:P-256");
    let mut sd = signed_data(&pki.cms_sign("tmpl", CONTENT, &[]));
    let cert = x509_cert::Certificate::from_der(&pem_der(&pki.path("ed.pem"))).unwrap();
    let key =
        ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_der(&pki.path("ed.key")))
            .unwrap();

    let sha512 = x509_cert::spki::AlgorithmIdentifierOwned {
        oid: const_oid("2.16.840.1.101.3.4.2.3"),
        parameters: None,
    };
    let mut si = sd.signer_infos.0.get(0).unwrap().clone();
    si.sid = cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(
        cms::cert::IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        },
    );
    si.digest_alg = sha512.clone();
    let md = {
        use sha2::Digest;
        sha2::Sha512::digest(CONTENT).to_vec()
    };
    let attrs: Vec<_> = si
        .signed_attrs
        .take()
        .unwrap()
        .into_vec()
        .into_iter()
        .map(|mut a| {
            if a.oid == const_oid("1.2.840.113549.1.9.4") {
                let v = der::Any::encode_from(&OctetString::new(md.clone()).unwrap()).unwrap();
                a.values = SetOfVec::try_from(vec![v]).unwrap();
            }
            a
        })
        .collect();
    let attrs = SetOfVec::try_from(attrs).unwrap();
    si.signature_algorithm = x509_cert::spki::AlgorithmIdentifierOwned {
        oid: const_oid("1.3.101.112"),
        parameters: None,
    };
    si.signature = OctetString::new(key.sign(&attrs.to_der().unwrap()).as_ref().to_vec()).unwrap();
    si.signed_attrs = Some(attrs);
    sd.digest_algorithms = SetOfVec::try_from(vec![sha512]).unwrap();
    sd.signer_infos = cms::signed_data::SignerInfos(SetOfVec::try_from(vec![si]).unwrap());
    let mut certs = sd.certificates.take().unwrap().0.into_vec();
    certs.push(cms::cert::CertificateChoices::Certificate(cert));
    sd.certificates = Some(cms::signed_data::CertificateSet(
        SetOfVec::try_from(certs).unwrap(),
    ));
    let p7s = encode(&sd);

    let v = verify(&p7s, CONTENT, &policy).unwrap();
    assert_eq!(v.signers[0].algorithm, Algorithm::Ed25519);
    assert_eq!(v.signers[0].subject, "CN=ed signer");
    let sig = signature_value(&p7s);
    let e = verify(&flip_in(&p7s, &sig, 10), CONTENT, &policy).unwrap_err();
    assert_eq!(e.error.check(), "signature", "{e}");
}

fn pem_der(path: &Path) -> Vec<u8> {
    let text = std::fs::read(path).unwrap();
    x509_parser::pem::Pem::iter_from_buffer(&text)
        .next()
        .unwrap()
        .unwrap()
        .contents
}

#[test]
fn smime_pem_and_ski_signer_identifier_verify() {
    let pki = Pki::new();
    let policy = pki.policy("");
    pki.signer("leaf", "ec:P-256");
    std::fs::write(pki.path("content.bin"), CONTENT).unwrap();
    pki.run(&[
        "smime",
        "-sign",
        "-binary",
        "-in",
        "content.bin",
        "-signer",
        "leaf.pem",
        "-inkey",
        "leaf.key",
        "-certfile",
        "inter.pem",
        "-outform",
        "PEM",
        "-out",
        "sig.pem",
    ]);
    let pem = std::fs::read(pki.path("sig.pem")).unwrap();
    assert!(pem.starts_with(b"-----BEGIN PKCS7-----"));
    verify(&pem, CONTENT, &policy).unwrap();

    let p7s = pki.cms_sign("leaf", CONTENT, &["-keyid"]);
    let sd = signed_data(&p7s);
    assert!(matches!(
        sd.signer_infos.0.get(0).unwrap().sid,
        cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(_)
    ));
    verify(&p7s, CONTENT, &policy).unwrap();
}

#[test]
fn one_flipped_bit_fails_with_the_check_named() {
    let pki = Pki::new();
    let policy = pki.policy("");
    pki.signer("leaf", "rsa:2048");
    let p7s = pki.cms_sign("leaf", CONTENT, &[]);
    verify(&p7s, CONTENT, &policy).unwrap();

    // The artifact.
    let mut content = CONTENT.to_vec();
    content[3] ^= 0x01;
    let e = verify(&p7s, &content, &policy).unwrap_err();
    assert_eq!(e.error.check(), "message-digest", "{e}");
    assert_eq!(e.signer, Some(0));

    // The signature value (its last byte).
    let sig = signature_value(&p7s);
    let tampered = flip_in(&p7s, &sig, sig.len() - 1);
    let e = verify(&tampered, CONTENT, &policy).unwrap_err();
    assert_eq!(e.error.check(), "signature", "{e}");

    // A signed attribute: the messageDigest value itself.
    let md = sha2_256(CONTENT);
    let e = verify(&flip_in(&p7s, &md, 5), CONTENT, &policy).unwrap_err();
    assert_eq!(e.error.check(), "message-digest", "{e}");

    // A signed attribute: signingTime (UTCTime tag 0x17, length 13).
    let sd = signed_data(&p7s);
    let attrs = sd
        .signer_infos
        .0
        .get(0)
        .unwrap()
        .signed_attrs
        .clone()
        .unwrap();
    let st = attrs
        .iter()
        .find(|a| a.oid == const_oid("1.2.840.113549.1.9.5"))
        .unwrap()
        .values
        .get(0)
        .unwrap()
        .to_der()
        .unwrap();
    // Flip bit 0 of the seconds' units digit: still a valid UTCTime.
    let e = verify(&flip_in(&p7s, &st, st.len() - 2), CONTENT, &policy).unwrap_err();
    assert_eq!(e.error.check(), "signature", "{e}");

    // The signer certificate: one bit of its subject CN.
    let e = verify(&flip_in(&p7s, b"leaf signer", 0), CONTENT, &policy).unwrap_err();
    assert_eq!(e.error.check(), "chain", "{e}");
    assert!(
        e.to_string()
            .contains("signature does not verify under the issuer"),
        "{e}"
    );

    // The issuer+serial in the SignerInfo no longer names a bag certificate.
    let is = match &sd.signer_infos.0.get(0).unwrap().sid {
        cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(is) => is.to_der().unwrap(),
        _ => unreachable!(),
    };
    let last = p7s
        .windows(is.len())
        .rposition(|w| w == is.as_slice())
        .unwrap();
    let mut t = p7s.clone();
    t[last + is.len() - 1] ^= 1;
    let e = verify(&t, CONTENT, &policy).unwrap_err();
    assert_eq!(e.error.check(), "signer-certificate", "{e}");

    // Anywhere in the outer structure: a flipped tag or length byte.
    let mut t = p7s.clone();
    t[0] ^= 1;
    assert_eq!(
        verify(&t, CONTENT, &policy).unwrap_err().error.check(),
        "parse"
    );
}

#[test]
fn trust_policy_decides_roots_eku_algorithms_and_time() {
    let pki = Pki::new();
    pki.signer("leaf", "rsa:2048");
    let p7s = pki.cms_sign("leaf", CONTENT, &[]);

    // A root the policy does not trust.
    let other = Pki::new();
    let e = verify(&p7s, CONTENT, &other.policy("")).unwrap_err();
    assert_eq!(e.error.check(), "chain", "{e}");

    // A leaf without the codeSigning EKU.
    pki.key("web", "ec:P-256");
    pki.issue("web", "/CN=web", "inter", "server");
    let web = pki.cms_sign("web", CONTENT, &[]);
    let e = verify(&web, CONTENT, &pki.policy("")).unwrap_err();
    assert!(e.to_string().contains("codeSigning"), "{e}");

    // Algorithm allow-list and key size.
    let e = verify(
        &p7s,
        CONTENT,
        &pki.policy("[algorithms]\nallowed = [\"ed25519\"]\n"),
    )
    .unwrap_err();
    assert_eq!(e.error.check(), "algorithm-policy", "{e}");
    let e = verify(
        &p7s,
        CONTENT,
        &pki.policy("[algorithms]\nmin_rsa_bits = 3072\n"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("2048 bits"), "{e}");

    // A fixed validation time after the leaf expired (365 days).
    let later = pki.policy("[validation]\ntime = \"2099-01-01T00:00:00Z\"\n");
    assert!(matches!(later.validation_time, ValidationTime::Fixed(_)));
    let e = verify(&p7s, CONTENT, &later).unwrap_err();
    assert!(e.to_string().contains("expired at"), "{e}");

    // SHA-1 digest is refused.
    let sha1 = pki.cms_sign("leaf", CONTENT, &["-md", "sha1"]);
    let e = verify(&sha1, CONTENT, &pki.policy("")).unwrap_err();
    assert_eq!(e.error.check(), "supported", "{e}");
    assert!(e.to_string().contains("SHA-1"), "{e}");

    // RSA-PSS with openssl's default (maximum) salt length is refused
    // with the reason, not mis-verified.
    let pss = pki.cms_sign("leaf", CONTENT, &["-keyopt", "rsa_padding_mode:pss"]);
    let e = verify(&pss, CONTENT, &pki.policy("")).unwrap_err();
    assert!(e.to_string().contains("salt length"), "{e}");
}

#[test]
fn every_signer_must_verify() {
    let pki = Pki::new();
    pki.signer("a", "ec:P-256");
    pki.signer("b", "ec:P-384");
    std::fs::write(pki.path("content.bin"), CONTENT).unwrap();
    let two = pki.cms_sign_file(
        "a",
        "inter.pem",
        "two.p7s",
        &["-signer", "b.pem", "-inkey", "b.key"],
    );
    let v = verify(&two, CONTENT, &pki.policy("")).unwrap();
    assert_eq!(v.signers.len(), 2);

    // A second signer from an untrusted PKI fails the whole signature.
    let other = Pki::new();
    other.signer("x", "ec:P-256");
    std::fs::copy(other.path("x.pem"), pki.path("x.pem")).unwrap();
    std::fs::copy(other.path("x.key"), pki.path("x.key")).unwrap();
    let mixed = pki.cms_sign_file(
        "a",
        "inter.pem",
        "mixed.p7s",
        &["-signer", "x.pem", "-inkey", "x.key"],
    );
    let e = verify(&mixed, CONTENT, &pki.policy("")).unwrap_err();
    assert_eq!(e.error.check(), "chain", "{e}");
    assert!(e.signer.is_some());
}

/// RFC 5753 §2.1.1 / RFC 3279 §2.2.3: a SignerInfo's ECDSA signature is a
/// DER Ecdsa-Sig-Value. The same openssl-made signature re-encoded as the
/// raw `r‖s` some signers write (a second encoding CMS does not have, and
/// OpenSSL refuses) is refused, naming the signer, on both curves.
#[test]
fn raw_r_s_ecdsa_signature_is_refused_naming_the_signer() {
    let pki = Pki::new();
    let policy = pki.policy("");
    for (name, spec, width) in [("p256raw", "ec:P-256", 32), ("p384raw", "ec:P-384", 48)] {
        pki.signer(name, spec);
        let p7s = pki.cms_sign(name, CONTENT, &[]);
        verify(&p7s, CONTENT, &policy).unwrap_or_else(|e| panic!("{name}: DER: {e}"));

        let mut sd = signed_data(&p7s);
        let mut infos = sd.signer_infos.0.into_vec();
        let seq = der::asn1::SequenceOf::<der::asn1::UintRef<'_>, 2>::from_der(
            infos[0].signature.as_bytes(),
        )
        .unwrap();
        let mut raw = Vec::new();
        for int in seq.iter() {
            let b = int.as_bytes();
            raw.extend(std::iter::repeat_n(0u8, width - b.len()));
            raw.extend_from_slice(b);
        }
        assert_eq!(raw.len(), 2 * width);
        infos[0].signature = der::asn1::OctetString::new(raw).unwrap();
        sd.signer_infos =
            cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(infos).unwrap());
        let e = verify(&encode(&sd), CONTENT, &policy).unwrap_err();
        assert_eq!(e.error.check(), "signature", "{name}: {e}");
        assert_eq!(e.signer, Some(0));
        let text = e.to_string();
        assert!(text.contains(&format!("CN={name} signer")), "{text}");
        assert!(text.contains("raw r‖s"), "{text}");
        assert!(text.contains("Ecdsa-Sig-Value"), "{text}");
    }
}

#[test]
fn rfc3161_timestamp_verifies_and_sets_signing_time() {
    let pki = Pki::new();
    pki.signer("leaf", "ec:P-256");
    let p7s = pki.cms_sign("leaf", CONTENT, &[]);
    let token = pki.ts_token(&signature_value(&p7s), "tsa");
    let stamped = attach_token(&p7s, &token);

    let v = verify(&stamped, CONTENT, &pki.policy("")).unwrap();
    let ts = v.signers[0].timestamp.as_ref().expect("timestamp verified");
    assert_eq!(ts.tsa_subject, "CN=Test TSA");
    assert_eq!(ts.policy, "1.2.3.4.1");
    assert!((now() - ts.gen_time).whole_minutes().abs() < 5);

    // signing-time: the chain is judged at genTime, so a policy whose
    // fixed time would reject the leaf still accepts under signing-time.
    let st = pki.policy("[validation]\ntime = \"signing-time\"\n");
    let v = verify(&stamped, CONTENT, &st).unwrap();
    assert_eq!(
        v.signers[0].validated_at,
        v.signers[0].timestamp.as_ref().unwrap().gen_time
    );
    // ... and without a token, signing-time fails.
    let e = verify(&p7s, CONTENT, &st).unwrap_err();
    assert_eq!(e.error.check(), "timestamp", "{e}");
    assert!(e.to_string().contains("needs an RFC 3161"), "{e}");

    // A token over some other signature: imprint mismatch.
    let wrong = attach_token(&p7s, &pki.ts_token(b"something else", "tsa"));
    let e = verify(&wrong, CONTENT, &pki.policy("")).unwrap_err();
    assert!(e.to_string().contains("message imprint"), "{e}");

    // One bit of the TSTInfo (the policy OID's last arc) breaks the TSA's
    // messageDigest.
    let tampered = flip_in(&stamped, &[0x06, 0x04, 0x2a, 0x03, 0x04, 0x01], 5);
    let e = verify(&tampered, CONTENT, &pki.policy("")).unwrap_err();
    assert_eq!(e.error.check(), "timestamp", "{e}");
    assert!(e.to_string().contains("messageDigest"), "{e}");

    // A TSA not under the policy's TSA roots.
    let other = Pki::new();
    let foreign = attach_token(&p7s, &other.ts_token(&signature_value(&p7s), "tsa"));
    let e = verify(&foreign, CONTENT, &pki.policy("")).unwrap_err();
    assert!(e.to_string().contains("TSA certificate chain"), "{e}");
}

#[test]
fn garbage_is_malformed_not_a_panic() {
    let pki = Pki::new();
    let policy = pki.policy("");
    for bytes in [
        &b""[..],
        b"\x30",
        b"\x30\x80\x00\x00",
        b"-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n",
    ] {
        let e = verify(bytes, CONTENT, &policy).unwrap_err();
        assert_eq!(e.error.check(), "parse", "{e}");
        assert!(matches!(e.error, CmsError::Malformed(_)));
    }
}

/// A release directory read by the release reader, with SHA-512 listed.
struct DirRelease(PathBuf);

impl DirRelease {
    fn open(&self) -> Release {
        let opts = ReadOptions {
            digests: glassbox_core::digest::DigestSet { sha512: true },
            ..ReadOptions::default()
        };
        Release::open(&self.0, &opts).unwrap()
    }
}

fn verify_release(
    r: &DirRelease,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<ReleaseVerification, glassbox_core::release::ReleaseError> {
    glassbox_core::sig::release::verify_release(&r.open(), policy, now)
}

/// A release: `bin/tool` signed by CMS (.p7s), `data/a` and `data/b`
/// listed in a CMS-signed SHA256SUMS, `README` unsigned.
fn make_release(pki: &Pki) -> PathBuf {
    pki.signer("rel", "ec:P-256");
    let root = pki.path("release");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("data")).unwrap();
    let put = |p: &str, c: &[u8]| std::fs::write(root.join(p), c).unwrap();
    put("bin/tool", b"\x7fELF tool");
    put("data/a", b"alpha\n");
    put("data/b", b"beta\n");
    put("README", b"read me\n");
    put("bin/tool.p7s", &pki.cms_sign("rel", b"\x7fELF tool", &[]));
    let sums = format!(
        "{}  data/a\n{}  data/b\n",
        Sha256Digest::of(b"alpha\n"),
        Sha256Digest::of(b"beta\n")
    );
    put("SHA256SUMS", sums.as_bytes());
    put(
        "SHA256SUMS.p7s",
        &pki.cms_sign("rel", sums.as_bytes(), &["-md", "sha384"]),
    );
    root
}

#[test]
fn release_coverage_manifest_and_tampering() {
    let pki = Pki::new();
    let root = make_release(&pki);
    let strict = pki.policy("");
    let lenient = pki.policy("[coverage]\nallow_unsigned = [\"README\"]\n");

    let v = verify_release(&DirRelease(root.clone()), &lenient, now()).unwrap();
    assert!(v.verified, "{:#?}", v.failures);
    let status =
        |v: &ReleaseVerification, p: &str| v.files.iter().find(|f| f.path == p).unwrap().status;
    assert_eq!(status(&v, "bin/tool"), CoverageStatus::Verified);
    assert_eq!(status(&v, "data/a"), CoverageStatus::Verified);
    assert_eq!(status(&v, "SHA256SUMS"), CoverageStatus::Verified);
    assert_eq!(status(&v, "bin/tool.p7s"), CoverageStatus::Signature);
    assert_eq!(status(&v, "README"), CoverageStatus::Unsigned);
    let a = v.files.iter().find(|f| f.path == "data/a").unwrap();
    assert_eq!(a.covered_by[0].manifest.as_deref(), Some("SHA256SUMS"));
    assert_eq!(v.signers.len(), 1);
    assert_eq!(v.manifests[0].unlisted, ["README", "bin/tool"]);

    // The default policy requires every file signed: README fails coverage.
    let v = verify_release(&DirRelease(root.clone()), &strict, now()).unwrap();
    assert!(!v.verified);
    assert_eq!(v.failures.len(), 1, "{:#?}", v.failures);
    assert_eq!(
        (v.failures[0].file.as_str(), v.failures[0].check.as_str()),
        ("README", "coverage")
    );

    // One byte of a manifest-covered file, and of a CMS-signed file.
    std::fs::write(root.join("data/b"), b"bet4\n").unwrap();
    std::fs::write(root.join("bin/tool"), b"\x7fELF t00l").unwrap();
    let v = verify_release(&DirRelease(root.clone()), &lenient, now()).unwrap();
    assert!(!v.verified);
    let checks: Vec<(&str, &str, &str)> = v
        .failures
        .iter()
        .map(|f| (f.file.as_str(), f.signature.as_str(), f.check.as_str()))
        .collect();
    assert_eq!(
        checks,
        [
            ("bin/tool", "bin/tool.p7s", "message-digest"),
            ("data/b", "SHA256SUMS", "manifest-digest"),
        ]
    );
    assert_eq!(status(&v, "data/a"), CoverageStatus::Verified);

    // A missing listed file and an orphan signature.
    std::fs::remove_file(root.join("data/a")).unwrap();
    std::fs::write(
        root.join("gone.p7s"),
        std::fs::read(root.join("bin/tool.p7s")).unwrap(),
    )
    .unwrap();
    let v = verify_release(&DirRelease(root.clone()), &lenient, now()).unwrap();
    assert!(
        v.failures
            .iter()
            .any(|f| f.file == "data/a" && f.check == "manifest-missing")
    );
    assert!(
        v.failures
            .iter()
            .any(|f| f.signature == "gone.p7s" && f.check == "target")
    );
}

#[test]
fn signer_continuity_sees_a_new_key() {
    let pki = Pki::new();
    let root = make_release(&pki);
    let policy = pki.policy("[coverage]\nallow_unsigned = [\"README\"]\n");
    let before = verify_release(&DirRelease(root.clone()), &policy, now()).unwrap();
    // The next release is signed by another key under the same CA.
    pki.signer("rel2", "ec:P-256");
    std::fs::write(
        root.join("bin/tool.p7s"),
        pki.cms_sign("rel2", b"\x7fELF tool", &[]),
    )
    .unwrap();
    let after = verify_release(&DirRelease(root), &policy, now()).unwrap();
    assert!(after.verified);
    let c = continuity::compare(&before.signers, &after.signers);
    assert_eq!(c.unchanged.len(), 1);
    assert_eq!(c.new.len(), 1);
    assert_eq!(c.new[0].name, "CN=rel2 signer");
    assert!(c.removed.is_empty() && c.changed.is_empty());
}

/// Untrusted bytes never panic, and under the `signing-time` policy no
/// single-byte corruption of a timestamped signature goes unnoticed. (Under
/// `now`, corrupting the unsigned timeStampToken attribute's OID merely
/// hides the token, which anyone can strip anyway.)
#[test]
fn corrupted_signatures_fail_without_panicking() {
    let pki = Pki::new();
    let policy = pki.policy("[validation]\ntime = \"signing-time\"\n");
    pki.signer("leaf", "ec:P-256");
    let p7s = pki.cms_sign("leaf", CONTENT, &[]);
    let stamped = attach_token(&p7s, &pki.ts_token(&signature_value(&p7s), "tsa"));
    verify(&stamped, CONTENT, &policy).unwrap();
    let undetected: Vec<usize> = (0..stamped.len())
        .filter(|&i| {
            let mut t = stamped.clone();
            t[i] ^= 0x80;
            verify(&t, CONTENT, &policy).is_ok()
        })
        .collect();
    assert!(
        undetected.is_empty(),
        "corruptions at {undetected:?} verified"
    );
    for n in (0..stamped.len()).step_by(97) {
        assert!(verify(&stamped[..n], CONTENT, &policy).is_err());
    }
}

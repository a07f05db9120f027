//! `glassbox audit` with the auditor's certificate chain (`[auditor]
//! certificate`) and `glassbox report verify --roots`: the report carries
//! the chain, signed with it, and verifies against the roots that issued it
//! and no others. The auditor PKI (root → intermediate → leaf for a key from
//! `glassbox keygen`) is made here with rcgen.

mod common;
use common::{demo_path, glassbox, keygen, repo_root, text};

use std::path::{Path, PathBuf};
use std::process::Output;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

const TIME: &str = "2026-07-01T12:00:00Z";

fn ca(
    cn: &str,
    issuer: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    match issuer {
        None => CertifiedIssuer::self_signed(p, key).unwrap(),
        Some(i) => {
            p.use_authority_key_identifier_extension = true;
            CertifiedIssuer::signed_by(p, key, i).unwrap()
        }
    }
}

/// The auditor's material: a keygen key, its chain (leaf, intermediate),
/// the root that issued it and an unrelated root.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn new(algorithm: &str) -> Pki {
        Pki::with_leaf(algorithm, |_| {})
    }

    /// As [`Pki::new`], with the leaf's parameters adjusted by `leaf`.
    fn with_leaf(algorithm: &str, leaf: impl FnOnce(&mut CertificateParams)) -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
        };
        let key = pki.path("auditor.key");
        keygen(&key, algorithm);
        let root = ca("Test Auditor Root CA", None);
        let intermediate = ca("Test Auditor Issuing CA", Some(&root));
        let leaf_key = KeyPair::from_pem(&std::fs::read_to_string(&key).unwrap()).unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "Test Auditor");
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.use_authority_key_identifier_extension = true;
        p.not_before = rcgen::date_time_ymd(2026, 1, 1);
        p.not_after = rcgen::date_time_ymd(2030, 1, 1);
        leaf(&mut p);
        let leaf = p.signed_by(&leaf_key, &intermediate).unwrap();
        std::fs::write(pki.path("chain.pem"), leaf.pem() + &intermediate.pem()).unwrap();
        std::fs::write(pki.path("root.pem"), root.pem()).unwrap();
        std::fs::write(pki.path("other-root.pem"), ca("Other Root CA", None).pem()).unwrap();
        pki
    }

    /// The demo case (beside the demo material, so its relative paths
    /// hold) with this auditor key and `certificate`.
    fn case(&self, certificate: &Path) -> tempfile::NamedTempFile {
        let from = "key = \"auditor/TEST-ONLY-auditor.key\"";
        demo_case_with(&demo_case_without_certificate().replacen(
            from,
            &format!(
                "key = \"{}\"\ncertificate = \"{}\"",
                self.path("auditor.key").display(),
                certificate.display()
            ),
            1,
        ))
    }

    /// Audits the demo into `out`; returns the run and the envelope path.
    fn audit(&self, certificate: &Path, out: &Path) -> (Output, PathBuf) {
        audit_case(self.case(certificate).path(), out)
    }
}

/// The demo case without its `certificate` line (the demo auditor's
/// chain from `auditor/ca.pem`).
fn demo_case_without_certificate() -> String {
    let demo_case = std::fs::read_to_string(demo_path("audit.toml")).unwrap();
    assert!(demo_case.contains("key = \"auditor/TEST-ONLY-auditor.key\""));
    let lines: Vec<&str> = demo_case
        .lines()
        .filter(|l| !l.starts_with("certificate = "))
        .collect();
    assert_eq!(
        lines.len() + 1,
        demo_case.lines().count(),
        "one certificate line"
    );
    lines.join("\n") + "\n"
}

/// `text` as a case file beside the demo material, so its relative paths
/// hold.
fn demo_case_with(text: &str) -> tempfile::NamedTempFile {
    let case = tempfile::Builder::new()
        .prefix("audit-roots-")
        .suffix(".toml")
        .tempfile_in(demo_path(""))
        .unwrap();
    std::fs::write(case.path(), text).unwrap();
    case
}

/// Audits `case` into `out`; returns the run and the envelope path.
fn audit_case(case: &Path, out: &Path) -> (Output, PathBuf) {
    let run = glassbox(&[
        "audit",
        case.to_str().unwrap(),
        "--time",
        TIME,
        "--output",
        out.to_str().unwrap(),
    ]);
    (run, out.join("exampleav-1.1.0-2026-07-01/report.dsse.json"))
}

/// `glassbox report verify ENVELOPE --key KEY`.
fn verify_key(envelope: &Path, key: &Path) -> Output {
    glassbox(&[
        "report",
        "verify",
        envelope.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ])
}

fn verify_roots(envelope: &Path, roots: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "report",
        "verify",
        envelope.to_str().unwrap(),
        "--roots",
        roots.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    glassbox(&args)
}

#[test]
fn report_with_embedded_chain_verifies_against_its_roots_only() {
    let pki = Pki::new("p256");
    let out = tempfile::tempdir().unwrap();
    let (run, envelope) = pki.audit(&pki.path("chain.pem"), out.path());
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    // The chain is in the signed report, leaf first.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(envelope.with_file_name("report.json")).unwrap())
            .unwrap();
    let certs = report["case"]["auditor"]["certificates"]
        .as_array()
        .unwrap();
    assert_eq!(certs.len(), 2);

    let ok = verify_roots(&envelope, &pki.path("root.pem"), &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains(
            "certificate chain: CN=Test Auditor <- CN=Test Auditor Issuing CA <- CN=Test Auditor Root CA"
        ),
        "{}",
        text(&ok)
    );
    // The key alone still verifies it.
    let by_key = verify_key(&envelope, &pki.path("auditor.key.pub"));
    assert_eq!(by_key.status.code(), Some(0), "{}", text(&by_key));

    let other = verify_roots(&envelope, &pki.path("other-root.pem"), &[]);
    assert_eq!(other.status.code(), Some(1), "{}", text(&other));
    assert!(
        text(&other).contains("auditor certificate chain: does not validate against the roots"),
        "{}",
        text(&other)
    );

    // After the leaf's notAfter the chain does not validate.
    let late = verify_roots(
        &envelope,
        &pki.path("root.pem"),
        &["--at", "2031-01-01T00:00:00Z"],
    );
    assert_eq!(late.status.code(), Some(1), "{}", text(&late));
    assert!(text(&late).contains("does not validate"), "{}", text(&late));

    // A changed signature byte: the chain validates, the leaf key does not
    // verify the signature.
    let bytes = std::fs::read(&envelope).unwrap();
    let sig_at = find(&bytes, b"\"sig\":\"") + 8;
    let mut tampered = bytes.clone();
    tampered[sig_at] = if tampered[sig_at] == b'A' { b'B' } else { b'A' };
    let bad = out.path().join("tampered.dsse.json");
    std::fs::write(&bad, &tampered).unwrap();
    let r = verify_roots(
        &bad,
        &pki.path("root.pem"),
        &[
            "--report",
            envelope.with_file_name("report.json").to_str().unwrap(),
        ],
    );
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    assert!(text(&r).contains("FAILED"), "{}", text(&r));
    assert!(
        !text(&r).contains("auditor certificate chain"),
        "{}",
        text(&r)
    );

    // --key and --roots exclude each other; one is required.
    let both = verify_roots(
        &envelope,
        &pki.path("root.pem"),
        &["--key", pki.path("auditor.key.pub").to_str().unwrap()],
    );
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    let none = glassbox(&["report", "verify", envelope.to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in envelope")
}

#[test]
fn report_without_chain_fails_with_roots() {
    let pki = Pki::new("ed25519");
    let case = demo_case_with(&demo_case_without_certificate());
    let out = tempfile::tempdir().unwrap();
    let (run, bare) = audit_case(case.path(), out.path());
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let r = verify_roots(&bare, &pki.path("root.pem"), &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    assert!(
        text(&r).contains("auditor certificate chain: the report embeds no certificate chain"),
        "{}",
        text(&r)
    );
}

#[test]
fn chain_for_another_key_is_an_input_error() {
    let pki = Pki::new("ed25519");
    let out = tempfile::tempdir().unwrap();
    // root.pem certifies the root's own key, not the auditor's.
    let (run, envelope) = pki.audit(&pki.path("root.pem"), out.path());
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(text(&run).contains("not the signing key"), "{}", text(&run));
    assert!(!envelope.exists());
}

/// extendedKeyUsage { id-kp-timeStamping }, DER, for a critical extension
/// (rcgen writes EKU non-critical): a TSA certificate per RFC 3161 §2.3.
fn tsa_only_eku() -> rcgen::CustomExtension {
    let value = [
        0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08,
    ];
    let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], value.to_vec());
    ext.set_criticality(true);
    ext
}

/// A change to the auditor leaf's parameters.
type AdjustLeaf = Box<dyn FnOnce(&mut CertificateParams)>;

/// Auditor leaves the report's signature may not rest on: a TSA
/// certificate (critical timeStamping only), a TLS server certificate, and
/// one that expired after the report's date but before now (the report's
/// own time is the signer's claim, so the chain is judged now).
#[test]
fn auditor_leaves_that_cannot_sign_reports_fail_roots() {
    let cases: [(&str, AdjustLeaf, &str); 3] = [
        (
            "tsa-only",
            Box::new(|p| p.custom_extensions.push(tsa_only_eku())),
            "extendedkeyusage does not allow documentsigning",
        ),
        (
            "server-auth",
            Box::new(|p| p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth]),
            "extendedkeyusage does not allow documentsigning",
        ),
        (
            "expired",
            Box::new(|p| p.not_after = rcgen::date_time_ymd(2026, 8, 1)),
            "expired",
        ),
    ];
    for (what, adjust, reason) in cases {
        let pki = Pki::with_leaf("p256", adjust);
        let out = tempfile::tempdir().unwrap();
        let (run, envelope) = pki.audit(&pki.path("chain.pem"), out.path());
        assert_eq!(run.status.code(), Some(0), "{what}: {}", text(&run));
        let r = verify_roots(&envelope, &pki.path("root.pem"), &[]);
        assert_eq!(r.status.code(), Some(1), "{what}: {}", text(&r));
        assert!(
            text(&r).contains("auditor certificate chain: does not validate")
                && text(&r).to_lowercase().contains(reason),
            "{what}: {}",
            text(&r)
        );
        // The key alone still verifies the signature: only the certificate
        // is unfit.
        let by_key = verify_key(&envelope, &pki.path("auditor.key.pub"));
        assert_eq!(by_key.status.code(), Some(0), "{what}: {}", text(&by_key));
    }
    // At a time the reader picks within its validity, the expired leaf's
    // chain validates.
    let pki = Pki::with_leaf("p256", |p| p.not_after = rcgen::date_time_ymd(2026, 8, 1));
    let out = tempfile::tempdir().unwrap();
    let (_, envelope) = pki.audit(&pki.path("chain.pem"), out.path());
    let at = verify_roots(
        &envelope,
        &pki.path("root.pem"),
        &["--at", "2026-07-15T00:00:00Z"],
    );
    assert_eq!(at.status.code(), Some(0), "{}", text(&at));
}

/// README, "glassbox report": the demo auditor's CA verifies the committed
/// example, run as written from the repository root.
#[test]
fn readme_roots_example_runs_as_written() {
    let run = common::glassbox_in(
        &[
            "report",
            "verify",
            "audit-reports/example/report.dsse.json",
            "--roots",
            "testdata/demo/auditor/ca.pem",
        ],
        &repo_root(),
    );
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("certificate chain: O=glassbox demo, CN=Demo Auditor (TEST-ONLY) <- O=glassbox demo, CN=glassbox Demo Auditor CA (TEST-ONLY)"),
        "{out}"
    );
}

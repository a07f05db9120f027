//! Code-signing profile tests on PKI generated with rcgen: each scenario
//! asserts the exact verdict of `x509::validate`.

use glassbox_core::x509::{
    self, CertError, Certificate, Crl, Purpose, ValidationOptions, ValidationTime,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose, NameConstraints, RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    // Whole seconds: certificate times have no fractions.
    OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap()
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Vendor Inc");
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    p.not_before = now() - Duration::days(30);
    p.not_after = now() + Duration::days(3650);
    p
}

fn leaf_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    p.serial_number = Some(SerialNumber::from(serial));
    p.use_authority_key_identifier_extension = true;
    p.not_before = now() - Duration::days(1);
    p.not_after = now() + Duration::days(365);
    p
}

struct Ca {
    cert: Certificate,
    issuer: Issuer<'static, KeyPair>,
}

fn parse(der: &[u8]) -> Certificate {
    Certificate::from_der(der).expect("rcgen output parses")
}

fn new_root(cn: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = ca_params(cn);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        cert: parse(cert.der()),
        issuer: Issuer::new(params, key),
    }
}

fn sub_ca(params: CertificateParams, parent: &Ca) -> Ca {
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &parent.issuer).unwrap();
    Ca {
        cert: parse(cert.der()),
        issuer: Issuer::new(params, key),
    }
}

fn leaf(params: CertificateParams, parent: &Ca) -> Certificate {
    let key = KeyPair::generate().unwrap();
    parse(params.signed_by(&key, &parent.issuer).unwrap().der())
}

fn opts() -> ValidationOptions {
    ValidationOptions {
        time: ValidationTime::At(now()),
        purpose: Purpose::CodeSigning,
        ..Default::default()
    }
}

/// The error of the failed link and its position in the attempted chain.
fn verdict(r: Result<x509::ValidChain, x509::ChainFailure>) -> (usize, CertError) {
    let f = r.expect_err("chain must be rejected");
    let at = f
        .chain
        .iter()
        .position(|l| l.error.is_some())
        .expect("a failed link");
    assert_eq!(f.chain[at].error.as_ref(), Some(&f.error));
    (at, f.error)
}

#[test]
fn vendor_chain_with_code_signing_eku_is_valid() {
    let root = new_root("Vendor Root");
    let inter = sub_ca(ca_params("Vendor Code Signing CA"), &root);
    let leaf = leaf(leaf_params("Vendor Release Signing", 7), &inter);
    let chain = x509::validate(
        &leaf,
        std::slice::from_ref(&inter.cert),
        std::slice::from_ref(&root.cert),
        &opts(),
    )
    .expect("valid chain");
    assert_eq!(chain.certificates, vec![leaf, inter.cert, root.cert]);
}

#[test]
fn expired_intermediate_is_rejected() {
    let root = new_root("Vendor Root");
    let mut p = ca_params("Vendor Code Signing CA");
    p.not_before = now() - Duration::days(400);
    p.not_after = now() - Duration::days(10);
    let inter = sub_ca(p, &root);
    let leaf = leaf(leaf_params("Vendor Release Signing", 7), &inter);
    let (at, err) = verdict(x509::validate(&leaf, &[inter.cert], &[root.cert], &opts()));
    assert_eq!(at, 1);
    assert!(matches!(err, CertError::Expired { .. }), "{err:?}");
}

#[test]
fn wrong_eku_is_rejected() {
    let root = new_root("Vendor Root");
    let inter = sub_ca(ca_params("Vendor Code Signing CA"), &root);
    let mut p = leaf_params("Vendor TLS", 7);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf(p, &inter);
    let (at, err) = verdict(x509::validate(&leaf, &[inter.cert], &[root.cert], &opts()));
    assert_eq!(at, 0);
    assert_eq!(
        err,
        CertError::RequiredEkuNotFound {
            purpose: "codeSigning".into()
        }
    );
}

#[test]
fn intermediate_eku_constrains_its_subtree() {
    let root = new_root("Vendor Root");
    let mut p = ca_params("Vendor TLS CA");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let inter = sub_ca(p, &root);
    let leaf = leaf(leaf_params("Vendor Release Signing", 7), &inter);
    let (at, err) = verdict(x509::validate(&leaf, &[inter.cert], &[root.cert], &opts()));
    assert_eq!(at, 1);
    assert!(
        matches!(err, CertError::RequiredEkuNotFound { .. }),
        "{err:?}"
    );
}

#[test]
fn name_constrained_intermediate() {
    let root = new_root("Vendor Root");
    let mut p = ca_params("Vendor Constrained CA");
    p.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("vendor.example".into())],
        excluded_subtrees: vec![],
    });
    let inter = sub_ca(p, &root);

    let mut inside = leaf_params("Vendor Release Signing", 7);
    inside.subject_alt_names = vec![SanType::DnsName("build.vendor.example".try_into().unwrap())];
    let inside = leaf(inside, &inter);
    x509::validate(
        &inside,
        std::slice::from_ref(&inter.cert),
        std::slice::from_ref(&root.cert),
        &opts(),
    )
    .expect("name inside the permitted subtree");

    let mut outside = leaf_params("Vendor Release Signing", 8);
    outside.subject_alt_names = vec![SanType::DnsName("evil.example".try_into().unwrap())];
    let outside = leaf(outside, &inter);
    let (at, err) = verdict(x509::validate(
        &outside,
        &[inter.cert],
        &[root.cert],
        &opts(),
    ));
    assert_eq!(at, 0);
    match err {
        CertError::NameConstraintViolation { name, reason, .. } => {
            assert_eq!(name, "DNS:evil.example");
            assert_eq!(reason, "outside every permitted subtree");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cross_signed_root_offers_two_valid_paths() {
    let old_root = new_root("Vendor Root 2015");
    let new_root = new_root("Vendor Root 2025");
    // The old root's name and key, certified by the new root.
    let cross = parse(
        ca_params("Vendor Root 2015")
            .signed_by(old_root.issuer.key(), &new_root.issuer)
            .unwrap()
            .der(),
    );
    let inter = sub_ca(ca_params("Vendor Code Signing CA"), &old_root);
    let leaf = leaf(leaf_params("Vendor Release Signing", 7), &inter);
    let intermediates = [inter.cert.clone(), cross.clone()];

    // Both roots trusted: the short path through the old root.
    let both = [old_root.cert.clone(), new_root.cert.clone()];
    let chain = x509::validate(&leaf, &intermediates, &both, &opts()).unwrap();
    assert_eq!(chain.certificates.len(), 3);
    assert_eq!(chain.certificates[2], old_root.cert);

    // Only the new root trusted: through the cross certificate.
    let chain = x509::validate(
        &leaf,
        &intermediates,
        std::slice::from_ref(&new_root.cert),
        &opts(),
    )
    .unwrap();
    assert_eq!(chain.certificates.len(), 4);
    assert_eq!(chain.certificates[2], cross);
    assert_eq!(chain.certificates[3], new_root.cert);
}

#[test]
fn crl_revoked_leaf_is_rejected() {
    let root = new_root("Vendor Root");
    let inter = sub_ca(ca_params("Vendor Code Signing CA"), &root);
    let leaf_cert = leaf(leaf_params("Vendor Release Signing", 4242), &inter);
    let crl_params = |serials: Vec<u64>| CertificateRevocationListParams {
        this_update: now() - Duration::days(1),
        next_update: now() + Duration::days(7),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: serials
            .into_iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(s),
                revocation_time: now() - Duration::hours(1),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let crl = |serials| {
        let crl = crl_params(serials).signed_by(&inter.issuer).unwrap();
        Crl::from_der(crl.der()).unwrap()
    };

    let mut o = opts();
    o.crls = vec![crl(vec![1, 2])];
    x509::validate(
        &leaf_cert,
        std::slice::from_ref(&inter.cert),
        std::slice::from_ref(&root.cert),
        &o,
    )
    .expect("serial not on the CRL");

    o.crls = vec![crl(vec![1, 4242])];
    let (at, err) = verdict(x509::validate(&leaf_cert, &[inter.cert], &[root.cert], &o));
    assert_eq!(at, 0);
    match err {
        CertError::Revoked { reason, .. } => assert_eq!(reason, "KeyCompromise"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_issuer_and_budget() {
    let root = new_root("Vendor Root");
    let leaf_cert = leaf(leaf_params("Vendor Release Signing", 7), &root);
    // Same subject, another key: the key identifiers differ, no candidate.
    let other = new_root("Vendor Root");
    let (_, err) = verdict(x509::validate(&leaf_cert, &[], &[other.cert], &opts()));
    assert_eq!(err, CertError::UnknownIssuer);
    // An impostor copying the subject and the SKI: the signature fails.
    let ski = root.cert.extensions().ski.clone().unwrap();
    let mut p = ca_params("Vendor Root");
    p.key_identifier_method = KeyIdMethod::PreSpecified(ski);
    let impostor = parse(p.self_signed(&KeyPair::generate().unwrap()).unwrap().der());
    let (at, err) = verdict(x509::validate(&leaf_cert, &[], &[impostor], &opts()));
    assert_eq!(at, 0);
    assert!(matches!(err, CertError::BadSignature { .. }), "{err:?}");
    // No candidate at all.
    let stranger = new_root("Someone Else");
    let (_, err) = verdict(x509::validate(&leaf_cert, &[], &[stranger.cert], &opts()));
    assert_eq!(err, CertError::UnknownIssuer);
    // A budget of zero signature checks.
    let mut o = opts();
    o.max_signature_checks = 0;
    let (_, err) = verdict(x509::validate(&leaf_cert, &[], &[root.cert], &o));
    assert_eq!(err, CertError::BudgetExhausted { checks: 0 });
}

#[test]
fn unusable_crls_fail_closed() {
    let root = new_root("Vendor Root");
    let inter = sub_ca(ca_params("Vendor Code Signing CA"), &root);
    let leaf_cert = leaf(leaf_params("Vendor Release Signing", 4242), &inter);
    let base = || CertificateRevocationListParams {
        this_update: now() - Duration::days(1),
        next_update: now() + Duration::days(7),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![],
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let check = |params: CertificateRevocationListParams, signer: &Ca, expect: &str| {
        let crl = Crl::from_der(params.signed_by(&signer.issuer).unwrap().der()).unwrap();
        let mut o = opts();
        o.crls = vec![crl];
        let (at, err) = verdict(x509::validate(
            &leaf_cert,
            std::slice::from_ref(&inter.cert),
            std::slice::from_ref(&root.cert),
            &o,
        ));
        assert_eq!(at, 0);
        match err {
            CertError::CrlUnusable { reason } => assert!(reason.contains(expect), "{reason}"),
            other => panic!("{other:?}"),
        }
    };
    // Stale: nextUpdate before the validation time.
    let mut stale = base();
    stale.this_update = now() - Duration::days(30);
    stale.next_update = now() - Duration::days(1);
    check(stale, &inter, "stale");
    // Partitioned CRLs are refused explicitly.
    let mut partitioned = base();
    partitioned.issuing_distribution_point = Some(rcgen::CrlIssuingDistributionPoint {
        distribution_point: rcgen::CrlDistributionPoint {
            uris: vec!["http://crl.vendor.example/users.crl".into()],
        },
        scope: Some(rcgen::CrlScope::UserCertsOnly),
    });
    check(partitioned, &inter, "partitioned");
    // Same issuer name, signed by another key.
    let mut forger_params = ca_params("Vendor Code Signing CA");
    forger_params.key_usages = vec![KeyUsagePurpose::CrlSign, KeyUsagePurpose::KeyCertSign];
    let forger = sub_ca(forger_params, &root);
    check(base(), &forger, "CRL signature");
}

#[test]
fn verify_signed_data_allow_list() {
    use rcgen::{PublicKeyData, SigningKey};
    use x509::{SignatureAlgorithm, X509Error};
    let key = KeyPair::generate().unwrap(); // ECDSA P-256
    let spki = key.subject_public_key_info();
    let sig = key.sign(b"release.tar.gz digest").unwrap();
    x509::verify_signed_data(
        &spki,
        SignatureAlgorithm::ECDSA_SHA256,
        b"release.tar.gz digest",
        &sig,
    )
    .expect("good signature");
    assert_eq!(
        x509::verify_signed_data(&spki, SignatureAlgorithm::ECDSA_SHA256, b"tampered", &sig),
        Err(X509Error::BadSignature)
    );
    assert!(matches!(
        x509::verify_signed_data(&spki, SignatureAlgorithm::RSA_PKCS1_SHA256, b"x", &sig),
        Err(X509Error::KeyAlgorithmMismatch { .. })
    ));
    // sha1WithRSAEncryption and MD5 are refused before any key is looked at.
    for oid in [
        "1.2.840.113549.1.1.5",
        "1.2.840.113549.1.1.4",
        "1.2.840.10040.4.3",
    ] {
        assert!(matches!(
            SignatureAlgorithm::from_oid_and_params(oid, None),
            Err(X509Error::DisallowedAlgorithm(_))
        ));
    }
}

// --- x509-limbo classes (issue 18): one test per class, PKI built here. ---

fn tls_leaf_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = leaf_params(cn, serial);
    p.subject_alt_names = vec![SanType::DnsName("example.com".try_into().unwrap())];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p
}

fn tls_opts() -> ValidationOptions {
    ValidationOptions {
        purpose: Purpose::ServerAuth,
        ..opts()
    }
}

/// webpki::eku::root-has-eku: CA/B Forum TLS BR 7.1.2.1.2 forbids EKU in a
/// root, so under the CA/B Forum EKU profile the anchor is refused even
/// though its EKU lists serverAuth; under plain RFC 5280 it is not.
#[test]
fn tls_root_with_eku_is_refused_under_the_cabf_profile() {
    let key = KeyPair::generate().unwrap();
    let mut params = ca_params("TLS Root");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let root = Ca {
        cert: parse(params.self_signed(&key).unwrap().der()),
        issuer: Issuer::new(params, key),
    };
    let leaf = leaf(tls_leaf_params("example.com", 3), &root);
    let roots = std::slice::from_ref(&root.cert);
    let (at, err) = verdict(x509::validate(&leaf, &[], roots, &tls_opts()));
    assert_eq!(at, 1);
    assert!(
        matches!(&err, CertError::ExtensionMisuse { name, .. } if name == "extendedKeyUsage"),
        "{err}"
    );
    let rfc5280 = ValidationOptions {
        cabf_tls_eku: false,
        ..tls_opts()
    };
    x509::validate(&leaf, &[], roots, &rfc5280).expect("RFC 5280 says nothing of root EKUs");
}

/// rfc5280::aki::cross-signed-root-missing-aki: a trust anchor that is not
/// self-issued (cross-signed by another root) without an AKI violates
/// RFC 5280 §4.2.1.1; the self-signed exception does not cover it.
#[test]
fn cross_signed_anchor_without_aki_is_refused() {
    let xsigner = new_root("Cross Signer Root");
    let mut params = ca_params("Cross-signed Root");
    params.use_authority_key_identifier_extension = false;
    let anchor = sub_ca(params, &xsigner);
    assert!(anchor.cert.extensions().aki.is_none());
    let ee = leaf(leaf_params("Vendor Release Signing", 9), &anchor);
    let roots = std::slice::from_ref(&anchor.cert);
    let (at, err) = verdict(x509::validate(&ee, &[], roots, &opts()));
    assert_eq!(at, 1);
    assert!(
        matches!(&err, CertError::Malformed { reason } if reason.contains("authorityKeyIdentifier")),
        "{err}"
    );
    // Taken as given when the caller does not apply §4.2.1.1 to anchors
    // (x509-limbo's cve::cve-2024-0567 trusts such an anchor).
    let lax = ValidationOptions {
        anchor_aki_required: false,
        ..opts()
    };
    x509::validate(&ee, &[], roots, &lax).expect("anchor taken as given");
    // A self-signed root without AKI stays valid (§4.2.1.1 exception).
    let key = KeyPair::generate().unwrap();
    let mut params = ca_params("Self-signed Root");
    params.use_authority_key_identifier_extension = false;
    let root = Ca {
        cert: parse(params.self_signed(&key).unwrap().der()),
        issuer: Issuer::new(params, key),
    };
    let ee = leaf(leaf_params("Vendor Release Signing", 10), &root);
    x509::validate(&ee, &[], std::slice::from_ref(&root.cert), &opts())
        .expect("self-signed root without AKI");
}

/// A real publicly trusted root with serial number 0 (e.g. Go Daddy Class 2
/// CA): trusted as an anchor; a leaf with serial 0 is still refused
/// (rfc5280::serial::zero).
#[test]
fn serial_zero_is_accepted_on_the_anchor_only() {
    let key = KeyPair::generate().unwrap();
    let mut params = ca_params("Serial Zero Root");
    params.serial_number = Some(SerialNumber::from_slice(&[0]));
    let root = Ca {
        cert: parse(params.self_signed(&key).unwrap().der()),
        issuer: Issuer::new(params, key),
    };
    assert_eq!(root.cert.serial(), [0]);
    let roots = std::slice::from_ref(&root.cert);
    let good = leaf(leaf_params("Vendor Release Signing", 11), &root);
    x509::validate(&good, &[], roots, &opts()).expect("root with serial 0");

    let mut params = leaf_params("Zero Leaf", 1);
    params.serial_number = Some(SerialNumber::from_slice(&[0]));
    let zero = leaf(params, &root);
    let (at, err) = verdict(x509::validate(&zero, &[], roots, &opts()));
    assert_eq!(at, 0);
    assert!(
        matches!(&err, CertError::Malformed { reason } if reason.contains("serial number is zero")),
        "{err}"
    );
}

/// rfc5280::eku::ee-without-eku: an end entity without EKU is valid for
/// serverAuth under RFC 5280 §4.2.1.12; the CA/B Forum profile requires
/// the EKU (webpki::eku::ee-without-eku).
#[test]
fn tls_leaf_without_eku_is_valid_under_rfc5280_only() {
    let root = new_root("TLS Root");
    let mut params = tls_leaf_params("example.com", 12);
    params.extended_key_usages = vec![];
    let leaf = leaf(params, &root);
    let roots = std::slice::from_ref(&root.cert);
    let rfc5280 = ValidationOptions {
        cabf_tls_eku: false,
        ..tls_opts()
    };
    x509::validate(&leaf, &[], roots, &rfc5280).expect("RFC 5280: no EKU means any purpose");
    let (at, err) = verdict(x509::validate(&leaf, &[], roots, &tls_opts()));
    assert_eq!(at, 0);
    assert!(
        matches!(err, CertError::RequiredEkuNotFound { .. }),
        "{err}"
    );
}

/// rfc5280::validity::notafter-fractional and notbefore-fractional:
/// validity is encoded in whole seconds, so the validation time is compared
/// at that granularity: 5 ms after notAfter is within it, 1 ms before
/// notBefore is not.
#[test]
fn fractional_validation_times_compare_in_whole_seconds() {
    let boundary = now() + Duration::days(2);
    let root = new_root("Vendor Root");
    let mut params = leaf_params("Vendor Release Signing", 13);
    params.not_before = boundary;
    params.not_after = boundary + Duration::days(10);
    let ee = leaf(params, &root);
    let roots = std::slice::from_ref(&root.cert);
    let at = |t: OffsetDateTime| ValidationOptions {
        time: ValidationTime::At(t),
        ..opts()
    };
    let not_after = boundary + Duration::days(10);
    x509::validate(&ee, &[], roots, &at(not_after + Duration::milliseconds(5)))
        .expect("5 ms after notAfter is the same second");
    x509::validate(&ee, &[], roots, &at(boundary + Duration::milliseconds(999)))
        .expect("within notBefore's second");
    let (_, err) = verdict(x509::validate(
        &ee,
        &[],
        roots,
        &at(not_after + Duration::seconds(1)),
    ));
    assert!(matches!(err, CertError::Expired { .. }), "{err}");
    let (_, err) = verdict(x509::validate(
        &ee,
        &[],
        roots,
        &at(boundary - Duration::milliseconds(1)),
    ));
    assert!(matches!(err, CertError::NotYetValid { .. }), "{err}");

    // A GeneralizedTime bound with fractional seconds (RFC 5280 §4.1.2.5.2:
    // MUST NOT) has no single reading: refused.
    // rcgen writes whole seconds, so the DER is patched: notAfter
    // 20510101000000Z becomes 20510101000000.5Z and the three enclosing
    // lengths (Validity, TBSCertificate, Certificate) grow by 2. The
    // signature no longer verifies, but the profile check comes first.
    let mut params = leaf_params("Fractional", 14);
    params.not_after = time::macros::datetime!(2051-01-01 00:00:00 UTC);
    let key = KeyPair::generate().unwrap();
    let mut der = params.signed_by(&key, &root.issuer).unwrap().der().to_vec();
    let whole = b"\x18\x0f20510101000000Z";
    let at = der.windows(whole.len()).position(|w| w == whole).unwrap();
    der.splice(at..at + whole.len(), *b"\x18\x1120510101000000.5Z");
    let validity = at - 15 - 2; // SEQUENCE { UTCTime(13), GeneralizedTime }
    assert_eq!(der[validity..validity + 3], [0x30, 0x20, 0x17]);
    der[validity + 1] += 2;
    for seq in [0, 4] {
        assert_eq!(der[seq..seq + 2], [0x30, 0x82]);
        let len = u16::from_be_bytes([der[seq + 2], der[seq + 3]]) + 2;
        der[seq + 2..seq + 4].copy_from_slice(&len.to_be_bytes());
    }
    let frac = parse(&der);
    assert_eq!(frac.not_after().millisecond(), 500);
    let (_, err) = verdict(x509::validate(&frac, &[], roots, &opts()));
    assert!(
        matches!(&err, CertError::Malformed { reason } if reason.contains("fractional")),
        "{err}"
    );
}

/// The purpose `report verify --roots` asks of an auditor's certificate:
/// no EKU, anyExtendedKeyUsage or a signing EKU pass; a TSA certificate
/// (critical timeStamping only) and a TLS server certificate do not.
#[test]
fn document_signing_purpose() {
    let root = new_root("Auditor CA");
    let roots = std::slice::from_ref(&root.cert);
    let doc = ValidationOptions {
        purpose: Purpose::DocumentSigning,
        ..opts()
    };
    let with = |ekus: Vec<ExtendedKeyUsagePurpose>, serial| {
        let mut p = leaf_params("Auditor", serial);
        p.extended_key_usages = ekus;
        leaf(p, &root)
    };
    for (ekus, ok) in [
        (vec![], true),
        (vec![ExtendedKeyUsagePurpose::Any], true),
        (vec![ExtendedKeyUsagePurpose::CodeSigning], true),
        (vec![ExtendedKeyUsagePurpose::EmailProtection], true),
        (
            vec![ExtendedKeyUsagePurpose::Other(vec![
                1, 3, 6, 1, 5, 5, 7, 3, 36,
            ])],
            true,
        ),
        (vec![ExtendedKeyUsagePurpose::TimeStamping], false),
        (vec![ExtendedKeyUsagePurpose::ServerAuth], false),
    ] {
        let what = format!("{ekus:?}");
        let cert = with(ekus, 20);
        match x509::validate(&cert, &[], roots, &doc) {
            Ok(_) => assert!(ok, "{what} accepted"),
            Err(f) => {
                assert!(!ok, "{what} refused: {f}");
                assert!(
                    matches!(f.error, CertError::RequiredEkuNotFound { .. }),
                    "{what}: {f}"
                );
            }
        }
    }
}

/// A real root with serial number 0 (Go Daddy Root G2, still in public
/// root programs) passes every trust-anchor check: a leaf naming it as
/// issuer, but signed by another key, fails only at its signature (link 0),
/// not at the anchor (before, "serial number is zero" on link 1).
#[test]
fn real_root_with_serial_zero_passes_the_anchor_checks() {
    let pem = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/x509/go-daddy-root-g2.pem"),
    )
    .unwrap();
    let root = x509::parse_pem_or_der_bundle(&pem).unwrap().remove(0);
    assert_eq!(root.serial(), [0]);
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "US");
    dn.push(DnType::StateOrProvinceName, "Arizona");
    dn.push(DnType::LocalityName, "Scottsdale");
    dn.push(DnType::OrganizationName, "GoDaddy.com, Inc.");
    dn.push(
        DnType::CommonName,
        "Go Daddy Root Certificate Authority - G2",
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_identifier_method =
        KeyIdMethod::PreSpecified(root.extensions().ski.clone().expect("the root has an SKI"));
    let impostor = Ca {
        cert: root.clone(),
        issuer: Issuer::new(params, KeyPair::generate().unwrap()),
    };
    let mut p = tls_leaf_params("example.com", 15);
    p.not_before = time::macros::datetime!(2024-01-01 00:00 UTC);
    p.not_after = time::macros::datetime!(2025-01-01 00:00 UTC);
    let ee = leaf(p, &impostor);
    let opts = ValidationOptions {
        time: ValidationTime::At(time::macros::datetime!(2024-06-01 00:00 UTC)),
        ..tls_opts()
    };
    let (at, err) = verdict(x509::validate(&ee, &[], std::slice::from_ref(&root), &opts));
    assert_eq!(at, 0, "{err}");
    assert!(matches!(err, CertError::BadSignature { .. }), "{err}");
}

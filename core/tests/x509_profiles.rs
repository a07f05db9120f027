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
        SignatureAlgorithm::EcdsaSha256,
        b"release.tar.gz digest",
        &sig,
    )
    .expect("good signature");
    assert_eq!(
        x509::verify_signed_data(&spki, SignatureAlgorithm::EcdsaSha256, b"tampered", &sig),
        Err(X509Error::BadSignature)
    );
    assert!(matches!(
        x509::verify_signed_data(&spki, SignatureAlgorithm::RsaPkcs1Sha256, b"x", &sig),
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

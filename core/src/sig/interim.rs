//! Interim seam to the certificate-chain and public-key modules.
//!
//! `x509::validate` / `x509::verify_signed_data` and `keys` are being built
//! in parallel. Until they land, CMS and RFC 3161 verification call these
//! two small functions; once they do, the bodies are replaced by calls to
//! those modules and this file goes away. Both fail closed: anything not
//! understood is an error with a reason.

use ::time::OffsetDateTime;
use ring::signature::{self as rs, UnparsedPublicKey};
use x509_parser::prelude::*;

use crate::policy::Algorithm;

/// What the chain is being validated for (RFC 5280 §4.2.1.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    CodeSigning,
    TimeStamping,
}

/// The type and size of a public key, for the policy's minimum sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa { bits: u32 },
    EcP256,
    EcP384,
    Ed25519,
}

const OID_EC_P256: &str = "1.2.840.10045.3.1.7";
const OID_EC_P384: &str = "1.3.132.0.34";

/// Reads the key type and size of a DER SubjectPublicKeyInfo.
pub(crate) fn key_kind(spki_der: &[u8]) -> Result<KeyKind, String> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| format!("malformed SubjectPublicKeyInfo: {e}"))?;
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Ok(KeyKind::Rsa {
            bits: rsa.key_size() as u32,
        }),
        Ok(x509_parser::public_key::PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            match curve.as_str() {
                OID_EC_P256 => Ok(KeyKind::EcP256),
                OID_EC_P384 => Ok(KeyKind::EcP384),
                other => Err(format!("unsupported elliptic curve {other:?}")),
            }
        }
        _ if spki.algorithm.algorithm.to_id_string() == "1.3.101.112" => Ok(KeyKind::Ed25519),
        _ => Err(format!(
            "unsupported public key algorithm {}",
            spki.algorithm.algorithm.to_id_string()
        )),
    }
}

/// Verifies `sig` over `msg` with the key in `spki_der` under `alg`.
pub(crate) fn verify_signed_data(
    spki_der: &[u8],
    alg: Algorithm,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| format!("malformed SubjectPublicKeyInfo: {e}"))?;
    let key = spki.subject_public_key.data.as_ref();
    let v: &dyn rs::VerificationAlgorithm = match alg {
        Algorithm::Ed25519 => &rs::ED25519,
        Algorithm::EcdsaP256Sha256 => &rs::ECDSA_P256_SHA256_ASN1,
        Algorithm::EcdsaP256Sha384 => &rs::ECDSA_P256_SHA384_ASN1,
        Algorithm::EcdsaP384Sha256 => &rs::ECDSA_P384_SHA256_ASN1,
        Algorithm::EcdsaP384Sha384 => &rs::ECDSA_P384_SHA384_ASN1,
        Algorithm::RsaPkcs1Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RsaPkcs1Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RsaPkcs1Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::RsaPssSha256 => &rs::RSA_PSS_2048_8192_SHA256,
        Algorithm::RsaPssSha384 => &rs::RSA_PSS_2048_8192_SHA384,
        Algorithm::RsaPssSha512 => &rs::RSA_PSS_2048_8192_SHA512,
    };
    UnparsedPublicKey::new(v, key)
        .verify(msg, sig)
        .map_err(|_| format!("{} signature does not verify", alg.name()))
}

/// The outcome of an interim chain validation: the path, leaf first.
#[derive(Clone, Debug)]
pub(crate) struct ChainSummary {
    /// Subjects, leaf first, ending at the trusted root.
    pub subjects: Vec<String>,
}

const MAX_DEPTH: usize = 8;

/// Builds and checks a path from `leaf` to one of `roots` through
/// `intermediates` at `at` (RFC 5280 §6.1, reduced: validity, signatures,
/// CA basic constraints, key usage keyCertSign, EKU on the leaf, no
/// unrecognised critical extension).
pub(crate) fn validate_chain(
    leaf: &[u8],
    intermediates: &[&[u8]],
    roots: &[&[u8]],
    at: OffsetDateTime,
    purpose: Purpose,
) -> Result<ChainSummary, String> {
    let when = ASN1Time::from_timestamp(at.unix_timestamp()).map_err(|e| e.to_string())?;
    let leaf_c = parse(leaf)?;
    check_leaf_eku(&leaf_c, purpose)?;
    let inters: Vec<X509Certificate<'_>> =
        intermediates.iter().filter_map(|d| parse(d).ok()).collect();
    let roots_c: Vec<X509Certificate<'_>> = roots.iter().filter_map(|d| parse(d).ok()).collect();

    let mut path = vec![leaf_c];
    loop {
        let cur = path.last().expect("path starts with the leaf");
        check_common(cur, &when)?;
        if path.len() > MAX_DEPTH {
            return Err(format!(
                "no path to a trusted root within {MAX_DEPTH} certificates"
            ));
        }
        // A trusted root that issued the current certificate ends the path.
        if let Some(root) = roots_c
            .iter()
            .find(|r| r.subject() == cur.issuer() && issued_by(cur, r))
        {
            check_common(root, &when)?;
            check_ca(root)?;
            let mut subjects: Vec<String> = path.iter().map(subject_of).collect();
            if root.as_ref() != cur.as_ref() {
                subjects.push(subject_of(root));
            }
            return Ok(ChainSummary { subjects });
        }
        let next = inters
            .iter()
            .find(|i| {
                i.subject() == cur.issuer()
                    && !path.iter().any(|p| p.as_ref() == i.as_ref())
                    && issued_by(cur, i)
            })
            .ok_or_else(|| {
                format!(
                    "no trusted issuer found for \"{}\" (issuer \"{}\")",
                    cur.subject(),
                    cur.issuer()
                )
            })?;
        check_ca(next)?;
        path.push(next.clone());
    }
}

/// The subject in RFC 4514 form, as the CMS reports print names.
fn subject_of(c: &X509Certificate<'_>) -> String {
    use der::Decode;
    x509_cert::Certificate::from_der(c.as_ref())
        .map(|x| x.tbs_certificate.subject.to_string())
        .unwrap_or_else(|_| c.subject().to_string())
}

fn parse(d: &[u8]) -> Result<X509Certificate<'_>, String> {
    X509Certificate::from_der(d)
        .map(|(_, c)| c)
        .map_err(|e| format!("malformed certificate: {e}"))
}

/// Whether `issuer`'s key verifies `child`'s signature (RFC 5280 §6.1.3
/// (a)(1)), under an algorithm glassbox supports.
fn issued_by(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let spki = issuer.public_key().raw;
    let Ok(kind) = key_kind(spki) else {
        return false;
    };
    let alg = match (
        child.signature_algorithm.algorithm.to_id_string().as_str(),
        kind,
    ) {
        ("1.2.840.113549.1.1.11", KeyKind::Rsa { .. }) => Algorithm::RsaPkcs1Sha256,
        ("1.2.840.113549.1.1.12", KeyKind::Rsa { .. }) => Algorithm::RsaPkcs1Sha384,
        ("1.2.840.113549.1.1.13", KeyKind::Rsa { .. }) => Algorithm::RsaPkcs1Sha512,
        ("1.2.840.10045.4.3.2", KeyKind::EcP256) => Algorithm::EcdsaP256Sha256,
        ("1.2.840.10045.4.3.3", KeyKind::EcP256) => Algorithm::EcdsaP256Sha384,
        ("1.2.840.10045.4.3.2", KeyKind::EcP384) => Algorithm::EcdsaP384Sha256,
        ("1.2.840.10045.4.3.3", KeyKind::EcP384) => Algorithm::EcdsaP384Sha384,
        ("1.3.101.112", KeyKind::Ed25519) => Algorithm::Ed25519,
        _ => return false,
    };
    verify_signed_data(
        spki,
        alg,
        child.tbs_certificate.as_ref(),
        child.signature_value.data.as_ref(),
    )
    .is_ok()
}

fn check_common(c: &X509Certificate<'_>, when: &ASN1Time) -> Result<(), String> {
    if !c.validity().is_valid_at(*when) {
        return Err(format!(
            "certificate \"{}\" is not valid at {} (valid {} to {})",
            c.subject(),
            when,
            c.validity().not_before,
            c.validity().not_after
        ));
    }
    for ext in c.extensions() {
        if ext.critical
            && matches!(
                ext.parsed_extension(),
                ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::ParseError { .. }
            )
        {
            return Err(format!(
                "certificate \"{}\" has an unrecognised critical extension {}",
                c.subject(),
                ext.oid.to_id_string()
            ));
        }
    }
    Ok(())
}

fn check_ca(c: &X509Certificate<'_>) -> Result<(), String> {
    let ca = matches!(c.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    if !ca {
        return Err(format!(
            "issuer \"{}\" is not a CA (basicConstraints)",
            c.subject()
        ));
    }
    if let Ok(Some(ku)) = c.key_usage()
        && !ku.value.key_cert_sign()
    {
        return Err(format!(
            "issuer \"{}\" may not sign certificates (keyUsage)",
            c.subject()
        ));
    }
    Ok(())
}

fn check_leaf_eku(c: &X509Certificate<'_>, purpose: Purpose) -> Result<(), String> {
    let eku = c
        .extended_key_usage()
        .map_err(|e| format!("malformed extendedKeyUsage: {e}"))?;
    let ok = match (&eku, purpose) {
        (Some(e), Purpose::CodeSigning) => e.value.code_signing,
        (Some(e), Purpose::TimeStamping) => e.value.time_stamping,
        (None, _) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "certificate \"{}\" lacks the {} extended key usage",
            c.subject(),
            match purpose {
                Purpose::CodeSigning => "codeSigning",
                Purpose::TimeStamping => "timeStamping",
            }
        ))
    }
}

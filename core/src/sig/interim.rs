//! Interim seam to the certificate-chain module.
//!
//! `x509::validate` is being built in parallel. Until it lands, CMS and
//! RFC 3161 verification call this reduced path validation; once it does,
//! the call is replaced by `x509::validate` and this file goes away. It
//! fails closed: anything not understood is an error with a reason.

use ::time::OffsetDateTime;
use x509_parser::prelude::*;

use crate::keys::{KeyAlgorithm, PublicKey, SignatureScheme};

/// What the chain is being validated for (RFC 5280 §4.2.1.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    CodeSigning,
    TimeStamping,
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
    let Ok(key) = PublicKey::from_spki_der(issuer.public_key().raw) else {
        return false;
    };
    let scheme = match (
        child.signature_algorithm.algorithm.to_id_string().as_str(),
        key.algorithm(),
    ) {
        ("1.2.840.113549.1.1.11", KeyAlgorithm::Rsa { .. }) => SignatureScheme::RsaPkcs1Sha256,
        ("1.2.840.113549.1.1.12", KeyAlgorithm::Rsa { .. }) => SignatureScheme::RsaPkcs1Sha384,
        ("1.2.840.113549.1.1.13", KeyAlgorithm::Rsa { .. }) => SignatureScheme::RsaPkcs1Sha512,
        ("1.2.840.10045.4.3.2", KeyAlgorithm::EcdsaP256) => SignatureScheme::EcdsaP256Sha256,
        ("1.2.840.10045.4.3.3", KeyAlgorithm::EcdsaP256) => SignatureScheme::EcdsaP256Sha384,
        ("1.2.840.10045.4.3.2", KeyAlgorithm::EcdsaP384) => SignatureScheme::EcdsaP384Sha256,
        ("1.2.840.10045.4.3.3", KeyAlgorithm::EcdsaP384) => SignatureScheme::EcdsaP384Sha384,
        ("1.3.101.112", KeyAlgorithm::Ed25519) => SignatureScheme::Ed25519,
        _ => return false,
    };
    key.verify_with(
        scheme,
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

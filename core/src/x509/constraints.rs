//! Per-certificate checks of RFC 5280 §6.1.3/§6.1.4 and the profile rules
//! x509-parser leaves to us. Each function checks one thing and names the
//! section it implements.

use super::Purpose;
use super::cert::{Certificate, eku, ku};
use super::error::CertError;
use super::names::{GeneralName, check_dns_name};

fn misuse(name: &str, reason: &str) -> CertError {
    CertError::ExtensionMisuse {
        name: name.into(),
        reason: reason.into(),
    }
}

/// Defects found at parse time, and the public-key allow-list.
pub(crate) fn check_well_formed(cert: &Certificate) -> Result<(), CertError> {
    check_well_formed_as(cert, false)
}

/// [`check_well_formed`] for a certificate in trust-anchor position: RFC
/// 5280 §6.1.1(d) takes only the anchor's name and key as inputs, so an
/// extension of the anchor that glassbox does not know (Debian's Secure
/// Boot CA marks Netscape Cert Type critical) does not make it unusable.
/// Every other defect still counts.
pub(crate) fn check_well_formed_as(cert: &Certificate, anchor: bool) -> Result<(), CertError> {
    if let Some(d) = cert
        .defects()
        .iter()
        .find(|d| !(anchor && matches!(d, CertError::UnknownCriticalExtension { .. })))
    {
        return Err(d.clone());
    }
    cert.public_key().map_err(|e| CertError::DisallowedKey {
        reason: e.to_string(),
    })?;
    Ok(())
}

/// Consistency between basicConstraints, keyUsage and nameConstraints
/// (RFC 5280 §4.2.1.3, §4.2.1.9, §4.2.1.10), and the empty-subject rule of
/// §4.2.1.6.
pub(crate) fn check_extension_consistency(cert: &Certificate) -> Result<(), CertError> {
    let ext = cert.extensions();
    let ca = cert.is_ca();
    let cert_sign = ext.key_usage.map(|k| k & ku::KEY_CERT_SIGN != 0);
    if !ca && cert_sign == Some(true) {
        return Err(misuse(
            "keyUsage",
            "keyCertSign asserted without basicConstraints cA (§4.2.1.9)",
        ));
    }
    if ca && cert_sign == Some(false) {
        return Err(misuse(
            "keyUsage",
            "cA asserted but keyCertSign is not (§4.2.1.3, §4.2.1.9)",
        ));
    }
    if let Some(bc) = &ext.basic_constraints
        && bc.path_len.is_some()
        && !bc.ca
    {
        return Err(misuse(
            "basicConstraints",
            "pathLenConstraint without cA (§4.2.1.9)",
        ));
    }
    if ext.name_constraints.is_some() && !ca {
        return Err(misuse(
            "nameConstraints",
            "only allowed in CA certificates (§4.2.1.10)",
        ));
    }
    if cert.subject().is_empty() {
        match &ext.san {
            Some((_, true)) => {}
            _ => {
                return Err(CertError::Malformed {
                    reason: "empty subject without a critical subjectAltName (§4.2.1.6)".into(),
                });
            }
        }
    }
    if ext.require_explicit_policy.is_some() {
        // We do not build the policy tree of §6.1.3(d); refuse rather than
        // guess whether requireExplicitPolicy would be satisfied.
        return Err(misuse(
            "policyConstraints",
            "requireExplicitPolicy needs certificate-policy processing, which is not supported",
        ));
    }
    Ok(())
}

/// RFC 5280 §6.1.4(k)(l)(m)(n): the issuer is a CA, its pathLenConstraint
/// allows the non-self-issued intermediates below it, its keyUsage allows
/// certificate signing. Also §4.1.2.6 (CA subject non-empty) and §4.2.1.2
/// (CA certificates carry a subjectKeyIdentifier).
pub(crate) fn check_ca(cert: &Certificate, below: usize) -> Result<(), CertError> {
    let bc = cert
        .extensions()
        .basic_constraints
        .as_ref()
        .ok_or_else(|| CertError::NotCa {
            reason: "no basicConstraints extension".into(),
        })?;
    if !bc.ca {
        return Err(CertError::NotCa {
            reason: "basicConstraints cA is false".into(),
        });
    }
    if !bc.critical {
        return Err(misuse(
            "basicConstraints",
            "MUST be critical in CA certificates (§4.2.1.9)",
        ));
    }
    if let Some(bits) = cert.extensions().key_usage
        && bits & ku::KEY_CERT_SIGN == 0
    {
        return Err(CertError::KeyUsageMissing {
            bit: "keyCertSign".into(),
        });
    }
    if let Some(path_len) = bc.path_len
        && below > path_len as usize
    {
        return Err(CertError::PathLenConstraintViolated { path_len, below });
    }
    if cert.subject().is_empty() {
        return Err(CertError::Malformed {
            reason: "CA certificate with an empty subject (§4.1.2.6)".into(),
        });
    }
    if cert.extensions().ski.is_none() {
        return Err(CertError::Malformed {
            reason: "CA certificate without subjectKeyIdentifier (§4.2.1.2)".into(),
        });
    }
    Ok(())
}

/// CA/Browser Forum BR §7.1.2.1.3 for serverAuth trust anchors: an AKI, if
/// present, carries only a keyIdentifier equal to the SKI.
pub(crate) fn check_tls_root_aki(cert: &Certificate) -> Result<(), CertError> {
    let Some(aki) = &cert.extensions().aki else {
        return Ok(());
    };
    if !cert.is_self_issued() {
        return Ok(());
    }
    if aki.has_issuer || aki.has_serial {
        return Err(misuse(
            "authorityKeyIdentifier",
            "root AKI with authorityCertIssuer/SerialNumber (CABF BR 7.1.2.1.3)",
        ));
    }
    match (&aki.key_id, &cert.extensions().ski) {
        (Some(k), Some(s)) if k == s => Ok(()),
        (None, _) => Err(misuse(
            "authorityKeyIdentifier",
            "root AKI without keyIdentifier (CABF BR 7.1.2.1.3)",
        )),
        _ => Err(misuse(
            "authorityKeyIdentifier",
            "root AKI keyIdentifier differs from its SKI",
        )),
    }
}

/// EKU of a CA certificate. Choice (documented in the module doc): a CA's
/// extendedKeyUsage, when present, constrains its subtree — it must list the
/// requested purpose or anyExtendedKeyUsage. This is what Windows, Go and
/// the CA/B Forum code-signing and TLS profiles do; RFC 5280 itself leaves
/// CA EKUs unspecified.
pub(crate) fn check_ca_eku(cert: &Certificate, purpose: Purpose) -> Result<(), CertError> {
    let accepted = purpose.eku_oids();
    if accepted.is_empty() {
        return Ok(());
    }
    match &cert.extensions().eku {
        Some((oids, _))
            if !oids
                .iter()
                .any(|o| accepted.contains(&o.as_str()) || o == eku::ANY) =>
        {
            Err(CertError::RequiredEkuNotFound {
                purpose: purpose.to_string(),
            })
        }
        _ => Ok(()),
    }
}

/// CA/B Forum TLS BR §7.1.2.1.2 (Root CA extensions: "extKeyUsage MUST
/// NOT" be present), under the CA/B Forum TLS EKU profile
/// ([`super::ValidationOptions::cabf_tls_eku`]): a serverAuth trust anchor
/// carries no EKU. RFC 5280 itself says nothing about EKU in anchors.
pub(crate) fn check_tls_root_eku(cert: &Certificate) -> Result<(), CertError> {
    if cert.extensions().eku.is_some() {
        return Err(misuse(
            "extendedKeyUsage",
            "present in a TLS root certificate (CABF BR 7.1.2.1.2: MUST NOT)",
        ));
    }
    Ok(())
}

/// EKU and keyUsage of the leaf (RFC 5280 §4.2.1.3, §4.2.1.12).
/// The leaf must list the requested purpose explicitly: anyExtendedKeyUsage
/// alone is not enough, and for serverAuth (under the CA/B Forum TLS EKU
/// profile, `cabf_tls`) and codeSigning it is refused outright (CABF TLS BR
/// 7.1.2.7.10, CABF code-signing BR 7.1.2.3). An absent EKU means "any
/// purpose" (RFC 5280 §4.2.1.12) and is accepted for clientAuth, for
/// document signing, and for serverAuth under the plain RFC 5280 profile;
/// the CA/B Forum TLS profile requires it (BR 7.1.2.7.6).
/// Time-stamping leaves follow RFC 3161 §2.3: EKU critical and only
/// timeStamping. Document signing accepts any of [`Purpose::eku_oids`] or
/// anyExtendedKeyUsage.
/// `extra_ekus` are accepted like the purpose's own EKUs.
pub(crate) fn check_leaf_usage(
    cert: &Certificate,
    purpose: Purpose,
    cabf_tls: bool,
    extra_ekus: &[String],
) -> Result<(), CertError> {
    let accepted = purpose.eku_oids();
    if accepted.is_empty() {
        return Ok(());
    }
    let not_found = || CertError::RequiredEkuNotFound {
        purpose: purpose.to_string(),
    };
    let strict_tls = purpose == Purpose::ServerAuth && cabf_tls;
    match &cert.extensions().eku {
        None if purpose == Purpose::ClientAuth || purpose == Purpose::DocumentSigning => {}
        None if purpose == Purpose::ServerAuth && !cabf_tls => {}
        None => return Err(not_found()),
        Some((oids, critical)) => {
            let any_ok = purpose == Purpose::DocumentSigning;
            if !oids.iter().any(|o| {
                accepted.contains(&o.as_str())
                    || extra_ekus.iter().any(|x| x == o)
                    || (any_ok && o == eku::ANY)
            }) {
                return Err(not_found());
            }
            let any_forbidden = strict_tls || purpose == Purpose::CodeSigning;
            if any_forbidden && oids.iter().any(|o| o == eku::ANY) {
                return Err(misuse(
                    "extendedKeyUsage",
                    "anyExtendedKeyUsage in a subscriber certificate (CABF TLS BR 7.1.2.7.10, CS BR 7.1.2.3)",
                ));
            }
            if strict_tls && *critical {
                return Err(misuse(
                    "extendedKeyUsage",
                    "critical in a TLS server certificate (CABF BR 7.1.2.7.6)",
                ));
            }
            if purpose == Purpose::TimeStamping && (!*critical || oids.len() != 1) {
                return Err(misuse(
                    "extendedKeyUsage",
                    "a TSA certificate's EKU must be critical and only timeStamping (RFC 3161 §2.3)",
                ));
            }
        }
    }
    if let Some(bits) = cert.extensions().key_usage {
        let ok = match purpose {
            Purpose::ServerAuth | Purpose::ClientAuth => bits & 0b1_0101 != 0,
            _ => bits & ku::DIGITAL_SIGNATURE != 0,
        };
        if !ok {
            return Err(CertError::KeyUsageMissing {
                bit: ku::NAMES[0].into(),
            });
        }
    }
    Ok(())
}

/// Extra keyUsage bits the caller requires of the leaf.
pub(crate) fn check_required_key_usage(cert: &Certificate, required: u16) -> Result<(), CertError> {
    if required == 0 {
        return Ok(());
    }
    let have = cert.extensions().key_usage.unwrap_or(0);
    for (i, name) in ku::NAMES.iter().enumerate() {
        if required >> i & 1 == 1 && have >> i & 1 == 0 {
            return Err(CertError::KeyUsageMissing {
                bit: (*name).into(),
            });
        }
    }
    Ok(())
}

/// §4.1.2.2: "The serial number MUST be a positive integer": zero is
/// refused in the leaf and intermediates. Trust anchors are exempt: §6.1.1(d)
/// takes only the anchor's name and key as input, and roots with serial 0
/// are still in public root programs, so refusing them breaks real chains.
pub(crate) fn check_serial(cert: &Certificate) -> Result<(), CertError> {
    if cert.serial_is_zero() {
        return Err(CertError::Malformed {
            reason: "serial number is zero (§4.1.2.2)".into(),
        });
    }
    Ok(())
}

/// §4.2.1.1: a certificate that is not self-issued carries an AKI with a
/// keyIdentifier. Checked for the leaf and intermediates, and for trust
/// anchors unless [`super::ValidationOptions::anchor_aki_required`] is off:
/// the self-signed exception of §4.2.1.1 covers a root distributing its own
/// key, not a cross-signed certificate used as an anchor.
pub(crate) fn check_aki(cert: &Certificate) -> Result<(), CertError> {
    let ext = cert.extensions();
    if !cert.is_self_issued() && ext.aki.as_ref().and_then(|a| a.key_id.as_ref()).is_none() {
        return Err(CertError::Malformed {
            reason: "no authorityKeyIdentifier keyIdentifier (§4.2.1.1)".into(),
        });
    }
    Ok(())
}

/// Names in the leaf's subjectAltName must be well-formed (RFC 5280
/// §4.2.1.6: dNSName in preferred name syntax, iPAddress of 4 or 16 octets).
pub(crate) fn check_san_syntax(cert: &Certificate) -> Result<(), CertError> {
    for n in cert.san() {
        let bad = |reason: &str| {
            Err(CertError::InvalidName {
                name: n.to_string(),
                reason: reason.into(),
            })
        };
        match n {
            GeneralName::Dns(d) => {
                if let Err(why) = check_dns_name(d, true) {
                    return bad(why);
                }
            }
            GeneralName::Ip(b) if b.len() != 4 && b.len() != 16 => {
                return bad("iPAddress must be 4 or 16 octets");
            }
            GeneralName::Invalid(why) => return bad(why),
            _ => {}
        }
    }
    Ok(())
}

/// CA/Browser Forum TLS BR rules for a serverAuth leaf: a subjectAltName is
/// required (§7.1.2.7.12) and critical only with an empty subject. The
/// subject CN is not compared with the SAN (BR §7.1.4.3): with a SAN present
/// it is ignored, as RFC 6125 §6.4.4 says and BetterTLS expects.
pub(crate) fn check_tls_leaf(cert: &Certificate) -> Result<(), CertError> {
    let Some((_, critical)) = &cert.extensions().san else {
        return Err(misuse(
            "subjectAltName",
            "required in a TLS server certificate",
        ));
    };
    if *critical && !cert.subject().is_empty() {
        return Err(misuse(
            "subjectAltName",
            "critical with a non-empty subject (CABF BR 7.1.2.7.12)",
        ));
    }
    if cert.is_ca() {
        return Err(misuse(
            "basicConstraints",
            "cA is true in a TLS server certificate (CABF BR 7.1.2.7.8)",
        ));
    }
    Ok(())
}

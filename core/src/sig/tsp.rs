//! RFC 3161 timestamp tokens carried in a CMS SignerInfo's unsigned
//! attribute id-aa-timeStampToken (RFC 3161 Appendix A).
//!
//! A token is itself a CMS SignedData whose content is a TSTInfo. It proves
//! that the signature value existed at genTime, so under the `signing-time`
//! policy its genTime — not the signer's own claimed signingTime — is the
//! instant the signer's certificate chain is judged at.
//!
//! Checks, in order: the token parses as SignedData with eContentType
//! id-ct-TSTInfo and one SignerInfo; the TSTInfo is version 1 with no
//! critical extension; its messageImprint is the hash of the signature
//! value being timestamped (Appendix A); the token's SignerInfo passes the
//! same attribute, algorithm and signature checks as any CMS signer; the
//! ESS signingCertificate(V2) attribute binds the TSA certificate (RFC 3161
//! §2.4.1, RFC 5816); the TSA certificate carries exactly one, critical,
//! extendedKeyUsage of id-kp-timeStamping (§2.3); its chain validates to
//! the policy's TSA roots; genTime is not in the future.

use std::collections::BTreeSet;

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Any, Decode, Tag, Tagged};
use serde::Serialize;
use time::OffsetDateTime;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::cms::{
    CmsError, ContentDigests, DigestAlgorithm, OID_SIGNED_DATA, check_digest_algorithms,
    check_signer, validate_signer_chain,
};
use crate::digest::Sha256Digest;
use crate::policy::{Algorithm, TrustPolicy, ValidationTime};
use crate::x509::Purpose;

const OID_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const OID_SIGNING_CERT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
const OID_SIGNING_CERT_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// How far in the future a genTime may be (clock skew) before it is refused.
pub(crate) const MAX_FUTURE_SKEW: time::Duration = time::Duration::minutes(5);

/// RFC 3161 §2.4.2 MessageImprint.
#[derive(der::Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// RFC 3161 §2.4.2 Accuracy.
#[derive(der::Sequence)]
struct Accuracy {
    seconds: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    micros: Option<u16>,
}

/// RFC 3161 §2.4.2 TSTInfo.
#[derive(der::Sequence)]
struct TstInfo {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    /// Kept raw: DER GeneralizedTime may carry fractional seconds, which
    /// the `der` crate's type refuses.
    gen_time: Any,
    accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<x509_cert::ext::pkix::name::GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<x509_cert::ext::Extensions>,
}

/// RFC 2634 §5.4 SigningCertificate / RFC 5035 SigningCertificateV2: only
/// the first ESSCertID (the signer's) matters here.
#[derive(der::Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    policies: Option<Any>,
}

#[derive(der::Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    issuer_serial: Option<Any>,
}

#[derive(der::Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    policies: Option<Any>,
}

#[derive(der::Sequence)]
struct EssCertIdV2 {
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    issuer_serial: Option<Any>,
}

/// A verified timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    /// The time the TSA vouches for.
    #[serde(with = "super::rfc3339")]
    pub gen_time: OffsetDateTime,
    /// The TSA policy OID.
    pub policy: String,
    /// The token's serial number, hex.
    pub serial: String,
    /// TSA certificate subject.
    pub tsa_subject: String,
    /// SHA-256 of the TSA certificate.
    pub tsa_certificate_sha256: Sha256Digest,
    /// The TSA's signature algorithm.
    pub algorithm: Algorithm,
    /// The hash algorithm of the message imprint.
    pub imprint_algorithm: DigestAlgorithm,
    /// The validated TSA path, leaf first.
    pub chain: Vec<String>,
    /// The instant the TSA chain was validated at.
    #[serde(with = "super::rfc3339")]
    pub validated_at: OffsetDateTime,
}

/// Why a timestamp token did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TspError {
    /// The token is not a well-formed TimeStampToken.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The message imprint does not match the timestamped signature.
    #[error("message imprint does not match the hash of the signature value (RFC 3161 Appendix A)")]
    ImprintMismatch,
    /// The TSA's SignerInfo failed a CMS check.
    #[error("TSA signer: {0}")]
    Signer(CmsError),
    /// The ESS signingCertificate binding is missing or wrong.
    #[error("ESS signing certificate: {0}")]
    SigningCertificate(String),
    /// The TSA certificate's extendedKeyUsage is not RFC 3161 §2.3-conformant.
    #[error("TSA certificate extendedKeyUsage: {0}")]
    Eku(String),
    /// The TSA chain does not validate.
    #[error("TSA certificate chain: {0}")]
    Chain(String),
    /// genTime is later than the time of verification.
    #[error("genTime {0} is in the future")]
    Future(String),
}

/// A TimeStampToken's SignedData and TSTInfo, well formed (version 1, no
/// unknown critical extension), not yet checked against anything.
struct Token {
    sd: SignedData,
    tst_der: Vec<u8>,
    tst: TstInfo,
    gen_time: OffsetDateTime,
}

fn parse_token(token: &[u8]) -> Result<Token, TspError> {
    let malformed =
        |what: &str, e: &dyn std::fmt::Display| TspError::Malformed(format!("{what}: {e}"));
    let ci = ContentInfo::from_der(token).map_err(|e| malformed("ContentInfo", &e))?;
    if ci.content_type != OID_SIGNED_DATA {
        return Err(TspError::Malformed(format!(
            "content type {} is not SignedData",
            ci.content_type
        )));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| malformed("SignedData", &e))?;
    check_digest_algorithms(&sd).map_err(TspError::Signer)?;
    if sd.encap_content_info.econtent_type != OID_TST_INFO {
        return Err(TspError::Malformed(format!(
            "eContentType {} is not id-ct-TSTInfo",
            sd.encap_content_info.econtent_type
        )));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| TspError::Malformed("no TSTInfo content".into()))?;
    if econtent.tag() != Tag::OctetString {
        return Err(TspError::Malformed(
            "eContent is not an OCTET STRING".into(),
        ));
    }
    let tst_der = econtent.value().to_vec();
    let tst = TstInfo::from_der(&tst_der).map_err(|e| malformed("TSTInfo", &e))?;
    if tst.version != 1 {
        return Err(TspError::Malformed(format!(
            "TSTInfo version {}",
            tst.version
        )));
    }
    if let Some(ext) = tst.extensions.iter().flatten().find(|e| e.critical) {
        return Err(TspError::Malformed(format!(
            "unrecognised critical TSTInfo extension {}",
            ext.extn_id
        )));
    }
    if let Some(acc) = &tst.accuracy
        && [acc.millis, acc.micros]
            .iter()
            .flatten()
            .any(|v| !(1..=999).contains(v))
    {
        return Err(TspError::Malformed(
            "accuracy millis/micros outside 1..999".into(),
        ));
    }
    let gen_time = parse_generalized_time(&tst.gen_time)?;

    Ok(Token {
        sd,
        tst_der,
        tst,
        gen_time,
    })
}

/// What a token states, unverified: its genTime and the subject of the
/// TSA certificate its SignerInfo names. For describing a timestamp
/// (`diff`); [`verify_token`] is what trusts one.
pub(crate) fn stated_time(token: &[u8]) -> Result<(OffsetDateTime, String), TspError> {
    let t = parse_token(token)?;
    let [si] = t.sd.signer_infos.0.as_slice() else {
        return Err(TspError::Malformed("not exactly one SignerInfo".into()));
    };
    let (tsa, _) = super::cms::stated_signer(&t.sd, si).map_err(TspError::Signer)?;
    Ok((t.gen_time, tsa.subject))
}

/// Verifies a DER TimeStampToken (ContentInfo) over `signature_value`.
pub fn verify_token(
    token: &[u8],
    signature_value: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<TimestampReport, TspError> {
    let Token {
        sd,
        tst_der,
        tst,
        gen_time,
    } = parse_token(token)?;
    let tst_der = tst_der.as_slice();
    // RFC 3161 Appendix A: the imprint is the hash of the signature value.
    let imprint_alg =
        DigestAlgorithm::from_alg(&tst.message_imprint.hash_algorithm).map_err(TspError::Signer)?;
    if imprint_alg.digest(signature_value) != tst.message_imprint.hashed_message.as_bytes() {
        return Err(TspError::ImprintMismatch);
    }

    let [si] = sd.signer_infos.0.as_slice() else {
        return Err(TspError::Malformed(format!(
            "{} SignerInfos; a token has exactly one",
            sd.signer_infos.0.len()
        )));
    };
    let digest_alg = DigestAlgorithm::from_alg(&si.digest_alg).map_err(TspError::Signer)?;
    let digests = ContentDigests::of(tst_der, &BTreeSet::from([digest_alg]));
    let checked = check_signer(
        &sd,
        si,
        &sd.encap_content_info.econtent_type,
        &digests,
        policy,
    )
    .map_err(TspError::Signer)?;
    check_ess_binding(si, &checked.cert_der)?;
    check_tsa_eku(&checked.cert)?;

    if gen_time > now + MAX_FUTURE_SKEW {
        return Err(TspError::Future(super::fmt_time(gen_time)));
    }
    let validated_at = match policy.validation_time {
        ValidationTime::Now => now,
        ValidationTime::Fixed(t) => t,
        ValidationTime::SigningTime => gen_time,
    };
    let chain = validate_signer_chain(
        &sd,
        &checked.cert_der,
        policy,
        validated_at,
        Purpose::TimeStamping,
        &[],
    )
    .map_err(|e| TspError::Chain(e.to_string()))?;
    Ok(TimestampReport {
        gen_time,
        policy: tst.policy.to_string(),
        serial: hex::encode(tst.serial_number.as_bytes()),
        tsa_subject: checked.cert.tbs_certificate.subject.to_string(),
        tsa_certificate_sha256: Sha256Digest::of(&checked.cert_der),
        algorithm: checked.algorithm,
        imprint_algorithm: imprint_alg,
        chain,
        validated_at,
    })
}

/// RFC 3161 §2.4.1 / RFC 5816 §2.2.1: the TSA's certificate is identified
/// by a hash in a signed SigningCertificate or SigningCertificateV2.
fn check_ess_binding(si: &cms::signed_data::SignerInfo, cert_der: &[u8]) -> Result<(), TspError> {
    let attrs = si.signed_attrs.iter().flat_map(|a| a.iter());
    let mut found = false;
    for a in attrs {
        let bad = |e: &dyn std::fmt::Display| TspError::SigningCertificate(e.to_string());
        let [value] = a.values.as_slice() else {
            if a.oid == OID_SIGNING_CERT || a.oid == OID_SIGNING_CERT_V2 {
                return Err(TspError::SigningCertificate(
                    "attribute must have one value".into(),
                ));
            }
            continue;
        };
        let (expected, actual) = if a.oid == OID_SIGNING_CERT {
            let sc: SigningCertificate = value.decode_as().map_err(|e| bad(&e))?;
            let first = sc.certs.first().ok_or_else(|| bad(&"empty certs"))?;
            let h = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der);
            (first.cert_hash.as_bytes().to_vec(), h.as_ref().to_vec())
        } else if a.oid == OID_SIGNING_CERT_V2 {
            let sc: SigningCertificateV2 = value.decode_as().map_err(|e| bad(&e))?;
            let first = sc.certs.first().ok_or_else(|| bad(&"empty certs"))?;
            // RFC 5035 §3: hashAlgorithm defaults to SHA-256.
            let alg = match &first.hash_algorithm {
                None => DigestAlgorithm::Sha256,
                Some(a) => DigestAlgorithm::from_alg(a).map_err(|e| bad(&e))?,
            };
            (first.cert_hash.as_bytes().to_vec(), alg.digest(cert_der))
        } else {
            continue;
        };
        if expected != actual {
            return Err(TspError::SigningCertificate(
                "certificate hash does not match the TSA certificate".into(),
            ));
        }
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err(TspError::SigningCertificate(
            "no signingCertificate or signingCertificateV2 signed attribute".into(),
        ))
    }
}

/// RFC 3161 §2.3: exactly one extendedKeyUsage, critical, whose only
/// KeyPurposeId is id-kp-timeStamping.
fn check_tsa_eku(cert: &x509_cert::Certificate) -> Result<(), TspError> {
    let ekus: Vec<_> = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == OID_EKU)
        .collect();
    let [eku] = ekus.as_slice() else {
        return Err(TspError::Eku(format!(
            "{} extendedKeyUsage extensions, need exactly one",
            ekus.len()
        )));
    };
    if !eku.critical {
        return Err(TspError::Eku("not marked critical".into()));
    }
    let purposes = Vec::<ObjectIdentifier>::from_der(eku.extn_value.as_bytes())
        .map_err(|e| TspError::Eku(format!("malformed: {e}")))?;
    if purposes != [OID_KP_TIME_STAMPING] {
        return Err(TspError::Eku(format!(
            "purposes {:?}, need exactly id-kp-timeStamping",
            purposes.iter().map(|o| o.to_string()).collect::<Vec<_>>()
        )));
    }
    Ok(())
}

/// DER GeneralizedTime (X.690 §11.7): `YYYYMMDDHHMMSS[.f+]Z`, no trailing
/// zeros in the fraction.
fn parse_generalized_time(any: &Any) -> Result<OffsetDateTime, TspError> {
    let bad = || TspError::Malformed("genTime is not a DER GeneralizedTime".into());
    if any.tag() != Tag::GeneralizedTime {
        return Err(bad());
    }
    let s = std::str::from_utf8(any.value()).map_err(|_| bad())?;
    let s = s.strip_suffix('Z').ok_or_else(bad)?;
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<u32>().map_err(|_| bad());
    let date = time::Date::from_calendar_date(
        n(0..4)? as i32,
        time::Month::try_from(n(4..6)? as u8).map_err(|_| bad())?,
        n(6..8)? as u8,
    )
    .map_err(|_| bad())?;
    let mut t = time::Time::from_hms(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8)
        .map_err(|_| bad())?;
    if let Some(f) = frac {
        if f.is_empty() || f.ends_with('0') || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let nanos: u32 = format!("{f:0<9}").parse().map_err(|_| bad())?;
        t = t.replace_nanosecond(nanos).map_err(|_| bad())?;
    }
    Ok(date.with_time(t).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gt(s: &str) -> Any {
        Any::new(Tag::GeneralizedTime, s.as_bytes()).unwrap()
    }

    #[test]
    fn generalized_time_with_and_without_fraction() {
        let t = parse_generalized_time(&gt("20260102030405Z")).unwrap();
        assert_eq!(t.unix_timestamp(), 1767323045);
        let t = parse_generalized_time(&gt("20260102030405.25Z")).unwrap();
        assert_eq!(t.nanosecond(), 250_000_000);
        assert!(
            parse_generalized_time(&gt("20260102030405.50Z")).is_err(),
            "trailing zero"
        );
        assert!(
            parse_generalized_time(&gt("20260102030405")).is_err(),
            "no Z"
        );
        assert!(
            parse_generalized_time(&gt("20261302030405Z")).is_err(),
            "month 13"
        );
    }
}

#[cfg(test)]
mod eku_tests {
    use super::*;
    use der::Encode;

    /// A self-signed certificate with one extendedKeyUsage of `purposes`.
    fn cert(purposes: &[&[u64]], critical: bool) -> x509_cert::Certificate {
        let oids: Vec<ObjectIdentifier> = purposes
            .iter()
            .map(|p| {
                let s = p.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
                ObjectIdentifier::new(&s).unwrap()
            })
            .collect();
        let mut ext =
            rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], oids.to_der().unwrap());
        ext.set_criticality(critical);
        let mut params = rcgen::CertificateParams::new(vec!["tsa.test".into()]).unwrap();
        params.custom_extensions.push(ext);
        let key = rcgen::KeyPair::generate().unwrap();
        let c = params.self_signed(&key).unwrap();
        x509_cert::Certificate::from_der(c.der()).unwrap()
    }

    const TS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 8];
    const CS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 3];

    #[test]
    fn rfc3161_section_2_3_eku() {
        check_tsa_eku(&cert(&[TS], true)).unwrap();
        let e = check_tsa_eku(&cert(&[TS], false)).unwrap_err();
        assert!(e.to_string().contains("not marked critical"), "{e}");
        let e = check_tsa_eku(&cert(&[TS, CS], true)).unwrap_err();
        assert!(e.to_string().contains("exactly id-kp-timeStamping"), "{e}");
        let e = check_tsa_eku(&cert(&[CS], true)).unwrap_err();
        assert!(matches!(e, TspError::Eku(_)), "{e}");
    }
}

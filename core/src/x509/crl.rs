//! Certificate revocation lists given offline (RFC 5280 §5, §6.3).
//!
//! Supported: complete, direct CRLs (v2, with a non-critical cRLNumber and a
//! nextUpdate), signed by the certificate's issuer with an allowed algorithm.
//! Delta CRLs (deltaCRLIndicator), partitioned or indirect CRLs
//! (issuingDistributionPoint, certificateIssuer entries) and unknown critical
//! extensions are refused explicitly: a CRL that covers a certificate and is
//! refused makes that certificate fail (fail closed). A certificate that no
//! given CRL covers is not checked for revocation.

use time::OffsetDateTime;
use x509_parser::asn1_rs::FromDer;
use x509_parser::extensions::ParsedExtension;
use x509_parser::revocation_list::CertificateRevocationList;

use super::algorithm::SignatureAlgorithm;
use super::cert::{Certificate, der_tlv_len, ku, pem_blocks};
use super::error::{CertError, X509Error};
use super::names::DistinguishedName;

/// Largest accepted CRL, in octets.
pub const MAX_CRL_SIZE: usize = 64 << 20;

/// One revoked-certificate entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    serial: Vec<u8>,
    date: OffsetDateTime,
    reason: String,
}

/// A parsed CRL, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crl {
    tbs: Vec<u8>,
    issuer: DistinguishedName,
    this_update: OffsetDateTime,
    next_update: Option<OffsetDateTime>,
    signature_algorithm: Result<SignatureAlgorithm, String>,
    signature: Vec<u8>,
    entries: Vec<RevokedEntry>,
    defects: Vec<String>,
}

fn strip_zeros(s: &[u8]) -> &[u8] {
    let i = s.iter().position(|&b| b != 0).unwrap_or(s.len());
    &s[i..]
}

impl Crl {
    /// Parses one DER CRL.
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        if der.len() > MAX_CRL_SIZE {
            return Err(X509Error::TooLarge {
                what: "CRL",
                limit: MAX_CRL_SIZE,
            });
        }
        let malformed = |why: String| X509Error::Malformed { what: "CRL", why };
        let (rest, crl) =
            CertificateRevocationList::from_der(der).map_err(|e| malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed("trailing data".into()));
        }
        let tbs = &crl.tbs_cert_list;
        let mut defects = Vec::new();
        if tbs.version.map(|v| v.0) != Some(1) {
            defects.push("not a v2 CRL (§5.1.2.1)".to_string());
        }
        if crl.signature_algorithm != tbs.signature {
            defects.push("signatureAlgorithm differs from TBSCertList.signature".into());
        }
        let mut has_number = false;
        let mut seen = std::collections::HashSet::new();
        for ext in tbs.extensions() {
            let oid = ext.oid.to_id_string();
            if !seen.insert(oid.clone()) {
                defects.push(format!("duplicate extension {oid}"));
            }
            match oid.as_str() {
                // §5.2.3: cRLNumber MUST be present and non-critical.
                "2.5.29.20" => {
                    has_number = true;
                    if ext.critical {
                        defects.push("cRLNumber is critical (§5.2.3)".into());
                    }
                    if !matches!(ext.parsed_extension(), ParsedExtension::CRLNumber(_)) {
                        defects.push("cRLNumber does not parse".into());
                    }
                }
                "2.5.29.27" => defects.push("delta CRLs are not supported (§5.2.4)".into()),
                "2.5.29.28" => defects.push(
                    "partitioned CRLs (issuingDistributionPoint) are not supported (§5.2.5)".into(),
                ),
                "2.5.29.35" => {
                    if ext.critical {
                        defects.push("authorityKeyIdentifier is critical".into());
                    }
                }
                _ => {
                    if ext.critical {
                        defects.push(format!("unknown critical extension {oid}"));
                    }
                }
            }
        }
        if !has_number {
            defects.push("cRLNumber missing (§5.2.3)".into());
        }
        if tbs.next_update.is_none() {
            defects.push("nextUpdate missing (§5.1.2.5)".into());
        }
        let mut entries = Vec::new();
        for entry in crl.iter_revoked_certificates() {
            let mut reason = "unspecified".to_string();
            for ext in entry.extensions() {
                match ext.oid.to_id_string().as_str() {
                    "2.5.29.21" => {
                        if let ParsedExtension::ReasonCode(code) = ext.parsed_extension() {
                            if code.0 == 8 {
                                defects.push("removeFromCRL outside a delta CRL".into());
                            }
                            reason = code.to_string();
                        } else {
                            defects.push("reasonCode does not parse".into());
                        }
                    }
                    "2.5.29.29" => defects.push("indirect CRLs are not supported (§5.3.3)".into()),
                    "2.5.29.24" => {}
                    other => {
                        if ext.critical {
                            defects.push(format!("unknown critical entry extension {other}"));
                        }
                    }
                }
            }
            entries.push(RevokedEntry {
                serial: strip_zeros(entry.raw_serial()).to_vec(),
                date: entry.revocation_date.to_datetime(),
                reason,
            });
        }
        let issuer = DistinguishedName::from_parsed(&tbs.issuer).map_err(malformed)?;
        Ok(Self {
            tbs: tbs.as_ref().to_vec(),
            issuer,
            this_update: tbs.this_update.to_datetime(),
            next_update: tbs.next_update.map(|t| t.to_datetime()),
            signature_algorithm: SignatureAlgorithm::from_parsed(&crl.signature_algorithm)
                .map_err(|e| e.to_string()),
            signature: crl.signature_value.data.to_vec(),
            entries,
            defects,
        })
    }

    /// Reads every CRL in `bytes` (PEM `X509 CRL` blocks, or DER).
    pub fn parse_pem_or_der(bytes: &[u8]) -> Result<Vec<Crl>, X509Error> {
        let text_start = bytes.iter().position(|c| !c.is_ascii_whitespace());
        let mut out = Vec::new();
        if text_start.is_some_and(|i| bytes[i..].starts_with(b"-----BEGIN")) {
            for der in pem_blocks(bytes, "X509 CRL")? {
                out.push(Crl::from_der(&der)?);
            }
        } else {
            let mut rest = bytes;
            while !rest.is_empty() {
                let len = der_tlv_len(rest).ok_or_else(|| X509Error::Malformed {
                    what: "CRL",
                    why: "not PEM and not DER".into(),
                })?;
                out.push(Crl::from_der(&rest[..len])?);
                rest = &rest[len..];
            }
        }
        if out.is_empty() {
            return Err(X509Error::Malformed {
                what: "CRL file",
                why: "no CRL found".into(),
            });
        }
        Ok(out)
    }

    /// The CRL issuer.
    pub fn issuer(&self) -> &DistinguishedName {
        &self.issuer
    }
}

/// RFC 5280 §6.3 for `cert` issued by `issuer`: every CRL naming the issuer
/// must be usable, and none may list `cert`'s serial.
pub(crate) fn check_revocation(
    cert: &Certificate,
    issuer: &Certificate,
    crls: &[Crl],
    at: OffsetDateTime,
) -> Result<(), CertError> {
    let unusable = |reason: String| Err(CertError::CrlUnusable { reason });
    for crl in crls.iter().filter(|c| c.issuer.matches(cert.issuer())) {
        if let Some(d) = crl.defects.first() {
            return unusable(d.clone());
        }
        // §6.3.3(f): cRLSign when keyUsage is present.
        if let Some(bits) = issuer.extensions().key_usage
            && bits & ku::CRL_SIGN == 0
        {
            return unusable("issuer's keyUsage lacks cRLSign".into());
        }
        let alg = match &crl.signature_algorithm {
            Ok(a) => *a,
            Err(e) => return unusable(e.clone()),
        };
        let key = match issuer.public_key() {
            Ok(k) => k,
            Err(e) => return unusable(format!("issuer key: {e}")),
        };
        if let Err(e) = super::algorithm::verify_with_key(key, alg, &crl.tbs, &crl.signature) {
            return unusable(format!("CRL signature: {e}"));
        }
        if crl.this_update > at {
            return unusable(format!(
                "thisUpdate {} is after the validation time",
                crl.this_update
            ));
        }
        if let Some(next) = crl.next_update
            && next < at
        {
            return unusable(format!(
                "stale: nextUpdate {next} is before the validation time"
            ));
        }
        let serial = strip_zeros(cert.serial());
        if let Some(e) = crl.entries.iter().find(|e| e.serial == serial) {
            return Err(CertError::Revoked {
                date: super::rfc3339(e.date),
                reason: e.reason.clone(),
            });
        }
    }
    Ok(())
}

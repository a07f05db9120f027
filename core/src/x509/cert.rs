//! An owned, parsed certificate, and PEM/DER bundle reading.
//!
//! Parsing (x509-parser) only fails on DER that cannot be decoded at all.
//! Profile violations x509-parser tolerates (duplicate or unknown critical
//! extensions, empty extensions, bad serials, version mismatches) are kept as
//! `defects` and reported only when the certificate is used in a path, so a
//! broken but unrelated certificate in a bundle does not poison validation
//! (limbo `unknown-critical-extension-unrelated-*`).

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::asn1_rs::FromDer;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

use super::algorithm::SignatureAlgorithm;
use super::error::{CertError, X509Error};
use super::names::{DistinguishedName, GeneralName};
use crate::keys::PublicKey;

/// Largest accepted certificate, in octets.
pub const MAX_CERT_SIZE: usize = 1 << 20;
/// Most certificates read from one bundle.
pub const MAX_BUNDLE_CERTS: usize = 10_000;

/// keyUsage bit names in bit order (RFC 5280 §4.2.1.3): bit `i` of
/// [`Extensions::key_usage`] and [`crate::x509::ValidationOptions::required_key_usage`]
/// is `KEY_USAGE_NAMES[i]`.
pub const KEY_USAGE_NAMES: [&str; 9] = [
    "digitalSignature",
    "contentCommitment",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// keyUsage bit positions (RFC 5280 §4.2.1.3).
pub(crate) mod ku {
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    pub const CRL_SIGN: u16 = 1 << 6;
    pub const NAMES: [&str; 9] = super::KEY_USAGE_NAMES;
}

/// Well-known extendedKeyUsage OIDs (RFC 5280 §4.2.1.12).
pub(crate) mod eku {
    pub const ANY: &str = "2.5.29.37.0";
    pub const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
    pub const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
    pub const CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
    pub const EMAIL_PROTECTION: &str = "1.3.6.1.5.5.7.3.4";
    pub const TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
    pub const OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
}

/// basicConstraints (RFC 5280 §4.2.1.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicConstraints {
    /// cA.
    pub ca: bool,
    /// pathLenConstraint.
    pub path_len: Option<u32>,
    /// Marked critical.
    pub critical: bool,
}

/// nameConstraints (RFC 5280 §4.2.1.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameConstraints {
    /// permittedSubtrees bases.
    pub permitted: Vec<GeneralName>,
    /// excludedSubtrees bases.
    pub excluded: Vec<GeneralName>,
    /// Marked critical.
    pub critical: bool,
}

/// authorityKeyIdentifier (RFC 5280 §4.2.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityKeyId {
    /// keyIdentifier.
    pub key_id: Option<Vec<u8>>,
    /// authorityCertIssuer present.
    pub has_issuer: bool,
    /// authorityCertSerialNumber present.
    pub has_serial: bool,
}

/// The extensions validation uses, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// basicConstraints.
    pub basic_constraints: Option<BasicConstraints>,
    /// keyUsage bits (bit 0 = digitalSignature).
    pub key_usage: Option<u16>,
    /// extendedKeyUsage OIDs and criticality.
    pub eku: Option<(Vec<String>, bool)>,
    /// subjectAltName entries and criticality.
    pub san: Option<(Vec<GeneralName>, bool)>,
    /// nameConstraints.
    pub name_constraints: Option<NameConstraints>,
    /// subjectKeyIdentifier.
    pub ski: Option<Vec<u8>>,
    /// authorityKeyIdentifier.
    pub aki: Option<AuthorityKeyId>,
    /// policyConstraints requireExplicitPolicy.
    pub require_explicit_policy: Option<u32>,
}

/// A certificate: its DER plus the fields validation needs, owned.
#[derive(Debug, Clone)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: Vec<u8>,
    version: u32,
    serial: Vec<u8>,
    issuer: DistinguishedName,
    subject: DistinguishedName,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    spki: Vec<u8>,
    public_key: Result<PublicKey, String>,
    signature_algorithm: Result<SignatureAlgorithm, String>,
    signature: Vec<u8>,
    extensions: Extensions,
    defects: Vec<CertError>,
    sha256: [u8; 32],
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

fn malformed(why: impl Into<String>) -> X509Error {
    X509Error::Malformed {
        what: "certificate",
        why: why.into(),
    }
}

fn misuse(name: &str, reason: &str) -> CertError {
    CertError::ExtensionMisuse {
        name: name.into(),
        reason: reason.into(),
    }
}

impl Certificate {
    /// Parses one DER certificate (exactly; trailing data is an error).
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        if der.len() > MAX_CERT_SIZE {
            return Err(X509Error::TooLarge {
                what: "certificate",
                limit: MAX_CERT_SIZE,
            });
        }
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed("trailing data after the certificate"));
        }
        Ok(Self::from_parsed(&cert, der))
    }

    fn from_parsed(cert: &X509Certificate<'_>, der: &[u8]) -> Self {
        let tbs = &cert.tbs_certificate;
        let mut defects = Vec::new();
        let version = tbs.version.0;

        // RFC 5280 §4.1.2.2: positive, at most 20 octets, minimal. Non-zero
        // is checked in the path ([`super::constraints::check_serial`]), not
        // here: it binds the certificates a CA issues, and real trust anchors
        // (self-signed roots still in public root programs) carry serial 0.
        let serial = tbs.raw_serial().to_vec();
        if serial.is_empty() {
            defects.push(CertError::Malformed {
                reason: "empty serial number".into(),
            });
        } else if serial[0] & 0x80 != 0 {
            defects.push(CertError::Malformed {
                reason: "negative serial number".into(),
            });
        } else if serial.len() > 20 && !(serial.len() == 21 && serial[0] == 0) {
            defects.push(CertError::Malformed {
                reason: format!("serial number of {} octets (max 20)", serial.len()),
            });
        }
        if serial.len() > 1 && serial[0] == 0 && serial[1] & 0x80 == 0 {
            defects.push(CertError::Malformed {
                reason: "serial number is not minimally encoded".into(),
            });
        }

        // RFC 5280 §4.1.1.2: signatureAlgorithm MUST equal tbs.signature.
        if cert.signature_algorithm != tbs.signature {
            defects.push(CertError::Malformed {
                reason: "signatureAlgorithm differs from TBSCertificate.signature".into(),
            });
        }
        // RFC 5280 §4.1.2.1: extensions need v3, unique ids v2 or v3.
        if version > 2 {
            defects.push(CertError::Malformed {
                reason: format!("unknown version {}", version + 1),
            });
        }
        if !tbs.extensions().is_empty() && version != 2 {
            defects.push(CertError::Malformed {
                reason: format!("extensions in a v{} certificate", version + 1),
            });
        }
        if (tbs.issuer_uid.is_some() || tbs.subject_uid.is_some()) && version == 0 {
            defects.push(CertError::Malformed {
                reason: "unique identifiers in a v1 certificate".into(),
            });
        }
        if cert.signature_value.unused_bits != 0 {
            defects.push(CertError::Malformed {
                reason: "signature BIT STRING has unused bits".into(),
            });
        }

        let name = |n, what: &str, defects: &mut Vec<CertError>| {
            DistinguishedName::from_parsed(n).unwrap_or_else(|e| {
                defects.push(CertError::Malformed {
                    reason: format!("{what}: {e}"),
                });
                DistinguishedName::empty()
            })
        };
        let issuer = name(&tbs.issuer, "issuer", &mut defects);
        let subject = name(&tbs.subject, "subject", &mut defects);
        // RFC 5280 §4.1.2.4: the issuer field MUST contain a non-empty name.
        if issuer.is_empty() {
            defects.push(CertError::Malformed {
                reason: "empty issuer name".into(),
            });
        }

        // RFC 5280 §4.1.2.5.2: GeneralizedTime validity MUST NOT include
        // fractional seconds. DER allows them, so parsers differ on what such
        // a bound means (truncate, round, compare exactly); refuse rather than
        // pick one reading.
        let not_before = tbs.validity.not_before.to_datetime();
        let not_after = tbs.validity.not_after.to_datetime();
        if not_before.nanosecond() != 0 || not_after.nanosecond() != 0 {
            defects.push(CertError::Malformed {
                reason: "validity time with fractional seconds (§4.1.2.5.2)".into(),
            });
        }

        let extensions = parse_extensions(tbs.extensions(), &mut defects);
        let public_key = PublicKey::from_spki_der(tbs.subject_pki.raw)
            .map_err(|e| X509Error::from(e).to_string());
        let signature_algorithm =
            SignatureAlgorithm::from_parsed(&cert.signature_algorithm).map_err(|e| e.to_string());

        Self {
            der: der.to_vec(),
            tbs: tbs.as_ref().to_vec(),
            version,
            serial,
            issuer,
            subject,
            not_before,
            not_after,
            spki: tbs.subject_pki.raw.to_vec(),
            public_key,
            signature_algorithm,
            signature: cert.signature_value.data.to_vec(),
            extensions,
            defects,
            sha256: Sha256::digest(der).into(),
        }
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The DER TBSCertificate (what the issuer signed).
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }
    /// X.509 version (1, 2 or 3).
    pub fn version(&self) -> u32 {
        self.version + 1
    }
    /// Whether the serial number is zero (RFC 5280 §4.1.2.2 forbids it in
    /// certificates a CA issues; tolerated on trust anchors).
    pub fn serial_is_zero(&self) -> bool {
        !self.serial.is_empty() && self.serial.iter().all(|&b| b == 0)
    }
    /// Serial number content octets, as encoded.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }
    /// Serial number as colon-free lowercase hex, leading zero octet dropped.
    pub fn serial_hex(&self) -> String {
        let s = match self.serial.as_slice() {
            [0, rest @ ..] if !rest.is_empty() => rest,
            s => s,
        };
        hex::encode(s)
    }
    /// Issuer name.
    pub fn issuer(&self) -> &DistinguishedName {
        &self.issuer
    }
    /// Subject name.
    pub fn subject(&self) -> &DistinguishedName {
        &self.subject
    }
    /// notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }
    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }
    /// The public key, or why it is not on the allow-list.
    pub fn public_key(&self) -> Result<&PublicKey, &str> {
        self.public_key.as_ref().map_err(String::as_str)
    }
    /// The signature algorithm, or why it is not on the allow-list.
    pub fn signature_algorithm(&self) -> Result<SignatureAlgorithm, &str> {
        self.signature_algorithm.clone().map_err(|_| {
            self.signature_algorithm
                .as_ref()
                .err()
                .map(String::as_str)
                .unwrap_or_default()
        })
    }
    /// The signature value.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
    /// Decoded extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }
    /// Profile violations found while parsing (reported when used in a path).
    pub fn defects(&self) -> &[CertError] {
        &self.defects
    }
    /// SHA-256 of the DER.
    pub fn sha256_fingerprint(&self) -> [u8; 32] {
        self.sha256
    }
    /// Whether basicConstraints says cA.
    pub fn is_ca(&self) -> bool {
        self.extensions
            .basic_constraints
            .as_ref()
            .is_some_and(|b| b.ca)
    }
    /// Self-issued: subject and issuer names match (RFC 5280 §3.2).
    pub fn is_self_issued(&self) -> bool {
        self.subject.matches(&self.issuer)
    }
    /// subjectAltName entries (empty when absent).
    pub fn san(&self) -> &[GeneralName] {
        self.extensions
            .san
            .as_ref()
            .map(|(n, _)| n.as_slice())
            .unwrap_or(&[])
    }
}

const OID_BC: &str = "2.5.29.19";
const OID_KU: &str = "2.5.29.15";
const OID_EKU: &str = "2.5.29.37";
const OID_SAN: &str = "2.5.29.17";
const OID_NC: &str = "2.5.29.30";
const OID_SKI: &str = "2.5.29.14";
const OID_AKI: &str = "2.5.29.35";
const OID_PC: &str = "2.5.29.36";
const OID_CP: &str = "2.5.29.32";
const OID_PM: &str = "2.5.29.33";
const OID_IAP: &str = "2.5.29.54";

fn parse_extensions(
    exts: &[x509_parser::extensions::X509Extension<'_>],
    defects: &mut Vec<CertError>,
) -> Extensions {
    let mut out = Extensions::default();
    let mut seen = HashSet::new();
    for ext in exts {
        let oid = ext.oid.to_id_string();
        if !seen.insert(oid.clone()) {
            // RFC 5280 §4.2: at most one instance of an extension.
            defects.push(CertError::DuplicateExtension { oid });
            continue;
        }
        let bad = |reason: String| CertError::MalformedExtension {
            name: oid.clone(),
            reason,
        };
        match ext.parsed_extension() {
            ParsedExtension::ParseError { error } => {
                defects.push(bad(format!("does not parse: {error}")));
                continue;
            }
            ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::Unparsed => {
                if ext.critical {
                    defects.push(CertError::UnknownCriticalExtension { oid });
                }
                continue;
            }
            _ => {}
        }
        match (oid.as_str(), ext.parsed_extension()) {
            (OID_BC, ParsedExtension::BasicConstraints(bc)) => {
                out.basic_constraints = Some(BasicConstraints {
                    ca: bc.ca,
                    path_len: bc.path_len_constraint,
                    critical: ext.critical,
                });
            }
            (OID_KU, ParsedExtension::KeyUsage(k)) => {
                if k.flags == 0 {
                    defects.push(bad("keyUsage with no bit set (§4.2.1.3)".into()));
                }
                out.key_usage = Some(k.flags);
            }
            (OID_EKU, ParsedExtension::ExtendedKeyUsage(e)) => {
                let mut oids = Vec::new();
                for (set, o) in [
                    (e.any, eku::ANY),
                    (e.server_auth, eku::SERVER_AUTH),
                    (e.client_auth, eku::CLIENT_AUTH),
                    (e.code_signing, eku::CODE_SIGNING),
                    (e.email_protection, eku::EMAIL_PROTECTION),
                    (e.time_stamping, eku::TIME_STAMPING),
                    (e.ocsp_signing, eku::OCSP_SIGNING),
                ] {
                    if set {
                        oids.push(o.to_string());
                    }
                }
                oids.extend(e.other.iter().map(|o| o.to_id_string()));
                if oids.is_empty() {
                    defects.push(bad("empty extendedKeyUsage (§4.2.1.12 SIZE 1..MAX)".into()));
                }
                out.eku = Some((oids, ext.critical));
            }
            (OID_SAN, ParsedExtension::SubjectAlternativeName(san)) => {
                if san.general_names.is_empty() {
                    defects.push(bad("empty subjectAltName (§4.2.1.6)".into()));
                }
                out.san = Some((
                    san.general_names
                        .iter()
                        .map(GeneralName::from_parsed)
                        .collect(),
                    ext.critical,
                ));
            }
            (OID_NC, ParsedExtension::NameConstraints(nc)) => {
                let conv = |s: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                    s.iter()
                        .flatten()
                        .map(|t| GeneralName::from_parsed(&t.base))
                        .collect::<Vec<_>>()
                };
                if nc.permitted_subtrees.is_none() && nc.excluded_subtrees.is_none() {
                    defects.push(bad("nameConstraints with no subtree (§4.2.1.10)".into()));
                }
                out.name_constraints = Some(NameConstraints {
                    permitted: conv(&nc.permitted_subtrees),
                    excluded: conv(&nc.excluded_subtrees),
                    critical: ext.critical,
                });
            }
            (OID_SKI, ParsedExtension::SubjectKeyIdentifier(k)) => {
                if ext.critical {
                    defects.push(misuse(
                        "subjectKeyIdentifier",
                        "MUST be non-critical (§4.2.1.2)",
                    ));
                }
                out.ski = Some(k.0.to_vec());
            }
            (OID_AKI, ParsedExtension::AuthorityKeyIdentifier(a)) => {
                if ext.critical {
                    defects.push(misuse(
                        "authorityKeyIdentifier",
                        "MUST be non-critical (§4.2.1.1)",
                    ));
                }
                out.aki = Some(AuthorityKeyId {
                    key_id: a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                    has_issuer: a.authority_cert_issuer.is_some(),
                    has_serial: a.authority_cert_serial.is_some(),
                });
            }
            (OID_PC, ParsedExtension::PolicyConstraints(pc)) => {
                if !ext.critical {
                    defects.push(misuse("policyConstraints", "MUST be critical (§4.2.1.11)"));
                }
                if pc.require_explicit_policy.is_none() && pc.inhibit_policy_mapping.is_none() {
                    defects.push(bad("policyConstraints with no field (§4.2.1.11)".into()));
                }
                out.require_explicit_policy = pc.require_explicit_policy;
            }
            (OID_IAP, _) => {
                if !ext.critical {
                    defects.push(misuse("inhibitAnyPolicy", "MUST be critical (§4.2.1.14)"));
                }
            }
            // Certificate policies and mappings are understood in the sense of
            // RFC 5280 §6.1 with initial-explicit-policy unset: without
            // requireExplicitPolicy they cannot make a path invalid.
            (OID_CP, _) | (OID_PM, _) => {}
            _ => {
                // Parsed by x509-parser but not processed here (AIA, CRL
                // distribution points, SCTs, ...): fine unless critical.
                if ext.critical {
                    defects.push(CertError::UnknownCriticalExtension { oid });
                }
            }
        }
    }
    out
}

/// Reads every certificate in `bytes`: PEM (any number of `CERTIFICATE`
/// blocks; other block types are skipped) or DER (one or more concatenated
/// certificates).
pub fn parse_pem_or_der_bundle(bytes: &[u8]) -> Result<Vec<Certificate>, X509Error> {
    let mut out = Vec::new();
    let trimmed = trim_ascii_start(bytes);
    if trimmed.starts_with(b"-----BEGIN") {
        for der in pem_blocks(bytes, "CERTIFICATE")? {
            if out.len() >= MAX_BUNDLE_CERTS {
                return Err(X509Error::TooLarge {
                    what: "bundle",
                    limit: MAX_BUNDLE_CERTS,
                });
            }
            out.push(Certificate::from_der(&der)?);
        }
    } else {
        let mut rest = bytes;
        while !rest.is_empty() {
            if out.len() >= MAX_BUNDLE_CERTS {
                return Err(X509Error::TooLarge {
                    what: "bundle",
                    limit: MAX_BUNDLE_CERTS,
                });
            }
            let len = der_tlv_len(rest).ok_or_else(|| malformed("not PEM and not DER"))?;
            out.push(Certificate::from_der(&rest[..len])?);
            rest = &rest[len..];
        }
    }
    if out.is_empty() {
        return Err(X509Error::NoCertificates);
    }
    Ok(out)
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// Length of the leading DER TLV, header included, as the `der` crate reads
/// its header (X.690 §8.1: definite, minimal length).
pub(crate) fn der_tlv_len(b: &[u8]) -> Option<usize> {
    use der::{Decode as _, Encode as _};
    let mut reader = der::SliceReader::new(b).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    let total = (header.encoded_len().ok()? + header.length).ok()?;
    let total = usize::try_from(total).ok()?;
    (total <= b.len()).then_some(total)
}

/// Decodes every PEM block labelled `label` ([`crate::pem`]); blocks with
/// other labels are skipped.
pub(crate) fn pem_blocks(bytes: &[u8], label: &str) -> Result<Vec<Vec<u8>>, X509Error> {
    let blocks = crate::pem::blocks(bytes).map_err(|e| X509Error::Pem(e.to_string()))?;
    Ok(blocks
        .into_iter()
        .filter(|b| b.label == label)
        .map(|b| b.der)
        .collect())
}

/// Subject alternative names of the forms that identify a subject, plus
/// the subject's emailAddress attributes (RFC 5280 §4.2.1.10).
pub(crate) fn subject_emails(cert: &Certificate) -> Vec<Option<String>> {
    cert.subject
        .texts(super::names::OID_EMAIL_ADDRESS)
        .map(|t| t.map(str::to_string))
        .collect()
}

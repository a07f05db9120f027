//! RFC 5280 certificate path building and validation.
//!
//! The one call: [`validate`]`(leaf, intermediates, roots, &opts)` returns
//! the chain leaf→root it could build and validate ([`ValidChain`]), or a
//! [`ChainFailure`]: the most informative path it attempted, with the
//! failed check of the certificate that broke it. Parsing uses x509-parser,
//! signatures ring ([`verify_signed_data`] with a fixed allow-list, see
//! [`algorithm`]).
//!
//! ```no_run
//! use glassbox_core::x509::{self, Purpose, ValidationOptions, ValidationTime};
//! # fn f(leaf: &[u8], roots: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let leaf = x509::Certificate::from_der(leaf)?;
//! let roots = x509::parse_pem_or_der_bundle(roots)?;
//! let opts = ValidationOptions { purpose: Purpose::CodeSigning, ..Default::default() };
//! let chain = x509::validate(&leaf, &[], &roots, &opts)?;
//! # Ok(()) }
//! ```
//!
//! # What is checked (RFC 5280 §6.1, in path order)
//! - every link's signature, algorithm and key on the allow-list;
//! - validity of every certificate, trust anchors included, at the
//!   validation time truncated to whole seconds (both bounds inclusive;
//!   validity is encoded in whole seconds, §4.1.2.5, so 5 ms after
//!   notAfter is still within it, and 1 ms before notBefore is not);
//! - basicConstraints (critical, cA) on every issuer, pathLenConstraint
//!   counting non-self-issued intermediates, keyUsage keyCertSign;
//! - extendedKeyUsage: the leaf must list the purpose; a CA that carries an
//!   EKU must list the purpose or anyExtendedKeyUsage (EKU constrains the
//!   CA's subtree, as in Windows, Go and the CA/B Forum profiles);
//! - name constraints of every CA against every name below it
//!   ([`name_constraints`]); the subject CN counts as a DNS name only for
//!   serverAuth leaves;
//! - profile strictness: duplicate, unknown critical, unparsable or empty
//!   extensions, bad serials, version mismatches, inconsistent
//!   basicConstraints/keyUsage, wrong criticality;
//! - revocation against the CRLs given ([`crl`]);
//! - the peer name, when asked ([`PeerName`]).
//!
//! For [`Purpose::ServerAuth`] the CA/Browser Forum TLS profile adds: leaf
//! subjectAltName required and every CN listed in it, non-critical leaf EKU,
//! root AKI rules.
//!
//! Certificate policies are not processed (initial-policy-set is
//! anyPolicy); a certificate that requires an explicit policy is refused.
//!
//! # Path building
//! Depth-first over every candidate issuer whose subject matches the
//! child's issuer (and whose SKI matches the child's AKI when both exist),
//! trust anchors first, backtracking on failure. A candidate whose subject
//! and key already appear in the path is skipped (RFC 4158 §5.2), and the
//! search stops after `max_signature_checks` signature verifications or
//! `max_depth` intermediates, so hostile bundles cannot make it spin.

pub mod algorithm;
mod cert;
mod constraints;
pub mod crl;
mod error;
pub mod name_constraints;
mod names;
pub(crate) use names::bmp_string;
mod path;
mod peer_name;
mod validity;

use std::fmt;

use time::OffsetDateTime;

pub use algorithm::{SignatureAlgorithm, verify_signed_data, verify_with_key};
pub use cert::{
    AuthorityKeyId, BasicConstraints, Certificate, Extensions, KEY_USAGE_NAMES, MAX_BUNDLE_CERTS,
    MAX_CERT_SIZE, NameConstraints, parse_pem_or_der_bundle,
};
pub use crl::Crl;
pub use error::{CertError, X509Error};
pub use names::{DistinguishedName, GeneralName};
pub use path::validate;
pub use peer_name::PeerName;

/// When to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidationTime {
    /// The current time.
    #[default]
    Now,
    /// A fixed time (an RFC 3339 time, or a trusted timestamp).
    At(OffsetDateTime),
}

impl ValidationTime {
    /// The concrete time.
    pub fn resolve(self) -> OffsetDateTime {
        match self {
            ValidationTime::Now => OffsetDateTime::now_utc(),
            ValidationTime::At(t) => t,
        }
    }
}

/// What the leaf certificate must be good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// id-kp-codeSigning.
    #[default]
    CodeSigning,
    /// id-kp-timeStamping (RFC 3161 TSA certificates).
    TimeStamping,
    /// id-kp-serverAuth, with the CA/B Forum TLS profile.
    ServerAuth,
    /// id-kp-clientAuth.
    ClientAuth,
    /// Signing documents (an auditor's signed report): the leaf has no EKU
    /// (RFC 5280 §4.2.1.12: any purpose), or lists anyExtendedKeyUsage or
    /// one of [`DOCUMENT_SIGNING_EKUS`]. A certificate dedicated to another
    /// purpose (serverAuth, a TSA's timeStamping) does not sign documents.
    DocumentSigning,
    /// No EKU requirement.
    Any,
}

/// The EKUs that allow signing documents ([`Purpose::DocumentSigning`]):
/// id-kp-documentSigning (RFC 9336), id-kp-codeSigning (a signed report is
/// signed data like code), id-kp-emailProtection (S/MIME signing
/// certificates, which is what most personal signing certificates are),
/// Microsoft Document Signing (1.3.6.1.4.1.311.10.3.12) and Adobe Authentic
/// Documents Trust (1.2.840.113583.1.1.5).
pub const DOCUMENT_SIGNING_EKUS: &[&str] = &[
    "1.3.6.1.5.5.7.3.36",
    cert::eku::CODE_SIGNING,
    cert::eku::EMAIL_PROTECTION,
    "1.3.6.1.4.1.311.10.3.12",
    "1.2.840.113583.1.1.5",
];

impl Purpose {
    /// The EKU OID required, or `None` for [`Purpose::Any`]; for
    /// [`Purpose::DocumentSigning`], the first of [`Purpose::eku_oids`].
    pub fn oid(self) -> Option<&'static str> {
        self.eku_oids().first().copied()
    }

    /// Every EKU OID that satisfies this purpose; empty for
    /// [`Purpose::Any`].
    pub fn eku_oids(self) -> &'static [&'static str] {
        match self {
            Purpose::CodeSigning => &[cert::eku::CODE_SIGNING],
            Purpose::TimeStamping => &[cert::eku::TIME_STAMPING],
            Purpose::ServerAuth => &[cert::eku::SERVER_AUTH],
            Purpose::ClientAuth => &[cert::eku::CLIENT_AUTH],
            Purpose::DocumentSigning => DOCUMENT_SIGNING_EKUS,
            Purpose::Any => &[],
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Purpose::CodeSigning => "codeSigning",
            Purpose::TimeStamping => "timeStamping",
            Purpose::ServerAuth => "serverAuth",
            Purpose::ClientAuth => "clientAuth",
            Purpose::DocumentSigning => "documentSigning",
            Purpose::Any => "any",
        })
    }
}

/// Inputs to [`validate`] besides the certificates.
#[derive(Debug, Clone)]
pub struct ValidationOptions {
    /// The validation time.
    pub time: ValidationTime,
    /// Required leaf purpose.
    pub purpose: Purpose,
    /// CRLs to check revocation against (offline).
    pub crls: Vec<Crl>,
    /// A name the leaf must certify.
    pub peer_name: Option<PeerName>,
    /// keyUsage bits the leaf must assert (bit 0 = digitalSignature, as in
    /// RFC 5280 §4.2.1.3 order); 0 for none.
    pub required_key_usage: u16,
    /// Budget of signature verifications for the whole search.
    pub max_signature_checks: usize,
    /// Most non-self-issued intermediates in a path.
    pub max_depth: usize,
    /// For [`Purpose::ServerAuth`], the CA/B Forum TLS EKU rules on top of
    /// RFC 5280: the leaf must carry a non-critical EKU without
    /// anyExtendedKeyUsage (BR 7.1.2.7.6, 7.1.2.7.10) and the trust anchor
    /// none (BR 7.1.2.1.2). Off, an EE without EKU is valid for any purpose
    /// (RFC 5280 §4.2.1.12). On by default.
    pub cabf_tls_eku: bool,
    /// RFC 5280 §4.2.1.1 applied to trust anchors too: an anchor that is
    /// not self-issued (a cross-signed CA certificate placed in the trust
    /// store) must carry an authorityKeyIdentifier keyIdentifier. Off, an
    /// anchor is taken as given (§6.1.1(d): only its name and key are
    /// inputs). On by default; x509-limbo calls this pedantic-rfc5280.
    pub anchor_aki_required: bool,
    /// Further EKU OIDs (dotted) the leaf may carry instead of the
    /// purpose's own: a vendor's code-signing EKU (Microsoft's
    /// 1.3.6.1.4.1.311.* family) that an auditor's policy lists. Empty by
    /// default; anyExtendedKeyUsage stays refused where the purpose refuses it.
    pub extra_ekus: Vec<String>,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            time: ValidationTime::Now,
            purpose: Purpose::CodeSigning,
            crls: Vec::new(),
            peer_name: None,
            required_key_usage: 0,
            max_signature_checks: 100,
            max_depth: 8,
            cabf_tls_eku: true,
            anchor_aki_required: true,
            extra_ekus: Vec::new(),
        }
    }
}

/// A validated chain.
#[derive(Debug, Clone)]
pub struct ValidChain {
    /// Leaf first, trust anchor last.
    pub certificates: Vec<Certificate>,
    /// The validation time used.
    pub time: OffsetDateTime,
}

/// One certificate of an attempted path and, if it broke the path, why.
#[derive(Debug, Clone)]
pub struct ChainLink {
    /// The certificate.
    pub certificate: Certificate,
    /// The failed check, or `None` when this certificate passed what was
    /// checked before the path broke.
    pub error: Option<CertError>,
}

/// Validation failed: the most informative path attempted.
#[derive(Debug, Clone)]
pub struct ChainFailure {
    /// The attempted path, leaf first.
    pub chain: Vec<ChainLink>,
    /// The verdict (the error of the failing link).
    pub error: CertError,
    /// The validation time used.
    pub time: OffsetDateTime,
}

impl fmt::Display for ChainFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self
            .chain
            .iter()
            .position(|l| l.error.is_some())
            .unwrap_or(0);
        let subject = self
            .chain
            .get(at)
            .map(|l| l.certificate.subject().to_string())
            .unwrap_or_default();
        write!(f, "certificate {at} ({subject}): {}", self.error)
    }
}

impl std::error::Error for ChainFailure {}

/// RFC 3339 text of a time (UTC).
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

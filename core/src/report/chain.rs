//! The auditor's X.509 certificate chain, embedded in the signed report
//! (`case.auditor.certificates`) so a reader who trusts a certification
//! authority rather than one public key can check who signed it.
//!
//! Embedding ([`auditor_chain`]): the chain is leaf first, and the leaf
//! must certify the very key that signs the report, so a report never
//! carries a certificate for some other key.
//!
//! Verifying ([`verify_report_with_roots`]): the embedded chain is
//! validated against the reader's roots (RFC 5280 §6.1, [`x509::validate`])
//! at the current time, or a time the reader chooses — never the report's
//! own `time`, which the signer chose and could backdate into a window where
//! an expired or not-yet-valid certificate looks valid. Then the envelope is
//! verified ([`verify_report_envelope`]) with the leaf's key only. Purpose:
//! an auditor's certificate must allow signing documents
//! ([`Purpose::DocumentSigning`]: no EKU, anyExtendedKeyUsage, or a
//! document-, code- or email-signing EKU, see
//! [`x509::DOCUMENT_SIGNING_EKUS`]); a TSA certificate (critical
//! timeStamping only) or a TLS server certificate does not sign reports.
//! The leaf must assert keyUsage digitalSignature (RFC 5280 §4.2.1.3),
//! which is what signing a report is.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use super::ReportError;
use super::statement::{VerifiedReport, parse_statement, verify_report_envelope};
use crate::dsse::Envelope;
use crate::keys::PublicKey;
use crate::x509::{self, Purpose, ValidChain, ValidationOptions, ValidationTime};

/// Most certificates an embedded chain may hold (leaf and intermediates).
pub const MAX_CHAIN_CERTS: usize = 10;

/// keyUsage digitalSignature (bit 0, RFC 5280 §4.2.1.3), as
/// [`ValidationOptions::required_key_usage`] counts bits.
const DIGITAL_SIGNATURE: u16 = 1;

/// Reads the auditor's chain (PEM or DER bundle, leaf first) and checks
/// that the leaf certifies `signing_key`. Returns the certificates as the
/// report embeds them: standard base64 of each DER, leaf first.
pub fn auditor_chain(bundle: &[u8], signing_key: &PublicKey) -> Result<Vec<String>, ReportError> {
    let chain = x509::parse_pem_or_der_bundle(bundle)
        .map_err(|e| ReportError::Chain(format!("cannot parse: {e}")))?;
    let leaf = chain
        .first()
        .ok_or_else(|| ReportError::Chain("the file holds no certificate".into()))?;
    if chain.len() > MAX_CHAIN_CERTS {
        return Err(ReportError::Chain(format!(
            "{} certificates, more than the {MAX_CHAIN_CERTS} a chain may hold",
            chain.len()
        )));
    }
    let leaf_key = PublicKey::from_certificate_der(leaf.der())
        .map_err(|e| ReportError::Chain(format!("leaf certificate's key: {e}")))?;
    if leaf_key.spki_der() != signing_key.spki_der() {
        return Err(ReportError::Chain(format!(
            "the leaf certificate ({}) certifies key {}, not the signing key {}",
            leaf.subject(),
            leaf_key.key_id(),
            signing_key.key_id()
        )));
    }
    Ok(chain.iter().map(|c| STANDARD.encode(c.der())).collect())
}

/// A report verified through its embedded chain.
#[derive(Clone, Debug)]
pub struct ChainVerifiedReport {
    /// The verified report; its one signer is the leaf certificate's key.
    pub report: VerifiedReport,
    /// The validated chain, leaf first, trust anchor last.
    pub chain: ValidChain,
}

/// Verifies a report envelope against trusted `roots` instead of a known
/// key: the embedded chain must validate against `roots` for document
/// signing (at `at`, default now), and the envelope must then verify with the leaf's
/// key through [`verify_report_envelope`]. Fails with
/// [`ReportError::Chain`] when no chain is embedded or it does not
/// validate, and with the envelope's error when the signature does not
/// verify with the leaf key.
pub fn verify_report_with_roots(
    bytes: &[u8],
    roots: &[x509::Certificate],
    at: Option<OffsetDateTime>,
) -> Result<ChainVerifiedReport, ReportError> {
    // The payload is read before its signature is checked only to find the
    // chain and the time; nothing is trusted until the leaf key verifies
    // the envelope below, which covers both.
    let envelope = Envelope::from_json(bytes)?;
    let statement = parse_statement(&envelope.payload)?;
    let embedded = &statement.report.case.auditor.certificates;
    if embedded.is_empty() {
        return Err(ReportError::Chain(
            "the report embeds no certificate chain; verify it with --key".into(),
        ));
    }
    if embedded.len() > MAX_CHAIN_CERTS {
        return Err(ReportError::Chain(format!(
            "{} certificates embedded, more than {MAX_CHAIN_CERTS}",
            embedded.len()
        )));
    }
    let mut certs = Vec::with_capacity(embedded.len());
    for (i, b64) in embedded.iter().enumerate() {
        let der = STANDARD
            .decode(b64)
            .map_err(|e| ReportError::Chain(format!("certificate {i}: not base64: {e}")))?;
        certs.push(
            x509::Certificate::from_der(&der)
                .map_err(|e| ReportError::Chain(format!("certificate {i}: {e}")))?,
        );
    }
    let opts = ValidationOptions {
        time: at.map_or(ValidationTime::Now, ValidationTime::At),
        purpose: Purpose::DocumentSigning,
        required_key_usage: DIGITAL_SIGNATURE,
        ..ValidationOptions::default()
    };
    let chain = x509::validate(&certs[0], &certs[1..], roots, &opts)
        .map_err(|e| ReportError::Chain(format!("does not validate against the roots: {e}")))?;
    let leaf_key = PublicKey::from_certificate_der(certs[0].der())
        .map_err(|e| ReportError::Chain(format!("leaf certificate's key: {e}")))?;
    let name = format!("certificate {}", certs[0].subject());
    let report = verify_report_envelope(bytes, &[(name, leaf_key)])?;
    Ok(ChainVerifiedReport { report, chain })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlgorithm, SigningKey};

    fn key() -> SigningKey {
        SigningKey::generate(SigningAlgorithm::Ed25519).unwrap().key
    }

    #[test]
    fn chains_that_are_empty_or_for_another_key_are_refused() {
        let k = key();
        assert!(matches!(
            auditor_chain(b"", k.public_key()),
            Err(ReportError::Chain(_))
        ));
        let other = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x.invalid".into()])
            .unwrap()
            .self_signed(&other)
            .unwrap();
        let err = auditor_chain(cert.pem().as_bytes(), k.public_key()).unwrap_err();
        assert!(err.to_string().contains("not the signing key"), "{err}");
    }
}

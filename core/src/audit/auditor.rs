//! The auditor's side of an audit: the signing key and certificate chain
//! named by the case, loaded before any check runs, and the signature
//! over the finished report.

use std::path::PathBuf;

use crate::dsse::Envelope;
use crate::keys::{KeyError, SigningKey};
use crate::report::chain::auditor_chain;
use crate::report::statement::sign_report;
use crate::report::{AuditReport, ReportError};

use super::case::AuditCase;
use super::{AuditError, AuditEvent, Releases, run_audit_with};

/// Largest auditor certificate bundle read (a chain of at most
/// [`crate::report::chain::MAX_CHAIN_CERTS`] certificates fits easily).
pub const MAX_CERTIFICATE_BYTES: u64 = 1 << 20;

/// Why the auditor's key or certificate chain cannot be used: mistakes in
/// the case file, reported before any check runs.
#[derive(Debug, thiserror::Error)]
pub enum AuditorError {
    /// The signing key cannot be read or parsed.
    #[error("auditor key {}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// The certificate bundle cannot be read.
    #[error("auditor certificate {}", path.display())]
    ReadCertificate {
        /// The bundle.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::fsio::ReadFileError,
    },
    /// The chain is malformed or not for the signing key.
    #[error("auditor certificate {}", path.display())]
    Certificate {
        /// The bundle.
        path: PathBuf,
        /// Why.
        #[source]
        source: ReportError,
    },
}

/// A finished audit and the auditor's signature over it.
#[derive(Clone, Debug)]
pub struct SignedAudit {
    /// The report (its case carries the auditor's chain, if any).
    pub report: AuditReport,
    /// The DSSE envelope of its in-toto Statement, signed by the auditor.
    pub envelope: Envelope,
}

/// Loads the auditor's key (its id into the case) and, when the case
/// names a certificate, its chain into the case (checked against the key now: a chain for another
/// key is a mistake in the case file, not a finding).
pub fn load_auditor(case: &mut AuditCase) -> Result<SigningKey, AuditorError> {
    let key = SigningKey::from_file(&case.key.resolved).map_err(|source| AuditorError::Key {
        path: case.key.resolved.clone(),
        source,
    })?;
    // Signed with the report: the rendered page names the key to verify
    // it with, and `report verify` checks that this key signed it.
    case.case.auditor.key_id = Some(key.key_id());
    if let Some(cert) = &case.certificate {
        let path = cert.resolved.clone();
        let bundle =
            crate::fsio::read_file_capped(&path, MAX_CERTIFICATE_BYTES).map_err(|source| {
                AuditorError::ReadCertificate {
                    path: path.clone(),
                    source,
                }
            })?;
        case.case.auditor.certificates = auditor_chain(&bundle, key.public_key())
            .map_err(|source| AuditorError::Certificate { path, source })?;
    }
    Ok(key)
}

/// The whole audit of `case` as `glassbox audit` runs it: the auditor
/// loaded ([`load_auditor`]), every check run on releases read once
/// ([`super::run_audit`]), the report signed.
pub fn audit_and_sign(
    case: &AuditCase,
    time: &str,
    progress: &mut dyn FnMut(AuditEvent<'_>),
) -> Result<SignedAudit, AuditError> {
    let mut case = case.clone();
    let key = load_auditor(&mut case)?;
    let report = run_audit_with(&case, &Releases::new(&case), time, progress)?;
    let envelope = sign_report(&report, &key).map_err(AuditError::Sign)?;
    Ok(SignedAudit { report, envelope })
}

//! Logging a signed audit: the report's envelope and every audited file
//! appended to the case's transparency log (`core::tlog`).

use std::path::{Path, PathBuf};

use crate::report::AuditReport;
use crate::report::statement::subjects_of;

use super::case::AuditCase;

/// What [`log_audit`] appended.
#[derive(Clone, Debug)]
pub struct Logged {
    /// Index of the signed report's entry.
    pub index: u64,
    /// Entries appended (the report, then every audited file).
    pub count: usize,
    /// The log size after the append.
    pub size: u64,
    /// A tlog-proof (C2SP) of the report's entry.
    pub proof: crate::tlog::proof::TlogProof,
}

/// Appends the signed report `envelope` and every audited file (the report's
/// subjects, resolved against the case file's directory) to the case's
/// transparency log, and proves the report's inclusion. This happens after
/// signing, so it is not part of the report; its proof sits beside it.
pub fn log_audit(
    case: &AuditCase,
    report: &AuditReport,
    envelope: &Path,
) -> Result<Option<Logged>, crate::tlog::Error> {
    let Some(cl) = &case.log else {
        return Ok(None);
    };
    let log = crate::tlog::Log::open(&cl.dir.resolved)?;
    let pem = crate::tlog::tiles::read_bounded(&cl.key.resolved, 64 * 1024)?;
    let der = crate::tlog::key::pkcs8_der(&pem)?;
    let signer = crate::tlog::LogSigner::from_pkcs8(log.origin(), &der)?;
    let base = case.file.parent().unwrap_or(Path::new(""));
    let mut files: Vec<PathBuf> = vec![envelope.to_path_buf()];
    files.extend(subjects_of(report).iter().map(|s| base.join(&s.name)));
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let appended = log.append_files(&signer, &refs)?;
    let proof = log.prove(appended.first_index)?;
    Ok(Some(Logged {
        index: appended.first_index,
        count: files.len(),
        size: appended.checkpoint.checkpoint.size,
        proof,
    }))
}

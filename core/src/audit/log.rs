//! Logging a signed audit: the report's envelope and every audited file
//! appended to the case's transparency log (`core::tlog`).

use std::path::Path;

use crate::digest::Sha256Digest;
use crate::report::{AuditReport, InputKind};
use crate::tlog::leaf::LeafRecord;

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
/// transparency log, and proves the report's inclusion. The files of an
/// input directory are logged with the digests and sizes the audit
/// computed (they are not read again); a file input, whose size the
/// report does not hold, is hashed and must still have its audited digest. This happens after
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
    let mut records = vec![LeafRecord::of_file(envelope)?];
    for (name, sha256, size) in audited_files(report)? {
        let path = base.join(&name);
        records.push(match size {
            Some(size) => LeafRecord::of_hashed(&path, sha256, size)?,
            // A file input: the report has its digest but not its size.
            None => {
                let record = LeafRecord::of_file(&path)?;
                if record.sha256 != sha256 {
                    return Err(crate::tlog::Error::EntryMismatch(format!(
                        "{}: changed since it was audited (sha256 {} in the report, {} now); \
                         audit it again",
                        path.display(),
                        sha256,
                        record.sha256
                    )));
                }
                record
            }
        });
    }
    let count = records.len();
    let appended = log.append(&signer, records.iter().map(LeafRecord::to_bytes))?;
    let proof = log.prove(appended.first_index)?;
    Ok(Some(Logged {
        index: appended.first_index,
        count,
        size: appended.checkpoint.checkpoint.size,
        proof,
    }))
}

/// The audited files as the report's subjects name them
/// ([`crate::report::statement::subjects_of`]: relative to the case file,
/// sorted by name then digest, without duplicates), with their digest and,
/// for the files of an input directory, their size.
fn audited_files(
    report: &AuditReport,
) -> Result<Vec<(String, Sha256Digest, Option<u64>)>, crate::tlog::Error> {
    let digest = |name: &str, hex: &str| {
        Sha256Digest::from_hex(hex).map_err(|e| {
            crate::tlog::Error::EntryMismatch(format!("{name}: the report's sha256: {e}"))
        })
    };
    let mut files = Vec::new();
    for input in &report.inputs {
        match input.kind {
            InputKind::File => files.push((
                input.path.clone(),
                digest(&input.path, &input.sha256)?,
                None,
            )),
            InputKind::Directory => {
                let base = input.path.trim_end_matches('/');
                for f in &input.files {
                    let name = format!("{base}/{}", f.path);
                    let sha256 = digest(&name, &f.sha256)?;
                    files.push((name, sha256, Some(f.size)));
                }
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    files.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    Ok(files)
}

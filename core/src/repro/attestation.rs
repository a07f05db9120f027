//! The rebuild attestation: a reproducibility verdict as an in-toto
//! Statement v1, for signing in a DSSE envelope ([`crate::dsse`]).
//!
//! Subjects are the two artifacts by SHA-256 (the vendor's first); the
//! predicate is the [`ReproReport`] plus the tool that made it.

use serde_json::json;

use crate::dsse::{Statement, Subject};

use super::{ReproError, ReproReport};

/// Predicate type of a glassbox rebuild verdict.
pub const REBUILD_PREDICATE_TYPE: &str = "https://glassbox.dev/rebuild-verdict/v1";

/// The Statement for `report`. Both artifacts must be files (archives):
/// a directory has no single digest to name as a subject.
pub fn statement(report: &ReproReport) -> Result<Statement, ReproError> {
    let subject = |a: &super::ArtifactInfo| {
        let digest = a.sha256.ok_or_else(|| ReproError::Input {
            path: a.path.clone(),
            why: "a directory has no digest to attest; attest the archive of the release".into(),
        })?;
        let name = std::path::Path::new(&a.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| a.path.clone());
        Ok::<_, ReproError>(Subject::sha256(name, &digest))
    };
    let subjects = vec![subject(&report.vendor)?, subject(&report.rebuild)?];
    let predicate = json!({
        "tool": { "name": "glassbox", "version": crate::TOOL_VERSION },
        "verdict": report.verdict,
        "vendor": report.vendor,
        "rebuild": report.rebuild,
        "normalizations": report.normalizations,
        "allowedNormalizations": report.allowed,
        "differences": report.differences,
    });
    Ok(Statement::new(subjects, REBUILD_PREDICATE_TYPE, predicate))
}

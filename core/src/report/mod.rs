//! The audit report: what was examined, what each check concluded, and the
//! findings an auditor signs.
//!
//! An [`AuditReport`] is plain data with a published JSON Schema
//! (`core/schema/audit-report.v1.schema.json`, also [`SCHEMA_JSON`]). Its
//! JSON form is canonical ([`canonical`]): the same inputs and the same
//! report time give byte-identical JSON, so a report can be signed, hashed
//! and compared.
//!
//! ```
//! use glassbox_core::report::{AuditReport, Case, Auditor, Check, Finding, Severity};
//! let mut report = AuditReport::new(
//!     Case {
//!         auditor: Auditor { name: "A. Auditor".into(), organization: None, email: None, key_id: None, certificates: vec![] },
//!         vendor: "ExampleAV".into(),
//!         product: "ExampleAV Engine".into(),
//!         version: "1.1.0".into(),
//!     },
//!     "2026-07-01T12:00:00Z",
//! ).unwrap();
//! report.add_finding(Finding::new(Severity::Info, Check::Repro, "Rebuild is identical"));
//! report.finish();
//! let json = report.to_canonical_json().unwrap();
//! assert!(json.starts_with("{\"case\":"));
//! ```

pub mod canonical;
pub mod chain;
pub mod render;
pub mod statement;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The report format version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// `$id` of the JSON Schema of [`AuditReport`] v1.
pub const SCHEMA_ID: &str = "https://glassbox.dev/schema/audit-report.v1.schema.json";

/// The JSON Schema (draft 2020-12) of [`AuditReport`] v1.
pub const SCHEMA_JSON: &str = include_str!("../../schema/audit-report.v1.schema.json");

/// Why a report could not be built, read or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report time is not an RFC 3339 date-time.
    #[error("report time {0:?} is not an RFC 3339 date-time (e.g. 2026-07-01T12:00:00Z)")]
    BadTime(String),
    /// The JSON is not a report this version understands.
    #[error("not a glassbox audit report: {0}")]
    Malformed(String),
    /// A report of another format version.
    #[error("unsupported report schema_version {found} (this glassbox reads {SCHEMA_VERSION})")]
    UnsupportedVersion {
        /// The version the report declares.
        found: u64,
    },
    /// The report holds a value without canonical form.
    #[error(transparent)]
    Canonical(#[from] canonical::CanonicalError),
    /// Signing or verifying the DSSE envelope failed.
    #[error(transparent)]
    Dsse(#[from] crate::dsse::DsseError),
    /// The envelope or its payload is not in the exact form glassbox
    /// writes, so some byte of it was changed.
    #[error("signed report altered: {0}")]
    Altered(String),
    /// The auditor's certificate chain is unusable: absent when roots are
    /// given, malformed, not for the signing key, or not valid against the
    /// roots.
    #[error("auditor certificate chain: {0}")]
    Chain(String),
}

/// A complete audit report (schema v1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditReport {
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// The program that wrote the report.
    pub tool: Tool,
    /// Who audited what.
    pub case: Case,
    /// When the audit is dated: RFC 3339, UTC (`Z`). Given by the auditor
    /// or the clock; the only time that enters the report.
    pub time: String,
    /// Every input examined, with its digest.
    pub inputs: Vec<Input>,
    /// One entry per check, in the order they ran.
    pub steps: Vec<Step>,
    /// The evidence sections the checks produced.
    pub results: Results,
    /// What the auditor must look at, most severe first.
    pub findings: Vec<Finding>,
    /// The overall verdict and counts per severity.
    pub summary: Summary,
}

/// The program that wrote a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// `glassbox`.
    pub name: String,
    /// [`crate::TOOL_VERSION`] at the time of writing.
    pub version: String,
}

/// Who audited which release of what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The auditor who signs the report.
    pub auditor: Auditor,
    /// The vendor under audit.
    pub vendor: String,
    /// The vendor's product.
    pub product: String,
    /// The version of the release under audit.
    pub version: String,
}

/// The auditor's identity as stated in the case file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auditor {
    /// Person or team name.
    pub name: String,
    /// Organisation, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Contact address, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The id of the key that signs the report (lowercase hex SHA-256 of
    /// its DER SubjectPublicKeyInfo, as `glassbox keygen` prints it), set
    /// when the audit signs. Signed with the report, so the rendered page
    /// can name the key to verify it with, and `report verify` fails when
    /// another key signed it. Absent in reports written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The auditor's X.509 certificate chain, leaf first, each certificate
    /// standard base64 of its DER; empty (and absent from the JSON) when the
    /// case file names none. Signed with the report, so `report verify
    /// --roots` can check who the signing key belongs to
    /// ([`chain::verify_report_with_roots`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<String>,
}

/// What an input is to the audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputRole {
    /// The release under audit.
    Release,
    /// The earlier release it is compared with.
    Previous,
    /// The auditor's independent rebuild.
    Rebuild,
    /// The trust policy signatures are verified against.
    Policy,
    /// The TUF trust anchor (initial root metadata).
    TufRoot,
    /// The vendor's TUF repository copy (`metadata/`, `targets/`).
    TufRepository,
    /// A file the trust policy points to (a root or intermediate
    /// certificate, a TSA root, a pinned key, a Sigstore trusted root):
    /// hashed and signed with the report, so what the verdict rested on is
    /// bound, not just the policy text that names it.
    TrustMaterial,
}

/// Whether an input is one file or a directory tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// A single file (an archive, a policy).
    File,
    /// A directory; its files are listed in [`Input::files`].
    Directory,
}

/// One input of the audit, identified by digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// What the input is to the audit.
    pub role: InputRole,
    /// Its path as written in the case file (relative to the case file,
    /// `/`-separated).
    pub path: String,
    /// File or directory.
    pub kind: InputKind,
    /// Lowercase hex SHA-256: of the file; for a directory, of its
    /// `sha256sum`-style listing (`<hex>  <path>\n` per regular file,
    /// sorted by path bytes), so `sha256sum` can recompute it.
    pub sha256: String,
    /// For a directory: every regular file, sorted by path. Empty for a file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Artifact>,
}

/// A file with its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Path inside the input directory, `/`-separated.
    pub path: String,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// The checks an audit runs; each finding names the one that produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Reading and hashing the inputs.
    Inputs,
    /// Signatures, certificate chains, coverage, signer continuity.
    Verify,
    /// Differences from the previous release.
    Diff,
    /// Reproducibility against the auditor's rebuild.
    Repro,
    /// The vendor's TUF update repository.
    Tuf,
}

impl Check {
    /// The lowercase name used in JSON and finding ids.
    pub fn name(self) -> &'static str {
        match self {
            Check::Inputs => "inputs",
            Check::Verify => "verify",
            Check::Diff => "diff",
            Check::Repro => "repro",
            Check::Tuf => "tuf",
        }
    }

    /// Every check, in the order an audit runs them.
    pub const ALL: [Check; 5] = [
        Check::Inputs,
        Check::Verify,
        Check::Diff,
        Check::Repro,
        Check::Tuf,
    ];

    /// What the check establishes, as the verdict names it when the check
    /// did not run (`PASS — signatures, reproducibility not checked`).
    pub fn establishes(self) -> &'static str {
        match self {
            Check::Inputs => "inputs",
            Check::Verify => "signatures",
            Check::Diff => "changes since the previous release",
            Check::Repro => "reproducibility",
            Check::Tuf => "TUF repository",
        }
    }
}

/// How a check ended. Every check of an audit has a step, also the ones
/// the case did not ask for: a report never leaves the reader to infer
/// from a missing line that something was not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// It ran and found nothing high or critical.
    Ok,
    /// It ran and produced a high or critical finding.
    Failed,
    /// It did not run: [`Step::why`] says whether the case did not ask for
    /// it or it could not run (then a finding carries the cause).
    NotRun,
    /// Reports written before steps had `not-run` said `passed` for `ok`.
    /// Read (so those signed reports keep verifying), never written.
    Passed,
    /// Reports written before steps had `not-run` said `error` for a check
    /// that could not run. Read, never written.
    Error,
}

impl StepStatus {
    /// The word the renderings use: `ok`, `failed`, `not run`.
    pub fn word(self) -> &'static str {
        match self {
            StepStatus::Ok | StepStatus::Passed => "ok",
            StepStatus::Failed => "failed",
            StepStatus::NotRun | StepStatus::Error => "not run",
        }
    }

    /// Whether the check did not run (also in the older wording).
    pub fn not_run(self) -> bool {
        matches!(self, StepStatus::NotRun | StepStatus::Error)
    }
}

/// Why a check did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotRun {
    /// The case file has no section for it (`[verify]`, `[previous]`,
    /// `[rebuild]`, `[tuf]`).
    NotConfigured,
    /// It was asked for but could not run; the step's summary and a high
    /// finding of the check carry the cause.
    CouldNotRun,
}

impl NotRun {
    /// The words the renderings use.
    pub fn words(self) -> &'static str {
        match self {
            NotRun::NotConfigured => "not configured",
            NotRun::CouldNotRun => "could not run",
        }
    }
}

/// One check of the audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Which check.
    pub check: Check,
    /// How it ended.
    pub status: StepStatus,
    /// Why it did not run: present exactly when `status` is `not-run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<NotRun>,
    /// One line for people (for a check that could not run: the cause).
    pub summary: String,
}

impl Step {
    /// The status as the renderings show it: `ok`, `failed`,
    /// `not run (not configured)`, `not run (could not run)`.
    pub fn status_text(&self) -> String {
        let why = match (self.status, self.why) {
            (_, Some(why)) => Some(why),
            // The older wording of a check that could not run.
            (StepStatus::Error, None) => Some(NotRun::CouldNotRun),
            _ => None,
        };
        match why {
            Some(why) => format!("{} ({})", self.status.word(), why.words()),
            None => self.status.word().to_string(),
        }
    }
}

/// The evidence sections; a section is absent when its check did not run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Results {
    /// Signatures, coverage and signer continuity of the release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifySection>,
    /// What changed since the previous release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<DiffSection>,
    /// Whether the rebuild reproduces the release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repro: Option<ReproSection>,
    /// The vendor's TUF update repository, verified as a client would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuf: Option<TufSection>,
}

/// Evidence of the TUF repository check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TufSection {
    /// Whether the metadata refresh succeeded, no delegated role failed and
    /// every target verified.
    pub verified: bool,
    /// Root versions accepted, trust anchor first.
    pub root_versions: Vec<u64>,
    /// Each verified role.
    pub roles: Vec<TufRole>,
    /// Each target checked.
    pub targets: Vec<TufTarget>,
    /// Why the refresh failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A verified TUF role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TufRole {
    /// Role name.
    pub role: String,
    /// Metadata version.
    pub version: u64,
    /// Expiry (RFC 3339).
    pub expires: String,
    /// Valid signatures.
    pub signatures: u64,
    /// The role's threshold.
    pub threshold: u64,
}

/// A TUF target and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TufTarget {
    /// Target path.
    pub name: String,
    /// Whether its length and hashes matched the trusted metadata.
    pub verified: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Evidence of the signature check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySection {
    /// Whether everything the policy requires verified.
    pub verified: bool,
    /// Files verified / unsigned / failed.
    pub coverage: Coverage,
    /// Every signature file found, with its verdict.
    pub signatures: Vec<SignatureRow>,
    /// Each distinct signer with its certificate chain (leaf first).
    pub signers: Vec<SignerChain>,
    /// Files that are unsigned or failed, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<FileProblem>,
    /// Signer changes against the previous release, when it was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuity: Option<Continuity>,
}

/// Coverage counts over the release's files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Covered by a signature that verified, and by none that failed.
    pub verified: u64,
    /// Covered by nothing that verified.
    pub unsigned: u64,
    /// Covered by a signature or manifest that failed.
    pub failed: u64,
}

/// One signature file and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureRow {
    /// The signature (or signed manifest) file.
    pub signature: String,
    /// Its format (`cms`, `raw`, `dsse`, `sigstore`, ...).
    pub format: String,
    /// The files it signs.
    pub targets: Vec<String>,
    /// Whether it verified.
    pub verified: bool,
    /// Who signed it (names of the verified signers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<String>,
    /// The trusted signing time (RFC 3161), RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Why it failed: `<check>: <reason>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A signer and the chain that made it trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerChain {
    /// Certificate subject or pinned key name.
    pub signer: String,
    /// `x509`, `pinned-key` or `sigstore`.
    pub kind: String,
    /// SHA-256 of the signer's SubjectPublicKeyInfo, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
    /// Certificate subjects from the leaf up to the trusted root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
}

/// A file that is not (validly) signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileProblem {
    /// The file, relative to the release.
    pub file: String,
    /// The signature or manifest involved, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
    /// The check that failed (stable name).
    pub check: String,
    /// Why.
    pub reason: String,
}

/// Signer changes between the previous release and this one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Continuity {
    /// Signers of this release that did not sign the previous one.
    pub new: Vec<String>,
    /// Signers of the previous release absent from this one.
    pub removed: Vec<String>,
    /// Same signer name with another key or certificate: `name: what`.
    pub changed: Vec<String>,
}

/// Evidence of the comparison with the previous release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffSection {
    /// The previous release's version.
    pub previous_version: String,
    /// Entries per change class (`added`, `removed`, `modified`, ...).
    pub counts: std::collections::BTreeMap<String, u64>,
    /// Executables (ELF, PE, Mach-O) added or modified.
    pub changed_executables: Vec<String>,
}

/// Evidence of the reproducibility check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReproSection {
    /// Whether the rebuild reproduced the release.
    pub verdict: ReproVerdict,
    /// The normalizations that made the rebuild match, with counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalizations: Vec<Normalization>,
    /// What still differs after normalization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<ReproDifference>,
}

/// The reproducibility verdict as the report records it (schema:
/// `identical`, `equivalent` or `different`; anything else is not a v1
/// report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReproVerdict {
    /// The same bytes.
    Identical,
    /// The same after the listed normalizations.
    Equivalent,
    /// Differences remain after normalization.
    Different,
}

impl ReproVerdict {
    /// The name the report uses.
    pub fn name(self) -> &'static str {
        match self {
            ReproVerdict::Identical => "identical",
            ReproVerdict::Equivalent => "equivalent",
            ReproVerdict::Different => "different",
        }
    }
}

/// One normalization the reproducibility check applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalization {
    /// Stable name (e.g. `tar-mtime`).
    pub name: String,
    /// What it ignores.
    pub description: String,
    /// How many places it applied to.
    pub count: u64,
}

/// One difference between release and rebuild.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReproDifference {
    /// The file.
    pub path: String,
    /// What kind of difference (`content`, `missing-in-rebuild`, ...).
    pub kind: String,
}

/// How serious a finding is. Ordered most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The update must not ship as audited (a failed signature, content
    /// that does not match the rebuild).
    Critical,
    /// Needs the auditor's judgement before sign-off (a new signer, a
    /// check that could not run).
    High,
    /// Worth a look (unsigned optional files, metadata-only changes).
    Medium,
    /// Recorded for completeness (normalizations applied, counts).
    Info,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Info,
    ];

    /// The lowercase name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Info => "info",
        }
    }

    /// Whether a finding of this severity fails the audit.
    pub fn fails_audit(self) -> bool {
        matches!(self, Severity::Critical | Severity::High)
    }
}

/// One thing the auditor must see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// `<CHECK>-<n>`, numbered per check in report order; assigned by
    /// [`AuditReport::finish`].
    pub id: String,
    /// How serious it is.
    pub severity: Severity,
    /// The check that produced it.
    pub check: Check,
    /// One line naming what and where.
    pub title: String,
    /// Supporting facts, one per line (digests, reasons, counts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The files it concerns, relative to their input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl Finding {
    /// A finding without evidence; the id is assigned by [`AuditReport::finish`].
    pub fn new(severity: Severity, check: Check, title: impl Into<String>) -> Self {
        Finding {
            id: String::new(),
            severity,
            check,
            title: title.into(),
            evidence: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// Adds a line of evidence.
    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    /// Adds the paths the finding concerns.
    pub fn paths<I: IntoIterator<Item = S>, S: Into<String>>(mut self, paths: I) -> Self {
        self.paths.extend(paths.into_iter().map(Into::into));
        self
    }
}

/// The overall verdict of an audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No critical or high finding.
    Pass,
    /// At least one critical or high finding.
    Fail,
}

/// The verdict and the number of findings per severity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Pass when no finding is high or critical.
    pub verdict: Verdict,
    /// Critical findings.
    pub critical: u64,
    /// High findings.
    pub high: u64,
    /// Medium findings.
    pub medium: u64,
    /// Informational findings.
    pub info: u64,
}

/// Parses an RFC 3339 date-time and writes it back in UTC (`Z`), the only
/// form a report holds (RFC 3339 §5.6).
pub fn normalize_time(text: &str) -> Result<String, ReportError> {
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| ReportError::BadTime(text.to_string()))?;
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|_| ReportError::BadTime(text.to_string()))
}

impl AuditReport {
    /// An empty report for `case`, dated `time` (RFC 3339, any offset;
    /// stored in UTC).
    pub fn new(case: Case, time: &str) -> Result<Self, ReportError> {
        Ok(AuditReport {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "glassbox".to_string(),
                version: crate::TOOL_VERSION.to_string(),
            },
            case,
            time: normalize_time(time)?,
            inputs: Vec::new(),
            steps: Vec::new(),
            results: Results::default(),
            findings: Vec::new(),
            summary: Summary {
                verdict: Verdict::Pass,
                critical: 0,
                high: 0,
                medium: 0,
                info: 0,
            },
        })
    }

    /// Records a finding (call [`AuditReport::finish`] when done).
    pub fn add_finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// The UTC date of the report, `YYYY-MM-DD` (for directory names).
    pub fn date(&self) -> &str {
        self.time.get(..10).unwrap_or(&self.time)
    }

    /// Orders findings (most severe first, then by check, keeping the order
    /// each check reported them in), numbers them per check, and computes
    /// the summary. Idempotent.
    pub fn finish(&mut self) {
        self.findings.sort_by_key(|f| (f.severity, f.check));
        let mut per_check: std::collections::BTreeMap<Check, u32> = Default::default();
        for f in &mut self.findings {
            let n = per_check.entry(f.check).or_default();
            *n += 1;
            f.id = format!("{}-{}", f.check.name().to_ascii_uppercase(), n);
        }
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count() as u64;
        self.summary = Summary {
            verdict: if self.findings.iter().any(|f| f.severity.fails_audit()) {
                Verdict::Fail
            } else {
                Verdict::Pass
            },
            critical: count(Severity::Critical),
            high: count(Severity::High),
            medium: count(Severity::Medium),
            info: count(Severity::Info),
        };
    }

    /// Whether the audit passed (no critical or high finding).
    pub fn passed(&self) -> bool {
        self.summary.verdict == Verdict::Pass
    }

    /// The checks that did not run, in report order: what a PASS does not
    /// vouch for.
    pub fn not_checked(&self) -> Vec<Check> {
        self.steps
            .iter()
            .filter(|s| s.status.not_run())
            .map(|s| s.check)
            .collect()
    }

    /// `PASS` or `FAIL`.
    pub fn verdict_word(&self) -> &'static str {
        match self.summary.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        }
    }

    /// `signatures, reproducibility not checked`, or `None` when every
    /// check ran.
    pub fn not_checked_text(&self) -> Option<String> {
        let missing: Vec<&str> = self
            .not_checked()
            .into_iter()
            .map(Check::establishes)
            .collect();
        (!missing.is_empty()).then(|| format!("{} not checked", missing.join(", ")))
    }

    /// The verdict as every rendering states it: `PASS`, `FAIL`, or either
    /// followed by what was not checked
    /// (`PASS — signatures, reproducibility not checked`), so a pass of an
    /// audit that checked little is never read as a pass of everything.
    pub fn verdict_line(&self) -> String {
        match self.not_checked_text() {
            Some(missing) => format!("{} — {missing}", self.verdict_word()),
            None => self.verdict_word().to_string(),
        }
    }

    /// The canonical JSON of the report ([`canonical`]): deterministic bytes.
    pub fn to_canonical_json(&self) -> Result<String, ReportError> {
        Ok(canonical::to_canonical_json(self)?)
    }

    /// Reads a report, checking its schema version first so an unknown
    /// version gets a precise error rather than a field mismatch.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ReportError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| ReportError::Malformed(e.to_string()))?;
        Self::from_value(value)
    }

    /// As [`AuditReport::from_json`], from a parsed value (a Statement's
    /// predicate).
    pub fn from_value(value: serde_json::Value) -> Result<Self, ReportError> {
        match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(found) => return Err(ReportError::UnsupportedVersion { found }),
            None => {
                return Err(ReportError::Malformed(
                    "missing or non-integer schema_version".to_string(),
                ));
            }
        }
        let report: AuditReport =
            serde_json::from_value(value).map_err(|e| ReportError::Malformed(e.to_string()))?;
        report.check_values()?;
        Ok(report)
    }

    /// The constraints serde cannot express: the time is RFC 3339 in UTC
    /// form, every digest is 64 lowercase hex digits and the auditor's
    /// certificates are at most [`chain::MAX_CHAIN_CERTS`] base64 strings
    /// (as the schema says).
    fn check_values(&self) -> Result<(), ReportError> {
        if normalize_time(&self.time)? != self.time {
            return Err(ReportError::Malformed(format!(
                "time {:?} is not in UTC form",
                self.time
            )));
        }
        let digests = self
            .inputs
            .iter()
            .flat_map(|i| std::iter::once(&i.sha256).chain(i.files.iter().map(|f| &f.sha256)))
            .chain(
                self.results
                    .verify
                    .iter()
                    .flat_map(|v| v.signers.iter().filter_map(|s| s.key_sha256.as_ref())),
            )
            .chain(self.case.auditor.key_id.as_ref());
        for d in digests {
            if !is_sha256_hex(d) {
                return Err(ReportError::Malformed(format!(
                    "{d:?} is not a lowercase hex SHA-256"
                )));
            }
        }
        for step in &self.steps {
            let consistent = match step.status {
                StepStatus::NotRun => step.why.is_some(),
                _ => step.why.is_none(),
            };
            if !consistent {
                return Err(ReportError::Malformed(format!(
                    "step {}: `why` must be present exactly when the status is not-run",
                    step.check.name()
                )));
            }
        }
        let certs = &self.case.auditor.certificates;
        if certs.len() > chain::MAX_CHAIN_CERTS {
            return Err(ReportError::Malformed(format!(
                "{} auditor certificates, more than {}",
                certs.len(),
                chain::MAX_CHAIN_CERTS
            )));
        }
        for c in certs {
            use base64::Engine as _;
            if base64::engine::general_purpose::STANDARD.decode(c).is_err() {
                return Err(ReportError::Malformed(
                    "an auditor certificate is not standard base64".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Whether `s` is 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case with placeholder names, for the report module's tests.
    pub(super) fn case() -> Case {
        Case {
            auditor: Auditor {
                name: "A".into(),
                organization: Some("Org".into()),
                email: None,
                key_id: None,
                certificates: vec![],
            },
            vendor: "V".into(),
            product: "P".into(),
            version: "1".into(),
        }
    }

    #[test]
    fn time_is_stored_in_utc() {
        let r = AuditReport::new(case(), "2026-07-01T14:00:00+02:00").unwrap();
        assert_eq!(r.time, "2026-07-01T12:00:00Z");
        assert_eq!(r.date(), "2026-07-01");
        assert!(matches!(
            AuditReport::new(case(), "yesterday"),
            Err(ReportError::BadTime(_))
        ));
    }

    #[test]
    fn finish_orders_numbers_and_judges() {
        let mut r = AuditReport::new(case(), "2026-07-01T12:00:00Z").unwrap();
        r.add_finding(Finding::new(Severity::Info, Check::Repro, "normalized"));
        r.add_finding(Finding::new(Severity::Critical, Check::Verify, "bad sig a"));
        r.add_finding(Finding::new(Severity::Critical, Check::Verify, "bad sig b"));
        r.add_finding(Finding::new(Severity::Medium, Check::Diff, "mode"));
        r.finish();
        let ids: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.title.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("VERIFY-1", "bad sig a"),
                ("VERIFY-2", "bad sig b"),
                ("DIFF-1", "mode"),
                ("REPRO-1", "normalized")
            ]
        );
        assert_eq!(r.summary.verdict, Verdict::Fail);
        assert_eq!(
            (r.summary.critical, r.summary.medium, r.summary.info),
            (2, 1, 1)
        );
        let again = {
            let mut c = r.clone();
            c.finish();
            c
        };
        assert_eq!(again, r);

        let mut ok = AuditReport::new(case(), "2026-07-01T12:00:00Z").unwrap();
        ok.add_finding(Finding::new(Severity::Medium, Check::Diff, "mode"));
        ok.finish();
        assert!(ok.passed());
    }

    /// Reports signed before steps had `not-run` said `passed` and `error`:
    /// they still read (and so keep verifying) and render in today's words;
    /// `why` goes with `not-run` only.
    #[test]
    fn older_step_words_read_and_why_goes_with_not_run_only() {
        let mut r = AuditReport::new(case(), "2026-07-01T12:00:00Z").unwrap();
        r.finish();
        let json = r.to_canonical_json().unwrap();
        let with_steps =
            |steps: &str| json.replace("\"steps\":[]", &format!("\"steps\":[{steps}]"));
        let old = with_steps(
            r#"{"check":"inputs","status":"passed","summary":"s"},{"check":"diff","status":"error","summary":"s"}"#,
        );
        let back = AuditReport::from_json(old.as_bytes()).unwrap();
        let words: Vec<String> = back.steps.iter().map(Step::status_text).collect();
        assert_eq!(words, ["ok", "not run (could not run)"]);
        assert_eq!(back.not_checked(), [Check::Diff]);
        assert_eq!(
            back.to_canonical_json().unwrap(),
            old,
            "written back as read"
        );
        for bad in [
            r#"{"check":"diff","status":"not-run","summary":"s"}"#,
            r#"{"check":"diff","status":"ok","why":"not-configured","summary":"s"}"#,
        ] {
            assert!(
                matches!(
                    AuditReport::from_json(with_steps(bad).as_bytes()),
                    Err(ReportError::Malformed(_))
                ),
                "{bad}"
            );
        }
        let ok = with_steps(
            r#"{"check":"tuf","status":"not-run","summary":"s","why":"not-configured"}"#,
        );
        let back = AuditReport::from_json(ok.as_bytes()).unwrap();
        assert_eq!(back.verdict_line(), "PASS — TUF repository not checked");
    }

    #[test]
    fn json_round_trip_and_version_check() {
        let mut r = AuditReport::new(case(), "2026-07-01T12:00:00Z").unwrap();
        r.add_finding(
            Finding::new(Severity::High, Check::Verify, "x")
                .evidence("e")
                .paths(["p"]),
        );
        r.finish();
        let json = r.to_canonical_json().unwrap();
        assert_eq!(AuditReport::from_json(json.as_bytes()).unwrap(), r);
        let v2 = json.replace("\"schema_version\":1", "\"schema_version\":2");
        assert!(matches!(
            AuditReport::from_json(v2.as_bytes()),
            Err(ReportError::UnsupportedVersion { found: 2 })
        ));
        let extra = json.replacen('{', "{\"surprise\":1,", 1);
        assert!(matches!(
            AuditReport::from_json(extra.as_bytes()),
            Err(ReportError::Malformed(_))
        ));
    }
}

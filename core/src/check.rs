//! The customer's check: is every file this machine received covered by a
//! signed, passing audit report whose entry is in the public log?
//!
//! [`check`] answers, for every file of a target (an installed directory,
//! a received update read through [`crate::release`], or a `glassbox
//! manifest --format json` listing):
//!
//! 1. which signed audit report covers it: the report's DSSE envelope
//!    verifies with one of the auditor keys
//!    ([`crate::report::statement::verify_report_envelope`]) and the file's
//!    path and SHA-256 are among the files of the report's release input
//!    (the release under audit; a previous release, a rebuild or trust
//!    material listed in the same report does not cover anything);
//! 2. that the report is in the log: its entry (the `glassbox-leaf/v1`
//!    record of `report.dsse.json`, found at the index its
//!    `report.tlog-proof` names) proves by inclusion (RFC 9162 §2.1.3)
//!    against the log's current checkpoint, signed by the log key and, with
//!    a quorum, cosigned by enough of the given witnesses
//!    (c2sp.org/tlog-cosignature);
//! 3. the report's verdict: only a PASS covers.
//!
//! With a state directory, the checkpoint is also compared with the last
//! one this machine accepted: a smaller tree, or one that is not an
//! extension of it (RFC 9162 §2.1.4 consistency proof computed from the
//! log's tiles), is a fork shown to this customer.
//!
//! Work is one inclusion proof per report, not per file: many files share
//! a report, and the tile reader caches tiles for the run.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::digest::Sha256Digest;
use crate::keys::PublicKey;
use crate::release::{EntryKind, Format, ReadOptions, Release};
use crate::report::statement::verify_report_envelope;
use crate::report::{InputKind, InputRole, Verdict};
use crate::tlog::LogSource;
use crate::tlog::checkpoint::{self, SignedCheckpoint};
use crate::tlog::leaf::LeafRecord;
use crate::tlog::merkle;
use crate::tlog::note::VerifierKey;
use crate::tlog::tiles::{TILE_WIDTH, TileReader};

/// The signed report file an audit writes, and its log proof beside it.
pub const REPORT_FILE: &str = "report.dsse.json";
/// The C2SP tlog-proof `glassbox audit` writes beside the report.
pub const PROOF_FILE: &str = "report.tlog-proof";
/// Largest report envelope read (reports of big releases list every file).
pub const MAX_REPORT_BYTES: u64 = 256 << 20;
/// Most reports read from the reports directory.
pub const MAX_REPORTS: usize = 10_000;
/// How deep report files are looked for under the reports directory
/// (`glassbox audit` writes `<output>/<vendor>-<version>-<date>/`).
pub const MAX_REPORT_DEPTH: usize = 4;
/// Largest manifest listing read.
pub const MAX_LISTING_BYTES: u64 = 1 << 30;
/// Schema of the listing `glassbox manifest --format json` writes.
pub const LISTING_SCHEMA: &str = "glassbox.manifest/1";
/// Schema of [`CheckResult`] as JSON (core/schema/check-result.v1.schema.json).
pub const RESULT_SCHEMA: &str = "glassbox.check/1";

/// Input the check cannot use at all (exit 2): nothing was judged.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The target cannot be read.
    #[error("target {path}: {why}")]
    Target {
        /// The target.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// The reports directory cannot be read.
    #[error("reports {path}: {why}")]
    Reports {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// The log cannot be read (missing checkpoint, unreachable server).
    #[error("log {place}: {why}. Check the log's location (a directory or http:// URL)")]
    Log {
        /// Where the log was looked for.
        place: String,
        /// What went wrong.
        why: String,
    },
    /// The state directory cannot be read or written.
    #[error("state {path}: {why}")]
    State {
        /// The state directory or file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// The policy cannot be used (no auditor key, quorum above the keys).
    #[error("{0}")]
    Policy(String),
}

/// Who the customer trusts: the log, the witnesses, the auditors.
#[derive(Clone, Debug)]
pub struct CheckPolicy {
    /// The log's verifier key (its name is the origin).
    pub log_key: VerifierKey,
    /// Witness verifier keys (cosignature/v1).
    pub witnesses: Vec<VerifierKey>,
    /// Cosignatures required from distinct witnesses.
    pub quorum: usize,
    /// Auditor public keys, each with a name shown in the result.
    pub auditor_keys: Vec<(String, PublicKey)>,
}

/// What the target was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetForm {
    /// An installed directory or a received directory.
    Directory,
    /// One received file that is not an archive.
    File,
    /// A received archive, checked member by member.
    Archive,
    /// A received archive (or file) audited as a whole: its own digest is
    /// the report's release input, which binds every member.
    WholeFile,
    /// A `glassbox manifest --format json` listing.
    Listing,
}

/// The verdict on one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FileStatus {
    /// A passing audit report covers it and that report is in the log.
    Covered {
        /// The report (path under the reports directory).
        report: String,
    },
    /// No verified report's release lists this path with this content.
    Uncovered {
        /// Why, for the auditor: which report lists the path with another
        /// digest, if one does.
        reason: String,
    },
    /// Covered only by reports whose verdict is FAIL.
    AuditFailed {
        /// The report.
        report: String,
    },
    /// Covered only by reports whose log entry did not prove.
    ProofFailed {
        /// The report.
        report: String,
        /// Why.
        reason: String,
    },
    /// A link, device or other non-file: never audited content.
    NotAFile {
        /// What it is.
        kind: String,
    },
}

impl FileStatus {
    /// Whether this file passes.
    pub fn ok(&self) -> bool {
        matches!(self, FileStatus::Covered { .. })
    }
}

/// One file of the target and its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct FileCheck {
    /// Path inside the target (`/`-separated).
    pub path: String,
    /// SHA-256 of its content (absent for non-files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// The verdict.
    #[serde(flatten)]
    pub status: FileStatus,
}

/// What was found about one report in the reports directory.
#[derive(Clone, Debug, Serialize)]
pub struct ReportCheck {
    /// Path relative to the reports directory.
    pub path: String,
    /// The auditor key that verified it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auditor_key: Option<String>,
    /// Vendor, product, version of the audited release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The audit's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The report's entry index in the log, once proved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// Files of the audited release it lists.
    pub release_files: usize,
    /// Everything wrong with it; empty when it verified and proved.
    pub problems: Vec<String>,
}

impl ReportCheck {
    fn proved(&self) -> bool {
        self.problems.is_empty() && self.verdict.is_some()
    }
}

/// What the state directory said.
#[derive(Clone, Debug, Serialize)]
pub struct StateCheck {
    /// The state file.
    pub file: String,
    /// Tree size of the checkpoint seen before (absent the first time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_size: Option<u64>,
    /// Whether the new checkpoint was stored.
    pub updated: bool,
}

/// The log's checkpoint as the customer saw it.
#[derive(Clone, Debug, Serialize)]
pub struct LogCheck {
    /// Where the log was read.
    pub place: String,
    /// Its origin.
    pub origin: String,
    /// Tree size (when the checkpoint verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Root hash, base64 (when the checkpoint verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// Witnesses whose cosignature verified.
    pub cosigned_by: Vec<String>,
    /// Cosignatures required.
    pub quorum: usize,
    /// The state directory's verdict, with `--state`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<StateCheck>,
    /// What is wrong with the checkpoint (signature, quorum, fork).
    pub problems: Vec<String>,
}

/// Counts over the files.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckSummary {
    /// Files checked.
    pub files: usize,
    /// Covered by a passing, logged audit.
    pub covered: usize,
    /// Not covered by any verified report.
    pub uncovered: usize,
    /// Covered only by failing audits.
    pub audit_failed: usize,
    /// Covered only by reports whose log proof failed.
    pub proof_failed: usize,
    /// Links and special files.
    pub not_a_file: usize,
}

/// The whole answer.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// [`RESULT_SCHEMA`].
    pub schema: &'static str,
    /// True when every file is covered and the log verified.
    pub ok: bool,
    /// The target as given.
    pub target: String,
    /// How it was read.
    pub form: TargetForm,
    /// The log.
    pub log: LogCheck,
    /// Every report found.
    pub reports: Vec<ReportCheck>,
    /// Every file, sorted by path.
    pub files: Vec<FileCheck>,
    /// Counts.
    pub summary: CheckSummary,
}

/// One file of the target before judging.
struct Item {
    path: String,
    sha256: Option<Sha256Digest>,
    size: u64,
    kind: EntryKind,
}

/// Runs the check (see the module documentation). `state`: the directory
/// keeping the last checkpoint accepted.
pub fn check(
    target: &Path,
    reports_dir: &Path,
    log: &LogSource,
    policy: &CheckPolicy,
    state: Option<&Path>,
) -> Result<CheckResult, CheckError> {
    if policy.auditor_keys.is_empty() {
        return Err(CheckError::Policy(
            "no auditor key: give the public key of every auditor whose reports you accept".into(),
        ));
    }
    if policy.quorum > policy.witnesses.len() {
        return Err(CheckError::Policy(format!(
            "a quorum of {} needs at least that many witness keys ({} given)",
            policy.quorum,
            policy.witnesses.len()
        )));
    }
    let (form, items, whole) = read_target(target)?;
    let (log_check, cp) = open_checkpoint(log, policy, state)?;
    let reader = cp.as_ref().map(|cp| log.reader(cp.checkpoint.size));
    let reports = load_reports(reports_dir, policy, cp.as_ref(), reader.as_ref())?;

    // Coverage indexes over verified reports: (path, sha256) of release
    // directory files, sha256 of release files.
    let mut by_path: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut by_digest: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut paths_seen: HashMap<&str, usize> = HashMap::new();
    for (i, (_, loaded)) in reports.iter().enumerate() {
        let Some(report) = loaded else { continue };
        for input in report
            .inputs
            .iter()
            .filter(|i| i.role == InputRole::Release)
        {
            match input.kind {
                InputKind::File => by_digest.entry(&input.sha256).or_default().push(i),
                InputKind::Directory => {
                    for f in &input.files {
                        by_path
                            .entry((f.path.as_str(), f.sha256.as_str()))
                            .or_default()
                            .push(i);
                        paths_seen.entry(f.path.as_str()).or_insert(i);
                    }
                }
            }
        }
    }
    let report_checks: Vec<&ReportCheck> = reports.iter().map(|(c, _)| c).collect();
    let judge = |candidates: &[usize]| -> FileStatus {
        let rc = |i: usize| report_checks[i];
        if let Some(&i) = candidates
            .iter()
            .find(|&&i| rc(i).proved() && rc(i).verdict == Some(Verdict::Pass))
        {
            return FileStatus::Covered {
                report: rc(i).path.clone(),
            };
        }
        if let Some(&i) = candidates
            .iter()
            .find(|&&i| rc(i).verdict == Some(Verdict::Pass))
        {
            return FileStatus::ProofFailed {
                report: rc(i).path.clone(),
                reason: rc(i).problems.join("; "),
            };
        }
        FileStatus::AuditFailed {
            report: rc(candidates[0]).path.clone(),
        }
    };

    // A received file audited as a whole covers every member at once.
    let whole_status = whole
        .as_ref()
        .and_then(|(d, _)| by_digest.get(d.to_hex().as_str()))
        .map(|c| judge(c));
    let (form, items) = match (whole_status, whole) {
        (Some(_), Some((d, size))) => {
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                TargetForm::WholeFile,
                vec![Item {
                    path: name,
                    sha256: Some(d),
                    size,
                    kind: EntryKind::File,
                }],
            )
        }
        _ => (form, items),
    };

    let mut files = Vec::with_capacity(items.len());
    for item in items {
        let status = match (item.kind, &item.sha256) {
            (EntryKind::File, Some(d)) => {
                let hex = d.to_hex();
                let candidates = by_path
                    .get(&(item.path.as_str(), hex.as_str()))
                    .or_else(|| {
                        // A single received file is named by its download
                        // name, not the path the audit wrote.
                        (form != TargetForm::Directory
                            && form != TargetForm::Listing
                            && form != TargetForm::Archive)
                            .then(|| by_digest.get(hex.as_str()))
                            .flatten()
                    });
                match candidates {
                    Some(c) => judge(c),
                    None => FileStatus::Uncovered {
                        reason: match paths_seen.get(item.path.as_str()) {
                            Some(&i) => format!(
                                "{} audited {} with other content: this file is not the audited one",
                                report_checks[i].path, item.path
                            ),
                            None if reports.iter().all(|(_, r)| r.is_none()) => {
                                "no report verified with the auditor keys".into()
                            }
                            None => "no verified report's release lists this path".into(),
                        },
                    },
                }
            }
            (EntryKind::File, None) => FileStatus::Uncovered {
                reason: "not hashed".into(),
            },
            (kind, _) => FileStatus::NotAFile {
                kind: format!("{kind:?}").to_lowercase(),
            },
        };
        files.push(FileCheck {
            path: item.path,
            sha256: item.sha256.map(|d| d.to_hex()),
            size: item.size,
            status,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));

    let mut summary = CheckSummary {
        files: files.len(),
        ..Default::default()
    };
    for f in &files {
        match f.status {
            FileStatus::Covered { .. } => summary.covered += 1,
            FileStatus::Uncovered { .. } => summary.uncovered += 1,
            FileStatus::AuditFailed { .. } => summary.audit_failed += 1,
            FileStatus::ProofFailed { .. } => summary.proof_failed += 1,
            FileStatus::NotAFile { .. } => summary.not_a_file += 1,
        }
    }
    let reports: Vec<ReportCheck> = reports.into_iter().map(|(c, _)| c).collect();
    // Fail closed: a report we were handed but could not verify or prove is
    // a failure even when other reports cover every file: someone published
    // it, and the customer should know it did not check out.
    let ok = log_check.problems.is_empty()
        && !files.is_empty()
        && summary.covered == files.len()
        && reports.iter().all(|r| r.problems.is_empty());
    Ok(CheckResult {
        schema: RESULT_SCHEMA,
        ok,
        target: target.display().to_string(),
        form,
        log: log_check,
        reports,
        files,
        summary,
    })
}

/// Reads the target into items; also the whole file's digest and size
/// when the target is one file (it may be audited as a whole).
#[allow(clippy::type_complexity)]
fn read_target(
    target: &Path,
) -> Result<(TargetForm, Vec<Item>, Option<(Sha256Digest, u64)>), CheckError> {
    let bad = |why: String| CheckError::Target {
        path: target.to_path_buf(),
        why,
    };
    let meta = std::fs::metadata(target).map_err(|e| bad(e.to_string()))?;
    let mut whole = None;
    if meta.is_file() {
        let mut f = std::fs::File::open(target).map_err(|e| bad(e.to_string()))?;
        let (d, size) = crate::digest::hash_reader(&mut f, Default::default())
            .map_err(|e| bad(e.to_string()))?;
        whole = Some((d.sha256, size));
        if let Some(items) = read_listing(target)? {
            return Ok((TargetForm::Listing, items, None));
        }
    }
    // Nested archives stay files: an archive installed on the machine must
    // itself be the audited one.
    let opts = ReadOptions {
        expand_nested: false,
        ..ReadOptions::default()
    };
    let release = Release::open(target, &opts).map_err(|e| bad(e.to_string()))?;
    if let Some(f) = release.findings.first() {
        // The reader's findings are names other tools read differently;
        // the check cannot say which file such a name is (one reading).
        return Err(bad(format!(
            "{}: {:?}: refused, the reader flagged it ({} finding(s))",
            f.path,
            f.kind,
            release.findings.len()
        )));
    }
    let form = match release.format {
        Format::Directory => TargetForm::Directory,
        Format::File => TargetForm::File,
        _ => TargetForm::Archive,
    };
    let mut items = Vec::new();
    for e in &release.entries {
        if e.kind == EntryKind::Dir || e.path.depth() > 0 {
            continue;
        }
        let path = e.path.inner().to_str().map(str::to_string).ok_or_else(|| {
            bad(format!(
                "file name {} is not UTF-8; reports name files in UTF-8",
                e.path
            ))
        })?;
        items.push(Item {
            path,
            sha256: e.digests.as_ref().map(|d| d.sha256),
            size: e.size,
            kind: e.kind,
        });
    }
    Ok((form, items, whole))
}

/// A `glassbox manifest --format json` listing, or `None` when the file is
/// not one (it does not start with `{`).
fn read_listing(path: &Path) -> Result<Option<Vec<Item>>, CheckError> {
    let bad = |why: String| CheckError::Target {
        path: path.to_path_buf(),
        why,
    };
    let mut head = [0u8; 64];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
        f.read(&mut head).map_err(|e| bad(e.to_string()))?
    };
    let first = head[..n].iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Ok(None);
    }
    let bytes = crate::tlog::tiles::read_bounded(path, MAX_LISTING_BYTES)
        .map_err(|e| bad(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        bad(format!(
            "starts like JSON but is not a manifest listing: {e}"
        ))
    })?;
    if v.get("schema").and_then(|s| s.as_str()) != Some(LISTING_SCHEMA) {
        return Err(bad(format!(
            "JSON without \"schema\": \"{LISTING_SCHEMA}\"; give the output of `glassbox manifest --format json`"
        )));
    }
    let entries = v
        .get("entries")
        .and_then(|e| e.as_array())
        .ok_or_else(|| bad("listing has no entries array".into()))?;
    let top_format = v.get("format").and_then(|f| f.as_str());
    let mut items = Vec::new();
    // Files the manifest expanded as containers, with the format read.
    let mut expanded: HashMap<String, String> = HashMap::new();
    for e in entries {
        let field = |k: &str| e.get(k).and_then(|x| x.as_str());
        let path = field("path").ok_or_else(|| bad(format!("entry without path: {e}")))?;
        let kind = match field("kind") {
            Some("file") => EntryKind::File,
            Some("dir") => continue,
            Some("symlink") => EntryKind::Symlink,
            Some("hardlink") => EntryKind::Hardlink,
            Some("other") => EntryKind::Other,
            k => return Err(bad(format!("entry {path}: unknown kind {k:?}"))),
        };
        // Members of an expanded nested archive (`outer.zip!inner`) are
        // covered through their container, which is listed as a file too.
        // But `!` is also a legal character of a real name: a file
        // `engine/avengine!payload` installed beside `engine/avengine` must
        // be judged, not skipped. A member carries its container's format
        // (`expanded_as`); a top-level name carries the listing's. When the
        // two are the same (a zip in a zip) the JSON has two readings, and
        // the check refuses rather than picks.
        let format = field("format");
        if let Some((outer, _)) = path.rsplit_once('!')
            && let Some(container) = expanded.get(outer)
            && format == Some(container.as_str())
        {
            if format == top_format {
                return Err(bad(format!(
                    "entry {path}: cannot tell a member of the nested {container} {outer} from \
                     a top-level name holding '!'; make the listing with \
                     `glassbox manifest --no-nested --format json`"
                )));
            }
            if kind == EntryKind::File
                && let Some(f) = e.get("expanded_as").and_then(|x| x.as_str())
            {
                expanded.insert(path.to_string(), f.to_string());
            }
            continue;
        }
        let size = e
            .get("size")
            .and_then(|s| s.as_u64())
            .ok_or_else(|| bad(format!("entry {path}: no size")))?;
        let sha256 = match kind {
            EntryKind::File => Some(
                e.get("digests")
                    .and_then(|d| d.get("sha256"))
                    .and_then(|s| s.as_str())
                    .and_then(|s| Sha256Digest::from_hex(s).ok())
                    .ok_or_else(|| bad(format!("entry {path}: no sha256 digest")))?,
            ),
            _ => None,
        };
        if kind == EntryKind::File
            && let Some(f) = e.get("expanded_as").and_then(|x| x.as_str())
        {
            expanded.insert(path.to_string(), f.to_string());
        }
        items.push(Item {
            path: path.to_string(),
            sha256,
            size,
            kind,
        });
    }
    Ok(Some(items))
}

/// Fetches and opens the checkpoint; compares it with the state.
fn open_checkpoint(
    log: &LogSource,
    policy: &CheckPolicy,
    state: Option<&Path>,
) -> Result<(LogCheck, Option<SignedCheckpoint>), CheckError> {
    let bytes = log.checkpoint_bytes().map_err(|e| CheckError::Log {
        place: log.describe(),
        why: e.to_string(),
    })?;
    let mut lc = LogCheck {
        place: log.describe(),
        origin: policy.log_key.name.clone(),
        size: None,
        root: None,
        cosigned_by: Vec::new(),
        quorum: policy.quorum,
        state: None,
        problems: Vec::new(),
    };
    let cp = match checkpoint::open(&bytes, &policy.log_key, &policy.witnesses, policy.quorum) {
        Ok(cp) => cp,
        Err(e) => {
            lc.problems.push(format!(
                "checkpoint: {e}; this log cannot vouch for any report"
            ));
            return Ok((lc, None));
        }
    };
    use base64::Engine as _;
    lc.size = Some(cp.checkpoint.size);
    lc.root = Some(base64::engine::general_purpose::STANDARD.encode(cp.checkpoint.root));
    lc.cosigned_by = cp.cosignatures().map(|v| v.name.clone()).collect();
    lc.cosigned_by.sort();
    lc.cosigned_by.dedup();
    if let Some(dir) = state {
        let (sc, problem) = compare_state(dir, log, policy, &cp)?;
        lc.state = Some(sc);
        if let Some(p) = problem {
            lc.problems.push(p);
            return Ok((lc, None));
        }
    }
    Ok((lc, Some(cp)))
}

/// The state file of one origin: the same naming as a witness's state
/// (one origin, one file, whatever characters the origin holds).
pub use crate::tlog::witness::state_file;

/// Compares `cp` with the checkpoint stored in `dir` and stores `cp` when
/// it extends it. Returns the problem when it does not (a fork or a
/// rollback shown to this machine).
fn compare_state(
    dir: &Path,
    log: &LogSource,
    policy: &CheckPolicy,
    cp: &SignedCheckpoint,
) -> Result<(StateCheck, Option<String>), CheckError> {
    let file = state_file(dir, &policy.log_key.name);
    let state_err = |why: String| CheckError::State {
        path: file.clone(),
        why,
    };
    let mut sc = StateCheck {
        file: file.display().to_string(),
        previous_size: None,
        updated: false,
    };
    let old =
        match crate::tlog::tiles::read_bounded(&file, crate::tlog::note::MAX_NOTE_BYTES as u64) {
            Ok(bytes) => Some(
                // It was verified before it was stored; verify again, a state
                // file edited by hand must not become the trust anchor.
                checkpoint::open(&bytes, &policy.log_key, &[], 0)
                    .map_err(|e| state_err(format!("stored checkpoint does not verify: {e}")))?,
            ),
            Err(crate::tlog::Error::Io { error, .. })
                if error.kind() == std::io::ErrorKind::NotFound =>
            {
                None
            }
            Err(e) => return Err(state_err(e.to_string())),
        };
    let new = &cp.checkpoint;
    if let Some(old) = &old {
        let old = &old.checkpoint;
        sc.previous_size = Some(old.size);
        let fork = |why: String| {
            Some(format!(
                "SPLIT VIEW: the log's checkpoint (size {}) is not consistent with the one this \
                 machine accepted before (size {}, kept in {}): {why}. The log shows you a \
                 different history than before; keep both checkpoints as evidence and report it",
                new.size,
                old.size,
                file.display()
            ))
        };
        if new.size < old.size {
            return Ok((sc, fork("the tree is smaller (a rollback)".into())));
        }
        if new.size == old.size && new.root != old.root {
            return Ok((sc, fork("same size, another root hash".into())));
        }
        if new.size > old.size && old.size > 0 {
            let reader = log.reader(new.size);
            let proof = match merkle::consistency_proof(&reader, old.size, new.size) {
                Ok(p) => p,
                Err(e) => {
                    return Ok((
                        sc,
                        fork(format!("no consistency proof from the log's tiles: {e}")),
                    ));
                }
            };
            if let Err(e) =
                merkle::verify_consistency(old.size, new.size, &proof, &old.root, &new.root)
            {
                return Ok((sc, fork(e.to_string())));
            }
        }
        if new.size == old.size {
            return Ok((sc, None));
        }
    }
    write_state(dir, &file, &cp.to_bytes()).map_err(state_err)?;
    sc.updated = true;
    Ok((sc, None))
}

/// Crash-safe replace: temporary file, fsync, rename, fsync the directory.
fn write_state(dir: &Path, file: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    crate::fsio::replace_durable(dir, file, bytes)
        .map_err(|(path, e)| format!("{}: {e}", path.display()))
}

/// Finds every `report.dsse.json` under `dir` (depth-bounded), sorted.
fn find_reports(dir: &Path) -> Result<Vec<PathBuf>, CheckError> {
    let bad = |p: &Path, e: std::io::Error| CheckError::Reports {
        path: p.to_path_buf(),
        why: e.to_string(),
    };
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| bad(&d, e))? {
            let entry = entry.map_err(|e| bad(&d, e))?;
            let ft = entry.file_type().map_err(|e| bad(&entry.path(), e))?;
            if ft.is_dir() && depth + 1 < MAX_REPORT_DEPTH {
                stack.push((entry.path(), depth + 1));
            } else if ft.is_file() && entry.file_name() == REPORT_FILE {
                if out.len() == MAX_REPORTS {
                    return Err(CheckError::Reports {
                        path: dir.to_path_buf(),
                        why: format!("more than {MAX_REPORTS} reports"),
                    });
                }
                out.push(entry.path());
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(CheckError::Reports {
            path: dir.to_path_buf(),
            why: format!(
                "no {REPORT_FILE} found (looked {MAX_REPORT_DEPTH} levels deep); \
                 give the directory of the published audit reports"
            ),
        });
    }
    Ok(out)
}

/// Verifies every report and proves its log entry. A report that does not
/// verify is returned without its content (it covers nothing).
fn load_reports(
    dir: &Path,
    policy: &CheckPolicy,
    cp: Option<&SignedCheckpoint>,
    reader: Option<&TileReader>,
) -> Result<Vec<(ReportCheck, Option<crate::report::AuditReport>)>, CheckError> {
    let mut out = Vec::new();
    for path in find_reports(dir)? {
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let mut rc = ReportCheck {
            path: rel,
            auditor_key: None,
            release: None,
            verdict: None,
            log_index: None,
            release_files: 0,
            problems: Vec::new(),
        };
        let bytes = crate::tlog::tiles::read_bounded(&path, MAX_REPORT_BYTES).map_err(|e| {
            CheckError::Reports {
                path: path.clone(),
                why: e.to_string(),
            }
        })?;
        let verified = match verify_report_envelope(&bytes, &policy.auditor_keys) {
            Ok(v) => v,
            Err(e) => {
                rc.problems.push(format!(
                    "not verified with the auditor keys given: {e}; it covers nothing"
                ));
                out.push((rc, None));
                continue;
            }
        };
        let report = verified.statement.report;
        rc.auditor_key = verified.signers.first().map(|s| s.name.clone());
        rc.release = Some(format!(
            "{} {} {}",
            report.case.vendor, report.case.product, report.case.version
        ));
        rc.verdict = Some(report.summary.verdict);
        rc.release_files = report
            .inputs
            .iter()
            .filter(|i| i.role == InputRole::Release)
            .map(|i| i.files.len().max(1))
            .sum();
        if report.summary.verdict != Verdict::Pass {
            rc.problems.push(format!(
                "the audit's verdict is FAIL ({} critical, {} high finding(s))",
                report.summary.critical, report.summary.high
            ));
        }
        if let (Some(cp), Some(reader)) = (cp, reader) {
            match prove_report(&path, &bytes, cp, reader) {
                Ok(index) => rc.log_index = Some(index),
                Err(e) => rc.problems.push(e),
            }
        } else {
            rc.problems
                .push("not proved: the log's checkpoint did not verify".into());
        }
        out.push((rc, Some(report)));
    }
    Ok(out)
}

/// Proves that the report's leaf record is in the log at `cp`: the entry
/// at the index its tlog-proof names must be the report's record, and its
/// inclusion proof (computed from the tiles, RFC 9162 §2.1.3.1) must lead
/// to the checkpoint's root (§2.1.3.2). The tlog-proof itself is only a
/// hint for the index: nothing in it is trusted. Returns the index.
fn prove_report(
    path: &Path,
    envelope: &[u8],
    cp: &SignedCheckpoint,
    reader: &TileReader,
) -> Result<u64, String> {
    let proof_path = path.with_file_name(PROOF_FILE);
    let proof_bytes = crate::tlog::tiles::read_bounded(
        &proof_path,
        crate::tlog::proof::MAX_PROOF_BYTES as u64,
    )
    .map_err(|e| format!("no log entry known: {PROOF_FILE} beside it cannot be read ({e})"))?;
    let proof = crate::tlog::proof::TlogProof::parse(&proof_bytes)
        .map_err(|e| format!("{PROOF_FILE}: {e}"))?;
    let index = proof.index;
    let size = cp.checkpoint.size;
    if index >= size {
        return Err(format!(
            "its log entry {index} is beyond the log's size {size}: the log shown to you does not hold it"
        ));
    }
    let entries = reader
        .bundle(index / TILE_WIDTH)
        .map_err(|e| format!("entry {index}: {e}"))?;
    let entry = entries
        .get((index % TILE_WIDTH) as usize)
        .ok_or_else(|| format!("entry {index}: missing from its bundle"))?;
    let record = LeafRecord::parse(entry).map_err(|e| format!("entry {index}: {e}"))?;
    let want = Sha256Digest::of(envelope);
    if record.sha256 != want || record.size != envelope.len() as u64 {
        return Err(format!(
            "the log's entry {index} is sha256 {} size {}, not this report (sha256 {want} size {}): \
             the report was not logged, or was changed after logging",
            record.sha256,
            record.size,
            envelope.len()
        ));
    }
    let hashes = merkle::inclusion_proof(reader, index, size)
        .map_err(|e| format!("entry {index}: cannot build its inclusion proof: {e}"))?;
    merkle::verify_inclusion(
        index,
        size,
        &merkle::leaf_hash(entry),
        &hashes,
        &cp.checkpoint.root,
    )
    .map_err(|e| format!("entry {index}: {e} (the log's tiles disagree with its checkpoint)"))?;
    Ok(index)
}

/// Files per status, for rendering.
pub fn by_status(result: &CheckResult) -> BTreeMap<&'static str, Vec<&FileCheck>> {
    let mut m: BTreeMap<&'static str, Vec<&FileCheck>> = BTreeMap::new();
    for f in &result.files {
        let k = match f.status {
            FileStatus::Covered { .. } => "covered",
            FileStatus::Uncovered { .. } => "uncovered",
            FileStatus::AuditFailed { .. } => "audit-failed",
            FileStatus::ProofFailed { .. } => "proof-failed",
            FileStatus::NotAFile { .. } => "not-a-file",
        };
        m.entry(k).or_default().push(f);
    }
    m
}

//! TUF update repositories: verify a vendor's update-channel metadata
//! exactly as a TUF 1.0 client would (TUF specification v1.0.x §5.3–§5.7),
//! and keep a trusted state between audits so a later audit detects
//! rollback (versions that went down, listed roles that disappeared).
//!
//! The one call an audit makes:
//!
//! ```no_run
//! use glassbox_core::tuf::{self, DirSource, Options, TargetSelection};
//! let root = std::fs::read("initial_root.json")?;
//! let source = DirSource::new(std::path::Path::new("vendor-repo"));
//! let mut opts = Options::now();
//! opts.state_dir = Some("state/vendor-repo".into());
//! opts.targets = TargetSelection::All;
//! let report = tuf::verify_repository(&root, &source, &opts)?;
//! for role in &report.roles {
//!     println!("{} v{} signed by {}/{}", role.role, role.version,
//!              role.signers.signers.len(), role.signers.threshold);
//! }
//! assert!(report.verified());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `Err` from [`verify_repository`] means the inputs were unusable (the
//! trust anchor does not parse or is not self-signed, the state directory
//! cannot be read). A repository that fails verification gives `Ok` with
//! [`RepositoryReport::error`] set: the report still lists every role and
//! root version that did verify before the failure, for findings.
//!
//! Modules, in the order a client uses them: [`fetch`] (directory or
//! `http://` source, byte caps), [`canonical_json`], [`keys`],
//! [`metadata`], [`verify`] (thresholds), [`client`] (the workflow),
//! [`state`] (the trusted-state directory).

pub mod canonical_json;
pub mod client;
pub mod fetch;
pub mod keys;
pub mod metadata;
pub mod state;
pub mod verify;

use std::path::PathBuf;

use serde::Serialize;
use time::OffsetDateTime;

pub use client::Client;
pub use fetch::{DirSource, FetchError, HttpSource, Source};
pub use state::{StateDir, StateError};
pub use verify::SignerCount;

/// Why verification failed: one variant per verdict an auditor acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TufError {
    /// A file the workflow requires is not in the repository.
    #[error("{file}: not found in the repository")]
    Missing {
        /// The file.
        file: String,
    },
    /// Reading from the repository failed (I/O, HTTP, size cap).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// Reading or writing the trusted-state directory failed.
    #[error("trusted state: {0}")]
    State(#[from] StateError),
    /// Not well-formed or not understood metadata (fail closed).
    #[error("{file}: {reason}")]
    Malformed {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Fewer valid signatures than the threshold (§5.3.4, §5.4.1, §5.5.3, §5.6.3).
    #[error("{file}: signed by {have} of the {need} keys required for role {role} ({keys_from})")]
    Threshold {
        /// The file.
        file: String,
        /// The role whose keys were counted.
        role: String,
        /// Distinct valid signers.
        have: usize,
        /// Threshold.
        need: u32,
        /// Whose key list was used (e.g. "trusted root v1").
        keys_from: String,
    },
    /// The file's version differs from what the referring metadata says
    /// (§5.3.5, §5.5.4, §5.6.4).
    #[error("{file}: version {found}, expected {expected}")]
    VersionMismatch {
        /// The file.
        file: String,
        /// What the referrer says.
        expected: u64,
        /// What the file says.
        found: u64,
    },
    /// A version went down compared with trusted metadata (§5.4.3, §5.5.5).
    #[error("rollback: {what} version {new} is lower than the trusted version {trusted}")]
    Rollback {
        /// Which role or meta entry.
        what: String,
        /// Trusted version.
        trusted: u64,
        /// Offered version.
        new: u64,
    },
    /// A snapshot no longer lists a file the trusted snapshot listed (§5.5.5).
    #[error("rollback: new snapshot drops {file}, listed by the trusted snapshot")]
    DroppedFromSnapshot {
        /// The meta entry.
        file: String,
    },
    /// Expired metadata (§5.3.10, §5.4.4, §5.5.6, §5.6.5).
    #[error("{file}: {role} expired at {expires} (reference time {at})")]
    Expired {
        /// The file.
        file: String,
        /// The role.
        role: String,
        /// Its `expires`.
        expires: String,
        /// The reference time.
        at: String,
    },
    /// A hash does not match (§5.5.2, §5.6.2, §5.7.3).
    #[error("{file}: {alg} hash does not match the trusted metadata")]
    HashMismatch {
        /// The file.
        file: String,
        /// The algorithm.
        alg: String,
    },
    /// A length does not match (§5.5.2, §5.6.2, §5.7.3).
    #[error("{file}: length {found}, trusted metadata says {expected}")]
    LengthMismatch {
        /// The file.
        file: String,
        /// Trusted length.
        expected: u64,
        /// Actual length.
        found: u64,
    },
    /// None of the listed hash algorithms is supported (sha256, sha512).
    #[error("{file}: no supported hash algorithm among {algs}")]
    NoSupportedHash {
        /// The file.
        file: String,
        /// Algorithms listed.
        algs: String,
    },
    /// With [`Options::strict_keyids`]: a keyid is not sha256 of its key.
    #[error("{file}: keyid {keyid} is not the sha256 of its key (computed {computed})")]
    KeyIdMismatch {
        /// The file listing the key.
        file: String,
        /// Listed keyid.
        keyid: String,
        /// sha256 of the canonical key.
        computed: String,
    },
    /// More new root versions than [`Limits::max_root_rotations`].
    #[error("root rotation: more than {0} new root versions offered")]
    TooManyRootVersions(u32),
    /// More delegated roles than [`Limits::max_delegations`] visited.
    #[error("target {target:?}: more than {max} roles visited in the delegation graph")]
    TooManyDelegations {
        /// The target searched for.
        target: String,
        /// The limit.
        max: u32,
    },
    /// No trusted targets role lists the target (§5.6.7).
    #[error("target {0:?} is not listed by any trusted targets role")]
    UnknownTarget(String),
    /// The workflow was asked for targets before a successful refresh.
    #[error("metadata has not been refreshed successfully")]
    NotRefreshed,
}

impl TufError {
    /// A stable identifier for the verdict, for JSON output and findings.
    pub fn kind(&self) -> &'static str {
        match self {
            TufError::Missing { .. } => "missing",
            TufError::Fetch(FetchError::TooLong { .. }) => "too_long",
            TufError::Fetch(FetchError::UnsafePath(_)) => "unsafe_path",
            TufError::Fetch(_) => "fetch",
            TufError::State(_) => "state",
            TufError::Malformed { .. } => "malformed",
            TufError::Threshold { .. } => "threshold",
            TufError::VersionMismatch { .. } => "version_mismatch",
            TufError::Rollback { .. } | TufError::DroppedFromSnapshot { .. } => "rollback",
            TufError::Expired { .. } => "expired",
            TufError::HashMismatch { .. } => "hash_mismatch",
            TufError::LengthMismatch { .. } => "length_mismatch",
            TufError::NoSupportedHash { .. } => "no_supported_hash",
            TufError::KeyIdMismatch { .. } => "keyid_mismatch",
            TufError::TooManyRootVersions(_) | TufError::TooManyDelegations { .. } => "limit",
            TufError::UnknownTarget(_) => "unknown_target",
            TufError::NotRefreshed => "not_refreshed",
        }
    }
}

impl Serialize for TufError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TufError", 2)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// Size and work limits for untrusted repositories. Defaults follow
/// python-tuf's ngclient where it has one.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest root file.
    pub root_max: u64,
    /// Largest timestamp file.
    pub timestamp_max: u64,
    /// Largest snapshot file when timestamp gives no length.
    pub snapshot_max: u64,
    /// Largest targets file when snapshot gives no length.
    pub targets_max: u64,
    /// Largest target file held in memory for hashing.
    pub target_max: u64,
    /// Most new root versions accepted in one refresh.
    pub max_root_rotations: u32,
    /// Most roles visited while resolving one target.
    pub max_delegations: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            root_max: 512 * 1024,
            timestamp_max: 16 * 1024,
            snapshot_max: 2_000_000,
            targets_max: 5_000_000,
            target_max: 512 * 1024 * 1024,
            max_root_rotations: 256,
            max_delegations: 32,
        }
    }
}

/// Which targets to download and check after the metadata refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSelection {
    /// Metadata only.
    None,
    /// Every target listed by any reachable targets role.
    All,
    /// These target paths.
    Names(Vec<String>),
}

/// How to verify: reference time, limits, state, targets.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time expiry is judged against (§5.3.10 etc.).
    pub reference_time: OffsetDateTime,
    /// Size and work limits.
    pub limits: Limits,
    /// Trusted-state directory; `None` verifies from the trust anchor alone
    /// (no rollback protection across runs).
    pub state_dir: Option<PathBuf>,
    /// Targets to check.
    pub targets: TargetSelection,
    /// Fail when a keyid is not sha256 of its canonical key (§4.2
    /// "KEYID"). On by default (fail closed). TAP 12 lets keyids be any
    /// unique string, and some real repositories rely on it (Sigstore's
    /// root v11 lists one key under a keyid computed differently); turn
    /// this off to accept them, with each mismatch reported as a finding.
    /// Thresholds count distinct key material either way.
    pub strict_keyids: bool,
    /// Use snapshot and targets metadata already in the state directory
    /// when it passes every check against the newer metadata that lists
    /// it, instead of fetching it again (python-tuf's cache behaviour, used
    /// by the conformance client). Off by default: an audit fetches what
    /// the repository serves.
    pub reuse_local_metadata: bool,
}

impl Options {
    /// Defaults with the current time as reference.
    pub fn now() -> Self {
        Self::at(OffsetDateTime::now_utc())
    }

    /// Defaults with `reference_time`.
    pub fn at(reference_time: OffsetDateTime) -> Self {
        Self {
            reference_time,
            limits: Limits::default(),
            state_dir: None,
            targets: TargetSelection::None,
            strict_keyids: true,
            reuse_local_metadata: false,
        }
    }
}

/// One accepted root version in the rotation chain (§5.3).
#[derive(Debug, Clone, Serialize)]
pub struct RootStep {
    /// Root version.
    pub version: u64,
    /// The file it came from (`initial` for the trust anchor or the stored root).
    pub file: String,
    /// Signers among the previous root's root keys (None for the anchor).
    pub by_previous: Option<SignerCount>,
    /// Signers among its own root keys.
    pub by_self: SignerCount,
}

/// A verified role's metadata.
#[derive(Debug, Clone, Serialize)]
pub struct RoleReport {
    /// Role name (`root`, `timestamp`, `snapshot`, `targets`, or delegated).
    pub role: String,
    /// The role that delegated it (`root` for top-level roles).
    pub delegated_by: String,
    /// The file fetched.
    pub file: String,
    /// `version`.
    pub version: u64,
    /// `expires` (RFC 3339).
    pub expires: String,
    /// `spec_version`.
    pub spec_version: String,
    /// Valid signers against the threshold.
    pub signers: SignerCount,
}

/// A delegated role that could not be loaded (its targets are unavailable).
#[derive(Debug, Clone, Serialize)]
pub struct RoleFailure {
    /// Role name.
    pub role: String,
    /// Why.
    pub error: TufError,
}

/// The verdict on one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// Target path.
    pub name: String,
    /// The role whose metadata lists it, when found.
    pub role: Option<String>,
    /// Trusted length, when found.
    pub length: Option<u64>,
    /// Trusted hashes, when found.
    pub hashes: Option<metadata::Hashes>,
    /// `None` when the target verified; otherwise why not.
    pub error: Option<TufError>,
}

/// Something an auditor should know that did not fail verification.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Where (role or file).
    pub subject: String,
    /// What.
    pub message: String,
}

/// Everything a verification established, for rendering and findings.
#[derive(Debug, Clone, Serialize)]
pub struct RepositoryReport {
    /// Where the metadata came from.
    pub source: String,
    /// Reference time (RFC 3339).
    pub reference_time: String,
    /// The final root's `consistent_snapshot`.
    pub consistent_snapshot: bool,
    /// Root versions accepted, trust anchor first.
    pub root_chain: Vec<RootStep>,
    /// Verified roles, in the order they were verified.
    pub roles: Vec<RoleReport>,
    /// Delegated roles that failed to load.
    pub role_failures: Vec<RoleFailure>,
    /// Target verdicts.
    pub targets: Vec<TargetReport>,
    /// Non-fatal observations (keyid forms, fast-forward recovery, ...).
    pub findings: Vec<Finding>,
    /// Why the metadata refresh failed, if it did.
    pub error: Option<TufError>,
}

impl RepositoryReport {
    /// Refresh succeeded, no delegated role failed and every checked
    /// target verified.
    pub fn verified(&self) -> bool {
        self.error.is_none()
            && self.role_failures.is_empty()
            && self.targets.iter().all(|t| t.error.is_none())
    }
}

/// Parses a reference time: RFC 3339, or RFC 3339 with a space instead
/// of the `T` (the form of the tuf-conformance `faketime` files).
pub fn parse_time(s: &str) -> Result<OffsetDateTime, time::error::Parse> {
    let s = s.trim();
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).or_else(|_| {
        OffsetDateTime::parse(
            &s.replacen(' ', "T", 1),
            &time::format_description::well_known::Rfc3339,
        )
    })
}

/// Verifies the repository at `source` from the trust anchor `root_bytes`
/// (§5.3–§5.7), then checks the targets `opts.targets` names. With
/// `opts.state_dir`, the trusted state from an earlier run is the starting
/// point (rollback protection) and is updated.
pub fn verify_repository(
    root_bytes: &[u8],
    source: &dyn Source,
    opts: &Options,
) -> Result<RepositoryReport, TufError> {
    let state = match &opts.state_dir {
        Some(dir) => Some(StateDir::open(dir)?),
        None => None,
    };
    let mut client = Client::new(root_bytes, source, state, opts)?;
    if let Err(e) = client.refresh() {
        let mut report = client.into_report();
        report.error = Some(e);
        return Ok(report);
    }
    let names = match &opts.targets {
        TargetSelection::None => Vec::new(),
        TargetSelection::Names(n) => n.clone(),
        TargetSelection::All => client.all_target_names(),
    };
    for name in names {
        let result = client.target_info(&name);
        let report = match result {
            Err(e) => TargetReport {
                name,
                role: None,
                length: None,
                hashes: None,
                error: Some(e),
            },
            Ok((tf, role)) => {
                let error = client.fetch_target(&name, &tf).err();
                TargetReport {
                    name,
                    role: Some(role),
                    length: Some(tf.length),
                    hashes: Some(tf.hashes),
                    error,
                }
            }
        };
        client.report_mut().targets.push(report);
    }
    Ok(client.into_report())
}

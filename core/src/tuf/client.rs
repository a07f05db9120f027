//! The TUF client workflow (TUF specification v1.0.x §5.3–§5.7), one
//! function per step, in spec order. [`Client`] holds the trusted
//! metadata of one repository; the trusted-state directory, when given,
//! is read at the start and written after each role verifies.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256, Sha512};
use time::format_description::well_known::Rfc3339;

use super::fetch::Source;
use super::metadata::{
    Common, Envelope, Hashes, ListedKey, MetaFile, RoleKeys, Root, Snapshot, TargetFile, Targets,
    Timestamp, delegation_covers,
};
use super::state::StateDir;
use super::verify::{SignerCount, count_signers};
use super::{Finding, Options, RepositoryReport, RoleFailure, RoleReport, RootStep, TufError};

/// Metadata that passed every check of its step.
#[derive(Debug, Clone)]
struct Trusted<T> {
    meta: T,
}

/// A delegated targets role as read in this session: one reading of its
/// file (the snapshot pins its version, so every path to the role sees the
/// same bytes) and the delegators whose keys and threshold it has met.
///
/// Trust in a delegated role is per delegation, not per role name: a role
/// reached from two delegators (a "diamond") must meet each delegator's
/// keys and threshold on the path that reaches it (§5.6.7.2). Caching the
/// verdict by name alone would let a role signed only for delegator A
/// speak for paths that delegator B delegated to different keys.
#[derive(Debug, Clone)]
struct Delegated {
    trusted: Trusted<Targets>,
    env: Envelope,
    file: String,
    verified_by: BTreeSet<String>,
}

/// A TUF client bound to one repository source.
pub struct Client<'a> {
    source: &'a dyn Source,
    state: Option<StateDir>,
    opts: &'a Options,
    root: Trusted<Root>,
    timestamp: Option<Trusted<Timestamp>>,
    snapshot: Option<Trusted<Snapshot>>,
    targets: Option<Trusted<Targets>>,
    delegated: BTreeMap<String, Delegated>,
    refreshed: bool,
    report: RepositoryReport,
}

fn malformed(file: &str, reason: impl ToString) -> TufError {
    TufError::Malformed {
        file: file.to_owned(),
        reason: reason.to_string(),
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl<'a> Client<'a> {
    /// Starts from the trusted root in `state` if it has one, else from
    /// `anchor` (which is then stored). The starting root must be signed by
    /// a threshold of its own root keys; its expiry is not checked (§5.2).
    pub fn new(
        anchor: &[u8],
        source: &'a dyn Source,
        state: Option<StateDir>,
        opts: &'a Options,
    ) -> Result<Self, TufError> {
        let stored = match &state {
            Some(s) => s.load("root")?,
            None => None,
        };
        let from_state = stored.is_some();
        let (bytes, file) = match stored {
            Some(b) => (b, "trusted state root.json".to_owned()),
            None => (anchor.to_vec(), "trust anchor".to_owned()),
        };
        let env = Envelope::parse(&bytes).map_err(|e| malformed(&file, e))?;
        let root = Root::parse(&env.signed).map_err(|e| malformed(&file, e))?;
        let by_self = signed_by_own_root_keys(&env, &root, &file)?;
        let mut report = RepositoryReport {
            source: source.describe(),
            reference_time: rfc3339(opts.reference_time),
            consistent_snapshot: root.consistent_snapshot,
            root_chain: vec![RootStep {
                version: root.common.version,
                file: file.clone(),
                by_previous: None,
                by_self,
            }],
            roles: Vec::new(),
            role_failures: Vec::new(),
            targets: Vec::new(),
            findings: Vec::new(),
            error: None,
        };
        check_keyids(&file, &root.keys, opts, &mut report.findings)?;
        if let Some(s) = &state
            && !from_state
        {
            s.store("root", &bytes)?;
        }
        Ok(Self {
            source,
            state,
            opts,
            root: Trusted { meta: root },
            timestamp: None,
            snapshot: None,
            targets: None,
            delegated: BTreeMap::new(),
            refreshed: false,
            report,
        })
    }

    /// The report so far.
    pub fn report(&self) -> &RepositoryReport {
        &self.report
    }

    /// The report so far, mutable (to add target verdicts).
    pub fn report_mut(&mut self) -> &mut RepositoryReport {
        &mut self.report
    }

    /// The finished report.
    pub fn into_report(self) -> RepositoryReport {
        self.report
    }

    /// The trusted root's version.
    pub fn root_version(&self) -> u64 {
        self.root.meta.common.version
    }

    /// §5.3–§5.6: update root, timestamp, snapshot and top-level targets.
    pub fn refresh(&mut self) -> Result<(), TufError> {
        self.update_root()?;
        self.update_timestamp()?;
        self.update_snapshot()?;
        self.update_targets()?;
        self.refreshed = true;
        Ok(())
    }

    fn store(&self, role: &str, bytes: &[u8]) -> Result<(), TufError> {
        if let Some(s) = &self.state {
            s.store(role, bytes)?;
        }
        Ok(())
    }

    fn check_expiry(&self, file: &str, role: &str, common: &Common) -> Result<(), TufError> {
        if common.expires <= self.opts.reference_time {
            return Err(TufError::Expired {
                file: file.to_owned(),
                role: role.to_owned(),
                expires: common.expires_rfc3339(),
                at: rfc3339(self.opts.reference_time),
            });
        }
        Ok(())
    }

    fn fetch_metadata(&self, file: &str, max: u64) -> Result<Vec<u8>, TufError> {
        self.source
            .metadata(file, max)?
            .ok_or_else(|| TufError::Missing {
                file: file.to_owned(),
            })
    }

    fn push_role(
        &mut self,
        role: &str,
        by: &str,
        file: &str,
        common: &Common,
        signers: SignerCount,
    ) {
        self.report.roles.push(RoleReport {
            role: role.to_owned(),
            delegated_by: by.to_owned(),
            file: file.to_owned(),
            version: common.version,
            expires: common.expires_rfc3339(),
            spec_version: common.spec_version.clone(),
            signers,
        });
    }

    /// §5.3: root rotation. Each `N+1.root.json` must be signed by a
    /// threshold of the trusted root's root keys (§5.3.4) and of its own
    /// (§5.3.5) and carry version N+1 (§5.3.5); the final root must not be
    /// expired (§5.3.10); if timestamp or snapshot keys changed, the trusted
    /// timestamp and snapshot are dropped (§5.3.11, fast-forward recovery).
    fn update_root(&mut self) -> Result<(), TufError> {
        let start_ts = self.root.meta.role("timestamp").clone();
        let start_snap = self.root.meta.role("snapshot").clone();
        let max = self.opts.limits.max_root_rotations;
        let mut rotations = 0u32;
        loop {
            let trusted = &self.root.meta;
            let next = trusted.common.version + 1;
            let file = format!("{next}.root.json");
            let Some(bytes) = self.source.metadata(&file, self.opts.limits.root_max)? else {
                break;
            };
            if rotations == max {
                return Err(TufError::TooManyRootVersions(max));
            }
            rotations += 1;
            let env = Envelope::parse(&bytes).map_err(|e| malformed(&file, e))?;
            let new = Root::parse(&env.signed).map_err(|e| malformed(&file, e))?;
            let by_previous = count_signers(&env, trusted.role("root"), &trusted.keys);
            if !by_previous.met() {
                let from = format!("trusted root v{}", trusted.common.version);
                return Err(threshold_error(&file, "root", &by_previous, &from));
            }
            let by_self = signed_by_own_root_keys(&env, &new, &file)?;
            if new.common.version != next {
                return Err(TufError::VersionMismatch {
                    file,
                    expected: next,
                    found: new.common.version,
                });
            }
            check_keyids(&file, &new.keys, self.opts, &mut self.report.findings)?;
            // §5.3.8: the new root is trusted (and persisted) right away.
            self.store("root", &bytes)?;
            self.report.root_chain.push(RootStep {
                version: next,
                file,
                by_previous: Some(by_previous),
                by_self,
            });
            self.report.consistent_snapshot = new.consistent_snapshot;
            self.root = Trusted { meta: new };
        }
        let root = &self.root.meta;
        let file = format!("{}.root.json", root.common.version);
        self.check_expiry(&file, "root", &root.common)?;
        let last = self
            .report
            .root_chain
            .last()
            .map(|s| (s.file.clone(), s.by_self.clone()));
        let common = root.common.clone();
        if let Some((from, signers)) = last {
            self.push_role("root", "root", &from, &common, signers);
        }
        let rotated_ts = self.root.meta.role("timestamp") != &start_ts;
        let rotated_snap = self.root.meta.role("snapshot") != &start_snap;
        if (rotated_ts || rotated_snap)
            && let Some(s) = &self.state
        {
            if s.load("timestamp")?.is_some() || s.load("snapshot")?.is_some() {
                self.report.findings.push(Finding {
                    subject: "root".into(),
                    message: "timestamp/snapshot keys rotated: trusted timestamp and snapshot \
                              discarded (fast-forward attack recovery, §5.3.11)"
                        .into(),
                });
            }
            s.remove("timestamp")?;
            s.remove("snapshot")?;
        }
        Ok(())
    }

    /// Trusted metadata of `role` from the state directory, if it is there
    /// and still verifies under `keys` (signatures only: stored metadata is
    /// a rollback baseline, and may be expired). Metadata that no longer
    /// verifies (keys rotated) is ignored, as python-tuf does.
    fn load_stored<T>(
        &mut self,
        role: &str,
        role_keys: &RoleKeys,
        keys: &BTreeMap<String, ListedKey>,
        parse: impl Fn(&serde_json::Value) -> Result<T, super::metadata::MetadataError>,
    ) -> Result<Option<(T, SignerCount)>, TufError> {
        let Some(state) = &self.state else {
            return Ok(None);
        };
        let Some(bytes) = state.load(role)? else {
            return Ok(None);
        };
        let parsed = Envelope::parse(&bytes).ok().and_then(|env| {
            let signers = count_signers(&env, role_keys, keys);
            if !signers.met() {
                return None;
            }
            parse(&env.signed).ok().map(|t| (t, signers))
        });
        if parsed.is_none() {
            self.report.findings.push(Finding {
                subject: role.to_owned(),
                message: format!(
                    "stored trusted {role} no longer verifies under the current root; ignored"
                ),
            });
        }
        Ok(parsed)
    }

    /// §5.4: timestamp. Signed by the root's timestamp threshold (§5.4.1);
    /// its version and its snapshot version not lower than trusted
    /// (§5.4.3); not expired (§5.4.4).
    fn update_timestamp(&mut self) -> Result<(), TufError> {
        let root = self.root.meta.clone();
        let role_keys = root.role("timestamp");
        let old = self.load_stored("timestamp", role_keys, &root.keys, Timestamp::parse)?;
        let file = "timestamp.json";
        let bytes = self.fetch_metadata(file, self.opts.limits.timestamp_max)?;
        let env = Envelope::parse(&bytes).map_err(|e| malformed(file, e))?;
        let new = Timestamp::parse(&env.signed).map_err(|e| malformed(file, e))?;
        let signers = count_signers(&env, role_keys, &root.keys);
        if !signers.met() {
            return Err(threshold_error(file, "timestamp", &signers, "root"));
        }
        if let Some((old, old_signers)) = old {
            if new.common.version < old.common.version {
                return Err(TufError::Rollback {
                    what: "timestamp".into(),
                    trusted: old.common.version,
                    new: new.common.version,
                });
            }
            if new.snapshot.version < old.snapshot.version {
                return Err(TufError::Rollback {
                    what: "snapshot (in timestamp meta)".into(),
                    trusted: old.snapshot.version,
                    new: new.snapshot.version,
                });
            }
            if new.common.version == old.common.version {
                // Same version: keep the trusted one, so a repository that
                // changes timestamp content without a new version cannot
                // steer the client (python-tuf and tuf-conformance agree).
                if new.snapshot != old.snapshot {
                    self.report.findings.push(Finding {
                        subject: file.into(),
                        message: format!(
                            "timestamp v{} changed content without a new version; the trusted \
                             copy is kept",
                            old.common.version
                        ),
                    });
                }
                self.check_expiry(file, "timestamp", &old.common)?;
                self.push_role("timestamp", "root", file, &old.common, old_signers);
                self.timestamp = Some(Trusted { meta: old });
                return Ok(());
            }
        }
        self.check_expiry(file, "timestamp", &new.common)?;
        self.store("timestamp", &bytes)?;
        self.push_role("timestamp", "root", file, &new.common, signers);
        self.timestamp = Some(Trusted { meta: new });
        Ok(())
    }

    /// §5.5: snapshot. Length and hashes as timestamp says (§5.5.2),
    /// signed by the snapshot threshold (§5.5.3), version as timestamp says
    /// (§5.5.4), no listed role's version lower than in the trusted
    /// snapshot and none dropped (§5.5.5), not expired (§5.5.6).
    fn update_snapshot(&mut self) -> Result<(), TufError> {
        let root = self.root.meta.clone();
        let role_keys = root.role("snapshot");
        let meta = self
            .timestamp
            .as_ref()
            .ok_or(TufError::NotRefreshed)?
            .meta
            .snapshot
            .clone();
        let old = self.load_stored("snapshot", role_keys, &root.keys, Snapshot::parse)?;
        let old = old.map(|(o, _)| o);
        let file = if root.consistent_snapshot {
            format!("{}.snapshot.json", meta.version)
        } else {
            "snapshot.json".to_owned()
        };
        let check = |bytes: &[u8]| -> Result<(Snapshot, SignerCount), TufError> {
            check_metafile(&file, bytes, &meta)?;
            let env = Envelope::parse(bytes).map_err(|e| malformed(&file, e))?;
            let new = Snapshot::parse(&env.signed).map_err(|e| malformed(&file, e))?;
            let signers = count_signers(&env, role_keys, &root.keys);
            if !signers.met() {
                return Err(threshold_error(&file, "snapshot", &signers, "root"));
            }
            if new.common.version != meta.version {
                return Err(TufError::VersionMismatch {
                    file: file.clone(),
                    expected: meta.version,
                    found: new.common.version,
                });
            }
            if let Some(old) = &old {
                check_snapshot_rollback(old, &new)?;
            }
            self.check_expiry(&file, "snapshot", &new.common)?;
            Ok((new, signers))
        };
        // python-tuf's cache rule (client protocol only): a stored snapshot
        // that passes every check against the new timestamp is current.
        if let Some(bytes) = self.reusable("snapshot")?
            && let Ok((new, signers)) = check(&bytes)
        {
            self.push_role("snapshot", "root", &file, &new.common, signers);
            self.snapshot = Some(Trusted { meta: new });
            return Ok(());
        }
        // The listed length is signed but still the repository's word: the
        // limit bounds memory either way.
        let max = self.opts.limits.snapshot_max;
        let cap = meta.length.map_or(max, |l| l.min(max));
        let bytes = self.fetch_metadata(&file, cap)?;
        let (new, signers) = check(&bytes)?;
        self.store("snapshot", &bytes)?;
        self.push_role("snapshot", "root", &file, &new.common, signers);
        self.snapshot = Some(Trusted { meta: new });
        Ok(())
    }

    /// Stored bytes of `role` when [`Options::reuse_local_metadata`] is on.
    fn reusable(&self, role: &str) -> Result<Option<Vec<u8>>, TufError> {
        match &self.state {
            Some(s) if self.opts.reuse_local_metadata => Ok(s.load(role)?),
            _ => Ok(None),
        }
    }

    /// §5.6: top-level targets.
    fn update_targets(&mut self) -> Result<(), TufError> {
        let root = self.root.meta.clone();
        let (t, _, _) =
            self.load_targets_role("targets", "root", root.role("targets"), &root.keys)?;
        self.targets = Some(t);
        Ok(())
    }

    /// §5.6.1–§5.6.6 for any targets role: length and hashes as snapshot
    /// says (§5.6.2), signed by the delegator's threshold (§5.6.3), version
    /// as snapshot says (§5.6.4), not expired (§5.6.5), then persisted.
    fn load_targets_role(
        &mut self,
        role: &str,
        delegator: &str,
        role_keys: &RoleKeys,
        keys: &BTreeMap<String, ListedKey>,
    ) -> Result<(Trusted<Targets>, Envelope, String), TufError> {
        let snapshot = &self.snapshot.as_ref().ok_or(TufError::NotRefreshed)?.meta;
        let meta_name = format!("{role}.json");
        let meta = snapshot
            .meta
            .get(&meta_name)
            .cloned()
            .ok_or_else(|| TufError::Missing {
                file: format!("{meta_name} (not listed in snapshot)"),
            })?;
        let file = if self.root.meta.consistent_snapshot {
            format!("{}.{meta_name}", meta.version)
        } else {
            meta_name.clone()
        };
        let check = |bytes: &[u8]| -> Result<(Targets, SignerCount, Envelope), TufError> {
            check_metafile(&file, bytes, &meta)?;
            let env = Envelope::parse(bytes).map_err(|e| malformed(&file, e))?;
            let new = Targets::parse(&env.signed).map_err(|e| malformed(&file, e))?;
            let signers = count_signers(&env, role_keys, keys);
            if !signers.met() {
                return Err(threshold_error(&file, role, &signers, delegator));
            }
            if new.common.version != meta.version {
                return Err(TufError::VersionMismatch {
                    file: file.clone(),
                    expected: meta.version,
                    found: new.common.version,
                });
            }
            self.check_expiry(&file, role, &new.common)?;
            Ok((new, signers, env))
        };
        let local = match self.reusable(role)? {
            Some(bytes) => check(&bytes).ok(),
            None => None,
        };
        let (new, signers, env) = match local {
            Some(x) => x,
            None => {
                let max = self.opts.limits.targets_max;
                let cap = meta.length.map_or(max, |l| l.min(max));
                let bytes = self.fetch_metadata(&file, cap)?;
                let x = check(&bytes)?;
                self.store(role, &bytes)?;
                x
            }
        };
        if let Some(d) = &new.delegations {
            check_keyids(&file, &d.keys, self.opts, &mut self.report.findings)?;
        }
        self.push_role(role, delegator, &file, &new.common, signers);
        Ok((Trusted { meta: new }, env, file))
    }

    fn targets_of(&self, role: &str) -> Option<&Trusted<Targets>> {
        if role == "targets" {
            self.targets.as_ref()
        } else {
            self.delegated.get(role).map(|d| &d.trusted)
        }
    }

    /// Loads delegated `role` as delegated by `parent` (already trusted):
    /// the role must meet the keys and threshold `parent` gives it, even
    /// when it was already read and verified through another delegator.
    fn load_delegated(&mut self, role: &str, parent: &str) -> Result<(), TufError> {
        if self
            .delegated
            .get(role)
            .is_some_and(|d| d.verified_by.contains(parent))
        {
            return Ok(());
        }
        let parent_meta = self
            .targets_of(parent)
            .ok_or(TufError::NotRefreshed)?
            .meta
            .clone();
        let d = parent_meta
            .delegations
            .as_ref()
            .ok_or(TufError::NotRefreshed)?;
        let entry = d
            .roles
            .iter()
            .find(|r| r.name == role)
            .ok_or(TufError::NotRefreshed)?;
        if let Some(known) = self.delegated.get_mut(role) {
            // Read through another delegator already: same bytes, so only
            // this delegator's keys and threshold remain to check (§5.6.3).
            let signers = count_signers(&known.env, &entry.keys, &d.keys);
            if !signers.met() {
                return Err(threshold_error(&known.file, role, &signers, parent));
            }
            known.verified_by.insert(parent.to_owned());
            let (file, common) = (known.file.clone(), known.trusted.meta.common.clone());
            self.push_role(role, parent, &file, &common, signers);
            return Ok(());
        }
        let (trusted, env, file) = self.load_targets_role(role, parent, &entry.keys, &d.keys)?;
        self.delegated.insert(
            role.to_owned(),
            Delegated {
                trusted,
                env,
                file,
                verified_by: BTreeSet::from([parent.to_owned()]),
            },
        );
        Ok(())
    }

    /// §5.6.7: finds the trusted entry for `name` by a pre-order
    /// depth-first search of the delegation graph from top-level targets,
    /// visiting only roles whose paths cover `name`, honouring terminating
    /// delegations, each role at most once and at most
    /// [`super::Limits::max_delegations`] roles. Returns the entry and the
    /// role that listed it.
    pub fn target_info(&mut self, name: &str) -> Result<(TargetFile, String), TufError> {
        if !self.refreshed {
            return Err(TufError::NotRefreshed);
        }
        let max = self.opts.limits.max_delegations;
        let mut stack: Vec<(String, String)> = vec![("targets".into(), "root".into())];
        let mut visited = BTreeSet::new();
        let mut count = 0u32;
        while let Some((role, parent)) = stack.pop() {
            if visited.contains(&role) {
                continue;
            }
            if count == max {
                return Err(TufError::TooManyDelegations {
                    target: name.to_owned(),
                    max,
                });
            }
            count += 1;
            if role != "targets" {
                self.load_delegated(&role, &parent)?;
            }
            let t = &self.targets_of(&role).ok_or(TufError::NotRefreshed)?.meta;
            if let Some(tf) = t.targets.get(name) {
                return Ok((tf.clone(), role));
            }
            let mut children = Vec::new();
            if let Some(d) = &t.delegations {
                for r in &d.roles {
                    if delegation_covers(&r.paths, name) {
                        children.push((r.name.clone(), role.clone()));
                        if r.terminating {
                            stack.clear();
                            break;
                        }
                    }
                }
            }
            visited.insert(role);
            stack.extend(children.into_iter().rev());
        }
        Err(TufError::UnknownTarget(name.to_owned()))
    }

    /// Every target path listed by a reachable role. Delegated roles that
    /// fail to load through some delegator are recorded in
    /// [`RepositoryReport::role_failures`].
    pub fn all_target_names(&mut self) -> Vec<String> {
        let mut names = BTreeSet::new();
        let mut queue: Vec<(String, String)> = vec![("targets".into(), "root".into())];
        let mut seen = BTreeSet::new();
        let mut count = 0u32;
        while let Some((role, parent)) = queue.pop() {
            // Each delegation (edge) once, not each role: a role reached
            // from two delegators must be checked against both, and a
            // failure on either path is the auditor's to see.
            if !seen.insert((role.clone(), parent.clone())) {
                continue;
            }
            count += 1;
            if count > self.opts.limits.max_delegations {
                self.report.role_failures.push(RoleFailure {
                    role,
                    error: TufError::TooManyDelegations {
                        target: "*".into(),
                        max: self.opts.limits.max_delegations,
                    },
                });
                break;
            }
            if role != "targets"
                && let Err(error) = self.load_delegated(&role, &parent)
            {
                self.report.role_failures.push(RoleFailure { role, error });
                continue;
            }
            let Some(t) = self.targets_of(&role) else {
                continue;
            };
            names.extend(t.meta.targets.keys().cloned());
            if let Some(d) = &t.meta.delegations {
                for r in d.roles.iter().rev() {
                    queue.push((r.name.clone(), role.clone()));
                }
            }
        }
        names.into_iter().collect()
    }

    /// The path a target is fetched from: with consistent snapshots,
    /// `dir/<hash>.<basename>` (§5.7.2), using sha256 when listed.
    pub fn target_url_path(&self, name: &str, tf: &TargetFile) -> String {
        if !self.root.meta.consistent_snapshot {
            return name.to_owned();
        }
        let hash = tf
            .hashes
            .get("sha256")
            .or_else(|| tf.hashes.get("sha512"))
            .or_else(|| tf.hashes.values().next())
            .cloned()
            .unwrap_or_default();
        match name.rsplit_once('/') {
            Some((dir, base)) => format!("{dir}/{hash}.{base}"),
            None => format!("{hash}.{name}"),
        }
    }

    /// §5.7: downloads a target (at most its trusted length) and checks
    /// length and every supported hash (§5.7.3). Returns its bytes.
    pub fn fetch_target(&self, name: &str, tf: &TargetFile) -> Result<Vec<u8>, TufError> {
        if tf.length > self.opts.limits.target_max {
            return Err(TufError::Fetch(super::FetchError::TooLong {
                what: name.to_owned(),
                max: self.opts.limits.target_max,
            }));
        }
        let path = self.target_url_path(name, tf);
        let bytes = self
            .source
            .target(&path, tf.length)?
            .ok_or(TufError::Missing { file: path.clone() })?;
        check_length_hashes(name, &bytes, Some(tf.length), Some(&tf.hashes))?;
        Ok(bytes)
    }
}

/// §5.7.3: whether `bytes` are the target `tf` describes (exact length,
/// every supported hash, at least one supported hash).
pub fn check_target(name: &str, bytes: &[u8], tf: &TargetFile) -> Result<(), TufError> {
    check_length_hashes(name, bytes, Some(tf.length), Some(&tf.hashes))
}

/// §5.5.5: every file the trusted snapshot lists is still listed, at a
/// version no lower.
fn check_snapshot_rollback(old: &Snapshot, new: &Snapshot) -> Result<(), TufError> {
    for (name, m) in &old.meta {
        let Some(n) = new.meta.get(name) else {
            return Err(TufError::DroppedFromSnapshot { file: name.clone() });
        };
        if n.version < m.version {
            return Err(TufError::Rollback {
                what: format!("{name} (in snapshot meta)"),
                trusted: m.version,
                new: n.version,
            });
        }
    }
    Ok(())
}

/// TUF specification §5.3.4 (2): a root is signed by a threshold of the
/// root keys it lists itself (checked of the trust anchor too).
fn signed_by_own_root_keys(
    env: &Envelope,
    root: &Root,
    file: &str,
) -> Result<SignerCount, TufError> {
    let by_self = count_signers(env, root.role("root"), &root.keys);
    if !by_self.met() {
        return Err(threshold_error(file, "root", &by_self, "its own root keys"));
    }
    Ok(by_self)
}

fn threshold_error(file: &str, role: &str, c: &SignerCount, from: &str) -> TufError {
    TufError::Threshold {
        file: file.to_owned(),
        role: role.to_owned(),
        have: c.signers.len(),
        need: c.threshold,
        keys_from: from.to_owned(),
    }
}

/// Records (or with `strict_keyids`, refuses) keys whose keyid is not
/// sha256 of the canonical key (§4.2 "KEYID"; TAP 12), and keys glassbox
/// cannot use (they never count towards a threshold).
fn check_keyids(
    file: &str,
    keys: &BTreeMap<String, ListedKey>,
    opts: &Options,
    findings: &mut Vec<Finding>,
) -> Result<(), TufError> {
    for k in keys.values() {
        match &k.key {
            Err(e) => findings.push(Finding {
                subject: file.to_owned(),
                message: format!(
                    "key {} is unusable and cannot count towards any threshold: {e}",
                    k.keyid
                ),
            }),
            Ok(_) => {
                if let Some(computed) = k.keyid_mismatch() {
                    if opts.strict_keyids {
                        return Err(TufError::KeyIdMismatch {
                            file: file.to_owned(),
                            keyid: k.keyid.clone(),
                            computed: computed.to_owned(),
                        });
                    }
                    let msg = format!(
                        "keyid {} is not sha256 of its canonical key ({computed}); allowed by TAP 12",
                        k.keyid
                    );
                    if !findings.iter().any(|f| f.message == msg) {
                        findings.push(Finding {
                            subject: file.to_owned(),
                            message: msg,
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_metafile(file: &str, bytes: &[u8], meta: &MetaFile) -> Result<(), TufError> {
    check_length_hashes(file, bytes, meta.length, meta.hashes.as_ref())
}

/// Exact length and every supported hash; at least one hash must be
/// supported when hashes are given.
fn check_length_hashes(
    file: &str,
    bytes: &[u8],
    length: Option<u64>,
    hashes: Option<&Hashes>,
) -> Result<(), TufError> {
    if let Some(expected) = length
        && bytes.len() as u64 != expected
    {
        return Err(TufError::LengthMismatch {
            file: file.to_owned(),
            expected,
            found: bytes.len() as u64,
        });
    }
    let Some(hashes) = hashes else {
        return Ok(());
    };
    let mut checked = 0;
    for (alg, want) in hashes {
        let got = match alg.as_str() {
            "sha256" => hex::encode(Sha256::digest(bytes)),
            "sha512" => hex::encode(Sha512::digest(bytes)),
            _ => continue,
        };
        checked += 1;
        if &got != want {
            return Err(TufError::HashMismatch {
                file: file.to_owned(),
                alg: alg.clone(),
            });
        }
    }
    if checked == 0 {
        return Err(TufError::NoSupportedHash {
            file: file.to_owned(),
            algs: hashes.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(())
}

//! Split-view detection: gather checkpoints of one log from several places
//! (files, directories, log directories) and find two signed checkpoints
//! that cannot both come from one append-only log.
//!
//! Two verified checkpoints are a split view when they have the same size
//! but different roots, or when a log directory whose tiles reproduce its
//! own signed checkpoint gives, at the smaller checkpoint's size, a root
//! different from that checkpoint's (RFC 9162 §2.1.4: a consistent
//! smaller tree is the prefix of the larger one, so the roots must agree).

use std::path::{Path, PathBuf};

use super::Error;
use super::checkpoint::{self, Checkpoint};
use super::merkle;
use super::note::VerifierKey;
use super::proof::{HEADER as PROOF_HEADER, TlogProof};
use super::source::LogSource;
use super::storage::CHECKPOINT_FILE;
use super::tiles::{self, TileReader};

/// Directory depth a walk goes down.
pub const MAX_DEPTH: usize = 8;
/// Files a walk looks at.
pub const MAX_FILES: usize = 10_000;

/// A checkpoint found at a place, verified with the log's key.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Observation {
    /// The file it was read from.
    pub place: PathBuf,
    /// Origin line.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash, hex.
    pub root: String,
    /// The signed note, as found (the evidence).
    pub note: String,
}

/// A file that held no checkpoint we accept.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Rejected {
    /// The file.
    pub place: PathBuf,
    /// Why.
    pub reason: String,
}

/// Two signed checkpoints that are not consistent.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SplitView {
    /// One checkpoint.
    pub first: Observation,
    /// The other.
    pub second: Observation,
    /// How the inconsistency was shown.
    pub reason: String,
}

/// What a monitor run found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MonitorReport {
    /// Verified checkpoints.
    pub observations: Vec<Observation>,
    /// Files not accepted (bad signature, other log, malformed).
    pub rejected: Vec<Rejected>,
    /// Log directories used to check consistency.
    pub proof_sources: Vec<PathBuf>,
    /// Checkpoints that no proof source could check (larger than every
    /// log directory given, and no other checkpoint of the same size).
    pub unchecked: Vec<PathBuf>,
    /// Split views, each with both checkpoints as evidence.
    pub split_views: Vec<SplitView>,
}

struct Source {
    dir: PathBuf,
    obs: Observation,
    reader: TileReader,
}

fn is_log_dir(dir: &Path) -> bool {
    dir.join(CHECKPOINT_FILE).is_file() && dir.join("tile").is_dir()
}

fn wanted_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == CHECKPOINT_FILE
        || name.ends_with(".note")
        || name.ends_with(".checkpoint")
        || name.ends_with(".tlog-proof")
}

fn walk(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    logs: &mut Vec<PathBuf>,
) -> Result<(), Error> {
    if is_log_dir(dir) {
        logs.push(dir.to_path_buf());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden || p.file_name().is_some_and(|n| n == "tile") {
            continue;
        }
        if p.is_dir() {
            if depth < MAX_DEPTH {
                walk(&p, depth + 1, files, logs)?;
            }
        } else if wanted_file(&p) {
            if files.len() >= MAX_FILES {
                return Err(Error::Limit(format!(
                    "more than {MAX_FILES} checkpoint files"
                )));
            }
            files.push(p);
        }
    }
    Ok(())
}

fn observe(place: &Path, vkey: &VerifierKey) -> Result<Observation, String> {
    let bytes = tiles::read_bounded(place, super::proof::MAX_PROOF_BYTES as u64)
        .map_err(|e| e.to_string())?;
    let note = if bytes.starts_with(PROOF_HEADER.as_bytes()) {
        TlogProof::parse(&bytes)
            .map_err(|e| e.to_string())?
            .checkpoint
    } else {
        bytes
    };
    let cp = checkpoint::open(&note, vkey, &[], 0).map_err(|e| e.to_string())?;
    Ok(observation(place, &cp.checkpoint, &note))
}

fn observation(place: &Path, cp: &Checkpoint, note: &[u8]) -> Observation {
    Observation {
        place: place.to_path_buf(),
        origin: cp.origin.clone(),
        size: cp.size,
        root: hex::encode(cp.root),
        note: String::from_utf8_lossy(note).into_owned(),
    }
}

/// Gathers checkpoints of the log `vkey` from `places` (files or
/// directories, walked for `checkpoint`, `*.note`, `*.checkpoint` and
/// `*.tlog-proof`) and looks for split views.
pub fn monitor(places: &[PathBuf], vkey: &VerifierKey) -> Result<MonitorReport, Error> {
    monitor_sources(places, &[], vkey)
}

/// [`monitor`], with logs served over HTTP as well: each one's checkpoint
/// is an observation (its place is the checkpoint's URL) and, when its
/// tiles reproduce that checkpoint, a proof source. A log that cannot be
/// fetched, or whose tiles do not match, is rejected with the URL and why.
pub fn monitor_sources(
    places: &[PathBuf],
    remote: &[LogSource],
    vkey: &VerifierKey,
) -> Result<MonitorReport, Error> {
    let mut files = Vec::new();
    let mut logs = Vec::new();
    for p in places {
        let meta = std::fs::metadata(p).map_err(Error::io(p))?;
        if meta.is_dir() {
            walk(p, 0, &mut files, &mut logs)?;
        } else {
            files.push(p.clone());
        }
    }
    // The same file reached by two paths is one observation.
    let mut unique = std::collections::BTreeSet::new();
    files.retain(|f| unique.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    let mut report = MonitorReport::default();
    for f in &files {
        match observe(f, vkey) {
            Ok(o) => report.observations.push(o),
            Err(reason) => report.rejected.push(Rejected {
                place: f.clone(),
                reason,
            }),
        }
    }
    // Proof sources: log directories whose tiles reproduce their own
    // verified checkpoint.
    let mut sources = Vec::new();
    logs.sort();
    logs.dedup();
    let mut candidates: Vec<(PathBuf, Observation, TileReader)> = Vec::new();
    for dir in logs {
        let place = std::fs::canonicalize(dir.join(CHECKPOINT_FILE)).ok();
        let Some(obs) = report
            .observations
            .iter()
            .find(|o| std::fs::canonicalize(&o.place).ok() == place)
            .cloned()
        else {
            continue;
        };
        let reader = TileReader::new(&dir, obs.size);
        candidates.push((dir, obs, reader));
    }
    for src in remote {
        let place = src.location(CHECKPOINT_FILE);
        let observed = src.checkpoint_bytes().and_then(|note| {
            checkpoint::open(&note, vkey, &[], 0)
                .map(|cp| observation(&place, &cp.checkpoint, &note))
        });
        match observed {
            Ok(obs) => {
                report.observations.push(obs.clone());
                let reader = src.reader(obs.size);
                candidates.push((PathBuf::from(src.describe()), obs, reader));
            }
            Err(e) => report.rejected.push(Rejected {
                place,
                reason: e.to_string(),
            }),
        }
    }
    for (dir, obs, reader) in candidates {
        match merkle::root_at(&reader, obs.size) {
            Ok(root) if hex::encode(root) == obs.root => {
                report.proof_sources.push(dir.clone());
                sources.push(Source { dir, obs, reader });
            }
            Ok(_) => report.rejected.push(Rejected {
                place: dir,
                reason: "tiles do not give the root of the log's own checkpoint".into(),
            }),
            Err(e) => report.rejected.push(Rejected {
                place: dir,
                reason: format!("tiles unreadable: {e}"),
            }),
        }
    }
    let obs = &report.observations;
    let mut splits: Vec<SplitView> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut push =
        |a: &Observation, b: &Observation, reason: String, splits: &mut Vec<SplitView>| {
            let key = if a.root < b.root {
                (a.size, a.root.clone(), b.size, b.root.clone())
            } else {
                (b.size, b.root.clone(), a.size, a.root.clone())
            };
            if seen.insert(key) {
                splits.push(SplitView {
                    first: a.clone(),
                    second: b.clone(),
                    reason,
                });
            }
        };
    for (i, a) in obs.iter().enumerate() {
        for b in &obs[i + 1..] {
            if a.size == b.size && a.root != b.root {
                push(
                    a,
                    b,
                    format!("two different roots for tree size {}", a.size),
                    &mut splits,
                );
            }
        }
    }
    let mut unchecked = Vec::new();
    for o in obs {
        let mut checked = obs.iter().any(|x| x.size == o.size && x.place != o.place);
        for s in sources.iter().filter(|s| s.obs.size >= o.size) {
            // A source that stops answering half-way (a served log going
            // down) cannot decide this pair: say so rather than abort or
            // pass.
            let root = match merkle::root_at(&s.reader, o.size) {
                Ok(r) => r,
                Err(e) if matches!(s.reader.source(), LogSource::Http { .. }) => {
                    report.rejected.push(Rejected {
                        place: s.dir.clone(),
                        reason: format!("tiles unreadable: {e}"),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            checked = true;
            if hex::encode(root) != o.root {
                push(
                    o,
                    &s.obs,
                    format!(
                        "the log in {} (size {}) has a different root at size {}, so the \
                         smaller tree is not a prefix of the larger one",
                        s.dir.display(),
                        s.obs.size,
                        o.size
                    ),
                    &mut splits,
                );
            }
        }
        if !checked {
            unchecked.push(o.place.clone());
        }
    }
    report.unchecked = unchecked;
    report.split_views = splits;
    Ok(report)
}

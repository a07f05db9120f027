//! A mirror directory verified as apt chains: `glassbox verify --policy P
//! MIRROR` finds each distribution (`[PREFIX/]dists/DIST/InRelease`, or
//! `Release` with `Release.gpg`; DebianRepository/Format, "Release files")
//! and covers through its chain every file it vouches for:
//!
//! - files under `dists/DIST/` that the Release lists with their SHA-256
//!   and size;
//! - `pool/…` packages (and source files) whose index stanza — in an index
//!   the Release lists — gives their SHA-256 and size.
//!
//! A file the chain lists with another digest fails; a file it does not
//! list is left to the policy's coverage rules, like any unsigned file.
//! The mirror's files are the release listing's (hashed once by the
//! reader); only the Release files and the indexes are read again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use time::OffsetDateTime;

use super::index::{self, IndexKind};
use super::release_file::MAX_RELEASE_BYTES;
use super::{ReleaseLink, release_link_of, validation_time};
use crate::digest::Sha256Digest;
use crate::policy::TrustPolicy;
use crate::release::ReleaseError;
use crate::sig::release::{Failure, ReleaseAccess, ReleaseFile, SignatureResult};

/// Most distributions verified in one mirror.
pub const MAX_DISTRIBUTIONS: usize = 64;

/// One distribution found in a mirror: `{root}dists/{name}/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Dist {
    /// The mirror root (`` or `debian/`), ending in `/` when not empty.
    root: String,
    /// The distribution's directory, `{root}dists/{name}/`.
    dir: String,
}

/// What the apt chains of a mirror add to a release verification.
#[derive(Debug, Default)]
pub struct MirrorCoverage {
    /// One result per distribution signature file (InRelease, Release.gpg):
    /// `covers` is every file its chain vouches for.
    pub signatures: Vec<SignatureResult>,
    /// Files that are part of the chains' signatures (InRelease,
    /// Release.gpg), taken out of the generic signature discovery.
    pub claimed: BTreeSet<String>,
    /// Every failed link.
    pub failures: Vec<Failure>,
}

/// The distributions of a listing, by their Release files.
fn distributions(files: &[ReleaseFile]) -> BTreeSet<Dist> {
    let mut out = BTreeSet::new();
    for f in files {
        let Some(rest) = f
            .path
            .strip_suffix("/InRelease")
            .or_else(|| f.path.strip_suffix("/Release"))
        else {
            continue;
        };
        // `{root}dists/{name}`, name one component.
        let Some((before, name)) = rest.rsplit_once('/') else {
            continue;
        };
        let root = match before.strip_suffix("dists") {
            Some(r) if r.is_empty() || r.ends_with('/') => r,
            _ => continue,
        };
        if name.is_empty() {
            continue;
        }
        out.insert(Dist {
            root: root.to_string(),
            dir: format!("{rest}/"),
        });
    }
    out
}

/// Whether `files` hold an apt mirror (a `dists/*/InRelease` or
/// `dists/*/Release`).
pub fn is_mirror(files: &[ReleaseFile]) -> bool {
    !distributions(files).is_empty()
}

/// Verifies every distribution of the mirror in `files` at the validation
/// time and says what each chain covers.
pub fn cover(
    release: &dyn ReleaseAccess,
    files: &[ReleaseFile],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<MirrorCoverage, ReleaseError> {
    let at = validation_time(policy, None, now);
    let by_path: HashMap<&str, &ReleaseFile> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut out = MirrorCoverage::default();
    for (n, dist) in distributions(files).into_iter().enumerate() {
        if n == MAX_DISTRIBUTIONS {
            out.failures.push(Failure {
                file: dist.dir.clone(),
                signature: String::new(),
                check: "apt-mirror".into(),
                reason: format!(
                    "more than {MAX_DISTRIBUTIONS} distributions in one mirror; verify it in parts"
                ),
            });
            break;
        }
        cover_dist(release, &dist, &by_path, files, policy, at, &mut out)?;
    }
    Ok(out)
}

fn cover_dist(
    release: &dyn ReleaseAccess,
    dist: &Dist,
    by_path: &HashMap<&str, &ReleaseFile>,
    files: &[ReleaseFile],
    policy: &TrustPolicy,
    at: OffsetDateTime,
    out: &mut MirrorCoverage,
) -> Result<(), ReleaseError> {
    let p = |name: &str| format!("{}{name}", dist.dir);
    let (inrelease, plain, gpg) = (p("InRelease"), p("Release"), p("Release.gpg"));
    let present: Vec<&String> = [&inrelease, &plain, &gpg]
        .into_iter()
        .filter(|f| by_path.contains_key(f.as_str()))
        .collect();
    let small: BTreeSet<String> = present.iter().map(|s| s.to_string()).collect();
    let bytes = release.read_files(&small, MAX_RELEASE_BYTES)?;
    // Release itself is no signature: Release.gpg's chain covers it.
    out.claimed
        .extend(small.iter().filter(|p| **p != plain).cloned());

    // apt reads InRelease when there is one, other clients Release and
    // Release.gpg: each form present is verified, and both must say the
    // same thing.
    let mut links: Vec<(String, ReleaseLink)> = Vec::new();
    let mut failures = Vec::new();
    if let Some(b) = bytes.get(&inrelease) {
        let link = release_link_of(&inrelease, b, None, policy, at, &mut failures);
        links.push((inrelease.clone(), link));
    }
    match (bytes.get(&plain), bytes.get(&gpg)) {
        (Some(b), Some(g)) => {
            let link = release_link_of(&plain, b, Some((&gpg, g)), policy, at, &mut failures);
            links.push((gpg.clone(), link));
        }
        (Some(_), None) if !bytes.contains_key(&inrelease) => failures.push(Failure {
            file: plain.clone(),
            signature: String::new(),
            check: "apt-release-signature".into(),
            reason: "Release has no Release.gpg beside it and there is no InRelease: \
                     the distribution is not signed"
                .into(),
        }),
        (None, Some(_)) => failures.push(Failure {
            file: gpg.clone(),
            signature: gpg.clone(),
            check: "target".into(),
            reason: format!("signs {plain}, which is not in the release"),
        }),
        _ => {}
    }
    if let [(_, a), (_, b)] = &links[..]
        && let (Some(x), Some(y)) = (&a.release, &b.release)
        && x.files != y.files
    {
        failures.push(Failure {
            file: plain.clone(),
            signature: gpg.clone(),
            check: "apt-release".into(),
            reason: format!(
                "{inrelease} and {plain} list different files: apt reads one, other clients the \
                 other; the mirror is inconsistent"
            ),
        });
    }
    // The file list every chain of this distribution vouches for: the
    // first verified Release (both lists are equal when both verified).
    let listed = links
        .iter()
        .find_map(|(_, l)| l.release.as_ref().filter(|_| l.verified));
    let mut covers: Vec<String> = Vec::new();
    if let Some(rel) = listed {
        cover_listed(
            release,
            dist,
            rel,
            by_path,
            files,
            &mut covers,
            &mut failures,
        )?;
    }
    let chain_ok = failures.is_empty();
    for (sig, link) in links {
        let mut covers = if link.verified {
            covers.clone()
        } else {
            Vec::new()
        };
        if link.verified && link.file != sig {
            covers.push(link.file.clone());
        }
        out.signatures.push(super::chain_result(
            &sig,
            &link,
            covers,
            link.verified && chain_ok,
            Vec::new(),
        ));
    }
    out.failures.extend(failures);
    Ok(())
}

/// Covers the files under `dists/DIST/` the Release lists, then the pool
/// files the listed indexes name.
fn cover_listed(
    release: &dyn ReleaseAccess,
    dist: &Dist,
    rel: &super::AptRelease,
    by_path: &HashMap<&str, &ReleaseFile>,
    files: &[ReleaseFile],
    covers: &mut Vec<String>,
    failures: &mut Vec<Failure>,
) -> Result<(), ReleaseError> {
    let mut indexes = BTreeMap::new();
    for f in files.iter().filter(|f| f.path.starts_with(&dist.dir)) {
        let rel_path = &f.path[dist.dir.len()..];
        let Some(l) = rel.files.get(rel_path) else {
            continue;
        };
        if l.sha256 != f.sha256 || l.size != f.size {
            failures.push(Failure {
                file: f.path.clone(),
                signature: String::new(),
                check: "apt-index".into(),
                reason: format!(
                    "the Release lists {rel_path} with sha256 {} and {} bytes; the file has \
                     sha256 {} and {} bytes",
                    l.sha256, l.size, f.sha256, f.size
                ),
            });
            continue;
        }
        covers.push(f.path.clone());
        if IndexKind::of(rel_path) != IndexKind::Other {
            indexes.insert(f.path.clone(), rel_path.to_string());
        }
    }
    let wanted: BTreeSet<String> = indexes.keys().cloned().collect();
    let contents = release.read_files(&wanted, index::MAX_INDEX_FILE_BYTES)?;
    // Pool path → (sha256, size, index), from every listed index.
    let mut pool: HashMap<String, (Sha256Digest, u64, &str)> = HashMap::new();
    let mut reading = index::OneReading::default();
    for (path, listed_as) in &indexes {
        let Some(bytes) = contents.get(path) else {
            continue;
        };
        // The bytes read back must be the ones the listing hashed.
        if Sha256Digest::of(bytes) != by_path[path.as_str()].sha256 {
            return Err(ReleaseError::Changed {
                path: crate::release::EntryPath::top(path.as_str().into()),
            });
        }
        let read = match index::read_index(bytes, listed_as) {
            Ok(r) => r,
            Err(e) => {
                failures.push(Failure {
                    file: path.clone(),
                    signature: String::new(),
                    check: "apt-index".into(),
                    reason: format!("{e}; the index is signed but cannot be read one way"),
                });
                continue;
            }
        };
        for reason in reading.add(path, listed_as, &read) {
            failures.push(Failure {
                file: path.clone(),
                signature: String::new(),
                check: "apt-index".into(),
                reason,
            });
        }
        let content = read.content;
        let named = content
            .packages
            .iter()
            .map(|s| (s.filename.as_str(), s.sha256, s.size))
            .chain(
                content
                    .source_files
                    .iter()
                    .map(|s| (s.path.as_str(), s.sha256, s.size)),
            );
        for (name, sha256, size) in named {
            let at = format!("{}{name}", dist.root);
            match pool.get(&at) {
                Some((d, s, other)) if (*d, *s) != (sha256, size) => failures.push(Failure {
                    file: at.clone(),
                    signature: String::new(),
                    check: "apt-package".into(),
                    reason: format!(
                        "{other} and {path} list it with different digests or sizes; readers \
                         differ on which counts"
                    ),
                }),
                Some(_) => {}
                None => {
                    pool.insert(at, (sha256, size, path));
                }
            }
        }
    }
    for (path, (sha256, size, index)) in &pool {
        let Some(f) = by_path.get(path.as_str()) else {
            // A mirror need not hold every package its indexes list.
            continue;
        };
        // Listed as a package another stanza lists with another .deb: the
        // apt-index failure says so, and it is covered by neither.
        if reading.is_ambiguous(&path[dist.root.len()..]) {
            continue;
        }
        if f.sha256 == *sha256 && f.size == *size {
            covers.push(path.clone());
        } else {
            failures.push(Failure {
                file: path.clone(),
                signature: String::new(),
                check: "apt-package".into(),
                reason: format!(
                    "{index} lists sha256 {sha256} and {size} bytes; the file has sha256 {} and \
                     {} bytes: it is not the package the index signs",
                    f.sha256, f.size
                ),
            });
        }
    }
    covers.sort();
    covers.dedup();
    Ok(())
}

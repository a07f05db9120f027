//! The inputs check: the SHA-256 of every file the audit examined (the
//! releases, the policy and the trust material it points to, the TUF
//! material), so the signed report vouches for exactly those bytes; and
//! the re-reading of them by `report verify --artifacts`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::release::{EntryKind, ReadOptions, Release, ReleaseError};
use crate::report::statement::SubjectMismatch;
use crate::report::{Artifact, AuditReport, Check, Finding, Input, InputKind, InputRole, Severity};

use super::case::{AuditCase, CasePath};
use super::releases::{Releases, SharedRelease};
use super::step::{Outcome, role_word};

/// Most files hashed in one input directory.
pub const MAX_INPUT_FILES: usize = 1_000_000;

/// Why an input could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The input is missing or its metadata unreadable.
    #[error("{}: {source}", path.display())]
    Stat {
        /// The input.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file input could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The release reader could not read a directory input.
    #[error("{}: {source}", path.display())]
    Release {
        /// The directory.
        path: PathBuf,
        /// The reader's error.
        source: ReleaseError,
    },
    /// A file name is not UTF-8: the report names files as UTF-8, and a
    /// lossy name would vouch for a file that is not there.
    #[error("{}: a file name is not UTF-8 ({name:?})", dir.display())]
    NotUtf8 {
        /// The directory.
        dir: PathBuf,
        /// The name, lossily decoded.
        name: String,
    },
    /// The reader listed a regular file without its digest.
    #[error("{}/{name}: not hashed by the reader", dir.display())]
    NotHashed {
        /// The directory.
        dir: PathBuf,
        /// The file.
        name: String,
    },
    /// More than [`MAX_INPUT_FILES`] files.
    #[error("more than {MAX_INPUT_FILES} files")]
    TooManyFiles,
}

/// A directory input as the audit records it: the digest of its
/// `sha256sum` listing, its regular files, and the entries not hashed
/// (links, devices), relative paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryListing {
    /// Lowercase hex SHA-256 of the `sha256sum` listing.
    pub sha256: String,
    /// The regular files, sorted by path bytes.
    pub files: Vec<Artifact>,
    /// The other entries, never followed.
    pub skipped: Vec<String>,
}

/// Hashes every input of `case` (releases through their shared reading)
/// into `report.inputs`; an unreadable input is a high finding.
pub(super) fn inputs_step(
    case: &AuditCase,
    releases: &Releases,
    report: &mut AuditReport,
    findings: &mut Vec<Finding>,
) -> Outcome {
    let mut hashed = 0usize;
    let trust = trust_material(case);
    let mut inputs = case_inputs(case, releases);
    inputs.extend(trust.iter().map(|p| (InputRole::TrustMaterial, p, None)));
    for &(role, path, shared) in &inputs {
        match hash_input(role, path, shared) {
            Ok((input, skipped)) => {
                hashed += 1;
                if !skipped.is_empty() {
                    findings.push(
                        Finding::new(
                            Severity::Medium,
                            Check::Inputs,
                            format!(
                                "{} non-regular entries in {} were not hashed",
                                skipped.len(),
                                path.written
                            ),
                        )
                        .evidence("symbolic links and special files are not followed")
                        .paths(skipped),
                    );
                }
                report.inputs.push(input);
            }
            Err(e) => findings.push(
                Finding::new(
                    Severity::High,
                    Check::Inputs,
                    format!("Cannot read {} {}", role_word(role), path.written),
                )
                .evidence(super::step::error_chain(&e)),
            ),
        }
    }
    let summary = format!("{hashed} of {} inputs hashed", inputs.len());
    if hashed == inputs.len() {
        Outcome::Ran(summary)
    } else {
        Outcome::CouldNotRun(summary)
    }
}

/// The files the case's trust policy points to (roots, intermediates, TSA
/// roots, pinned keys, Sigstore trusted roots), as inputs named relative to
/// the case file, in policy order without duplicates. An unloadable policy
/// gives none here: the verify step reports why it cannot be used.
fn trust_material(case: &AuditCase) -> Vec<CasePath> {
    let Some(policy_path) = &case.policy else {
        return Vec::new();
    };
    let Ok(policy) = crate::policy::TrustPolicy::load(&policy_path.resolved) else {
        return Vec::new();
    };
    let files = policy
        .roots
        .iter()
        .chain(&policy.intermediates)
        .chain(&policy.tsa_roots)
        .map(|c| &c.path)
        .chain(policy.keys.iter().map(|k| &k.path))
        .chain(policy.sigstore.iter().map(|s| &s.trusted_root));
    let base = case.file.parent().unwrap_or(Path::new(""));
    let mut out: Vec<CasePath> = Vec::new();
    for resolved in files {
        if out.iter().any(|c| &c.resolved == resolved) {
            continue;
        }
        out.push(CasePath {
            written: relative_name(base, resolved),
            resolved: resolved.clone(),
        });
    }
    out
}

/// `path` named relative to `base`, `/`-separated, with `.` and `..`
/// resolved lexically (a policy in a subdirectory may say `../pki/root.pem`).
/// A path outside `base` keeps its full form: it is hashed and signed, but
/// `report verify --artifacts` cannot relocate it (see README).
fn relative_name(base: &Path, path: &Path) -> String {
    use std::path::Component;
    let full = || path.to_string_lossy().replace('\\', "/");
    let Ok(rel) = path.strip_prefix(base) else {
        return full();
    };
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return full();
                }
            }
            Component::RootDir | Component::Prefix(_) => return full(),
        }
    }
    parts.join("/")
}

/// An input: its role, where it is, and its shared reading if it is one
/// of the case's releases.
type CaseInput<'a> = (InputRole, &'a CasePath, Option<&'a SharedRelease>);

/// The inputs of a case, in report order.
fn case_inputs<'a>(case: &'a AuditCase, releases: &'a Releases) -> Vec<CaseInput<'a>> {
    let mut inputs = vec![(
        InputRole::Release,
        &case.release.path,
        Some(&releases.release),
    )];
    if let Some(p) = &case.previous {
        inputs.push((InputRole::Previous, &p.path, releases.previous.as_ref()));
    }
    if let Some(p) = &case.policy {
        inputs.push((InputRole::Policy, p, None));
    }
    if let Some(r) = &case.rebuild {
        inputs.push((InputRole::Rebuild, r, releases.rebuild.as_ref()));
    }
    if let Some(t) = &case.tuf {
        inputs.push((InputRole::TufRoot, &t.root, None));
        inputs.push((InputRole::TufRepository, &t.repo, None));
    }
    inputs
}

/// Hashes one input: a file, or every regular file of a directory (from
/// `shared`'s reading when there is one). Returns the input and the
/// entries skipped (links, devices), relative paths.
fn hash_input(
    role: InputRole,
    path: &CasePath,
    shared: Option<&SharedRelease>,
) -> Result<(Input, Vec<String>), InputError> {
    let meta = std::fs::metadata(&path.resolved).map_err(|source| InputError::Stat {
        path: path.resolved.clone(),
        source,
    })?;
    if meta.is_file() {
        return Ok((
            Input {
                role,
                path: path.written.clone(),
                kind: InputKind::File,
                sha256: hash_file(&path.resolved)?,
                files: Vec::new(),
            },
            Vec::new(),
        ));
    }
    let listing = match shared.and_then(SharedRelease::for_inputs) {
        Some(release) => list_directory(release, &path.resolved)?,
        None => hash_directory(&path.resolved)?,
    };
    Ok((
        Input {
            role,
            path: path.written.clone(),
            kind: InputKind::Directory,
            sha256: listing.sha256,
            files: listing.files,
        },
        listing.skipped,
    ))
}

/// Reads a directory through the release reader (`core::release`: no link
/// followed, each file re-checked as it is opened) and lists it
/// ([`list_directory`]). The audit and `report verify --artifacts` both
/// read directories this way, so the digest is recomputed exactly as it
/// was made.
pub fn hash_directory(dir: &Path) -> Result<DirectoryListing, InputError> {
    let release =
        Release::open(dir, &ReadOptions::default()).map_err(|source| InputError::Release {
            path: dir.to_path_buf(),
            source,
        })?;
    list_directory(&release, dir)
}

/// The listing of a directory `release` (read from `dir`): the digest of
/// its `sha256sum` listing over its own regular files (an archive inside
/// it is one file), sorted by path bytes, and its other entries.
pub fn list_directory(release: &Release, dir: &Path) -> Result<DirectoryListing, InputError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in &release.entries {
        if entry.path.depth() > 0 {
            continue;
        }
        let name = entry.path.inner();
        let rel = name.to_str().ok_or_else(|| InputError::NotUtf8 {
            dir: dir.to_path_buf(),
            name: String::from_utf8_lossy(name.as_bytes()).into_owned(),
        })?;
        match entry.kind {
            EntryKind::Dir => {}
            EntryKind::File => {
                let digests = entry
                    .digests
                    .as_ref()
                    .ok_or_else(|| InputError::NotHashed {
                        dir: dir.to_path_buf(),
                        name: rel.to_string(),
                    })?;
                if files.len() >= MAX_INPUT_FILES {
                    return Err(InputError::TooManyFiles);
                }
                files.push(Artifact {
                    path: rel.to_string(),
                    sha256: digests.sha256.to_hex(),
                    size: entry.size,
                });
            }
            EntryKind::Symlink | EntryKind::Hardlink | EntryKind::Other => {
                skipped.push(rel.to_string())
            }
        }
    }
    // Sorted by path bytes, as `LC_ALL=C sort` would, so the listing digest
    // is what `sha256sum` over the same files gives.
    files.sort_by(|a: &Artifact, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let mut listing = Sha256::new();
    for f in &files {
        listing.update(format!("{}  {}\n", f.sha256, f.path).as_bytes());
    }
    Ok(DirectoryListing {
        sha256: hex::encode(listing.finalize()),
        files,
        skipped,
    })
}

fn hash_file(path: &Path) -> Result<String, InputError> {
    let read = |source| InputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(read)?;
    let (digests, _) =
        crate::digest::hash_reader(&mut f, crate::digest::DigestSet::default()).map_err(read)?;
    Ok(digests.sha256.to_hex())
}

/// What `report verify --artifacts DIR` found wrong with the audited files
/// under DIR (the case file's directory), beyond the subjects' digests
/// ([`crate::report::statement::check_subjects`]): for every directory
/// input, the directory is re-read as the audit read it
/// ([`hash_directory`]); a file that is there but not in the report, a
/// link or special file the report did not record, or a listing digest
/// that differs is a mismatch. A release directory that gained a file
/// after the audit therefore fails.
pub fn check_directories(report: &AuditReport, dir: &Path) -> Vec<SubjectMismatch> {
    let mut out = Vec::new();
    for input in report
        .inputs
        .iter()
        .filter(|i| i.kind == InputKind::Directory)
    {
        let base = input.path.trim_end_matches('/');
        let mismatch = |name: String, reason: String| SubjectMismatch { name, reason };
        if !crate::report::statement::stays_inside(base) {
            out.push(mismatch(
                base.to_string(),
                "name leaves the artifacts directory".into(),
            ));
            continue;
        }
        let listing = match hash_directory(&dir.join(base)) {
            Ok(r) => r,
            Err(e) => {
                out.push(mismatch(base.to_string(), format!("cannot re-read: {e}")));
                continue;
            }
        };
        let known: std::collections::BTreeSet<&str> =
            input.files.iter().map(|f| f.path.as_str()).collect();
        for f in listing
            .files
            .iter()
            .filter(|f| !known.contains(f.path.as_str()))
        {
            out.push(mismatch(
                format!("{base}/{}", f.path),
                "present in the audited directory but not in the report (added after the audit?)"
                    .into(),
            ));
        }
        // Links and special files are never hashed; the audit lists the
        // ones it saw in an `inputs` finding, and only those are expected.
        let recorded = |rel: &str| {
            report.findings.iter().any(|f| {
                f.check == Check::Inputs
                    && f.title
                        .ends_with(&format!(" in {} were not hashed", input.path))
                    && f.paths.iter().any(|p| p == rel)
            })
        };
        for rel in listing.skipped.iter().filter(|r| !recorded(r)) {
            out.push(mismatch(
                format!("{base}/{rel}"),
                "a link or special file the report does not record".into(),
            ));
        }
        if listing.sha256 != input.sha256 {
            out.push(mismatch(
                base.to_string(),
                format!(
                    "directory digest on disk {} but the report vouches for {}",
                    listing.sha256, input.sha256
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_material_is_named_relative_to_the_case_file() {
        let base = Path::new("/cases/demo");
        for (path, name) in [
            ("/cases/demo/pki/root.pem", "pki/root.pem"),
            ("/cases/demo/policies/../pki/root.pem", "pki/root.pem"),
            ("/cases/demo/./keys/k.pem", "keys/k.pem"),
            // Outside the case directory: kept whole (not relocatable).
            (
                "/cases/demo/../other/root.pem",
                "/cases/demo/../other/root.pem",
            ),
            ("/etc/ssl/root.pem", "/etc/ssl/root.pem"),
        ] {
            assert_eq!(relative_name(base, Path::new(path)), name, "{path}");
        }
    }

    #[test]
    fn directory_digest_is_the_sha256sum_listing() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b")).unwrap();
        std::fs::write(d.path().join("b/x"), b"x").unwrap();
        std::fs::write(d.path().join("a"), b"a").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("link")).unwrap();
        let p = CasePath {
            written: "rel".into(),
            resolved: d.path().to_path_buf(),
        };
        let (input, skipped) = hash_input(InputRole::Release, &p, None).unwrap();
        let paths: Vec<&str> = input.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a", "b/x"]);
        let listing = format!(
            "{}  a\n{}  b/x\n",
            hex::encode(Sha256::digest(b"a")),
            hex::encode(Sha256::digest(b"x"))
        );
        assert_eq!(
            input.sha256,
            hex::encode(Sha256::digest(listing.as_bytes()))
        );
        #[cfg(unix)]
        assert_eq!(skipped, ["link"]);
    }
}

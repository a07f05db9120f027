//! Reproducibility: does an independent rebuild reproduce the vendor's
//! artifact?
//!
//! [`compare`] reads both artifacts (files, archives, compressed streams,
//! directory trees; nested) into canonical trees and returns one of three
//! verdicts:
//! - **identical**: the same bytes;
//! - **equivalent**: the same after the listed [`Normalization`]s, each
//!   named with the number of places it applied;
//! - **different**: with every difference that remains.
//!
//! A normalization ignores one precisely defined field that records when,
//! where or by whom something was built; all other bytes are compared, so
//! no normalization can hide a change of content.
//!
//! ```no_run
//! use glassbox_core::repro::{compare, ReproOptions, Verdict};
//! let report = compare("vendor/app-1.1.0.tar.gz".as_ref(), "rebuild/app-1.1.0.tar.gz".as_ref(), &ReproOptions::default())?;
//! if report.verdict == Verdict::Different { /* report.differences says where */ }
//! # Ok::<(), glassbox_core::repro::ReproError>(())
//! ```
//!
//! A caller that has already opened both sides as [`Release`]s (the audit
//! pipeline) calls [`compare_releases`] instead, so the listings are not
//! read again.
//!
//! Formats are recognised through the release reader's one registry, and
//! every file is opened through [`crate::fsio`] (no link followed, a
//! swapped file caught).

mod attestation;
mod compare;
mod content;
mod normalization;

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::digest::Sha256Digest;
use crate::release::{EntryKind, EntryPath, Limits, Release, canonical};

pub use attestation::{REBUILD_PREDICATE_TYPE, statement};
pub use normalization::{Normalization, NormalizationSet, UnknownNormalization};

/// Options for [`compare`].
#[derive(Clone, Debug, Default)]
pub struct ReproOptions {
    /// Normalizations that may be applied ([`NormalizationSet::strict`]
    /// for none).
    pub normalizations: NormalizationSet,
    /// Limits on reading the untrusted artifacts.
    pub limits: Limits,
}

/// The three verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The same bytes.
    Identical,
    /// The same after the listed normalizations.
    Equivalent,
    /// Differences remain after normalization.
    Different,
}

/// One normalization that was needed, with how many places it applied to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedNormalization {
    /// Which one.
    pub name: Normalization,
    /// What it ignores.
    pub description: &'static str,
    /// In how many places (members, fields, streams) it made a difference.
    pub count: u64,
    /// The first places it applied to (at most 20).
    pub places: Vec<String>,
}

/// File names the vendor uses for detached signatures, signed checksum
/// lists and attestations: `X.sig`, `X.asc`, `X.p7s`, `X.sigstore.json`,
/// `X.sigstore`, `X.intoto.jsonl`, `X.intoto.json`, and `SHA256SUMS`-style
/// lists (`SHA256SUMS`, `SHA512SUMS`, `CHECKSUMS`, with or without an
/// extension).
pub fn signature_file_name(name: &[u8]) -> bool {
    const SUFFIXES: [&[u8]; 7] = [
        b".sig",
        b".asc",
        b".p7s",
        b".sigstore.json",
        b".sigstore",
        b".intoto.jsonl",
        b".intoto.json",
    ];
    const LISTS: [&[u8]; 4] = [
        b"SHA256SUMS",
        b"SHA512SUMS",
        b"CHECKSUMS",
        b"SHA256SUMS.txt",
    ];
    SUFFIXES
        .iter()
        .any(|s| name.len() > s.len() && name.ends_with(s))
        || LISTS
            .iter()
            .any(|l| name == *l || (name.starts_with(l) && name.get(l.len()) == Some(&b'.')))
}

/// The file a detached signature named `X.sig`, `X.asc`, `X.p7s`,
/// `X.sigstore` or `X.sigstore.json` signs: `X` (same directory). `None`
/// for names that are not detached signatures of one file.
pub(crate) fn detached_target(path: &[u8]) -> Option<&[u8]> {
    const SUFFIXES: [&[u8]; 5] = [b".sigstore.json", b".sigstore", b".sig", b".asc", b".p7s"];
    let name_len = path.len() - path.iter().rposition(|b| *b == b'/').map_or(0, |i| i + 1);
    SUFFIXES
        .iter()
        .find(|s| name_len > s.len() && path.ends_with(s))
        .map(|s| &path[..path.len() - s.len()])
}

/// Where the vendor artifact and the rebuild still differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The member, addressed `container!member` for nested ones.
    pub path: String,
    /// What differs.
    #[serde(flatten)]
    pub kind: DifferenceKind,
}

/// What differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "difference", rename_all = "kebab-case")]
pub enum DifferenceKind {
    /// Present only in the vendor artifact.
    OnlyInVendor,
    /// Present only in the rebuild.
    OnlyInRebuild,
    /// Different content.
    Content {
        /// SHA-256 of the vendor's bytes.
        vendor: Sha256Digest,
        /// SHA-256 of the rebuild's bytes.
        rebuild: Sha256Digest,
        /// Size of the vendor's bytes.
        vendor_size: u64,
        /// Size of the rebuild's bytes.
        rebuild_size: u64,
        /// Why the content was compared as plain bytes, if a container was
        /// not expanded.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Different formats (say, gzip against xz).
    Format {
        /// The vendor's format.
        vendor: String,
        /// The rebuild's format.
        rebuild: String,
    },
    /// Different entry kinds (file against symlink, ...).
    Kind {
        /// The vendor's kind.
        vendor: EntryKind,
        /// The rebuild's kind.
        rebuild: EntryKind,
    },
    /// Different symlink or hardlink targets.
    LinkTarget {
        /// The vendor's target.
        vendor: Option<String>,
        /// The rebuild's target.
        rebuild: Option<String>,
    },
    /// Different permission bits (and file-mode normalization not allowed).
    Mode {
        /// The vendor's mode.
        vendor: Option<u32>,
        /// The rebuild's mode.
        rebuild: Option<u32>,
    },
    /// Header bytes that no normalization covers differ.
    Header {
        /// Which header.
        what: String,
    },
    /// A field differs that a normalization would cover, but that
    /// normalization is disabled.
    NotNormalized {
        /// The disabled normalization.
        normalization: Normalization,
    },
}

impl DifferenceKind {
    /// The stable kind name (the JSON `difference` tag): `content`,
    /// `only-in-vendor`, `not-normalized`, ...
    pub fn name(&self) -> &'static str {
        self.parts().0
    }

    /// The details as `field=value` pairs in field-name order, as the
    /// audit report's evidence lines have always shown them (JSON values:
    /// strings bare, an absent value `null`).
    pub fn details(&self) -> String {
        self.parts()
            .1
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The kind name and the fields, in field-name order (the order the
    /// JSON object was read back in).
    fn parts(&self) -> (&'static str, Vec<(&'static str, String)>) {
        fn opt<T: ToString>(v: &Option<T>) -> String {
            v.as_ref().map_or_else(|| "null".to_string(), T::to_string)
        }
        let two = |r: String, v: String| vec![("rebuild", r), ("vendor", v)];
        match self {
            Self::OnlyInVendor => ("only-in-vendor", Vec::new()),
            Self::OnlyInRebuild => ("only-in-rebuild", Vec::new()),
            Self::Content {
                note,
                rebuild: r,
                rebuild_size: r_size,
                vendor: v,
                vendor_size: v_size,
            } => {
                let mut p: Vec<_> = note.iter().map(|n| ("note", n.clone())).collect();
                p.extend([
                    ("rebuild", r.to_string()),
                    ("rebuild_size", r_size.to_string()),
                    ("vendor", v.to_string()),
                    ("vendor_size", v_size.to_string()),
                ]);
                ("content", p)
            }
            Self::Format { vendor, rebuild } => ("format", two(rebuild.clone(), vendor.clone())),
            Self::Kind { vendor, rebuild } => (
                "kind",
                two(rebuild.name().to_string(), vendor.name().to_string()),
            ),
            Self::LinkTarget { vendor, rebuild } => ("link-target", two(opt(rebuild), opt(vendor))),
            Self::Mode { vendor, rebuild } => ("mode", two(opt(rebuild), opt(vendor))),
            Self::Header { what } => ("header", vec![("what", what.clone())]),
            Self::NotNormalized { normalization } => (
                "not-normalized",
                vec![("normalization", normalization.name().to_string())],
            ),
        }
    }
}

/// One of the two artifacts compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArtifactInfo {
    /// As given.
    pub path: String,
    /// SHA-256 of the file (none for a directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
    /// Format recognised at the top level.
    pub format: String,
}

/// The result of [`compare`].
#[derive(Clone, Debug, Serialize)]
pub struct ReproReport {
    /// The verdict.
    pub verdict: Verdict,
    /// The vendor's artifact.
    pub vendor: ArtifactInfo,
    /// The independent rebuild.
    pub rebuild: ArtifactInfo,
    /// Normalizations that were needed (empty unless equivalent, or
    /// different with some fields normalized).
    pub normalizations: Vec<AppliedNormalization>,
    /// Normalizations the caller allowed.
    pub allowed: Vec<Normalization>,
    /// What still differs (empty unless different).
    pub differences: Vec<Difference>,
    /// For a different verdict: `glassbox diff` of the two artifacts,
    /// restricted to the entries that still differ after normalization
    /// (content diffs, byte ranges, section tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<crate::diff::ReleaseDiff>,
    /// Why the evidence could not be gathered, if it could not (the verdict
    /// stands either way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_error: Option<String>,
}

/// Why a comparison could not be made: the canonical reader's error
/// (a file unreadable, an input not comparable, a container corrupt, a
/// limit reached).
pub use crate::release::CanonicalError as ReproError;

/// Compares the vendor's artifact with an independent rebuild.
///
/// Both sides are first opened by the release reader ([`Release::open`]
/// with [`read_options`]), whose listings then serve as the evidence's
/// reading. An artifact it refuses (real extractors could read it
/// differently, an unsafe name, a limit) never gets a passing verdict: the
/// refusal is the error ([`ReproError::Release`]). A different verdict
/// still stands, with the refusal as its `evidence_error`.
pub fn compare(
    vendor: &Path,
    rebuild: &Path,
    opts: &ReproOptions,
) -> Result<ReproReport, ReproError> {
    let ro = read_options(opts);
    let open = |path: &Path| {
        Release::open(path, &ro).map_err(|source| ReproError::Release {
            path: path.display().to_string(),
            source,
        })
    };
    match rayon::join(|| open(vendor), || open(rebuild)) {
        (Ok(v), Ok(r)) => compare_inner(vendor, rebuild, opts, (&v, &r)),
        (v, r) => {
            let formats = [v.as_ref().ok(), r.as_ref().ok()].map(|o| o.map(|rel| rel.format));
            let mut refused: Vec<ReproError> = [v.err(), r.err()].into_iter().flatten().collect();
            // A side that cannot be read (truncated, unreadable, over a
            // limit) is the answer: what could be read of a cut download
            // compares as "format differs", which hides the cause. Only a
            // refusal (extractors would disagree) lets a different verdict
            // stand.
            let unreadable = |e: &ReproError| matches!(e, ReproError::Release { source, .. } if !source.is_refusal());
            if let Some(i) = refused.iter().position(unreadable) {
                return Err(refused.swap_remove(i));
            }
            if same_file(vendor, rebuild, None, opts)?.is_some() {
                return Err(refused.swap_remove(0));
            }
            refused_report(vendor, rebuild, formats, refused, opts)
        }
    }
}

/// Other bytes on the two sides, and a side the release reader refuses
/// (real extractors would read it two ways): DIFFERENT, each refusal named
/// as a difference of the artifact. There is no canonical tree of a
/// refused side to compare further: the only reading refused it.
fn refused_report(
    vendor: &Path,
    rebuild: &Path,
    opened: [Option<crate::release::Format>; 2],
    refused: Vec<ReproError>,
    opts: &ReproOptions,
) -> Result<ReproReport, ReproError> {
    let mut differences = Vec::new();
    let mut info = Vec::new();
    for ((side, path), release) in [("vendor", vendor), ("rebuild", rebuild)]
        .into_iter()
        .zip(opened)
    {
        let format = release.map_or("refused", format_label).to_string();
        info.push(ArtifactInfo {
            path: path.display().to_string(),
            sha256: file_sha256(path)?,
            format,
        });
        if release.is_none() {
            let why = refused
                .iter()
                .find(|e| matches!(e, ReproError::Release { path: p, .. } if *p == path.display().to_string()))
                .map_or_else(|| "refused".to_string(), ToString::to_string);
            differences.push(Difference {
                path: String::new(),
                kind: DifferenceKind::Header {
                    what: format!("the {side}'s artifact is refused by the release reader: {why}"),
                },
            });
        }
    }
    let rebuild_info = info.pop().expect("two sides");
    let vendor_info = info.pop().expect("two sides");
    Ok(ReproReport {
        verdict: Verdict::Different,
        vendor: vendor_info,
        rebuild: rebuild_info,
        normalizations: Vec::new(),
        allowed: opts.normalizations.iter().collect(),
        differences,
        evidence: None,
        evidence_error: Some(
            "no evidence: the release reader refuses an artifact, so it has no reading to diff"
                .into(),
        ),
    })
}

/// How a release's top-level format is named in a report (as the canonical
/// tree names it: compression after the payload).
fn format_label(format: crate::release::Format) -> &'static str {
    use crate::release::Format as F;
    match format {
        F::TarGz => "tar+gzip",
        F::TarXz => "tar+xz",
        F::TarZst => "tar+zstd",
        F::TarBz2 => "tar+bzip2",
        F::Gz => "file+gzip",
        F::Xz => "file+xz",
        F::Zst => "file+zstd",
        F::Bz2 => "file+bzip2",
        F::Deb => "ar",
        F::Rpm => "file",
        other => other.name(),
    }
}

/// [`compare`] for releases the caller has already opened with
/// [`Release::open`] (the audit pipeline opens each release once and
/// shares it between its checks).
///
/// The releases' listings are reused rather than read again: the evidence
/// of a different verdict is the diff of these two [`Release`]s
/// ([`crate::diff::diff_releases`]). Open them with [`read_options`] and
/// the report is exactly [`compare`]'s; opened otherwise, the evidence is
/// as deep as they were read. The canonical trees are built from the
/// listings (the reader recorded every member's raw header fields and each
/// container's compression stream): a plain file the other side lists with
/// the same SHA-256 at the same place is not read again, the others are
/// streamed once more for the content normalizers.
pub fn compare_releases(
    vendor: &Release,
    rebuild: &Release,
    opts: &ReproOptions,
) -> Result<ReproReport, ReproError> {
    compare_inner(&vendor.source, &rebuild.source, opts, (vendor, rebuild))
}

/// The options to open releases with for [`compare_releases`] so that its
/// report is the same as [`compare`]'s (the evidence diff's reading).
pub fn read_options(opts: &ReproOptions) -> crate::release::ReadOptions {
    crate::diff::read_options(&evidence_options(opts))
}

fn evidence_options(opts: &ReproOptions) -> crate::diff::DiffOptions {
    crate::diff::DiffOptions {
        limits: opts.limits,
        max_depth: opts.limits.max_depth,
        ..Default::default()
    }
}

fn compare_inner(
    vendor: &Path,
    rebuild: &Path,
    opts: &ReproOptions,
    (v, r): (&Release, &Release),
) -> Result<ReproReport, ReproError> {
    if let Some(report) = same_file(vendor, rebuild, Some((v, r)), opts)? {
        return Ok(report);
    }
    // A file whose bytes the other side has at the same place compares
    // equal on its listed digest: only the others are read again.
    let (v_digests, r_digests) = (file_digests(v), file_digests(r));
    let v_rereads = |e: &crate::release::Entry| differs(e, &r_digests);
    let r_rereads = |e: &crate::release::Entry| differs(e, &v_digests);
    let (vendor_tree, rebuild_tree) = rayon::join(
        || canonical::read_release(v, opts.limits, content::read_blob, &v_rereads),
        || canonical::read_release(r, opts.limits, content::read_blob, &r_rereads),
    );
    let (vendor_tree, rebuild_tree) = (vendor_tree?, rebuild_tree?);
    let mut comparer = compare::Comparer {
        allowed: &opts.normalizations,
        out: Default::default(),
    };
    comparer.node(&vendor_tree, &rebuild_tree, "");
    let mut found = comparer.out;
    found.differences.sort_by(|a, b| a.path.cmp(&b.path));
    let identical = match (vendor_tree.raw_sha256(), rebuild_tree.raw_sha256()) {
        (Some(a), Some(b)) => a == b,
        // Directories: identical when nothing needed normalizing.
        _ => found.applied.is_empty() && found.differences.is_empty(),
    };
    let verdict = if identical {
        Verdict::Identical
    } else if found.differences.is_empty() {
        Verdict::Equivalent
    } else {
        Verdict::Different
    };
    let (evidence, evidence_error) = if verdict == Verdict::Different {
        match evidence((v, r), &found.differences, opts) {
            Ok(d) => (Some(d), None),
            Err(e) => (None, Some(e.to_string())),
        }
    } else {
        (None, None)
    };
    let info = |path: &Path, node: &canonical::Node| ArtifactInfo {
        path: path.display().to_string(),
        sha256: node.raw_sha256(),
        format: describe(node),
    };
    Ok(ReproReport {
        verdict,
        vendor: info(vendor, &vendor_tree),
        rebuild: info(rebuild, &rebuild_tree),
        normalizations: found
            .applied
            .into_iter()
            .map(|(name, count)| AppliedNormalization {
                name,
                description: name.description(),
                count,
                places: found.places.remove(&name).unwrap_or_default(),
            })
            .collect(),
        allowed: opts.normalizations.iter().collect(),
        differences: found.differences,
        evidence,
        evidence_error,
    })
}

/// Whether `entry`'s listed bytes are not those `other` lists at its place.
fn differs(entry: &crate::release::Entry, other: &HashMap<&EntryPath, Sha256Digest>) -> bool {
    entry.digests.map(|d| d.sha256) != other.get(&entry.path).copied()
}

/// The listed SHA-256 of every file of a release, nested ones included.
fn file_digests(release: &Release) -> HashMap<&EntryPath, Sha256Digest> {
    release
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .filter_map(|e| Some((&e.path, e.digests?.sha256)))
        .collect()
}

/// The diff module's view of what still differs: `glassbox diff` of the
/// two artifacts (mtimes, modes and owners off, as normalized), keeping only
/// the changes at or below a path the comparison found different.
fn evidence(
    (v, r): (&Release, &Release),
    differences: &[Difference],
    opts: &ReproOptions,
) -> Result<crate::diff::ReleaseDiff, crate::diff::DiffError> {
    let diff_opts = evidence_options(opts);
    let mut d = crate::diff::diff_releases(v, r, &diff_opts, &|_| {})?;
    let under = |path: &str| {
        differences.iter().any(|diff| {
            let p = diff.path.as_str();
            !p.is_empty()
                && (path == p
                    || path
                        .strip_prefix(p)
                        .is_some_and(|rest| rest.starts_with(['!', '/'])))
        })
    };
    d.changes.retain(|c| {
        under(&c.path.to_string()) || c.old_path.as_ref().is_some_and(|o| under(&o.to_string()))
    });
    d.summary = crate::diff::DiffSummary::of(&d.changes);
    d.identical = d.changes.is_empty();
    Ok(d)
}

/// The SHA-256 of the file at `p` (none for a directory).
fn file_sha256(p: &Path) -> Result<Option<Sha256Digest>, ReproError> {
    let meta = std::fs::symlink_metadata(p).map_err(|e| ReproError::io(p, e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    use std::os::unix::fs::MetadataExt;
    let mut f =
        crate::fsio::open_same(p, meta.dev(), meta.ino()).map_err(|e| canonical::open_err(p, e))?;
    let (d, _) =
        crate::digest::hash_reader(&mut f, Default::default()).map_err(|e| ReproError::io(p, e))?;
    Ok(Some(d.sha256))
}

/// Two files with the same bytes are identical without being parsed. The
/// digests of opened releases are those their reader took; files are
/// hashed only when a side could not be opened as a release.
fn same_file(
    vendor: &Path,
    rebuild: &Path,
    opened: Option<(&Release, &Release)>,
    opts: &ReproOptions,
) -> Result<Option<ReproReport>, ReproError> {
    let (a, b) = match opened {
        Some((v, r)) => (v.raw_sha256, r.raw_sha256),
        None => {
            let (a, b) = rayon::join(|| file_sha256(vendor), || file_sha256(rebuild));
            (a?, b?)
        }
    };
    let (Some(a), Some(b)) = (a, b) else {
        return Ok(None);
    };
    if a != b {
        return Ok(None);
    }
    let info = |path: &Path| ArtifactInfo {
        path: path.display().to_string(),
        sha256: Some(a),
        format: "file".into(),
    };
    Ok(Some(ReproReport {
        verdict: Verdict::Identical,
        vendor: info(vendor),
        rebuild: info(rebuild),
        normalizations: Vec::new(),
        allowed: opts.normalizations.iter().collect(),
        differences: Vec::new(),
        evidence: None,
        evidence_error: None,
    }))
}

/// `tar+gzip`, `zip`, `directory`, `file`, ...
fn describe(node: &canonical::Node) -> String {
    match node {
        canonical::Node::Compressed(c) => format!("{}+{}", describe(&c.payload), c.format.name()),
        other => other.format_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit report's evidence shows a difference's kind and details
    /// as `core::repro` serializes them; they were read back from a JSON
    /// round trip. The typed accessors must give the same text for every
    /// kind (the JSON is the oracle here).
    #[test]
    fn difference_names_and_details_are_their_json() {
        let d = Sha256Digest([7; 32]);
        let kinds = [
            DifferenceKind::OnlyInVendor,
            DifferenceKind::OnlyInRebuild,
            DifferenceKind::Content {
                vendor: d,
                rebuild: Sha256Digest([9; 32]),
                vendor_size: 12,
                rebuild_size: 0,
                note: Some("not expanded: x=1, y".into()),
            },
            DifferenceKind::Content {
                vendor: d,
                rebuild: d,
                vendor_size: 1,
                rebuild_size: 2,
                note: None,
            },
            DifferenceKind::Format {
                vendor: "tar+gzip".into(),
                rebuild: "zip".into(),
            },
            DifferenceKind::Kind {
                vendor: EntryKind::Symlink,
                rebuild: EntryKind::Hardlink,
            },
            DifferenceKind::LinkTarget {
                vendor: Some("a \"b\"".into()),
                rebuild: None,
            },
            DifferenceKind::Mode {
                vendor: None,
                rebuild: Some(0o755),
            },
            DifferenceKind::Header {
                what: "gzip header".into(),
            },
            DifferenceKind::NotNormalized {
                normalization: Normalization::TarPaxTimes,
            },
        ];
        for kind in kinds {
            let value = serde_json::to_value(&kind).unwrap();
            let obj = value.as_object().unwrap();
            let details: Vec<String> = obj
                .iter()
                .filter(|(k, _)| *k != "difference")
                .map(|(k, v)| {
                    let shown = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    format!("{k}={shown}")
                })
                .collect();
            assert_eq!(kind.name(), obj["difference"].as_str().unwrap());
            assert_eq!(kind.details(), details.join(", "), "{kind:?}");
        }
    }
}

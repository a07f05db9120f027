//! Verifying a whole release: discover the signatures inside it by name
//! and content, verify each against the policy, check signed checksum
//! manifests, and account for every file (coverage).
//!
//! Discovery rules, for a signature file next to its target `X`:
//!
//! | name | format |
//! |---|---|
//! | `X.p7s` | detached CMS (DER or PEM) |
//! | `X.sig` | detached CMS when it parses as CMS, else a raw signature |
//! | `X.sigstore.json`, `X.sigstore` | Sigstore bundle |
//! | `*.intoto.jsonl`, `*.intoto.json` | DSSE envelopes; targets are the subjects, matched by digest |
//! | `X.asc`, `X.gpg`; `X.sig` holding OpenPGP packets | detached OpenPGP signature ([`super::openpgp`]) |
//! | `InRelease`; an `.asc`/`.gpg` holding a cleartext-signed document | OpenPGP cleartext document, covers itself |
//! | `SHA256SUMS`, `SHA256SUMS.txt`, `sha256sum.txt`, `CHECKSUMS.sha256` | checksum manifest, used once a signature over it verifies |
//!
//! Verdict rules (fail closed): any signature that fails is a failure, even
//! when another signature covers the same file; a signature whose target
//! is missing fails; a manifest line whose file is missing or differs
//! fails; a file the policy requires signed that nothing verified covers
//! fails.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;
use time::OffsetDateTime;

use super::cms::{self, CmsSignature, CmsVerified, ContentDigests, DigestAlgorithm};
use super::manifest;
use crate::digest::{Sha256Digest, Sha512Digest};
use crate::keys::{KeyAlgorithm, PublicKey, SignatureScheme};
use crate::policy::{SanMatch, TrustPolicy};
use crate::release::{ReadOptions, Release, ReleaseError};

/// Largest signature or manifest file read.
pub const MAX_SIGNATURE_FILE: u64 = cms::MAX_SIGNATURE_BYTES as u64;
/// Largest content read whole when a signature needs the bytes, not only
/// the digests the release listing computed.
pub const MAX_CONTENT_BYTES: u64 = 512 * 1024 * 1024;

/// One regular file of a release, as listed by the release reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseFile {
    /// Release-relative path, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: Sha256Digest,
    /// SHA-512 of the content, when the listing computed it.
    pub sha512: Option<Sha512Digest>,
}

/// What a release entry is, for coverage. Every entry but a directory is
/// accounted for: a signature can vouch only for a regular file's content,
/// so every other kind fails unless the policy allows it by name and type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryType {
    /// A regular file with digests.
    File,
    /// A symbolic link.
    Symlink,
    /// A hard link.
    Hardlink,
    /// A device, FIFO, socket or other special entry.
    Special,
    /// A file whose content could not be read (an encrypted zip member):
    /// no digest, so no signature can cover it.
    Unreadable,
}

impl EntryType {
    /// The name used in output (`file`, `symlink`, ...).
    pub fn name(self) -> &'static str {
        match self {
            EntryType::File => "file",
            EntryType::Symlink => "symlink",
            EntryType::Hardlink => "hardlink",
            EntryType::Special => "special",
            EntryType::Unreadable => "unreadable",
        }
    }
}

/// An entry of a release that is not a regular file with digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherEntry {
    /// Release-relative path, `/`-separated.
    pub path: String,
    /// What it is (never [`EntryType::File`]).
    pub kind: EntryType,
    /// A link's recorded target.
    pub target: Option<String>,
}

/// Something the release reader found suspicious (a `..` name, a duplicate,
/// an escaping link, an unreadable member...). Each one fails verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderFinding {
    /// The entry concerned (nested entries as `outer!inner`).
    pub path: String,
    /// The finding's stable kind (`parent-traversal`, `duplicate-name`, ...).
    pub kind: String,
    /// What the reader said.
    pub reason: String,
}

/// Everything the verifier accounts for in a release.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// Every regular file with digests.
    pub files: Vec<ReleaseFile>,
    /// Every other non-directory entry.
    pub others: Vec<OtherEntry>,
    /// Every reader finding, at any depth.
    pub findings: Vec<ReaderFinding>,
}

/// What the release verifier needs from a release: its listing and the
/// content of some files. Implemented for [`crate::release::Release`].
pub trait ReleaseAccess {
    /// Every top-level non-directory entry and every reader finding.
    fn listing(&self) -> Listing;
    /// The whole content of each of `paths`, each at most `max_bytes`.
    /// An implementation gives this or [`ReleaseAccess::visit_readers`]
    /// (each default is written with the other).
    fn read_files(
        &self,
        paths: &BTreeSet<String>,
        max_bytes: u64,
    ) -> Result<BTreeMap<String, Vec<u8>>, ReleaseError> {
        let mut out = BTreeMap::new();
        self.visit_files(paths, max_bytes, &mut |path, bytes| {
            out.insert(path.to_string(), bytes);
        })?;
        Ok(out)
    }
    /// Calls `visit` with the whole content of each of `paths` (each at
    /// most `max_bytes`, a larger one fails), one file at a time, so a
    /// release's many large files are never all in memory.
    fn visit_files(
        &self,
        paths: &BTreeSet<String>,
        max_bytes: u64,
        visit: &mut dyn FnMut(&str, Vec<u8>),
    ) -> Result<(), ReleaseError> {
        self.visit_readers(paths, &mut |path, size, r| {
            visit(path, read_whole(path, size, r, max_bytes)?);
            Ok(())
        })
    }
    /// Whether the release is one Debian package (deb(5)), its files the
    /// package's ar members (`crate::apt::debsig` verifies its embedded
    /// signatures).
    fn is_deb(&self) -> bool {
        false
    }
    /// Calls `visit` with a reader over the content of each of `paths`
    /// (and its listed size), one file at a time, so a release's many
    /// large files are never all in memory; the visitor reads as much as
    /// it needs and bounds itself (PE images are recognised by their first
    /// bytes, whatever their name). The default reads each file whole, up
    /// to [`MAX_CONTENT_BYTES`].
    fn visit_readers(
        &self,
        paths: &BTreeSet<String>,
        visit: &mut dyn FnMut(&str, u64, &mut dyn std::io::Read) -> std::io::Result<()>,
    ) -> Result<(), ReleaseError> {
        for (p, b) in self.read_files(paths, MAX_CONTENT_BYTES)? {
            visit(&p, b.len() as u64, &mut b.as_slice()).map_err(|e| {
                ReleaseError::from_io(&crate::release::EntryPath::top(p.as_str().into()), e)
            })?;
        }
        Ok(())
    }
}

/// The whole content behind `r` (listed `size`), at most `max_bytes`: a
/// larger file is a [`ReleaseError::TooLarge`] carried in the I/O error.
fn read_whole(
    path: &str,
    size: u64,
    r: &mut dyn std::io::Read,
    max_bytes: u64,
) -> std::io::Result<Vec<u8>> {
    let got = crate::fsio::read_capped(r, max_bytes, size)?;
    if got.over {
        return Err(std::io::Error::other(ReleaseError::TooLarge {
            path: crate::release::EntryPath::top(path.into()),
            size: got.bytes.len() as u64,
            max: max_bytes,
        }));
    }
    Ok(got.bytes)
}

/// Why a release could not be verified at all (as opposed to a verdict of
/// FAILED, which is a [`ReleaseVerification`] with failures).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The release could not be opened (missing, unreadable, over a
    /// limit). A release the reader refuses as unsafe is not this error
    /// but a FAILED verdict (see [`verify_release_at`]).
    #[error(transparent)]
    Open(ReleaseError),
    /// A signature or manifest file inside the release could not be read
    /// back (the release changed under us, or its archive is truncated).
    #[error("{}: {source}", path.display())]
    ReadSignatures {
        /// The release.
        path: std::path::PathBuf,
        /// The reader's error.
        source: ReleaseError,
    },
}

/// Why `glassbox verify --signature` could not check an artifact: every
/// variant is an input error (exit 2), never a verdict.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The artifact cannot be opened.
    #[error("{name}: cannot open the artifact")]
    Open {
        /// The artifact as given.
        name: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The artifact is a directory or special file.
    #[error("{name}: --signature needs a single file, not a directory")]
    NotAFile {
        /// The artifact as given.
        name: String,
    },
    /// Reading the artifact failed part-way.
    #[error("{name}: cannot read")]
    Read {
        /// The artifact as given.
        name: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A signature file cannot be read.
    #[error("{name}: cannot read the signature")]
    ReadSignature {
        /// The signature file as given.
        name: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A signature file is over [`MAX_SIGNATURE_FILE`].
    #[error("{name}: larger than {MAX_SIGNATURE_FILE} bytes")]
    SignatureTooLarge {
        /// The signature file as given.
        name: String,
    },
    /// The artifact must be read whole (raw or Sigstore signature, or a
    /// CMS digest the streaming pass did not compute) but is over
    /// [`MAX_CONTENT_BYTES`].
    #[error(
        "{name}: {size} bytes is larger than the {MAX_CONTENT_BYTES}-byte limit for whole-content verification"
    )]
    ContentTooLarge {
        /// The artifact as given.
        name: String,
        /// Its size.
        size: u64,
    },
}

/// The verdict on one artifact and its detached signatures
/// ([`verify_artifact`]).
#[derive(Clone, Debug, Serialize)]
pub struct ArtifactVerification {
    /// The artifact as given.
    pub artifact: String,
    /// True when every signature verified.
    pub verified: bool,
    /// Each signature's verdict, in the order given.
    pub signatures: Vec<SignatureResult>,
    /// Every failed check of every signature.
    pub failures: Vec<Failure>,
}

/// Why `path` cannot be matched against the policy's globs with one
/// reading, if it cannot. A `..` component, an absolute name or a drive
/// letter reach outside the release for some extractor (Python's tarfile
/// extracts `docs/../engine/x` next to `engine/`), and a backslash is a
/// separator for Windows extractors but a name character for the globs.
/// Names that are not valid printable UTF-8 are shown escaped with a
/// backslash and fail here too: they read differently across tools.
pub fn ambiguous_name(path: &str) -> Option<&'static str> {
    let b = path.as_bytes();
    if path.starts_with('/') {
        return Some("absolute name");
    }
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Some("drive-letter name (absolute for Windows extractors)");
    }
    if path.contains('\\') {
        return Some(
            "backslash in the name (a separator for Windows extractors) or a byte that is not printable UTF-8",
        );
    }
    if path.split('/').any(|c| c == "..") {
        return Some("`..` component: extractors resolve it outside the directory it names");
    }
    if path.split('/').any(|c| c.is_empty() || c == ".") {
        return Some("empty or `.` component: the name is not in normal form");
    }
    None
}

/// A signature format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureKind {
    /// Detached CMS / PKCS#7 SignedData.
    Cms,
    /// A raw detached signature over the file's bytes.
    Raw,
    /// A Sigstore bundle.
    Sigstore,
    /// DSSE envelopes carrying in-toto Statements.
    Dsse,
    /// OpenPGP: detached signatures and cleartext-signed documents.
    Openpgp,
    /// An apt chain (`dists/DIST/InRelease` or `Release.gpg`): the Release
    /// signature, then the indexes and packages it lists (`crate::apt`).
    Apt,
    /// Authenticode signatures embedded in a PE file, which is its own
    /// signature file (`super::authenticode`).
    Authenticode,
}

/// Who signed, as continuity compares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SignerId {
    /// What kind of identity.
    pub kind: SignerKind,
    /// Certificate subject, pinned key name, or Sigstore identity.
    pub name: String,
    /// SHA-256 of the SubjectPublicKeyInfo, when there is a key.
    pub key_sha256: Option<Sha256Digest>,
    /// SHA-256 of the signer certificate, for X.509 and Sigstore.
    pub certificate_sha256: Option<Sha256Digest>,
    /// The OpenPGP keys, for OpenPGP signers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openpgp: Option<OpenpgpSigner>,
}

/// The kinds of [`SignerId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignerKind {
    /// An X.509 certificate chained to a policy root.
    X509,
    /// A public key pinned in the policy.
    PinnedKey,
    /// A Sigstore certificate identity.
    Sigstore,
    /// An OpenPGP certificate of a policy keyring.
    Openpgp,
}

/// The OpenPGP keys of a signer, for continuity: a new signing subkey
/// under the same primary key is a change an auditor must see.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct OpenpgpSigner {
    /// The certificate's primary key fingerprint.
    pub primary_key: String,
    /// The fingerprint of the key that signed (primary or subkey).
    pub signing_key: String,
}

/// One failed check: which file, which signature, which check, why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Failure {
    /// The file concerned (the signed file, or the signature file itself).
    pub file: String,
    /// The signature (or manifest) file, empty when none is involved.
    pub signature: String,
    /// The check that failed (stable name).
    pub check: String,
    /// Why.
    pub reason: String,
}

/// The verdict on one signature file.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureResult {
    /// The signature file.
    pub signature: String,
    /// Its format.
    pub kind: SignatureKind,
    /// The files it claims to sign.
    pub targets: Vec<String>,
    /// The files it vouches for: targets whose signature (and, for DSSE,
    /// subject digest) verified.
    pub covers: Vec<String>,
    /// Whether everything about it verified (no failure).
    pub verified: bool,
    /// The signers that verified.
    pub signers: Vec<SignerId>,
    /// The trusted time (RFC 3161 genTime), when there is one.
    #[serde(with = "super::rfc3339_opt")]
    pub time: Option<OffsetDateTime>,
    /// The CMS details, for CMS signatures that verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cms: Option<CmsVerified>,
    /// Every OpenPGP signature of the file, each with its verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openpgp: Option<super::openpgp::DocumentVerification>,
    /// Every failed check about it.
    pub failures: Vec<Failure>,
}

/// What a verified manifest said about the release.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestResult {
    /// The manifest file.
    pub manifest: String,
    /// The signatures over it that verified.
    pub signed_by: Vec<String>,
    /// Listed files whose digest matched.
    pub matched: Vec<String>,
    /// Listed files whose digest differed.
    pub mismatched: Vec<String>,
    /// Listed files absent from the release.
    pub missing: Vec<String>,
    /// Files under the manifest's directory it does not list (signature
    /// files and the manifest itself excluded).
    pub unlisted: Vec<String>,
}

/// How one file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageStatus {
    /// At least one signature verified over it and none failed.
    Verified,
    /// Nothing verified covers it.
    Unsigned,
    /// A signature or manifest over it failed, or it is required and unsigned.
    Failed,
    /// It is a signature file.
    Signature,
}

/// What covers a file.
#[derive(Clone, Debug, Serialize)]
pub struct CoveredBy {
    /// The signature file that verified.
    pub signature: String,
    /// Its format.
    pub kind: SignatureKind,
    /// The manifest the file was listed in, when covered through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Who signed.
    pub signers: Vec<SignerId>,
    /// The trusted signing time, if any.
    #[serde(with = "super::rfc3339_opt")]
    pub time: Option<OffsetDateTime>,
}

/// Coverage of one entry (regular file, link, special or unreadable).
#[derive(Clone, Debug, Serialize)]
pub struct FileCoverage {
    /// Release-relative path.
    pub path: String,
    /// What the entry is.
    pub kind: EntryType,
    /// A link's recorded target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Its status.
    pub status: CoverageStatus,
    /// Whether the policy requires it signed.
    pub required: bool,
    /// What verified over it.
    pub covered_by: Vec<CoveredBy>,
}

/// The result of verifying a release.
#[derive(Clone, Debug, Serialize)]
pub struct ReleaseVerification {
    /// The policy file used.
    pub policy: std::path::PathBuf,
    /// The instant of verification.
    #[serde(with = "super::rfc3339")]
    pub verified_at: OffsetDateTime,
    /// Every signature file found, with its verdict.
    pub signatures: Vec<SignatureResult>,
    /// Every manifest with a verified signature.
    pub manifests: Vec<ManifestResult>,
    /// Every non-directory entry and how it stands.
    pub files: Vec<FileCoverage>,
    /// Distinct signers that verified anything.
    pub signers: Vec<SignerId>,
    /// Every failed check.
    pub failures: Vec<Failure>,
    /// True when nothing failed and every required file is covered.
    pub verified: bool,
    /// The Authenticode details of every signed PE file (each also listed
    /// in `signatures`, kind `authenticode`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authenticode: Vec<super::authenticode::PeFile>,
}

/// A discovered signature: which file, which format, what it signs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Discovered {
    signature: String,
    kind: SignatureKind,
    /// The file it signs, for detached formats; `None` for DSSE, whose
    /// targets are its subjects.
    target: Option<String>,
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Recognises a signature file by name (and, for `.sig`, content).
fn classify(path: &str, content: Option<&[u8]>) -> Option<Discovered> {
    let d = |kind, suffix: &str| {
        Some(Discovered {
            signature: path.to_string(),
            kind,
            target: Some(path[..path.len() - suffix.len()].to_string())
                .filter(|t| !t.is_empty() && !t.ends_with('/')),
        })
    };
    if path.ends_with(".intoto.jsonl") || path.ends_with(".intoto.json") {
        return Some(Discovered {
            signature: path.to_string(),
            kind: SignatureKind::Dsse,
            target: None,
        });
    }
    for suffix in [".sigstore.json", ".sigstore"] {
        if path.ends_with(suffix) {
            return d(SignatureKind::Sigstore, suffix);
        }
    }
    if path.ends_with(".p7s") {
        return d(SignatureKind::Cms, ".p7s");
    }
    // A cleartext-signed document signs itself.
    let cleartext = Some(Discovered {
        signature: path.to_string(),
        kind: SignatureKind::Openpgp,
        target: Some(path.to_string()),
    });
    if super::openpgp::release::is_cleartext_name(file_name(path)) {
        return cleartext;
    }
    if path.ends_with(".sig") {
        let kind = match content {
            Some(c) if CmsSignature::parse(c).is_ok() => SignatureKind::Cms,
            Some(c) if super::openpgp::release::is_signature(c) => SignatureKind::Openpgp,
            _ => SignatureKind::Raw,
        };
        return d(kind, ".sig");
    }
    for suffix in [".asc", ".gpg"] {
        if path.ends_with(suffix) {
            if content.is_some_and(super::openpgp::is_cleartext) {
                return cleartext;
            }
            // A keyring shipped in the release (`archive-keyring.gpg`)
            // is content like any other file, not a signature.
            if content.is_some_and(super::openpgp::release::is_certificate) {
                return None;
            }
            return d(SignatureKind::Openpgp, suffix);
        }
    }
    None
}

fn is_candidate(path: &str) -> bool {
    classify(path, None).is_some()
        || manifest::is_manifest_name(file_name(path))
        || super::authenticode::catalog::is_catalog_name(path)
}

/// Most checksum manifests whose coverage is worked out in one release.
/// Each one's unlisted files are found by scanning its directory, so many
/// manifests over one large directory would cost manifests × files.
pub const MAX_MANIFESTS: usize = 64;

/// Verifies every signature in a release and reports coverage of every
/// non-directory entry.
///
/// Work is linear in the number of entries (plus the signatures' own
/// cost): files are looked up by path in hash maps, globs are compiled
/// once in the policy, and failures are indexed by file.
pub fn verify_release(
    release: &dyn ReleaseAccess,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<ReleaseVerification, ReleaseError> {
    verify_release_with(release, policy, now, Vec::new())
}

/// [`verify_release`] with `own`: the verdicts of signatures the release
/// format itself carries (an RPM package read as a release signs its
/// payload's entries, `super::rpm`).
fn verify_release_with(
    release: &dyn ReleaseAccess,
    policy: &TrustPolicy,
    now: OffsetDateTime,
    own: Vec<SignatureResult>,
) -> Result<ReleaseVerification, ReleaseError> {
    let Listing {
        files,
        others,
        findings,
    } = release.listing();
    // A duplicated name: the first in container order counts, as in the
    // listing and in `read_files` (and the duplicate fails below anyway).
    let mut by_path: HashMap<&str, &ReleaseFile> = HashMap::with_capacity(files.len());
    for f in &files {
        by_path.entry(f.path.as_str()).or_insert(f);
    }
    let small: BTreeSet<String> = files
        .iter()
        .filter(|f| is_candidate(&f.path))
        .map(|f| f.path.clone())
        .collect();
    let oversized: Vec<&ReleaseFile> = files
        .iter()
        .filter(|f| small.contains(&f.path) && f.size > MAX_SIGNATURE_FILE)
        .collect();
    let readable: BTreeSet<String> = small
        .iter()
        .filter(|p| by_path[p.as_str()].size <= MAX_SIGNATURE_FILE)
        .cloned()
        .collect();
    let contents = release.read_files(&readable, MAX_SIGNATURE_FILE)?;
    // An apt mirror's Release files and what their chains cover
    // (`crate::apt::mirror`); its signature files leave generic discovery.
    let apt = if crate::apt::mirror::is_mirror(&files) {
        crate::apt::mirror::cover(release, &files, policy, now)?
    } else {
        Default::default()
    };

    let mut failures = Vec::new();
    // Every reader finding fails: each is an entry two extractors could
    // read differently, or one glassbox could not read at all.
    for f in &findings {
        failures.push(Failure {
            file: f.path.clone(),
            signature: String::new(),
            check: format!("reader-{}", f.kind),
            reason: format!(
                "{}; the release is ambiguous or unreadable here: ask the vendor for a release without it",
                f.reason
            ),
        });
    }
    for (path, kind) in files
        .iter()
        .map(|f| (f.path.as_str(), EntryType::File))
        .chain(others.iter().map(|o| (o.path.as_str(), o.kind)))
    {
        if let Some(why) = ambiguous_name(path) {
            failures.push(Failure {
                file: path.to_string(),
                signature: String::new(),
                check: "name".into(),
                reason: format!(
                    "{} {why}; it fails whatever the coverage globs say",
                    kind.name()
                ),
            });
        }
    }
    for f in oversized {
        failures.push(Failure {
            file: f.path.clone(),
            signature: f.path.clone(),
            check: "size".into(),
            reason: format!(
                "{} bytes exceeds the {MAX_SIGNATURE_FILE}-byte limit for signature files",
                f.size
            ),
        });
    }
    let discovered: Vec<Discovered> = contents
        .iter()
        .filter(|(p, _)| !apt.claimed.contains(*p))
        .filter_map(|(p, c)| classify(p, Some(c)))
        .collect();
    // A .deb's embedded `_gpg*` signatures (`crate::apt::debsig`).
    let debsig = crate::apt::debsig::cover_package(release, &files, policy, now)?;
    // Windows catalogs (`*.cat`), which cover files by hash once the PE
    // images' digests are known (`super::authenticode::release`).
    let catalogs = super::authenticode::verify_catalogs(&contents, policy, now);
    let signature_files: HashSet<&str> = discovered
        .iter()
        .map(|d| d.signature.as_str())
        .chain(apt.claimed.iter().map(String::as_str))
        .chain(debsig.claimed.iter().map(String::as_str))
        .chain(catalogs.iter().map(|(p, _)| p.as_str()))
        .collect();

    // Content of targets some verifier needs whole (raw signatures, CMS
    // with a digest the listing did not compute), read in one pass.
    let mut need_bytes = BTreeSet::new();
    for d in &discovered {
        let Some(t) = d.target.as_deref().filter(|t| by_path.contains_key(t)) else {
            continue;
        };
        match d.kind {
            SignatureKind::Raw | SignatureKind::Sigstore => {
                need_bytes.insert(t.to_string());
            }
            // A cleartext document is its own content.
            SignatureKind::Openpgp if t != d.signature => {
                need_bytes.insert(t.to_string());
            }
            SignatureKind::Cms => {
                let algs = CmsSignature::parse(&contents[&d.signature])
                    .and_then(|s| s.digest_algorithms())
                    .unwrap_or_default();
                if known_digests(by_path[t], &algs).is_none() {
                    need_bytes.insert(t.to_string());
                }
            }
            SignatureKind::Dsse
            | SignatureKind::Openpgp
            | SignatureKind::Apt
            | SignatureKind::Authenticode => {}
        }
    }
    let target_bytes = if need_bytes.is_empty() {
        BTreeMap::new()
    } else {
        release.read_files(&need_bytes, MAX_CONTENT_BYTES)?
    };

    failures.extend(apt.failures.iter().cloned());
    let mut signatures = apt.signatures.clone();
    for d in &discovered {
        let bytes = &contents[&d.signature];
        let result = match &d.target {
            Some(t) => match by_path.get(t.as_str()) {
                Some(target) => verify_detached_signature(
                    &d.signature,
                    d.kind,
                    bytes,
                    target,
                    target_bytes.get(t).map(Vec::as_slice),
                    policy,
                    now,
                ),
                None => failed(
                    d,
                    vec![t.clone()],
                    &d.signature,
                    "target",
                    format!("signs {t}, which is not in the release"),
                ),
            },
            None if d.kind == SignatureKind::Dsse => {
                verify_envelopes(d, bytes, Some(&by_path), None, policy)
            }
            None => failed(
                d,
                Vec::new(),
                &d.signature,
                "target",
                "the signature file's name does not name a target".into(),
            ),
        };
        failures.extend(result.failures.iter().cloned());
        signatures.push(result);
    }
    // Authenticode: a PE file is signed by what it embeds (logic in
    // `super::authenticode::release`).
    let pe = super::authenticode::verify_pe_files(release, &files, &catalogs, policy, now)?;
    failures.extend(pe.failures.iter().cloned());
    for s in &pe.signatures {
        failures.extend(s.failures.iter().cloned());
    }
    signatures.extend(pe.signatures);
    let authenticode = pe.files;
    // RPM packages: each is signed by its own header signature, and a
    // package read as the release signs its payload (`super::rpm`).
    let rpms = super::rpm::verify_rpm_files(release, &files, policy, now)?;
    for s in rpms.iter().chain(&own) {
        failures.extend(s.failures.iter().cloned());
    }
    signatures.extend(rpms);
    signatures.extend(own);
    // A .deb's embedded signatures (`crate::apt::debsig`).
    for s in &debsig.signatures {
        failures.extend(s.failures.iter().cloned());
    }
    signatures.extend(debsig.signatures);
    // The embedded signatures of each .deb inside the release.
    let nested = crate::apt::debsig::cover_nested(release, &files, policy, now)?;
    for s in &nested {
        failures.extend(s.failures.iter().cloned());
    }
    signatures.extend(nested);
    // Which verified signatures vouch for each path, built once.
    let mut signed_by: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in signatures.iter().enumerate() {
        for t in &s.covers {
            signed_by.entry(t.as_str()).or_default().push(i);
        }
    }

    // Manifests, once a signature over them verified.
    let mut manifests = Vec::new();
    let mut manifest_cover: HashMap<String, Vec<CoveredBy>> = HashMap::new();
    // `files` is sorted by path (the reader's order); sort anyway so the
    // per-directory range scan below is right for any implementation.
    let mut sorted_paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    sorted_paths.sort_unstable();
    sorted_paths.dedup();
    let mut manifests_seen = 0usize;
    for (path, text) in contents
        .iter()
        .filter(|(p, _)| manifest::is_manifest_name(file_name(p)))
    {
        let signed: Vec<&SignatureResult> = signed_by
            .get(path.as_str())
            .map(|v| v.iter().map(|&i| &signatures[i]).collect())
            .unwrap_or_default();
        if signed.is_empty() {
            continue;
        }
        manifests_seen += 1;
        let sig_names = signed
            .iter()
            .map(|s| s.signature.clone())
            .collect::<Vec<_>>()
            .join(", ");
        if manifests_seen > MAX_MANIFESTS {
            failures.push(Failure {
                file: path.clone(),
                signature: sig_names,
                check: "manifest-count".into(),
                reason: format!(
                    "more than {MAX_MANIFESTS} signed checksum manifests in one release; \
                     glassbox does not use the rest (verify the release in parts)"
                ),
            });
            continue;
        }
        let lines = match manifest::parse(text) {
            Ok(l) => l,
            Err(e) => {
                failures.push(Failure {
                    file: path.clone(),
                    signature: sig_names,
                    check: "manifest-parse".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let dir = match path.rfind('/') {
            Some(i) => &path[..=i],
            None => "",
        };
        let mut m = ManifestResult {
            manifest: path.clone(),
            signed_by: signed.iter().map(|s| s.signature.clone()).collect(),
            matched: Vec::new(),
            mismatched: Vec::new(),
            missing: Vec::new(),
            unlisted: Vec::new(),
        };
        let mut listed = HashSet::new();
        for line in lines {
            let full = format!("{dir}{}", line.path);
            listed.insert(full.clone());
            match by_path.get(full.as_str()) {
                Some(f) if f.sha256 == line.sha256 => {
                    m.matched.push(full.clone());
                    let by = manifest_cover.entry(full.clone()).or_default();
                    for s in &signed {
                        by.push(CoveredBy {
                            signature: s.signature.clone(),
                            kind: s.kind,
                            manifest: Some(path.clone()),
                            signers: s.signers.clone(),
                            time: s.time,
                        });
                    }
                }
                Some(f) => {
                    m.mismatched.push(full.clone());
                    failures.push(Failure {
                        file: full,
                        signature: path.clone(),
                        check: "manifest-digest".into(),
                        reason: format!(
                            "{path} lists sha256 {}, the file has {}",
                            line.sha256, f.sha256
                        ),
                    });
                }
                None => {
                    m.missing.push(full.clone());
                    failures.push(Failure {
                        file: full,
                        signature: path.clone(),
                        check: "manifest-missing".into(),
                        reason: format!("listed in {path} but not in the release"),
                    });
                }
            }
        }
        let start = sorted_paths.partition_point(|p| *p < dir);
        m.unlisted = sorted_paths[start..]
            .iter()
            .take_while(|p| p.starts_with(dir))
            .filter(|p| {
                !listed.contains(**p) && **p != path.as_str() && !signature_files.contains(**p)
            })
            .map(|p| p.to_string())
            .collect();
        manifests.push(m);
    }

    // Coverage of every entry.
    let mut covered: HashMap<String, Vec<CoveredBy>> = manifest_cover;
    for s in &signatures {
        for t in &s.covers {
            covered.entry(t.clone()).or_default().push(CoveredBy {
                signature: s.signature.clone(),
                kind: s.kind,
                manifest: None,
                signers: s.signers.clone(),
                time: s.time,
            });
        }
    }
    let failed_paths: HashSet<String> = failures.iter().map(|x| x.file.clone()).collect();
    let mut coverage = Vec::with_capacity(files.len() + others.len());
    for f in &files {
        let required = policy.coverage.must_be_signed(&f.path);
        if signature_files.contains(f.path.as_str()) {
            coverage.push(FileCoverage {
                path: f.path.clone(),
                kind: EntryType::File,
                target: None,
                status: CoverageStatus::Signature,
                required: false,
                covered_by: Vec::new(),
            });
            continue;
        }
        let by = covered.remove(&f.path).unwrap_or_default();
        let status = if failed_paths.contains(&f.path) {
            CoverageStatus::Failed
        } else if !by.is_empty() {
            CoverageStatus::Verified
        } else if required {
            failures.push(Failure {
                file: f.path.clone(),
                signature: String::new(),
                check: "coverage".into(),
                reason: "no verified signature covers this file and the policy requires it signed"
                    .into(),
            });
            CoverageStatus::Failed
        } else {
            CoverageStatus::Unsigned
        };
        coverage.push(FileCoverage {
            path: f.path.clone(),
            kind: EntryType::File,
            target: None,
            status,
            required,
            covered_by: by,
        });
    }
    // Links and special entries: no signature glassbox verifies signs a
    // link as a link, so each needs the policy's leave by name and type;
    // an unreadable member has no digest and can never be covered.
    for o in &others {
        let allowed = match o.kind {
            EntryType::Symlink | EntryType::Hardlink => policy.coverage.link_allowed(&o.path),
            EntryType::Special => policy.coverage.special_allowed(&o.path),
            EntryType::File | EntryType::Unreadable => false,
        };
        let failed = failed_paths.contains(&o.path);
        // A signature that vouches for links by name (an RPM header lists
        // each link's target, and the reader checked the payload agrees).
        let by = covered.remove(&o.path).unwrap_or_default();
        let status = if failed {
            CoverageStatus::Failed
        } else if !by.is_empty() {
            CoverageStatus::Verified
        } else if allowed {
            CoverageStatus::Unsigned
        } else {
            let (key, what) = match o.kind {
                EntryType::Symlink | EntryType::Hardlink => (
                    "coverage.allow_unsigned_links",
                    format!(
                        "{} to `{}`",
                        o.kind.name(),
                        o.target.as_deref().unwrap_or_default()
                    ),
                ),
                EntryType::Special => ("coverage.allow_unsigned_special", "special entry".into()),
                EntryType::File | EntryType::Unreadable => ("", "unreadable member".into()),
            };
            let reason = if key.is_empty() {
                format!("{what}: it has no digest, so no signature can cover it")
            } else {
                format!(
                    "{what}: signatures cover file content, not links or special entries, \
                     and {key} does not allow this path; add it there if the vendor meant it"
                )
            };
            failures.push(Failure {
                file: o.path.clone(),
                signature: String::new(),
                check: "coverage".into(),
                reason,
            });
            CoverageStatus::Failed
        };
        coverage.push(FileCoverage {
            path: o.path.clone(),
            kind: o.kind,
            target: o.target.clone(),
            status,
            required: true,
            covered_by: by,
        });
    }
    coverage.sort_by(|a, b| a.path.cmp(&b.path));

    let signers: BTreeSet<SignerId> = signatures
        .iter()
        .filter(|s| !s.covers.is_empty())
        .flat_map(|s| s.signers.iter().cloned())
        .collect();
    failures.sort();
    failures.dedup();
    Ok(ReleaseVerification {
        policy: policy.source.clone(),
        verified_at: now,
        verified: failures.is_empty(),
        signatures,
        manifests,
        files: coverage,
        signers: signers.into_iter().collect(),
        failures,
        authenticode,
    })
}

/// The options the verifier reads a release with: SHA-512 as well as
/// SHA-256 (manifests and signatures may use either), no nested expansion
/// (a nested archive is covered through its container's digest).
pub fn read_options() -> ReadOptions {
    ReadOptions {
        digests: crate::digest::DigestSet { sha512: true },
        ..ReadOptions::default()
    }
}

/// Opens the release at `path` (directory or archive, through
/// `core::release`) and verifies it against `policy` at `now`: the one
/// entry point of `glassbox verify`.
///
/// A release the reader refuses as unsafe ([`ReleaseError::is_refusal`]:
/// ambiguous to real extractors, unsafe names) is not verified: the result
/// fails with one `one-reading` failure carrying the reader's reason, so
/// the verdict is FAILED (critical in the audit), never an input error that
/// could be mistaken for "could not run". Other read errors are returned.
pub fn verify_release_at(
    path: &std::path::Path,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<ReleaseVerification, VerifyError> {
    match Release::open(path, &read_options()) {
        Ok(release) => verify_opened(path, &release, policy, now),
        // An RPM whose payload cannot be read: its chain names the link
        // that broke (a changed payload byte fails the payload digest
        // before it breaks the decompressor).
        Err(e) if let Some(v) = super::rpm::verify_unreadable(path, &e, policy, now) => Ok(v),
        Err(e) if e.is_refusal() => Ok(refused(path, &e, policy, now)),
        Err(e) => Err(VerifyError::Open(e)),
    }
}

/// [`verify_release_at`] for a release the caller already opened with
/// [`read_options`] (an audit reads each release once and shares it).
pub fn verify_opened(
    path: &std::path::Path,
    release: &Release,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<ReleaseVerification, VerifyError> {
    let own = if release.format == crate::release::Format::Rpm {
        vec![
            super::rpm::verify_release_package(path, release, policy, now)
                .map_err(VerifyError::Open)?,
        ]
    } else {
        Vec::new()
    };
    verify_release_with(release, policy, now, own).map_err(|source| VerifyError::ReadSignatures {
        path: path.to_path_buf(),
        source,
    })
}

/// The FAILED verdict on a release the reader refused: one `one-reading`
/// failure with the reader's reason, nothing else verified.
pub(crate) fn refused(
    path: &std::path::Path,
    e: &ReleaseError,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> ReleaseVerification {
    ReleaseVerification {
        policy: policy.source.clone(),
        verified_at: now,
        signatures: Vec::new(),
        manifests: Vec::new(),
        files: Vec::new(),
        signers: Vec::new(),
        failures: vec![Failure {
            file: path.display().to_string(),
            signature: String::new(),
            check: "one-reading".into(),
            reason: e.to_string(),
        }],
        verified: false,
        authenticode: Vec::new(),
    }
}

/// Verifies the detached `signatures` (files) of one `artifact` file
/// against `policy` at `now`: the artifact is streamed once for its
/// digests, and read whole only when a verifier needs the bytes (raw,
/// Sigstore, or a CMS digest the streaming pass did not compute).
/// Unreadable or oversized inputs are errors; every problem with a
/// signature is a failure in the result.
pub fn verify_artifact(
    artifact: &std::path::Path,
    signatures: &[std::path::PathBuf],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<ArtifactVerification, ArtifactError> {
    use std::io::Read;
    let name = artifact.display().to_string();
    let open = || {
        std::fs::File::open(artifact).map_err(|source| ArtifactError::Open {
            name: name.clone(),
            source,
        })
    };
    let meta = open()?.metadata().map_err(|source| ArtifactError::Open {
        name: name.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(ArtifactError::NotAFile { name });
    }
    let (digests, size) =
        crate::digest::hash_reader(&mut open()?, crate::digest::DigestSet { sha512: true })
            .map_err(|source| ArtifactError::Read {
                name: name.clone(),
                source,
            })?;
    let file = ReleaseFile {
        path: name.clone(),
        size,
        sha256: digests.sha256,
        sha512: digests.sha512,
    };
    let mut sigs = Vec::new();
    for s in signatures {
        let sig_name = s.display().to_string();
        let bytes = match crate::fsio::read_file_capped(s, MAX_SIGNATURE_FILE) {
            Ok(b) => b,
            Err(crate::fsio::ReadFileError::TooLarge { .. }) => {
                return Err(ArtifactError::SignatureTooLarge { name: sig_name });
            }
            Err(crate::fsio::ReadFileError::Io { source, .. }) => {
                return Err(ArtifactError::ReadSignature {
                    name: sig_name.clone(),
                    source,
                });
            }
        };
        sigs.push((sig_name, bytes));
    }
    let needs_bytes = sigs.iter().any(|(_, b)| match sniff_kind(b) {
        SignatureKind::Cms => CmsSignature::parse(b)
            .and_then(|s| s.digest_algorithms())
            .is_ok_and(|a| a.contains(&DigestAlgorithm::Sha384)),
        SignatureKind::Raw | SignatureKind::Sigstore | SignatureKind::Openpgp => true,
        _ => false,
    });
    let content = if needs_bytes {
        if size > MAX_CONTENT_BYTES {
            return Err(ArtifactError::ContentTooLarge { name, size });
        }
        let mut b = Vec::new();
        open()?
            .read_to_end(&mut b)
            .map_err(|source| ArtifactError::Read {
                name: name.clone(),
                source,
            })?;
        Some(b)
    } else {
        None
    };
    let results: Vec<SignatureResult> = sigs
        .iter()
        .map(|(path, bytes)| {
            verify_detached_signature(
                path,
                sniff_kind(bytes),
                bytes,
                &file,
                content.as_deref(),
                policy,
                now,
            )
        })
        .collect();
    let failures: Vec<Failure> = results
        .iter()
        .flat_map(|r| r.failures.iter().cloned())
        .collect();
    Ok(ArtifactVerification {
        artifact: name,
        verified: failures.is_empty(),
        signatures: results,
        failures,
    })
}

/// The digests the listing already has for `algs`, if it has them all.
fn known_digests(f: &ReleaseFile, algs: &BTreeSet<DigestAlgorithm>) -> Option<ContentDigests> {
    let mut out = Vec::new();
    for a in algs {
        match a {
            DigestAlgorithm::Sha256 => out.push((*a, f.sha256.0.to_vec())),
            DigestAlgorithm::Sha512 => out.push((*a, f.sha512?.0.to_vec())),
            DigestAlgorithm::Sha384 => return None,
        }
    }
    Some(ContentDigests::from_known(out))
}

fn failed(
    d: &Discovered,
    targets: Vec<String>,
    file: &str,
    check: &str,
    reason: String,
) -> SignatureResult {
    SignatureResult {
        signature: d.signature.clone(),
        kind: d.kind,
        targets,
        covers: Vec::new(),
        verified: false,
        signers: Vec::new(),
        time: None,
        cms: None,
        openpgp: None,
        failures: vec![Failure {
            file: file.to_string(),
            signature: d.signature.clone(),
            check: check.to_string(),
            reason,
        }],
    }
}

fn verified(
    d: &Discovered,
    target: &str,
    signers: Vec<SignerId>,
    time: Option<OffsetDateTime>,
) -> SignatureResult {
    SignatureResult {
        signature: d.signature.clone(),
        kind: d.kind,
        targets: vec![target.to_string()],
        covers: vec![target.to_string()],
        verified: true,
        signers,
        time,
        cms: None,
        openpgp: None,
        failures: Vec::new(),
    }
}

/// Verifies one detached signature (`sig_path`, of `kind`) over `target`.
/// `content` is the target's bytes when they were read.
pub fn verify_detached_signature(
    sig_path: &str,
    kind: SignatureKind,
    sig: &[u8],
    target: &ReleaseFile,
    content: Option<&[u8]>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> SignatureResult {
    let d = Discovered {
        signature: sig_path.to_string(),
        kind,
        target: Some(target.path.clone()),
    };
    let targets = vec![target.path.clone()];
    match kind {
        SignatureKind::Cms => {
            let parsed = match CmsSignature::parse(sig) {
                Ok(p) => p,
                Err(e) => return failed(&d, targets, &target.path, e.check(), e.to_string()),
            };
            let algs = match parsed.digest_algorithms() {
                Ok(a) => a,
                Err(e) => return failed(&d, targets, &target.path, e.check(), e.to_string()),
            };
            let digests = match (known_digests(target, &algs), content) {
                (Some(d), _) => d,
                (None, Some(c)) => ContentDigests::of(c, &algs),
                (None, None) => {
                    return failed(
                        &d,
                        targets,
                        &target.path,
                        "content",
                        "content was not read".into(),
                    );
                }
            };
            match cms::verify_parsed(&parsed, &digests, policy, now) {
                Ok(v) => {
                    let signers = v.signers.iter().map(cms_signer_id).collect();
                    let time = v
                        .signers
                        .iter()
                        .filter_map(|s| s.timestamp.as_ref().map(|t| t.gen_time))
                        .max();
                    SignatureResult {
                        cms: Some(v),
                        ..verified(&d, &target.path, signers, time)
                    }
                }
                Err(e) => failed(&d, targets, &target.path, e.error.check(), e.to_string()),
            }
        }
        SignatureKind::Openpgp => super::openpgp::release::signature_result(
            sig_path,
            sig,
            &target.path,
            content,
            policy,
            now,
        ),
        // Only the PE file itself carries these (`super::authenticode`).
        SignatureKind::Authenticode => failed(
            &d,
            targets,
            &target.path,
            "supported",
            "Authenticode signatures are embedded in the PE file; verify the file without --signature".into(),
        ),
        // Only `crate::apt::mirror` makes these, never discovery by name.
        SignatureKind::Apt => failed(
            &d,
            targets,
            &target.path,
            "supported",
            "an apt chain is verified from its distribution, not as a detached signature".into(),
        ),
        SignatureKind::Raw | SignatureKind::Sigstore => {
            let Some(content) = content else {
                return failed(
                    &d,
                    targets,
                    &target.path,
                    "content",
                    "content was not read".into(),
                );
            };
            let outcome = if kind == SignatureKind::Raw {
                verify_raw(sig, content, policy)
            } else {
                verify_sigstore(sig, content, policy)
            };
            match outcome {
                Ok(signer) => verified(&d, &target.path, vec![signer], None),
                Err((check, reason)) => failed(&d, targets, &target.path, check, reason),
            }
        }
        SignatureKind::Dsse => verify_envelopes(&d, sig, None, Some(target), policy),
    }
}

/// The policy's pinned keys, parsed.
fn pinned_keys(policy: &TrustPolicy) -> Vec<(String, PublicKey)> {
    policy
        .keys
        .iter()
        .map(|k| (k.name.clone(), k.key.clone()))
        .collect()
}

/// Whether an in-toto Statement of `predicate_type` counts as a release
/// signature: it must be in the policy's `[dsse] predicate_types`, and
/// glassbox's own verdicts (audit reports, rebuild attestations) never
/// count — a FAILED audit report lists the very files it condemns as its
/// subjects.
fn check_predicate_type(predicate_type: &str, policy: &TrustPolicy) -> Result<(), String> {
    if crate::policy::NEVER_RELEASE_SIGNATURES.contains(&predicate_type) {
        return Err(format!(
            "predicateType {predicate_type} is a verdict about a release (an audit report or \
             rebuild attestation), never a signature of it"
        ));
    }
    if !policy.dsse.predicate_types.contains(predicate_type) {
        let allowed: Vec<&str> = policy
            .dsse
            .predicate_types
            .iter()
            .map(String::as_str)
            .collect();
        return Err(format!(
            "predicateType {predicate_type} is not a release signature under this policy \
             (dsse.predicate_types = {allowed:?}); add it there only if statements of this \
             type vouch for the release's files"
        ));
    }
    Ok(())
}

/// The policy's `[algorithms]` applied to a Sigstore signature: the key
/// that signed (the Fulcio certificate's or the pinned key) and the scheme
/// Sigstore uses with it (P-256 with SHA-256, P-384 with SHA-384, Ed25519;
/// for RSA the bundle does not say PKCS#1 or PSS, so any allowed RSA scheme
/// with SHA-256 does).
fn check_sigstore_algorithm(key: Option<KeyAlgorithm>, policy: &TrustPolicy) -> Result<(), String> {
    use SignatureScheme as S;
    let key =
        key.ok_or_else(|| "the signing key is of a type glassbox does not know".to_string())?;
    let candidates: &[S] = match key {
        KeyAlgorithm::Ed25519 => &[S::Ed25519],
        KeyAlgorithm::EcdsaP256 => &[S::EcdsaP256Sha256],
        KeyAlgorithm::EcdsaP384 => &[S::EcdsaP384Sha384],
        KeyAlgorithm::EcdsaP521 => &[S::EcdsaP521Sha512],
        KeyAlgorithm::Rsa { .. } => &[S::RsaPkcs1Sha256, S::RsaPssSha256],
    };
    let mut last = String::new();
    for &scheme in candidates {
        match policy.algorithms.check_scheme(scheme, key) {
            Ok(()) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("Sigstore signing key: {last}"))
}

/// A raw detached signature over `content` by one of the pinned keys.
fn verify_raw(
    sig: &[u8],
    content: &[u8],
    policy: &TrustPolicy,
) -> Result<SignerId, (&'static str, String)> {
    let keys = pinned_keys(policy);
    if keys.is_empty() {
        return Err((
            "signature",
            "a raw signature needs a pinned key; the policy has none".into(),
        ));
    }
    let mut problems = Vec::new();
    for (name, key) in &keys {
        match super::raw::verify(content, sig, key, None) {
            Ok(v) => {
                policy
                    .algorithms
                    .check_scheme(v.scheme, key.algorithm())
                    .map_err(|e| ("algorithm-policy", e.to_string()))?;
                return Ok(SignerId {
                    kind: SignerKind::PinnedKey,
                    name: name.clone(),
                    key_sha256: Sha256Digest::from_hex(&key.key_id()).ok(),
                    certificate_sha256: None,
                    openpgp: None,
                });
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    Err((
        "signature",
        format!("verifies with no pinned key ({})", problems.join("; ")),
    ))
}

/// A Sigstore bundle for `content`, under each trusted root and identity
/// (or pinned key) of the policy; the first that verifies wins.
fn verify_sigstore(
    bundle: &[u8],
    content: &[u8],
    policy: &TrustPolicy,
) -> Result<SignerId, (&'static str, String)> {
    use super::sigstore::{Artifact, IdentityRule, SignerRule, SigstoreTrust, verify_bundle};
    if policy.sigstore.is_empty() {
        return Err((
            "signature",
            "a Sigstore bundle needs a [[sigstore]] trusted root in the policy".into(),
        ));
    }
    let mut problems = Vec::new();
    for root in &policy.sigstore {
        // Parsed once, when the policy loaded.
        let trust: &SigstoreTrust = &root.trust;
        let mut rules: Vec<(Option<String>, SignerRule)> = root
            .identities
            .iter()
            .map(|id| {
                let identity = match &id.san {
                    SanMatch::Exact(s) => IdentityRule::Exact(s.clone()),
                    SanMatch::Regex(r) => IdentityRule::Regex(r.clone()),
                };
                (
                    None,
                    SignerRule::Certificate {
                        identity,
                        issuer: id.issuer.clone(),
                    },
                )
            })
            .collect();
        rules.extend(
            pinned_keys(policy)
                .into_iter()
                .map(|(n, k)| (Some(n), SignerRule::Key(k))),
        );
        for (key_name, rule) in &rules {
            match verify_bundle(bundle, Artifact::Bytes(content), rule, trust) {
                Ok(v) => {
                    check_sigstore_algorithm(v.key_algorithm, policy)
                        .map_err(|e| ("algorithm-policy", e.to_string()))?;
                    return Ok(match key_name {
                        None => SignerId {
                            kind: SignerKind::Sigstore,
                            name: format!(
                                "{} ({})",
                                v.identity.as_deref().unwrap_or("no identity"),
                                v.issuer.as_deref().unwrap_or("no issuer")
                            ),
                            key_sha256: None,
                            certificate_sha256: None,
                            openpgp: None,
                        },
                        Some(name) => SignerId {
                            kind: SignerKind::PinnedKey,
                            name: name.clone(),
                            key_sha256: v
                                .key_id
                                .as_deref()
                                .and_then(|k| Sha256Digest::from_hex(k).ok()),
                            certificate_sha256: None,
                            openpgp: None,
                        },
                    });
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    problems.dedup();
    Err((
        "signature",
        format!(
            "no policy identity or key verifies the bundle: {}",
            problems.join("; ")
        ),
    ))
}

/// Most envelopes read from one `.intoto.jsonl`.
pub const MAX_ENVELOPES: usize = 1024;

/// A `.intoto.jsonl`: one DSSE envelope per line, each verified with the
/// pinned keys (threshold 1), its in-toto Statement's subjects resolved
/// relative to the envelope file's directory and matched by SHA-256. A
/// subject that names a missing file, or a file with another digest, fails.
///
/// With `artifact` (a single artifact given on the command line), subjects
/// are matched by digest only: a subject with the artifact's SHA-256 covers
/// it, other subjects are about other files and ignored; none matching fails.
fn verify_envelopes(
    d: &Discovered,
    bytes: &[u8],
    files: Option<&HashMap<&str, &ReleaseFile>>,
    artifact: Option<&ReleaseFile>,
    policy: &TrustPolicy,
) -> SignatureResult {
    let fail = |check: &str, reason: String| failed(d, Vec::new(), &d.signature, check, reason);
    let keys = pinned_keys(policy);
    if keys.is_empty() {
        return fail(
            "signature",
            "a DSSE envelope needs a pinned key; the policy has none".into(),
        );
    }
    let dir = match d.signature.rfind('/') {
        Some(i) => &d.signature[..=i],
        None => "",
    };
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    if lines.is_empty() {
        return fail("parse", "no envelope".into());
    }
    if lines.len() > MAX_ENVELOPES {
        return fail("parse", format!("more than {MAX_ENVELOPES} envelopes"));
    }
    let mut result = SignatureResult {
        signature: d.signature.clone(),
        kind: d.kind,
        targets: Vec::new(),
        covers: Vec::new(),
        verified: true,
        signers: Vec::new(),
        time: None,
        cms: None,
        openpgp: None,
        failures: Vec::new(),
    };
    for (i, line) in lines.iter().enumerate() {
        let at = if lines.len() > 1 {
            format!("envelope {}: ", i + 1)
        } else {
            String::new()
        };
        let checked = crate::dsse::Envelope::from_json(line)
            .map_err(|e| ("parse", e.to_string()))
            .and_then(|env| {
                crate::dsse::verify(&env, &keys, 1).map_err(|e| ("signature", e.to_string()))
            })
            .and_then(|v| {
                for s in &v.signers {
                    if let Some((_, key)) = keys.iter().find(|(n, _)| *n == s.name) {
                        policy
                            .algorithms
                            .check_scheme(s.scheme, key.algorithm())
                            .map_err(|e| ("algorithm-policy", e.to_string()))?;
                    }
                }
                let st = v.statement().map_err(|e| ("statement", e.to_string()))?;
                check_predicate_type(&st.predicate_type, policy)
                    .map_err(|e| ("dsse-predicate-type", e))?;
                Ok((v, st))
            });
        let (v, st) = match checked {
            Ok(x) => x,
            Err((check, reason)) => {
                result.failures.push(Failure {
                    file: d.signature.clone(),
                    signature: d.signature.clone(),
                    check: check.into(),
                    reason: format!("{at}{reason}"),
                });
                continue;
            }
        };
        for s in &v.signers {
            let id = SignerId {
                kind: SignerKind::PinnedKey,
                name: s.name.clone(),
                key_sha256: Sha256Digest::from_hex(&s.key_id).ok(),
                certificate_sha256: None,
                openpgp: None,
            };
            if !result.signers.contains(&id) {
                result.signers.push(id);
            }
        }
        if let Some(a) = artifact {
            if st
                .subject
                .iter()
                .any(|s| s.sha256_digest() == Some(a.sha256))
                && result.covers.is_empty()
            {
                result.covers.push(a.path.clone());
            }
            continue;
        }
        for subject in &st.subject {
            let path = format!("{dir}{}", subject.name);
            result.targets.push(path.clone());
            let problem = match (
                subject.sha256_digest(),
                files.and_then(|m| m.get(path.as_str())),
            ) {
                (None, _) => Some((
                    "dsse-subject-digest",
                    "the subject has no sha256 digest".to_string(),
                )),
                (Some(want), Some(f)) if f.sha256 == want => None,
                (Some(want), Some(f)) => Some((
                    "dsse-subject-digest",
                    format!(
                        "the statement gives sha256 {want}, the file has {}",
                        f.sha256
                    ),
                )),
                (Some(_), None) => Some((
                    "dsse-subject-missing",
                    "a subject of the statement is not in the release".to_string(),
                )),
            };
            match problem {
                None => result.covers.push(path),
                Some((check, reason)) => result.failures.push(Failure {
                    file: path,
                    signature: d.signature.clone(),
                    check: check.into(),
                    reason: format!("{at}{reason}"),
                }),
            }
        }
    }
    if let Some(a) = artifact {
        result.targets = vec![a.path.clone()];
        if result.covers.is_empty() && result.failures.is_empty() {
            result.failures.push(Failure {
                file: a.path.clone(),
                signature: d.signature.clone(),
                check: "dsse-subject-missing".into(),
                reason: format!(
                    "no subject of the statement has the artifact's sha256 {}",
                    a.sha256
                ),
            });
        }
    }
    result.verified = result.failures.is_empty();
    result
}

/// The continuity identity of a verified CMS signer.
pub fn cms_signer_id(s: &cms::SignerReport) -> SignerId {
    SignerId {
        kind: SignerKind::X509,
        name: s.subject.clone(),
        key_sha256: Some(s.key_sha256),
        certificate_sha256: Some(s.certificate_sha256),
        openpgp: None,
    }
}

/// Recognises the format of a signature given explicitly (not by name):
/// CMS when it parses as CMS, Sigstore or DSSE by their JSON fields, else
/// raw.
pub fn sniff_kind(sig: &[u8]) -> SignatureKind {
    if CmsSignature::parse(sig).is_ok() {
        return SignatureKind::Cms;
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(sig) {
        if v.get("mediaType")
            .and_then(|m| m.as_str())
            .is_some_and(|m| m.contains("sigstore"))
        {
            return SignatureKind::Sigstore;
        }
        if v.get("payloadType").is_some() {
            return SignatureKind::Dsse;
        }
    }
    if super::openpgp::release::is_signature(sig) {
        return SignatureKind::Openpgp;
    }
    SignatureKind::Raw
}

impl ReleaseAccess for crate::release::Release {
    fn is_deb(&self) -> bool {
        self.format == crate::release::Format::Deb
    }
    fn listing(&self) -> Listing {
        use crate::release::EntryKind;
        let mut l = Listing::default();
        for e in &self.entries {
            // Nested entries are covered through their container's digest;
            // their reader findings still count (below).
            if e.path.depth() != 0 {
                continue;
            }
            let path = e.path.to_string();
            let target = e.link_target.as_ref().map(|t| t.to_string());
            let other = |kind| OtherEntry {
                path: path.clone(),
                kind,
                target: target.clone(),
            };
            match (e.kind, e.digests) {
                (EntryKind::Dir, _) => {}
                (EntryKind::File, Some(d)) => l.files.push(ReleaseFile {
                    path,
                    size: e.size,
                    sha256: d.sha256,
                    sha512: d.sha512,
                }),
                (EntryKind::File, None) => l.others.push(other(EntryType::Unreadable)),
                (EntryKind::Symlink, _) => l.others.push(other(EntryType::Symlink)),
                (EntryKind::Hardlink, _) => l.others.push(other(EntryType::Hardlink)),
                (EntryKind::Other, _) => l.others.push(other(EntryType::Special)),
            }
        }
        // Informational findings (a package's absolute symlink to a file of
        // the installed system) are not ambiguities: the symlink itself is
        // still covered as an entry.
        l.findings = self
            .findings
            .iter()
            .filter(|f| !f.kind.is_informational())
            .map(|f| ReaderFinding {
                path: f.path.to_string(),
                // The serialized tag is the stable kind name; reading it
                // back keeps this in step with new finding kinds.
                kind: serde_json::to_value(&f.kind)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
                    .unwrap_or_else(|| "finding".into()),
                reason: f.kind.to_string(),
            })
            .collect();
        l
    }

    fn visit_readers(
        &self,
        paths: &BTreeSet<String>,
        visit: &mut dyn FnMut(&str, u64, &mut dyn std::io::Read) -> std::io::Result<()>,
    ) -> Result<(), ReleaseError> {
        visit_top_files(self, None, paths, visit)
    }
}

/// [`ReleaseAccess::visit_readers`] of `release`, read from its source on
/// disk, or from `bytes` when it was read with [`Release::from_bytes`] (a
/// `.deb` inside a release, `crate::apt::debsig`).
pub(crate) fn visit_top_files(
    release: &Release,
    bytes: Option<&[u8]>,
    paths: &BTreeSet<String>,
    visit: &mut dyn FnMut(&str, u64, &mut dyn std::io::Read) -> std::io::Result<()>,
) -> Result<(), ReleaseError> {
    // Nothing to read (a release with no signature files): do not
    // decompress the whole archive a second time for nothing.
    if paths.is_empty() {
        return Ok(());
    }
    // A duplicated name: the first in container order counts, as in the
    // listing.
    let mut seen = HashSet::new();
    let select =
        |e: &crate::release::Entry| e.path.depth() == 0 && paths.contains(&e.path.to_string());
    let mut each = |e: &crate::release::Entry, r: &mut dyn std::io::Read| {
        let path = e.path.to_string();
        if seen.insert(path.clone()) {
            visit(&path, e.size, r).map_err(|x| ReleaseError::from_io(&e.path, x))?;
        }
        Ok(())
    };
    match bytes {
        Some(b) => release.visit_bytes(b, &select, &mut each),
        None => release.visit_contents(&select, &mut each),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_by_name_and_content() {
        let c = |p: &str| classify(p, Some(b"\x01\x02"));
        assert_eq!(
            c("engine/a.p7s").unwrap().target.as_deref(),
            Some("engine/a")
        );
        assert_eq!(c("a.sig").unwrap().kind, SignatureKind::Raw);
        assert_eq!(c("a.sigstore.json").unwrap().target.as_deref(), Some("a"));
        assert_eq!(c("x-1.0.intoto.jsonl").unwrap().kind, SignatureKind::Dsse);
        assert_eq!(c("a.asc").unwrap().kind, SignatureKind::Openpgp);
        // A binary OpenPGP public key (tag 6, one-byte length) is a
        // keyring file, not a signature.
        assert!(
            classify(
                "keys/archive-keyring.gpg",
                Some(&[0x99, 0x00, 0x01, 0x04, 0xB4, 0x00])
            )
            .is_none()
        );
        assert_eq!(
            classify("InRelease", Some(b"x")).unwrap().target.as_deref(),
            Some("InRelease")
        );
        assert!(c("dir/.p7s").unwrap().target.is_none(), "no target name");
        assert!(c("README.md").is_none());
        assert!(is_candidate("SHA256SUMS"));
    }
}

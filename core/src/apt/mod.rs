//! apt repositories: the chain from the policy's OpenPGP keyrings to each
//! `.deb`, as DebianRepository/Format
//! (<https://wiki.debian.org/DebianRepository/Format>) lays it out.
//!
//! ```text
//! keyring ─signs─▶ Release (InRelease, or Release + Release.gpg)
//!                   │ Date / Valid-Until judged at the validation time
//!                   └─SHA256+size─▶ index (Packages, Sources; plain, .gz, .xz)
//!                                    └─SHA256+Size─▶ .deb
//! ```
//!
//! ```no_run
//! use glassbox_core::apt::{AptInputs, verify};
//! # let policy: glassbox_core::policy::TrustPolicy = unimplemented!();
//! let inputs = AptInputs {
//!     release: "InRelease".into(),
//!     release_gpg: None,
//!     indexes: vec!["Packages".into()],
//!     debs: vec!["ldb-tools_2.6.2_amd64.deb".into()],
//! };
//! let result = verify(&inputs, &policy, None, time::OffsetDateTime::now_utc())?;
//! assert!(result.verified, "{:?}", result.failures);
//! # Ok::<(), glassbox_core::apt::AptError>(())
//! ```
//!
//! Every link is checked and reported; the chain verifies only when every
//! link holds (fail closed): a Release signature that fails, a Release
//! past its `Valid-Until` or from the future of the validation time, an
//! index the Release does not list (or lists with another digest), a
//! `.deb` no verified index lists — each is a [`Failure`] naming the link
//! (`check`) and the reason. Files that cannot be read at all are
//! [`AptError`]s (input errors).
//!
//! A mirror directory (`dists/…`, `pool/…`) is found and verified by
//! [`mirror`], which `glassbox verify` uses to cover a mirror's files.

pub mod deb;
pub mod deb822;
pub mod debsig;
pub mod index;
pub mod mirror;
pub mod release_file;
mod signature;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;

use crate::digest::{DigestSet, Sha256Digest};
use crate::policy::{TrustPolicy, ValidationTime};
use crate::sig::release::{
    CoverageStatus, CoveredBy, Failure, ReleaseVerification, SignatureKind, SignatureResult,
};
pub use index::{IndexKind, PackageStanza};
pub use release_file::{AptRelease, Listed};
pub use signature::ReleaseSignatures;

/// What `glassbox apt verify` is given.
#[derive(Clone, Debug, Default)]
pub struct AptInputs {
    /// `InRelease` (clearsigned), or `Release` with [`Self::release_gpg`].
    pub release: PathBuf,
    /// `Release.gpg`: detached signatures over `release`.
    pub release_gpg: Option<PathBuf>,
    /// Index files, each checked against the Release file.
    pub indexes: Vec<PathBuf>,
    /// Packages, each checked against the verified indexes.
    pub debs: Vec<PathBuf>,
}

/// A file that could not be read: an input error, not a verdict.
#[derive(Debug, thiserror::Error)]
pub enum AptError {
    /// The file cannot be opened or read, or is over its size limit.
    #[error("{}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The Release link: its signatures and the fields judged.
#[derive(Clone, Debug, Serialize)]
pub struct ReleaseLink {
    /// The Release or InRelease file.
    pub file: String,
    /// `Release.gpg`, when the signatures are detached.
    pub signature_file: Option<String>,
    /// Every signature, with its verdict.
    pub signatures: ReleaseSignatures,
    /// The parsed Release file, when its signed text could be parsed.
    pub release: Option<AptRelease>,
    /// True when every signature verified and the fields hold at the
    /// validation time.
    pub verified: bool,
}

/// One index file checked against the Release.
#[derive(Clone, Debug, Serialize)]
pub struct IndexLink {
    /// The file as given.
    pub file: String,
    /// The path the Release lists it as (under `dists/DIST/`), if any.
    pub listed_as: Option<String>,
    /// Packages, Sources or another listed file.
    pub kind: IndexKind,
    /// Its size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: Sha256Digest,
    /// Stanzas read from it.
    pub stanzas: u64,
    /// True when the Release lists it with this digest and size and its
    /// stanzas were read.
    pub verified: bool,
}

/// One `.deb` checked against the indexes.
#[derive(Clone, Debug, Serialize)]
pub struct PackageLink {
    /// The file as given.
    pub file: String,
    /// The package, from the index stanza (or from the `.deb`'s own
    /// control file when no stanza has its digest).
    pub package: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// Its architecture.
    pub architecture: Option<String>,
    /// The index that lists it (its `listed_as`), when one does.
    pub index: Option<String>,
    /// The stanza's `Filename`.
    pub filename: Option<String>,
    /// Its size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: Sha256Digest,
    /// The debsigs signature members embedded in it (`_gpgorigin`, ...)
    /// that verified ([`debsig`]); one that fails fails the package.
    pub embedded_signatures: Vec<String>,
    /// True when a verified index lists this digest and size (and every
    /// embedded signature verified).
    pub verified: bool,
}

/// The verdict on one apt chain.
#[derive(Clone, Debug, Serialize)]
pub struct AptVerification {
    /// The instant `Date` and `Valid-Until` were judged at.
    #[serde(with = "crate::sig::rfc3339")]
    pub validation_time: OffsetDateTime,
    /// The Release link.
    pub release: ReleaseLink,
    /// Each index, in the order given.
    pub indexes: Vec<IndexLink>,
    /// Each `.deb`, in the order given.
    pub packages: Vec<PackageLink>,
    /// Every failed check; `check` names the link (`apt-release-signature`,
    /// `apt-release`, `apt-valid-until`, `apt-date`, `apt-index`,
    /// `apt-package`).
    pub failures: Vec<Failure>,
    /// True when every link of the chain holds.
    pub verified: bool,
}

/// The instant the chain is judged at: `at` (`--at`), else the policy's
/// `[validation] time` when fixed, else `now`. `signing-time` has no
/// trusted time in apt (the Release's own `Date` is what is judged), so
/// it means `now`.
pub fn validation_time(
    policy: &TrustPolicy,
    at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> OffsetDateTime {
    match (at, policy.validation_time) {
        (Some(t), _) => t,
        (None, ValidationTime::Fixed(t)) => t,
        (None, ValidationTime::Now | ValidationTime::SigningTime) => now,
    }
}

/// Size and SHA-256 of a file given by the operator.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, Sha256Digest), AptError> {
    let read = |e: std::io::Error| AptError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut f = crate::fsio::open_regular(path, true).map_err(read)?;
    let (d, size) = crate::digest::hash_reader(&mut f, DigestSet::default()).map_err(read)?;
    Ok((size, d.sha256))
}

/// The whole file at `path`, at most `max` bytes.
pub(crate) fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, AptError> {
    crate::fsio::read_file_capped(path, max).map_err(|e| AptError::Read {
        path: path.to_path_buf(),
        reason: match e {
            crate::fsio::ReadFileError::Io { source, .. } => source.to_string(),
            e => e.to_string(),
        },
    })
}

fn fail(out: &mut Vec<Failure>, file: &str, signature: &str, check: &str, reason: String) {
    out.push(Failure {
        file: file.to_string(),
        signature: signature.to_string(),
        check: check.to_string(),
        reason,
    });
}

/// Checks `Date` and `Valid-Until` ("Date, Valid-Until" in the spec) at
/// `at`: a Release made after `at`, or valid only until before `at`, fails.
fn check_times(release: &AptRelease, file: &str, at: OffsetDateTime, failures: &mut Vec<Failure>) {
    let fmt = crate::sig::fmt_time;
    if release.date > at {
        fail(
            failures,
            file,
            "",
            "apt-date",
            format!(
                "the Release is dated {}, after the validation time {}: a Release from the future \
                 is not trusted; check the clock or give --at",
                fmt(release.date),
                fmt(at)
            ),
        );
    }
    if let Some(until) = release.valid_until
        && until < at
    {
        fail(
            failures,
            file,
            "",
            "apt-valid-until",
            format!(
                "the Release was valid until {}, before the validation time {}: a mirror could be \
                 replaying an old Release; fetch a fresh one (or give --at for a past audit)",
                fmt(until),
                fmt(at)
            ),
        );
    }
}

/// Which Release entry an index file is: the entry whose path is a suffix
/// of the file's path (`…/dists/DIST/main/binary-amd64/Packages`), else the
/// entry of the same file name with the file's digest and size. `Err`
/// says why none is.
fn identify_index(
    path: &Path,
    size: u64,
    sha256: Sha256Digest,
    release: &AptRelease,
) -> Result<String, String> {
    let given = path.to_string_lossy();
    let best = release
        .files
        .keys()
        .filter(|p| given == p.as_str() || given.ends_with(&format!("/{p}")))
        .max_by_key(|p| p.len());
    if let Some(p) = best {
        let l = release.files[p];
        if l.sha256 == sha256 && l.size == size {
            return Ok(p.clone());
        }
        return Err(format!(
            "the Release lists {p} with sha256 {} and {} bytes; this file has sha256 {sha256} \
             and {size} bytes: it is not the index the Release signs",
            l.sha256, l.size
        ));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let same_name: Vec<&String> = release
        .files
        .keys()
        .filter(|p| p.rsplit('/').next() == Some(name.as_str()))
        .collect();
    if let Some(p) = same_name.iter().find(|p| {
        let l = release.files[p.as_str()];
        l.sha256 == sha256 && l.size == size
    }) {
        return Ok((*p).clone());
    }
    Err(if same_name.is_empty() {
        format!("the Release lists no file named {name}")
    } else {
        format!(
            "none of the {} files named {name} in the Release has sha256 {sha256} and {size} \
             bytes: this is not an index the Release signs",
            same_name.len()
        )
    })
}

/// Verifies one apt chain at the validation time ([`validation_time`] of
/// `at` and `now`).
pub fn verify(
    inputs: &AptInputs,
    policy: &TrustPolicy,
    at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<AptVerification, AptError> {
    let at = validation_time(policy, at, now);
    let mut failures = Vec::new();
    let release = release_link(inputs, policy, at, &mut failures)?;
    let parsed = release.release.as_ref();
    let mut indexes = Vec::new();
    // digest → (stanza, index) for every package of a verified index.
    let mut listed: HashMap<Sha256Digest, Vec<(PackageStanza, String)>> = HashMap::new();
    let mut reading = index::OneReading::default();
    for path in &inputs.indexes {
        let (link, read) = index_link(path, parsed, &mut failures)?;
        let Some(read) = read else {
            indexes.push(link);
            continue;
        };
        let listed_as = link.listed_as.as_deref().unwrap_or_default();
        for reason in reading.add(listed_as, listed_as, &read) {
            fail(&mut failures, &link.file, "", "apt-index", reason);
        }
        for s in read.content.packages {
            listed
                .entry(s.sha256)
                .or_default()
                .push((s, link.listed_as.clone().unwrap_or_default()));
        }
        indexes.push(link);
    }
    let mut packages = Vec::new();
    for path in &inputs.debs {
        let mut link = package_link(path, &listed, &reading, &indexes, &mut failures)?;
        embedded_signatures(path, &mut link, policy, at, &mut failures)?;
        packages.push(link);
    }
    failures.sort();
    failures.dedup();
    Ok(AptVerification {
        validation_time: at,
        verified: failures.is_empty(),
        release,
        indexes,
        packages,
        failures,
    })
}

/// The Release link of the files at `inputs`.
fn release_link(
    inputs: &AptInputs,
    policy: &TrustPolicy,
    at: OffsetDateTime,
    failures: &mut Vec<Failure>,
) -> Result<ReleaseLink, AptError> {
    let file = inputs.release.display().to_string();
    let bytes = read_capped(&inputs.release, release_file::MAX_RELEASE_BYTES)?;
    let gpg = match &inputs.release_gpg {
        Some(p) => Some((
            p.display().to_string(),
            read_capped(p, crate::sig::openpgp::MAX_SIGNATURE_INPUT as u64)?,
        )),
        None => None,
    };
    let gpg = gpg.as_ref().map(|(n, b)| (n.as_str(), b.as_slice()));
    Ok(release_link_of(&file, &bytes, gpg, policy, at, failures))
}

/// The Release link: signatures, then the signed text parsed, then its
/// times (shared by `apt verify` and mirror coverage).
pub(crate) fn release_link_of(
    file: &str,
    bytes: &[u8],
    gpg: Option<(&str, &[u8])>,
    policy: &TrustPolicy,
    at: OffsetDateTime,
    failures: &mut Vec<Failure>,
) -> ReleaseLink {
    let before = failures.len();
    let (signatures, signed_text) = signature::verify(file, bytes, gpg, policy, at, failures);
    let release = signed_text.and_then(|text| match AptRelease::parse(&text) {
        Ok(r) => {
            check_times(&r, file, at, failures);
            Some(r)
        }
        Err(e) => {
            fail(
                failures,
                file,
                gpg.map(|(n, _)| n).unwrap_or(""),
                "apt-release",
                format!(
                    "{e}; the Release file cannot be read one way, so nothing it lists is trusted"
                ),
            );
            None
        }
    });
    ReleaseLink {
        verified: failures.len() == before,
        file: file.to_string(),
        signature_file: gpg.map(|(n, _)| n.to_string()),
        signatures,
        release,
    }
}

fn index_link(
    path: &Path,
    release: Option<&AptRelease>,
    failures: &mut Vec<Failure>,
) -> Result<(IndexLink, Option<index::ReadIndex>), AptError> {
    // Read once: the bytes hashed are the bytes parsed.
    let bytes = read_capped(path, index::MAX_INDEX_FILE_BYTES)?;
    let (size, sha256) = (bytes.len() as u64, Sha256Digest::of(&bytes));
    let file = path.display().to_string();
    let mut link = IndexLink {
        file: file.clone(),
        listed_as: None,
        kind: IndexKind::of(&file),
        size,
        sha256,
        stanzas: 0,
        verified: false,
    };
    let Some(release) = release else {
        fail(
            failures,
            &file,
            "",
            "apt-index",
            "not checked: the Release link gave no readable Release file".into(),
        );
        return Ok((link, None));
    };
    let listed_as = match identify_index(path, size, sha256, release) {
        Ok(p) => p,
        Err(reason) => {
            fail(failures, &file, "", "apt-index", reason);
            return Ok((link, None));
        }
    };
    link.kind = IndexKind::of(&listed_as);
    link.listed_as = Some(listed_as.clone());
    match index::read_index(&bytes, &listed_as) {
        Ok(read) => {
            link.stanzas = read.content.stanzas;
            link.verified = true;
            Ok((link, Some(read)))
        }
        Err(e) => {
            fail(
                failures,
                &file,
                "",
                "apt-index",
                format!("{listed_as}: {e}; the index is signed but cannot be read one way"),
            );
            Ok((link, None))
        }
    }
}

fn package_link(
    path: &Path,
    listed: &HashMap<Sha256Digest, Vec<(PackageStanza, String)>>,
    reading: &index::OneReading,
    indexes: &[IndexLink],
    failures: &mut Vec<Failure>,
) -> Result<PackageLink, AptError> {
    let (size, sha256) = hash_file(path)?;
    let file = path.display().to_string();
    let mut link = PackageLink {
        file: file.clone(),
        package: None,
        version: None,
        architecture: None,
        index: None,
        filename: None,
        size,
        sha256,
        embedded_signatures: Vec::new(),
        verified: false,
    };
    if let Some((s, index)) = listed
        .get(&sha256)
        .and_then(|v| v.iter().find(|(s, _)| s.size == size))
    {
        link.package = Some(s.package.clone());
        link.version = Some(s.version.clone());
        link.architecture = Some(s.architecture.clone());
        link.index = Some(index.clone());
        link.filename = Some(s.filename.clone());
        if reading.is_ambiguous(&s.filename) {
            let reason = format!(
                "{} {} {}: the indexes list it with two different .debs (see the apt-index \
                 failure): which one apt installs depends on its configuration, so this file \
                 cannot be said to be the package",
                s.package, s.version, s.architecture
            );
            fail(failures, &file, "", "apt-package", reason);
            return Ok(link);
        }
        link.verified = true;
        return Ok(link);
    }
    // Not listed by digest: name what the package claims to be, and the
    // stanza that lists that package with another digest, if one does.
    let reason = match deb::identity(path) {
        Ok(id) => {
            link.package = Some(id.package.clone());
            link.version = Some(id.version.clone());
            link.architecture = Some(id.architecture.clone());
            let named = format!("{} {} {}", id.package, id.version, id.architecture);
            let stanza = listed.values().flatten().find(|(s, _)| {
                s.package == id.package
                    && s.version == id.version
                    && s.architecture == id.architecture
            });
            match stanza {
                Some((s, index)) => {
                    link.index = Some(index.clone());
                    link.filename = Some(s.filename.clone());
                    format!(
                        "{named}: {index} lists sha256 {} and {} bytes, this file has sha256 \
                         {sha256} and {size} bytes: it is not the package the index signs",
                        s.sha256, s.size
                    )
                }
                None => format!("{named}: {}", not_listed(sha256, indexes)),
            }
        }
        Err(e) => format!(
            "{}; its control file could not be read to name it: {e}",
            not_listed(sha256, indexes)
        ),
    };
    fail(failures, &file, "", "apt-package", reason);
    Ok(link)
}

/// A `.deb` that carries embedded debsigs signatures: both its apt chain
/// and every embedded signature must hold (the package is read through the
/// release reader as its own release, as `glassbox verify` reads it).
fn embedded_signatures(
    path: &Path,
    link: &mut PackageLink,
    policy: &TrustPolicy,
    at: OffsetDateTime,
    failures: &mut Vec<Failure>,
) -> Result<(), AptError> {
    use crate::sig::release::ReleaseAccess;
    let read = |e: crate::release::ReleaseError| AptError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let deb = match crate::release::Release::open(path, &crate::sig::release::read_options()) {
        Ok(d) => d,
        // Not a package the reader reads one way: the chain judged its
        // bytes; there are no embedded signatures to speak of.
        Err(e) if e.is_refusal() => return Ok(()),
        Err(e) => return Err(read(e)),
    };
    let files = deb.listing().files;
    let policy = signature::judged_at(policy, at);
    let found = debsig::cover_package(&deb, &files, &policy, at).map_err(read)?;
    for s in found.signatures {
        if s.verified {
            link.embedded_signatures.push(s.signature);
            continue;
        }
        link.verified = false;
        for f in s.failures {
            fail(
                failures,
                &link.file,
                &s.signature,
                "debsig",
                format!("embedded {}: {}", s.signature, f.reason),
            );
        }
    }
    Ok(())
}

fn not_listed(sha256: Sha256Digest, indexes: &[IndexLink]) -> String {
    let verified = indexes.iter().filter(|i| i.verified).count();
    if verified == 0 {
        return format!(
            "sha256 {sha256} cannot be looked up: no index verified against the Release \
             (give the Packages index with --index)"
        );
    }
    format!("no verified index lists sha256 {sha256} ({verified} index(es) searched)")
}

/// The verdict of a chain as a [`SignatureResult`] of a release
/// verification (kind [`SignatureKind::Apt`]): `signature` is the chain's
/// Release file or Release.gpg, `covers` what the chain vouches for.
pub(crate) fn chain_result(
    signature: &str,
    link: &ReleaseLink,
    covers: Vec<String>,
    verified: bool,
    failures: Vec<Failure>,
) -> SignatureResult {
    SignatureResult {
        signature: signature.to_string(),
        kind: SignatureKind::Apt,
        targets: vec![link.file.clone()],
        covers,
        verified,
        // Who signed the Release, as continuity compares OpenPGP signers.
        signers: link
            .signatures
            .iter()
            .flat_map(|d| &d.signatures)
            .filter(|s| s.verified)
            .filter_map(crate::sig::openpgp::release::signer_id)
            .collect(),
        time: None,
        cms: None,
        openpgp: link.signatures.clone(),
        failures,
    }
}

/// Folds a chain verified beside a release (an audit case's `[verify]
/// apt_release`) into the release's verification: `debs[i]` is the
/// release path of the chain's `packages[i]`. Each package the chain
/// verified is covered by it (its unsigned-file failure, if the policy
/// required it signed, is lifted); every failed link fails the release.
pub fn fold_into_release(v: &mut ReleaseVerification, chain: &AptVerification, debs: &[String]) {
    let by_file: HashMap<&str, &str> = chain
        .packages
        .iter()
        .zip(debs)
        .map(|(p, d)| (p.file.as_str(), d.as_str()))
        .collect();
    let covered: Vec<String> = chain
        .packages
        .iter()
        .zip(debs)
        .filter(|(p, _)| p.verified && chain.release.verified)
        .map(|(_, d)| d.clone())
        .collect();
    let failures: Vec<Failure> = chain
        .failures
        .iter()
        .map(|f| Failure {
            file: by_file
                .get(f.file.as_str())
                .map_or(f.file.clone(), |d| d.to_string()),
            ..f.clone()
        })
        .collect();
    let result = chain_result(
        &chain.release.file,
        &chain.release,
        covered.clone(),
        chain.verified,
        failures.clone(),
    );
    v.failures
        .retain(|f| !(f.check == "coverage" && covered.contains(&f.file)));
    v.failures.extend(failures);
    v.failures.sort();
    v.failures.dedup();
    let failed: std::collections::HashSet<&str> =
        v.failures.iter().map(|f| f.file.as_str()).collect();
    for f in v.files.iter_mut().filter(|f| covered.contains(&f.path)) {
        f.covered_by.push(CoveredBy {
            signature: result.signature.clone(),
            kind: SignatureKind::Apt,
            manifest: None,
            signers: result.signers.clone(),
            time: None,
        });
        if !failed.contains(f.path.as_str()) {
            f.status = CoverageStatus::Verified;
        }
    }
    v.signatures.push(result);
    v.verified = v.failures.is_empty();
}

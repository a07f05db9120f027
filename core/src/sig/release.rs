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
//! | `X.asc`, `X.gpg` | OpenPGP: recognised, not verified (fails) |
//! | `SHA256SUMS`, `SHA256SUMS.txt`, `sha256sum.txt`, `CHECKSUMS.sha256` | checksum manifest, used once a signature over it verifies |
//!
//! Verdict rules (fail closed): any signature that fails is a failure, even
//! when another signature covers the same file; a signature whose target
//! is missing fails; a manifest line whose file is missing or differs
//! fails; a file the policy requires signed that nothing verified covers
//! fails.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::OffsetDateTime;

use super::cms::{self, CmsSignature, CmsVerified, ContentDigests, DigestAlgorithm};
use super::manifest;
use crate::digest::{Sha256Digest, Sha512Digest};
use crate::keys::{KeyAlgorithm, PublicKey, SignatureScheme};
use crate::policy::{SanMatch, TrustPolicy};

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

/// What the release verifier needs from a release: its file list and the
/// content of some files. Implemented for [`crate::release::Release`].
pub trait ReleaseAccess {
    /// Every regular file.
    fn files(&self) -> Vec<ReleaseFile>;
    /// The whole content of each of `paths`, each at most `max_bytes`.
    fn read_files(
        &self,
        paths: &BTreeSet<String>,
        max_bytes: u64,
    ) -> Result<BTreeMap<String, Vec<u8>>, String>;
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
    /// OpenPGP (recognised, not verified).
    Openpgp,
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

/// Coverage of one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileCoverage {
    /// Release-relative path.
    pub path: String,
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
    /// Every file and how it stands.
    pub files: Vec<FileCoverage>,
    /// Distinct signers that verified anything.
    pub signers: Vec<SignerId>,
    /// Every failed check.
    pub failures: Vec<Failure>,
    /// True when nothing failed and every required file is covered.
    pub verified: bool,
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
    if path.ends_with(".sig") {
        let is_cms = content.is_some_and(|c| CmsSignature::parse(c).is_ok());
        return d(
            if is_cms {
                SignatureKind::Cms
            } else {
                SignatureKind::Raw
            },
            ".sig",
        );
    }
    for suffix in [".asc", ".gpg"] {
        if path.ends_with(suffix) {
            return d(SignatureKind::Openpgp, suffix);
        }
    }
    None
}

fn is_candidate(path: &str) -> bool {
    classify(path, None).is_some() || manifest::is_manifest_name(file_name(path))
}

/// Verifies every signature in a release and reports coverage.
pub fn verify_release(
    release: &dyn ReleaseAccess,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<ReleaseVerification, String> {
    let files = release.files();
    let by_path: BTreeMap<&str, &ReleaseFile> =
        files.iter().map(|f| (f.path.as_str(), f)).collect();
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

    let mut failures = Vec::new();
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
        .filter_map(|(p, c)| classify(p, Some(c)))
        .collect();
    let signature_files: BTreeSet<&str> = discovered.iter().map(|d| d.signature.as_str()).collect();

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
            SignatureKind::Cms => {
                let algs = CmsSignature::parse(&contents[&d.signature])
                    .and_then(|s| s.digest_algorithms())
                    .unwrap_or_default();
                if known_digests(by_path[t], &algs).is_none() {
                    need_bytes.insert(t.to_string());
                }
            }
            SignatureKind::Dsse | SignatureKind::Openpgp => {}
        }
    }
    let target_bytes = if need_bytes.is_empty() {
        BTreeMap::new()
    } else {
        release.read_files(&need_bytes, MAX_CONTENT_BYTES)?
    };

    let mut signatures = Vec::new();
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
                verify_envelopes(d, bytes, &files, None, policy)
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

    // Manifests, once a signature over them verified.
    let mut manifests = Vec::new();
    let mut manifest_cover: BTreeMap<String, Vec<CoveredBy>> = BTreeMap::new();
    for (path, text) in contents
        .iter()
        .filter(|(p, _)| manifest::is_manifest_name(file_name(p)))
    {
        let signed: Vec<&SignatureResult> = signatures
            .iter()
            .filter(|s| s.covers.iter().any(|t| t == path))
            .collect();
        if signed.is_empty() {
            continue;
        }
        let sig_names = signed
            .iter()
            .map(|s| s.signature.clone())
            .collect::<Vec<_>>()
            .join(", ");
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
        let mut listed = BTreeSet::new();
        for line in lines {
            let full = format!("{dir}{}", line.path);
            listed.insert(full.clone());
            match by_path.get(full.as_str()) {
                Some(f) if f.sha256 == line.sha256 => {
                    m.matched.push(full.clone());
                    for s in &signed {
                        manifest_cover
                            .entry(full.clone())
                            .or_default()
                            .push(CoveredBy {
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
        m.unlisted = files
            .iter()
            .map(|f| f.path.clone())
            .filter(|p| {
                p.starts_with(dir)
                    && !listed.contains(p)
                    && p != path
                    && !signature_files.contains(p.as_str())
            })
            .collect();
        manifests.push(m);
    }

    // Coverage of every file.
    let mut covered: BTreeMap<String, Vec<CoveredBy>> = manifest_cover;
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
    let mut coverage = Vec::new();
    for f in &files {
        let required = policy.coverage.must_be_signed(&f.path);
        if signature_files.contains(f.path.as_str()) {
            coverage.push(FileCoverage {
                path: f.path.clone(),
                status: CoverageStatus::Signature,
                required: false,
                covered_by: Vec::new(),
            });
            continue;
        }
        let by = covered.remove(&f.path).unwrap_or_default();
        let failed = failures.iter().any(|x| x.file == f.path);
        let status = if failed {
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
            status,
            required,
            covered_by: by,
        });
    }

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
        SignatureKind::Openpgp => failed(
            &d,
            targets,
            &target.path,
            "supported",
            "OpenPGP signatures are not verified by glassbox".into(),
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
        SignatureKind::Dsse => verify_envelopes(&d, sig, &[], Some(target), policy),
    }
}

/// The policy's pinned keys, parsed.
fn pinned_keys(policy: &TrustPolicy) -> Vec<(String, PublicKey)> {
    policy
        .keys
        .iter()
        .filter_map(|k| {
            PublicKey::from_spki_der(&k.spki_der)
                .ok()
                .map(|p| (k.name.clone(), p))
        })
        .collect()
}

/// The policy's allow-list and key sizes applied to a key-level scheme.
fn check_scheme(
    scheme: SignatureScheme,
    key: &PublicKey,
    policy: &TrustPolicy,
) -> Result<(), String> {
    let a = &policy.algorithms;
    if !a.allowed.contains(&scheme) {
        return Err(format!("{} is not in algorithms.allowed", scheme.name()));
    }
    match key.algorithm() {
        KeyAlgorithm::Rsa { bits } if (bits as u64) < u64::from(a.min_rsa_bits) => Err(format!(
            "RSA key of {bits} bits is below algorithms.min_rsa_bits = {}",
            a.min_rsa_bits
        )),
        KeyAlgorithm::EcdsaP256 if a.min_ec_bits > 256 => Err(format!(
            "P-256 key is below algorithms.min_ec_bits = {}",
            a.min_ec_bits
        )),
        _ => Ok(()),
    }
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
                check_scheme(v.scheme, key, policy).map_err(|e| ("algorithm-policy", e))?;
                return Ok(SignerId {
                    kind: SignerKind::PinnedKey,
                    name: name.clone(),
                    key_sha256: Sha256Digest::from_hex(&key.key_id()).ok(),
                    certificate_sha256: None,
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
        let trust = SigstoreTrust::from_json(root.trusted_root_json.as_bytes())
            .map_err(|e| ("sigstore", format!("{}: {e}", root.trusted_root.display())))?;
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
            match verify_bundle(bundle, Artifact::Bytes(content), rule, &trust) {
                Ok(v) => {
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
                        },
                        Some(name) => SignerId {
                            kind: SignerKind::PinnedKey,
                            name: name.clone(),
                            key_sha256: v
                                .key_id
                                .as_deref()
                                .and_then(|k| Sha256Digest::from_hex(k).ok()),
                            certificate_sha256: None,
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
    files: &[ReleaseFile],
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
                        check_scheme(s.scheme, key, policy).map_err(|e| ("algorithm-policy", e))?;
                    }
                }
                let st = v.statement().map_err(|e| ("statement", e.to_string()))?;
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
                files.iter().find(|f| f.path == path),
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
    if sig.starts_with(b"-----BEGIN PGP") {
        return SignatureKind::Openpgp;
    }
    SignatureKind::Raw
}

impl ReleaseAccess for crate::release::Release {
    fn files(&self) -> Vec<ReleaseFile> {
        self.entries
            .iter()
            .filter(|e| e.kind == crate::release::EntryKind::File && e.path.depth() == 0)
            .filter_map(|e| {
                let d = e.digests?;
                Some(ReleaseFile {
                    path: e.path.to_string(),
                    size: e.size,
                    sha256: d.sha256,
                    sha512: d.sha512,
                })
            })
            .collect()
    }

    fn read_files(
        &self,
        paths: &BTreeSet<String>,
        max_bytes: u64,
    ) -> Result<BTreeMap<String, Vec<u8>>, String> {
        use std::io::Read;
        let mut out = BTreeMap::new();
        self.visit_contents(
            &|e| e.path.depth() == 0 && paths.contains(&e.path.to_string()),
            &mut |e, r| {
                let mut buf = Vec::new();
                r.take(max_bytes + 1)
                    .read_to_end(&mut buf)
                    .map_err(|x| crate::release::ReleaseError::from_io(&e.path, x))?;
                if buf.len() as u64 > max_bytes {
                    return Err(crate::release::ReleaseError::TooLarge {
                        path: e.path.clone(),
                        size: buf.len() as u64,
                        max: max_bytes,
                    });
                }
                // A duplicated name: the first in container order counts,
                // as in the listing.
                out.entry(e.path.to_string()).or_insert(buf);
                Ok(())
            },
        )
        .map_err(|e| e.to_string())?;
        Ok(out)
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
        assert!(c("dir/.p7s").unwrap().target.is_none(), "no target name");
        assert!(c("README.md").is_none());
        assert!(is_candidate("SHA256SUMS"));
    }
}

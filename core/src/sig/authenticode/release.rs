//! Authenticode inside a release: every PE file — recognised by content
//! ([`looks_like_pe`]), whatever its name — that carries a certificate
//! table is covered by its own signatures, and only by them; a file whose
//! name claims a PE image ([`is_pe_name`]) but that is not one fails. The
//! release verifier calls [`verify_pe_files`] once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use time::OffsetDateTime;

use std::io::Read as _;

use super::catalog::{CatalogVerification, MemberHash, is_catalog_name, verify_catalog};
use super::{
    DOS_HEADER_LEN, PeImage, PeVerification, is_pe_name, looks_like_pe, pe_signature_offset,
    verify_pe,
};
use crate::policy::TrustPolicy;
use crate::release::ReleaseError;
use crate::sig::cms::DigestAlgorithm;
use crate::sig::release::{
    Failure, MAX_CONTENT_BYTES, ReleaseAccess, ReleaseFile, SignatureKind, SignatureResult,
    SignerId, cms_signer_id,
};

/// The Authenticode verdict on one PE file of a release.
#[derive(Clone, Debug, Serialize)]
pub struct PeFile {
    /// Release-relative path.
    pub path: String,
    /// The verdict.
    #[serde(flatten)]
    pub result: PeVerification,
}

/// What the PE files of a release contribute: one signature result each
/// (the file is its own signature) and the Authenticode details.
#[derive(Debug, Default)]
pub struct PeCoverage {
    /// One per signed PE file, for the release's signature list.
    pub signatures: Vec<SignatureResult>,
    /// The details, in the same order.
    pub files: Vec<PeFile>,
    /// Files that are not what their name says (a `.exe` that is not a PE
    /// image), and what catalogs found wrong.
    pub failures: Vec<Failure>,
}

impl PeVerification {
    /// The continuity identities of the signatures that verified.
    pub fn signer_ids(&self) -> Vec<SignerId> {
        self.signatures
            .iter()
            .filter(|s| s.verified)
            .filter_map(|s| s.signer.as_ref().map(cms_signer_id))
            .collect()
    }

    /// Whether the file carries no Authenticode signature at all (or is
    /// not a PE image): then nothing claims to sign it and coverage alone
    /// judges it.
    pub fn is_unsigned(&self) -> bool {
        self.signatures.is_empty()
            && self
                .failures
                .iter()
                .all(|f| f.check == "unsigned" || f.check == "pe-parse")
    }

    /// This verdict as a release signature result for the file at `path`.
    pub fn signature_result(&self, path: &str) -> SignatureResult {
        let signers = self.signer_ids();
        SignatureResult {
            signature: path.to_string(),
            kind: SignatureKind::Authenticode,
            targets: vec![path.to_string()],
            covers: if self.verified {
                vec![path.to_string()]
            } else {
                Vec::new()
            },
            verified: self.verified,
            signers,
            time: self
                .signatures
                .iter()
                .filter(|s| s.verified)
                .filter_map(|s| s.signer.as_ref()?.timestamp.as_ref().map(|t| t.gen_time))
                .max(),
            cms: None,
            openpgp: None,
            failures: self
                .failures
                .iter()
                .map(|f| Failure {
                    file: path.to_string(),
                    signature: path.to_string(),
                    check: f.check.clone(),
                    reason: if f.signature.is_empty() {
                        f.reason.clone()
                    } else {
                        format!("Authenticode signature {}: {}", f.signature, f.reason)
                    },
                })
                .collect(),
        }
    }
}

/// Verifies the embedded signatures of every PE image of `files`,
/// recognised by content: each file's MS-DOS header is read, and only a
/// file starting with `MZ` is read whole (one at a time, up to
/// [`MAX_CONTENT_BYTES`]; a larger one is left unsigned for coverage to
/// judge). A file named like a PE image that is not one is a failure.
pub fn verify_pe_files(
    release: &dyn ReleaseAccess,
    files: &[ReleaseFile],
    catalogs: &[(String, CatalogVerification)],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<PeCoverage, ReleaseError> {
    // The Authenticode digests catalogs list, computed for every PE image.
    let algs: BTreeSet<DigestAlgorithm> = catalogs
        .iter()
        .flat_map(|(_, c)| &c.members)
        .filter(|m| m.hash == MemberHash::PeImage)
        .map(|m| m.digest_algorithm)
        .collect();
    let mut pe_digests: HashMap<String, Vec<(DigestAlgorithm, String)>> = HashMap::new();
    let paths: BTreeSet<String> = files
        .iter()
        .filter(|f| f.size >= DOS_HEADER_LEN as u64 || is_pe_name(&f.path))
        .map(|f| f.path.clone())
        .collect();
    let mut out = PeCoverage::default();
    release.visit_readers(&paths, &mut |path, size, r| {
        let mut head = Vec::with_capacity(DOS_HEADER_LEN);
        r.take(DOS_HEADER_LEN as u64).read_to_end(&mut head)?;
        let bytes = if head.starts_with(b"MZ") && size <= MAX_CONTENT_BYTES {
            let rest = crate::fsio::read_capped(
                r,
                MAX_CONTENT_BYTES - head.len() as u64,
                size.saturating_sub(head.len() as u64),
            )?;
            head.extend_from_slice(&rest.bytes);
            head
        } else {
            head
        };
        if !looks_like_pe(&bytes) {
            if is_pe_name(path) && !(bytes.starts_with(b"MZ") && size > MAX_CONTENT_BYTES) {
                out.failures.push(not_a_pe(path, &bytes));
            }
            return Ok(());
        }
        // A PE image whose layout glassbox refuses has no digest: no
        // catalog entry can match it (its own verdict says why).
        let digests = match PeImage::parse_maybe_unsigned(&bytes) {
            Ok(image) => algs
                .iter()
                .map(|&a| (a, hex::encode(image.digest(a))))
                .collect(),
            Err(_) => Vec::new(),
        };
        pe_digests.insert(path.to_string(), digests);
        let result = verify_pe(&bytes, policy, now);
        if result.is_unsigned() {
            return Ok(());
        }
        out.signatures.push(result.signature_result(path));
        out.files.push(PeFile {
            path: path.to_string(),
            result,
        });
        Ok(())
    })?;
    for (path, catalog) in catalogs {
        let result = cover(path, catalog, files, &pe_digests);
        out.failures.extend(result.failures.iter().cloned());
        out.signatures.push(result);
    }
    Ok(out)
}

/// Verifies every catalog among `contents` (the release's small files,
/// read whole): `(path, verdict)` for each file named `*.cat`.
pub fn verify_catalogs(
    contents: &BTreeMap<String, Vec<u8>>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Vec<(String, CatalogVerification)> {
    contents
        .iter()
        .filter(|(p, _)| is_catalog_name(p))
        .map(|(p, der)| (p.clone(), verify_catalog(der, policy, now)))
        .collect()
}

/// What the catalog at `cat` covers in the release: every file whose hash
/// (Authenticode digest for PE images, flat hash for other files — as
/// Windows computes it) a member lists, wherever it is; a member whose
/// `File` (looked up next to the catalog, case-insensitively as Windows
/// does) has another hash, or is missing, fails naming it. A catalog whose
/// signature fails covers nothing.
fn cover(
    cat: &str,
    catalog: &CatalogVerification,
    files: &[ReleaseFile],
    pe_digests: &HashMap<String, Vec<(DigestAlgorithm, String)>>,
) -> SignatureResult {
    let fail = |file: &str, check: &str, reason: String| Failure {
        file: file.to_string(),
        signature: cat.to_string(),
        check: check.into(),
        reason,
    };
    let mut failures: Vec<Failure> = catalog
        .failures
        .iter()
        .map(|f| fail(cat, &f.check, f.reason.clone()))
        .collect();
    // Hash -> files, as Windows would compute each file's hash.
    let mut by_hash: HashMap<(MemberHash, DigestAlgorithm, &str), Vec<&str>> = HashMap::new();
    let flat: Vec<(DigestAlgorithm, String, &str)> = files
        .iter()
        .filter(|f| !pe_digests.contains_key(&f.path))
        .flat_map(|f| {
            let sha512 = f
                .sha512
                .as_ref()
                .map(|d| (DigestAlgorithm::Sha512, d.to_hex()));
            std::iter::once((DigestAlgorithm::Sha256, f.sha256.to_hex()))
                .chain(sha512)
                .map(move |(a, d)| (a, d, f.path.as_str()))
        })
        .collect();
    for (alg, d, p) in &flat {
        by_hash
            .entry((MemberHash::Flat, *alg, d.as_str()))
            .or_default()
            .push(p);
    }
    for (p, digests) in pe_digests {
        for (alg, d) in digests {
            by_hash
                .entry((MemberHash::PeImage, *alg, d.as_str()))
                .or_default()
                .push(p);
        }
    }
    let dir = match cat.rfind('/') {
        Some(i) => &cat[..=i],
        None => "",
    };
    let mut covers = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for m in &catalog.members {
        let matched: &[&str] = by_hash
            .get(&(m.hash, m.digest_algorithm, m.digest.as_str()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        covers.extend(matched.iter().map(|p| p.to_string()));
        let Some(name) = &m.file else {
            if matched.is_empty() {
                failures.push(fail(
                    cat,
                    "catalog-missing",
                    format!(
                        "member {}: no file of the release has its {} {} hash",
                        m.tag,
                        kind_name(m.hash),
                        m.digest_algorithm.name()
                    ),
                ));
            }
            continue;
        };
        if name.contains(['/', '\\']) || name == ".." || name == "." {
            failures.push(fail(
                cat,
                "catalog-name",
                format!("member {}: File {name:?} is not a plain file name", m.tag),
            ));
            continue;
        }
        let named: Vec<&ReleaseFile> = files
            .iter()
            .filter(|f| {
                f.path.len() == dir.len() + name.len()
                    && f.path.starts_with(dir)
                    && f.path[dir.len()..].eq_ignore_ascii_case(name)
            })
            .collect();
        match named.as_slice() {
            [] => failures.push(fail(
                &format!("{dir}{name}"),
                "catalog-missing",
                format!("listed in {cat} (member {}) but not in the release", m.tag),
            )),
            [f] => {
                targets.insert(f.path.clone());
                if !matched.contains(&f.path.as_str()) {
                    failures.push(fail(
                        &f.path,
                        "catalog-digest",
                        format!(
                            "{cat} lists {name} with the {} {} hash {}; the file's is {}",
                            kind_name(m.hash),
                            m.digest_algorithm.name(),
                            m.digest,
                            actual(f, m.hash, m.digest_algorithm, pe_digests)
                        ),
                    ));
                }
            }
            more => failures.push(fail(
                &more[0].path,
                "catalog-name",
                format!(
                    "member {}: {} files are named {name} but for case; Windows cannot tell them apart",
                    m.tag,
                    more.len()
                ),
            )),
        }
    }
    let signed = catalog.signature.verified;
    SignatureResult {
        signature: cat.to_string(),
        kind: SignatureKind::Authenticode,
        targets: targets.into_iter().collect(),
        covers: if signed {
            covers.into_iter().collect()
        } else {
            Vec::new()
        },
        verified: failures.is_empty(),
        signers: catalog
            .signature
            .signer
            .iter()
            .filter(|_| signed)
            .map(cms_signer_id)
            .collect(),
        time: catalog
            .signature
            .signer
            .as_ref()
            .and_then(|s| s.timestamp.as_ref().map(|t| t.gen_time)),
        cms: None,
        openpgp: None,
        failures,
    }
}

fn kind_name(h: MemberHash) -> &'static str {
    match h {
        MemberHash::PeImage => "Authenticode",
        MemberHash::Flat => "flat",
    }
}

/// The file's own hash of the kind a member lists, for the failure.
fn actual(
    f: &ReleaseFile,
    hash: MemberHash,
    alg: DigestAlgorithm,
    pe_digests: &HashMap<String, Vec<(DigestAlgorithm, String)>>,
) -> String {
    match (hash, pe_digests.get(&f.path)) {
        (MemberHash::PeImage, Some(d)) => d
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| "not computable (its layout is refused)".into()),
        (MemberHash::PeImage, None) => "none: it is not a PE image".into(),
        (MemberHash::Flat, Some(_)) => {
            "none: it is a PE image, which Windows hashes with Authenticode, not flat".into()
        }
        (MemberHash::Flat, None) => match alg {
            DigestAlgorithm::Sha256 => f.sha256.to_hex(),
            DigestAlgorithm::Sha512 => f.sha512.as_ref().map(|d| d.to_hex()).unwrap_or_default(),
            DigestAlgorithm::Sha384 => format!(
                "not computed (glassbox lists files by sha256 {}; ask for a SHA-256 catalog)",
                f.sha256.to_hex()
            ),
        },
    }
}

/// The failure for a file whose name claims a PE image but whose content
/// is not one: Windows would refuse (or mis-load) it, and an auditor
/// should know what it really is.
fn not_a_pe(path: &str, bytes: &[u8]) -> Failure {
    let what = if !bytes.starts_with(b"MZ") {
        "it does not start with the MS-DOS header's `MZ`".to_string()
    } else {
        match pe_signature_offset(bytes) {
            None => "its MS-DOS header is truncated".to_string(),
            Some(at) => format!(
                "its MS-DOS header's e_lfanew ({at:#x}) does not point at the `PE\\0\\0` signature (an MS-DOS program or a damaged file)"
            ),
        }
    };
    Failure {
        file: path.to_string(),
        signature: String::new(),
        check: "not-pe".into(),
        reason: format!("named like a PE image but {what}; ask the vendor what this file is"),
    }
}

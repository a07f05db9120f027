//! RPM package signatures (rpm 4; RPM file format,
//! rpm.org/devel_doc/file_format.html, "Signature"), checked as a chain
//! whose every link is named when it fails:
//!
//! 1. **header signature**: the OpenPGP signatures in the signature header
//!    (RPMSIGTAG_RSA 268 for RSA, RPMSIGTAG_DSA 267 for DSA and EdDSA, as
//!    rpm 4.18 files them) over the main header's bytes, verified through
//!    [`crate::sig::openpgp`] with the policy's `[[openpgp]]` keyrings.
//!    Legacy header+payload signatures (RPMSIGTAG_PGP 1002, RPMSIGTAG_GPG
//!    1005) are verified over the header and payload bytes. MD5 and SHA-1
//!    digests (RPMSIGTAG_MD5, RPMSIGTAG_SHA1) never count. No signature at
//!    all fails as "not signed".
//! 2. **header SHA-256**: RPMSIGTAG_SHA256 (273) against the main header.
//! 3. **payload digest**: RPMTAG_PAYLOADDIGEST (5092, in the signed header)
//!    with RPMTAG_PAYLOADDIGESTALGO (5093) over the compressed payload.
//! 4. **file digests**: every file of the header's list against the
//!    payload bytes (the release reader's cross-check, `release::rpm`),
//!    with a SHA-2 FILEDIGESTALGO.
//!
//! The package verifies only when every link holds; then the signature
//! vouches for every file, link and directory of its payload.

use serde::Serialize;
use time::OffsetDateTime;

use crate::policy::TrustPolicy;
use crate::release::rpm::header::{self, Header, tag};
use crate::release::rpm::{Hasher, algo, file_list};
use crate::release::{ReadOptions, Release};
use crate::sig::openpgp::{self, DocumentVerification};
use crate::sig::release::{
    Failure, MAX_CONTENT_BYTES, ReleaseAccess, ReleaseFile, SignatureKind, SignatureResult,
};

/// One link of the chain and how it stood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Stable name: `header-signature`, `header-sha256`, `payload-digest`,
    /// `file-digests`.
    pub link: &'static str,
    /// Whether it held.
    pub ok: bool,
    /// What was checked, or why it failed.
    pub detail: String,
}

/// The verdict on one RPM package.
#[derive(Clone, Debug, Serialize)]
pub struct RpmVerification {
    /// `name-version-release.arch` from the signed header.
    pub package: String,
    /// Each link, in chain order.
    pub links: Vec<Link>,
    /// Every OpenPGP signature of the package with its verdict.
    pub openpgp: Option<DocumentVerification>,
    /// True when every link held.
    pub verified: bool,
}

/// Whether `bytes` start like an RPM package (the lead's magic).
pub fn looks_like_rpm(bytes: &[u8]) -> bool {
    bytes.starts_with(&header::LEAD_MAGIC)
}

/// Whether `path` is named like an RPM package.
pub fn is_rpm_name(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".rpm")
}

/// Verifies the package `bytes` (named `name` in messages) against
/// `policy` at `now`. Never fails: a package that cannot be read is a
/// verdict whose first link names why.
pub fn verify_package(
    name: &str,
    bytes: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> RpmVerification {
    verify_package_read(name, bytes, None, policy, now)
}

/// [`verify_package`], with the release reader's reading of the same bytes
/// when the caller has one (`glassbox verify x.rpm` opened it already):
/// the payload is then not decompressed a second time.
fn verify_package_read(
    name: &str,
    bytes: &[u8],
    opened: Option<&Release>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> RpmVerification {
    let mut links = Vec::new();
    let mut out = RpmVerification {
        package: String::new(),
        links: Vec::new(),
        openpgp: None,
        verified: false,
    };
    let layout = match header::read_layout(&mut &bytes[..]) {
        Ok(l) => l,
        Err(e) => {
            out.links.push(Link {
                link: "layout",
                ok: false,
                detail: format!("{e}; rpm cannot read this package either"),
            });
            return out;
        }
    };
    let (sig, main) = (&layout.signature, &layout.main);
    out.package = package_name(main);
    let payload = &bytes[layout.payload_offset as usize..];

    // 1. Header signatures.
    let (pgp, link) = header_signatures(sig, main, payload, policy, now);
    let legacy_verified = link.ok
        && pgp.as_ref().is_some_and(|v| v.verified)
        && (sig.has(tag::SIG_PGP) || sig.has(tag::SIG_GPG));
    links.push(link);
    out.openpgp = pgp;

    // 2. Header SHA-256.
    links.push(match sig.string(tag::SIG_SHA256) {
        Ok(Some(want)) => {
            let got = crate::digest::Sha256Digest::of(&main.bytes).to_hex();
            digest_link("header-sha256", "main header", want, &got, "SHA-256")
        }
        Ok(None) => Link {
            link: "header-sha256",
            ok: false,
            detail: "the signature header has no RPMSIGTAG_SHA256 (rpm ≥ 4.6 writes one); \
                     rebuild the package with a current rpm"
                .into(),
        },
        Err(e) => bad("header-sha256", e),
    });

    // 3. Payload digest, over the compressed payload.
    links.push(payload_link(main, payload, legacy_verified));

    // 4. File digests: the reader cross-checks each payload file against
    // the header's list and digests, and refuses any disagreement.
    links.push(files_link(name, bytes, opened, main));

    out.verified = links.iter().all(|l| l.ok);
    out.links = links;
    out
}

fn bad(link: &'static str, detail: String) -> Link {
    Link {
        link,
        ok: false,
        detail,
    }
}

fn digest_link(link: &'static str, what: &str, want: &[u8], got: &str, alg: &str) -> Link {
    if want.eq_ignore_ascii_case(got.as_bytes()) {
        Link {
            link,
            ok: true,
            detail: format!("{alg} of the {what} matches"),
        }
    } else {
        bad(
            link,
            format!(
                "the {what} has {alg} {got}, the package records {}: it was changed after \
                 the package was built; treat it as tampered",
                String::from_utf8_lossy(want)
            ),
        )
    }
}

/// `name-version-release.arch`, from the main header.
fn package_name(main: &Header) -> String {
    let s = |t| {
        main.string(t)
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "{}-{}-{}.{}",
        s(tag::NAME),
        s(tag::VERSION),
        s(tag::RELEASE),
        s(tag::ARCH)
    )
}

/// Verifies every OpenPGP signature the signature header holds: header-only
/// signatures over the main header, legacy ones over header and payload.
fn header_signatures(
    sig: &Header,
    main: &Header,
    payload: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> (Option<DocumentVerification>, Link) {
    const LINK: &str = "header-signature";
    if sig.has(tag::SIG_OPENPGP) {
        return (
            None,
            bad(
                LINK,
                "an rpm 6 RPMTAG_OPENPGP signature array: glassbox reads rpm 4 signatures \
                 (RSA 268, DSA 267) only"
                    .into(),
            ),
        );
    }
    let mut combined: Option<DocumentVerification> = None;
    let mut failures = Vec::new();
    let mut names = Vec::new();
    for (t, what, legacy) in [
        (tag::SIG_RSA, "RSA header signature (tag 268)", false),
        (tag::SIG_DSA, "DSA/EdDSA header signature (tag 267)", false),
        (
            tag::SIG_PGP,
            "legacy header+payload signature (tag 1002)",
            true,
        ),
        (
            tag::SIG_GPG,
            "legacy header+payload signature (tag 1005)",
            true,
        ),
    ] {
        let packet = match sig.bin(t) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                failures.push(format!("{what}: {e}"));
                continue;
            }
        };
        names.push(what);
        let joined;
        let content: &[u8] = if legacy {
            if (main.bytes.len() + payload.len()) as u64 > MAX_CONTENT_BYTES {
                failures.push(format!(
                    "{what}: header and payload are over the {MAX_CONTENT_BYTES}-byte limit \
                     for whole-content verification"
                ));
                continue;
            }
            joined = [&main.bytes[..], payload].concat();
            &joined
        } else {
            &main.bytes
        };
        match openpgp::verify_detached(packet, content, policy, now) {
            Ok(v) => {
                for s in &v.signatures {
                    if let Some(f) = &s.failure {
                        let reason = f.to_string();
                        failures.push(if reason.contains(&s.issuer) {
                            format!("{what}: {reason}")
                        } else {
                            format!("{what} by {}: {reason}", s.issuer)
                        });
                    }
                }
                match &mut combined {
                    None => combined = Some(v),
                    Some(c) => {
                        c.verified &= v.verified;
                        c.signatures.extend(v.signatures);
                    }
                }
            }
            Err(e) => failures.push(format!(
                "{what}: {e}; it is not a readable OpenPGP signature"
            )),
        }
    }
    if names.is_empty() && failures.is_empty() {
        let digests_only = sig.has(tag::SIG_MD5) || sig.has(tag::SIG_SHA1);
        let mut detail = "not signed: the package carries no OpenPGP signature".to_string();
        if digests_only {
            detail.push_str(
                " (only MD5/SHA-1 digests, which anyone can recompute; they never count)",
            );
        }
        detail.push_str("; ask the vendor for a package signed with rpmsign");
        return (None, bad(LINK, detail));
    }
    let link = if failures.is_empty() && combined.as_ref().is_some_and(|c| c.verified) {
        let signers: Vec<String> = combined
            .iter()
            .flat_map(|c| &c.signatures)
            .map(|s| s.primary_key.clone().unwrap_or_else(|| s.issuer.clone()))
            .collect();
        Link {
            link: LINK,
            ok: true,
            detail: format!("{} by {}", names.join(", "), signers.join(", ")),
        }
    } else {
        bad(LINK, failures.join("; "))
    };
    (combined, link)
}

/// RPMTAG_PAYLOADDIGEST over the compressed payload (rpm ≥ 4.14). Without
/// it only a verified legacy header+payload signature covers the payload.
fn payload_link(main: &Header, payload: &[u8], legacy_verified: bool) -> Link {
    const LINK: &str = "payload-digest";
    let want = match main.strings(tag::PAYLOADDIGEST) {
        Ok(Some(v)) if !v.is_empty() => v[0].to_vec(),
        Ok(_) if legacy_verified => {
            return Link {
                link: LINK,
                ok: true,
                detail: "no payload digest; the legacy header+payload signature covers it".into(),
            };
        }
        Ok(_) => {
            return bad(
                LINK,
                "the header has no RPMTAG_PAYLOADDIGEST (rpm ≥ 4.14 writes one), so nothing \
                 signed covers the payload; rebuild the package with a current rpm"
                    .into(),
            );
        }
        Err(e) => return bad(LINK, e),
    };
    let alg = match main.ints(tag::PAYLOADDIGESTALGO) {
        Ok(Some(v)) if !v.is_empty() => v[0],
        Ok(_) => algo::SHA256,
        Err(e) => return bad(LINK, e),
    };
    let Some(mut h) = Hasher::new(alg) else {
        return bad(
            LINK,
            format!(
                "the payload digest is {}: glassbox accepts SHA-2 digests only",
                algo::name(alg)
            ),
        );
    };
    h.update(payload);
    digest_link(LINK, "payload", &want, &h.finish_hex(), &algo::name(alg))
}

/// Every payload file against the header's list and digests (the reader
/// refuses any disagreement), with digests glassbox accepts.
fn files_link(name: &str, bytes: &[u8], opened: Option<&Release>, main: &Header) -> Link {
    const LINK: &str = "file-digests";
    let list = match file_list(main) {
        Ok(l) => l,
        Err(e) => return bad(LINK, e),
    };
    if !list.files.is_empty() && Hasher::new(list.digest_algo).is_none() {
        return bad(
            LINK,
            format!(
                "the header's file digests are {}: glassbox accepts SHA-2 digests only",
                algo::name(list.digest_algo)
            ),
        );
    }
    if let Some(f) = list
        .files
        .iter()
        .find(|f| f.mode & 0o170000 == 0o100000 && f.digest.is_empty() && !f.is_ghost())
    {
        return bad(
            LINK,
            format!(
                "/{} has no digest in the header: nothing signed covers its content",
                crate::release::RawPath(f.path.clone())
            ),
        );
    }
    // The caller's reading counts only if it is of these very bytes: its
    // entries must be exactly the header's files with the header's digests
    // (the file could have changed between the two reads). Otherwise, or
    // when the digests cannot be compared, read the payload again.
    let read = match opened.filter(|r| same_files(r, &list)) {
        Some(r) => Ok(std::borrow::Cow::Borrowed(r)),
        None => {
            Release::from_bytes(name, bytes, &ReadOptions::default()).map(std::borrow::Cow::Owned)
        }
    };
    match read {
        Ok(r) => {
            if let Some(f) = r.findings.iter().find(|f| !f.kind.is_informational()) {
                return bad(LINK, format!("{f}"));
            }
            let files = list.files.iter().filter(|f| !f.is_ghost()).count();
            Link {
                link: LINK,
                ok: true,
                detail: format!(
                    "{files} payload entries match the header ({} digests)",
                    algo::name(list.digest_algo)
                ),
            }
        }
        Err(e) => bad(LINK, e.to_string()),
    }
}

/// Whether `r`'s top-level entries are exactly the non-ghost files of
/// `list`, each regular file with the header's SHA-256 or SHA-512.
fn same_files(r: &Release, list: &crate::release::rpm::FileList) -> bool {
    use crate::release::{EntryKind, EntryPath, RawPath};
    let listed = list.files.iter().filter(|f| !f.is_ghost());
    // The header's scriptlets are entries too, but not payload files.
    let top = r
        .entries
        .iter()
        .filter(|e| e.path.depth() == 0)
        .filter(|e| {
            !e.path
                .inner()
                .0
                .starts_with(crate::release::rpm::SCRIPTS_DIR)
        })
        .count();
    top == listed.clone().count()
        && listed.into_iter().all(|f| {
            let Some(e) = r.entry(&EntryPath::top(RawPath(f.path.clone()))) else {
                return false;
            };
            match (e.kind, &e.digests) {
                (EntryKind::File, Some(d)) => {
                    let got = match list.digest_algo {
                        algo::SHA256 => d.sha256.to_hex(),
                        algo::SHA512 => match &d.sha512 {
                            Some(x) => x.to_hex(),
                            None => return false,
                        },
                        _ => return false,
                    };
                    got.as_bytes().eq_ignore_ascii_case(&f.digest)
                }
                (EntryKind::File, None) => false,
                _ => f.mode & 0o170000 != 0o100000 || e.kind == EntryKind::Hardlink,
            }
        })
}

impl RpmVerification {
    /// The release verifier's form: the package is its own signature file
    /// and covers `covers` (itself inside a release; its payload's entries
    /// when it is the release) when every link held.
    pub fn signature_result(&self, path: &str, covers: Vec<String>) -> SignatureResult {
        let failures = self
            .links
            .iter()
            .filter(|l| !l.ok)
            .map(|l| Failure {
                file: path.to_string(),
                signature: path.to_string(),
                check: format!("rpm-{}", l.link),
                reason: if self.package.is_empty() {
                    l.detail.clone()
                } else {
                    format!("{}: {}", self.package, l.detail)
                },
            })
            .collect();
        let signers = match &self.openpgp {
            Some(v) if self.verified => v
                .signatures
                .iter()
                .filter_map(openpgp::release::signer_id)
                .collect(),
            _ => Vec::new(),
        };
        SignatureResult {
            signature: path.to_string(),
            kind: SignatureKind::Openpgp,
            targets: vec![path.to_string()],
            covers: if self.verified { covers } else { Vec::new() },
            verified: self.verified,
            signers,
            time: None,
            cms: None,
            openpgp: self.openpgp.clone(),
            failures,
        }
    }
}

/// Verifies every RPM-named file of a release (each read whole, one at a
/// time, up to [`MAX_CONTENT_BYTES`]; a larger one fails, it cannot be
/// checked): each package covers itself.
pub fn verify_rpm_files(
    release: &dyn ReleaseAccess,
    files: &[ReleaseFile],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<Vec<SignatureResult>, crate::release::ReleaseError> {
    let mut out = Vec::new();
    let mut paths = std::collections::BTreeSet::new();
    for f in files.iter().filter(|f| is_rpm_name(&f.path)) {
        if f.size > MAX_CONTENT_BYTES {
            out.push(
                RpmVerification {
                    package: f.path.clone(),
                    links: vec![bad(
                        "layout",
                        format!(
                            "{} bytes, over the {MAX_CONTENT_BYTES}-byte limit for \
                             whole-content verification",
                            f.size
                        ),
                    )],
                    openpgp: None,
                    verified: false,
                }
                .signature_result(&f.path, Vec::new()),
            );
        } else {
            paths.insert(f.path.clone());
        }
    }
    release.visit_readers(&paths, &mut |path, size, r| {
        let got = crate::fsio::read_capped(r, MAX_CONTENT_BYTES, size)?;
        if looks_like_rpm(&got.bytes) {
            let v = verify_package(path, &got.bytes, policy, now);
            out.push(v.signature_result(path, vec![path.to_string()]));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Reads the package file at `path` whole (up to [`MAX_CONTENT_BYTES`]).
fn read_package(path: &std::path::Path) -> Result<Vec<u8>, crate::release::ReleaseError> {
    crate::fsio::read_file_capped(path, MAX_CONTENT_BYTES).map_err(|e| {
        crate::release::ReleaseError::Open {
            path: path.to_path_buf(),
            error: std::io::Error::other(e.to_string()),
        }
    })
}

/// The package `release` was read from (`path`, an `.rpm`) as the
/// signature over its payload's entries.
pub fn verify_release_package(
    path: &std::path::Path,
    release: &Release,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<SignatureResult, crate::release::ReleaseError> {
    let label = path.display().to_string();
    let bytes = read_package(path)?;
    let v = verify_package_read(&label, &bytes, Some(release), policy, now);
    let covers = release
        .entries
        .iter()
        .filter(|e| e.path.depth() == 0 && e.kind != crate::release::EntryKind::Dir)
        .map(|e| e.path.to_string())
        .collect();
    Ok(v.signature_result(&label, covers))
}

/// The verdict on an `.rpm` the release reader could not read (`error`):
/// its chain, whose failed links say where it broke, with the reader's
/// error as one more failure. `None` when `path` is not an RPM package.
pub fn verify_unreadable(
    path: &std::path::Path,
    error: &crate::release::ReleaseError,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Option<crate::sig::release::ReleaseVerification> {
    let bytes = read_package(path).ok()?;
    if !looks_like_rpm(&bytes) {
        return None;
    }
    let label = path.display().to_string();
    let v = verify_package(&label, &bytes, policy, now);
    if v.package.is_empty() {
        // Not even the headers read: an input error, with the reader's
        // reason.
        return None;
    }
    let mut out = crate::sig::release::refused(path, error, policy, now);
    if !error.is_refusal() {
        // Not two readings: the payload could not be read at all.
        for f in &mut out.failures {
            f.check = "rpm-payload-read".into();
        }
    }
    let result = v.signature_result(&label, Vec::new());
    out.failures.extend(result.failures.iter().cloned());
    out.failures.sort();
    out.signatures.push(result);
    Some(out)
}

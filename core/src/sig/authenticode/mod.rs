//! Authenticode signatures embedded in PE/PE32+ images (Windows
//! executables, DLLs, drivers, UEFI images), per Microsoft's "Windows
//! Authenticode Portable Executable Signature Format" (Authenticode PE) and
//! the PE/COFF specification.
//!
//! What is checked, in order, and fails closed:
//! 1. the PE headers parse, the section raw data tiles the file from
//!    SizeOfHeaders without gap or overlap (where Windows and osslsigncode
//!    would hash differently, the file is refused), the certificate table
//!    is 8-byte aligned, inside the file and exactly at its end
//!    ([`pe::PeImage::parse`]);
//! 2. every WIN_CERTIFICATE entry is revision 2.0, type PKCS_SIGNED_DATA,
//!    one DER value padded with zeros to 8 bytes;
//! 3. each entry's SignedData, and each signature nested in it
//!    (unsigned attribute 1.3.6.1.4.1.311.2.4.1), is verified on its own:
//!    one SignerInfo; SpcIndirectDataContent over SPC_PE_IMAGE_DATAOBJ whose
//!    digest equals the image digest ("Calculating the PE Image Hash");
//!    the CMS checks of [`crate::sig::cms`] (contentType, messageDigest over
//!    the SpcIndirectDataContent, signer certificate, algorithm policy,
//!    signature value); SpcSpOpusInfo's program name and URL reported;
//! 4. a timestamp, if present — RFC 3161 (1.3.6.1.4.1.311.3.3.1, through
//!    [`crate::sig::tsp`]) or the legacy countersignature
//!    (1.2.840.113549.1.9.6) — verified against the TSA roots; under
//!    `validation.time = "signing-time"` it is the instant the chain is
//!    judged at;
//! 5. the signer's chain to the policy's roots with id-kp-codeSigning (or
//!    an EKU listed in `[authenticode] ekus`).
//!
//! `[authenticode] require` decides whether all signatures (default) or
//! any one must verify. SHA-1 and MD5 digests are refused, with that
//! reason. A PE checksum that does not match is reported, never fatal:
//! Windows only enforces it for drivers, and it is outside the digest.

pub mod catalog;
pub mod describe;
pub mod pe;
pub mod release;
mod signature;

use serde::Serialize;
use time::OffsetDateTime;

pub use catalog::{CatalogMember, CatalogVerification, MemberHash, verify_catalog};
pub use describe::{StatedSignature, StatedSignatures, StatedTimestamp, describe};
pub use pe::{PeError, PeImage};
pub use release::{PeCoverage, PeFile, verify_catalogs, verify_pe_files};
pub use signature::MAX_NESTED;

use crate::policy::{AuthenticodeRequire, TrustPolicy};
use crate::sig::cms::{DigestAlgorithm, SignerReport};

/// Which kind of timestamp a signature carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimestampKind {
    /// An RFC 3161 TimeStampToken (1.3.6.1.4.1.311.3.3.1).
    Rfc3161,
    /// A legacy Authenticode countersignature (1.2.840.113549.1.9.6).
    Countersignature,
}

/// A failed check of a PE file or of one of its signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeFailure {
    /// The signature concerned (`1`, `1.2`), empty for the file itself.
    pub signature: String,
    /// The stable check name (`image-digest`, `chain`, `certificate-table`...).
    pub check: String,
    /// Why.
    pub reason: String,
}

/// The verdict on one Authenticode signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeSignature {
    /// `N` for the Nth WIN_CERTIFICATE entry, `N.M` for the Mth signature
    /// nested in it.
    pub id: String,
    /// Whether it verified.
    pub verified: bool,
    /// The digest algorithm of the signed image digest.
    pub digest_algorithm: Option<DigestAlgorithm>,
    /// The file's Authenticode digest under that algorithm, hex: what
    /// `osslsigncode verify` prints as "Calculated message digest".
    pub image_digest: Option<String>,
    /// The digest the signature signs, hex.
    pub signed_digest: Option<String>,
    /// SpcSpOpusInfo programName (signed, the signer's claim).
    pub program_name: Option<String>,
    /// SpcSpOpusInfo moreInfo URL (signed, the signer's claim).
    pub program_url: Option<String>,
    /// The timestamp's kind, when one was present.
    pub timestamp_kind: Option<TimestampKind>,
    /// The verified signer (certificate, chain, timestamp).
    pub signer: Option<SignerReport>,
    /// What failed, when it did not verify.
    pub failure: Option<PeFailure>,
}

impl PeSignature {
    pub(crate) fn new(id: String) -> Self {
        Self {
            id,
            verified: false,
            digest_algorithm: None,
            image_digest: None,
            signed_digest: None,
            program_name: None,
            program_url: None,
            timestamp_kind: None,
            signer: None,
            failure: None,
        }
    }

    pub(crate) fn set_failure(&mut self, check: &str, reason: String) {
        self.failure = Some(PeFailure {
            signature: self.id.clone(),
            check: check.into(),
            reason,
        });
    }
}

/// The PE checksum (optional header CheckSum), stored and recomputed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PeChecksum {
    /// The stored value (0: not set).
    pub stored: u32,
    /// The value `CheckSumMappedFile` computes.
    pub computed: u32,
    /// Whether they agree (a stored 0 agrees with nothing).
    pub matches: bool,
}

/// The verdict on a PE file's Authenticode signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeVerification {
    /// `pe32` or `pe32+`, when the headers parsed.
    pub format: Option<&'static str>,
    /// The Authenticode SHA-256 digest of the image, hex.
    pub authenticode_sha256: Option<String>,
    /// The PE checksum.
    pub checksum: Option<PeChecksum>,
    /// The policy's `[authenticode] require`.
    pub require: AuthenticodeRequire,
    /// Every signature (entries and nested), in file order.
    pub signatures: Vec<PeSignature>,
    /// What fails the file (a structural failure, or a signature failure
    /// the policy does not tolerate).
    pub failures: Vec<PeFailure>,
    /// Observations that do not fail the file: a checksum mismatch, a
    /// failed signature tolerated under `require = "any"`.
    pub notes: Vec<String>,
    /// True when the file's signatures verify under the policy.
    pub verified: bool,
}

/// Size of the MS-DOS header (IMAGE_DOS_HEADER): a file shorter than this
/// has no `e_lfanew` and cannot be a PE image.
pub const DOS_HEADER_LEN: usize = 64;

/// The offset of the PE signature that the MS-DOS header of `head` names
/// (`e_lfanew`, at 0x3c), when `head` starts with the header's `MZ`.
pub fn pe_signature_offset(head: &[u8]) -> Option<usize> {
    if head.len() < DOS_HEADER_LEN || !head.starts_with(b"MZ") {
        return None;
    }
    let e_lfanew = u32::from_le_bytes(head[0x3c..0x40].try_into().ok()?);
    Some(e_lfanew as usize)
}

/// Whether `data` is a PE image by content, whatever its name: the
/// MS-DOS header's `MZ` and its `e_lfanew` pointing at the signature
/// `PE\0\0` inside `data` (PE/COFF, "MS-DOS Stub (Image Only)" and
/// "Signature (Image Only)"), which is what the Windows loader checks. A
/// vendor can ship `update.bin` that is a PE image the loader runs.
pub fn looks_like_pe(data: &[u8]) -> bool {
    pe_signature_offset(data)
        .and_then(|o| data.get(o..o.checked_add(4)?))
        .is_some_and(|sig| sig == b"PE\0\0")
}

/// Verifies every Authenticode signature of the PE image `data` under
/// `policy` at `now`. Never fails: every problem is a failure in the
/// result, with the check and the reason.
pub fn verify_pe(data: &[u8], policy: &TrustPolicy, now: OffsetDateTime) -> PeVerification {
    let mut v = PeVerification {
        format: None,
        authenticode_sha256: None,
        checksum: None,
        require: policy.authenticode.require,
        signatures: Vec::new(),
        failures: Vec::new(),
        notes: Vec::new(),
        verified: false,
    };
    let image = match PeImage::parse(data) {
        Ok(i) => i,
        Err(e) => {
            v.failures.push(PeFailure {
                signature: String::new(),
                check: e.check().into(),
                reason: e.to_string(),
            });
            return v;
        }
    };
    v.format = Some(if image.pe32_plus { "pe32+" } else { "pe32" });
    let computed = image.computed_checksum();
    let checksum = PeChecksum {
        stored: image.stored_checksum,
        computed,
        matches: image.stored_checksum == computed,
    };
    if !checksum.matches {
        v.notes.push(format!(
            "PE checksum {:#010x} stored, {computed:#010x} computed{}: not part of the Authenticode digest, so not fatal (Windows enforces it only for drivers)",
            image.stored_checksum,
            if image.stored_checksum == 0 { " (not set)" } else { "" }
        ));
    }
    v.checksum = Some(checksum);
    let mut digests = signature::ImageDigests::new(&image);
    v.authenticode_sha256 = Some(hex::encode(digests.get(DigestAlgorithm::Sha256)));
    for (i, entry) in image.entries.iter().enumerate() {
        signature::verify_signature(
            entry.der,
            &mut digests,
            policy,
            now,
            (i + 1).to_string(),
            true,
            &mut v.signatures,
        );
    }
    let good = v.signatures.iter().filter(|s| s.verified).count();
    let bad = v.signatures.iter().filter_map(|s| s.failure.clone());
    match policy.authenticode.require {
        AuthenticodeRequire::All => v.failures.extend(bad),
        AuthenticodeRequire::Any if good > 0 => {
            v.notes.extend(bad.map(|f| {
                format!(
                    "signature {} failed ({}: {}); tolerated: authenticode.require = \"any\" and another verified",
                    f.signature, f.check, f.reason
                )
            }));
        }
        AuthenticodeRequire::Any => v.failures.extend(bad),
    }
    v.verified = v.failures.is_empty() && good > 0;
    v
}

/// Whether the file at `path` is a PE image by content ([`looks_like_pe`]):
/// reads the MS-DOS header and the four bytes `e_lfanew` names, nothing
/// more.
pub fn is_pe_file(path: &std::path::Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let check = || -> std::io::Result<bool> {
        let mut f = std::fs::File::open(path)?;
        let mut head = [0u8; DOS_HEADER_LEN];
        f.read_exact(&mut head)?;
        let Some(at) = pe_signature_offset(&head) else {
            return Ok(false);
        };
        let mut sig = [0u8; 4];
        f.seek(SeekFrom::Start(at as u64))?;
        f.read_exact(&mut sig)?;
        Ok(&sig == b"PE\0\0")
    };
    check().unwrap_or(false)
}

/// Reads the PE file at `path` (at most
/// [`crate::sig::release::MAX_CONTENT_BYTES`]) and verifies its embedded
/// signatures: `glassbox verify FILE` without `--signature`.
pub fn verify_pe_file(
    path: &std::path::Path,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<PeVerification, crate::fsio::ReadFileError> {
    let bytes = crate::fsio::read_file_capped(path, crate::sig::release::MAX_CONTENT_BYTES)?;
    Ok(verify_pe(&bytes, policy, now))
}

/// File names that claim to be PE images (case-insensitive suffixes). The
/// release verifier recognises PE images by content ([`looks_like_pe`]);
/// a file named so that is not one is reported, since Windows would try
/// to load it (or a tool would skip it as "not an executable").
pub const PE_SUFFIXES: &[&str] = &[
    ".exe",
    ".dll",
    ".sys",
    ".efi",
    ".efi.signed",
    ".ocx",
    ".cpl",
    ".scr",
    ".drv",
    ".mui",
    ".winmd",
];

/// Whether `path`'s name claims a PE image ([`PE_SUFFIXES`]).
pub fn is_pe_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    PE_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

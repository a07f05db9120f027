//! The named normalizations a reproducibility verdict may apply.
//!
//! Each one ignores one precisely defined kind of difference that carries no
//! content (a timestamp, an owner, an order). Everything a normalization does
//! not name is compared byte for byte, so none of them can hide a change of
//! content: the tests of each normalizer prove it.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// One named normalization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Normalization {
    /// Archive members (tar, zip, ar) stored in a different order.
    MemberOrder,
    /// tar header mtime, and GNU atime/ctime.
    TarMtime,
    /// tar header uid, gid, uname, gname.
    TarOwner,
    /// pax extended-header time records (mtime, atime, ctime).
    TarPaxTimes,
    /// Length of the all-zero padding after a tar's end-of-archive marker.
    TarPadding,
    /// zip MS-DOS modification date and time.
    ZipDosTime,
    /// zip extra fields 0x5455 (extended timestamp), 0x000a (NTFS times) and
    /// 0x7875 (Info-ZIP unix uid/gid).
    ZipExtraFields,
    /// gzip header MTIME, FNAME and OS fields (RFC 1952 §2.3) of a
    /// single-member stream without FEXTRA or FCOMMENT.
    GzipHeader,
    /// The same uncompressed bytes compressed differently (level, tool).
    CompressedStream,
    /// ar member mtime, uid and gid.
    ArMetadata,
    /// `.pyc` header source-mtime field (PEP 552 timestamp-based pycs).
    PycSourceMtime,
    /// PE COFF TimeDateStamp and optional-header CheckSum.
    PeTimestamp,
    /// A PE file's Authenticode signature: the certificate table (exactly
    /// at the end of the file, as the verifier requires), its data-directory
    /// entry and the CheckSum, which a signer writes; the image the
    /// signature covers must be the same. Applies when at least one side is
    /// signed (a signed vendor file against an unsigned rebuild).
    AuthenticodeSignature,
    /// Timestamp attributes in a jar's META-INF/MANIFEST.MF.
    JarManifestTimestamps,
    /// The first PNG tIME chunk, when well formed (7 bytes, valid CRC).
    PngTime,
    /// File modification times of a directory tree.
    FileMtime,
    /// File owner (uid/gid) of a directory tree.
    FileOwner,
    /// Detached signatures, signed checksum lists and attestations that the
    /// vendor ships beside the payload and a rebuild cannot reproduce. Only
    /// files named like signatures (see `repro::signature_file_name`), of at
    /// most 1 MiB, present only on the vendor's side; each is listed, and
    /// `glassbox verify` checks them.
    DetachedSignatures,
    /// Permission bits. Off unless the caller allows it explicitly: a mode
    /// change (say, a file made executable) can matter.
    FileMode,
}

impl Normalization {
    /// The normalization that may ignore a field the release reader
    /// recorded (one per field: which field a normalization covers is
    /// decided here, in one place).
    pub(crate) fn of(field: crate::release::canonical::Field) -> Normalization {
        use crate::release::canonical::Field;
        match field {
            Field::TarMtime => Normalization::TarMtime,
            Field::TarOwner => Normalization::TarOwner,
            Field::TarPaxTimes => Normalization::TarPaxTimes,
            Field::ZipDosTime => Normalization::ZipDosTime,
            Field::ZipExtraFields => Normalization::ZipExtraFields,
            Field::CompressedStream => Normalization::CompressedStream,
            Field::ArMetadata => Normalization::ArMetadata,
            Field::FileMtime => Normalization::FileMtime,
            Field::FileOwner => Normalization::FileOwner,
            Field::PycSourceMtime => Normalization::PycSourceMtime,
            Field::PeTimestamp => Normalization::PeTimestamp,
            Field::JarManifestTimestamps => Normalization::JarManifestTimestamps,
            Field::PngTime => Normalization::PngTime,
        }
    }

    /// Every normalization, in a stable order.
    pub const ALL: [Normalization; 19] = [
        Normalization::MemberOrder,
        Normalization::TarMtime,
        Normalization::TarOwner,
        Normalization::TarPaxTimes,
        Normalization::TarPadding,
        Normalization::ZipDosTime,
        Normalization::ZipExtraFields,
        Normalization::GzipHeader,
        Normalization::CompressedStream,
        Normalization::ArMetadata,
        Normalization::PycSourceMtime,
        Normalization::PeTimestamp,
        Normalization::AuthenticodeSignature,
        Normalization::JarManifestTimestamps,
        Normalization::PngTime,
        Normalization::FileMtime,
        Normalization::FileOwner,
        Normalization::DetachedSignatures,
        Normalization::FileMode,
    ];

    /// The stable name used on the command line, in JSON and attestations.
    pub fn name(self) -> &'static str {
        match self {
            Normalization::MemberOrder => "member-order",
            Normalization::TarMtime => "tar-mtime",
            Normalization::TarOwner => "tar-owner",
            Normalization::TarPaxTimes => "tar-pax-times",
            Normalization::TarPadding => "tar-padding",
            Normalization::ZipDosTime => "zip-dos-time",
            Normalization::ZipExtraFields => "zip-extra-fields",
            Normalization::GzipHeader => "gzip-header",
            Normalization::CompressedStream => "compressed-stream",
            Normalization::ArMetadata => "ar-metadata",
            Normalization::PycSourceMtime => "pyc-source-mtime",
            Normalization::PeTimestamp => "pe-timestamp",
            Normalization::AuthenticodeSignature => "authenticode-signature",
            Normalization::JarManifestTimestamps => "jar-manifest-timestamps",
            Normalization::PngTime => "png-time",
            Normalization::FileMtime => "file-mtime",
            Normalization::FileOwner => "file-owner",
            Normalization::DetachedSignatures => "detached-signatures",
            Normalization::FileMode => "file-mode",
        }
    }

    /// One line saying what is ignored.
    pub fn description(self) -> &'static str {
        match self {
            Normalization::MemberOrder => "archive members in a different order",
            Normalization::TarMtime => "tar member modification times",
            Normalization::TarOwner => "tar member uid/gid/uname/gname",
            Normalization::TarPaxTimes => "pax mtime/atime/ctime records",
            Normalization::TarPadding => "length of zero padding after the tar end marker",
            Normalization::ZipDosTime => "zip MS-DOS date/time fields",
            Normalization::ZipExtraFields => {
                "zip extra fields 0x5455, 0x000a, 0x7875 (timestamps, uid/gid)"
            }
            Normalization::GzipHeader => "gzip header MTIME/FNAME/OS",
            Normalization::CompressedStream => "same uncompressed bytes, compressed differently",
            Normalization::ArMetadata => "ar member mtime/uid/gid",
            Normalization::PycSourceMtime => ".pyc source-mtime header field",
            Normalization::PeTimestamp => "PE TimeDateStamp and CheckSum",
            Normalization::AuthenticodeSignature => {
                "PE Authenticode certificate table, its directory entry and CheckSum (same signed image)"
            }
            Normalization::JarManifestTimestamps => "timestamp attributes in MANIFEST.MF",
            Normalization::PngTime => "PNG tIME chunks",
            Normalization::FileMtime => "file modification times",
            Normalization::FileOwner => "file owner uid/gid",
            Normalization::DetachedSignatures => {
                "vendor signature files a rebuild cannot make (checked by `glassbox verify`)"
            }
            Normalization::FileMode => "permission bits (allowed explicitly)",
        }
    }
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a normalization.
#[derive(Debug, thiserror::Error)]
#[error("unknown normalization {0:?} (known: {known})", known = known_names())]
pub struct UnknownNormalization(pub String);

fn known_names() -> String {
    Normalization::ALL.map(|n| n.name()).join(", ")
}

impl FromStr for Normalization {
    type Err = UnknownNormalization;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Normalization::ALL
            .into_iter()
            .find(|n| n.name() == s)
            .ok_or_else(|| UnknownNormalization(s.to_string()))
    }
}

/// Which normalizations may be applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NormalizationSet(BTreeSet<Normalization>);

impl NormalizationSet {
    /// The default: everything except [`Normalization::FileMode`].
    pub fn default_set() -> Self {
        Self(
            Normalization::ALL
                .into_iter()
                .filter(|n| *n != Normalization::FileMode)
                .collect(),
        )
    }

    /// None at all (`--strict`).
    pub fn strict() -> Self {
        Self(BTreeSet::new())
    }

    /// Whether `n` may be applied.
    pub fn allows(&self, n: Normalization) -> bool {
        self.0.contains(&n)
    }

    /// Removes `n`.
    pub fn disable(&mut self, n: Normalization) {
        self.0.remove(&n);
    }

    /// Adds `n`.
    pub fn enable(&mut self, n: Normalization) {
        self.0.insert(n);
    }

    /// The enabled names, in stable order.
    pub fn iter(&self) -> impl Iterator<Item = Normalization> + '_ {
        self.0.iter().copied()
    }
}

impl Default for NormalizationSet {
    fn default() -> Self {
        Self::default_set()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = BTreeSet::new();
        for n in Normalization::ALL {
            assert_eq!(n.name().parse::<Normalization>().unwrap(), n);
            assert!(seen.insert(n.name()));
        }
        assert!("mtime".parse::<Normalization>().is_err());
    }

    #[test]
    fn file_mode_is_off_by_default() {
        assert!(!NormalizationSet::default().allows(Normalization::FileMode));
        assert!(NormalizationSet::default().allows(Normalization::TarMtime));
        assert!(!NormalizationSet::strict().allows(Normalization::TarMtime));
    }
}

//! The parts of a PE/PE32+ image that Authenticode depends on: where the
//! checksum and the certificate-table directory entry are (they are left
//! out of the image digest), the section layout, and the attribute
//! certificate table itself (PE/COFF specification, "Optional Header Data
//! Directories", "The Attribute Certificate Table (Image Only)").
//!
//! The headers are read with the `object` crate's typed PE structures
//! (already a dependency, bounds-checked, no allocation): the offsets this
//! module needs are then fixed positions relative to them. The `authenticode`
//! crate would compute the digest too, but it takes the first
//! WIN_CERTIFICATE only and accepts bytes after the table; the structural
//! checks below are the point of this module, so it keeps them in one place.
//!
//! Everything here is bounded: at most [`MAX_SECTIONS`] sections and
//! [`MAX_CERTIFICATE_ENTRIES`] certificate entries are looked at, and the
//! work is one pass over the headers plus one over the file for digests.

use object::LittleEndian as LE;
use object::pe;
use object::read::pe::{ImageNtHeaders, ImageOptionalHeader};

use crate::sig::cms::DigestAlgorithm;

/// The Windows loader's limit on sections (PE/COFF "COFF File Header":
/// NumberOfSections). More is refused rather than parsed.
pub const MAX_SECTIONS: usize = 96;
/// Most WIN_CERTIFICATE entries accepted in one certificate table.
pub const MAX_CERTIFICATE_ENTRIES: usize = 16;

/// WIN_CERTIFICATE wRevision: WIN_CERT_REVISION_2_0, the only revision
/// Windows verifies.
const WIN_CERT_REVISION_2_0: u16 = 0x0200;
/// WIN_CERTIFICATE wCertificateType: WIN_CERT_TYPE_PKCS_SIGNED_DATA.
const WIN_CERT_TYPE_PKCS_SIGNED_DATA: u16 = 0x0002;

/// Why a file is not a PE image glassbox can hash for Authenticode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeError {
    /// Not a PE image, or headers that do not parse.
    #[error("not a PE image: {0}")]
    NotPe(String),
    /// A layout whose Authenticode digest two real verifiers compute
    /// differently, or one outside the file.
    #[error("PE layout: {0}")]
    Layout(String),
    /// The image carries no certificate table: it is not signed.
    #[error(
        "no Authenticode signature: the certificate-table directory entry is empty; ask the vendor for the signed file"
    )]
    Unsigned,
    /// The attribute certificate table is malformed.
    #[error("certificate table: {0}")]
    CertificateTable(String),
}

impl PeError {
    /// The stable check name used in reports.
    pub fn check(&self) -> &'static str {
        match self {
            PeError::NotPe(_) => "pe-parse",
            PeError::Layout(_) => "pe-layout",
            PeError::Unsigned => "unsigned",
            PeError::CertificateTable(_) => "certificate-table",
        }
    }
}

/// One WIN_CERTIFICATE entry: its index and the DER SignedData it holds.
#[derive(Clone, Debug)]
pub struct CertificateEntry<'a> {
    /// File offset of the entry.
    pub offset: usize,
    /// bCertificate without the trailing zero padding: one DER ContentInfo.
    pub der: &'a [u8],
}

/// A parsed PE image, ready to hash.
#[derive(Clone, Debug)]
pub struct PeImage<'a> {
    data: &'a [u8],
    /// PE32+ (64-bit) rather than PE32.
    pub pe32_plus: bool,
    /// Offset of the optional header's CheckSum field.
    checksum_offset: usize,
    /// Offset of the certificate-table data directory entry.
    cert_dir_offset: usize,
    /// Offset where the certificate table starts (= end of hashed data).
    cert_table_offset: usize,
    /// The stored CheckSum.
    pub stored_checksum: u32,
    /// The entries of the certificate table, in file order.
    pub entries: Vec<CertificateEntry<'a>>,
}

impl<'a> PeImage<'a> {
    /// Parses the headers and the certificate table of a signed image.
    pub fn parse(data: &'a [u8]) -> Result<Self, PeError> {
        Self::parse_with(data, false)
    }

    /// Parses an image that may be unsigned: with an empty
    /// certificate-table directory entry it has no [`PeImage::entries`] and
    /// its digest covers the whole file. What `diff` and `repro` compare a
    /// signed file with; [`PeImage::parse`] is the verifier's.
    pub fn parse_maybe_unsigned(data: &'a [u8]) -> Result<Self, PeError> {
        Self::parse_with(data, true)
    }

    fn parse_with(data: &'a [u8], unsigned_ok: bool) -> Result<Self, PeError> {
        let not_pe = |e: object::read::Error| PeError::NotPe(e.to_string());
        let dos = pe::ImageDosHeader::parse(data).map_err(not_pe)?;
        let nt_offset = u64::from(dos.nt_headers_offset());
        let magic = object::read::pe::optional_header_magic(data).map_err(not_pe)?;
        match magic {
            pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC => {
                Self::parse_as::<pe::ImageNtHeaders64>(data, nt_offset, unsigned_ok)
            }
            pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC => {
                Self::parse_as::<pe::ImageNtHeaders32>(data, nt_offset, unsigned_ok)
            }
            m => Err(PeError::NotPe(format!("optional header magic {m:#x}"))),
        }
    }

    fn parse_as<H: ImageNtHeaders>(
        data: &'a [u8],
        nt_offset: u64,
        unsigned_ok: bool,
    ) -> Result<Self, PeError> {
        let not_pe = |e: object::read::Error| PeError::NotPe(e.to_string());
        let layout = |s: String| Err(PeError::Layout(s));
        let mut offset = nt_offset;
        let (nt, dirs) = H::parse(data, &mut offset).map_err(not_pe)?;
        let section_table_offset = offset;
        let nsections = usize::from(nt.file_header().number_of_sections.get(LE));
        if nsections > MAX_SECTIONS {
            return layout(format!(
                "{nsections} sections; the Windows loader accepts at most {MAX_SECTIONS} (PE/COFF, COFF File Header)"
            ));
        }
        let sections = nt.sections(data, section_table_offset).map_err(not_pe)?;
        let opt = nt.optional_header();
        let pe32_plus = nt.is_type_64();
        // Authenticode PE §"Calculating the PE Image Hash" steps 3–5: the
        // CheckSum field (optional header offset 64 in both formats) and
        // the Certificate Table entry (data directory 4; the directories
        // start at offset 96 in PE32, 112 in PE32+) are left out.
        let opt_offset = nt_offset as usize + 24;
        let checksum_offset = opt_offset + 64;
        if dirs.len() <= pe::IMAGE_DIRECTORY_ENTRY_SECURITY {
            return Err(PeError::Unsigned);
        }
        let cert_dir_offset =
            opt_offset + if pe32_plus { 112 } else { 96 } + 8 * pe::IMAGE_DIRECTORY_ENTRY_SECURITY;
        let size_of_headers = opt.size_of_headers() as usize;
        let section_table_end = section_table_offset as usize + nsections * 40;
        if size_of_headers > data.len() {
            return layout(format!(
                "SizeOfHeaders {size_of_headers} is beyond the end of the file ({} bytes)",
                data.len()
            ));
        }
        if section_table_end > size_of_headers || cert_dir_offset + 8 > size_of_headers {
            return layout(format!(
                "the headers (section table to {section_table_end}) extend past SizeOfHeaders {size_of_headers}"
            ));
        }

        let cert = dirs
            .iter()
            .nth(pe::IMAGE_DIRECTORY_ENTRY_SECURITY)
            .ok_or(PeError::Unsigned)?;
        // PE/COFF "Certificate Table": VirtualAddress is a file offset.
        let mut table_offset = cert.virtual_address.get(LE) as usize;
        let table_size = cert.size.get(LE) as usize;
        let unsigned = table_offset == 0 && table_size == 0;
        if unsigned && !unsigned_ok {
            return Err(PeError::Unsigned);
        }
        if unsigned {
            // Nothing is excluded at the end: the digest runs to the end.
            table_offset = data.len();
        }

        // Sections in file order (Authenticode PE steps 7–13). Windows
        // hashes each section's raw data and then the data after the last
        // section; osslsigncode hashes the file linearly. The two agree
        // exactly when the raw data tiles the file from SizeOfHeaders with
        // no gap and no overlap, so anything else is refused (one reading).
        let mut raw: Vec<(usize, usize)> = sections
            .iter()
            .map(|s| {
                (
                    s.pointer_to_raw_data.get(LE) as usize,
                    s.size_of_raw_data.get(LE) as usize,
                )
            })
            .filter(|&(_, size)| size != 0)
            .collect();
        raw.sort_unstable();
        let mut end = size_of_headers;
        for &(start, size) in &raw {
            // The loader reads a section from its PointerToRawData rounded
            // down to 512 (PE/COFF "Section Table": a multiple of
            // FileAlignment): an unaligned start in the first 512-byte
            // block maps the CheckSum and the certificate-table entry,
            // which no digest covers, into the section.
            if !start.is_multiple_of(512) && start & !511 < cert_dir_offset + 8 {
                return layout(format!(
                    "section raw data at {start}: the loader reads it from {}, which maps the CheckSum and the certificate-table directory entry (no signature covers them) into the section; ask the vendor for a file whose sections start on FileAlignment",
                    start & !511
                ));
            }
            if start != end {
                return layout(format!(
                    "section raw data at {start} where {end} was expected: {}; Windows and osslsigncode hash such a file differently",
                    if start < end {
                        "sections overlap (or overlap the headers)"
                    } else {
                        "a gap between sections"
                    }
                ));
            }
            end = start
                .checked_add(size)
                .ok_or_else(|| PeError::Layout("section size overflows".into()))?;
        }
        if end > table_offset {
            return layout(format!(
                "section raw data runs to {end}, past the certificate table at {table_offset}"
            ));
        }
        // The Windows loader reads a section's raw data rounded up to
        // FileAlignment (at least 512; PE/COFF "Section Table":
        // SizeOfRawData "must be a multiple of FileAlignment"), so a last
        // section whose SizeOfRawData stops short of that maps the start of
        // the certificate table, which no digest covers, into its memory.
        let align = (opt.file_alignment() as usize).max(512);
        if !unsigned && !raw.is_empty() && end.div_ceil(align).saturating_mul(align) > table_offset
        {
            return layout(format!(
                "the last section's raw data ends at {end}; the loader reads it rounded up to FileAlignment {align}, into the certificate table at {table_offset}, whose bytes no signature covers; ask the vendor for a file whose sections are padded to FileAlignment"
            ));
        }

        let image = Self {
            data,
            pe32_plus,
            checksum_offset,
            cert_dir_offset,
            cert_table_offset: table_offset,
            stored_checksum: opt.check_sum(),
            entries: Vec::new(),
        };
        if unsigned {
            return Ok(image);
        }
        // PE/COFF "The Attribute Certificate Table": quadword aligned; the
        // Authenticode digest covers everything before it, so it must be
        // the last thing in the file or bytes after it would be unsigned.
        if !table_offset.is_multiple_of(8) {
            return Err(PeError::CertificateTable(format!(
                "starts at {table_offset}, not on an 8-byte boundary"
            )));
        }
        let table_end = table_offset.saturating_add(table_size);
        if table_end > data.len() {
            return Err(PeError::CertificateTable(format!(
                "{table_size} bytes at {table_offset} runs past the end of the file ({} bytes); the file is truncated",
                data.len()
            )));
        }
        if table_end != data.len() {
            return Err(PeError::CertificateTable(format!(
                "{} bytes after the certificate table are covered by no signature; ask the vendor why they are there",
                data.len() - table_end
            )));
        }
        Ok(Self {
            entries: parse_entries(data, table_offset, table_end)?,
            ..image
        })
    }

    /// The Authenticode image digest (Authenticode PE, "Calculating the PE
    /// Image Hash"): everything before the certificate table but the
    /// CheckSum field and the Certificate Table directory entry. With the
    /// layout checked in [`PeImage::parse`] this is the same as hashing
    /// the headers, each section in file order, then the extra data.
    pub fn digest(&self, alg: DigestAlgorithm) -> Vec<u8> {
        let d = self.data;
        let parts = [
            &d[..self.checksum_offset],
            &d[self.checksum_offset + 4..self.cert_dir_offset],
            &d[self.cert_dir_offset + 8..self.cert_table_offset],
        ];
        alg.digest_parts(&parts)
    }

    /// Where the certificate table is (`None` when unsigned): from its
    /// start to the end of the file, as [`PeImage::parse`] requires.
    pub fn certificate_table(&self) -> Option<std::ops::Range<usize>> {
        (!self.entries.is_empty()).then_some(self.cert_table_offset..self.data.len())
    }

    /// The image as it was before signing, as far as signing tools change
    /// it: without the certificate table, with the certificate-table
    /// directory entry and the CheckSum zeroed (a signer writes all three;
    /// everything else is what the signature's digest covers).
    pub fn without_signature(&self) -> Vec<u8> {
        self.without_signature_parts().concat()
    }

    /// [`PeImage::without_signature`] as the slices it is made of (to hash
    /// without copying the file).
    pub fn without_signature_parts(&self) -> [&[u8]; 5] {
        let d = self.data;
        [
            &d[..self.checksum_offset],
            &[0; 4],
            &d[self.checksum_offset + 4..self.cert_dir_offset],
            &[0; 8],
            &d[self.cert_dir_offset + 8..self.cert_table_offset],
        ]
    }

    /// The PE checksum as `CheckSumMappedFile` computes it: the one's
    /// complement sum of 16-bit words (CheckSum field as zero), folded to
    /// 16 bits, plus the file length.
    ///
    /// The words are summed wide and folded once at the end: the one's
    /// complement sum is the same whenever the end-around carries are
    /// added (both give the value in 1..=0xffff congruent to the total
    /// modulo 0xffff, or 0 for a zero total), and a fold per word made this
    /// loop cost more than the SHA-256 of the image.
    pub fn computed_checksum(&self) -> u32 {
        let d = self.data;
        // A u64 holds 2^48 words of 0xffff: any file glassbox reads.
        let mut sum: u64 = d
            .chunks_exact(2)
            .map(|w| u64::from(u16::from_le_bytes([w[0], w[1]])))
            .sum();
        if let [.., last] = d
            && !d.len().is_multiple_of(2)
        {
            sum += u64::from(*last);
        }
        // The CheckSum field reads as zero: take its bytes back out, each
        // at its place in its word (the field need not be word-aligned).
        for (i, &b) in d[self.checksum_offset..self.checksum_offset + 4]
            .iter()
            .enumerate()
        {
            sum -= u64::from(b) << (8 * ((self.checksum_offset + i) % 2));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        (sum as u32).wrapping_add(d.len() as u32)
    }
}

/// Walks the WIN_CERTIFICATE entries of `[start, end)`: each has an 8-byte
/// header (dwLength, wRevision, wCertificateType), is padded to 8 bytes,
/// and holds one DER ContentInfo; padding must be zero (non-zero padding is
/// data no signature covers, CVE-2013-3900).
fn parse_entries(
    data: &[u8],
    start: usize,
    end: usize,
) -> Result<Vec<CertificateEntry<'_>>, PeError> {
    let bad = |s: String| Err(PeError::CertificateTable(s));
    let mut entries = Vec::new();
    let mut pos = start;
    if start == end {
        return bad("empty (size 0)".into());
    }
    while pos < end {
        if entries.len() == MAX_CERTIFICATE_ENTRIES {
            return bad(format!(
                "more than {MAX_CERTIFICATE_ENTRIES} WIN_CERTIFICATE entries"
            ));
        }
        if end - pos < 8 {
            return bad(format!(
                "{} bytes at {pos}: too short for a WIN_CERTIFICATE header",
                end - pos
            ));
        }
        let length = u32::from_le_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let revision = u16::from_le_bytes([data[pos + 4], data[pos + 5]]);
        let kind = u16::from_le_bytes([data[pos + 6], data[pos + 7]]);
        if revision != WIN_CERT_REVISION_2_0 {
            return bad(format!(
                "entry at {pos}: wRevision {revision:#06x}, only WIN_CERT_REVISION_2_0 (0x0200) is verified"
            ));
        }
        if kind != WIN_CERT_TYPE_PKCS_SIGNED_DATA {
            return bad(format!(
                "entry at {pos}: wCertificateType {kind:#06x}, only WIN_CERT_TYPE_PKCS_SIGNED_DATA (0x0002) is verified"
            ));
        }
        if length <= 8 {
            return bad(format!(
                "entry at {pos}: dwLength {length} holds no signature"
            ));
        }
        let padded = length.checked_add(7).map(|l| l & !7).unwrap_or(usize::MAX);
        if padded > end - pos {
            return bad(format!(
                "entry at {pos}: dwLength {length} (padded to {padded}) runs past the end of the table at {end}; the table is truncated"
            ));
        }
        let body = &data[pos + 8..pos + padded];
        let der_len = der_tlv_len(body).ok_or_else(|| {
            PeError::CertificateTable(format!(
                "entry at {pos}: bCertificate is not one definite-length DER value within dwLength"
            ))
        })?;
        if der_len > length - 8 {
            return bad(format!(
                "entry at {pos}: the DER signature ({der_len} bytes) is longer than dwLength allows"
            ));
        }
        // The entry is the DER value padded to 8 bytes, whether dwLength
        // counts the padding (signtool, osslsigncode) or not.
        if body[der_len..].iter().any(|&b| b != 0) || (8 + der_len + 7) & !7 != padded {
            return bad(format!(
                "entry at {pos}: {} bytes after the DER signature are not zero padding to 8 bytes (data no signature covers, CVE-2013-3900)",
                body.len() - der_len
            ));
        }
        entries.push(CertificateEntry {
            offset: pos,
            der: &body[..der_len],
        });
        pos += padded;
    }
    Ok(entries)
}

/// Total length of the DER TLV at the start of `b` (X.690 §8.1: one tag
/// byte form, definite length), if it fits in `b`.
pub(crate) fn der_tlv_len(b: &[u8]) -> Option<usize> {
    let tag = *b.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let total = header.checked_add(len)?;
    (total <= b.len()).then_some(total)
}

#[cfg(test)]
mod checksum_tests {
    use super::PeImage;

    /// `CheckSumMappedFile` word by word, with the end-around carry
    /// folded in after every word, as the PE/COFF reference describes it.
    fn per_word(data: &[u8], field: usize) -> u32 {
        let mut sum: u32 = 0;
        for (i, w) in data.chunks(2).enumerate() {
            let byte = |k: usize| {
                let at = 2 * i + k;
                if (field..field + 4).contains(&at) {
                    0
                } else {
                    w.get(k).copied().unwrap_or(0)
                }
            };
            sum += u32::from(u16::from_le_bytes([byte(0), byte(1)]));
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum = (sum & 0xffff) + (sum >> 16);
        sum.wrapping_add(data.len() as u32)
    }

    #[test]
    fn wide_sum_equals_the_per_word_fold() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in [0usize, 1, 7, 64, 65, 4097, 100_001] {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let ones = vec![0xffu8; len];
            for bytes in [&data, &ones] {
                for field in [0usize, 1, 6, 27] {
                    if field + 4 > len {
                        continue;
                    }
                    let image = PeImage {
                        data: bytes,
                        pe32_plus: true,
                        checksum_offset: field,
                        cert_dir_offset: 0,
                        cert_table_offset: len,
                        stored_checksum: 0,
                        entries: Vec::new(),
                    };
                    assert_eq!(
                        image.computed_checksum(),
                        per_word(bytes, field),
                        "len {len}, field at {field}"
                    );
                }
            }
        }
    }
}

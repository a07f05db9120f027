//! PE images (Microsoft PE/COFF specification): the COFF header's
//! TimeDateStamp and the optional header's CheckSum (which covers the
//! timestamp) change with every link. Everything else stays compared.
//! The CheckSum is ignored only when it is 0 (not computed) or the image's
//! real checksum ([`Checksum`]): any other value is 4 free bytes.

use sha2::{Digest as _, Sha256};

use crate::digest::Sha256Digest;
use crate::release::canonical::AuthenticodeImage;
use crate::sig::authenticode::PeImage;

/// Offsets of (TimeDateStamp, CheckSum), when `prefix` holds a PE header.
fn fields(prefix: &[u8]) -> Option<(usize, usize)> {
    if !prefix.starts_with(b"MZ") || prefix.len() < 0x40 {
        return None;
    }
    let e_lfanew = u32::from_le_bytes(prefix[0x3c..0x40].try_into().ok()?) as usize;
    let coff = e_lfanew.checked_add(4)?;
    let optional = coff.checked_add(20)?;
    if prefix.get(e_lfanew..coff)? != b"PE\0\0" || prefix.len() < optional + 68 {
        return None;
    }
    // PE32 (0x10b) and PE32+ (0x20b) both keep CheckSum at offset 64.
    let magic = u16::from_le_bytes([prefix[optional], prefix[optional + 1]]);
    if magic != 0x10b && magic != 0x20b {
        return None;
    }
    Some((coff + 4, optional + 64))
}

pub(super) fn applies(prefix: &[u8]) -> bool {
    fields(prefix).is_some()
}

/// The CheckSum field's offset and stored value, when `prefix` holds a
/// PE header.
pub(super) fn checksum_field(prefix: &[u8]) -> Option<(usize, u32)> {
    let (_, at) = fields(prefix)?;
    Some((at, u32::from_le_bytes(prefix[at..at + 4].try_into().ok()?)))
}

/// The PE image checksum, computed as the file streams past (the
/// algorithm of `CheckSumMappedFile`: 16-bit little-endian words summed
/// with end-around carry, the CheckSum field itself read as zero, plus
/// the file length).
pub(super) struct Checksum {
    sum: u64,
    pos: u64,
    field: u64,
    low: Option<u8>,
}

impl Checksum {
    pub(super) fn new(field: usize) -> Self {
        Self {
            sum: 0,
            pos: 0,
            field: field as u64,
            low: None,
        }
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let b = if (self.field..self.field + 4).contains(&self.pos) {
                0
            } else {
                b
            };
            self.pos += 1;
            match self.low.take() {
                None => self.low = Some(b),
                Some(lo) => self.add(u16::from_le_bytes([lo, b])),
            }
        }
    }

    fn add(&mut self, word: u16) {
        self.sum += u64::from(word);
        self.sum = (self.sum & 0xffff) + (self.sum >> 16);
    }

    pub(super) fn finish(mut self) -> u32 {
        if let Some(lo) = self.low.take() {
            self.add(u16::from(lo));
        }
        let folded = (self.sum & 0xffff) + (self.sum >> 16);
        (folded as u32).wrapping_add(self.pos as u32)
    }
}

/// The image as signing leaves it alone, when the Authenticode reader
/// ([`PeImage::parse_maybe_unsigned`], the verifier's) accepts the file:
/// a certificate table anywhere but exactly at the end, bytes after it,
/// or a layout two verifiers would hash differently give `None`, and the
/// file is compared byte for byte.
pub(super) fn authenticode_image(data: &[u8]) -> Option<AuthenticodeImage> {
    let image = PeImage::parse_maybe_unsigned(data).ok()?;
    let mut h = Sha256::new();
    for part in image.without_signature_parts() {
        h.update(part);
    }
    Some(AuthenticodeImage {
        unsigned_sha256: Sha256Digest(h.finalize().into()),
        signed: image.certificate_table().is_some(),
    })
}

/// Zeroes TimeDateStamp and CheckSum.
pub(super) fn normalize_header(prefix: &mut [u8]) {
    if let Some((stamp, checksum)) = fields(prefix) {
        prefix[stamp..stamp + 4].fill(0);
        prefix[checksum..checksum + 4].fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalized_of;
    use super::fields;
    use crate::release::canonical::Field;

    /// A real PE executable written by the `object` crate's PE writer.
    pub(crate) fn sample_pe(stamp: u32, code: &[u8]) -> Vec<u8> {
        use object::pe;
        use object::write::pe::{NtHeaders, Writer};
        let mut out = Vec::new();
        let mut w = Writer::new(true, 0x1000, 0x200, &mut out);
        w.reserve_dos_header_and_stub();
        w.reserve_nt_headers(16);
        w.reserve_section_headers(1);
        let text = w.reserve_text_section(code.len() as u32);
        w.write_dos_header_and_stub().unwrap();
        w.write_nt_headers(NtHeaders {
            machine: pe::IMAGE_FILE_MACHINE_AMD64,
            time_date_stamp: stamp,
            characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE,
            major_linker_version: 14,
            minor_linker_version: 0,
            address_of_entry_point: text.virtual_address,
            image_base: 0x1_4000_0000,
            major_operating_system_version: 6,
            minor_operating_system_version: 0,
            major_image_version: 0,
            minor_image_version: 0,
            major_subsystem_version: 6,
            minor_subsystem_version: 0,
            subsystem: pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
            dll_characteristics: Default::default(),
            size_of_stack_reserve: 0x100000,
            size_of_stack_commit: 0x1000,
            size_of_heap_reserve: 0x100000,
            size_of_heap_commit: 0x1000,
        });
        w.write_section_headers();
        w.write_section(text.file_offset, code);
        out
    }

    #[test]
    fn link_time_is_ignored_but_code_is_not() {
        let a = sample_pe(0x6000_0000, b"\x31\xc0\xc3");
        let mut b = sample_pe(0x6500_1234, b"\x31\xc0\xc3");
        let (_, checksum) = fields(&b).unwrap();
        // A linker-written checksum: the image's real one.
        let mut sum = super::Checksum::new(checksum);
        sum.update(&b);
        let real = sum.finish();
        b[checksum..checksum + 4].copy_from_slice(&real.to_le_bytes());
        assert_ne!(a, b);
        let na = normalized_of(&a, "bin/tool.exe").unwrap();
        assert_eq!(na.0, Field::PeTimestamp);
        assert_eq!(na, normalized_of(&b, "bin/tool.exe").unwrap());
        // Any other CheckSum is four bytes of data, not a checksum.
        b[checksum..checksum + 4].copy_from_slice(&(real ^ 0x5a).to_le_bytes());
        assert!(normalized_of(&b, "bin/tool.exe").is_none());

        let c = sample_pe(0x6500_1234, b"\x31\xc0\x90");
        assert_ne!(normalized_of(&c, "bin/tool.exe").unwrap(), na);
    }

    #[test]
    fn non_pe_mz_files_are_not_normalized() {
        let mut fake = b"MZ".to_vec();
        fake.resize(0x80, 0);
        assert!(normalized_of(&fake, "x.exe").is_none());
    }
}

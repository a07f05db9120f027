//! The RPM package layout, as rpm 4 writes and reads it (RPM file format,
//! rpm.org/devel_doc/file_format.html): a 96-byte lead, the signature
//! header (padded to 8 bytes), the main header, then the compressed
//! payload.
//!
//! A small parser of our own rather than the `rpm` crate: that crate sizes
//! its index and data vectors from the counts the file declares, so a
//! hostile header makes it allocate before anything is checked. Here every
//! count is checked against rpm's own limits and against the bytes actually
//! present before anything is allocated, and each tag's data must lie in
//! its own range of the data store (no two tags share bytes), so reading
//! all tags costs at most the header's size.

use std::io::Read;

/// The lead's magic (file_format.html, "Lead").
pub const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
/// Size of the lead.
pub const LEAD_LEN: usize = 96;
/// A header structure's magic and version 1 (file_format.html, "Header").
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
/// The lead's signature type for a header-style signature section: the
/// only one rpm ≥ 4 reads (RPMSIGTYPE_HEADERSIG).
const SIGTYPE_HEADERSIG: u16 = 5;
/// rpm's `hdrchkTags`: at most 0xffff index entries.
pub const MAX_INDEX_ENTRIES: u32 = 0xffff;
/// rpm's signature header takes at most 32 tags (`hdrblobRead`).
pub const MAX_SIGNATURE_ENTRIES: u32 = 32;
/// rpm's `hdrchkData`: a data store under 16 MiB.
pub const MAX_DATA_BYTES: u32 = 0x00ff_ffff;

/// Header data types (file_format.html, "Index Entry").
pub mod kind {
    pub const NULL: u32 = 0;
    pub const CHAR: u32 = 1;
    pub const INT8: u32 = 2;
    pub const INT16: u32 = 3;
    pub const INT32: u32 = 4;
    pub const INT64: u32 = 5;
    pub const STRING: u32 = 6;
    pub const BIN: u32 = 7;
    pub const STRING_ARRAY: u32 = 8;
    pub const I18NSTRING: u32 = 9;
}

/// The tags glassbox reads (rpmtag.h of rpm 4.18).
pub mod tag {
    pub const NAME: u32 = 1000;
    pub const VERSION: u32 = 1001;
    pub const RELEASE: u32 = 1002;
    pub const ARCH: u32 = 1022;
    pub const OLDFILENAMES: u32 = 1027;
    pub const FILESIZES: u32 = 1028;
    pub const FILEMODES: u32 = 1030;
    pub const FILEDIGESTS: u32 = 1035;
    pub const FILELINKTOS: u32 = 1036;
    pub const FILEFLAGS: u32 = 1037;
    pub const FILEUSERNAME: u32 = 1039;
    pub const FILEGROUPNAME: u32 = 1040;
    pub const FILEDEVICES: u32 = 1095;
    pub const FILEINODES: u32 = 1096;
    pub const DIRINDEXES: u32 = 1116;
    pub const BASENAMES: u32 = 1117;
    pub const DIRNAMES: u32 = 1118;
    pub const PAYLOADFORMAT: u32 = 1124;
    pub const PAYLOADCOMPRESSOR: u32 = 1125;
    pub const LONGFILESIZES: u32 = 5008;
    pub const FILEDIGESTALGO: u32 = 5011;
    pub const PAYLOADDIGEST: u32 = 5092;
    pub const PAYLOADDIGESTALGO: u32 = 5093;
    /// Signature header tags (RPMSIGTAG_*).
    pub const SIG_PGP: u32 = 1002;
    pub const SIG_MD5: u32 = 1004;
    pub const SIG_GPG: u32 = 1005;
    pub const SIG_DSA: u32 = 267;
    pub const SIG_RSA: u32 = 268;
    pub const SIG_SHA1: u32 = 269;
    pub const SIG_SHA256: u32 = 273;
    /// RPMTAG_OPENPGP: rpm 6's array of OpenPGP signatures (rpm 4.18 does
    /// not write it).
    pub const SIG_OPENPGP: u32 = 278;
}

/// Why an RPM's structure cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {offset}: {reason}")]
pub struct LayoutError {
    /// Which part (`lead`, `signature header`, `main header`).
    pub what: &'static str,
    /// Offset in the file.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

/// One index entry, checked: its data lies in `start..end` of the store.
#[derive(Clone, Copy, Debug)]
struct Index {
    tag: u32,
    kind: u32,
    count: u32,
    start: usize,
    end: usize,
}

/// A parsed header structure.
#[derive(Clone, Debug)]
pub struct Header {
    /// The header exactly as in the file (magic, counts, index, data): what
    /// the header signatures and RPMSIGTAG_SHA256 are computed over.
    pub bytes: Vec<u8>,
    /// Offset of the header in the file.
    pub offset: u64,
    /// Sorted by tag.
    index: Vec<Index>,
    data_start: usize,
}

/// The lead, the two headers and where the payload starts.
#[derive(Clone, Debug)]
pub struct Layout {
    pub signature: Header,
    pub main: Header,
    /// Offset of the first payload byte.
    pub payload_offset: u64,
}

fn err(what: &'static str, offset: u64, reason: impl Into<String>) -> LayoutError {
    LayoutError {
        what,
        offset,
        reason: reason.into(),
    }
}

/// Reads exactly `n` bytes, growing the buffer only as bytes arrive (a
/// declared length beyond the file allocates nothing).
fn read_n(r: &mut dyn Read, n: usize, what: &'static str, at: u64) -> Result<Vec<u8>, LayoutError> {
    let mut buf = Vec::with_capacity(n.min(64 * 1024));
    r.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| err(what, at, format!("read failed: {e}")))?;
    if buf.len() < n {
        return Err(err(
            what,
            at,
            format!("the file ends after {} of {n} bytes", buf.len()),
        ));
    }
    Ok(buf)
}

/// Reads the lead and both headers from the start of `r`, leaving `r` at
/// the first payload byte.
pub fn read_layout(r: &mut dyn Read) -> Result<Layout, LayoutError> {
    let lead = read_n(r, LEAD_LEN, "lead", 0)?;
    if lead[..4] != LEAD_MAGIC {
        return Err(err("lead", 0, "not an RPM package (no lead magic)"));
    }
    // file_format.html: major 3 or 4; rpm ≥ 4 reads only header-style
    // signatures.
    if !matches!(lead[4], 3 | 4) {
        return Err(err(
            "lead",
            4,
            format!("package format version {} (rpm reads 3 and 4)", lead[4]),
        ));
    }
    let sigtype = u16::from_be_bytes([lead[78], lead[79]]);
    if sigtype != SIGTYPE_HEADERSIG {
        return Err(err(
            "lead",
            78,
            format!("signature type {sigtype}: only header-style signatures (5) are read by rpm 4"),
        ));
    }
    let mut at = LEAD_LEN as u64;
    let signature = read_header(r, at, "signature header", MAX_SIGNATURE_ENTRIES)?;
    at += signature.bytes.len() as u64;
    // The signature header is padded to a multiple of 8 bytes.
    let pad = (8 - (signature.bytes.len() % 8)) % 8;
    let padding = read_n(r, pad, "signature header padding", at)?;
    if padding.iter().any(|b| *b != 0) {
        return Err(err(
            "signature header padding",
            at,
            "padding bytes are not zero",
        ));
    }
    at += pad as u64;
    let main = read_header(r, at, "main header", MAX_INDEX_ENTRIES)?;
    at += main.bytes.len() as u64;
    Ok(Layout {
        signature,
        main,
        payload_offset: at,
    })
}

/// Size in bytes of one element of a fixed-size type, and its alignment.
fn element(kind: u32) -> Option<usize> {
    match kind {
        kind::NULL => Some(0),
        kind::CHAR | kind::INT8 | kind::BIN => Some(1),
        kind::INT16 => Some(2),
        kind::INT32 => Some(4),
        kind::INT64 => Some(8),
        _ => None,
    }
}

/// Reads one header structure (file_format.html, "Header"): 16 bytes of
/// magic, reserved, index count and data size, then the index, then data.
fn read_header(
    r: &mut dyn Read,
    offset: u64,
    what: &'static str,
    max_entries: u32,
) -> Result<Header, LayoutError> {
    let intro = read_n(r, 16, what, offset)?;
    if intro[..4] != HEADER_MAGIC {
        return Err(err(what, offset, "no header magic 8e ad e8 01"));
    }
    let il = u32::from_be_bytes(intro[8..12].try_into().expect("4 bytes"));
    let dl = u32::from_be_bytes(intro[12..16].try_into().expect("4 bytes"));
    if il == 0 || il > max_entries {
        return Err(err(
            what,
            offset + 8,
            format!("{il} index entries (rpm accepts 1 to {max_entries})"),
        ));
    }
    if dl > MAX_DATA_BYTES {
        return Err(err(
            what,
            offset + 12,
            format!("{dl} data bytes (rpm accepts at most {MAX_DATA_BYTES})"),
        ));
    }
    let rest = read_n(r, il as usize * 16 + dl as usize, what, offset + 16)?;
    let mut bytes = intro;
    bytes.extend_from_slice(&rest);
    let data_start = 16 + il as usize * 16;
    let data = &bytes[data_start..];
    let mut index = Vec::with_capacity(il as usize);
    for i in 0..il as usize {
        let e = &bytes[16 + i * 16..32 + i * 16];
        let word = |k: usize| u32::from_be_bytes(e[k..k + 4].try_into().expect("4 bytes"));
        let (tag, kind, off, count) = (word(0), word(4), word(8), word(12));
        let at = offset + 16 + (i * 16) as u64;
        if kind > kind::I18NSTRING {
            return Err(err(what, at, format!("tag {tag} has unknown type {kind}")));
        }
        if off as usize > data.len() {
            return Err(err(
                what,
                at,
                format!("tag {tag}: data offset {off} beyond the {dl}-byte data store"),
            ));
        }
        let start = off as usize;
        let end = match element(kind) {
            Some(size) => {
                if size > 1 && !start.is_multiple_of(size) {
                    return Err(err(
                        what,
                        at,
                        format!("tag {tag}: offset {off} not aligned for its type"),
                    ));
                }
                let len = (count as usize)
                    .checked_mul(size)
                    .filter(|n| *n <= data.len() - start)
                    .ok_or_else(|| {
                        err(
                            what,
                            at,
                            format!("tag {tag}: {count} elements run past the data store"),
                        )
                    })?;
                start + len
            }
            None => {
                // Strings: `count` NUL-terminated strings (STRING has one).
                if kind == kind::STRING && count != 1 {
                    return Err(err(
                        what,
                        at,
                        format!("tag {tag}: a STRING with count {count}"),
                    ));
                }
                if count as usize > data.len() - start {
                    return Err(err(
                        what,
                        at,
                        format!("tag {tag}: {count} strings run past the data store"),
                    ));
                }
                start // measured below, once overlap is ruled out
            }
        };
        index.push(Index {
            tag,
            kind,
            count,
            start,
            end,
        });
    }
    // Each tag's data in its own range: sort by offset and measure strings
    // only up to the next tag's data, so the scan is linear in the store.
    let mut order: Vec<usize> = (0..index.len()).collect();
    order.sort_by_key(|&i| (index[i].start, index[i].tag));
    for (n, &i) in order.iter().enumerate() {
        let limit = order
            .get(n + 1)
            .map(|&j| index[j].start)
            .unwrap_or(data.len());
        let e = index[i];
        let end = if element(e.kind).is_some() {
            e.end
        } else {
            let mut pos = e.start;
            for _ in 0..e.count {
                match memchr::memchr(0, &data[pos..limit.max(pos)]) {
                    Some(k) => pos += k + 1,
                    None => {
                        return Err(err(
                            what,
                            offset + (data_start + e.start) as u64,
                            format!(
                                "tag {}: its strings are not NUL-terminated within its own data",
                                e.tag
                            ),
                        ));
                    }
                }
            }
            pos
        };
        if end > limit {
            return Err(err(
                what,
                offset + (data_start + e.start) as u64,
                format!(
                    "tag {}: its data overlaps the next tag's: two tags would read the same bytes",
                    e.tag
                ),
            ));
        }
        index[i].end = end;
    }
    index.sort_by_key(|e| e.tag);
    if let Some(w) = index.windows(2).find(|w| w[0].tag == w[1].tag) {
        return Err(err(
            what,
            offset,
            format!(
                "tag {} occurs twice: rpm would read one, an auditor the other",
                w[0].tag
            ),
        ));
    }
    Ok(Header {
        bytes,
        offset,
        index,
        data_start,
    })
}

/// A tag's value whose type is not what the tag needs.
fn wrong_type(tag: u32, kind: u32) -> String {
    format!("tag {tag} has type {kind}, not the type rpm writes for it")
}

impl Header {
    fn find(&self, tag: u32) -> Option<&Index> {
        self.index
            .binary_search_by_key(&tag, |e| e.tag)
            .ok()
            .map(|i| &self.index[i])
    }

    fn data(&self, e: &Index) -> &[u8] {
        &self.bytes[self.data_start + e.start..self.data_start + e.end]
    }

    /// Whether the header holds `tag`.
    pub fn has(&self, tag: u32) -> bool {
        self.find(tag).is_some()
    }

    /// The data type `tag` is stored with, when the header holds it.
    pub fn kind_of(&self, tag: u32) -> Option<u32> {
        self.find(tag).map(|e| e.kind)
    }

    /// A BIN tag's bytes.
    pub fn bin(&self, tag: u32) -> Result<Option<&[u8]>, String> {
        match self.find(tag) {
            None => Ok(None),
            Some(e) if e.kind == kind::BIN => Ok(Some(self.data(e))),
            Some(e) => Err(wrong_type(tag, e.kind)),
        }
    }

    /// A STRING (or I18NSTRING, first translation) tag, without its NUL.
    pub fn string(&self, tag: u32) -> Result<Option<&[u8]>, String> {
        match self.strings_of(tag, &[kind::STRING, kind::I18NSTRING])? {
            None => Ok(None),
            Some(v) => Ok(v.into_iter().next()),
        }
    }

    /// A STRING_ARRAY tag's strings.
    pub fn strings(&self, tag: u32) -> Result<Option<Vec<&[u8]>>, String> {
        self.strings_of(tag, &[kind::STRING_ARRAY])
    }

    fn strings_of(&self, tag: u32, kinds: &[u32]) -> Result<Option<Vec<&[u8]>>, String> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if !kinds.contains(&e.kind) {
            return Err(wrong_type(tag, e.kind));
        }
        let data = self.data(e);
        // The parser checked there are exactly `count` terminated strings.
        let mut out: Vec<&[u8]> = data.split(|b| *b == 0).collect();
        out.pop();
        Ok(Some(out))
    }

    /// An integer array tag (INT8/16/32/64), widened.
    pub fn ints(&self, tag: u32) -> Result<Option<Vec<u64>>, String> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        let size = match e.kind {
            kind::INT8 | kind::CHAR => 1,
            kind::INT16 => 2,
            kind::INT32 => 4,
            kind::INT64 => 8,
            k => return Err(wrong_type(tag, k)),
        };
        Ok(Some(
            self.data(e)
                .chunks_exact(size)
                .map(|c| c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(entries: &[(u32, u32, u32, u32)], data: &[u8]) -> Vec<u8> {
        let mut h = HEADER_MAGIC.to_vec();
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        h.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for (t, k, o, c) in entries {
            for w in [t, k, o, c] {
                h.extend_from_slice(&w.to_be_bytes());
            }
        }
        h.extend_from_slice(data);
        h
    }

    #[test]
    fn reads_strings_and_ints() {
        let data = b"a\0bc\0\0\0\0\0\0\0\x07";
        let h = header(&[(1117, 8, 0, 2), (1028, 4, 8, 1)], data);
        let got = read_header(&mut &h[..], 0, "t", 10).unwrap();
        assert_eq!(got.strings(1117).unwrap().unwrap(), vec![&b"a"[..], b"bc"]);
        assert_eq!(got.ints(1028).unwrap().unwrap(), vec![7]);
    }

    #[test]
    fn refuses_overlap_duplicates_and_huge_counts() {
        let data = b"abc\0";
        let h = header(&[(1000, 6, 0, 1), (1001, 6, 1, 1)], data);
        let e = read_header(&mut &h[..], 0, "t", 10).unwrap_err();
        assert!(e.reason.contains("within its own data"), "{e}");
        let h = header(&[(1000, 6, 0, 1), (1000, 7, 3, 1)], b"ab\0c");
        let e = read_header(&mut &h[..], 0, "t", 10).unwrap_err();
        assert!(e.reason.contains("twice"), "{e}");
        let h = header(&[(1028, 4, 0, 0x4000_0000)], data);
        let e = read_header(&mut &h[..], 0, "t", 10).unwrap_err();
        assert!(e.reason.contains("run past"), "{e}");
        let mut h = header(&[(1000, 6, 0, 1)], data);
        h[8..12].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        let e = read_header(&mut &h[..], 0, "t", MAX_INDEX_ENTRIES).unwrap_err();
        assert!(e.reason.contains("index entries"), "{e}");
    }
}

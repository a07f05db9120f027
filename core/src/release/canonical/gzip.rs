//! gzip streams (RFC 1952). The `gzip-header` normalization ignores
//! MTIME, OS and FNAME of a single-member stream, and only when each has
//! exactly its shape; everything else is compared exactly:
//!
//! - a header with FEXTRA or FCOMMENT is compared byte for byte (those
//!   fields can carry any amount of data; no build tool needs them);
//! - FNAME is normalized only when it is at most [`MAX_FNAME`] printable
//!   ASCII bytes (a file name); any other FNAME is compared;
//! - FHCRC, when present, must be the CRC of the header (§2.3.1), or the
//!   stream is refused as corrupt;
//! - a stream of more than one member is never normalized: the headers
//!   of members after the first would otherwise go unseen. [`Members`]
//!   counts them; the comparison treats any byte difference in a
//!   multi-member stream as a difference.
//!
//! The payload is compared after decompression.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

const FTEXT: u8 = 1;
const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

/// Longest FNAME normalized (a file name; `NAME_MAX` on common systems).
pub(crate) const MAX_FNAME: usize = 255;

/// A parsed header.
pub(crate) struct Header {
    /// Bytes compared exactly.
    pub strict: Vec<u8>,
    /// MTIME, FNAME and OS when they have their shapes.
    pub normalized: Vec<u8>,
    /// Header length in bytes.
    pub len: usize,
}

/// An FNAME with a file name's shape: printable ASCII, at most
/// [`MAX_FNAME`] bytes.
fn is_file_name(name: &[u8]) -> bool {
    name.len() <= MAX_FNAME && name.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// Parses the header at the start of `bytes` (which must hold all of it).
pub(crate) fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    let fixed = bytes.get(..10).ok_or("gzip header shorter than 10 bytes")?;
    if fixed[0] != 0x1f || fixed[1] != 0x8b {
        return Err("not a gzip stream".into());
    }
    if fixed[2] != 8 {
        return Err(format!("unknown gzip compression method {}", fixed[2]));
    }
    let flags = fixed[3];
    if flags & 0xe0 != 0 {
        return Err(format!(
            "reserved gzip flag bits set ({flags:#04x}); RFC 1952 §2.3.1 says to reject"
        ));
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let xlen = bytes.get(at..at + 2).ok_or("truncated gzip FEXTRA")?;
        let xlen = u16::from_le_bytes([xlen[0], xlen[1]]) as usize;
        bytes
            .get(at + 2..at + 2 + xlen)
            .ok_or("gzip FEXTRA longer than the header read-ahead")?;
        at += 2 + xlen;
    }
    let mut name = None;
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = bytes.get(at..).unwrap_or_default();
            let end = memchr::memchr(0, rest).ok_or("unterminated gzip FNAME/FCOMMENT")?;
            if flag == FNAME {
                name = Some(at..at + end);
            }
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        let crc = bytes.get(at..at + 2).ok_or("truncated gzip FHCRC")?;
        let mut c = flate2::Crc::new();
        c.update(&bytes[..at]);
        // §2.3.1: "the two least significant bytes of the CRC32 for all
        // bytes of the gzip header up to and not including the CRC16".
        if c.sum().to_le_bytes()[..2] != *crc {
            return Err("gzip header CRC (FHCRC) does not match the header; \
                 the file is corrupt or was altered after compression"
                .into());
        }
        at += 2;
    }
    // Everything but XFL (compared with the compressed body) and the CRC16
    // (derived from the rest).
    let mut all = bytes[2..8].to_vec();
    all.push(fixed[9]);
    all.extend_from_slice(&bytes[10..at - if flags & FHCRC != 0 { 2 } else { 0 }]);
    if flags & (FEXTRA | FCOMMENT) != 0 {
        return Ok(Header {
            strict: all,
            normalized: Vec::new(),
            len: at,
        });
    }
    let mut strict = vec![fixed[2], flags & FTEXT];
    let mut normalized = fixed[4..8].to_vec(); // MTIME
    normalized.push(fixed[9]); // OS
    if let Some(range) = name {
        let field = &bytes[range];
        let target = if is_file_name(field) {
            &mut normalized
        } else {
            &mut strict
        };
        target.push(b'/');
        target.extend_from_slice(field);
    }
    Ok(Header {
        strict,
        normalized,
        len: at,
    })
}

/// Decompresses every member of a gzip stream in turn, as `gzip -d` does,
/// counting them in `count`.
pub(crate) struct Members<R: BufRead> {
    current: Option<flate2::bufread::GzDecoder<R>>,
    count: Rc<Cell<u64>>,
}

impl<R: BufRead> Members<R> {
    pub(crate) fn new(input: R) -> Self {
        let count = Rc::new(Cell::new(1));
        Self {
            current: Some(flate2::bufread::GzDecoder::new(input)),
            count,
        }
    }

    /// The number of members read so far (shared; final at end of stream).
    pub(crate) fn count(&self) -> Rc<Cell<u64>> {
        self.count.clone()
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(d) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = d.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This member ended: another one, or the end of the stream.
            let mut inner = self.current.take().expect("present").into_inner();
            if inner.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.count.set(self.count.get() + 1);
            self.current = Some(flate2::bufread::GzDecoder::new(inner));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_mtime_are_normalized_comment_makes_all_strict() {
        let mut h = vec![0x1f, 0x8b, 8, FNAME, 1, 2, 3, 4, 0, 3];
        h.extend_from_slice(b"R.tar\0");
        let p = parse_header(&h).unwrap();
        assert_eq!(p.len, h.len());
        assert_eq!(p.normalized, b"\x01\x02\x03\x04\x03/R.tar");
        assert_eq!(p.strict, b"\x08\x00");
        let mut h = vec![0x1f, 0x8b, 8, FNAME | FCOMMENT, 1, 2, 3, 4, 0, 3];
        h.extend_from_slice(b"R.tar\0note\0");
        let p = parse_header(&h).unwrap();
        assert_eq!(p.len, h.len());
        assert!(p.normalized.is_empty());
        assert_eq!(p.strict, b"\x08\x18\x01\x02\x03\x04\x03R.tar\0note\0");
    }

    #[test]
    fn header_crc_is_checked() {
        let mut h = vec![0x1f, 0x8b, 8, FNAME | FHCRC, 1, 2, 3, 4, 0, 3];
        h.extend_from_slice(b"a\0");
        let mut c = flate2::Crc::new();
        c.update(&h);
        let good = c.sum().to_le_bytes();
        let mut ok = h.clone();
        ok.extend_from_slice(&good[..2]);
        assert_eq!(parse_header(&ok).unwrap().len, ok.len());
        h.extend_from_slice(&[good[0] ^ 1, good[1]]);
        assert!(parse_header(&h).is_err());
    }

    #[test]
    fn reserved_flags_and_truncation_are_rejected() {
        assert!(parse_header(&[0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3]).is_err());
        assert!(parse_header(&[0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3, b'a']).is_err());
        assert!(parse_header(&[0x1f, 0x8b]).is_err());
    }
}

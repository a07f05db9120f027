//! gzip member header (RFC 1952 §2.3). MTIME, FNAME and OS describe where
//! and when the file was compressed; CM, the other flags, FEXTRA and
//! FCOMMENT are compared exactly. The payload is compared after
//! decompression.

const FTEXT: u8 = 1;
const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

/// A parsed header.
pub(crate) struct Header {
    /// Bytes compared exactly.
    pub strict: Vec<u8>,
    /// MTIME, FNAME and OS.
    pub normalized: Vec<u8>,
    /// Header length in bytes.
    pub len: usize,
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
    let mut strict = vec![fixed[2], flags & (FTEXT | FEXTRA | FCOMMENT)];
    let mut normalized = fixed[4..8].to_vec(); // MTIME
    normalized.push(fixed[9]); // OS
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let xlen = bytes.get(at..at + 2).ok_or("truncated gzip FEXTRA")?;
        let xlen = u16::from_le_bytes([xlen[0], xlen[1]]) as usize;
        let extra = bytes
            .get(at + 2..at + 2 + xlen)
            .ok_or("gzip FEXTRA longer than the header read-ahead")?;
        strict.extend_from_slice(extra);
        at += 2 + xlen;
    }
    for (flag, target) in [(FNAME, 0), (FCOMMENT, 1)] {
        if flags & flag != 0 {
            let rest = bytes.get(at..).unwrap_or_default();
            let end = memchr::memchr(0, rest).ok_or("unterminated gzip FNAME/FCOMMENT")?;
            let field = &rest[..end];
            if target == 0 {
                normalized.push(b'/');
                normalized.extend_from_slice(field);
            } else {
                strict.push(b'/');
                strict.extend_from_slice(field);
            }
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok(Header {
        strict,
        normalized,
        len: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_mtime_are_normalized_comment_is_not() {
        let mut h = vec![0x1f, 0x8b, 8, FNAME | FCOMMENT, 1, 2, 3, 4, 0, 3];
        h.extend_from_slice(b"R.tar\0note\0");
        let p = parse_header(&h).unwrap();
        assert_eq!(p.len, h.len());
        assert_eq!(p.normalized, b"\x01\x02\x03\x04\x03/R.tar");
        assert_eq!(p.strict, b"\x08\x10/note");
    }

    #[test]
    fn reserved_flags_and_truncation_are_rejected() {
        assert!(parse_header(&[0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3]).is_err());
        assert!(parse_header(&[0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3, b'a']).is_err());
        assert!(parse_header(&[0x1f, 0x8b]).is_err());
    }
}

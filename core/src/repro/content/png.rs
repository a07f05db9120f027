//! PNG images (ISO/IEC 15948 §11.3.4.6): the tIME chunk records when the
//! image was last modified. Only the first tIME chunk is dropped, and only
//! when it has exactly the shape the standard gives it: 7 bytes of data
//! (year, month 1-12, day 1-31, hour 0-23, minute 0-59, second 0-60) and a
//! correct CRC. A tIME chunk of another length, out-of-range values, a bad
//! CRC or a second tIME chunk stays compared, as do every other chunk, in
//! order, and any bytes after IEND: a tIME chunk of any length could carry
//! a whole program.

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

pub(super) fn applies(prefix: &[u8]) -> bool {
    prefix.starts_with(SIGNATURE)
}

/// §11.3.4.6: the 7-byte tIME payload with every field in range.
fn is_time(data: &[u8]) -> bool {
    matches!(data, [_, _, month, day, hour, minute, second]
        if (1..=12).contains(month)
            && (1..=31).contains(day)
            && *hour <= 23
            && *minute <= 59
            && *second <= 60)
}

/// §5.3: CRC-32 over chunk type and data.
fn crc_ok(chunk: &[u8]) -> bool {
    let (body, crc) = chunk.split_at(chunk.len() - 4);
    let mut c = flate2::Crc::new();
    c.update(&body[4..]);
    c.sum().to_be_bytes() == crc
}

/// The image without its first tIME chunk (when well formed), or `None`
/// when the chunk structure is malformed (then the file is compared byte
/// for byte).
pub(super) fn normalize(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..8)?);
    let mut at = 8;
    let mut time_seen = false;
    while at < bytes.len() {
        let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let end = at.checked_add(12)?.checked_add(len)?;
        let chunk = bytes.get(at..end)?;
        let kind = &chunk[4..8];
        let drop = kind == b"tIME" && !time_seen && is_time(&chunk[8..8 + len]) && crc_ok(chunk);
        time_seen |= kind == b"tIME";
        if !drop {
            out.extend_from_slice(chunk);
        }
        at = end;
        if kind == b"IEND" {
            out.extend_from_slice(&bytes[at..]);
            break;
        }
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::normalized_of;
    use crate::release::canonical::Field;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        c.extend_from_slice(&crc.sum().to_be_bytes());
        c
    }

    /// A valid 1x1 greyscale PNG, with a tIME chunk when `time` is given.
    pub(crate) fn sample_png(time: Option<[u8; 7]>, pixel: u8) -> Vec<u8> {
        use std::io::Write;
        let mut png = super::SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        if let Some(t) = time {
            png.extend(chunk(b"tIME", &t));
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&[0, pixel]).unwrap();
        png.extend(chunk(b"IDAT", &z.finish().unwrap()));
        png.extend(chunk(b"IEND", &[]));
        png
    }

    #[test]
    fn time_chunk_is_ignored_but_pixels_are_not() {
        let a = sample_png(Some([0x07, 0xea, 1, 2, 3, 4, 5]), 200);
        let b = sample_png(Some([0x07, 0xeb, 6, 7, 8, 9, 10]), 200);
        let none = sample_png(None, 200);
        let na = normalized_of(&a, "icon.png").unwrap();
        assert_eq!(na.0, Field::PngTime);
        assert_eq!(na, normalized_of(&b, "icon.png").unwrap());
        assert_eq!(na, normalized_of(&none, "icon.png").unwrap());
        let c = sample_png(Some([0x07, 0xeb, 6, 7, 8, 9, 10]), 201);
        assert_ne!(na, normalized_of(&c, "icon.png").unwrap());
        let mut trailing = b.clone();
        trailing.extend_from_slice(b"hidden payload");
        assert_ne!(na, normalized_of(&trailing, "icon.png").unwrap());
    }

    #[test]
    fn truncated_png_is_compared_raw() {
        let a = sample_png(None, 1);
        assert!(normalized_of(&a[..20], "x.png").is_none());
    }
}

//! bzip2: a codec around one stream (a `.tar.bz2`, or one `.bz2` file).
//!
//! This module is what a format is: how to recognise it and how to read
//! it. It is registered by one row in the registry ([`ROW`] in
//! `registry::REGISTRY`); the release reader, `diff`, `sig` and `repro`
//! (through `release::canonical`) all find it there.

use std::io::{self, Read};

use super::Format;
use super::registry::{Reader, Row};

/// The registry row.
pub(crate) const ROW: Row = Row {
    format: Format::Bz2,
    extensions: &[".bz2", ".tbz2", ".tbz"],
    sniff,
    reader: Reader::Codec {
        decode,
        tar: Format::TarBz2,
    },
};

/// "BZh", the block size digit, then the first block's magic (the BCD of
/// pi) or, for an empty stream, the end-of-stream magic (BCD of sqrt(pi)).
/// "BZh1" alone is not enough: text can start that way.
fn sniff(h: &[u8], _tar_hint: bool) -> bool {
    h.len() >= 10
        && h.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&h[3])
        && (h[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
            || h[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
}

/// Every concatenated stream is read, as `bzip2 -d` does.
pub(crate) fn decode<'a>(
    r: Box<dyn Read + 'a>,
    _: super::codec::Extra,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(Box::new(bzip2::read::MultiBzDecoder::new(r)))
}

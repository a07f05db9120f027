//! The one table of formats the reader knows. Each row says how to
//! recognise the format (magic bytes first; the file name is only a hint for
//! the magic-less old tar) and which module reads it. Adding a format is one
//! module plus one row here.
//! `bzip2.rs` is the example: a format's sniff and reader in one module,
//! registered by the one line `super::bzip2::ROW`.

use std::io::{self, Read};

use super::Format;
use super::codec::{Extra, GzMembers, ZstdFrames};

/// Wraps a compressed stream in its decoder, which counts in the
/// [`Extra`] the structure no header describes (gzip members after the
/// first, zstd skippable frames; see `codec.rs`).
pub(crate) type Decode = for<'a> fn(Box<dyn Read + 'a>, Extra) -> io::Result<Box<dyn Read + 'a>>;

/// How a recognised format is read.
pub(crate) enum Reader {
    /// A compression codec around one stream. When the decompressed stream
    /// is a tar the release format is `tar`; otherwise the stream is one
    /// file, named after the compressed one without its extension.
    Codec { decode: Decode, tar: Format },
    /// tar (ustar, GNU, pax): streamed.
    Tar,
    /// zip: needs random access (central directory at the end).
    Zip,
    /// Unix ar, and Debian packages (ar with control.tar.* and data.tar.*):
    /// streamed.
    Ar,
    /// RPM packages (lead, headers, compressed cpio payload): streamed.
    Rpm,
}

/// One format.
pub(crate) struct Row {
    pub format: Format,
    /// Lower-case file name suffixes, for humans and for the tar hint.
    pub extensions: &'static [&'static str],
    /// Recognises the format from the first [`SNIFF_LEN`] bytes.
    pub sniff: fn(head: &[u8], tar_hint: bool) -> bool,
    pub reader: Reader,
}

/// How many leading bytes sniffing needs (a tar header block).
pub(crate) const SNIFF_LEN: usize = 512;

/// Every format, most specific first (deb before ar).
pub(crate) static REGISTRY: &[Row] = &[
    Row {
        format: Format::Gz,
        extensions: &[".gz", ".tgz"],
        sniff: |h, _| h.starts_with(&[0x1f, 0x8b]),
        reader: Reader::Codec {
            decode: |r, extra| Ok(Box::new(GzMembers::new(io::BufReader::new(r), extra))),
            tar: Format::TarGz,
        },
    },
    Row {
        format: Format::Xz,
        extensions: &[".xz", ".txz"],
        sniff: |h, _| h.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
        reader: Reader::Codec {
            decode: |r, _| Ok(Box::new(xz2::read::XzDecoder::new_multi_decoder(r))),
            tar: Format::TarXz,
        },
    },
    Row {
        format: Format::Zst,
        extensions: &[".zst", ".tzst"],
        sniff: |h, _| h.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
        reader: Reader::Codec {
            decode: |r, extra| {
                Ok(Box::new(zstd::stream::read::Decoder::new(
                    ZstdFrames::new(r, extra),
                )?))
            },
            tar: Format::TarZst,
        },
    },
    super::bzip2::ROW,
    super::rpm::ROW,
    Row {
        format: Format::Zip,
        extensions: &[
            ".zip", ".jar", ".apk", ".whl", ".war", ".ear", ".aar", ".nupkg",
        ],
        // A local file header, or the end record of an empty archive
        // (APPNOTE.TXT 4.3.7 and 4.3.16).
        sniff: |h, _| h.starts_with(b"PK\x03\x04") || h.starts_with(b"PK\x05\x06"),
        reader: Reader::Zip,
    },
    Row {
        format: Format::Deb,
        extensions: &[".deb", ".udeb", ".ddeb"],
        // deb(5): an ar archive whose first member is `debian-binary`.
        sniff: |h, _| h.starts_with(b"!<arch>\n") && h[8..].starts_with(b"debian-binary"),
        reader: Reader::Ar,
    },
    Row {
        format: Format::Ar,
        extensions: &[".a", ".ar", ".lib"],
        sniff: |h, _| h.starts_with(b"!<arch>\n"),
        reader: Reader::Ar,
    },
    Row {
        format: Format::Tar,
        extensions: &[".tar"],
        sniff: is_tar,
        reader: Reader::Tar,
    },
];

/// POSIX.1-1988 ustar / GNU magic at offset 257; a pre-POSIX (v7) header is
/// accepted only with a valid header checksum and a name that says tar.
fn is_tar(h: &[u8], tar_hint: bool) -> bool {
    if h.len() < 512 {
        return false;
    }
    if &h[257..262] == b"ustar" {
        return true;
    }
    tar_hint && checksum_ok(&h[..512])
}

/// The tar header checksum: octal field at 148..156, computed with the
/// field itself read as spaces.
fn checksum_ok(block: &[u8]) -> bool {
    let field = &block[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() {
        return false;
    }
    let Ok(text) = std::str::from_utf8(&digits) else {
        return false;
    };
    let Ok(want) = u32::from_str_radix(text, 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum();
    // An all-zero block sums to 256 (the spaces): that is an end marker,
    // not a header.
    sum == want && sum != 256
}

/// Whether a file name suggests a tar (used only for magic-less v7 tar).
pub(crate) fn tar_hint(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.bz2", ".tbz2",
        ".tbz",
    ]
    .iter()
    .any(|s| lower.ends_with(s.as_bytes()))
}

/// Recognises a format from the leading bytes of content.
pub(crate) fn sniff(head: &[u8], name: &[u8]) -> Option<&'static Row> {
    let hint = tar_hint(name);
    REGISTRY.iter().find(|row| (row.sniff)(head, hint))
}

/// The tar row, used for the stream inside a codec.
pub(crate) fn tar_row() -> &'static Row {
    REGISTRY
        .iter()
        .find(|r| matches!(r.reader, Reader::Tar))
        .expect("tar is registered")
}

/// The name of the single file inside a compressed stream: the outer name
/// without its compression suffix (`notes.txt.gz` → `notes.txt`).
pub(crate) fn decompressed_name(row: &Row, name: &[u8]) -> Vec<u8> {
    let lower = name.to_ascii_lowercase();
    for ext in row.extensions {
        if lower.ends_with(ext.as_bytes()) && name.len() > ext.len() {
            return name[..name.len() - ext.len()].to_vec();
        }
    }
    if name.is_empty() {
        b"content".to_vec()
    } else {
        let mut n = name.to_vec();
        n.extend_from_slice(b".out");
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_before_extension() {
        assert_eq!(
            sniff(b"PK\x03\x04rest", b"x.tar").unwrap().format,
            Format::Zip
        );
        assert_eq!(
            sniff(&[0x1f, 0x8b, 8, 0], b"x.zip").unwrap().format,
            Format::Gz
        );
        let mut deb = b"!<arch>\ndebian-binary   ".to_vec();
        deb.resize(600, b' ');
        assert_eq!(sniff(&deb, b"x").unwrap().format, Format::Deb);
        assert_eq!(sniff(b"!<arch>\nfoo.o/", b"x").unwrap().format, Format::Ar);
        assert!(sniff(b"hello world", b"x.gz").is_none());
    }

    #[test]
    fn v7_tar_needs_checksum_and_name_hint() {
        let mut h = tar::Header::new_old();
        h.set_path("a.txt").unwrap();
        h.set_size(0);
        h.set_cksum();
        let block = h.as_bytes().to_vec();
        assert!(sniff(&block, b"old.tar").is_some());
        assert!(sniff(&block, b"old.bin").is_none());
        assert!(sniff(&[0u8; 512], b"zeros.tar").is_none());
    }

    #[test]
    fn decompressed_name_strips_the_suffix() {
        let gz = &REGISTRY[0];
        assert_eq!(decompressed_name(gz, b"notes.txt.gz"), b"notes.txt");
        assert_eq!(decompressed_name(gz, b"blob"), b"blob.out");
    }
}

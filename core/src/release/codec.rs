//! What a compression stream records beyond its payload, read while the
//! release reader decompresses it (no second pass): the gzip header
//! (RFC 1952 §2.3), the digest of the compressed body, gzip members after
//! the first and zstd skippable frames (RFC 8878 §3.1.2). `repro` compares
//! these ([`CodecFacts`]); the registry's decoders count the structure
//! through [`Extra`].
//!
//! The `gzip-header` normalization ignores MTIME, OS and FNAME of a
//! single-member stream, and only when each has exactly its shape;
//! everything else is compared exactly:
//! - a header with FEXTRA or FCOMMENT is compared byte for byte (those
//!   fields can carry any amount of data; no build tool needs them);
//! - FNAME is normalized only when it is at most [`MAX_FNAME`] printable
//!   ASCII bytes (a file name); any other FNAME is compared;
//! - FHCRC, when present, must be the CRC of the header (§2.3.1), or the
//!   stream is refused as corrupt;
//! - a stream of more than one member is never normalized: the headers of
//!   members after the first would otherwise go unseen.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};

use super::{CodecFacts, Format};

/// Counts the structure a decoder meets that no header describes (gzip
/// members after the first, zstd skippable frames), shared with the
/// reader that records the stream's [`CodecFacts`].
pub(crate) type Extra = Arc<AtomicU64>;

const FTEXT: u8 = 1;
const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

/// Longest FNAME normalized (a file name; `NAME_MAX` on common systems).
pub(crate) const MAX_FNAME: usize = 255;

/// How many leading bytes of a compressed stream hold its header (a gzip
/// header longer than this is refused).
const HEAD_LEN: usize = 8 * 1024;

/// A parsed gzip header.
struct GzHeader {
    /// Bytes compared exactly.
    strict: Vec<u8>,
    /// MTIME, FNAME and OS when they have their shapes.
    normalized: Vec<u8>,
    /// Header length in bytes.
    len: usize,
}

/// An FNAME with a file name's shape: printable ASCII, at most
/// [`MAX_FNAME`] bytes.
fn is_file_name(name: &[u8]) -> bool {
    name.len() <= MAX_FNAME && name.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// Parses the gzip header at the start of `bytes` (which must hold all of
/// it).
fn parse_gzip_header(bytes: &[u8]) -> Result<GzHeader, String> {
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
        return Ok(GzHeader {
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
    Ok(GzHeader {
        strict,
        normalized,
        len: at,
    })
}

/// Decompresses every member of a gzip stream in turn, as `gzip -d` does,
/// counting the members after the first in `extra`.
pub(crate) struct GzMembers<R: BufRead> {
    current: Option<flate2::bufread::GzDecoder<R>>,
    extra: Extra,
}

impl<R: BufRead> GzMembers<R> {
    pub(crate) fn new(input: R, extra: Extra) -> Self {
        Self {
            current: Some(flate2::bufread::GzDecoder::new(input)),
            extra,
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
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
            self.extra.fetch_add(1, Ordering::Relaxed);
            self.current = Some(flate2::bufread::GzDecoder::new(inner));
        }
    }
}

const ZSTD_FRAME_MAGIC: u32 = 0xFD2F_B528;

/// Where [`ZstdFrames`] is in the frame structure (RFC 8878 §3.1).
#[derive(Clone, Copy)]
enum State {
    /// Collecting a 4-byte magic number.
    Magic,
    /// Collecting a skippable frame's 4-byte size.
    SkippableSize,
    /// Collecting the frame header descriptor (1 byte).
    Descriptor,
    /// Collecting a 3-byte block header; `checksum` after the last block.
    Block { checksum: bool },
    /// Skipping `n` bytes, then `next`.
    Skip(u64, After),
    /// Not a frame structure we know; the decoder will report it.
    Lost,
}

#[derive(Clone, Copy)]
enum After {
    Magic,
    Block { checksum: bool },
}

/// Passes a zstd stream through and counts its skippable frames
/// (§3.1.2) in `extra`: they carry arbitrary bytes every decoder silently
/// skips. Regular frames carry no free data: their content size and
/// checksum are checked by the decoder, and a dictionary id fails
/// decoding.
pub(crate) struct ZstdFrames<R> {
    inner: R,
    state: State,
    buf: [u8; 4],
    have: usize,
    extra: Extra,
}

impl<R: Read> ZstdFrames<R> {
    pub(crate) fn new(inner: R, extra: Extra) -> Self {
        Self {
            inner,
            state: State::Magic,
            buf: [0; 4],
            have: 0,
            extra,
        }
    }

    fn collect(&mut self, b: u8, want: usize) -> Option<[u8; 4]> {
        self.buf[self.have] = b;
        self.have += 1;
        (self.have == want).then(|| {
            self.have = 0;
            self.buf
        })
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        while let Some((&b, rest)) = bytes.split_first() {
            match self.state {
                State::Lost => return,
                State::Skip(n, after) => {
                    let k = (n as usize).min(bytes.len()) as u64;
                    bytes = &bytes[k as usize..];
                    self.state = if k == n {
                        match after {
                            After::Magic => State::Magic,
                            After::Block { checksum } => State::Block { checksum },
                        }
                    } else {
                        State::Skip(n - k, after)
                    };
                    continue;
                }
                State::Magic => {
                    if let Some(m) = self.collect(b, 4) {
                        let m = u32::from_le_bytes(m);
                        self.state = if m == ZSTD_FRAME_MAGIC {
                            State::Descriptor
                        } else if m & 0xFFFF_FFF0 == 0x184D_2A50 {
                            self.extra.fetch_add(1, Ordering::Relaxed);
                            State::SkippableSize
                        } else {
                            State::Lost
                        };
                    }
                }
                State::SkippableSize => {
                    if let Some(s) = self.collect(b, 4) {
                        let n = u64::from(u32::from_le_bytes(s));
                        self.state = State::Skip(n, After::Magic);
                    }
                }
                State::Descriptor => {
                    // §3.1.1.1.1: FCS flag (bits 7-6), single segment (5),
                    // checksum (2), dictionary id flag (1-0).
                    let single = b & 0x20 != 0;
                    let fcs = match b >> 6 {
                        0 => usize::from(single),
                        1 => 2,
                        2 => 4,
                        _ => 8,
                    };
                    let did = [0, 1, 2, 4][usize::from(b & 3)];
                    let rest = usize::from(!single) + did + fcs;
                    let after = After::Block {
                        checksum: b & 4 != 0,
                    };
                    self.state = State::Skip(rest as u64, after);
                }
                State::Block { checksum } => {
                    if let Some(h) = self.collect(b, 3) {
                        let h = u32::from_le_bytes([h[0], h[1], h[2], 0]);
                        let last = h & 1 != 0;
                        let size = u64::from(h >> 3);
                        let body = match (h >> 1) & 3 {
                            0 | 2 => size, // raw, compressed
                            1 => 1,        // RLE
                            _ => {
                                self.state = State::Lost;
                                return;
                            }
                        };
                        let after = if last {
                            if checksum {
                                self.state = State::Skip(body + 4, After::Magic);
                                bytes = rest;
                                continue;
                            }
                            After::Magic
                        } else {
                            After::Block { checksum }
                        };
                        self.state = State::Skip(body, after);
                    }
                }
            }
            bytes = rest;
        }
    }
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.feed(&buf[..n]);
        Ok(n)
    }
}

/// The compressed bytes as they pass: the header (gzip) and the digest of
/// everything after it. Shared, because the decoder that pulls the bytes
/// may run on another thread (`pipeline.rs`).
#[derive(Clone)]
pub(crate) struct Probe(Arc<Mutex<Probed>>);

struct Probed {
    format: Format,
    head: Vec<u8>,
    /// (strict, normalizable, XFL) once the header is parsed.
    header: Option<(Vec<u8>, Vec<u8>, Option<u8>)>,
    body: Sha256,
}

impl Probed {
    /// Parses the header from the bytes gathered so far and starts the
    /// body's digest after it.
    fn parse(&mut self) -> Result<(), String> {
        if self.header.is_some() {
            return Ok(());
        }
        let (strict, normalized, len, xfl) = if self.format == Format::Gz {
            let h = parse_gzip_header(&self.head)?;
            (h.strict, h.normalized, h.len, self.head.get(8).copied())
        } else {
            (Vec::new(), Vec::new(), 0, None)
        };
        self.body.update(&self.head[len..]);
        self.header = Some((strict, normalized, xfl));
        Ok(())
    }

    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), String> {
        if self.header.is_none() {
            let take = (HEAD_LEN - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.head.len() < HEAD_LEN {
                return Ok(());
            }
            self.parse()?;
        }
        self.body.update(bytes);
        Ok(())
    }
}

impl Probe {
    /// A probe for a stream of codec `format`.
    pub(crate) fn new(format: Format) -> Self {
        Probe(Arc::new(Mutex::new(Probed {
            format,
            head: Vec::with_capacity(HEAD_LEN),
            header: None,
            body: Sha256::new(),
        })))
    }

    /// `inner`, recorded as it is read.
    pub(crate) fn wrap<R: Read>(&self, inner: R) -> ProbeReader<R> {
        ProbeReader {
            inner,
            probe: self.clone(),
        }
    }

    /// The stream's facts once it has been read to its end. `extra` is
    /// what the decoder counted; `payload_sha256` the decompressed tar's
    /// digest, if the payload is a tar.
    pub(crate) fn finish(
        &self,
        extra: u64,
        payload_sha256: Option<crate::digest::Sha256Digest>,
    ) -> Result<CodecFacts, String> {
        let mut p = self.0.lock().map_err(|_| "codec probe poisoned")?;
        p.parse()?;
        let (strict, header, xfl) = p.header.clone().expect("parsed");
        let mut body = p.body.clone().finalize().to_vec();
        body.extend(xfl);
        let unnormalizable = match (p.format, extra) {
            (_, 0) => None,
            (Format::Gz, m) => Some(format!("a gzip stream of {} members", m + 1)),
            (_, s) => Some(format!("a zstd stream with {s} skippable frame(s)")),
        };
        Ok(CodecFacts {
            format: p.format,
            strict,
            header,
            body,
            unnormalizable,
            payload_sha256,
        })
    }
}

/// Reads through a [`Probe`].
pub(crate) struct ProbeReader<R> {
    inner: R,
    probe: Probe,
}

impl<R: Read> Read for ProbeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut p = self
            .probe
            .0
            .lock()
            .map_err(|_| io::Error::other("codec probe poisoned"))?;
        let fed = if n == 0 && !buf.is_empty() {
            p.parse()
        } else {
            p.feed(&buf[..n])
        };
        fed.map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_mtime_are_normalized_comment_makes_all_strict() {
        let mut h = vec![0x1f, 0x8b, 8, FNAME, 1, 2, 3, 4, 0, 3];
        h.extend_from_slice(b"R.tar\0");
        let p = parse_gzip_header(&h).unwrap();
        assert_eq!(p.len, h.len());
        assert_eq!(p.normalized, b"\x01\x02\x03\x04\x03/R.tar");
        assert_eq!(p.strict, b"\x08\x00");
        let mut h = vec![0x1f, 0x8b, 8, FNAME | FCOMMENT, 1, 2, 3, 4, 0, 3];
        h.extend_from_slice(b"R.tar\0note\0");
        let p = parse_gzip_header(&h).unwrap();
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
        assert_eq!(parse_gzip_header(&ok).unwrap().len, ok.len());
        h.extend_from_slice(&[good[0] ^ 1, good[1]]);
        assert!(parse_gzip_header(&h).is_err());
    }

    #[test]
    fn reserved_flags_and_truncation_are_rejected() {
        assert!(parse_gzip_header(&[0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3]).is_err());
        assert!(parse_gzip_header(&[0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3, b'a']).is_err());
        assert!(parse_gzip_header(&[0x1f, 0x8b]).is_err());
    }
}

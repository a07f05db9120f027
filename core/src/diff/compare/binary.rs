//! Binary comparison: sizes, differing byte ranges (coalesced) and a short
//! hexdump around the first ranges. Both sides are read in lockstep chunks,
//! so two 2 GB files cost two chunk buffers, never the files.

use std::io::{self, Read};

use serde::{Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use super::super::DiffOptions;
use super::{Comparator, ContentDiff, ContentKind, Sides};

/// Chunk read from each side per step.
const CHUNK: usize = 256 * 1024;
/// Differing runs closer than this are reported as one range.
const GAP: u64 = 8;
/// Hexdump windows kept per file.
const WINDOWS: usize = 3;
/// Bytes shown per side in one hexdump window.
const WINDOW_LEN: usize = 64;
/// Block size of [`BlockDigests`].
pub const BLOCK: u64 = 64 * 1024;

/// A half-open byte range `[offset, offset + len)`, at the same offset in
/// both files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ByteRange {
    /// First differing byte.
    pub offset: u64,
    /// Length.
    pub len: u64,
}

/// Bytes of both sides around a differing range, for a hexdump.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HexWindow {
    /// Offset of the first byte shown (a multiple of 16).
    pub offset: u64,
    /// Old bytes from `offset` (hex in JSON).
    #[serde(serialize_with = "as_hex")]
    pub old: Vec<u8>,
    /// New bytes from `offset` (hex in JSON).
    #[serde(serialize_with = "as_hex")]
    pub new: Vec<u8>,
}

fn as_hex<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// The byte-level comparison of two contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BinaryDiff {
    /// Old size in bytes.
    pub old_size: u64,
    /// New size in bytes.
    pub new_size: u64,
    /// Bytes that differ at the same offset, plus the length difference.
    pub differing_bytes: u64,
    /// Number of differing ranges (all of them, even past `ranges`).
    pub range_count: u64,
    /// The first ranges (at most `max_ranges`).
    pub ranges: Vec<ByteRange>,
    /// 1 when ranges are exact; the block size when they were located by
    /// block digests only (content too large to compare in full).
    pub granularity: u64,
    /// Hexdump windows around the first ranges.
    pub hexdump: Vec<HexWindow>,
}

struct RangeBuilder {
    max_ranges: usize,
    open: Option<(u64, u64)>,
    ranges: Vec<ByteRange>,
    range_count: u64,
    differing: u64,
}

impl RangeBuilder {
    fn new(max_ranges: usize) -> Self {
        Self {
            max_ranges,
            open: None,
            ranges: Vec::new(),
            range_count: 0,
            differing: 0,
        }
    }

    /// Records `[start, end)` as differing; returns true when it opened a
    /// new range (not merged into the previous one).
    fn add(&mut self, start: u64, end: u64) -> bool {
        self.differing += end - start;
        match &mut self.open {
            Some((_, e)) if start <= *e + GAP => {
                *e = end.max(*e);
                false
            }
            _ => {
                self.close();
                self.open = Some((start, end));
                true
            }
        }
    }

    fn close(&mut self) {
        if let Some((s, e)) = self.open.take() {
            self.range_count += 1;
            if self.ranges.len() < self.max_ranges {
                self.ranges.push(ByteRange {
                    offset: s,
                    len: e - s,
                });
            }
        }
    }
}

fn fill(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    crate::fsio::read_up_to(r, buf)
}

/// The hexdump window around offset `at` of the current chunks: one row of
/// context before, aligned to 16.
fn window(a: &[u8], b: &[u8], pos: u64, at: usize) -> HexWindow {
    let start = (at - at % 16).saturating_sub(16);
    let cut = |buf: &[u8]| buf[start.min(buf.len())..(start + WINDOW_LEN).min(buf.len())].to_vec();
    HexWindow {
        offset: pos + start as u64,
        old: cut(a),
        new: cut(b),
    }
}

/// Compares two readers chunk by chunk. Memory: two chunk buffers.
pub fn compare_readers(
    old: &mut dyn Read,
    new: &mut dyn Read,
    max_ranges: usize,
) -> io::Result<BinaryDiff> {
    let mut a = vec![0u8; CHUNK];
    let mut b = vec![0u8; CHUNK];
    let mut rb = RangeBuilder::new(max_ranges);
    let mut hexdump = Vec::new();
    let (mut old_size, mut new_size) = (0u64, 0u64);
    let mut pos = 0u64;
    loop {
        let na = fill(old, &mut a)?;
        let nb = fill(new, &mut b)?;
        old_size += na as u64;
        new_size += nb as u64;
        let common = na.min(nb);
        if a[..common] != b[..common] {
            let mut i = 0;
            while i < common {
                if a[i] == b[i] {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < common && a[i] != b[i] {
                    i += 1;
                }
                let opened = rb.add(pos + start as u64, pos + i as u64);
                if opened && hexdump.len() < WINDOWS {
                    hexdump.push(window(&a[..na], &b[..nb], pos, start));
                }
            }
        }
        if na != nb {
            // One side ended: the rest of the longer side is one range.
            let start = pos + common as u64;
            let window_at = (rb.open.is_none_or(|(_, e)| start > e + GAP)
                && hexdump.len() < WINDOWS)
                .then(|| window(&a[..na], &b[..nb], pos, common));
            hexdump.extend(window_at);
            let (longer, buf): (&mut dyn Read, &mut [u8]) = if na > nb {
                (&mut *old, &mut a)
            } else {
                (&mut *new, &mut b)
            };
            let mut rest = (na.max(nb) - common) as u64;
            loop {
                let k = fill(longer, buf)?;
                if k == 0 {
                    break;
                }
                rest += k as u64;
            }
            if na > nb {
                old_size += rest - (na - common) as u64;
            } else {
                new_size += rest - (nb - common) as u64;
            }
            rb.add(start, start + rest);
            break;
        }
        if na == 0 {
            break;
        }
        pos += na as u64;
    }
    rb.close();
    Ok(BinaryDiff {
        old_size,
        new_size,
        differing_bytes: rb.differing,
        range_count: rb.range_count,
        ranges: rb.ranges,
        granularity: 1,
        hexdump,
    })
}

/// Digests of fixed-size blocks of a content, kept instead of the content
/// when it is too large to buffer: comparing two lists locates the
/// differing blocks without holding either file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockDigests {
    /// Total size.
    pub size: u64,
    /// First 16 bytes of the SHA-256 of each [`BLOCK`]-byte block.
    pub blocks: Vec<[u8; 16]>,
}

/// Builds [`BlockDigests`] from bytes fed in any chunking.
#[derive(Default)]
pub struct BlockHasher {
    out: BlockDigests,
    cur: Sha256,
    in_block: u64,
}

impl BlockHasher {
    /// Feeds bytes.
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = ((BLOCK - self.in_block) as usize).min(bytes.len());
            self.cur.update(&bytes[..take]);
            self.in_block += take as u64;
            self.out.size += take as u64;
            bytes = &bytes[take..];
            if self.in_block == BLOCK {
                self.push();
            }
        }
    }

    fn push(&mut self) {
        let d = std::mem::take(&mut self.cur).finalize();
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[..16]);
        self.out.blocks.push(b);
        self.in_block = 0;
    }

    /// The digests of everything fed.
    pub fn finish(mut self) -> BlockDigests {
        if self.in_block > 0 {
            self.push();
        }
        self.out
    }
}

/// Locates differing ranges at block granularity from two block digest
/// lists (no hexdump: the bytes are not at hand).
pub fn compare_blocks(old: &BlockDigests, new: &BlockDigests, max_ranges: usize) -> BinaryDiff {
    let mut rb = RangeBuilder::new(max_ranges);
    let n = old.blocks.len().max(new.blocks.len());
    let max_size = old.size.max(new.size);
    for i in 0..n {
        if old.blocks.get(i) != new.blocks.get(i) {
            let start = i as u64 * BLOCK;
            rb.add(start, (start + BLOCK).min(max_size));
        }
    }
    rb.close();
    BinaryDiff {
        old_size: old.size,
        new_size: new.size,
        differing_bytes: rb.differing,
        range_count: rb.range_count,
        ranges: rb.ranges,
        granularity: BLOCK,
        hexdump: Vec::new(),
    }
}

/// Fallback comparator: accepts any pair.
pub struct BinaryComparator;

impl Comparator for BinaryComparator {
    fn kind(&self) -> ContentKind {
        ContentKind::Binary
    }

    fn recognises(&self, _: &Sides<'_>) -> bool {
        true
    }

    fn compare(&self, s: &Sides<'_>, opts: &DiffOptions, out: &mut ContentDiff) {
        out.binary = Some(compare_slices(s.old, s.new, opts.max_ranges));
    }
}

/// [`compare_readers`] over two byte slices.
pub fn compare_slices(old: &[u8], new: &[u8], max_ranges: usize) -> BinaryDiff {
    compare_readers(&mut &old[..], &mut &new[..], max_ranges).expect("reading a slice cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_changed_byte_is_one_range_with_a_window() {
        let a = std::fs::read("/bin/ls").unwrap_or_else(|_| vec![0x55; 100_000]);
        let mut b = a.clone();
        let at = a.len() / 2 + 3;
        b[at] ^= 0x20;
        let d = compare_slices(&a, &b, 16);
        assert_eq!(
            d.ranges,
            vec![ByteRange {
                offset: at as u64,
                len: 1
            }]
        );
        assert_eq!((d.differing_bytes, d.range_count, d.granularity), (1, 1, 1));
        let w = &d.hexdump[0];
        assert!(w.offset <= at as u64 && w.offset.is_multiple_of(16));
        let i = at - w.offset as usize;
        assert_eq!(w.old[i] ^ w.new[i], 0x20);
    }

    #[test]
    fn close_runs_coalesce_and_far_runs_do_not_across_chunks() {
        let a = vec![0u8; CHUNK * 3];
        let mut b = a.clone();
        b[10] = 1;
        b[14] = 1; // 3 equal bytes between: merged
        b[CHUNK - 1] = 1;
        b[CHUNK] = 1; // straddles a chunk boundary: merged
        b[2 * CHUNK + 100] = 1;
        let d = compare_slices(&a, &b, 16);
        assert_eq!(
            d.ranges,
            vec![
                ByteRange { offset: 10, len: 5 },
                ByteRange {
                    offset: CHUNK as u64 - 1,
                    len: 2
                },
                ByteRange {
                    offset: 2 * CHUNK as u64 + 100,
                    len: 1
                },
            ]
        );
        assert_eq!(d.differing_bytes, 5);
        assert_eq!(d.hexdump.len(), 3);
    }

    #[test]
    fn length_difference_is_a_tail_range_and_caps_keep_counting() {
        let a = vec![1u8; CHUNK + 10];
        let mut b = a.clone();
        b.extend_from_slice(&[2u8; CHUNK * 2]);
        let d = compare_slices(&a, &b, 16);
        assert_eq!((d.old_size, d.new_size), (a.len() as u64, b.len() as u64));
        assert_eq!(
            d.ranges,
            vec![ByteRange {
                offset: a.len() as u64,
                len: 2 * CHUNK as u64
            }]
        );

        let c: Vec<u8> = (0..1000)
            .map(|i| if i % 100 == 0 { 9 } else { 1 })
            .collect();
        let d = compare_slices(&vec![1u8; 1000], &c, 3);
        assert_eq!(d.range_count, 10);
        assert_eq!(d.ranges.len(), 3);
    }

    #[test]
    fn block_digests_locate_the_changed_block() {
        let a = vec![7u8; (BLOCK * 4 + 5) as usize];
        let mut b = a.clone();
        b[(BLOCK * 2 + 9) as usize] = 0;
        let digest = |d: &[u8]| {
            let mut h = BlockHasher::default();
            for c in d.chunks(1000) {
                h.update(c);
            }
            h.finish()
        };
        let (da, db) = (digest(&a), digest(&b));
        assert_eq!(da.blocks.len(), 5);
        let d = compare_blocks(&da, &db, 8);
        assert_eq!(
            d.ranges,
            vec![ByteRange {
                offset: BLOCK * 2,
                len: BLOCK
            }]
        );
        assert_eq!(d.granularity, BLOCK);
        assert_eq!(compare_blocks(&da, &da, 8).range_count, 0);
    }
}

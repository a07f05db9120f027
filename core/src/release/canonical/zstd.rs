//! zstd frame structure (RFC 8878 §3.1), walked alongside decompression to
//! find skippable frames (§3.1.2): they carry arbitrary bytes that every
//! decoder silently skips, so a stream holding one is never normalized.
//! Regular frames carry no free data: their content size and checksum are
//! checked by the decoder, and a dictionary id fails decoding.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

const FRAME_MAGIC: u32 = 0xFD2F_B528;

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

/// Passes bytes through and counts the skippable frames among them.
pub(crate) struct Frames<R> {
    inner: R,
    state: State,
    buf: [u8; 4],
    have: usize,
    skippable: Rc<Cell<u64>>,
}

impl<R: Read> Frames<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            state: State::Magic,
            buf: [0; 4],
            have: 0,
            skippable: Rc::new(Cell::new(0)),
        }
    }

    /// How many skippable frames were seen (shared; final at end).
    pub(crate) fn skippable(&self) -> Rc<Cell<u64>> {
        self.skippable.clone()
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
                        self.state = if m == FRAME_MAGIC {
                            State::Descriptor
                        } else if m & 0xFFFF_FFF0 == 0x184D_2A50 {
                            self.skippable.set(self.skippable.get() + 1);
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

impl<R: Read> Read for Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.feed(&buf[..n]);
        Ok(n)
    }
}

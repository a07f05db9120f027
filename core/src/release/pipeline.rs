//! Decompression of a top-level compressed release on its own thread, so
//! that inflating and hashing overlap (what `tar -xOzf | sha256sum` gets
//! from being two processes). Chunks travel through a bounded channel and
//! are recycled, so memory stays at a few chunks whatever the release size.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::codec::{Extra, Probe};
use super::limits::Counting;
use super::registry::{Reader, Row};
use super::walk::{Codec, Walk};
use super::{ContainerFacts, Format, ReleaseError};

/// Bytes per chunk handed from the decoder thread.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight (decoded but not yet consumed).
const IN_FLIGHT: usize = 4;

/// Reads the decoded chunks on the consuming side.
struct ChannelReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    back: Sender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(buf)) if buf.is_empty() => self.done = true,
                Ok(Ok(buf)) => {
                    let old = std::mem::replace(&mut self.cur, buf);
                    // The producer may be gone already; then the buffer is
                    // simply freed.
                    let _ = self.back.send(old);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("decoder thread stopped"));
                }
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The producing side: decodes and sends full chunks, then an empty one at
/// the end. Stops as soon as the consumer hangs up.
fn produce(
    decoded: &mut dyn Read,
    tx: &SyncSender<io::Result<Vec<u8>>>,
    recycled: &Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = recycled.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let mut n = 0;
        let mut failure = None;
        while n < CHUNK {
            match decoded.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        buf.truncate(n);
        let end = n == 0;
        if n > 0 && tx.send(Ok(buf)).is_err() {
            return;
        }
        if let Some(e) = failure {
            let _ = tx.send(Err(e));
            return;
        }
        if end {
            let _ = tx.send(Ok(Vec::new()));
            return;
        }
    }
}

/// Expands the top-level compressed release `source` (codec `row`),
/// decoding on a second thread.
pub(crate) fn decode_in_thread<R: Read + Send>(
    walk: &mut Walk<'_, '_>,
    name: &[u8],
    row: &'static Row,
    source: R,
) -> Result<Option<(Format, ContainerFacts)>, ReleaseError> {
    let Reader::Codec { decode, .. } = &row.reader else {
        unreachable!("decode_in_thread is for codecs")
    };
    let decode = *decode;
    let probe = Probe::new(row.format);
    let extra = Extra::default();
    let (counting, compressed) = Counting::new(probe.wrap(source));
    let counted = extra.clone();
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let (back, recycled) = channel();
        s.spawn(move || match decode(Box::new(counting), counted) {
            Ok(mut decoded) => produce(&mut decoded, &tx, &recycled),
            Err(e) => {
                let _ = tx.send(Err(e));
            }
        });
        let mut reader = ChannelReader {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
            done: false,
        };
        let codec = Codec {
            compressed,
            probe: &probe,
            extra: &extra,
        };
        let result = walk.expand_decoded(None, name, row, &mut reader, codec);
        // Hanging up stops the decoder at its next chunk.
        drop(reader);
        result
    })
}

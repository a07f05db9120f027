//! Enforcement of [`Limits`]: readers that count what untrusted content
//! costs and stop with a [`ReleaseError`] (carried inside an `io::Error`
//! until the walker takes it back out) the moment a limit is crossed.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Limits, ReleaseError};

/// Below this many output bytes a stream's compression ratio is not judged:
/// tiny highly-compressible files (a page of zeros) are normal.
pub const RATIO_GRACE_BYTES: u64 = 1024 * 1024;

/// What one read of a release may still spend, shared by every thread.
#[derive(Debug)]
pub(crate) struct Budget {
    pub limits: Limits,
    expanded: AtomicU64,
    entries: AtomicU64,
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            expanded: AtomicU64::new(0),
            entries: AtomicU64::new(0),
        }
    }

    /// Counts one more entry read from `archive`.
    pub fn entry(&self, archive: &str) -> Result<(), ReleaseError> {
        let n = self.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.limits.max_entries {
            return Err(ReleaseError::EntriesLimit {
                archive: archive.to_string(),
                limit: self.limits.max_entries,
            });
        }
        Ok(())
    }

    /// Whether `n` more expanded bytes would still be within the limit,
    /// for content whose size is known before it is read (a sparse tar
    /// member's holes).
    pub fn would_fit(&self, n: u64) -> bool {
        self.expanded
            .load(Ordering::Relaxed)
            .checked_add(n)
            .is_some_and(|t| t <= self.limits.max_expanded_bytes)
    }

    /// Counts `n` more expanded bytes; false when over the limit.
    fn expand(&self, n: u64) -> bool {
        let total = self.expanded.fetch_add(n, Ordering::Relaxed) + n;
        total <= self.limits.max_expanded_bytes
    }
}

/// Where a reader is, for error messages.
#[derive(Clone, Debug)]
pub(crate) struct Place {
    /// The container (escaped address).
    pub archive: String,
    /// The member (escaped).
    pub entry: String,
    /// Offset of the member's first content byte in the container stream.
    pub offset: u64,
}

/// The content of one member: counts against the expanded-bytes budget and
/// checks the declared size (catching archives that lie about sizes).
pub(crate) struct ContentReader<'a, 'b> {
    inner: &'a mut (dyn Read + 'b),
    budget: &'a Budget,
    place: Place,
    declared: Option<u64>,
    read: u64,
    /// A short read means the container is truncated (tar, ar: sizes come
    /// from the headers that frame the stream) rather than lying (zip,
    /// where the central directory declares sizes apart from the data).
    pub short_is_truncation: bool,
}

impl<'a, 'b> ContentReader<'a, 'b> {
    pub fn new(
        inner: &'a mut (dyn Read + 'b),
        budget: &'a Budget,
        place: Place,
        declared: Option<u64>,
    ) -> Self {
        Self {
            inner,
            budget,
            place,
            declared,
            read: 0,
            short_is_truncation: true,
        }
    }

    fn mismatch(&self, actual: u64) -> io::Error {
        let declared = self.declared.unwrap_or(0);
        if actual < declared && self.short_is_truncation {
            return ReleaseError::Corrupt {
                archive: self.place.archive.clone(),
                entry: self.place.entry.clone(),
                offset: self.place.offset + actual,
                reason: format!("content ends after {actual} of {declared} declared bytes"),
            }
            .into_io();
        }
        ReleaseError::SizeMismatch {
            archive: self.place.archive.clone(),
            entry: self.place.entry.clone(),
            offset: self.place.offset,
            declared: self.declared.unwrap_or(0),
            actual,
        }
        .into_io()
    }
}

impl Read for ContentReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Never ask for more than one byte past the declared size: that is
        // enough to prove a lie without reading a bomb behind it.
        let want = match self.declared {
            Some(d) => {
                let left = d.saturating_add(1).saturating_sub(self.read).max(1);
                buf.len().min(usize::try_from(left).unwrap_or(usize::MAX))
            }
            None => buf.len(),
        };
        let n = self.inner.read(&mut buf[..want]).map_err(|e| {
            match super::error::unwrap_io(e) {
                // A decoder beneath failed while this member was being read:
                // name the member, keep the decoder's offset.
                Ok(ReleaseError::Corrupt {
                    archive,
                    entry,
                    offset,
                    reason,
                }) if archive == self.place.archive && entry.starts_with('(') => {
                    ReleaseError::Corrupt {
                        archive,
                        entry: self.place.entry.clone(),
                        offset,
                        reason: format!("{entry}: {reason}"),
                    }
                    .into_io()
                }
                Ok(r) => r.into_io(),
                Err(e) => ReleaseError::Corrupt {
                    archive: self.place.archive.clone(),
                    entry: self.place.entry.clone(),
                    offset: self.place.offset + self.read,
                    reason: e.to_string(),
                }
                .into_io(),
            }
        })?;
        self.read += n as u64;
        if let Some(d) = self.declared
            && (self.read > d || (n == 0 && self.read < d && !buf.is_empty()))
        {
            return Err(self.mismatch(self.read));
        }
        if !self.budget.expand(n as u64) {
            return Err(ReleaseError::ExpandedBytesLimit {
                archive: self.place.archive.clone(),
                entry: self.place.entry.clone(),
                offset: self.place.offset + self.read,
                limit: self.budget.limits.max_expanded_bytes,
            }
            .into_io());
        }
        Ok(n)
    }
}

/// Counts bytes passing through (compressed input of a decoder, or raw
/// bytes of a top-level file for progress).
pub(crate) struct Counting<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Counting<R> {
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Self {
                inner,
                count: count.clone(),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The output of a decoder: stops when output/input exceeds the ratio limit
/// and names the compressed offset when the decoder fails.
pub(crate) struct RatioReader<R> {
    pub inner: R,
    pub compressed: Arc<AtomicU64>,
    pub out: u64,
    pub max_ratio: u64,
    pub place: Place,
}

impl<R: Read> Read for RatioReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .inner
            .read(buf)
            .map_err(|e| match super::error::unwrap_io(e) {
                Ok(r) => r.into_io(),
                Err(e) => ReleaseError::Corrupt {
                    archive: self.place.archive.clone(),
                    entry: self.place.entry.clone(),
                    offset: self.compressed.load(Ordering::Relaxed),
                    reason: format!("{e}; the offset counts compressed bytes"),
                }
                .into_io(),
            })?;
        self.out += n as u64;
        let input = self.compressed.load(Ordering::Relaxed).max(1);
        if self.out > RATIO_GRACE_BYTES && self.out / input > self.max_ratio {
            return Err(ReleaseError::RatioLimit {
                archive: self.place.archive.clone(),
                entry: self.place.entry.clone(),
                offset: input,
                limit: self.max_ratio,
            }
            .into_io());
        }
        Ok(n)
    }
}

/// Reads up to `n` bytes (fewer only at end of stream).
pub(crate) fn peek(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

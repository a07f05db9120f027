//! Content normalizers: rewrite fields of a file format that record when or
//! where a file was built rather than what it is. Each one is a small module
//! that knows exactly which bytes it may ignore; everything else is hashed
//! as is.

mod jar;
mod pe;
mod png;
mod pyc;

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::digest::Sha256Digest;
use crate::release::Limits;

use crate::release::canonical::Blob;
use crate::release::canonical::Field;
use crate::release::canonical::read_up_to;

/// How much of a stream is read ahead to sniff formats and headers (a PE
/// header further in than this is not normalized, only compared).
pub(crate) const PREFIX: usize = 8 * 1024;

/// Read buffer for streaming content. On the stack: one heap buffer per
/// member would fragment the heap of a long archive walk.
const CHUNK: usize = 64 * 1024;

/// Files normalized as a whole (PNG, MANIFEST.MF) are held in memory only up
/// to this size; larger ones are compared byte for byte.
const MAX_WHOLE: usize = 32 * 1024 * 1024;

enum Normalizer {
    /// Rewrites fixed fields in the first [`PREFIX`] bytes.
    Header(Field, fn(&mut [u8])),
    /// Rewrites the whole file.
    Whole(Field, fn(&[u8]) -> Option<Vec<u8>>),
}

fn normalizer_for(prefix: &[u8], name: &[u8]) -> Option<Normalizer> {
    if pyc::applies(prefix, name) {
        Some(Normalizer::Header(
            Field::PycSourceMtime,
            pyc::normalize_header,
        ))
    } else if pe::applies(prefix) {
        Some(Normalizer::Header(Field::PeTimestamp, pe::normalize_header))
    } else if png::applies(prefix) {
        Some(Normalizer::Whole(Field::PngTime, png::normalize))
    } else if jar::applies(name) {
        Some(Normalizer::Whole(
            Field::JarManifestTimestamps,
            jar::normalize,
        ))
    } else {
        None
    }
}

/// Hashes a stream of plain content, with the normalized digest where a
/// content normalizer recognises the format. `name` is the member's name
/// (some formats are recognised by name, e.g. `META-INF/MANIFEST.MF`).
pub(crate) fn read_blob(input: &mut dyn Read, name: &[u8], _limits: Limits) -> io::Result<Blob> {
    let mut head = [0u8; PREFIX];
    let n = read_up_to(input, &mut head)?;
    let prefix = &head[..n];
    let mut raw = Sha256::new();
    raw.update(prefix);
    let mut size = n as u64;
    let mut buf = [0u8; CHUNK];
    // A PE image is also kept whole (up to MAX_WHOLE) for the
    // Authenticode reader: where its signature ends is in its headers, and
    // only that reader's checks say the table is where a verifier wants it.
    let mut pe_whole = pe::applies(prefix).then(|| prefix.to_vec());
    let normalized = match normalizer_for(prefix, name) {
        Some(Normalizer::Header(which, rewrite)) => {
            let mut norm = Sha256::new();
            let mut rewritten = head;
            rewrite(&mut rewritten[..n]);
            norm.update(&rewritten[..n]);
            // A PE CheckSum is ignorable only when it is 0 or correct.
            let pe_field = (which == Field::PeTimestamp)
                .then(|| pe::checksum_field(prefix))
                .flatten();
            let mut pe_sum = pe_field.map(|(at, _)| pe::Checksum::new(at));
            if let Some(c) = &mut pe_sum {
                c.update(prefix);
            }
            loop {
                let k = read_some(input, &mut buf)?;
                if k == 0 {
                    break;
                }
                raw.update(&buf[..k]);
                norm.update(&buf[..k]);
                if let Some(c) = &mut pe_sum {
                    c.update(&buf[..k]);
                }
                keep(&mut pe_whole, &buf[..k]);
                size += k as u64;
            }
            let checksum_ok = match (pe_field, pe_sum) {
                (Some((_, stored)), Some(c)) => stored == 0 || stored == c.finish(),
                _ => true,
            };
            checksum_ok.then(|| (which, Sha256Digest(norm.finalize().into())))
        }
        Some(Normalizer::Whole(which, rewrite)) => {
            let mut whole = prefix.to_vec();
            let mut too_big = false;
            loop {
                let k = read_some(input, &mut buf)?;
                if k == 0 {
                    break;
                }
                raw.update(&buf[..k]);
                size += k as u64;
                if !too_big {
                    whole.extend_from_slice(&buf[..k]);
                    if whole.len() > MAX_WHOLE {
                        too_big = true;
                        whole = Vec::new();
                    }
                }
            }
            (!too_big)
                .then(|| rewrite(&whole))
                .flatten()
                .map(|bytes| (which, Sha256Digest::of(&bytes)))
        }
        None => {
            loop {
                let k = read_some(input, &mut buf)?;
                if k == 0 {
                    break;
                }
                raw.update(&buf[..k]);
                size += k as u64;
            }
            None
        }
    };
    Ok(Blob {
        sha256: Sha256Digest(raw.finalize().into()),
        size,
        normalized,
        authenticode: pe_whole.as_deref().and_then(pe::authenticode_image),
        not_expanded: None,
    })
}

/// Appends `bytes` to a whole file being kept, dropping it past
/// [`MAX_WHOLE`] (then it is compared byte for byte).
fn keep(whole: &mut Option<Vec<u8>>, bytes: &[u8]) {
    if let Some(w) = whole {
        if w.len() + bytes.len() > MAX_WHOLE {
            *whole = None;
        } else {
            w.extend_from_slice(bytes);
        }
    }
}

fn read_some(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
pub(crate) fn normalized_of(bytes: &[u8], name: &str) -> Option<(Field, Sha256Digest)> {
    read_blob(&mut &bytes[..], name.as_bytes(), Limits::default())
        .unwrap()
        .normalized
}

//! Unix `ar` archives (and Debian packages, which are ar archives). The
//! member name and permission bits are compared exactly, the content by
//! its own comparison; mtime, uid, gid and the file-type bits of a regular
//! file are normalizable. Those are decimal and octal numbers that the
//! `ar` crate parses strictly (digits then space padding), so the parsed
//! values are the whole fields: nothing else can hide in them.

use std::io::Read;

use crate::release::{EntryKind, RawPath};

use super::CanonicalError;
use super::Field;
use super::node::{Archive, ArchiveFormat, Member};
use super::read::Reader;

pub(crate) fn read(
    input: &mut dyn Read,
    reader: &mut Reader,
    at: &str,
    depth: usize,
) -> Result<Archive, CanonicalError> {
    let mut archive = ar::Archive::new(input);
    let mut members = Vec::new();
    while let Some(entry) = archive.next_entry() {
        let mut entry = entry.map_err(|e| CanonicalError::read(at, e))?;
        let h = entry.header();
        let path = RawPath(h.identifier().to_vec());
        let member_at = format!("{at}!{path}");
        reader.count_entry(&member_at)?;
        // Permission bits are compared as the mode; the file-type bits
        // that `ar` writes outside deterministic mode (-D zeroes them) go
        // with the other metadata.
        let mode = h.mode() & 0o7777;
        // File-type bits are normalizable only when they say "regular
        // file" (0o100000) or nothing (`ar D`): other bits could carry data.
        let type_bits = h.mode() & !0o7777;
        let mut strict = Vec::new();
        let mut meta = h.mtime().to_le_bytes().to_vec();
        if type_bits == 0 || type_bits == 0o100000 {
            meta.extend_from_slice(&type_bits.to_le_bytes());
        } else {
            strict.extend_from_slice(&type_bits.to_le_bytes());
        }
        meta.extend_from_slice(&h.uid().to_le_bytes());
        meta.extend_from_slice(&h.gid().to_le_bytes());
        let content = reader.read_stream(&mut entry, &path.0, &member_at, depth + 1)?;
        members.push(Member {
            path,
            kind: EntryKind::File,
            link_target: None,
            mode: Some(mode),
            strict,
            normalized: vec![(Field::ArMetadata, meta)],
            content: Some(content),
        });
    }
    Ok(Archive {
        format: ArchiveFormat::Ar,
        raw_sha256: None,
        members,
        strict: Vec::new(),
        padding: 0,
    })
}

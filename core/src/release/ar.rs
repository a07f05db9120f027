//! Unix `ar` archives (common, GNU and BSD variants) and Debian packages,
//! read as a stream. In a `.deb`, `control.tar.*` and `data.tar.*` are
//! always expanded (deb(5)): they are what the package installs.

use std::io::Read;
use std::sync::atomic::Ordering;

use super::limits::{Counting, Place};
use super::walk::{Content, Names, Walk, next_header_label};
use super::{
    ContainerFacts, Entry, EntryKind, EntryPath, Field, Format, Owner, RawHeader, ReleaseError,
};

/// Size of an ar member header.
const HEADER: u64 = 60;

/// Reads the ar stream `reader`, members addressed under `container`.
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    format: Format,
    reader: &mut dyn Read,
) -> Result<ContainerFacts, ReleaseError> {
    let label = walk.label(container);
    let (counting, consumed) = Counting::new(reader);
    let mut archive = ar::Archive::new(counting);
    let mut names = Names::new(container);
    let mut last_name: Option<String> = None;
    let mut order = 0u64;
    while let Some(item) = archive.next_entry() {
        let offset = consumed.load(Ordering::Relaxed);
        let mut member = item.map_err(|e| match super::error::unwrap_io(e) {
            Ok(r) => r,
            Err(e) => ReleaseError::Corrupt {
                archive: label.clone(),
                entry: next_header_label(last_name.as_deref()),
                offset,
                reason: e.to_string(),
            },
        })?;
        let header = member.header();
        let raw = header.identifier().to_vec();
        let size = header.size();
        let entry_offset = consumed.load(Ordering::Relaxed).saturating_sub(HEADER);
        let mode = header.mode();
        let owner = Owner {
            uid: Some(u64::from(header.uid())),
            gid: Some(u64::from(header.gid())),
            user: None,
            group: None,
        };
        let mtime = Some(header.mtime() as i64);
        let raw_header = raw_header(header, order);
        order += 1;
        let path = walk.admit(&mut names, &raw, EntryKind::File, None)?;
        let name = path.inner().to_string();
        last_name = Some(name.clone());
        let forced = format == Format::Deb && deb_member_always_expanded(&raw);
        // deb(5): data.tar holds the files installed at `/`; control.tar's
        // maintainer scripts are not installed, so their names stay
        // relative.
        if format == Format::Deb && raw.starts_with(b"data.tar") {
            walk.mark_rooted(&path);
        }
        let entry = Entry {
            path,
            kind: EntryKind::File,
            size,
            mode: Some(mode),
            mtime,
            owner: Some(owner),
            link_target: None,
            digests: None,
            format,
            expanded_as: None,
            header: Some(Box::new(raw_header)),
        };
        let place = Place {
            archive: label.clone(),
            entry: name,
            offset: entry_offset,
        };
        walk.file(
            entry,
            Content {
                reader: &mut member,
                declared: Some(size),
                place,
                short_is_truncation: true,
                random: None,
                forced,
            },
        )?;
    }
    walk.finish_container(names);
    Ok(ContainerFacts::default())
}

/// What reproducibility compares of a member's header. The name and the
/// permission bits are compared exactly, the content by its own
/// comparison; mtime, uid, gid and the file-type bits of a regular file
/// are normalizable. Those are decimal and octal numbers that the `ar`
/// crate parses strictly (digits then space padding), so the parsed values
/// are the whole fields: nothing else can hide in them.
fn raw_header(h: &ar::Header, order: u64) -> RawHeader {
    // File-type bits (written by `ar` outside deterministic mode; `ar D`
    // zeroes them) are normalizable only when they say "regular file" or
    // nothing: other bits could carry data.
    let type_bits = h.mode() & !0o7777;
    // The name as recorded (the listing's path is normalised as
    // extractors normalise it).
    let mut strict = h.identifier().to_vec();
    strict.push(0);
    let mut meta = h.mtime().to_le_bytes().to_vec();
    if type_bits == 0 || type_bits == 0o100000 {
        meta.extend_from_slice(&type_bits.to_le_bytes());
    } else {
        strict.extend_from_slice(&type_bits.to_le_bytes());
    }
    meta.extend_from_slice(&h.uid().to_le_bytes());
    meta.extend_from_slice(&h.gid().to_le_bytes());
    RawHeader {
        strict,
        fields: vec![(Field::ArMetadata, meta)],
        order,
        mode: Some(h.mode() & 0o7777),
        container: None,
    }
}

/// A `.deb`'s control and data archives, expanded whether or not nested
/// archives are (deb(5): `control.tar[.gz|.xz|.zst]`, `data.tar[...]`).
pub(crate) fn deb_member_always_expanded(name: &[u8]) -> bool {
    name.starts_with(b"control.tar") || name.starts_with(b"data.tar")
}

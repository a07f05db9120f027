//! tar (POSIX.1-2001 pax, ustar, GNU), read as a stream: each member's
//! content is hashed as it passes and never held whole.

use std::io::Read;

use super::limits::Place;
use super::walk::{Content, Names, Walk, next_header_label};
use super::{Entry, EntryKind, EntryPath, Format, Owner, ReleaseError};

/// Size of a tar block; headers and content are padded to it.
const BLOCK: u64 = 512;

/// Reads the tar stream `reader`, members addressed under `container`.
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    format: Format,
    reader: &mut dyn Read,
) -> Result<(), ReleaseError> {
    let label = walk.label(container);
    let mut archive = tar::Archive::new(reader);
    let mut names = Names::new(container);
    let corrupt = |entry: &str, offset: u64, e: std::io::Error| match super::error::unwrap_io(e) {
        Ok(r) => r,
        Err(e) => ReleaseError::Corrupt {
            archive: label.clone(),
            entry: entry.to_string(),
            offset,
            reason: e.to_string(),
        },
    };
    let entries = archive.entries().map_err(|e| corrupt("", 0, e))?;
    // Where the next header is expected, for errors raised while parsing it.
    let mut next_header = 0u64;
    let mut last_name: Option<String> = None;
    for item in entries {
        let mut member =
            item.map_err(|e| corrupt(&next_header_label(last_name.as_deref()), next_header, e))?;
        let header_at = member.raw_header_position();
        let size = member.size();
        next_header = member
            .raw_file_position()
            .saturating_add(size.div_ceil(BLOCK).saturating_mul(BLOCK));
        let header = member.header();
        let ty = header.entry_type();
        let kind = if ty.is_file() || ty.is_contiguous() || ty.is_gnu_sparse() {
            EntryKind::File
        } else if ty.is_dir() {
            EntryKind::Dir
        } else if ty.is_symlink() {
            EntryKind::Symlink
        } else if ty.is_hard_link() {
            EntryKind::Hardlink
        } else if ty.is_pax_global_extensions() {
            continue;
        } else {
            EntryKind::Other
        };
        let sparse = ty.is_gnu_sparse();
        let owner = Owner {
            uid: header.uid().ok(),
            gid: header.gid().ok(),
            user: header
                .username_bytes()
                .filter(|u| !u.is_empty())
                .map(|u| String::from_utf8_lossy(u).into_owned()),
            group: header
                .groupname_bytes()
                .filter(|g| !g.is_empty())
                .map(|g| String::from_utf8_lossy(g).into_owned()),
        };
        let mode = header.mode().ok();
        let mtime = header.mtime().ok().map(|t| t as i64);
        let raw = member.path_bytes().into_owned();
        let link = member.link_name_bytes().map(|l| l.into_owned());
        let path = walk.admit(&mut names, &raw, kind, link.as_deref())?;
        let name = path.inner().to_string();
        last_name = Some(name.clone());
        let entry = Entry {
            path,
            kind,
            size: if kind == EntryKind::File { size } else { 0 },
            mode,
            mtime,
            owner: Some(owner),
            link_target: link.map(super::RawPath),
            digests: None,
            format,
            expanded_as: None,
        };
        if kind == EntryKind::File {
            let place = Place {
                archive: label.clone(),
                entry: name,
                offset: header_at,
            };
            walk.file(
                entry,
                Content {
                    reader: &mut member,
                    // A sparse member expands its holes: its size is what
                    // streams out, bounded by the limits.
                    declared: (!sparse).then_some(size),
                    place,
                    short_is_truncation: true,
                    random: None,
                    forced: false,
                },
            )?;
        } else {
            walk.other(entry);
        }
    }
    walk.finish_container(names);
    Ok(())
}

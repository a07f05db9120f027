//! Unix `ar` archives (common, GNU and BSD variants) and Debian packages,
//! read as a stream. In a `.deb`, `control.tar.*` and `data.tar.*` are
//! always expanded (deb(5)): they are what the package installs.

use std::io::Read;
use std::sync::atomic::Ordering;

use super::limits::{Counting, Place};
use super::walk::{Content, Names, Walk, next_header_label};
use super::{Entry, EntryKind, EntryPath, Format, Owner, ReleaseError};

/// Size of an ar member header.
const HEADER: u64 = 60;

/// Reads the ar stream `reader`, members addressed under `container`.
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    format: Format,
    reader: &mut dyn Read,
) -> Result<(), ReleaseError> {
    let label = walk.label(container);
    let (counting, consumed) = Counting::new(reader);
    let mut archive = ar::Archive::new(counting);
    let mut names = Names::new(container);
    let mut last_name: Option<String> = None;
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
            header: None,
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
    Ok(())
}

/// A `.deb`'s control and data archives, expanded whether or not nested
/// archives are (deb(5): `control.tar[.gz|.xz|.zst]`, `data.tar[...]`).
pub(crate) fn deb_member_always_expanded(name: &[u8]) -> bool {
    name.starts_with(b"control.tar") || name.starts_with(b"data.tar")
}

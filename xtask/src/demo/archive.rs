//! Deterministic `.tar.gz` and `.zip` writers with the metadata knobs the
//! rebuild varies. Members sit at the archive root (no top-level folder), so
//! a directory, its tar.gz and its zip list the same paths.
//!
//! Deflate is done by `miniz_oxide` directly, not through flate2: flate2
//! picks its backend by cargo features, which the rest of the workspace
//! changes (zip enables zlib-rs), and another backend makes other bytes.

use time::OffsetDateTime;

use super::tree::Tree;
use crate::{Result, err};

/// Order of members in an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Byte order of paths, directories before their contents.
    Sorted,
    /// The reverse of `Sorted`.
    Reversed,
}

/// The archive metadata a build chooses (the payload is the tree).
#[derive(Clone, Debug)]
pub struct Meta {
    /// mtime of every member, the gzip header MTIME, and the zip DOS time (unix seconds).
    pub mtime: i64,
    /// Owner of tar members.
    pub uid: u64,
    /// Group of tar members.
    pub gid: u64,
    /// Owner name of tar members.
    pub uname: &'static str,
    /// Group name of tar members.
    pub gname: &'static str,
    /// Member order.
    pub order: Order,
    /// Whether zip members carry Info-ZIP extra fields: extended timestamp
    /// (0x5455) and unix uid/gid (0x7875).
    pub zip_unix_extras: bool,
}

enum Member<'a> {
    Dir(String),
    File(&'a str, &'a [u8], u32),
}

impl Member<'_> {
    fn name(&self) -> String {
        match self {
            Member::Dir(d) => format!("{d}/"),
            Member::File(p, _, _) => p.to_string(),
        }
    }
}

fn members<'a>(tree: &'a Tree, order: Order) -> Vec<Member<'a>> {
    let mut all: Vec<Member<'a>> = tree.dirs().into_iter().map(Member::Dir).collect();
    for (path, f) in &tree.files {
        all.push(Member::File(path, &f.data, f.mode));
    }
    all.sort_by_key(|m| m.name());
    if order == Order::Reversed {
        all.reverse();
    }
    all
}

/// A ustar archive of `tree`, gzip-compressed with header MTIME = `meta.mtime`,
/// no FNAME, OS = 3 (Unix).
pub fn tar_gz(tree: &Tree, meta: &Meta) -> Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for m in members(tree, meta.order) {
        let mut h = tar::Header::new_ustar();
        let (data, mode, kind): (&[u8], u32, tar::EntryType) = match &m {
            Member::Dir(_) => (&[], 0o755, tar::EntryType::Directory),
            Member::File(_, data, mode) => (data, *mode, tar::EntryType::Regular),
        };
        h.set_path(m.name())?;
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_mtime(meta.mtime as u64);
        h.set_uid(meta.uid);
        h.set_gid(meta.gid);
        h.set_username(meta.uname)?;
        h.set_groupname(meta.gname)?;
        h.set_cksum();
        tar.append(&h, data)?;
    }
    let tar = tar.into_inner()?;
    Ok(gzip(&tar, meta.mtime as u32))
}

/// Raw deflate (RFC 1951) at level 9.
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, 9)
}

/// A gzip member (RFC 1952 §2.3): no FNAME, XFL=2 (best compression), OS=3 (Unix).
fn gzip(data: &[u8], mtime: u32) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0];
    out.extend_from_slice(&mtime.to_le_bytes());
    out.extend_from_slice(&[2, 3]);
    out.extend_from_slice(&deflate(data));
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// MS-DOS time and date of a unix time (zip APPNOTE 4.4.6), in UTC.
fn dos_time(unix: i64) -> Result<(u16, u16)> {
    let t = OffsetDateTime::from_unix_timestamp(unix).map_err(|e| err(e.to_string()))?;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    let date = (((t.year() - 1980) as u16) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    Ok((time, date))
}

/// A zip archive of `tree` (APPNOTE 6.3.x, no zip64, no data descriptors):
/// files deflated, directories stored, unix modes in the external attributes.
pub fn zip(tree: &Tree, meta: &Meta) -> Result<Vec<u8>> {
    let (dos_t, dos_d) = dos_time(meta.mtime)?;
    let mut out = Vec::new();
    let mut central = Vec::new();
    let list = members(tree, meta.order);
    for m in &list {
        let name = m.name();
        let (stored, crc, usize_, method, mode, is_dir) = match m {
            Member::Dir(_) => (Vec::new(), 0u32, 0usize, 0u16, 0o040755u32, true),
            Member::File(_, data, mode) => (
                deflate(data),
                crc32fast::hash(data),
                data.len(),
                8u16,
                0o100000 | *mode,
                false,
            ),
        };
        let (local_extra, central_extra) = if meta.zip_unix_extras {
            let mtime = (meta.mtime as u32).to_le_bytes();
            // 0x5455 extended timestamp: flags=1 (mtime present).
            let mut ut = vec![0x55, 0x54, 5, 0, 1];
            ut.extend_from_slice(&mtime);
            // 0x7875 Info-ZIP unix: version 1, 4-byte uid, 4-byte gid.
            let mut ux = vec![0x75, 0x78, 11, 0, 1, 4];
            ux.extend_from_slice(&(meta.uid as u32).to_le_bytes());
            ux.push(4);
            ux.extend_from_slice(&(meta.gid as u32).to_le_bytes());
            let local = [ut.clone(), ux.clone()].concat();
            // The central copy of 0x5455 carries only the flags and mtime too.
            (local, [ut, ux].concat())
        } else {
            (Vec::new(), Vec::new())
        };
        let version_needed: u16 = if is_dir { 10 } else { 20 };
        let offset = out.len() as u32;
        // Local file header (APPNOTE 4.3.7).
        out.extend_from_slice(&0x04034b50u32.to_le_bytes());
        // The fields local and central headers share, from "version
        // needed" to the extra field's length (APPNOTE 4.3.7, 4.3.12).
        let common = |extra_len: usize| {
            let mut h = Vec::with_capacity(26);
            for v in [version_needed, 0, method, dos_t, dos_d] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            for v in [crc, stored.len() as u32, usize_ as u32] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&(extra_len as u16).to_le_bytes());
            h
        };
        out.extend_from_slice(&common(local_extra.len()));
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&local_extra);
        out.extend_from_slice(&stored);
        // Central directory header (APPNOTE 4.3.12).
        central.extend_from_slice(&0x02014b50u32.to_le_bytes());
        central.extend_from_slice(&((3u16 << 8) | 30).to_le_bytes()); // made by: Unix, 3.0
        central.extend_from_slice(&common(central_extra.len()));
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        let external = (mode << 16) | if is_dir { 0x10 } else { 0 };
        central.extend_from_slice(&external.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        central.extend_from_slice(&central_extra);
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    // End of central directory record (APPNOTE 4.3.16).
    out.extend_from_slice(&0x06054b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(list.len() as u16).to_le_bytes());
    out.extend_from_slice(&(list.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

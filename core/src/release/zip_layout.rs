//! The structure of a zip (APPNOTE.TXT 6.3.10), checked for one reading
//! before any member is read.
//!
//! Zip readers find members two ways: through the central directory at the
//! end (unzip, Python's zipfile, Java's ZipFile, the zip crate) or by
//! walking local headers from the start (Java's ZipInputStream, streaming
//! installers). A zip is read one way only when both walks see the same
//! members, so this module requires the archive to be exactly: the local
//! entries back to back from byte 0, each matching its central-directory
//! record, then the central directory, then its end records — no byte that
//! no record accounts for. Every deviation is a
//! [`ReleaseError::Ambiguous`] naming the entry and the two readings.

use std::io::SeekFrom;

use super::zip::ReadSeek;
use super::{Field, RawHeader, RawPath, ReleaseError};

const LOCAL: &[u8; 4] = b"PK\x03\x04";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const END: &[u8; 4] = b"PK\x05\x06";
const END64: &[u8; 4] = b"PK\x06\x06";
const LOCATOR: &[u8; 4] = b"PK\x06\x07";
const DESCRIPTOR: &[u8; 4] = b"PK\x07\x08";

/// Largest central directory read (its records are small; a bigger one is
/// bounded by `--max-entries` long before this in a real archive).
const MAX_CD_BYTES: u64 = 1 << 30;

/// One central-directory record, with what the reader needs.
pub(crate) struct Listed {
    /// The name bytes.
    pub name: Vec<u8>,
    /// Offset of the local header.
    pub offset: u64,
    /// What reproducibility compares of the central and local headers.
    pub header: RawHeader,
}

/// The checked layout: the members in central-directory order and the
/// archive comment.
pub(crate) struct Layout {
    pub listed: Vec<Listed>,
    pub comment: Vec<u8>,
}

struct Cd {
    name: Vec<u8>,
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    offset: u64,
    zip64: bool,
    header: RawHeader,
}

/// Extra fields a normalization may ignore (APPNOTE §4.5, §4.6).
const TIME_FIELDS: [u16; 3] = [0x5455, 0x000a, 0x7875];
/// ZIP64 extended information: sizes and offsets, compared through the
/// sizes and content themselves.
const ZIP64_FIELD: u16 = 0x0001;

/// Whether a time/owner extra field's data has exactly the layout its
/// definition gives it (Info-ZIP `extrafld.txt`; APPNOTE §4.5.5), so that
/// normalizing it cannot ignore anything but times and ids:
/// - 0x5455 extended timestamp: a flags byte (bits 0-2 only) and at most
///   one 4-byte time per flag set (the central copy carries only mtime);
/// - 0x000a NTFS: 4 reserved zero bytes, then one attribute, tag 1 of size
///   24 (three 8-byte times);
/// - 0x7875 Info-ZIP Unix: version 1, then uid and gid each with a size
///   byte of at most 8; or empty (the central copy).
fn time_field_shaped(id: u16, data: &[u8]) -> bool {
    match id {
        0x5455 => match data.split_first() {
            Some((&flags, times)) => {
                flags & !7 == 0
                    && times.len().is_multiple_of(4)
                    && times.len() / 4 <= flags.count_ones() as usize
            }
            None => false,
        },
        0x000a => {
            data.len() == 32 && data[..4] == [0; 4] && u16le(data, 4) == 1 && u16le(data, 6) == 24
        }
        0x7875 => {
            if data.is_empty() {
                return true;
            }
            let Some(&[1, uid_len]) = data.get(..2) else {
                return false;
            };
            let uid_len = uid_len as usize;
            let Some(&gid_len) = data.get(2 + uid_len) else {
                return false;
            };
            uid_len <= 8 && gid_len <= 8 && data.len() == 3 + uid_len + gid_len as usize
        }
        _ => false,
    }
}

/// Splits parsed extra fields into (exact, normalizable) bytes, in order:
/// the time and owner fields with their shapes are normalizable, the
/// ZIP64 field is left out (its values are the sizes and offset), every
/// other field is compared.
fn split_extra(extra: &[(u16, &[u8])]) -> (Vec<u8>, Vec<u8>) {
    let (mut exact, mut times) = (Vec::new(), Vec::new());
    for &(id, data) in extra {
        let target = if TIME_FIELDS.contains(&id) && time_field_shaped(id, data) {
            &mut times
        } else if id != ZIP64_FIELD {
            &mut exact
        } else {
            continue;
        };
        target.extend_from_slice(&id.to_le_bytes());
        target.extend_from_slice(&(data.len() as u16).to_le_bytes());
        target.extend_from_slice(data);
    }
    (exact, times)
}

/// What reproducibility compares of a central-directory record: versions,
/// flags, internal and external attributes, comment and extra fields
/// exactly, except the MS-DOS date/time (§4.4.6), the time and owner
/// extra fields, and the compression method and compressed size (the
/// decompressed content is compared instead; CRC-32 and size are covered
/// by comparing the content). The local header's parts are added by
/// [`add_local`].
fn central_header(
    fixed: &[u8],
    name: &[u8],
    comment: &[u8],
    extra: &[(u16, &[u8])],
    order: u64,
) -> RawHeader {
    let (exact, times) = split_extra(extra);
    let attrs = u32le(fixed, 38);
    let mut strict = fixed[4..10].to_vec(); // version made by, needed, flags
    // The name as recorded: the listing's path is normalised as extractors
    // normalise it.
    strict.extend_from_slice(name);
    strict.push(0);
    strict.extend_from_slice(&fixed[36..38]); // internal attributes
    strict.extend_from_slice(comment);
    strict.extend_from_slice(&exact);
    strict.extend_from_slice(&(attrs & 0xffff).to_le_bytes());
    strict.extend_from_slice(&((attrs >> 16) & 0o170000).to_le_bytes());
    let unix = u16le(fixed, 4) >> 8 == 3;
    RawHeader {
        strict,
        fields: vec![
            (Field::ZipDosTime, fixed[12..16].to_vec()),
            (Field::ZipExtraFields, times),
            (
                Field::CompressedStream,
                [&fixed[10..12], &fixed[20..24]].concat(),
            ),
        ],
        order,
        mode: unix.then_some((attrs >> 16) & 0o7777),
        container: None,
    }
}

/// Adds a local header's date/time and extra fields to its member's
/// [`central_header`].
fn add_local(header: &mut RawHeader, local: &[u8], extra: &[(u16, &[u8])]) {
    let (exact, times) = split_extra(extra);
    header.strict.extend_from_slice(&exact);
    for (field, value) in &mut header.fields {
        match field {
            Field::ZipDosTime => value.extend_from_slice(&local[10..14]),
            Field::ZipExtraFields => value.extend_from_slice(&times),
            _ => {}
        }
    }
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

struct Ctx<'a> {
    label: &'a str,
}

impl Ctx<'_> {
    fn ambiguous(&self, entry: &str, reason: String) -> ReleaseError {
        ReleaseError::Ambiguous {
            archive: self.label.to_string(),
            entry: entry.to_string(),
            reason,
        }
    }

    fn corrupt(&self, entry: &str, offset: u64, reason: String) -> ReleaseError {
        ReleaseError::Corrupt {
            archive: self.label.to_string(),
            entry: entry.to_string(),
            offset,
            reason,
        }
    }
}

fn read_at(
    r: &mut dyn ReadSeek,
    ctx: &Ctx<'_>,
    entry: &str,
    at: u64,
    len: usize,
) -> Result<Vec<u8>, ReleaseError> {
    let mut buf = vec![0u8; len];
    r.seek(SeekFrom::Start(at))
        .and_then(|_| r.read_exact(&mut buf))
        .map_err(|e| ctx.corrupt(entry, at, format!("cannot read {len} bytes: {e}")))?;
    Ok(buf)
}

/// Parses an extra field block (APPNOTE 4.5.1): (id, data) pairs that must
/// fill it exactly, each id at most once.
fn extras(block: &[u8]) -> Result<Vec<(u16, &[u8])>, String> {
    let mut out: Vec<(u16, &[u8])> = Vec::new();
    let mut pos = 0;
    while pos < block.len() {
        if block.len() - pos < 4 {
            return Err("the extra field ends inside a record header".into());
        }
        let id = u16le(block, pos);
        let len = usize::from(u16le(block, pos + 2));
        let data = block
            .get(pos + 4..pos + 4 + len)
            .ok_or("an extra field record runs past the extra field")?;
        if out.iter().any(|(i, _)| *i == id) {
            return Err(format!(
                "extra field 0x{id:04x} occurs twice (readers take different ones)"
            ));
        }
        out.push((id, data));
        pos += 4 + len;
    }
    Ok(out)
}

/// The Info-ZIP Unicode Path extra field (0x7075, APPNOTE 4.6.9): unzip
/// uses its name, Python and Java the header's. They must agree.
fn check_unicode_path(extra: &[(u16, &[u8])], name: &[u8]) -> Result<(), String> {
    if let Some((_, d)) = extra.iter().find(|(id, _)| *id == 0x7075) {
        let unicode = d.get(5..).unwrap_or_default();
        if d.first() != Some(&1) || unicode != name {
            return Err(format!(
                "the Info-ZIP Unicode Path extra field says `{}` but the name field says `{}`: \
                 unzip uses the extra field, Python and Java the name",
                RawPath(unicode.to_vec()),
                RawPath(name.to_vec()),
            ));
        }
    }
    Ok(())
}

/// Names extractors decode or rewrite differently.
fn check_name(name: &[u8], flags: u16) -> Result<(), String> {
    if name.contains(&b'\\') {
        return Err(
            "a backslash in the name: unzip turns it into a directory separator, \
                    Python and Java keep it as a character"
                .into(),
        );
    }
    if name.contains(&0) {
        return Err("a NUL byte in the name: readers cut the name there or not".into());
    }
    let utf8 = flags & 0x0800 != 0;
    if !name.is_ascii() {
        if !utf8 {
            return Err(
                "a non-ASCII name without the UTF-8 flag (APPNOTE 4.4.4 bit 11): \
                        Python decodes it as CP437, Java as UTF-8, unzip by locale"
                    .into(),
            );
        }
        if std::str::from_utf8(name).is_err() {
            return Err("the UTF-8 flag is set but the name is not UTF-8".into());
        }
    }
    Ok(())
}

/// Whether a file that does not start like a zip ends like one, the way
/// extractors find a zip: an end record (4.3.16) in the last 64 KiB + 22
/// bytes whose central directory (4.3.12) starts where the record's size
/// says, counting back from the record, or a zip64 locator (4.3.15) just
/// before it. unzip, bsdtar and Python's zipfile locate a zip that way
/// whatever precedes it (a self-extractor stub), so such a file has two
/// readings: the zip they extract, and the one opaque file the bytes are.
pub(crate) fn ends_like_zip(r: &mut dyn ReadSeek) -> std::io::Result<bool> {
    let len = r.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65535);
    let tail_start = len - tail_len;
    let mut tail = vec![0u8; tail_len as usize];
    r.seek(SeekFrom::Start(tail_start))?;
    r.read_exact(&mut tail)?;
    for i in (0..tail.len().saturating_sub(21)).rev() {
        if &tail[i..i + 4] != END {
            continue;
        }
        if i >= 20 && &tail[i - 20..i - 16] == LOCATOR {
            return Ok(true);
        }
        let cd_size = u64::from(u32le(&tail, i + 12));
        if cd_size == 0 && u16le(&tail, i + 10) == 0 {
            return Ok(true);
        }
        let Some(cd_start) = (tail_start + i as u64).checked_sub(cd_size) else {
            continue;
        };
        let mut sig = [0u8; 4];
        r.seek(SeekFrom::Start(cd_start))?;
        if r.read_exact(&mut sig).is_ok() && &sig == CENTRAL {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Checks the whole layout; returns the central-directory records in
/// central-directory order, and the archive comment.
pub(crate) fn check(r: &mut dyn ReadSeek, label: &str) -> Result<Layout, ReleaseError> {
    let ctx = Ctx { label };
    let cdir = "(central directory)";
    let len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| ctx.corrupt(cdir, 0, e.to_string()))?;
    // The end record (4.3.16) is 22 bytes plus a comment of up to 65535.
    let tail_len = len.min(22 + 65535);
    let tail_start = len - tail_len;
    let tail = read_at(r, &ctx, cdir, tail_start, tail_len as usize)?;
    let candidates: Vec<usize> = (0..tail.len().saturating_sub(21))
        .filter(|&i| {
            &tail[i..i + 4] == END && i + 22 + usize::from(u16le(&tail, i + 20)) == tail.len()
        })
        .collect();
    let eocd = match candidates.as_slice() {
        [one] => *one,
        [] => {
            return Err(ctx.corrupt(
                cdir,
                len,
                "no end-of-central-directory record ends the file".into(),
            ));
        }
        _ => {
            return Err(ctx.ambiguous(
                cdir,
                "more than one end-of-central-directory record fits the end of the file: \
                 readers pick different ones"
                    .into(),
            ));
        }
    };
    let comment = &tail[eocd + 22..];
    for sig in [END, END64, LOCATOR, CENTRAL, LOCAL] {
        if comment.windows(4).any(|w| w == sig) {
            return Err(ctx.ambiguous(
                cdir,
                "the archive comment holds a zip record signature: readers that search for \
                 the end record from the end (Python) find it there"
                    .into(),
            ));
        }
    }
    let e = &tail[eocd..];
    let eocd_at = tail_start + eocd as u64;
    let (disk, cd_disk) = (u16le(e, 4), u16le(e, 6));
    let (on_disk, total) = (u16le(e, 8), u16le(e, 10));
    let (cd_size32, cd_off32) = (u32le(e, 12), u32le(e, 16));
    let mut entries = u64::from(total);
    let mut cd_size = u64::from(cd_size32);
    let mut cd_off = u64::from(cd_off32);
    let mut cd_end = eocd_at;
    if disk != 0 || cd_disk != 0 || on_disk != total {
        return Err(ctx.ambiguous(cdir, "a multi-disk (split) archive".into()));
    }
    // Zip64 (4.3.14, 4.3.15): a locator right before the end record.
    if eocd_at >= 20 {
        let loc = read_at(r, &ctx, cdir, eocd_at - 20, 20)?;
        if &loc[..4] == LOCATOR {
            let at64 = u64le(&loc, 8);
            if u32le(&loc, 4) != 0 || u32le(&loc, 16) != 1 {
                return Err(ctx.ambiguous(cdir, "a multi-disk zip64 archive".into()));
            }
            if at64.checked_add(56) != Some(eocd_at - 20) {
                return Err(ctx.ambiguous(
                    cdir,
                    "the zip64 end record is not a plain 56-byte record right before its \
                     locator"
                        .into(),
                ));
            }
            let z = read_at(r, &ctx, cdir, at64, 56)?;
            if &z[..4] != END64 || u64le(&z, 4) != 44 {
                return Err(ctx.ambiguous(
                    cdir,
                    "the zip64 locator points at no zip64 end record".into(),
                ));
            }
            if u32le(&z, 16) != 0 || u32le(&z, 20) != 0 || u64le(&z, 24) != u64le(&z, 32) {
                return Err(ctx.ambiguous(cdir, "a multi-disk zip64 archive".into()));
            }
            let (n64, size64, off64) = (u64le(&z, 32), u64le(&z, 40), u64le(&z, 48));
            let agrees = |v32: u64, max: u64, v64: u64| v32 == max || v32 == v64;
            if !agrees(entries, 0xffff, n64)
                || !agrees(cd_size, 0xffff_ffff, size64)
                || !agrees(cd_off, 0xffff_ffff, off64)
            {
                return Err(ctx.ambiguous(
                    cdir,
                    "the zip64 end record and the classic end record disagree: readers that \
                     use one or the other list different members"
                        .into(),
                ));
            }
            (entries, cd_size, cd_off, cd_end) = (n64, size64, off64, at64);
        }
    }
    if cd_off.checked_add(cd_size) != Some(cd_end) {
        return Err(ctx.ambiguous(
            cdir,
            format!(
                "the central directory ({cd_size} bytes at {cd_off}) does not end where its end \
                 record starts ({cd_end}): bytes before the archive (a self-extractor stub?) \
                 or between the directory and its end record, which readers skip or parse \
                 differently"
            ),
        ));
    }
    if cd_size > MAX_CD_BYTES || entries > cd_size / 46 + 1 {
        return Err(ctx.corrupt(
            cdir,
            cd_off,
            format!("{entries} entries cannot fit {cd_size} bytes"),
        ));
    }
    let cd = read_at(r, &ctx, cdir, cd_off, cd_size as usize)?;
    let mut records = Vec::with_capacity(entries as usize);
    let mut pos = 0usize;
    for i in 0..entries {
        let here = format!("(central directory record #{i})");
        let fixed = cd
            .get(pos..pos + 46)
            .ok_or_else(|| ctx.corrupt(&here, cd_off + pos as u64, "truncated record".into()))?;
        if &fixed[..4] != CENTRAL {
            return Err(ctx.corrupt(
                &here,
                cd_off + pos as u64,
                "no central header signature".into(),
            ));
        }
        let made_by = u16le(fixed, 4);
        let flags = u16le(fixed, 8);
        let method = u16le(fixed, 10);
        let crc = u32le(fixed, 16);
        let (csize32, usize32) = (u32le(fixed, 20), u32le(fixed, 24));
        let (nlen, xlen, clen) = (
            usize::from(u16le(fixed, 28)),
            usize::from(u16le(fixed, 30)),
            usize::from(u16le(fixed, 32)),
        );
        let disk = u16le(fixed, 34);
        let attrs = u32le(fixed, 38);
        let off32 = u32le(fixed, 42);
        let var = cd
            .get(pos + 46..pos + 46 + nlen + xlen + clen)
            .ok_or_else(|| ctx.corrupt(&here, cd_off + pos as u64, "truncated record".into()))?;
        let name = var[..nlen].to_vec();
        let shown = RawPath(name.clone()).to_string();
        let extra = extras(&var[nlen..nlen + xlen]).map_err(|e| ctx.ambiguous(&shown, e))?;
        pos += 46 + nlen + xlen + clen;
        check_name(&name, flags).map_err(|e| ctx.ambiguous(&shown, e))?;
        check_unicode_path(&extra, &name).map_err(|e| ctx.ambiguous(&shown, e))?;
        // Zip64 extended information (4.5.3): exactly the fields whose
        // classic value is the maximum, in order. A reader that takes the
        // extra field regardless and one that takes it only for maxed
        // fields must see the same sizes.
        let mut want = 0usize;
        for maxed in [usize32 == u32::MAX, csize32 == u32::MAX, off32 == u32::MAX] {
            want += usize::from(maxed) * 8;
        }
        if disk == u16::MAX {
            want += 4;
        }
        let z = extra.iter().find(|(id, _)| *id == 0x0001).map(|(_, d)| *d);
        let zip64 = z.is_some();
        match z {
            None if want == 0 => {}
            Some(d) if d.len() == want => {}
            _ => {
                return Err(ctx.ambiguous(
                    &shown,
                    "the zip64 extra field does not hold exactly the sizes and offset the \
                     record marks as 0xFFFFFFFF: readers take different values"
                        .into(),
                ));
            }
        }
        let mut zpos = 0;
        let mut take64 = |v32: u32| -> u64 {
            if v32 == u32::MAX {
                let v = u64le(z.expect("length checked"), zpos);
                zpos += 8;
                v
            } else {
                u64::from(v32)
            }
        };
        let usize = take64(usize32);
        let csize = take64(csize32);
        let offset = take64(off32);
        if disk != 0 && disk != u16::MAX {
            return Err(ctx.ambiguous(&shown, "a member on another disk".into()));
        }
        // External attributes (4.4.15): on Unix hosts the high 16 bits are
        // st_mode. unzip creates symlinks from them; Python and Java write a
        // regular file holding the target. glassbox does not read zip
        // symlinks or special files: it refuses them.
        if made_by >> 8 == 3 {
            let kind = (attrs >> 16) & 0o170000;
            match kind {
                0 | 0o100000 | 0o040000 => {}
                0o120000 => {
                    return Err(ctx.ambiguous(
                        &shown,
                        "a symlink (S_IFLNK in the external attributes): unzip creates a link, \
                         Python and Java a file holding the target"
                            .into(),
                    ));
                }
                _ => {
                    return Err(ctx.ambiguous(
                        &shown,
                        format!(
                            "a special file (mode {kind:o} in the external attributes): \
                             extractors create it or a regular file"
                        ),
                    ));
                }
            }
        }
        // A directory by its attributes but not by its name (4.4.15: S_IFDIR
        // from a Unix host, or the MS-DOS directory bit 0x10): bsdtar
        // creates a directory, unzip, Python and Java a file holding the
        // content. Found by cli/tests/differential.rs.
        let unix_dir = made_by >> 8 == 3 && (attrs >> 16) & 0o170000 == 0o040000;
        if (unix_dir || attrs & 0x10 != 0) && !name.ends_with(b"/") {
            return Err(ctx.ambiguous(
                &shown,
                "a directory by its external attributes but a file by its name (no trailing \
                 `/`): bsdtar creates a directory, unzip, Python and Java a file"
                    .into(),
            ));
        }
        if name.ends_with(b"/") && usize != 0 {
            return Err(ctx.ambiguous(
                &shown,
                format!(
                    "a directory entry with {usize} content bytes: Python and unzip create a \
                     directory, streaming readers hand out the bytes"
                ),
            ));
        }
        let header = central_header(fixed, &name, &var[nlen + xlen..], &extra, i);
        records.push(Cd {
            name,
            flags,
            method,
            crc,
            csize,
            usize,
            offset,
            zip64,
            header,
        });
    }
    if pos != cd.len() {
        return Err(ctx.ambiguous(
            cdir,
            format!(
                "the central directory holds {} bytes after its {entries} records: readers \
                 that walk it by size see more members",
                cd.len() - pos
            ),
        ));
    }
    // One name twice: the zip crate keeps the last, `unzip -n` the first.
    // (The walk refuses it too, but the zip crate would already have
    // collapsed the two into one.)
    let mut seen = std::collections::HashSet::new();
    for c in &records {
        let n = super::walk::normalise(&c.name);
        if !seen.insert(n.clone()) {
            return Err(ctx.ambiguous(
                &RawPath(c.name.clone()).to_string(),
                format!(
                    "the name `{}` occurs twice (after removing `./`, `//` and trailing `/` as \
                     extractors do): the zip crate keeps the last, `unzip -n` the first",
                    RawPath(n)
                ),
            ));
        }
    }
    // The local entries, back to back from byte 0 up to the directory.
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|i| records[*i].offset);
    let mut at = 0u64;
    for i in order {
        let c = &mut records[i];
        let shown = RawPath(c.name.clone()).to_string();
        if c.offset < at {
            return Err(ctx.ambiguous(
                &shown,
                format!(
                    "its local entry at byte {} overlaps the entry before it (which ends at \
                     byte {at}): the same bytes would be read as two members",
                    c.offset
                ),
            ));
        }
        if c.offset > at {
            return Err(ctx.ambiguous(&shown, gap_reason(at, c.offset)));
        }
        at = local_entry(r, &ctx, c, &shown)?;
        if at > cd_off {
            return Err(ctx.ambiguous(
                &shown,
                "its local entry runs into the central directory".into(),
            ));
        }
    }
    if at != cd_off {
        return Err(ctx.ambiguous(cdir, gap_reason(at, cd_off)));
    }
    Ok(Layout {
        listed: records
            .into_iter()
            .map(|c| Listed {
                name: c.name,
                offset: c.offset,
                header: c.header,
            })
            .collect(),
        comment: comment.to_vec(),
    })
}

fn gap_reason(from: u64, to: u64) -> String {
    let what = if from == 0 {
        "before the first entry (a self-extractor stub or other prefix)"
    } else {
        "between entries, or after the last one"
    };
    format!(
        "bytes {from}..{to} belong to no listed member {what}: a local header hidden there is \
         installed by streaming readers (Java's ZipInputStream) and unseen by the central \
         directory"
    )
}

/// Checks one local entry (4.3.7) against its central record; returns
/// where it ends (after its data descriptor, if any).
fn local_entry(
    r: &mut dyn ReadSeek,
    ctx: &Ctx<'_>,
    c: &mut Cd,
    shown: &str,
) -> Result<u64, ReleaseError> {
    let h = read_at(r, ctx, shown, c.offset, 30)?;
    if &h[..4] != LOCAL {
        return Err(ctx.ambiguous(
            shown,
            format!(
                "its central record points at byte {}, where no local header is",
                c.offset
            ),
        ));
    }
    let (flags, method, crc) = (u16le(&h, 6), u16le(&h, 8), u32le(&h, 14));
    let (csize32, usize32) = (u32le(&h, 18), u32le(&h, 22));
    let (nlen, xlen) = (usize::from(u16le(&h, 26)), usize::from(u16le(&h, 28)));
    let var = read_at(r, ctx, shown, c.offset + 30, nlen + xlen)?;
    let (name, extra) = var.split_at(nlen);
    let differs = |what: &str| {
        ctx.ambiguous(
            shown,
            format!(
                "the local header's {what} differs from the central directory's: readers that \
                 stream local headers (Java's ZipInputStream) and readers that use the \
                 directory see different members"
            ),
        )
    };
    if name != c.name.as_slice() {
        return Err(differs(&format!("name (`{}`)", RawPath(name.to_vec()))));
    }
    if method != c.method {
        return Err(differs("compression method"));
    }
    const READING_FLAGS: u16 = 0x0001 | 0x0008 | 0x0800;
    if flags & READING_FLAGS != c.flags & READING_FLAGS {
        return Err(differs("flags (encryption, data descriptor or UTF-8)"));
    }
    let extra = extras(extra).map_err(|e| ctx.ambiguous(shown, e))?;
    check_unicode_path(&extra, name).map_err(|e| ctx.ambiguous(shown, e))?;
    add_local(&mut c.header, &h, &extra);
    // Local sizes: zip64 extra holds both when either is maxed (4.5.3).
    let z = extra.iter().find(|(id, _)| *id == 0x0001).map(|(_, d)| *d);
    let (lusize, lcsize) = if usize32 == u32::MAX || csize32 == u32::MAX {
        match z {
            Some(d) if d.len() >= 16 => (u64le(d, 0), u64le(d, 8)),
            _ => return Err(differs("zip64 sizes")),
        }
    } else {
        (u64::from(usize32), u64::from(csize32))
    };
    let descriptor = c.flags & 0x0008 != 0;
    if descriptor {
        // Sizes and CRC follow the data (4.3.9); the local fields are zero
        // or already the right values.
        let zero = crc == 0 && lcsize == 0 && lusize == 0;
        let same = crc == c.crc && lcsize == c.csize && lusize == c.usize;
        if !zero && !same {
            return Err(differs("CRC or sizes"));
        }
    } else if crc != c.crc || lcsize != c.csize || lusize != c.usize {
        return Err(differs("CRC or sizes"));
    }
    let data_end = (c.offset + 30 + (nlen + xlen) as u64)
        .checked_add(c.csize)
        .ok_or_else(|| ctx.corrupt(shown, c.offset, "size overflows".into()))?;
    if !descriptor {
        return Ok(data_end);
    }
    if method == 8 {
        deflate_fills_its_entry(r, ctx, c, shown, data_end - c.csize)?;
    }
    // Data descriptor: optional signature, CRC, then 4- or 8-byte sizes
    // (8 when the entry is zip64).
    let sizes = if c.zip64 { 16 } else { 8 };
    let head = read_at(r, ctx, shown, data_end, 4)?;
    let signed = head == DESCRIPTOR;
    let at = data_end + if signed { 4 } else { 0 };
    let d = read_at(r, ctx, shown, at, 4 + sizes)?;
    let (dcrc, dcsize, dusize) = if c.zip64 {
        (u32le(&d, 0), u64le(&d, 4), u64le(&d, 12))
    } else {
        (
            u32le(&d, 0),
            u64::from(u32le(&d, 4)),
            u64::from(u32le(&d, 8)),
        )
    };
    if dcrc != c.crc || dcsize != c.csize || dusize != c.usize {
        return Err(differs("data descriptor"));
    }
    Ok(at + 4 + sizes as u64)
}

/// With a data descriptor, streaming readers (Java's ZipInputStream) find
/// the end of a deflated member where its deflate stream ends, then read
/// the descriptor and the next local header from there; directory readers
/// skip `csize` bytes. If the stream ends early, the slack can hide a
/// descriptor and a member only the streaming readers see. So the stream
/// must end exactly at `csize`. Inflating stops as soon as it produces more
/// than the declared size, so this costs at most one read of the member.
fn deflate_fills_its_entry(
    r: &mut dyn ReadSeek,
    ctx: &Ctx<'_>,
    c: &Cd,
    shown: &str,
    start: u64,
) -> Result<(), ReleaseError> {
    use flate2::{Decompress, FlushDecompress, Status};
    r.seek(SeekFrom::Start(start))
        .map_err(|e| ctx.corrupt(shown, start, e.to_string()))?;
    let mut z = Decompress::new(false);
    let mut input = vec![0u8; 64 * 1024];
    let mut output = vec![0u8; 64 * 1024];
    let mut fed = 0u64;
    loop {
        let want = usize::try_from(c.csize - fed)
            .unwrap_or(usize::MAX)
            .min(input.len());
        r.read_exact(&mut input[..want])
            .map_err(|e| ctx.corrupt(shown, start + fed, e.to_string()))?;
        fed += want as u64;
        let mut pos = 0;
        loop {
            let before = (z.total_in(), z.total_out());
            let flush = if fed == c.csize {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = z
                .decompress(&input[pos..want], &mut output, flush)
                .map_err(|e| ctx.corrupt(shown, start + z.total_in(), format!("deflate: {e}")))?;
            pos += (z.total_in() - before.0) as usize;
            if z.total_out() > c.usize {
                return Err(ctx.ambiguous(
                    shown,
                    format!(
                        "its deflate data inflates to more than the {} bytes declared",
                        c.usize
                    ),
                ));
            }
            if status == Status::StreamEnd {
                if z.total_in() != c.csize {
                    return Err(ctx.ambiguous(
                        shown,
                        format!(
                            "its deflate stream ends after {} of its {} compressed bytes: \
                             streaming readers (Java's ZipInputStream) read the data \
                             descriptor and the next member from the slack, directory readers \
                             skip it",
                            z.total_in(),
                            c.csize
                        ),
                    ));
                }
                return Ok(());
            }
            // No progress: this input is used up (or the data is broken,
            // which the content read reports).
            if (z.total_in(), z.total_out()) == before {
                break;
            }
        }
        if fed == c.csize {
            // All input given and no stream end: truncated deflate data,
            // which the content read reports as corrupt.
            return Ok(());
        }
    }
}

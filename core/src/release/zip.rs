//! zip (APPNOTE.TXT) and zip-based formats (jar, apk, whl). The central
//! directory is at the end, so a zip needs random access: a file on disk,
//! or a nested zip buffered up to
//! [`NESTED_ZIP_BUFFER_CAP`](super::walk::NESTED_ZIP_BUFFER_CAP).

use std::io::{Read, Seek};

use super::limits::{Place, RATIO_GRACE_BYTES};
use super::walk::{Content, Names, Walk};
use super::{Entry, EntryKind, EntryPath, Format, RawPath, ReleaseError};

/// Longest symlink target read from a zip member (PATH_MAX).
const MAX_LINK_TARGET: u64 = 4096;

/// Random-access input.
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Seconds since the Unix epoch of an MS-DOS date and time (APPNOTE 4.4.6),
/// taken as UTC since the format records no zone.
fn unix_time(t: zip::DateTime) -> Option<i64> {
    let month = time::Month::try_from(t.month()).ok()?;
    let date = time::Date::from_calendar_date(i32::from(t.year()), month, t.day()).ok()?;
    let tod = time::Time::from_hms(t.hour(), t.minute(), t.second()).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, tod)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Reads the zip in `reader`, members addressed under `container`.
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    reader: &mut dyn ReadSeek,
) -> Result<(), ReleaseError> {
    let label = walk.label(container);
    let corrupt = |entry: &str, offset: u64, e: &dyn std::fmt::Display| ReleaseError::Corrupt {
        archive: label.clone(),
        entry: entry.to_string(),
        offset,
        reason: e.to_string(),
    };
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| corrupt("(central directory)", 0, &e))?;
    let mut names = Names::new(container);
    let limits = walk.opts.limits;
    for i in 0..archive.len() {
        let (raw, kind, size, compressed, mode, mtime, offset) = {
            let m = archive
                .by_index_raw(i)
                .map_err(|e| corrupt(&format!("(member #{i})"), 0, &e))?;
            let kind = if m.is_symlink() {
                EntryKind::Symlink
            } else if m.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            (
                m.name_raw().to_vec(),
                kind,
                m.size(),
                m.compressed_size(),
                m.unix_mode(),
                m.last_modified().and_then(unix_time),
                m.header_start(),
            )
        };
        let display = RawPath(raw.clone()).to_string();
        if size > RATIO_GRACE_BYTES && size / compressed.max(1) > limits.max_ratio {
            return Err(ReleaseError::RatioLimit {
                archive: label.clone(),
                entry: display,
                offset,
                limit: limits.max_ratio,
            });
        }
        let mut link = None;
        let mut member = match archive.by_index(i) {
            Ok(m) => Some(m),
            Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                let path = walk.admit(&mut names, &raw, kind, None)?;
                let entry = entry(path, kind, size, mode, mtime, None);
                walk.unreadable(entry, why.to_string());
                continue;
            }
            Err(e) => return Err(corrupt(&display, offset, &e)),
        };
        if kind == EntryKind::Symlink {
            let mut target = Vec::new();
            let m = member.as_mut().expect("opened above");
            m.take(MAX_LINK_TARGET)
                .read_to_end(&mut target)
                .map_err(|e| corrupt(&display, offset, &e))?;
            link = Some(target);
        }
        let path = walk.admit(&mut names, &raw, kind, link.as_deref())?;
        let entry = entry(path, kind, size, mode, mtime, link.map(RawPath));
        if kind == EntryKind::File {
            let m = member.as_mut().expect("opened above");
            walk.file(
                entry,
                Content {
                    reader: m,
                    declared: Some(size),
                    place: Place {
                        archive: label.clone(),
                        entry: display,
                        offset,
                    },
                    short_is_truncation: false,
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

fn entry(
    path: EntryPath,
    kind: EntryKind,
    size: u64,
    mode: Option<u32>,
    mtime: Option<i64>,
    link_target: Option<RawPath>,
) -> Entry {
    Entry {
        path,
        kind,
        size: if kind == EntryKind::File { size } else { 0 },
        mode,
        mtime,
        owner: None,
        link_target,
        digests: None,
        format: Format::Zip,
        expanded_as: None,
    }
}

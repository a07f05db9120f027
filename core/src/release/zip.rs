//! zip (APPNOTE.TXT) and zip-based formats (jar, apk, whl). The central
//! directory is at the end, so a zip needs random access: a file on disk,
//! or a nested zip buffered up to
//! [`NESTED_ZIP_BUFFER_CAP`](super::walk::NESTED_ZIP_BUFFER_CAP).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use rayon::prelude::*;

use super::limits::{Place, RATIO_GRACE_BYTES};
use super::walk::{Collected, Content, Names, Out, Walk};
use super::{Entry, EntryKind, EntryPath, Format, RawPath, ReleaseError};

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

/// One member as listed by the central directory.
struct Member {
    index: usize,
    entry: Entry,
    display: String,
    offset: u64,
}

/// Reads the zip in `reader`, members addressed under `container`. With
/// `random` (the zip is a file on disk) and a collecting walk, members are
/// hashed in parallel, each thread with its own handle on the file.
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    reader: &mut dyn ReadSeek,
    random: Option<&Path>,
) -> Result<(), ReleaseError> {
    let label = walk.label(container);
    let corrupt = |entry: &str, offset: u64, e: &dyn std::fmt::Display| ReleaseError::Corrupt {
        archive: label.clone(),
        entry: entry.to_string(),
        offset,
        reason: e.to_string(),
    };
    // One reading first: the central directory, the local headers and the
    // bytes around them must tell one story (see `layout`).
    let listed = super::zip_layout::check(reader, &label)?;
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| corrupt("(central directory)", 0, &e))?;
    if archive.len() != listed.len() {
        return Err(ReleaseError::Ambiguous {
            archive: label.clone(),
            entry: "(central directory)".into(),
            reason: format!(
                "the zip library lists {} members where the central directory holds {}",
                archive.len(),
                listed.len()
            ),
        });
    }
    let mut names = Names::new(container);
    let limits = walk.opts.limits;
    // Pass 1, in central-directory order: names, metadata, limits.
    let mut members = Vec::new();
    for (i, cd) in listed.iter().enumerate() {
        let (raw, size, compressed, mode, mtime, offset) = {
            let m = archive
                .by_index_raw(i)
                .map_err(|e| corrupt(&format!("(member #{i})"), 0, &e))?;
            if m.name_raw() != cd.name.as_slice() || m.header_start() != cd.offset {
                return Err(ReleaseError::Ambiguous {
                    archive: label.clone(),
                    entry: RawPath(cd.name.clone()).to_string(),
                    reason: "the zip library reads this central-directory entry differently \
                             from glassbox's own parse"
                        .into(),
                });
            }
            (
                m.name_raw().to_vec(),
                m.size(),
                m.compressed_size(),
                m.unix_mode(),
                m.last_modified().and_then(unix_time),
                m.header_start(),
            )
        };
        // Symlinks and special files were refused by the layout check, so a
        // member is a directory (name ends in `/`) or a file.
        let kind = if raw.ends_with(b"/") {
            EntryKind::Dir
        } else {
            EntryKind::File
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
        let path = walk.admit(&mut names, &raw, kind, None)?;
        let entry = entry(path, kind, size, mode, mtime, None);
        if kind == EntryKind::File {
            members.push(Member {
                index: i,
                entry,
                display,
                offset,
            });
        } else {
            walk.other(entry);
        }
    }
    walk.finish_container(names);
    // Pass 2: content.
    if let (Some(path), true) = (random, walk.collecting() && members.len() > 1) {
        return read_parallel(walk, &label, path, members);
    }
    for m in members {
        member_content(walk, &mut archive, &label, m)?;
    }
    Ok(())
}

/// Hashes (or visits) one member's content.
fn member_content<R: Read + Seek>(
    walk: &mut Walk<'_, '_>,
    archive: &mut zip::ZipArchive<R>,
    label: &str,
    m: Member,
) -> Result<(), ReleaseError> {
    let mut file = match archive.by_index(m.index) {
        Ok(f) => f,
        Err(zip::result::ZipError::UnsupportedArchive(why)) => {
            walk.unreadable(m.entry, why.to_string());
            return Ok(());
        }
        Err(e) => {
            return Err(ReleaseError::Corrupt {
                archive: label.to_string(),
                entry: m.display,
                offset: m.offset,
                reason: e.to_string(),
            });
        }
    };
    let declared = m.entry.size;
    walk.file(
        m.entry,
        Content {
            reader: &mut file,
            declared: Some(declared),
            place: Place {
                archive: label.to_string(),
                entry: m.display,
                offset: m.offset,
            },
            short_is_truncation: false,
            random: None,
            forced: false,
        },
    )
}

/// Pass 2 across threads: each rayon worker opens the file and parses the
/// central directory once, then hashes the members it is given.
fn read_parallel(
    walk: &mut Walk<'_, '_>,
    label: &str,
    path: &Path,
    members: Vec<Member>,
) -> Result<(), ReleaseError> {
    let open = || -> Result<zip::ZipArchive<BufReader<File>>, ReleaseError> {
        let f = crate::fsio::open_regular(path, false).map_err(|e| ReleaseError::Open {
            path: path.to_path_buf(),
            error: e,
        })?;
        zip::ZipArchive::new(BufReader::new(f)).map_err(|e| ReleaseError::Corrupt {
            archive: label.to_string(),
            entry: "(central directory)".into(),
            offset: 0,
            reason: e.to_string(),
        })
    };
    let (source, opts, budget) = (walk.source, walk.opts, walk.budget);
    let parts: Vec<Collected> = members
        .into_par_iter()
        .map_init(open, |archive, m| {
            let archive = archive.as_mut().map_err(|e| ReleaseError::Corrupt {
                archive: label.to_string(),
                entry: "(central directory)".into(),
                offset: 0,
                reason: e.to_string(),
            })?;
            let mut part = Walk {
                source,
                opts,
                budget,
                out: Out::Collect(Collected::default()),
            };
            member_content(&mut part, archive, label, m)?;
            Ok(part.into_collected())
        })
        .collect::<Result<_, ReleaseError>>()?;
    for p in parts {
        walk.absorb(p);
    }
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
        header: None,
    }
}

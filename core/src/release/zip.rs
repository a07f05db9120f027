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
use super::{ContainerFacts, Entry, EntryKind, EntryPath, Format, RawPath, ReleaseError};

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
    /// Deflated and not encrypted: inflated here (see [`Inflate`]), with
    /// the CRC-32 it must have.
    deflated: Option<u32>,
}

/// Reads the zip in `reader`, members addressed under `container`; returns
/// what reproducibility compares of the archive itself (its comment). With
/// `random` (the zip is a file on disk) and a collecting walk, members are
/// hashed in parallel, each thread with its own handle on the file.
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    reader: &mut dyn ReadSeek,
    random: Option<&Path>,
) -> Result<ContainerFacts, ReleaseError> {
    let label = walk.label(container);
    let corrupt = |entry: &str, offset: u64, e: &dyn std::fmt::Display| ReleaseError::Corrupt {
        archive: label.clone(),
        entry: entry.to_string(),
        offset,
        reason: e.to_string(),
    };
    // One reading first: the central directory, the local headers and the
    // bytes around them must tell one story (see `layout`).
    let super::zip_layout::Layout { listed, comment } = super::zip_layout::check(reader, &label)?;
    // The layout check accounts for every byte of the file, so the comment
    // is all the archive holds outside its members and directory.
    let facts = ContainerFacts {
        codec: None,
        strict: comment,
        padding: 0,
    };
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
    for (i, cd) in listed.into_iter().enumerate() {
        let (raw, size, compressed, mode, mtime, offset, deflated) = {
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
                (m.compression() == zip::CompressionMethod::Deflated && !m.encrypted())
                    .then(|| m.crc32()),
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
        let mut entry = entry(path, kind, size, mode, mtime, None);
        entry.header = Some(Box::new(cd.header));
        if kind == EntryKind::File {
            members.push(Member {
                index: i,
                entry,
                display,
                offset,
                deflated,
            });
        } else {
            walk.other(entry);
        }
    }
    walk.finish_container(names);
    // Pass 2: content.
    if let (Some(path), true) = (random, walk.collecting() && members.len() > 1) {
        read_parallel(walk, &label, path, members)?;
        return Ok(facts);
    }
    for m in members {
        member_content(walk, &mut archive, &label, m)?;
    }
    Ok(facts)
}

/// Hashes (or visits) one member's content.
fn member_content<R: Read + Seek>(
    walk: &mut Walk<'_, '_>,
    archive: &mut zip::ZipArchive<R>,
    label: &str,
    m: Member,
) -> Result<(), ReleaseError> {
    let place = Place {
        archive: label.to_string(),
        entry: m.display.clone(),
        offset: m.offset,
    };
    if let Some(crc32) = m.deflated {
        let raw = archive
            .by_index_raw(m.index)
            .map_err(|e| ReleaseError::Corrupt {
                archive: label.to_string(),
                entry: m.display.clone(),
                offset: m.offset,
                reason: e.to_string(),
            })?;
        let mut buffered = BufReader::new(raw);
        let mut state = flate2::Decompress::new(false);
        let declared = m.entry.size;
        let mut inflated = Inflate {
            raw: &mut buffered,
            state: &mut state,
            done: false,
            crc: flate2::Crc::new(),
            want: (crc32, declared),
            place: place.clone(),
        };
        return walk.file(
            m.entry,
            Content {
                reader: &mut inflated,
                declared: Some(declared),
                place,
                short_is_truncation: false,
                random: None,
                forced: false,
            },
        );
    }
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

/// Raw deflate (RFC 1951) of one member, checked against its declared
/// CRC-32 and size at the end (APPNOTE 4.4.7, 4.4.9).
struct Inflate<'a> {
    raw: &'a mut dyn std::io::BufRead,
    state: &'a mut flate2::Decompress,
    done: bool,
    crc: flate2::Crc,
    /// Declared CRC-32 and size.
    want: (u32, u64),
    place: Place,
}

impl Inflate<'_> {
    fn refuse(&self, reason: &str, ambiguous: bool) -> std::io::Error {
        let p = &self.place;
        if ambiguous {
            ReleaseError::Ambiguous {
                archive: p.archive.clone(),
                entry: p.entry.clone(),
                reason: reason.to_string(),
            }
        } else {
            ReleaseError::Corrupt {
                archive: p.archive.clone(),
                entry: p.entry.clone(),
                offset: p.offset,
                reason: reason.to_string(),
            }
        }
        .into_io()
    }

    /// At the end of the stream: the data must be what the directory
    /// declares.
    fn check_end(&self) -> std::io::Result<()> {
        let (crc, size) = self.want;
        if self.crc.sum() != crc || u64::from(self.crc.amount()) != size & 0xffff_ffff {
            return Err(self.refuse(
                &format!(
                    "declared size {size} / CRC-32 {crc:08x} do not match the data ({} bytes, \
                     CRC-32 {:08x})",
                    self.crc.amount(),
                    self.crc.sum()
                ),
                false,
            ));
        }
        Ok(())
    }
}

impl Read for Inflate<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use flate2::{FlushDecompress, Status};
        use std::io::{Error, ErrorKind};
        if out.is_empty() || self.done {
            return Ok(0);
        }
        loop {
            let input = self.raw.fill_buf()?;
            let eof = input.is_empty();
            let (in0, out0) = (self.state.total_in(), self.state.total_out());
            let flush = if eof {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self
                .state
                .decompress(input, out, flush)
                .map_err(|e| self.refuse(&format!("deflate: {e}"), false))?;
            let consumed = (self.state.total_in() - in0) as usize;
            let produced = (self.state.total_out() - out0) as usize;
            self.raw.consume(consumed);
            self.crc.update(&out[..produced]);
            if status == Status::StreamEnd {
                self.done = true;
                // Deflate marks its own end, so bytes can hide after it
                // inside the compressed size: directory readers skip them,
                // Java's ZipInputStream reads the next local header there
                // (a hidden member). A vendor zip with such slack was judged
                // EQUIVALENT to a clean rebuild (adversarial review of issue
                // 18), so it is refused.
                if !self.raw.fill_buf()?.is_empty() {
                    return Err(self.refuse(
                        "bytes after the deflate stream's end inside the member's compressed \
                         size: Java's ZipInputStream reads them as the next member, other \
                         readers skip them",
                        true,
                    ));
                }
                self.check_end()?;
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if eof {
                return Err(Error::new(
                    ErrorKind::UnexpectedEof,
                    "truncated deflate stream",
                ));
            }
            if consumed == 0 {
                return Err(self.refuse("deflate stream makes no progress", false));
            }
        }
    }
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

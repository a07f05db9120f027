//! tar archives (POSIX.1-2001 ustar/pax, GNU). Per member, the header
//! fields that describe content (type, mode, link, device numbers, format
//! magic; the size is covered by comparing the content itself) and every pax record except the time records are compared
//! exactly; mtime (and GNU atime/ctime), uid/gid/uname/gname and pax
//! mtime/atime/ctime are normalizable. Bytes after the end-of-archive marker
//! must be zero padding, or they are compared exactly.

use std::io::Read;

use crate::release::{EntryKind, RawPath};

use super::super::ReproError;
use super::super::node::{Archive, ArchiveFormat, Member};
use super::super::normalization::Normalization;
use super::super::read::Reader;

/// The `ustar` magic at offset 257 (POSIX and GNU variants).
pub(crate) fn sniff(prefix: &[u8]) -> bool {
    prefix.len() >= 512 && prefix[257..262] == *b"ustar"
}

const PAX_TIMES: [&str; 3] = ["mtime", "atime", "ctime"];

pub(crate) fn read(
    input: &mut dyn Read,
    reader: &mut Reader,
    at: &str,
    depth: usize,
) -> Result<Archive, ReproError> {
    let mut archive = tar::Archive::new(input);
    let mut members = Vec::new();
    {
        let entries = archive.entries().map_err(|e| ReproError::read(at, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| ReproError::read(at, e))?;
            let offset = entry.raw_header_position();
            let path = RawPath(entry.path_bytes().into_owned());
            let member_at = format!("{at}!{path}");
            reader.count_entry(&member_at)?;
            let header = *entry.header().as_bytes();
            let link_target = entry.link_name_bytes().map(|l| RawPath(l.into_owned()));
            let mut pax_strict = Vec::new();
            let mut pax_times = Vec::new();
            if let Some(pax) = entry
                .pax_extensions()
                .map_err(|e| ReproError::corrupt(&member_at, offset, e))?
            {
                let mut records = Vec::new();
                for record in pax {
                    let record = record.map_err(|e| ReproError::corrupt(&member_at, offset, e))?;
                    records.push((record.key_bytes().to_vec(), record.value_bytes().to_vec()));
                }
                records.sort();
                for (key, value) in records {
                    let is_time = PAX_TIMES.iter().any(|t| key == t.as_bytes());
                    let target = if is_time {
                        &mut pax_times
                    } else {
                        &mut pax_strict
                    };
                    target.extend_from_slice(&key);
                    target.push(b'=');
                    target.extend_from_slice(&value);
                    target.push(b'\n');
                }
            }
            let typeflag = header[156];
            let kind = match typeflag {
                b'0' | 0 | b'7' => EntryKind::File,
                b'5' => EntryKind::Dir,
                b'2' => EntryKind::Symlink,
                b'1' => EntryKind::Hardlink,
                _ => EntryKind::Other,
            };
            let gnu = header[257..265] == *b"ustar  \0";
            let mut strict = Vec::with_capacity(64);
            strict.push(typeflag);
            strict.extend_from_slice(&header[257..265]); // magic + version
            strict.extend_from_slice(&header[329..345]); // devmajor, devminor
            strict.extend_from_slice(&pax_strict);
            let mut mtime = header[136..148].to_vec();
            if gnu {
                mtime.extend_from_slice(&header[345..369]); // GNU atime, ctime
            }
            let mut owner = header[108..124].to_vec(); // uid, gid
            owner.extend_from_slice(&header[265..329]); // uname, gname
            let mode = entry.header().mode().ok();
            let content = if kind == EntryKind::File {
                Some(reader.read_stream(&mut entry, path.file_name(), &member_at, depth + 1)?)
            } else {
                None
            };
            members.push(Member {
                path,
                kind,
                link_target,
                mode,
                strict,
                normalized: vec![
                    (Normalization::TarMtime, mtime),
                    (Normalization::TarOwner, owner),
                    (Normalization::TarPaxTimes, pax_times),
                ],
                content,
            });
        }
    }
    // What follows the end-of-archive marker: padding, or hidden data.
    let rest = archive.into_inner();
    let mut buf = vec![0u8; 64 * 1024];
    let mut padding = 0u64;
    let mut trailer = sha2::Sha256::default();
    let mut nonzero = false;
    loop {
        let n = rest.read(&mut buf).map_err(|e| ReproError::read(at, e))?;
        if n == 0 {
            break;
        }
        use sha2::Digest as _;
        nonzero |= buf[..n].iter().any(|&b| b != 0);
        trailer.update(&buf[..n]);
        padding += n as u64;
    }
    let strict = if nonzero {
        use sha2::Digest as _;
        let mut s = b"trailing data ".to_vec();
        s.extend_from_slice(&trailer.finalize());
        padding = 0;
        s
    } else {
        Vec::new()
    };
    Ok(Archive {
        format: ArchiveFormat::Tar,
        raw_sha256: None,
        members,
        strict,
        padding,
    })
}

//! tar archives (POSIX.1-2001 ustar/pax, GNU). Per member, the header
//! fields that describe content (type, mode, link, device numbers, format
//! magic; the size is covered by comparing the content itself) and every pax record except the time records are compared
//! exactly; mtime (and GNU atime/ctime), uid/gid/uname/gname and pax
//! mtime/atime/ctime are normalizable. Bytes after the end-of-archive marker
//! must be zero padding, or they are compared exactly.

use std::io::Read;

use crate::release::{EntryKind, RawPath};

use super::CanonicalError;
use super::Field;
use super::node::{Archive, ArchiveFormat, Member};
use super::read::Reader;

const PAX_TIMES: [&str; 3] = ["mtime", "atime", "ctime"];

/// POSIX.1-2001 pax time: decimal seconds, optional sign and fraction,
/// bounded (a time record cannot carry a payload).
fn is_pax_time(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"-").unwrap_or(v);
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    v.len() <= 32
        && !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit))
}

/// A ustar numeric field (POSIX.1 §10.1.1 "ustar Interchange Format"):
/// optional leading spaces, octal digits, then only NUL or space padding;
/// or all NUL (GNU, unused atime/ctime); or GNU base-256 (first byte 0x80
/// or 0xff), where every byte is part of the number.
fn is_numeric(f: &[u8]) -> bool {
    if matches!(f.first(), Some(0x80 | 0xff)) || f.iter().all(|&b| b == 0) {
        return true;
    }
    let start = f.iter().take_while(|&&b| b == b' ').count();
    let digits = f[start..]
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    digits > 0 && f[start + digits..].iter().all(|&b| b == 0 || b == b' ')
}

/// Header bytes no field reads: after the NUL that ends name, linkname
/// and (ustar) prefix, and the ustar padding at 500..512 (GNU: everything
/// after ctime). tar ignores them, so they could carry anything; they are
/// compared.
fn unused_bytes(h: &[u8; 512], gnu: bool) -> Vec<u8> {
    let slack = |f: &[u8]| match f.iter().position(|&b| b == 0) {
        Some(i) => f[i..].to_vec(),
        None => Vec::new(),
    };
    let mut out = slack(&h[0..100]);
    out.extend(slack(&h[157..257]));
    if gnu {
        out.extend_from_slice(&h[369..512]);
    } else {
        out.extend(slack(&h[345..500]));
        out.extend_from_slice(&h[500..512]);
    }
    out
}

/// A ustar uname/gname: printable ASCII up to the first NUL, then only
/// NULs (bytes after the terminator are invisible to tar and could carry
/// anything).
fn is_name(f: &[u8]) -> bool {
    let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
    f[..end].iter().all(|b| (0x21..=0x7e).contains(b)) && f[end..].iter().all(|&b| b == 0)
}

pub(crate) fn read(
    input: &mut dyn Read,
    reader: &mut Reader,
    at: &str,
    depth: usize,
) -> Result<Archive, CanonicalError> {
    let mut archive = tar::Archive::new(input);
    let mut members = Vec::new();
    {
        let entries = archive.entries().map_err(|e| CanonicalError::read(at, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| CanonicalError::read(at, e))?;
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
                .map_err(|e| CanonicalError::corrupt(&member_at, offset, e))?
            {
                let mut records = Vec::new();
                for record in pax {
                    let record =
                        record.map_err(|e| CanonicalError::corrupt(&member_at, offset, e))?;
                    records.push((record.key_bytes().to_vec(), record.value_bytes().to_vec()));
                }
                records.sort();
                let mut times_seen: Vec<Vec<u8>> = Vec::new();
                for (key, value) in records {
                    // Only the first record of each time key, and only a
                    // decimal time, is normalizable; anything else in a
                    // time record is data and compared.
                    let is_time = PAX_TIMES.iter().any(|t| key == t.as_bytes())
                        && !times_seen.contains(&key)
                        && is_pax_time(&value);
                    if is_time {
                        times_seen.push(key.clone());
                    }
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
            let ustar = header[257..265] == *b"ustar\x0000";
            let mut strict = Vec::with_capacity(64);
            strict.push(typeflag);
            // A header that is neither POSIX ustar (magic "ustar\0", version
            // "00", POSIX.1 §10.1.1) nor GNU: a pre-POSIX v7 header (sniffed
            // by checksum and a .tar name) or a ustar magic with another
            // version. Readers disagree on which of its bytes are fields:
            // Python's tarfile joins bytes 345..500 to the name as a ustar
            // prefix and reads uname/gname, GNU tar (for v7) and the tar
            // crate ignore them. No byte of such a header is known to be only
            // a time or an owner, so the whole header is compared (as it was
            // when such a file was compared as plain bytes) and no
            // normalization may speak for it.
            let known_layout = gnu || ustar;
            if !known_layout {
                strict.extend_from_slice(&header);
                strict.append(&mut pax_times);
            }
            strict.extend_from_slice(&header[257..265]); // magic + version
            strict.extend_from_slice(&header[329..345]); // devmajor, devminor
            strict.extend_from_slice(&pax_strict);
            strict.extend_from_slice(&unused_bytes(&header, gnu));
            // Each normalizable field goes with its normalization only when
            // it has exactly its shape; otherwise it is compared.
            let mut mtime = Vec::new();
            let mut owner = Vec::new();
            let mut field = |range: std::ops::Range<usize>, ok: fn(&[u8]) -> bool, to_owner| {
                let bytes = &header[range.clone()];
                let target = match (known_layout && ok(bytes), to_owner) {
                    (false, _) => {
                        // Tagged with its offset: which field failed its
                        // shape is part of what is compared.
                        strict.extend_from_slice(&(range.start as u16).to_le_bytes());
                        &mut strict
                    }
                    (true, false) => &mut mtime,
                    (true, true) => &mut owner,
                };
                target.extend_from_slice(bytes);
            };
            field(136..148, is_numeric, false); // mtime
            if gnu {
                field(345..357, is_numeric, false); // GNU atime
                field(357..369, is_numeric, false); // GNU ctime
            }
            field(108..116, is_numeric, true); // uid
            field(116..124, is_numeric, true); // gid
            field(265..297, is_name, true); // uname
            field(297..329, is_name, true); // gname
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
                    (Field::TarMtime, mtime),
                    (Field::TarOwner, owner),
                    (Field::TarPaxTimes, pax_times),
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
        let n = rest
            .read(&mut buf)
            .map_err(|e| CanonicalError::read(at, e))?;
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

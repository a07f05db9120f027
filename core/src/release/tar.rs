//! tar (POSIX.1-2001 pax, POSIX.1-1988 ustar, GNU), read as a stream: each
//! member's content is hashed as it passes and never held whole.
//!
//! The headers are parsed here rather than by a general-purpose tar library
//! because the reading must be the *one* reading every real extractor (GNU
//! tar, bsdtar/libarchive, Python's tarfile) agrees on. Where they disagree
//! about the same bytes — a GNU long name and a pax `path` naming different
//! files, a pax global header renaming later members, a header type one
//! tool extracts and another skips — the archive is refused with
//! [`ReleaseError::Ambiguous`] instead of being read one way.

use std::io::{self, Read};

use super::limits::{Place, RATIO_GRACE_BYTES};
use super::walk::{Content, MAX_NAME_BYTES, Names, Walk, next_header_label};
use super::{
    ContainerFacts, Entry, EntryKind, EntryPath, Field, Format, Owner, RawHeader, ReleaseError,
};

/// Size of a tar block; headers and content are padded to it.
const BLOCK: u64 = 512;

/// Largest pax extended header read (its records are metadata; a larger one
/// is not a real archive's).
const MAX_PAX_BYTES: u64 = 1 << 20;

/// The input, counting its offset.
struct Stream<'r, 'b> {
    inner: &'r mut (dyn Read + 'b),
    pos: u64,
}

impl Read for Stream<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Stream<'_, '_> {
    /// Fills `buf`; returns how many bytes were there (fewer only at EOF).
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::fsio::read_up_to(self, buf)
    }

    /// Reads and drops bytes up to offset `to`; false when the input ends
    /// first.
    fn skip_to(&mut self, to: u64) -> io::Result<bool> {
        let mut buf = [0u8; 8192];
        while self.pos < to {
            let want = usize::try_from(to - self.pos)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            if self.fill(&mut buf[..want])? < want {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The name field up to its first NUL (what every reader takes).
fn nts(field: &[u8]) -> &[u8] {
    match field.iter().position(|b| *b == 0) {
        Some(i) => &field[..i],
        None => field,
    }
}

/// A numeric header field: octal digits with optional leading spaces and
/// trailing spaces/NULs (POSIX.1-1988 10.1.1), or GNU base-256 when the
/// high bit of the first byte is set. Anything else is refused: readers
/// repair malformed numbers in different ways.
fn number(field: &[u8]) -> Result<u64, String> {
    if field[0] & 0x80 != 0 {
        if field[0] == 0xff {
            return Err("negative base-256 number".into());
        }
        // GNU tar and bsdtar take any first byte with the high bit set as
        // base-256 (its low bits part of the number); Python's tarfile only
        // 0x80 and 0xff, and reads a header with any other for the end of
        // the archive. Positive numbers written by GNU tar start with 0x80.
        if field[0] != 0x80 {
            return Err(format!(
                "base-256 number starting with byte 0x{:02x}, not 0x80: Python's tarfile \
                 reads no number there",
                field[0]
            ));
        }
        let mut v: u64 = 0;
        for b in &field[1..] {
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(*b)))
                .ok_or("base-256 number does not fit 64 bits")?;
        }
        return Ok(v);
    }
    let text = field.iter().skip_while(|b| **b == b' ');
    let mut v: u64 = 0;
    let mut rest = false;
    for b in text {
        match b {
            b'0'..=b'7' if !rest => {
                v = v
                    .checked_mul(8)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .ok_or("octal number does not fit 64 bits")?;
            }
            b' ' | 0 => rest = true,
            _ => {
                return Err(format!(
                    "numeric field `{}` is not octal",
                    String::from_utf8_lossy(field).escape_debug()
                ));
            }
        }
    }
    Ok(v)
}

/// The header checksum (POSIX.1-1988 10.1.1): the sum of the header bytes
/// with the checksum field read as spaces. GNU tar, bsdtar and Python also
/// accept the historic signed-char sum, so it is accepted too.
fn checksum_ok(block: &[u8; 512]) -> Result<bool, String> {
    let want = number(&block[148..156])?;
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { *b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    Ok(want == unsigned || i64::try_from(want).is_ok_and(|w| w == signed))
}

/// One pax record set (POSIX.1-2001 pax "Extended Header" records:
/// `"%d %s=%s\n"`, the length counting the whole record).
type Pax = Vec<(Vec<u8>, Vec<u8>)>;

fn parse_pax(data: &[u8]) -> Result<Pax, String> {
    let mut out: Pax = Vec::new();
    // Keys seen, in a hash set: a 1 MiB header holds ~100,000 records, and
    // comparing each with every earlier one took minutes per member
    // (adversarial review of issue 18).
    let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    let mut pos = 0;
    while pos < data.len() {
        let rest = &data[pos..];
        let space = rest
            .iter()
            .take(21)
            .position(|b| *b == b' ')
            .ok_or_else(|| format!("pax record at byte {pos} has no length"))?;
        let len_text = &rest[..space];
        if len_text.is_empty() || !len_text.iter().all(u8::is_ascii_digit) {
            return Err(format!("pax record at byte {pos} has a malformed length"));
        }
        let len: usize = std::str::from_utf8(len_text)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("pax record at byte {pos} has a malformed length"))?;
        if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(format!(
                "pax record at byte {pos} does not end where its length says"
            ));
        }
        let body = &rest[space + 1..len - 1];
        let eq = body
            .iter()
            .position(|b| *b == b'=')
            .filter(|i| *i > 0)
            .ok_or_else(|| format!("pax record at byte {pos} has no `key=`"))?;
        let (key, value) = (&body[..eq], &body[eq + 1..]);
        if !seen.insert(key) {
            return Err(format!(
                "pax keyword `{}` occurs twice in one header (readers keep different ones)",
                String::from_utf8_lossy(key)
            ));
        }
        out.push((key.to_vec(), value.to_vec()));
        pos += len;
    }
    Ok(out)
}

/// Whether every real extractor treats pax keyword `key` the same way
/// (standard keywords, and vendor keywords that only carry metadata no
/// reading depends on). Everything else is refused: a keyword one tool
/// acts on and another ignores is two readings.
fn pax_key_known(key: &[u8]) -> bool {
    const EXACT: &[&[u8]] = &[
        b"path",
        b"linkpath",
        b"size",
        b"uid",
        b"gid",
        b"uname",
        b"gname",
        b"mtime",
        b"atime",
        b"ctime",
        b"comment",
        b"charset",
        b"SCHILY.dev",
        b"SCHILY.ino",
        b"SCHILY.nlink",
        b"SCHILY.fflags",
        b"LIBARCHIVE.creationtime",
    ];
    const PREFIX: &[&[u8]] = &[b"SCHILY.xattr.", b"LIBARCHIVE.xattr.", b"SCHILY.acl."];
    EXACT.contains(&key) || PREFIX.iter().any(|p| key.starts_with(p))
}

fn pax_get<'p>(pax: Option<&'p Pax>, key: &[u8]) -> Option<&'p [u8]> {
    pax?.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_slice())
}

fn decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Extension headers seen since the last member; they describe the next
/// member.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<Pax>,
    /// Offset of the first of them, for messages.
    first: Option<u64>,
}

/// A header type that the extractors read differently (established by
/// experiment with GNU tar 1.35, bsdtar 3.7 and Python 3.12 `tarfile`:
/// see README "One reading"), with how.
fn disputed_type(t: u8) -> Option<&'static str> {
    Some(match t {
        b'A' => {
            "type `A` (Solaris ACL): bsdtar applies it as an ACL to the next member, GNU tar and \
             Python extract it as a regular file"
        }
        b'D' => {
            "type `D` (GNU dump directory): GNU tar and bsdtar create a directory, Python a \
             regular file"
        }
        b'M' => {
            "type `M` (GNU multi-volume continuation): GNU tar refuses it, bsdtar and Python \
             extract a regular file"
        }
        b'V' => {
            "type `V` (GNU volume label): GNU tar skips it, bsdtar fails, Python extracts a \
             regular file"
        }
        b'X' => {
            "type `X` (old Solaris extended header): all three consume it as metadata, each \
             with its own rules"
        }
        b'E' | b'I' => {
            "a Solaris/star vendor type: readers that know it do not extract it as a file, the \
             others do"
        }
        t if !t.is_ascii_alphanumeric() && t != 0 => {
            "a header type that is not a letter or digit: bsdtar fails, GNU tar and Python \
             extract a regular file"
        }
        _ => return None,
    })
}

/// Reads the tar stream `reader`, members addressed under `container`;
/// returns what reproducibility compares of the archive itself (the zero
/// padding after its end-of-archive block).
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    format: Format,
    reader: &mut dyn Read,
) -> Result<ContainerFacts, ReleaseError> {
    let label = walk.label(container);
    let mut stream = Stream {
        inner: reader,
        pos: 0,
    };
    let mut names = Names::new(container);
    let corrupt = |entry: &str, offset: u64, reason: String| ReleaseError::Corrupt {
        archive: label.clone(),
        entry: entry.to_string(),
        offset,
        reason,
    };
    let io_err = |entry: &str, offset: u64, e: io::Error| match super::error::unwrap_io(e) {
        Ok(r) => r,
        Err(e) => corrupt(entry, offset, e.to_string()),
    };
    let ambiguous = |entry: &str, reason: String| ReleaseError::Ambiguous {
        archive: label.clone(),
        entry: entry.to_string(),
        reason,
    };
    let mut last_name: Option<String> = None;
    let mut pending = Pending::default();
    let mut block = [0u8; 512];
    let mut order = 0u64;
    let mut padding = 0u64;
    loop {
        let header_at = stream.pos;
        let here = next_header_label(last_name.as_deref());
        let got = stream
            .fill(&mut block)
            .map_err(|e| io_err(&here, header_at, e))?;
        if got == 0 {
            // No end-of-archive marker: every reader accepts that.
            break;
        }
        if got < block.len() {
            return Err(corrupt(
                &here,
                header_at,
                format!("the input ends inside a header ({got} of 512 bytes)"),
            ));
        }
        if block.iter().all(|b| *b == 0) {
            padding = end_of_archive(&mut stream, &here, header_at, &io_err, &ambiguous)?;
            break;
        }
        match checksum_ok(&block) {
            Ok(true) => {}
            Ok(false) => {
                return Err(corrupt(&here, header_at, "header checksum mismatch".into()));
            }
            Err(e) => return Err(corrupt(&here, header_at, format!("checksum: {e}"))),
        }
        let typeflag = block[156];
        let num = |range: std::ops::Range<usize>, what: &str| {
            number(&block[range]).map_err(|e| corrupt(&here, header_at, format!("{what}: {e}")))
        };
        let header_size = num(124..136, "size")?;
        // Python's tarfile parses every numeric field of every header
        // (pax and GNU long-name headers included) and takes a malformed
        // one, after the first header, for the end of the archive; GNU tar
        // and bsdtar ignore the fields they do not use. So they must be
        // numbers everywhere (found by cli/tests/differential.rs).
        for (range, what) in [
            (100..108, "mode"),
            (108..116, "uid"),
            (116..124, "gid"),
            (136..148, "mtime"),
            (329..337, "devmajor"),
            (337..345, "devminor"),
        ] {
            num(range, what)?;
        }
        let data_at = header_at + BLOCK;
        let padded = |size: u64| {
            size.checked_next_multiple_of(BLOCK)
                .and_then(|s| data_at.checked_add(s))
                .ok_or_else(|| corrupt(&here, header_at, "size overflows".into()))
        };
        // Magic (POSIX.1-1988 10.1.1 `ustar\0` `00`; GNU `ustar  \0`; a
        // pre-POSIX v7 header has none).
        let magic = &block[257..265];
        let flavour = if magic == b"ustar\x0000" {
            Flavour::Ustar
        } else if magic == b"ustar  \x00" {
            Flavour::Gnu
        } else if magic.iter().all(|b| *b == 0) {
            Flavour::V7
        } else {
            return Err(ambiguous(
                &here,
                format!(
                    "header at byte {header_at} has the unknown magic `{}`",
                    String::from_utf8_lossy(magic).escape_debug()
                ),
            ));
        };
        match typeflag {
            b'x' | b'L' | b'K' => {
                if pending.first.is_none() {
                    pending.first = Some(header_at);
                }
                let limit = if typeflag == b'x' {
                    MAX_PAX_BYTES
                } else {
                    MAX_NAME_BYTES as u64 + 1
                };
                if header_size > limit {
                    return Err(ambiguous(
                        &here,
                        format!(
                            "extension header (type `{}`) at byte {header_at} is {header_size} \
                             bytes, more than the {limit} glassbox reads",
                            typeflag as char
                        ),
                    ));
                }
                let mut data = vec![0u8; header_size as usize];
                if stream
                    .fill(&mut data)
                    .map_err(|e| io_err(&here, data_at, e))?
                    < data.len()
                {
                    return Err(corrupt(
                        &here,
                        data_at,
                        "the input ends inside an extension header".into(),
                    ));
                }
                let next = padded(header_size)?;
                if !stream
                    .skip_to(next)
                    .map_err(|e| io_err(&here, data_at, e))?
                {
                    return Err(corrupt(
                        &here,
                        data_at,
                        "the input ends inside padding".into(),
                    ));
                }
                let twice = |what: &str| {
                    ambiguous(
                        &here,
                        format!(
                            "two {what} headers before one member (at byte {header_at}): readers \
                             keep the first, the last, or fail"
                        ),
                    )
                };
                match typeflag {
                    b'x' => {
                        if pending.pax.is_some() {
                            return Err(twice("pax"));
                        }
                        let pax = parse_pax(&data).map_err(|e| ambiguous(&here, e))?;
                        check_pax_keys(&pax).map_err(|e| ambiguous(&here, e))?;
                        pending.pax = Some(pax);
                    }
                    _ => {
                        let name = long_name(&data).map_err(|e| ambiguous(&here, e))?;
                        let slot = if typeflag == b'L' {
                            &mut pending.long_name
                        } else {
                            &mut pending.long_link
                        };
                        if slot.is_some() {
                            return Err(twice("GNU long-name"));
                        }
                        *slot = Some(name);
                    }
                }
                continue;
            }
            b'g' => {
                if pending.first.is_some() {
                    return Err(ambiguous(
                        &here,
                        format!(
                            "a pax global header (at byte {header_at}) between a member's \
                             extension headers and the member"
                        ),
                    ));
                }
                if header_size > MAX_PAX_BYTES {
                    return Err(ambiguous(
                        &here,
                        format!("pax global header at byte {header_at} is {header_size} bytes"),
                    ));
                }
                let mut data = vec![0u8; header_size as usize];
                if stream
                    .fill(&mut data)
                    .map_err(|e| io_err(&here, data_at, e))?
                    < data.len()
                {
                    return Err(corrupt(
                        &here,
                        data_at,
                        "the input ends inside a pax header".into(),
                    ));
                }
                let pax = parse_pax(&data).map_err(|e| ambiguous(&here, e))?;
                // `git archive` writes one with the commit id as `comment`;
                // any other keyword applies to every later member for GNU
                // tar and Python but is ignored by readers without pax
                // global support (tar-rs among them).
                if let Some((k, _)) = pax.iter().find(|(k, _)| k != b"comment") {
                    let k = String::from_utf8_lossy(k);
                    let why = if k == "path" || k == "linkpath" {
                        "it renames every later member for GNU tar and Python, not for readers \
                         that ignore global headers"
                    } else {
                        "GNU tar and Python apply it to every later member, readers that ignore \
                         global headers do not"
                    };
                    return Err(ambiguous(
                        &here,
                        format!("a pax global header (at byte {header_at}) sets `{k}`: {why}"),
                    ));
                }
                let next = padded(header_size)?;
                if !stream
                    .skip_to(next)
                    .map_err(|e| io_err(&here, data_at, e))?
                {
                    return Err(corrupt(
                        &here,
                        data_at,
                        "the input ends inside padding".into(),
                    ));
                }
                continue;
            }
            _ => {}
        }
        let ext = std::mem::take(&mut pending);
        let pax = ext.pax.as_ref();
        // The member's name: pax `path` over GNU `L` over the header. When
        // two are given they must agree: GNU tar and Python prefer the pax
        // path, tar-rs the long name (issue 18, the signed-PASS attack).
        let mut header_name = nts(&block[0..100]).to_vec();
        let prefix = nts(&block[345..500]);
        match flavour {
            Flavour::Ustar if !prefix.is_empty() => {
                let mut n = prefix.to_vec();
                n.push(b'/');
                n.extend_from_slice(&header_name);
                header_name = n;
            }
            Flavour::Gnu | Flavour::V7 if !prefix.is_empty() && typeflag != b'S' => {
                return Err(ambiguous(
                    &shown(&header_name),
                    "a GNU or v7 header with bytes in the ustar prefix field: Python's tarfile \
                     prepends them to the name, GNU tar and bsdtar do not"
                        .into(),
                ));
            }
            _ => {}
        }
        let raw = pick(
            "name",
            pax_get(pax, b"path"),
            ext.long_name.as_deref(),
            &header_name,
        )
        .map_err(|e| ambiguous(&shown(&header_name), e))?;
        let name_shown = shown(&raw);
        let header_link = nts(&block[157..257]).to_vec();
        let link = pick(
            "link target",
            pax_get(pax, b"linkpath"),
            ext.long_link.as_deref(),
            &header_link,
        )
        .map_err(|e| ambiguous(&name_shown, e))?;
        let size = match pax_get(pax, b"size") {
            Some(v) => {
                let s = decimal(v).ok_or_else(|| {
                    ambiguous(&name_shown, "pax `size` is not a decimal number".into())
                })?;
                if header_size != 0 && header_size != s {
                    return Err(ambiguous(
                        &name_shown,
                        format!(
                            "the header says {header_size} bytes and pax `size` says {s}: \
                             pax-aware readers take one, others the other"
                        ),
                    ));
                }
                s
            }
            None => header_size,
        };
        if let Some(why) = disputed_type(typeflag) {
            return Err(ambiguous(&name_shown, why.into()));
        }
        let kind = match typeflag {
            b'1' => EntryKind::Hardlink,
            b'2' => EntryKind::Symlink,
            b'3' | b'4' | b'6' => EntryKind::Other,
            b'5' => EntryKind::Dir,
            // '0', NUL (pre-POSIX), '7' (contiguous), 'S' (GNU sparse), and
            // any other letter or digit: GNU tar, bsdtar and Python all
            // extract those as regular files (by experiment, see
            // `disputed_type` for the ones they do not agree on).
            _ => EntryKind::File,
        };
        if kind == EntryKind::File && raw.ends_with(b"/") {
            return Err(ambiguous(
                &name_shown,
                "a regular-file header whose name ends in `/`: GNU tar and Python create a \
                 directory, other readers a file"
                    .into(),
            ));
        }
        if kind != EntryKind::File && size != 0 {
            return Err(ambiguous(
                &name_shown,
                format!(
                    "a {kind:?} header followed by {size} content bytes: GNU tar and bsdtar skip \
                     them, Python reads them as the next header"
                ),
            ));
        }
        let pax_num = |key: &[u8]| -> Result<Option<u64>, ReleaseError> {
            match pax_get(pax, key) {
                None => Ok(None),
                Some(v) => decimal(v).map(Some).ok_or_else(|| {
                    ambiguous(
                        &name_shown,
                        format!(
                            "pax `{}` is not a decimal number",
                            String::from_utf8_lossy(key)
                        ),
                    )
                }),
            }
        };
        let owner = Owner {
            uid: Some(match pax_num(b"uid")? {
                Some(v) => v,
                None => num(108..116, "uid")?,
            }),
            gid: Some(match pax_num(b"gid")? {
                Some(v) => v,
                None => num(116..124, "gid")?,
            }),
            user: text(pax_get(pax, b"uname").unwrap_or(nts(&block[265..297]))),
            group: text(pax_get(pax, b"gname").unwrap_or(nts(&block[297..329]))),
        };
        let mode = u32::try_from(num(100..108, "mode")?).ok();
        let mtime = match pax_get(pax, b"mtime") {
            // POSIX allows a fraction; whole seconds are what is listed.
            Some(v) => {
                let whole = v.split(|b| *b == b'.').next().unwrap_or_default();
                let (neg, digits) = match whole.strip_prefix(b"-") {
                    Some(d) => (true, d),
                    None => (false, whole),
                };
                decimal(digits)
                    .and_then(|d| i64::try_from(d).ok())
                    .map(|d| if neg { -d } else { d })
            }
            None => num(136..148, "mtime")?.try_into().ok(),
        };
        let path = walk.admit(
            &mut names,
            &raw,
            kind,
            matches!(kind, EntryKind::Symlink | EntryKind::Hardlink).then_some(&link[..]),
        )?;
        let name = path.inner().to_string();
        last_name = Some(name.clone());
        let entry = Entry {
            path,
            kind,
            size: if kind == EntryKind::File { size } else { 0 },
            mode,
            mtime,
            owner: Some(owner),
            link_target: matches!(kind, EntryKind::Symlink | EntryKind::Hardlink)
                .then(|| super::RawPath(link.clone())),
            digests: None,
            format,
            expanded_as: None,
            header: Some(Box::new(raw_header(&block, pax, order, mode, &raw))),
        };
        order += 1;
        if kind != EntryKind::File {
            walk.other(entry);
            continue;
        }
        let place = Place {
            archive: label.clone(),
            entry: name.clone(),
            offset: header_at,
        };
        let sparse = if typeflag == b'S' {
            if flavour != Flavour::Gnu || pax.is_some() {
                return Err(ambiguous(
                    &name_shown,
                    "a GNU sparse member without a GNU header, or with pax records".into(),
                ));
            }
            let sparse = read_sparse_map(&mut stream, &block, size).map_err(|e| match e {
                SparseError::Io(e) => io_err(&name, header_at, e),
                SparseError::Bad(why) => ambiguous(&name, format!("GNU sparse map: {why}")),
            })?;
            check_sparse_limits(
                walk,
                &place,
                &sparse,
                (stream.pos - header_at).saturating_add(size),
            )?;
            Some(sparse)
        } else {
            None
        };
        // One tail for sparse and regular members: hand the content to the
        // walk (the real bytes behind a sparse map, or the stored bytes),
        // then skip to the next header, refusing an input that ends early.
        let (content_at, next, declared) = match &sparse {
            Some(sparse) => {
                let content_at = stream.pos;
                let next = size
                    .checked_next_multiple_of(BLOCK)
                    .and_then(|s| content_at.checked_add(s))
                    .ok_or_else(|| corrupt(&name, header_at, "size overflows".into()))?;
                (content_at, next, sparse.real)
            }
            None => (data_at, padded(size)?, size),
        };
        let mut entry = entry;
        if sparse.is_some() {
            entry.size = declared;
        }
        {
            let mut sparse_reader;
            let mut plain;
            let reader: &mut dyn Read = match &sparse {
                Some(sparse) => {
                    sparse_reader = SparseReader {
                        stream: &mut stream,
                        map: &sparse.map,
                        real: sparse.real,
                        pos: 0,
                        idx: 0,
                    };
                    &mut sparse_reader
                }
                None => {
                    plain = (&mut stream).take(size);
                    &mut plain
                }
            };
            walk.file(
                entry,
                Content {
                    reader,
                    declared: Some(declared),
                    place,
                    short_is_truncation: true,
                    random: None,
                    forced: false,
                },
            )?;
        }
        if !stream
            .skip_to(next)
            .map_err(|e| io_err(&name, content_at, e))?
        {
            let why = match sparse {
                Some(_) => "the input ends inside a member".to_string(),
                None => format!("the input ends inside the member's {size} bytes"),
            };
            return Err(corrupt(&name, content_at, why));
        }
    }
    if let Some(at) = pending.first {
        return Err(corrupt(
            &next_header_label(last_name.as_deref()),
            at,
            "extension headers at the end with no member after them".into(),
        ));
    }
    walk.finish_container(names);
    Ok(ContainerFacts {
        codec: None,
        strict: Vec::new(),
        padding,
    })
}

/// Header flavour, from the magic.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Ustar,
    Gnu,
    V7,
}

/// Raw name bytes, escaped for messages.
fn shown(b: &[u8]) -> String {
    super::RawPath(b.to_vec()).to_string()
}

/// A user or group name; empty means not recorded.
fn text(b: &[u8]) -> Option<String> {
    (!b.is_empty()).then(|| String::from_utf8_lossy(b).into_owned())
}

/// The one name the member has, or why the sources disagree.
fn pick(
    what: &str,
    pax: Option<&[u8]>,
    gnu: Option<&[u8]>,
    header: &[u8],
) -> Result<Vec<u8>, String> {
    if let Some(p) = pax {
        if p.is_empty() || p.contains(&0) {
            return Err(format!(
                "pax {what} is empty or holds a NUL byte: readers cut or ignore it differently"
            ));
        }
        if let Some(g) = gnu
            && g != p
        {
            return Err(format!(
                "the GNU long {what} says `{}` but the pax {what} says `{}`: GNU tar and Python \
                 use the pax one, tar-rs (and so older glassbox) the GNU one",
                shown(g),
                shown(p),
            ));
        }
        return Ok(p.to_vec());
    }
    Ok(gnu.unwrap_or(header).to_vec())
}

/// A GNU long name (`L`/`K`): the data up to its NUL. Bytes after the NUL
/// other than NUL padding are refused: GNU tar and Python stop at the first
/// NUL, tar-rs strips only a final one.
fn long_name(data: &[u8]) -> Result<Vec<u8>, String> {
    let name = nts(data);
    if data[name.len()..].iter().any(|b| *b != 0) {
        return Err("a GNU long name with bytes after its NUL: readers cut it differently".into());
    }
    if name.is_empty() {
        return Err("an empty GNU long name".into());
    }
    Ok(name.to_vec())
}

/// Refuses pax keywords whose treatment differs between extractors.
fn check_pax_keys(pax: &Pax) -> Result<(), String> {
    for (k, v) in pax {
        if k.starts_with(b"GNU.sparse.") {
            return Err(
                "pax GNU sparse records (GNU.sparse.*): readers without pax-sparse support \
                 install the raw sparse map and data as the file"
                    .into(),
            );
        }
        if k == b"hdrcharset" && v != b"ISO-IEC 10646 2000 UTF-8" {
            return Err(format!(
                "pax `hdrcharset={}`: Python decodes names differently from GNU tar and bsdtar",
                String::from_utf8_lossy(v)
            ));
        }
        if k != b"hdrcharset" && !pax_key_known(k) {
            return Err(format!(
                "pax keyword `{}` is not one every extractor is known to treat alike",
                String::from_utf8_lossy(k)
            ));
        }
    }
    Ok(())
}

/// Checks what follows the end-of-archive block: only zeros (GNU tar pads
/// to its record size). Another header there would be read by `tar
/// --ignore-zeros` and hidden from everyone else. Returns how many zero
/// bytes follow the block (the padding `tar-padding` may ignore).
fn end_of_archive(
    stream: &mut Stream<'_, '_>,
    here: &str,
    at: u64,
    io_err: &dyn Fn(&str, u64, io::Error) -> ReleaseError,
    ambiguous: &dyn Fn(&str, String) -> ReleaseError,
) -> Result<u64, ReleaseError> {
    let mut buf = [0u8; 8192];
    let after = stream.pos;
    loop {
        let start = stream.pos;
        let n = stream.fill(&mut buf).map_err(|e| io_err(here, at, e))?;
        if let Some(i) = buf[..n].iter().position(|b| *b != 0) {
            return Err(ambiguous(
                "(after the end-of-archive marker)",
                format!(
                    "trailing data: non-zero bytes at byte {} after the end-of-archive block at \
                     byte {at}: `tar --ignore-zeros` reads on and may find members the others \
                     never see",
                    start + i as u64
                ),
            ));
        }
        if n < buf.len() {
            return Ok(stream.pos - after);
        }
    }
}

const PAX_TIMES: [&[u8]; 3] = [b"mtime", b"atime", b"ctime"];

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

/// A ustar numeric field with exactly its shape (POSIX.1 §10.1.1 "ustar
/// Interchange Format"): optional leading spaces, octal digits, then only
/// NUL or space padding; or all NUL (GNU, unused atime/ctime); or GNU
/// base-256 (first byte 0x80 or 0xff), where every byte is the number.
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

/// A ustar uname/gname: printable ASCII up to the first NUL, then only
/// NULs (bytes after the terminator are invisible to tar and could carry
/// anything).
fn is_name(f: &[u8]) -> bool {
    let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
    f[..end].iter().all(|b| (0x21..=0x7e).contains(b)) && f[end..].iter().all(|&b| b == 0)
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

/// What reproducibility compares of a member's header. The fields that
/// describe content (type, mode, link, device numbers, format magic; the
/// size is covered by comparing the content itself) and every pax record
/// except the time records must match exactly; mtime (and GNU
/// atime/ctime), uid/gid/uname/gname and the pax mtime/atime/ctime records
/// are normalizable, each only when it has exactly its shape.
/// `name` is the member's name as recorded (the listing's path is
/// normalised as extractors normalise it), compared too.
fn raw_header(
    header: &[u8; 512],
    pax: Option<&Pax>,
    order: u64,
    mode: Option<u32>,
    name: &[u8],
) -> RawHeader {
    let mut pax_strict = Vec::new();
    let mut pax_times = Vec::new();
    if let Some(pax) = pax {
        let mut records: Vec<&(Vec<u8>, Vec<u8>)> = pax.iter().collect();
        records.sort();
        for (key, value) in records {
            // Only a decimal time is normalizable (each key occurs once:
            // `parse_pax` refuses repeats); anything else in a time record
            // is data and compared.
            let is_time = PAX_TIMES.contains(&key.as_slice()) && is_pax_time(value);
            let target = if is_time {
                &mut pax_times
            } else {
                &mut pax_strict
            };
            target.extend_from_slice(key);
            target.push(b'=');
            target.extend_from_slice(value);
            target.push(b'\n');
        }
    }
    let typeflag = header[156];
    let gnu = header[257..265] == *b"ustar  \0";
    let ustar = header[257..265] == *b"ustar\x0000";
    let mut strict = Vec::with_capacity(64);
    strict.push(typeflag);
    // A pre-POSIX v7 header (sniffed by checksum and a .tar name): readers
    // disagree on which of its bytes are fields (Python's tarfile joins
    // bytes 345..500 to the name as a ustar prefix and reads uname/gname,
    // GNU tar ignores them). No byte of it is known to be only a time or an
    // owner, so the whole header is compared and no normalization may speak
    // for it.
    let known_layout = gnu || ustar;
    if !known_layout {
        strict.extend_from_slice(header);
        strict.append(&mut pax_times);
    }
    strict.extend_from_slice(&header[257..265]); // magic + version
    strict.extend_from_slice(&header[329..345]); // devmajor, devminor
    strict.extend_from_slice(&pax_strict);
    strict.extend_from_slice(&unused_bytes(header, gnu));
    strict.extend_from_slice(b"\0name=");
    strict.extend_from_slice(name);
    let mut mtime = Vec::new();
    let mut owner = Vec::new();
    let mut field = |range: std::ops::Range<usize>, ok: fn(&[u8]) -> bool, to_owner| {
        let bytes = &header[range.clone()];
        let target = match (known_layout && ok(bytes), to_owner) {
            (false, _) => {
                // Tagged with its offset: which field failed its shape is
                // part of what is compared.
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
    RawHeader {
        strict,
        fields: vec![
            (Field::TarMtime, mtime),
            (Field::TarOwner, owner),
            (Field::TarPaxTimes, pax_times),
        ],
        order,
        mode,
        container: None,
    }
}

/// A GNU sparse member's map: data segments (offset in the file, length),
/// stored one after the other in the archive.
struct Sparse {
    map: Vec<(u64, u64)>,
    real: u64,
}

enum SparseError {
    Io(io::Error),
    Bad(String),
}

/// Reads the old GNU sparse map (GNU tar manual, "Old GNU Format": four
/// entries in the header at 386, `isextended` at 482, the real size at 483,
/// then extension blocks of 21 entries with `isextended` at 504). Entries
/// must be in order and not overlap, and their lengths must add up to the
/// stored size: readers resolve any other map differently.
///
/// Where the map ends is read three ways, so only the form GNU tar writes
/// is accepted: entries, then at most one zero-length entry (GNU's marker
/// for a file ending in a hole), then all-zero entries. GNU tar stops at
/// the first entry whose length field *starts* with a NUL and then ignores
/// `isextended` (it reads the extension blocks as file data); bsdtar stops
/// at an offset field starting with a NUL; Python reads on past both. By
/// experiment (GNU tar 1.34, bsdtar 3.6, Python 3.11), a map with an entry
/// `offset, "\0..."` in the middle made GNU tar install zeros where the
/// others (and glassbox) read the signed bytes.
fn read_sparse_map(
    stream: &mut Stream<'_, '_>,
    header: &[u8; 512],
    stored: u64,
) -> Result<Sparse, SparseError> {
    let bad = |s: &str| SparseError::Bad(s.to_string());
    let real = number(&header[483..495]).map_err(SparseError::Bad)?;
    let mut map: Vec<(u64, u64)> = Vec::new();
    let mut ended = false;
    let add =
        |entry: &[u8], map: &mut Vec<(u64, u64)>, ended: &mut bool| -> Result<(), SparseError> {
            if entry.iter().all(|b| *b == 0) {
                *ended = true;
                return Ok(());
            }
            if *ended {
                return Err(bad("an entry after an empty one"));
            }
            if entry[0] == 0 || entry[12] == 0 {
                return Err(bad(
                    "an entry whose offset or length field starts with a NUL: GNU tar (length) or \
                 bsdtar (offset) ends the map there, Python reads on",
                ));
            }
            if map.last().is_some_and(|(_, l)| *l == 0) {
                return Err(bad(
                    "an entry after a zero-length one: readers end the map at either",
                ));
            }
            let off = number(&entry[..12]).map_err(SparseError::Bad)?;
            let len = number(&entry[12..24]).map_err(SparseError::Bad)?;
            if let Some((o, l)) = map.last()
                && o + l > off
            {
                return Err(bad("segments out of order or overlapping"));
            }
            if off.checked_add(len).is_none_or(|end| end > real) {
                return Err(bad("a segment beyond the file's real size"));
            }
            map.push((off, len));
            Ok(())
        };
    for i in 0..4 {
        add(
            &header[386 + i * 24..386 + (i + 1) * 24],
            &mut map,
            &mut ended,
        )?;
    }
    let mut extended = header[482] != 0;
    let mut blocks = 0u32;
    // GNU tar reads no extension block once an all-zero entry ended the
    // map; the others do.
    let after_end = || {
        bad(
            "`isextended` set after an all-zero entry ended the map: GNU tar reads the \
             extension blocks as file data, bsdtar and Python as more map",
        )
    };
    while extended {
        if ended {
            return Err(after_end());
        }
        blocks += 1;
        if blocks > 1024 {
            return Err(bad("more than 1024 extension blocks"));
        }
        let mut ext = [0u8; 512];
        if stream.fill(&mut ext).map_err(SparseError::Io)? < 512 {
            return Err(bad("the input ends inside the sparse map"));
        }
        for i in 0..21 {
            add(&ext[i * 24..(i + 1) * 24], &mut map, &mut ended)?;
        }
        extended = ext[504] != 0;
    }
    let total: u64 = map.iter().map(|(_, l)| l).sum();
    if total != stored {
        return Err(SparseError::Bad(format!(
            "segments hold {total} bytes but the header stores {stored}"
        )));
    }
    Ok(Sparse { map, real })
}

/// The logical size of a sparse member (holes included) is what hashing it
/// costs, so it counts against `--max-expanded-bytes` and `--max-ratio`
/// before anything is read: 8 GiB of holes can sit in 74 stored bytes.
fn check_sparse_limits(
    walk: &Walk<'_, '_>,
    place: &Place,
    sparse: &Sparse,
    stored: u64,
) -> Result<(), ReleaseError> {
    let limits = walk.opts.limits;
    if sparse.real > RATIO_GRACE_BYTES && sparse.real / stored.max(1) > limits.max_ratio {
        return Err(ReleaseError::RatioLimit {
            archive: place.archive.clone(),
            entry: place.entry.clone(),
            offset: place.offset,
            limit: limits.max_ratio,
        });
    }
    if !walk.budget.would_fit(sparse.real) {
        return Err(ReleaseError::ExpandedBytesLimit {
            archive: place.archive.clone(),
            entry: place.entry.clone(),
            offset: place.offset,
            limit: limits.max_expanded_bytes,
        });
    }
    Ok(())
}

/// A sparse member's content: zeros for the holes, stored data for the
/// segments.
struct SparseReader<'s, 'r, 'b> {
    stream: &'s mut Stream<'r, 'b>,
    map: &'s [(u64, u64)],
    real: u64,
    pos: u64,
    idx: usize,
}

impl Read for SparseReader<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos >= self.real || buf.is_empty() {
                return Ok(0);
            }
            let (off, len) = self.map.get(self.idx).copied().unwrap_or((self.real, 0));
            let cap = |n: u64| usize::try_from(n).unwrap_or(usize::MAX).min(buf.len());
            if self.pos < off {
                let n = cap(off - self.pos);
                buf[..n].fill(0);
                self.pos += n as u64;
                return Ok(n);
            }
            if self.pos < off + len {
                let n = cap(off + len - self.pos);
                let got = self.stream.read(&mut buf[..n])?;
                self.pos += got as u64;
                return Ok(got);
            }
            self.idx += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_octal_or_base256_and_nothing_else() {
        assert_eq!(number(b"0000644\0"), Ok(0o644));
        assert_eq!(number(b"  644 \0\0"), Ok(0o644));
        assert_eq!(number(b"\0\0\0\0"), Ok(0));
        assert!(number(b"0000648\0").is_err());
        assert!(number(b"12\0 34\0\0").is_err());
        assert_eq!(number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Ok(256));
        assert!(number(&[0xff; 12]).is_err());
        assert!(number(&[0x95, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn pax_records_are_parsed_strictly() {
        let p = parse_pax(b"16 path=a/b/cde\n").unwrap();
        assert_eq!(p, vec![(b"path".to_vec(), b"a/b/cde".to_vec())]);
        assert!(parse_pax(b"17 path=a/b/cde\n").is_err());
        assert!(parse_pax(b"16 path=a/b/cde\nxx").is_err());
        assert!(parse_pax(b"12 path=abc\n12 path=abd\n").is_err());
    }
}

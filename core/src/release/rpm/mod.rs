//! RPM packages (rpm 4; RPM file format, rpm.org/devel_doc/file_format.html):
//! the payload's files become the package's entries, rooted at `/` like a
//! `.deb`'s data.tar (an absolute symlink names a path of the installed
//! system).
//!
//! rpm installs from two sources at once: the main header's file list
//! (names, sizes, modes, digests, link targets, owners) and the cpio
//! payload (content, matched to the header by name). `rpm2cpio | cpio -i`
//! reads only the payload. Any disagreement between the two — a payload
//! member the header does not list, a listed file missing from the payload,
//! another mode, size, link target or content digest — is refused as
//! [`ReleaseError::Ambiguous`]: an auditor must see one reading.
//!
//! Layout parsing lives in [`header`]; the signature checks over it in
//! `crate::sig::rpm`.

pub(crate) mod header;

use std::collections::HashMap;
use std::io::{self, Read};

use sha2::Digest as _;

use super::limits::{Counting, Place, RatioReader, peek};
use super::registry::{self, Reader, Row};
use super::walk::{Content, MAX_NAME_BYTES, Names, Walk};
use super::{Entry, EntryKind, EntryPath, Format, Owner, RawPath, ReleaseError};
use header::{Header, tag};

/// The registry row: the lead's magic, then major version 3 or 4.
pub(crate) const ROW: Row = Row {
    format: Format::Rpm,
    extensions: &[".rpm"],
    sniff: |h, _| h.len() >= 6 && h[..4] == header::LEAD_MAGIC && matches!(h[4], 3 | 4),
    reader: Reader::Rpm,
};

/// FILEFLAGS bit of a `%ghost` file: listed in the header, never in the
/// payload (rpmfiles.h RPMFILE_GHOST).
const FILE_GHOST: u64 = 1 << 6;

/// Digest algorithms of FILEDIGESTALGO and PAYLOADDIGESTALGO (RFC 4880
/// §9.4 numbering, rpmpgp.h).
pub(crate) mod algo {
    pub const MD5: u64 = 1;
    pub const SHA1: u64 = 2;
    pub const SHA256: u64 = 8;
    pub const SHA384: u64 = 9;
    pub const SHA512: u64 = 10;
    pub const SHA224: u64 = 11;

    /// A name for messages.
    pub fn name(a: u64) -> String {
        match a {
            MD5 => "MD5".into(),
            SHA1 => "SHA-1".into(),
            SHA256 => "SHA-256".into(),
            SHA384 => "SHA-384".into(),
            SHA512 => "SHA-512".into(),
            SHA224 => "SHA-224".into(),
            other => format!("algorithm {other}"),
        }
    }
}

/// A SHA-2 hasher for one of rpm's digest algorithms (the only ones
/// glassbox counts; MD5 and SHA-1 are not collision resistant).
pub(crate) enum Hasher {
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// The hasher for `algo`, or `None` when it is not a SHA-2 digest.
    pub fn new(algo: u64) -> Option<Self> {
        Some(match algo {
            algo::SHA224 => Self::Sha224(Default::default()),
            algo::SHA256 => Self::Sha256(Default::default()),
            algo::SHA384 => Self::Sha384(Default::default()),
            algo::SHA512 => Self::Sha512(Default::default()),
            _ => return None,
        })
    }

    pub fn update(&mut self, b: &[u8]) {
        match self {
            Self::Sha224(h) => h.update(b),
            Self::Sha256(h) => h.update(b),
            Self::Sha384(h) => h.update(b),
            Self::Sha512(h) => h.update(b),
        }
    }

    /// Lower-case hex, as rpm stores digests.
    pub fn finish_hex(self) -> String {
        match self {
            Self::Sha224(h) => hex::encode(h.finalize()),
            Self::Sha256(h) => hex::encode(h.finalize()),
            Self::Sha384(h) => hex::encode(h.finalize()),
            Self::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

/// One file of the header's file list.
#[derive(Clone, Debug)]
pub(crate) struct HeaderFile {
    /// The installed path without its leading `/`.
    pub path: Vec<u8>,
    pub size: u64,
    pub mode: u32,
    /// Hex digest (empty for non-regular files).
    pub digest: Vec<u8>,
    pub link: Vec<u8>,
    pub flags: u64,
    pub user: Option<String>,
    pub group: Option<String>,
    pub inode: Option<u64>,
    pub device: Option<u64>,
}

impl HeaderFile {
    /// `%ghost`: owned by the package, created by nobody.
    pub fn is_ghost(&self) -> bool {
        self.flags & FILE_GHOST != 0
    }
}

/// The header's file list and its digest algorithm.
#[derive(Clone, Debug, Default)]
pub(crate) struct FileList {
    pub files: Vec<HeaderFile>,
    /// FILEDIGESTALGO; MD5 when absent (rpm's default).
    pub digest_algo: u64,
}

/// Reads the file list of the main header (rpmtag.h: BASENAMES, DIRNAMES
/// and DIRINDEXES name the files; FILESIZES or LONGFILESIZES, FILEMODES,
/// FILEDIGESTS, FILELINKTOS, FILEFLAGS describe them, one element each).
pub(crate) fn file_list(h: &Header) -> Result<FileList, String> {
    if h.has(tag::OLDFILENAMES) {
        return Err(
            "the header lists files as OLDFILENAMES (rpm before 4.0.4); \
                    glassbox reads only BASENAMES/DIRNAMES packages"
                .into(),
        );
    }
    let digest_algo = match h.ints(tag::FILEDIGESTALGO)? {
        Some(v) => *v.first().ok_or("FILEDIGESTALGO is empty")?,
        None => algo::MD5,
    };
    let Some(base) = h.strings(tag::BASENAMES)? else {
        return Ok(FileList {
            files: Vec::new(),
            digest_algo,
        });
    };
    let n = base.len();
    let need = |name: &str, len: Option<usize>| -> Result<(), String> {
        match len {
            Some(l) if l == n => Ok(()),
            Some(l) => Err(format!("{name} has {l} elements for {n} files")),
            None => Err(format!("{name} is missing for {n} files")),
        }
    };
    let dirs = h.strings(tag::DIRNAMES)?.ok_or("DIRNAMES is missing")?;
    let dir_index = h.ints(tag::DIRINDEXES)?;
    need("DIRINDEXES", dir_index.as_ref().map(Vec::len))?;
    let sizes = match (h.ints(tag::FILESIZES)?, h.ints(tag::LONGFILESIZES)?) {
        (Some(_), Some(_)) => {
            return Err("both FILESIZES and LONGFILESIZES: two sizes for each file".into());
        }
        (Some(s), None) | (None, Some(s)) => Some(s),
        (None, None) => None,
    };
    need("FILESIZES", sizes.as_ref().map(Vec::len))?;
    let modes = h.ints(tag::FILEMODES)?;
    need("FILEMODES", modes.as_ref().map(Vec::len))?;
    let digests = h.strings(tag::FILEDIGESTS)?;
    need("FILEDIGESTS", digests.as_ref().map(Vec::len))?;
    let links = h.strings(tag::FILELINKTOS)?;
    need("FILELINKTOS", links.as_ref().map(Vec::len))?;
    let flags = h.ints(tag::FILEFLAGS)?;
    need("FILEFLAGS", flags.as_ref().map(Vec::len))?;
    let optional_strings = |t: u32, name: &str| -> Result<Option<Vec<&[u8]>>, String> {
        let v = h.strings(t)?;
        if let Some(v) = &v {
            need(name, Some(v.len()))?;
        }
        Ok(v)
    };
    let optional_ints = |t: u32, name: &str| -> Result<Option<Vec<u64>>, String> {
        let v = h.ints(t)?;
        if let Some(v) = &v {
            need(name, Some(v.len()))?;
        }
        Ok(v)
    };
    let users = optional_strings(tag::FILEUSERNAME, "FILEUSERNAME")?;
    let groups = optional_strings(tag::FILEGROUPNAME, "FILEGROUPNAME")?;
    let inodes = optional_ints(tag::FILEINODES, "FILEINODES")?;
    let devices = optional_ints(tag::FILEDEVICES, "FILEDEVICES")?;
    let (dir_index, sizes, modes, digests, links, flags) = (
        dir_index.unwrap_or_default(),
        sizes.unwrap_or_default(),
        modes.unwrap_or_default(),
        digests.unwrap_or_default(),
        links.unwrap_or_default(),
        flags.unwrap_or_default(),
    );
    let text = |v: &Option<Vec<&[u8]>>, i: usize| {
        v.as_ref()
            .map(|v| String::from_utf8_lossy(v[i]).into_owned())
    };
    let mut files = Vec::with_capacity(n);
    for i in 0..n {
        let d = usize::try_from(dir_index[i])
            .ok()
            .and_then(|d| dirs.get(d))
            .ok_or_else(|| format!("file {i}: DIRINDEXES {} names no directory", dir_index[i]))?;
        if !d.starts_with(b"/") || !d.ends_with(b"/") {
            return Err(format!(
                "directory `{}` is not absolute with a trailing `/`",
                RawPath(d.to_vec())
            ));
        }
        if base[i].is_empty() || base[i].contains(&b'/') {
            return Err(format!(
                "file {i}: base name `{}` is empty or holds `/`",
                RawPath(base[i].to_vec())
            ));
        }
        let mut path = d[1..].to_vec();
        path.extend_from_slice(base[i]);
        files.push(HeaderFile {
            path,
            size: sizes[i],
            mode: (modes[i] & 0xffff) as u32,
            digest: digests[i].to_vec(),
            link: links[i].to_vec(),
            flags: flags[i],
            user: text(&users, i),
            group: text(&groups, i),
            inode: inodes.as_ref().map(|v| v[i]),
            device: devices.as_ref().map(|v| v[i]),
        });
    }
    Ok(FileList { files, digest_algo })
}

/// The payload compressor the header names (PAYLOADCOMPRESSOR; gzip when
/// absent, as rpm assumes), as the registry codec that reads it.
fn codec(h: &Header) -> Result<&'static Row, String> {
    match h.string(tag::PAYLOADFORMAT)? {
        None => {}
        Some(b"cpio") => {}
        Some(other) => {
            return Err(format!(
                "payload format `{}`: glassbox reads cpio payloads only",
                RawPath(other.to_vec())
            ));
        }
    }
    let name = h.string(tag::PAYLOADCOMPRESSOR)?.unwrap_or(b"gzip");
    let format = match name {
        b"gzip" => Format::Gz,
        b"xz" => Format::Xz,
        b"zstd" => Format::Zst,
        b"bzip2" => Format::Bz2,
        other => {
            return Err(format!(
                "payload compressor `{}`: glassbox reads gzip, xz, zstd and bzip2",
                RawPath(other.to_vec())
            ));
        }
    };
    Ok(registry::REGISTRY
        .iter()
        .find(|r| r.format == format)
        .expect("every codec is registered"))
}

/// Size of a cpio `newc` header (cpio(5), "New ASCII Format").
const CPIO_HEADER: usize = 110;

/// One cpio `newc` member header.
#[derive(Clone, Debug)]
struct CpioHeader {
    ino: u64,
    mode: u32,
    uid: u64,
    gid: u64,
    nlink: u64,
    mtime: i64,
    size: u64,
    name: Vec<u8>,
}

/// The decompressed payload, with its position for messages.
struct Payload<'a> {
    inner: &'a mut dyn Read,
    pos: u64,
}

impl Read for Payload<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Reads the package from `reader` (the lead's first byte on), its files
/// addressed under `container`.
pub(crate) fn read(
    walk: &mut Walk<'_, '_>,
    container: Option<&EntryPath>,
    reader: &mut dyn Read,
) -> Result<(), ReleaseError> {
    let label = walk.label(container);
    let corrupt = |entry: &str, offset: u64, reason: String| ReleaseError::Corrupt {
        archive: label.clone(),
        entry: entry.to_string(),
        offset,
        reason,
    };
    let ambiguous = |entry: &str, reason: String| ReleaseError::Ambiguous {
        archive: label.clone(),
        entry: entry.to_string(),
        reason,
    };
    let layout = header::read_layout(reader)
        .map_err(|e| walk_io(e.offset, &label, format!("{}: {}", e.what, e.reason)))?;
    let main_at = layout.main.offset;
    let list = file_list(&layout.main).map_err(|e| {
        corrupt(
            "(main header)",
            main_at,
            format!("{e}; rpm cannot install this package"),
        )
    })?;
    let row = codec(&layout.main).map_err(|e| corrupt("(main header)", main_at, e))?;
    let Reader::Codec { decode, .. } = &row.reader else {
        unreachable!("codec() returns codec rows")
    };
    // rpm picks the decompressor from PAYLOADCOMPRESSOR; a payload whose
    // magic says another codec is read one way by rpm (failing) and another
    // by tools that sniff.
    let head =
        peek(reader, 16).map_err(|e| corrupt("(payload)", layout.payload_offset, e.to_string()))?;
    if !(row.sniff)(&head, false) {
        return Err(ambiguous(
            "(payload)",
            format!(
                "the header names a {} payload but its bytes do not start like one: rpm \
                 decompresses by the header, rpm2cpio-style tools by the bytes",
                row.format
            ),
        ));
    }
    let chained = io::Cursor::new(head).chain(reader);
    let (counting, compressed) = Counting::new(chained);
    let decoded = decode(Box::new(counting), Default::default())
        .map_err(|e| corrupt("(payload)", layout.payload_offset, e.to_string()))?;
    let mut ratio = RatioReader {
        inner: decoded,
        compressed,
        out: 0,
        max_ratio: walk.opts.limits.max_ratio,
        place: Place {
            archive: label.clone(),
            entry: format!("({} payload)", row.format),
            offset: layout.payload_offset,
        },
    };
    let mut payload = Payload {
        inner: &mut ratio,
        pos: 0,
    };
    let mut by_path: HashMap<&[u8], usize> = HashMap::with_capacity(list.files.len());
    for (i, f) in list.files.iter().enumerate() {
        if by_path.insert(&f.path, i).is_some() {
            return Err(corrupt(
                "(main header)",
                main_at,
                format!("the header lists `/{}` twice", RawPath(f.path.clone())),
            ));
        }
    }
    let mut seen = vec![false; list.files.len()];
    let mut names = Names::new(container).rooted();
    scriptlets(walk, &mut names, &label, &layout.main)?;
    // Hard-link groups waiting for the member that carries their data
    // (cpio newc writes it last): inode → members so far. Bounded by the
    // header's file count, since every member matches one listed file.
    let mut pending: HashMap<u64, Vec<(usize, CpioHeader)>> = HashMap::new();
    loop {
        let at = payload.pos;
        let h = read_cpio_header(&mut payload).map_err(|e| match super::error::unwrap_io(e) {
            Ok(r) => r,
            Err(e) => corrupt("(cpio header)", at, e.to_string()),
        })?;
        let h = match h {
            CpioRead::Trailer => break,
            CpioRead::Member(h) => h,
            CpioRead::Bad(reason) => return Err(corrupt("(cpio header)", at, reason)),
            CpioRead::Refused(reason) => return Err(ambiguous("(cpio header)", reason)),
        };
        let shown = RawPath(h.name.clone()).to_string();
        // rpm ≥ 4 writes every member as `./` + the installed path.
        let Some(rel) = h.name.strip_prefix(b"./") else {
            return Err(ambiguous(
                &shown,
                "a payload member not named `./path`: rpm matches members to the header by \
                 that form, cpio extracts whatever the name says"
                    .into(),
            ));
        };
        let Some(&idx) = by_path.get(rel) else {
            return Err(ambiguous(
                &shown,
                "the payload holds a file the header does not list: rpm refuses to install it, \
                 rpm2cpio | cpio -i extracts it"
                    .into(),
            ));
        };
        if std::mem::replace(&mut seen[idx], true) {
            return Err(ambiguous(
                &shown,
                "the payload holds this file twice: cpio keeps the last, rpm the first".into(),
            ));
        }
        let hf = &list.files[idx];
        if h.mode != hf.mode {
            return Err(ambiguous(
                &shown,
                format!(
                    "mode {:o} in the payload, {:o} in the header: rpm installs the header's, \
                     cpio the payload's",
                    h.mode, hf.mode
                ),
            ));
        }
        let kind = match h.mode & 0o170000 {
            0o100000 => EntryKind::File,
            0o040000 => EntryKind::Dir,
            0o120000 => EntryKind::Symlink,
            _ => EntryKind::Other,
        };
        let (mode, mtime) = (h.mode & 0o7777, h.mtime);
        let owner = Owner {
            uid: Some(h.uid),
            gid: Some(h.gid),
            user: hf.user.clone(),
            group: hf.group.clone(),
        };
        let entry = |path: EntryPath, kind, size, link: Option<Vec<u8>>| Entry {
            path,
            kind,
            size,
            mode: Some(mode),
            mtime: Some(mtime),
            owner: Some(owner.clone()),
            link_target: link.map(RawPath),
            digests: None,
            format: Format::Rpm,
            expanded_as: None,
            header: None,
        };
        match kind {
            EntryKind::Symlink => {
                if h.size > MAX_NAME_BYTES as u64 {
                    return Err(ambiguous(
                        &shown,
                        format!("a {}-byte symlink target, more than PATH_MAX", h.size),
                    ));
                }
                let mut target = vec![0u8; h.size as usize];
                payload
                    .read_exact(&mut target)
                    .map_err(|e| corrupt(&shown, payload.pos, e.to_string()))?;
                skip_pad(&mut payload).map_err(|e| corrupt(&shown, payload.pos, e.to_string()))?;
                if target != hf.link {
                    return Err(ambiguous(
                        &shown,
                        format!(
                            "symlink to `{}` in the payload, to `{}` in the header: rpm \
                             creates the header's, cpio the payload's",
                            RawPath(target),
                            RawPath(hf.link.clone())
                        ),
                    ));
                }
                let path = walk.admit(&mut names, rel, kind, Some(&target))?;
                walk.other(entry(path, kind, 0, Some(target)));
            }
            EntryKind::File => {
                // Hard links: cpio newc (what rpm writes) keeps the data on
                // the last link of the group and writes the others empty.
                let group = if h.nlink > 1 {
                    let group = pending.entry(h.ino).or_default();
                    if (group.len() as u64) + 1 < h.nlink {
                        if h.size != 0 {
                            return Err(ambiguous(
                                &shown,
                                "a hard link carries data before the last link of its group: \
                                 cpio newc (what rpm writes) keeps data on the last"
                                    .into(),
                            ));
                        }
                        group.push((idx, h));
                        continue;
                    }
                    pending.remove(&h.ino).unwrap_or_default()
                } else {
                    Vec::new()
                };
                for (other, oh) in &group {
                    let of = &list.files[*other];
                    if (of.inode, of.device) != (hf.inode, hf.device) || oh.nlink != h.nlink {
                        return Err(ambiguous(
                            &RawPath(oh.name.clone()).to_string(),
                            format!(
                                "hard-linked to `{shown}` in the payload but not in the header's \
                                 FILEINODES: rpm and cpio create different links"
                            ),
                        ));
                    }
                }
                let carrier = rel.to_vec();
                let path = walk.admit(&mut names, rel, kind, None)?;
                let e = entry(path, kind, h.size, None);
                file_member(walk, &label, &list, idx, &h, e, &mut payload)?;
                for (other, oh) in group {
                    let of = &list.files[other];
                    check_size(&label, &RawPath(oh.name.clone()).to_string(), h.size, of)?;
                    let orel = oh.name[2..].to_vec();
                    let path =
                        walk.admit(&mut names, &orel, EntryKind::Hardlink, Some(&carrier))?;
                    let mut e = entry(path, EntryKind::Hardlink, 0, Some(carrier.clone()));
                    e.mode = Some(oh.mode & 0o7777);
                    e.mtime = Some(oh.mtime);
                    walk.other(e);
                }
            }
            EntryKind::Dir | EntryKind::Other | EntryKind::Hardlink => {
                if h.size != 0 {
                    return Err(ambiguous(
                        &shown,
                        format!("a {} with {} bytes of content", kind.name(), h.size),
                    ));
                }
                let path = walk.admit(&mut names, rel, kind, None)?;
                walk.other(entry(path, kind, 0, None));
            }
        }
    }
    if let Some((_, group)) = pending.into_iter().next() {
        let (_, h) = &group[0];
        return Err(ambiguous(
            &RawPath(h.name.clone()).to_string(),
            format!(
                "a hard-link group of {} links ends after {} without the member that carries \
                 its data",
                h.nlink,
                group.len()
            ),
        ));
    }
    if let Some(i) = (0..seen.len()).find(|&i| !seen[i] && !list.files[i].is_ghost()) {
        return Err(ambiguous(
            &format!("/{}", RawPath(list.files[i].path.clone())),
            "the header lists this file but the payload does not hold it: rpm fails to \
             install, cpio extracts the rest"
                .into(),
        ));
    }
    // What follows the trailer is padding (rpm pads the cpio stream); any
    // other byte is data no installer reads.
    let mut rest = [0u8; 8192];
    loop {
        let at = payload.pos;
        let n = match payload.read(&mut rest) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(match super::error::unwrap_io(e) {
                    Ok(r) => r,
                    Err(e) => corrupt("(payload)", at, e.to_string()),
                });
            }
        };
        if n == 0 {
            break;
        }
        if rest[..n].iter().any(|b| *b != 0) {
            return Err(ambiguous(
                "(after TRAILER!!!)",
                "the payload holds bytes after the cpio trailer: hidden from every installer"
                    .into(),
            ));
        }
    }
    walk.finish_container(names);
    Ok(())
}

/// Where a package's scriptlets appear among its entries: a name no
/// payload file can take (the names check refuses a payload member that
/// collides with one).
pub const SCRIPTS_DIR: &[u8] = b".rpm-scripts/";

/// Header tags holding code rpm runs, as root, when the package is
/// installed, upgraded or removed (rpm's lib/rpmscript.c table: each
/// script and its interpreter, triggers and file triggers included).
const SCRIPTLETS: &[(u32, &str)] = &[
    (1023, "prein"),
    (1085, "prein-interpreter"),
    (1024, "postin"),
    (1086, "postin-interpreter"),
    (1025, "preun"),
    (1087, "preun-interpreter"),
    (1026, "postun"),
    (1088, "postun-interpreter"),
    (1151, "pretrans"),
    (1153, "pretrans-interpreter"),
    (1152, "posttrans"),
    (1154, "posttrans-interpreter"),
    (1079, "verifyscript"),
    (1091, "verifyscript-interpreter"),
    (1065, "triggers"),
    (1092, "triggers-interpreter"),
    (5066, "filetriggers"),
    (5067, "filetriggers-interpreter"),
    (5076, "transfiletriggers"),
    (5077, "transfiletriggers-interpreter"),
];

/// Lists each scriptlet of the main header as a file under
/// [`SCRIPTS_DIR`]. They live in the header, not the payload, yet rpm runs
/// them: without these entries a new `%post` (`curl … | sh`) left
/// `manifest` and `diff` unchanged ("identical"), where a `.deb`'s
/// `postinst` shows in its control.tar. An array's strings are joined by
/// NUL, which no string holds, so two splittings never read the same.
fn scriptlets(
    walk: &mut Walk<'_, '_>,
    names: &mut Names,
    label: &str,
    main: &Header,
) -> Result<(), ReleaseError> {
    for (t, name) in SCRIPTLETS {
        let Some(kind) = main.kind_of(*t) else {
            continue;
        };
        let body = if kind == header::kind::STRING_ARRAY {
            main.strings(*t).map(|v| v.unwrap_or_default().join(&0u8))
        } else {
            main.string(*t).map(|v| v.unwrap_or_default().to_vec())
        }
        .map_err(|reason| ReleaseError::Corrupt {
            archive: label.to_string(),
            entry: "(main header)".into(),
            offset: main.offset,
            reason: format!("{reason}; rpm cannot run this scriptlet"),
        })?;
        let rel = [SCRIPTS_DIR, name.as_bytes()].concat();
        let path = walk.admit(names, &rel, EntryKind::File, None)?;
        let size = body.len() as u64;
        let entry = Entry {
            path,
            kind: EntryKind::File,
            size,
            mode: None,
            mtime: None,
            owner: None,
            link_target: None,
            digests: None,
            format: Format::Rpm,
            expanded_as: None,
            header: None,
        };
        walk.file(
            entry,
            Content {
                reader: &mut &body[..],
                declared: Some(size),
                place: Place {
                    archive: label.to_string(),
                    entry: format!("(header tag {t})"),
                    offset: main.offset,
                },
                short_is_truncation: true,
                random: None,
                forced: false,
            },
        )?;
    }
    Ok(())
}

/// A layout error, as the release reader reports it.
fn walk_io(offset: u64, label: &str, reason: String) -> ReleaseError {
    ReleaseError::Corrupt {
        archive: label.to_string(),
        entry: "(rpm header)".into(),
        offset,
        reason: format!("{reason}; rpm refuses this package too"),
    }
}

fn check_size(label: &str, shown: &str, size: u64, hf: &HeaderFile) -> Result<(), ReleaseError> {
    if size != hf.size {
        return Err(ReleaseError::Ambiguous {
            archive: label.to_string(),
            entry: shown.to_string(),
            reason: format!(
                "{size} bytes in the payload, {} in the header: rpm and cpio install different \
                 files",
                hf.size
            ),
        });
    }
    Ok(())
}

/// Hashes what passes through with the header's file digest algorithm.
struct Hashing<'a> {
    inner: &'a mut dyn Read,
    hasher: Option<Hasher>,
}

impl Read for Hashing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// A regular file's content: streamed through the walk, its digest
/// compared with the header's (when the header's algorithm is SHA-2).
fn file_member(
    walk: &mut Walk<'_, '_>,
    label: &str,
    list: &FileList,
    idx: usize,
    h: &CpioHeader,
    entry: Entry,
    payload: &mut Payload<'_>,
) -> Result<(), ReleaseError> {
    let hf = &list.files[idx];
    let shown = entry.path.inner().to_string();
    check_size(label, &shown, h.size, hf)?;
    let start = payload.pos;
    let mut limited = (&mut *payload).take(h.size);
    let mut hashing = Hashing {
        inner: &mut limited,
        hasher: Hasher::new(list.digest_algo).filter(|_| walk.collecting()),
    };
    walk.file(
        entry,
        Content {
            reader: &mut hashing,
            declared: Some(h.size),
            place: Place {
                archive: label.to_string(),
                entry: shown.clone(),
                offset: start,
            },
            short_is_truncation: true,
            random: None,
            forced: false,
        },
    )?;
    let hasher = hashing.hasher.take();
    // A visitor may stop early; the rest of the member is skipped.
    let left = (start + h.size).saturating_sub(payload.pos);
    io::copy(&mut (&mut *payload).take(left), &mut io::sink()).map_err(|e| {
        ReleaseError::Corrupt {
            archive: label.to_string(),
            entry: shown.clone(),
            offset: payload.pos,
            reason: e.to_string(),
        }
    })?;
    skip_pad(payload).map_err(|e| ReleaseError::Corrupt {
        archive: label.to_string(),
        entry: shown.clone(),
        offset: payload.pos,
        reason: e.to_string(),
    })?;
    if let Some(hasher) = hasher
        && !hf.digest.is_empty()
    {
        let got = hasher.finish_hex();
        if !got.as_bytes().eq_ignore_ascii_case(&hf.digest) {
            return Err(ReleaseError::Ambiguous {
                archive: label.to_string(),
                entry: shown,
                reason: format!(
                    "its content has {} {got}, the header lists {}: rpm refuses to install it, \
                     cpio extracts it",
                    algo::name(list.digest_algo),
                    String::from_utf8_lossy(&hf.digest)
                ),
            });
        }
    }
    Ok(())
}

enum CpioRead {
    Member(CpioHeader),
    Trailer,
    /// Not a cpio newc header.
    Bad(String),
    /// A header glassbox does not read one way.
    Refused(String),
}

/// Skips the NUL padding to the next 4-byte boundary (cpio(5) newc).
fn skip_pad(p: &mut Payload<'_>) -> io::Result<()> {
    let pad = ((4 - p.pos % 4) % 4) as usize;
    let mut b = [0u8; 3];
    p.read_exact(&mut b[..pad])?;
    if b[..pad].iter().any(|x| *x != 0) {
        return Err(io::Error::other("cpio padding bytes are not zero"));
    }
    Ok(())
}

/// Reads one cpio header and its name (cpio(5), "New ASCII Format"):
/// `070701`, thirteen 8-digit hex fields, the name (with its NUL), padding.
fn read_cpio_header(p: &mut Payload<'_>) -> io::Result<CpioRead> {
    let raw = peek(p, CPIO_HEADER)?;
    if raw.len() < CPIO_HEADER {
        return Ok(CpioRead::Bad(format!(
            "the payload ends {} bytes into a cpio header, before TRAILER!!!",
            raw.len()
        )));
    }
    match &raw[..6] {
        b"070701" => {}
        // rpm ≥ 4.12 writes files of 4 GiB and more (LONGFILESIZES) in a
        // stripped header that only indexes the main header's file list.
        b"07070X" => {
            return Ok(CpioRead::Refused(
                "a stripped cpio header (07070X, rpm's format for files of 4 GiB and more): \
                 glassbox does not read it"
                    .into(),
            ));
        }
        b"070702" => {
            return Ok(CpioRead::Refused(
                "a cpio newc header with CRC (070702): rpm writes 070701".into(),
            ));
        }
        other => {
            return Ok(CpioRead::Bad(format!(
                "not a cpio newc header (magic `{}`)",
                RawPath(other.to_vec())
            )));
        }
    }
    let mut f = [0u64; 13];
    for (k, v) in f.iter_mut().enumerate() {
        let field = &raw[6 + 8 * k..14 + 8 * k];
        let Some(x) = std::str::from_utf8(field)
            .ok()
            .filter(|s| s.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|s| u64::from_str_radix(s, 16).ok())
        else {
            return Ok(CpioRead::Bad(format!(
                "cpio header field {k} is not hexadecimal"
            )));
        };
        *v = x;
    }
    let [
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        size,
        _,
        _,
        _,
        _,
        namesize,
        _check,
    ] = f;
    if namesize == 0 || namesize > MAX_NAME_BYTES as u64 + 3 {
        return Ok(CpioRead::Refused(format!(
            "a cpio name of {namesize} bytes (empty, or longer than PATH_MAX)"
        )));
    }
    let mut name = peek(p, namesize as usize)?;
    if name.len() < namesize as usize {
        return Ok(CpioRead::Bad("the payload ends inside a cpio name".into()));
    }
    if name.pop() != Some(0) || name.contains(&0) {
        return Ok(CpioRead::Refused(
            "a cpio name that is not one NUL-terminated string: tools cut it at different \
             places"
                .into(),
        ));
    }
    skip_pad(p)?;
    if name == b"TRAILER!!!" {
        return Ok(CpioRead::Trailer);
    }
    Ok(CpioRead::Member(CpioHeader {
        ino,
        mode: mode as u32,
        uid,
        gid,
        nlink,
        mtime: mtime as i64,
        size,
        name,
    }))
}

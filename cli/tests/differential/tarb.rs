//! A tar writer that can lie: every header field is set by hand, so the
//! corpus can hold what no honest archiver writes (a GNU long name and a
//! pax `path` that disagree, a pax global header renaming members, unknown
//! typeflags). Layout per POSIX.1-2001 (pax, ustar) and GNU tar's
//! `tar.h` for the `L`/`K` long-name extensions.

/// One 512-byte header's fields, before serialisation.
#[derive(Clone, Debug)]
pub struct Header {
    pub name: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// The size field; `None` writes the content length.
    pub size: Option<u64>,
    pub mtime: u64,
    pub typeflag: u8,
    pub linkname: Vec<u8>,
    /// `ustar\0` + `00` (POSIX) when false, `ustar  \0` (GNU) when true.
    pub gnu_magic: bool,
    pub uname: Vec<u8>,
    pub gname: Vec<u8>,
    pub prefix: Vec<u8>,
}

impl Header {
    pub fn new(typeflag: u8, name: &[u8]) -> Self {
        Header {
            name: name.to_vec(),
            mode: if typeflag == b'5' { 0o755 } else { 0o644 },
            uid: 1000,
            gid: 1000,
            size: None,
            mtime: 1_700_000_000,
            typeflag,
            linkname: Vec::new(),
            gnu_magic: false,
            uname: b"vendor".to_vec(),
            gname: b"vendor".to_vec(),
            prefix: Vec::new(),
        }
    }
}

/// One record of the archive.
#[derive(Clone, Debug)]
pub enum Rec {
    /// A header and its content (padded to the block size).
    Member { h: Header, data: Vec<u8> },
}

impl Rec {
    pub fn file(name: &str, data: &[u8]) -> Rec {
        Rec::Member {
            h: Header::new(b'0', name.as_bytes()),
            data: data.to_vec(),
        }
    }
    pub fn dir(name: &str) -> Rec {
        Rec::Member {
            h: Header::new(b'5', name.as_bytes()),
            data: Vec::new(),
        }
    }
    pub fn link(typeflag: u8, name: &str, target: &[u8]) -> Rec {
        let mut h = Header::new(typeflag, name.as_bytes());
        h.linkname = target.to_vec();
        if typeflag == b'2' {
            h.mode = 0o777;
        }
        Rec::Member {
            h,
            data: Vec::new(),
        }
    }
    pub fn typed(typeflag: u8, name: &str, data: &[u8]) -> Rec {
        Rec::Member {
            h: Header::new(typeflag, name.as_bytes()),
            data: data.to_vec(),
        }
    }
    /// A pax extended header (`x`, or `g` when global) with `records`.
    pub fn pax(global: bool, records: &[(&str, &[u8])]) -> Rec {
        let mut data = Vec::new();
        for (k, v) in records {
            data.extend(pax_record(k, v));
        }
        Rec::Member {
            h: Header::new(
                if global { b'g' } else { b'x' },
                if global {
                    b"pax_global_header"
                } else {
                    b"PaxHeaders/x"
                },
            ),
            data,
        }
    }
    /// A GNU long name (`L`) or long link name (`K`) for the next header.
    pub fn gnu_long(kind: u8, name: &[u8]) -> Rec {
        let mut data = name.to_vec();
        data.push(0);
        let mut h = Header::new(kind, b"././@LongLink");
        h.gnu_magic = true;
        h.mode = 0o644;
        h.uid = 0;
        h.gid = 0;
        h.uname = b"root".to_vec();
        h.gname = b"root".to_vec();
        Rec::Member { h, data }
    }
}

/// One pax record, `"%d %s=%s\n"` with the length counting itself
/// (POSIX.1-2001, pax, "extended header").
pub fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // space, '=', '\n'
    let mut len = body + 1;
    while len.to_string().len() + body != len {
        len = len.to_string().len() + body;
    }
    let mut r = format!("{len} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}

fn octal(field: &mut [u8], v: u64) {
    let width = field.len() - 1;
    let s = format!("{v:0width$o}");
    let s = s.as_bytes();
    // Too large for the field: keep the low digits (a lie, which is fine).
    let s = &s[s.len().saturating_sub(width)..];
    field[..s.len()].copy_from_slice(s);
    field[width] = 0;
}

fn put(field: &mut [u8], v: &[u8]) {
    let n = v.len().min(field.len());
    field[..n].copy_from_slice(&v[..n]);
}

/// The 512-byte header block with its checksum.
pub fn header_block(h: &Header, content_len: usize) -> [u8; 512] {
    let mut b = [0u8; 512];
    put(&mut b[0..100], &h.name);
    octal(&mut b[100..108], u64::from(h.mode));
    octal(&mut b[108..116], u64::from(h.uid));
    octal(&mut b[116..124], u64::from(h.gid));
    octal(&mut b[124..136], h.size.unwrap_or(content_len as u64));
    octal(&mut b[136..148], h.mtime);
    b[156] = h.typeflag;
    put(&mut b[157..257], &h.linkname);
    if h.gnu_magic {
        b[257..265].copy_from_slice(b"ustar  \0");
    } else {
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
    }
    put(&mut b[265..297], &h.uname);
    put(&mut b[297..329], &h.gname);
    put(&mut b[345..500], &h.prefix);
    fix_checksum(&mut b);
    b
}

/// Recomputes the header checksum (the sum of all bytes with the checksum
/// field taken as spaces), written as six octal digits, NUL, space.
pub fn fix_checksum(b: &mut [u8]) {
    b[148..156].copy_from_slice(b"        ");
    let sum: u32 = b[..512].iter().map(|&x| u32::from(x)).sum();
    let s = format!("{sum:06o}\0 ");
    b[148..156].copy_from_slice(s.as_bytes());
}

/// Serialises the records, then the two zero blocks that end an archive.
pub fn build(recs: &[Rec]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in recs {
        let Rec::Member { h, data } = r;
        out.extend_from_slice(&header_block(h, data.len()));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Offsets of the header blocks `build` wrote, in record order, for
/// byte-level mutation.
pub fn header_offsets(recs: &[Rec]) -> Vec<usize> {
    let mut at = 0usize;
    let mut v = Vec::new();
    for r in recs {
        let Rec::Member { data, .. } = r;
        v.push(at);
        at += 512 + data.len().div_ceil(512) * 512;
    }
    v
}

//! A zip writer that can lie (APPNOTE.TXT 6.3.10): local headers and
//! central-directory records are written separately, so the corpus can hold
//! a local header the central directory does not list, a name that differs
//! between the two, one name twice, entries that overlap, bytes before the
//! first entry, and the Info-ZIP unicode path extra field (0x7075,
//! APPNOTE 4.6.9). Content is stored (method 0) so sizes are exact.

/// One member as the archive will describe it.
#[derive(Clone, Debug)]
pub struct Member {
    /// Name in the local header.
    pub local_name: Vec<u8>,
    /// Name in the central directory.
    pub cd_name: Vec<u8>,
    pub data: Vec<u8>,
    /// Extra field in the local header / central directory.
    pub local_extra: Vec<u8>,
    pub cd_extra: Vec<u8>,
    /// Unix mode in the high 16 bits of the external attributes (version
    /// made by = Unix), so extractors honour it.
    pub unix_mode: u32,
    /// Written as a local header + data.
    pub in_local: bool,
    /// Listed in the central directory.
    pub in_cd: bool,
    /// The central directory points at the local header of member
    /// `points_at` instead of its own (overlapping entries).
    pub points_at: Option<usize>,
    /// Overrides of the CRC and sizes recorded in the central directory.
    pub cd_crc: Option<u32>,
    pub cd_size: Option<u32>,
}

impl Member {
    pub fn file(name: &str, data: &[u8]) -> Member {
        Member {
            local_name: name.as_bytes().to_vec(),
            cd_name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            local_extra: Vec::new(),
            cd_extra: Vec::new(),
            unix_mode: 0o100644,
            in_local: true,
            in_cd: true,
            points_at: None,
            cd_crc: None,
            cd_size: None,
        }
    }
    pub fn dir(name: &str) -> Member {
        let mut m = Member::file(name, b"");
        m.unix_mode = 0o040755;
        m
    }
    pub fn symlink(name: &str, target: &[u8]) -> Member {
        let mut m = Member::file(name, target);
        m.unix_mode = 0o120777;
        m
    }
}

/// A whole archive.
#[derive(Clone, Debug, Default)]
pub struct Zip {
    pub members: Vec<Member>,
    /// Bytes before the first local header (a self-extractor stub).
    pub prefix: Vec<u8>,
    /// Bytes between the last member and the central directory.
    pub gap: Vec<u8>,
    /// Bytes after the end-of-central-directory record.
    pub suffix: Vec<u8>,
    /// Central-directory order (indices into `members`); `None` is member
    /// order.
    pub cd_order: Option<Vec<usize>>,
}

/// CRC-32 (ISO 3309, as zip uses it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// DOS time and date of 2023-11-14 22:13:20 (the tar corpus's mtime).
const DOS_TIME: u16 = (22 << 11) | (13 << 5) | (20 / 2);
const DOS_DATE: u16 = ((2023 - 1980) << 9) | (11 << 5) | 14;

/// The Info-ZIP unicode path extra field (0x7075): version 1, the CRC-32
/// of the header's own name, then the UTF-8 name it stands for.
pub fn unicode_path_extra(header_name: &[u8], utf8_name: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    u16le(&mut e, 0x7075);
    u16le(&mut e, (5 + utf8_name.len()) as u16);
    e.push(1);
    u32le(&mut e, crc32(header_name));
    e.extend_from_slice(utf8_name);
    e
}

/// Offsets of each member's local header in the output of `build`.
pub fn build(z: &Zip) -> Vec<u8> {
    let mut out = z.prefix.clone();
    let mut offsets = vec![0u32; z.members.len()];
    for (i, m) in z.members.iter().enumerate() {
        offsets[i] = out.len() as u32;
        if !m.in_local {
            continue;
        }
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, 20);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, DOS_TIME);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, crc32(&m.data));
        u32le(&mut out, m.data.len() as u32);
        u32le(&mut out, m.data.len() as u32);
        u16le(&mut out, m.local_name.len() as u16);
        u16le(&mut out, m.local_extra.len() as u16);
        out.extend_from_slice(&m.local_name);
        out.extend_from_slice(&m.local_extra);
        out.extend_from_slice(&m.data);
    }
    out.extend_from_slice(&z.gap);
    let cd_start = out.len() as u32;
    let order: Vec<usize> = z
        .cd_order
        .clone()
        .unwrap_or_else(|| (0..z.members.len()).collect());
    let mut listed = 0u16;
    for &i in &order {
        let m = &z.members[i];
        if !m.in_cd {
            continue;
        }
        listed += 1;
        let at = m.points_at.unwrap_or(i);
        let size = m.cd_size.unwrap_or(z.members[at].data.len() as u32);
        u32le(&mut out, 0x0201_4b50);
        u16le(&mut out, (3 << 8) | 20);
        u16le(&mut out, 20);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, DOS_TIME);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, m.cd_crc.unwrap_or(crc32(&z.members[at].data)));
        u32le(&mut out, size);
        u32le(&mut out, size);
        u16le(&mut out, m.cd_name.len() as u16);
        u16le(&mut out, m.cd_extra.len() as u16);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u32le(&mut out, m.unix_mode << 16);
        u32le(&mut out, offsets[at]);
        out.extend_from_slice(&m.cd_name);
        out.extend_from_slice(&m.cd_extra);
    }
    let cd_size = out.len() as u32 - cd_start;
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, listed);
    u16le(&mut out, listed);
    u32le(&mut out, cd_size);
    u32le(&mut out, cd_start);
    u16le(&mut out, 0);
    out.extend_from_slice(&z.suffix);
    out
}

//! Reads an artifact into its canonical [`Node`] tree: sniffs the format
//! from magic bytes, unwraps compression, walks archive members and hashes
//! content while streaming. Untrusted input: every limit is enforced and
//! nothing is written to disk.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::digest::Sha256Digest;
use crate::release::{Entry, EntryKind, Format, Limits, RawPath, Release, registry};

use super::CanonicalError;
use super::node::{Archive, ArchiveFormat, Blob, Compressed, Compression, Member, Node};
use super::{BlobReader, HEAD_LEN, ar, gzip, tar, zip, zstd};

/// Largest nested zip held in memory to be expanded: the release reader's
/// one cap ([`NESTED_ZIP_BUFFER_CAP`]), so the canonical tree expands
/// exactly the zips the listing expands. Larger ones are compared as plain
/// content, which can only make the verdict stricter.
use crate::release::NESTED_ZIP_BUFFER_CAP as MAX_BUFFERED_ZIP;

/// State shared by one read: limits and what they have used.
pub(crate) struct Reader {
    pub limits: Limits,
    /// Reads content that is not a container (the caller's content
    /// normalizers: pyc, PE, PNG, jar manifests).
    blob: BlobReader,
    /// The artifact being compared: a container inside it that fails to
    /// parse is compared as plain bytes, but the artifact itself must parse.
    root: Option<String>,
    /// One raw-deflate state reused by every zip member: a fresh one per
    /// member fragments the heap badly on archives of many small files.
    inflater: Option<flate2::Decompress>,
    entries: u64,
    expanded: u64,
}

impl Reader {
    pub(crate) fn new(limits: Limits, blob: BlobReader) -> Self {
        Self {
            limits,
            blob,
            root: None,
            inflater: None,
            entries: 0,
            expanded: 0,
        }
    }

    /// Reads the artifact at `path`: a directory, an archive, or a file.
    pub(crate) fn read_path(&mut self, path: &Path) -> Result<Node, CanonicalError> {
        if self.root.is_none() {
            self.root = Some(path.display().to_string());
        }
        let meta = std::fs::symlink_metadata(path).map_err(|e| CanonicalError::io(path, e))?;
        if meta.is_dir() {
            return self.read_dir(path);
        }
        if !meta.is_file() {
            return Err(CanonicalError::Input {
                path: path.display().to_string(),
                why: "not a regular file or directory".into(),
            });
        }
        // Opened once, without following a link and re-checked against the
        // listing (`fsio`), then rewound for each of the three passes.
        let mut file = crate::fsio::open_checked(path).map_err(|e| open_err(path, e))?;
        let name = path
            .file_name()
            .map(|n| n.as_encoded_bytes().to_vec())
            .unwrap_or_default();
        // A top-level zip is read with random access straight from the file.
        let mut probe = vec![0u8; registry::SNIFF_LEN];
        let n = read_up_to(&mut file, &mut probe).map_err(|e| CanonicalError::io(path, e))?;
        let rewind = |f: &mut File| {
            f.seek(SeekFrom::Start(0))
                .map(|_| ())
                .map_err(|e| CanonicalError::io(path, e))
        };
        if matches!(sniff(&probe[..n], &name), Some(Sniffed::Zip)) {
            rewind(&mut file)?;
            let (raw, _) = crate::digest::hash_reader(&mut file, Default::default())
                .map_err(|e| CanonicalError::io(path, e))?;
            rewind(&mut file)?;
            let mut archive = zip::read(file, self, &path.display().to_string(), 0)?;
            archive.raw_sha256 = Some(raw.sha256);
            return Ok(Node::Archive(archive));
        }
        rewind(&mut file)?;
        self.read_stream(
            &mut io::BufReader::new(file),
            &name,
            &path.display().to_string(),
            0,
        )
    }

    /// The canonical tree of a directory release from its listing, with
    /// no second pass over the tree: members, modes, links and the raw
    /// header fields come from the [`Entry`]s (which `dir.rs` recorded
    /// when it listed and hashed them). A file's content is read again only
    /// when `reread` says its listed digest is not enough (the other side
    /// has different bytes, so its containers and content normalizers must
    /// be looked into); otherwise it is a blob of its listed SHA-256.
    pub(crate) fn read_listed_dir(
        &mut self,
        release: &Release,
        reread: &dyn Fn(&Entry) -> bool,
    ) -> Result<Node, CanonicalError> {
        let root = release.source.as_path();
        self.root = Some(root.display().to_string());
        let mut members = Vec::new();
        for e in release.entries.iter().filter(|e| e.path.depth() == 0) {
            let full = root.join(
                <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(
                    e.path.inner().as_bytes(),
                ),
            );
            self.count_entry(&full.display().to_string())?;
            let content = match (e.kind, &e.digests) {
                (EntryKind::File, Some(d)) if !reread(e) => Some(Node::Blob(Blob {
                    sha256: d.sha256,
                    size: e.size,
                    normalized: None,
                    authenticode: None,
                    not_expanded: None,
                })),
                (EntryKind::File, _) => Some(self.read_path(&full)?),
                _ => None,
            };
            let header = e.header.as_deref().cloned().unwrap_or_default();
            members.push(Member {
                path: backslash_to_slash(e.path.inner().as_bytes()),
                kind: e.kind,
                link_target: e.link_target.clone(),
                mode: e.mode.map(|m| m & 0o7777),
                strict: header.strict,
                normalized: header.fields,
                content,
            });
        }
        Ok(directory(members))
    }

    fn read_dir(&mut self, root: &Path) -> Result<Node, CanonicalError> {
        let mut members = Vec::new();
        self.walk(root, root, &mut members)?;
        Ok(directory(members))
    }

    fn walk(
        &mut self,
        root: &Path,
        dir: &Path,
        out: &mut Vec<Member>,
    ) -> Result<(), CanonicalError> {
        let names = crate::fsio::list_dir(dir).map_err(|e| CanonicalError::io(dir, e))?;
        for name in names {
            let path = dir.join(&name);
            self.count_entry(&path.display().to_string())?;
            // Never follow symlinks: a link is compared by its target text.
            let meta =
                std::fs::symlink_metadata(&path).map_err(|e| CanonicalError::io(&path, e))?;
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = backslash_to_slash(rel.as_os_str().as_encoded_bytes());
            let ft = meta.file_type();
            let (kind, link_target, content) = if ft.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| CanonicalError::io(&path, e))?;
                (
                    EntryKind::Symlink,
                    Some(RawPath(target.as_os_str().as_encoded_bytes().to_vec())),
                    None,
                )
            } else if ft.is_dir() {
                (EntryKind::Dir, None, None)
            } else if ft.is_file() {
                let node = self.read_path(&path)?;
                (EntryKind::File, None, Some(node))
            } else {
                (EntryKind::Other, None, None)
            };
            out.push(Member {
                path: rel,
                kind,
                link_target,
                mode: Some(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777),
                strict: Vec::new(),
                normalized: crate::release::dir::raw_header(&meta).fields,
                content,
            });
            if ft.is_dir() {
                self.walk(root, &path, out)?;
            }
        }
        Ok(())
    }

    /// Lends the reusable raw-deflate state (reset).
    pub(crate) fn take_inflater(&mut self) -> flate2::Decompress {
        match self.inflater.take() {
            Some(mut d) => {
                d.reset(false);
                d
            }
            None => flate2::Decompress::new(false),
        }
    }

    /// Returns the state lent by [`Reader::take_inflater`].
    pub(crate) fn return_inflater(&mut self, d: flate2::Decompress) {
        self.inflater = Some(d);
    }

    /// Counts one more entry against `max_entries`.
    pub(crate) fn count_entry(&mut self, at: &str) -> Result<(), CanonicalError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(CanonicalError::Limit {
                at: at.to_string(),
                why: format!(
                    "more than {} entries (raise --max-entries if this is expected)",
                    self.limits.max_entries
                ),
            });
        }
        Ok(())
    }

    /// Reads one stream: sniffs and dispatches to the container readers,
    /// or hashes it as a blob. `at` names it in errors.
    pub(crate) fn read_stream(
        &mut self,
        input: &mut dyn Read,
        name: &[u8],
        at: &str,
        depth: usize,
    ) -> Result<Node, CanonicalError> {
        let mut head = [0u8; HEAD_LEN];
        let n = read_up_to(input, &mut head).map_err(|e| CanonicalError::read(at, e))?;
        let prefix = &head[..n];
        let mut whole = HashingReader::new(prefix.chain(input));
        let expand = depth < self.limits.max_depth;
        let sniffed = sniff(prefix, name);
        let parsed = self.read_container(sniffed, expand, prefix, &mut whole, name, at, depth);
        let node = match parsed {
            Ok(Some(node)) => node,
            Ok(None) => {
                let mut blob = (self.blob)(&mut whole, name, self.limits)
                    .map_err(|e| CanonicalError::read(at, e))?;
                if sniffed.is_some() {
                    blob.not_expanded = Some(format!(
                        "nesting deeper than --max-depth {}",
                        self.limits.max_depth
                    ));
                }
                return Ok(Node::Blob(blob));
            }
            // A member that looks like a container but is not a valid one
            // (test fixtures, data that happens to start with a magic
            // number) is compared as plain bytes: that can only make the
            // verdict stricter. Limits are never relaxed this way.
            Err(e @ (CanonicalError::Corrupt { .. } | CanonicalError::Input { .. }))
                if self.root.as_deref() != Some(at) =>
            {
                io::copy(&mut whole, &mut io::sink()).map_err(|e| CanonicalError::read(at, e))?;
                return Ok(Node::Blob(Blob {
                    size: whole.len,
                    sha256: whole.finish(),
                    normalized: None,
                    authenticode: None,
                    not_expanded: Some(format!("not expanded: {e}")),
                }));
            }
            Err(e) => return Err(e),
        };
        // Containers may end before their input does: hash what is left so
        // the raw digest covers every byte.
        io::copy(&mut whole, &mut io::sink()).map_err(|e| CanonicalError::read(at, e))?;
        let raw = whole.finish();
        Ok(match node {
            Node::Archive(mut a) => {
                a.raw_sha256 = Some(raw);
                Node::Archive(a)
            }
            Node::Compressed(mut c) => {
                c.raw_sha256 = raw;
                Node::Compressed(c)
            }
            blob => blob,
        })
    }

    /// Parses a sniffed container; `None` when it is not one (or is nested
    /// too deep) and should be hashed as content.
    #[allow(clippy::too_many_arguments)]
    fn read_container(
        &mut self,
        sniffed: Option<Sniffed>,
        expand: bool,
        prefix: &[u8],
        whole: &mut dyn Read,
        name: &[u8],
        at: &str,
        depth: usize,
    ) -> Result<Option<Node>, CanonicalError> {
        Ok(Some(match sniffed {
            Some(Sniffed::Compressed(format)) if expand => {
                self.read_compressed(format, prefix, whole, name, at, depth)?
            }
            Some(Sniffed::Tar) if expand => Node::Archive(tar::read(whole, self, at, depth)?),
            Some(Sniffed::Ar) if expand => Node::Archive(ar::read(whole, self, at, depth)?),
            Some(Sniffed::Zip) if expand => {
                let got = crate::fsio::read_capped(&mut *whole, MAX_BUFFERED_ZIP, 0)
                    .map_err(|e| CanonicalError::read(at, e))?;
                let buf = got.bytes;
                if got.over {
                    let mut rest = Cursor::new(buf).chain(whole);
                    let mut blob = (self.blob)(&mut rest, &[], self.limits)
                        .map_err(|e| CanonicalError::read(at, e))?;
                    blob.not_expanded = Some(format!(
                        "nested zip larger than {MAX_BUFFERED_ZIP} bytes is compared as plain content"
                    ));
                    return Ok(Some(Node::Blob(blob)));
                }
                Node::Archive(zip::read(Cursor::new(buf), self, at, depth)?)
            }
            _ => return Ok(None),
        }))
    }

    fn read_compressed(
        &mut self,
        format: Compression,
        prefix: &[u8],
        input: &mut dyn Read,
        name: &[u8],
        at: &str,
        depth: usize,
    ) -> Result<Node, CanonicalError> {
        let (strict, header, header_len) = match format {
            Compression::Gzip => {
                let h = gzip::parse_header(prefix).map_err(|why| CanonicalError::Corrupt {
                    at: at.to_string(),
                    offset: 0,
                    why,
                })?;
                (h.strict, h.normalized, h.len)
            }
            _ => (Vec::new(), Vec::new(), 0),
        };
        // Hash the compressed body (after the header) as it is consumed.
        let mut body = HashingReader::skipping(input, header_len);
        let mut counted = CountingReader::new(&mut body);
        let consumed = counted.count.clone();
        let budget = ExpansionBudget {
            limits: self.limits,
            already: self.expanded,
        };
        let inner_name = strip_compression_suffix(name);
        // Structure no normalization may speak for, counted as the stream
        // is decompressed: gzip members, zstd skippable frames.
        let mut gzip_members = None;
        let mut zstd_skippable = None;
        let payload = {
            let decoder: Box<dyn Read + '_> = match format {
                Compression::Gzip => {
                    let d = gzip::Members::new(io::BufReader::new(&mut counted));
                    gzip_members = Some(d.count());
                    Box::new(d)
                }
                Compression::Xz => Box::new(xz2::read::XzDecoder::new_multi_decoder(&mut counted)),
                Compression::Zstd => {
                    let frames = zstd::Frames::new(&mut counted);
                    zstd_skippable = Some(frames.skippable());
                    Box::new(
                        ::zstd::stream::read::Decoder::new(frames)
                            .map_err(|e| CanonicalError::read(at, e))?,
                    )
                }
                Compression::Bzip2 => crate::release::bzip2::decode(Box::new(&mut counted))
                    .map_err(|e| CanonicalError::read(at, e))?,
            };
            let mut limited = BombGuard::new(decoder, budget, consumed, at);
            let inner_at = format!("{at}!({})", format.name());
            let payload = self.read_stream(&mut limited, &inner_name, &inner_at, depth + 1);
            self.expanded += limited.produced;
            payload?
        };
        drop(counted);
        let mut body_tail = Vec::new();
        body_tail.extend_from_slice(body.finish().0.as_slice());
        if format == Compression::Gzip && prefix.len() > 8 {
            body_tail.push(prefix[8]); // XFL: compression level hint
        }
        let unnormalizable = match (gzip_members, zstd_skippable) {
            (Some(m), _) if m.get() != 1 => Some(format!("a gzip stream of {} members", m.get())),
            (_, Some(s)) if s.get() != 0 => {
                Some(format!("a zstd stream with {} skippable frame(s)", s.get()))
            }
            _ => None,
        };
        Ok(Node::Compressed(Compressed {
            format,
            unnormalizable,
            raw_sha256: Sha256Digest([0; 32]),
            strict,
            header,
            body: body_tail,
            payload: Box::new(payload),
        }))
    }
}

#[derive(Clone, Copy)]
enum Sniffed {
    Compressed(Compression),
    Tar,
    Zip,
    Ar,
}

/// Recognises a container through the release reader's one registry, so
/// `repro` and `release` never disagree about what a file is (they once
/// did: `BZh1` without the block magic was bzip2 here and a plain file
/// there).
fn sniff(prefix: &[u8], name: &[u8]) -> Option<Sniffed> {
    let row = registry::sniff(prefix, name)?;
    Some(match row.format {
        Format::Gz => Sniffed::Compressed(Compression::Gzip),
        Format::Xz => Sniffed::Compressed(Compression::Xz),
        Format::Zst => Sniffed::Compressed(Compression::Zstd),
        Format::Bz2 => Sniffed::Compressed(Compression::Bzip2),
        Format::Zip => Sniffed::Zip,
        Format::Ar | Format::Deb => Sniffed::Ar,
        Format::Tar => Sniffed::Tar,
        _ => return None,
    })
}

/// A directory tree of `members`, in path order (a directory has no
/// stored order).
fn directory(mut members: Vec<Member>) -> Node {
    members.sort_by(|a, b| a.path.cmp(&b.path));
    Node::Archive(Archive {
        format: ArchiveFormat::Directory,
        raw_sha256: None,
        members,
        strict: Vec::new(),
        padding: 0,
    })
}

/// A directory member's path with `\\` read as a separator, as Windows
/// extractors read it.
fn backslash_to_slash(path: &[u8]) -> RawPath {
    RawPath(
        path.iter()
            .map(|&b| if b == b'\\' { b'/' } else { b })
            .collect(),
    )
}

fn strip_compression_suffix(name: &[u8]) -> Vec<u8> {
    for (suffix, replacement) in [
        (&b".tgz"[..], &b".tar"[..]),
        (b".gz", b""),
        (b".xz", b""),
        (b".zst", b""),
        (b".bz2", b""),
    ] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return [stem, replacement].concat();
        }
    }
    name.to_vec()
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
pub(crate) fn read_up_to(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

pub(crate) fn open_err(path: &Path, e: crate::fsio::OpenSameError) -> CanonicalError {
    match e {
        crate::fsio::OpenSameError::Io(e) => CanonicalError::io(path, e),
        changed => CanonicalError::Input {
            path: path.display().to_string(),
            why: changed.to_string(),
        },
    }
}

/// Hashes the bytes read through it (optionally skipping a leading part).
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    skip: usize,
    len: u64,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self::skipping(inner, 0)
    }

    fn skipping(inner: R, skip: usize) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            skip,
            len: 0,
        }
    }

    pub(crate) fn finish(self) -> Sha256Digest {
        Sha256Digest(self.hasher.finalize().into())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let skip = self.skip.min(n);
        self.skip -= skip;
        self.hasher.update(&buf[skip..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// Counts compressed bytes consumed, for the ratio check.
struct CountingReader<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> CountingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            count: Default::default(),
        }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

#[derive(Clone, Copy)]
struct ExpansionBudget {
    limits: Limits,
    already: u64,
}

/// Stops a decompression bomb: total expanded bytes and the ratio of output
/// to input are bounded by the [`Limits`].
struct BombGuard<'a> {
    inner: Box<dyn Read + 'a>,
    budget: ExpansionBudget,
    consumed: std::rc::Rc<std::cell::Cell<u64>>,
    produced: u64,
    at: String,
}

/// Below this many output bytes the ratio is not judged: tiny streams of
/// zeros legitimately compress very well.
const RATIO_GRACE: u64 = 1024 * 1024;

impl<'a> BombGuard<'a> {
    fn new(
        inner: Box<dyn Read + 'a>,
        budget: ExpansionBudget,
        consumed: std::rc::Rc<std::cell::Cell<u64>>,
        at: &str,
    ) -> Self {
        Self {
            inner,
            budget,
            consumed,
            produced: 0,
            at: at.to_string(),
        }
    }
}

impl Read for BombGuard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let limits = self.budget.limits;
        if self.budget.already + self.produced > limits.max_expanded_bytes {
            return Err(io::Error::other(format!(
                "{}: expands past {} bytes in total (--max-expanded-bytes); refusing a possible decompression bomb",
                self.at, limits.max_expanded_bytes
            )));
        }
        check_ratio(self.produced, self.consumed.get(), &limits, &self.at)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(n)
    }
}

/// Checks the compression ratio of a finished or running stream.
fn check_ratio(
    produced: u64,
    consumed: u64,
    limits: &Limits,
    at: &str,
) -> Result<(), CanonicalError> {
    if produced > RATIO_GRACE && produced / consumed.max(1) > limits.max_ratio {
        return Err(CanonicalError::Limit {
            at: at.to_string(),
            why: format!(
                "decompresses {produced} bytes from {consumed} (ratio above --max-ratio {}); refusing a possible decompression bomb",
                limits.max_ratio
            ),
        });
    }
    Ok(())
}

//! Index files (DebianRepository/Format, "Packages Indices" and "Sources
//! Indices"): one deb822 stanza per binary or source package, each naming
//! the files of the package with their SHA-256 and size. An index is read
//! through the release reader (`core::release`), which recognises the
//! compression (plain, `.gz`, `.xz`, ...) by its magic bytes and bounds
//! the decompression (expanded bytes, ratio); the stanzas stream through
//! [`Paragraphs`], so a large index costs memory for one stanza plus what
//! is kept of each.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};

use serde::Serialize;

use super::deb822::{Deb822Error, Paragraph, Paragraphs, short};
use super::release_file::parse_size;
use crate::digest::{DigestSet, MultiHasher, Sha256Digest};
use crate::release::{EntryKind, Format, Limits, ReadOptions, Release, ReleaseError, registry};

/// Largest stanza read (Debian's largest are a few tens of KiB).
pub const MAX_STANZA_BYTES: u64 = 1024 * 1024;

/// Largest index file read (compressed, or plain): it is held in memory
/// while its stanzas are read.
pub const MAX_INDEX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Largest decompressed index read: Debian's biggest (`main` amd64
/// Packages) is under 100 MiB.
pub const MAX_INDEX_BYTES: u64 = 1024 * 1024 * 1024;

/// What an index file is, by its name without the compression suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexKind {
    /// `Packages`: binary packages.
    Packages,
    /// `Sources`: source packages.
    Sources,
    /// Any other file the Release lists (Contents, Translation, a
    /// component Release, ...): checked against the Release, not parsed.
    Other,
}

/// The compression suffixes apt knows, with the release reader's format
/// for each ("Compression" in the spec: an index may be offered plain or
/// compressed; the suffix says which).
const COMPRESSIONS: &[(&str, Format)] = &[
    (".gz", Format::Gz),
    (".xz", Format::Xz),
    (".bz2", Format::Bz2),
    (".zst", Format::Zst),
];

/// The compression a file name says, and the name without it.
pub fn split_compression(name: &str) -> (&str, Format) {
    for (suffix, format) in COMPRESSIONS {
        if let Some(stem) = name.strip_suffix(suffix) {
            return (stem, *format);
        }
    }
    (name, Format::File)
}

impl IndexKind {
    /// The kind of the index at `path` (a path listed in a Release file).
    pub fn of(path: &str) -> Self {
        let name = path.rsplit('/').next().unwrap_or(path);
        match split_compression(name).0 {
            "Packages" => IndexKind::Packages,
            "Sources" => IndexKind::Sources,
            _ => IndexKind::Other,
        }
    }
}

/// One binary package of a Packages index: the fields the chain uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageStanza {
    /// `Package`.
    pub package: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`.
    pub architecture: String,
    /// `Filename`: the `.deb`'s path from the archive root (`pool/...`).
    pub filename: String,
    /// `Size`.
    pub size: u64,
    /// `SHA256`.
    pub sha256: Sha256Digest,
}

/// One file of a source package (`Checksums-Sha256` of a Sources stanza).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    /// Its path from the archive root (`Directory` + name).
    pub path: String,
    /// Its size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: Sha256Digest,
}

/// What a parsed index lists.
#[derive(Clone, Debug, Default)]
pub struct IndexContent {
    /// Stanzas read.
    pub stanzas: u64,
    /// Binary packages (Packages indexes).
    pub packages: Vec<PackageStanza>,
    /// Source package files (Sources indexes).
    pub source_files: Vec<SourceFile>,
}

/// Why an index cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The release reader could not read (or refused) the file.
    #[error(transparent)]
    Read(#[from] ReleaseError),
    /// The decompressed content is not one stream of the kind its name says.
    #[error("{0}")]
    Form(String),
    /// A stanza could not be read one way.
    #[error("{0}")]
    Syntax(#[from] Deb822Error),
    /// A stanza lacks a field the chain needs, or has a malformed one.
    #[error("stanza at line {line}{package}: {reason}")]
    Stanza {
        /// Line of the stanza's first field.
        line: u64,
        /// ` (package NAME)` when known.
        package: String,
        /// What is wrong.
        reason: String,
    },
}

fn stanza_err(p: &Paragraph, reason: impl Into<String>) -> IndexError {
    IndexError::Stanza {
        line: p.line,
        package: p
            .single("Package")
            .ok()
            .flatten()
            .map(|n| format!(" (package {})", short(n)))
            .unwrap_or_default(),
        reason: reason.into(),
    }
}

fn required<'p>(p: &'p Paragraph, name: &str) -> Result<&'p str, IndexError> {
    match p.single(name)? {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(stanza_err(p, format!("no {name} field"))),
    }
}

fn archive_path(p: &Paragraph, path: &str) -> Result<String, IndexError> {
    match crate::sig::release::ambiguous_name(path) {
        Some(why) => Err(stanza_err(p, format!("{:?}: {why}", short(path)))),
        None => Ok(path.to_string()),
    }
}

/// A Packages stanza: Package, Version, Architecture, Filename, Size and
/// SHA256 are all required (a stanza whose `.deb` has no SHA-256 cannot
/// be authenticated; MD5sum and SHA1 are not used).
fn package_stanza(p: &Paragraph) -> Result<PackageStanza, IndexError> {
    Ok(PackageStanza {
        package: required(p, "Package")?.to_string(),
        version: required(p, "Version")?.to_string(),
        architecture: required(p, "Architecture")?.to_string(),
        filename: archive_path(p, required(p, "Filename")?)?,
        size: parse_size(required(p, "Size")?).map_err(|r| stanza_err(p, r))?,
        sha256: Sha256Digest::from_hex(required(p, "SHA256")?)
            .map_err(|e| stanza_err(p, e.to_string()))?,
    })
}

/// A Sources stanza's files: `Directory` plus each `Checksums-Sha256` line
/// (` HEX SIZE NAME`); a stanza with only `Files` (MD5) is refused.
fn source_files(p: &Paragraph, out: &mut Vec<SourceFile>) -> Result<(), IndexError> {
    required(p, "Package")?;
    let dir = required(p, "Directory")?;
    let Some(list) = p.get("Checksums-Sha256") else {
        return Err(stanza_err(
            p,
            "no Checksums-Sha256 field (Files alone is MD5)",
        ));
    };
    if !list.value.is_empty() {
        return Err(stanza_err(
            p,
            "text after `Checksums-Sha256:` on its own line",
        ));
    }
    for line in &list.lines {
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        let [hex, size, name] = parts[..] else {
            return Err(stanza_err(
                p,
                format!("{:?} is not `SHA256 SIZE NAME`", short(line)),
            ));
        };
        if name.contains('/') {
            return Err(stanza_err(
                p,
                format!("{:?}: a file name with a slash", short(name)),
            ));
        }
        out.push(SourceFile {
            path: archive_path(p, &format!("{dir}/{name}"))?,
            size: parse_size(size).map_err(|r| stanza_err(p, r))?,
            sha256: Sha256Digest::from_hex(hex).map_err(|e| stanza_err(p, e.to_string()))?,
        });
    }
    Ok(())
}

/// The (package, version, architecture) apt's cache keeps one version of.
type PackageKey = (String, String, String);

/// Where a stanza was read, the `.deb` it names and that `.deb`'s path.
#[derive(Clone, Debug)]
struct Seen {
    at: String,
    sha256: Sha256Digest,
    size: u64,
    filename: String,
}

/// Records `s`, read at `at`, under its package, version and architecture;
/// `Err` when another stanza already named them with another `.deb` (SHA256
/// or Size): apt's cache keeps one version per (package, version,
/// architecture) and downloads one of the files — which one depends on pin
/// priorities and source order — so a `.deb` matching the other stanza is
/// signed by an index yet is not what a customer's apt installs. Refused,
/// naming both; the same file listed twice is harmless and passes.
fn one_deb_per_version(
    seen: &mut HashMap<PackageKey, Seen>,
    s: &PackageStanza,
    at: impl FnOnce() -> String,
) -> Result<(), (Seen, String)> {
    let key = (s.package.clone(), s.version.clone(), s.architecture.clone());
    match seen.get(&key) {
        Some(first) if (first.sha256, first.size) != (s.sha256, s.size) => {
            let reason = format!(
                "{} {} {} is listed twice, by {} with sha256 {} ({} bytes) and by {} with \
                 sha256 {} ({} bytes): apt installs one of them, so neither can be said to be \
                 the package",
                short(&s.package),
                short(&s.version),
                short(&s.architecture),
                first.at,
                first.sha256,
                first.size,
                at(),
                s.sha256,
                s.size,
            );
            Err((first.clone(), reason))
        }
        Some(_) => Ok(()),
        None => {
            let seen_at = at();
            seen.insert(
                key,
                Seen {
                    at: seen_at,
                    sha256: s.sha256,
                    size: s.size,
                    filename: s.filename.clone(),
                },
            );
            Ok(())
        }
    }
}

/// Parses the decompressed stanzas of an index of `kind`.
pub fn parse(reader: impl BufRead, kind: IndexKind) -> Result<IndexContent, IndexError> {
    let mut out = IndexContent::default();
    if kind == IndexKind::Other {
        return Ok(out);
    }
    // Package, version and architecture → the first stanza naming them
    // (see `one_deb_per_version`).
    let mut seen = HashMap::new();
    for para in Paragraphs::new(reader, MAX_STANZA_BYTES) {
        let para = para?;
        out.stanzas += 1;
        match kind {
            IndexKind::Packages => {
                let s = package_stanza(&para)?;
                one_deb_per_version(&mut seen, &s, || {
                    format!("the stanza at line {}", para.line)
                })
                .map_err(|(_, reason)| stanza_err(&para, reason))?;
                out.packages.push(s);
            }
            IndexKind::Sources => source_files(&para, &mut out.source_files)?,
            IndexKind::Other => {}
        }
    }
    Ok(out)
}

/// The options an index is read with: decompression bounded to
/// [`MAX_INDEX_BYTES`] and the reader's default ratio limit.
fn index_read_options() -> ReadOptions {
    ReadOptions {
        limits: Limits {
            max_expanded_bytes: MAX_INDEX_BYTES,
            max_entries: 1,
            ..Limits::default()
        },
        ..ReadOptions::default()
    }
}

/// Reads and parses the index `bytes` (the whole file, already checked
/// against the Release), known in the Release as `listed_as` (its name says
/// its kind and compression). The release reader lists it first, which
/// runs the decompression under its limits (expanded bytes, ratio) and
/// recognises the format by magic bytes; only then is the stream decoded
/// again, through the reader's own codec and capped at the size that pass
/// measured, for the stanzas. The content must be what the name says: a
/// `Packages` that is really gzip, or a `Packages.gz` holding a tar, would
/// be read one way by apt and another by a tool that sniffs content, so it
/// is refused.
pub fn read_index(bytes: &[u8], listed_as: &str) -> Result<ReadIndex, IndexError> {
    let name = listed_as.rsplit('/').next().unwrap_or(listed_as);
    let (_, want) = split_compression(name);
    let kind = IndexKind::of(listed_as);
    let listing = Release::from_bytes(name, bytes, &index_read_options())?;
    if listing.format != want {
        return Err(IndexError::Form(format!(
            "its name says {} but its content is {}",
            want.name(),
            listing.format.name()
        )));
    }
    let size = match &listing.entries[..] {
        [e] if e.kind == EntryKind::File => e.size,
        _ => {
            return Err(IndexError::Form(
                "not one compressed stream of one file".into(),
            ));
        }
    };
    let head = &bytes[..bytes.len().min(registry::SNIFF_LEN)];
    let reader: Box<dyn Read + '_> = match registry::sniff(head, name.as_bytes()) {
        Some(registry::Row {
            reader: registry::Reader::Codec { decode, .. },
            ..
        }) => decode(Box::new(bytes), Default::default())
            .map_err(|e| IndexError::Form(e.to_string()))?,
        _ => Box::new(bytes),
    };
    let mut text = Hashing {
        inner: reader.take(size),
        hasher: MultiHasher::new(DigestSet::default()),
    };
    let content = parse(BufReader::new(&mut text), kind)?;
    // The rest of the text (all of it for a kind not parsed) is hashed too:
    // the digest names the whole decompressed index.
    std::io::copy(&mut text, &mut std::io::sink()).map_err(|e| IndexError::Form(e.to_string()))?;
    Ok(ReadIndex {
        content,
        text_sha256: text.hasher.finish().sha256,
    })
}

/// An index read from its file.
#[derive(Clone, Debug)]
pub struct ReadIndex {
    /// What it lists.
    pub content: IndexContent,
    /// The SHA-256 of its decompressed text: the same index offered plain
    /// and compressed must have one text.
    pub text_sha256: Sha256Digest,
}

/// Hashes what is read through it.
struct Hashing<R> {
    inner: R,
    hasher: MultiHasher,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The indexes of one Release read together, so that no package and no
/// index can be read two ways across them: apt merges every index of a
/// distribution (components, `binary-ARCH` and `binary-all`) into one
/// cache, and fetches whichever compression of an index it prefers.
#[derive(Debug, Default)]
pub struct OneReading {
    packages: HashMap<PackageKey, Seen>,
    /// Index path without its compression suffix → its text's digest and
    /// the index it was read from.
    texts: HashMap<String, (Sha256Digest, String)>,
    /// `Filename`s of packages listed with two different `.deb`s.
    ambiguous: HashSet<String>,
}

impl OneReading {
    /// Adds the index `name` (as the operator knows it), listed in the
    /// Release as `listed_as`. Returns one reason per two readings found:
    /// a package, version and architecture another index lists with
    /// another `.deb`, or another compression of this index whose text
    /// differs.
    pub fn add(&mut self, name: &str, listed_as: &str, read: &ReadIndex) -> Vec<String> {
        let mut out = Vec::new();
        let (stem, _) = split_compression(listed_as);
        match self.texts.get(stem) {
            Some((digest, other)) if *digest != read.text_sha256 => out.push(format!(
                "{other} and {name} are two compressions of {stem} with different contents \
                 (sha256 {digest} and {} decompressed): apt reads the one it prefers, so \
                 neither can be said to be the index",
                read.text_sha256
            )),
            Some(_) => {}
            None => {
                self.texts
                    .insert(stem.to_string(), (read.text_sha256, name.to_string()));
            }
        }
        for s in &read.content.packages {
            if let Err((first, reason)) =
                one_deb_per_version(&mut self.packages, s, || name.to_string())
            {
                self.ambiguous.insert(first.filename);
                self.ambiguous.insert(s.filename.clone());
                out.push(reason);
            }
        }
        out
    }

    /// Whether the package at `filename` is listed as a package another
    /// stanza lists with another `.deb`.
    pub fn is_ambiguous(&self, filename: &str) -> bool {
        self.ambiguous.contains(filename)
    }
}

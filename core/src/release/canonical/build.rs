//! Builds the canonical tree of an opened [`Release`] from its listing: the
//! release reader recorded, while it read each container once, every
//! member's raw header fields and stored order ([`RawHeader`]) and what a
//! container holds beyond its members ([`ContainerFacts`]: the compression
//! stream, a zip's comment, a tar's padding). Nothing here parses an
//! archive; the only bytes read again are those of plain files whose
//! listed digest is not enough (the other side has other bytes at that
//! place, so a content normalizer may have to look into them).

use std::collections::{HashMap, HashSet};

use crate::digest::Sha256Digest;
use crate::release::{
    ContainerFacts, Entry, EntryKind, EntryPath, Format, Limits, RawPath, ReadFindingKind, Release,
};

use super::node::{Archive, ArchiveFormat, Blob, Compressed, Compression, Member, Node};
use super::{BlobReader, CanonicalError};

/// The canonical tree of an opened release. A plain file for which
/// `reread` returns true is streamed again (through
/// [`Release::visit_contents`], so through the same reader) for `blob`;
/// every other one is a blob of its listed SHA-256.
pub(crate) fn read_release(
    release: &Release,
    limits: Limits,
    blob: BlobReader,
    reread: &dyn Fn(&Entry) -> bool,
) -> Result<Node, CanonicalError> {
    let at = |p: &EntryPath| format!("{}!{p}", release.source.display());
    // Fail closed: a member the reader could not read (an encrypted or
    // unsupported zip member) has no digest to compare.
    if let Some(f) = release
        .findings
        .iter()
        .find(|f| matches!(f.kind, ReadFindingKind::Unreadable { .. }))
    {
        return Err(CanonicalError::Input {
            path: at(&f.path),
            why: f.kind.to_string(),
        });
    }
    let mut notes: HashMap<&EntryPath, String> = HashMap::new();
    for f in &release.findings {
        let note = match &f.kind {
            ReadFindingKind::NotExpanded { reason, .. } => format!("not expanded: {reason}"),
            ReadFindingKind::DepthLimitReached => {
                format!("nesting deeper than --max-depth {}", limits.max_depth)
            }
            _ => continue,
        };
        notes.insert(&f.path, note);
    }
    let mut children: HashMap<Option<EntryPath>, Vec<&Entry>> = HashMap::new();
    for e in &release.entries {
        children.entry(e.path.container()).or_default().push(e);
    }
    let reread_blobs = reread_blobs(release, limits, blob, reread)?;
    let tree = Tree {
        release,
        children,
        notes,
        blobs: reread_blobs,
    };
    match release.format {
        Format::Directory => tree.directory(None),
        // An rpm's members carry no raw headers: it is compared as the
        // bytes it is (as before the release reader read rpm), which can
        // only make the verdict stricter.
        Format::Rpm => {
            let sha256 = release.raw_sha256.ok_or_else(|| CanonicalError::Input {
                path: release.source.display().to_string(),
                why: "the release reader took no digest of this file".into(),
            })?;
            let size = std::fs::symlink_metadata(&release.source).map_or(0, |m| m.len());
            Ok(Node::Blob(Blob {
                sha256,
                size,
                normalized: None,
                authenticode: None,
                not_expanded: None,
            }))
        }
        Format::File => {
            let top = tree.members(None);
            let [e] = top.as_slice() else {
                return Err(CanonicalError::Input {
                    path: release.source.display().to_string(),
                    why: "a one-file release does not list exactly one file".into(),
                });
            };
            tree.entry(e)
        }
        format => tree.container(
            format,
            release.facts.as_ref(),
            release.raw_sha256,
            None,
            &release.source.display().to_string(),
        ),
    }
}

/// Streams the plain files `reread` selects through `blob` (the content
/// normalizers), in one pass of the release reader.
fn reread_blobs(
    release: &Release,
    limits: Limits,
    blob: BlobReader,
    reread: &dyn Fn(&Entry) -> bool,
) -> Result<HashMap<EntryPath, Blob>, CanonicalError> {
    let wanted: HashSet<&EntryPath> = release
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File && e.expanded_as.is_none() && reread(e))
        .map(|e| &e.path)
        .collect();
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    release
        .visit_contents(&|e| wanted.contains(&e.path), &mut |e, r| {
            // The name content normalizers see, as each format's reader
            // gave it: a zip or ar member's whole name (a jar manifest is
            // `META-INF/MANIFEST.MF`), a tar member's or a file's last
            // component.
            let name = match e.format {
                Format::Zip | Format::Ar | Format::Deb => e.path.inner().as_bytes(),
                _ => e.path.inner().file_name(),
            };
            let b = blob(r, name, limits)
                .map_err(|err| crate::release::ReleaseError::from_io(&e.path, err))?;
            out.insert(e.path.clone(), b);
            Ok(())
        })
        .map_err(|source| CanonicalError::Release {
            path: release.source.display().to_string(),
            source,
        })?;
    Ok(out)
}

/// The listing, indexed for building the tree.
struct Tree<'r> {
    release: &'r Release,
    /// Entries by the container they are in (`None`: top level).
    children: HashMap<Option<EntryPath>, Vec<&'r Entry>>,
    /// Why a container-looking file was not expanded, by path.
    notes: HashMap<&'r EntryPath, String>,
    /// Plain files read again, by path.
    blobs: HashMap<EntryPath, Blob>,
}

impl<'r> Tree<'r> {
    fn members(&self, container: Option<&EntryPath>) -> Vec<&'r Entry> {
        self.children
            .get(&container.cloned())
            .cloned()
            .unwrap_or_default()
    }

    /// One listed entry's content: the container it was expanded as, or
    /// plain content.
    fn entry(&self, e: &Entry) -> Result<Node, CanonicalError> {
        let raw = e.digests.map(|d| d.sha256);
        if let Some(format) = e.expanded_as.filter(|f| *f != Format::Rpm) {
            let facts = e.header.as_deref().and_then(|h| h.container.as_ref());
            let at = format!("{}!{}", self.release.source.display(), e.path);
            return self.container(format, facts, raw, Some(&e.path), &at);
        }
        if let Some(b) = self.blobs.get(&e.path) {
            let mut b = b.clone();
            b.not_expanded = self.notes.get(&e.path).cloned();
            return Ok(Node::Blob(b));
        }
        let sha256 = raw.ok_or_else(|| CanonicalError::Input {
            path: format!("{}!{}", self.release.source.display(), e.path),
            why: "the release reader listed no digest for this file".into(),
        })?;
        Ok(Node::Blob(Blob {
            sha256,
            size: e.size,
            normalized: None,
            authenticode: None,
            not_expanded: self.notes.get(&e.path).cloned(),
        }))
    }

    /// A container of `format` whose members are listed under `path`.
    fn container(
        &self,
        format: Format,
        facts: Option<&ContainerFacts>,
        raw: Option<Sha256Digest>,
        path: Option<&EntryPath>,
        at: &str,
    ) -> Result<Node, CanonicalError> {
        let facts = facts.ok_or_else(|| CanonicalError::Input {
            path: at.to_string(),
            why: format!("the release reader recorded nothing about this {format}"),
        })?;
        let codec = || {
            facts.codec.as_ref().ok_or_else(|| CanonicalError::Input {
                path: at.to_string(),
                why: format!("the release reader recorded no compression stream of this {format}"),
            })
        };
        let compressed = |payload: Node| -> Result<Node, CanonicalError> {
            let c = codec()?;
            Ok(Node::Compressed(Compressed {
                format: compression(c.format),
                unnormalizable: c.unnormalizable.clone(),
                raw_sha256: raw.unwrap_or(Sha256Digest([0; 32])),
                strict: c.strict.clone(),
                header: c.header.clone(),
                body: c.body.clone(),
                payload: Box::new(payload),
            }))
        };
        match format {
            Format::Tar | Format::Zip | Format::Ar | Format::Deb => {
                Ok(Node::Archive(self.archive(format, facts, raw, path)?))
            }
            Format::TarGz | Format::TarXz | Format::TarZst | Format::TarBz2 => {
                let payload_sha = codec()?.payload_sha256;
                let tar = self.archive(Format::Tar, facts, payload_sha, path)?;
                compressed(Node::Archive(tar))
            }
            Format::Gz | Format::Xz | Format::Zst | Format::Bz2 => {
                let inner = self.members(path);
                let [e] = inner.as_slice() else {
                    return Err(CanonicalError::Input {
                        path: at.to_string(),
                        why: "a compressed stream that does not hold exactly one file".into(),
                    });
                };
                compressed(self.entry(e)?)
            }
            Format::Directory | Format::File | Format::Rpm => Err(CanonicalError::Input {
                path: at.to_string(),
                why: format!("a {format} is not a container"),
            }),
        }
    }

    /// An archive's members in stored order, with their recorded headers.
    fn archive(
        &self,
        format: Format,
        facts: &ContainerFacts,
        raw: Option<Sha256Digest>,
        path: Option<&EntryPath>,
    ) -> Result<Archive, CanonicalError> {
        let mut listed = self.members(path);
        listed.sort_by_key(|e| e.header.as_deref().map_or(0, |h| h.order));
        let members = listed
            .into_iter()
            .map(|e| self.member(e, e.path.inner().clone()))
            .collect::<Result<_, _>>()?;
        Ok(Archive {
            format: match format {
                Format::Zip => ArchiveFormat::Zip,
                Format::Ar | Format::Deb => ArchiveFormat::Ar,
                _ => ArchiveFormat::Tar,
            },
            raw_sha256: raw,
            members,
            strict: facts.strict.clone(),
            padding: facts.padding,
        })
    }

    /// A directory tree: its top-level entries in path order (a directory
    /// has no stored order), names with `\` read as a separator, as
    /// Windows extractors read them.
    fn directory(&self, path: Option<&EntryPath>) -> Result<Node, CanonicalError> {
        let mut members = self
            .members(path)
            .into_iter()
            .map(|e| self.member(e, backslash_to_slash(e.path.inner().as_bytes())))
            .collect::<Result<Vec<_>, _>>()?;
        members.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Node::Archive(Archive {
            format: ArchiveFormat::Directory,
            raw_sha256: None,
            members,
            strict: Vec::new(),
            padding: 0,
        }))
    }

    fn member(&self, e: &Entry, path: RawPath) -> Result<Member, CanonicalError> {
        let header = e.header.as_deref().cloned().unwrap_or_default();
        let content = match e.kind {
            EntryKind::File => Some(self.entry(e)?),
            _ => None,
        };
        Ok(Member {
            path,
            kind: e.kind,
            link_target: e.link_target.clone(),
            mode: header.mode.or(e.mode.map(|m| m & 0o7777)),
            strict: header.strict,
            normalized: header.fields,
            content,
        })
    }
}

fn compression(format: Format) -> Compression {
    match format {
        Format::Xz | Format::TarXz => Compression::Xz,
        Format::Zst | Format::TarZst => Compression::Zstd,
        Format::Bz2 | Format::TarBz2 => Compression::Bzip2,
        _ => Compression::Gzip,
    }
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

pub(crate) fn open_err(path: &std::path::Path, e: crate::fsio::OpenSameError) -> CanonicalError {
    match e {
        crate::fsio::OpenSameError::Io(e) => CanonicalError::io(path, e),
        changed => CanonicalError::Input {
            path: path.display().to_string(),
            why: changed.to_string(),
        },
    }
}

//! Compares the canonical trees of a vendor artifact and its rebuild:
//! every exact field must match; a normalizable field that differs is
//! counted against its normalization when that one is enabled, and is a
//! difference when it is not.

use std::collections::{BTreeMap, HashMap};

use crate::release::RawPath;

use super::normalization::{Normalization, NormalizationSet};
use super::{Difference, DifferenceKind};
use crate::release::canonical::{Archive, Blob, Compressed, Field, Member, Node};

/// What a comparison found.
#[derive(Default)]
pub(crate) struct Comparison {
    pub applied: BTreeMap<Normalization, u64>,
    /// The first few places each normalization applied to.
    pub places: BTreeMap<Normalization, Vec<String>>,
    pub differences: Vec<Difference>,
}

/// How many places per normalization a report lists.
pub(crate) const MAX_PLACES: usize = 20;

pub(crate) struct Comparer<'a> {
    pub allowed: &'a NormalizationSet,
    pub out: Comparison,
}

impl Comparer<'_> {
    fn differ(&mut self, path: &str, kind: DifferenceKind) {
        self.out.differences.push(Difference {
            path: path.to_string(),
            kind,
        });
    }

    /// Records that `n` would make `path` equal: applied when allowed,
    /// otherwise a difference naming the disabled normalization.
    fn normalize(&mut self, n: Normalization, path: &str) {
        if self.allowed.allows(n) {
            *self.out.applied.entry(n).or_default() += 1;
            let places = self.out.places.entry(n).or_default();
            if places.len() < MAX_PLACES {
                places.push(if path.is_empty() {
                    "(artifact)".into()
                } else {
                    path.to_string()
                });
            }
        } else {
            self.differ(path, DifferenceKind::NotNormalized { normalization: n });
        }
    }

    pub(crate) fn node(&mut self, vendor: &Node, rebuild: &Node, path: &str) {
        if vendor.raw_sha256().is_some() && vendor.raw_sha256() == rebuild.raw_sha256() {
            return; // same bytes, nothing beneath can differ
        }
        match (vendor, rebuild) {
            (Node::Blob(v), Node::Blob(r)) => self.blob(v, r, path),
            (Node::Compressed(v), Node::Compressed(r)) if v.format == r.format => {
                self.compressed(v, r, path)
            }
            (Node::Archive(v), Node::Archive(r)) if v.format == r.format => {
                self.archive(v, r, path)
            }
            _ => self.differ(
                path,
                DifferenceKind::Format {
                    vendor: vendor.format_name().to_string(),
                    rebuild: rebuild.format_name().to_string(),
                },
            ),
        }
    }

    fn blob(&mut self, v: &Blob, r: &Blob, path: &str) {
        if v.sha256 == r.sha256 {
            return;
        }
        match (v.normalized, r.normalized) {
            (Some((nv, dv)), Some((nr, dr))) if nv == nr && dv == dr => {
                self.normalize(Normalization::of(nv), path)
            }
            // The same image, signed on at least one side (two unsigned
            // files differing in their CheckSum alone are not this).
            _ if v.authenticode.is_some_and(|a| {
                r.authenticode.is_some_and(|b| {
                    a.unsigned_sha256 == b.unsigned_sha256 && (a.signed || b.signed)
                })
            }) =>
            {
                self.normalize(Normalization::AuthenticodeSignature, path)
            }
            _ => self.differ(
                path,
                DifferenceKind::Content {
                    vendor: v.sha256,
                    rebuild: r.sha256,
                    vendor_size: v.size,
                    rebuild_size: r.size,
                    note: v.not_expanded.clone().or_else(|| r.not_expanded.clone()),
                },
            ),
        }
    }

    fn compressed(&mut self, v: &Compressed, r: &Compressed, path: &str) {
        if let Some(why) = v.unnormalizable.as_ref().or(r.unnormalizable.as_ref()) {
            // The headers of gzip members after the first (RFC 1952 §2.2)
            // and zstd skippable frames (RFC 8878 §3.1.2) are not read as
            // fields, so no normalization may speak for them: different
            // bytes are a difference.
            let side = if v.unnormalizable.is_some() {
                "vendor"
            } else {
                "rebuild"
            };
            self.differ(
                path,
                DifferenceKind::Header {
                    what: format!(
                        "{} ({side}): only a single-member gzip or a zstd stream without skippable frames is normalized, so its bytes must match",
                        why
                    ),
                },
            );
            self.node(&v.payload, &r.payload, path);
            return;
        }
        if v.strict != r.strict {
            self.differ(
                path,
                DifferenceKind::Header {
                    what: format!("{} header (flags, extra field or comment)", v.format.name()),
                },
            );
        }
        if v.header != r.header {
            self.normalize(Normalization::GzipHeader, path);
        }
        if v.payload.raw_sha256().is_some() && v.payload.raw_sha256() == r.payload.raw_sha256() {
            // The same payload compressed into other bytes: only the
            // compressor (level, tool, block layout) differs.
            if v.body != r.body {
                self.normalize(Normalization::CompressedStream, path);
            }
        } else {
            self.node(&v.payload, &r.payload, path);
        }
    }

    fn archive(&mut self, v: &Archive, r: &Archive, path: &str) {
        let name = |m: &Member| join(path, &m.path);
        if v.strict != r.strict {
            self.differ(
                path,
                DifferenceKind::Header {
                    what: format!("{} archive comment or trailing data", v.format.name()),
                },
            );
        }
        if v.padding != r.padding {
            self.normalize(Normalization::TarPadding, path);
        }
        let vk = keyed(&v.members);
        let rk = keyed(&r.members);
        let rmap: HashMap<_, _> = rk.iter().map(|(k, m)| (k.clone(), *m)).collect();
        let vmap: HashMap<_, _> = vk.iter().map(|(k, m)| (k.clone(), *m)).collect();
        let mut set_aside = Vec::new();
        for (key, m) in &vk {
            match rmap.get(key) {
                Some(other) => self.member(m, other, &name(m)),
                None if is_detached_signature(m, |t| vmap.contains_key(&(t, 1)))
                    && self.allowed.allows(Normalization::DetachedSignatures) =>
                {
                    self.normalize(Normalization::DetachedSignatures, &name(m));
                    set_aside.push(key.clone());
                }
                None => self.differ(&name(m), DifferenceKind::OnlyInVendor),
            }
        }
        for (key, m) in &rk {
            if !vmap.contains_key(key) {
                self.differ(&name(m), DifferenceKind::OnlyInRebuild);
            }
        }
        let order = |k: &[(Key, &Member)]| {
            k.iter()
                .map(|(key, _)| key.clone())
                .filter(|key| !set_aside.contains(key))
                .collect::<Vec<_>>()
        };
        let (vo, ro) = (order(&vk), order(&rk));
        if vo != ro && vo.len() == ro.len() && vo.iter().all(|k| rmap.contains_key(k)) {
            self.normalize(Normalization::MemberOrder, path);
        }
    }

    fn member(&mut self, v: &Member, r: &Member, path: &str) {
        if v.kind != r.kind {
            self.differ(
                path,
                DifferenceKind::Kind {
                    vendor: v.kind,
                    rebuild: r.kind,
                },
            );
            return;
        }
        if v.link_target != r.link_target {
            self.differ(
                path,
                DifferenceKind::LinkTarget {
                    vendor: v.link_target.as_ref().map(|t| t.to_string()),
                    rebuild: r.link_target.as_ref().map(|t| t.to_string()),
                },
            );
        }
        if v.mode != r.mode {
            if self.allowed.allows(Normalization::FileMode) {
                self.normalize(Normalization::FileMode, path);
            } else {
                self.differ(
                    path,
                    DifferenceKind::Mode {
                        vendor: v.mode,
                        rebuild: r.mode,
                    },
                );
            }
        }
        if v.strict != r.strict {
            self.differ(
                path,
                DifferenceKind::Header {
                    what: "member header fields (type, size, format, attributes or extra data)"
                        .into(),
                },
            );
        }
        for (n, value) in &v.normalized {
            if r.field(*n) != Some(value.as_slice()) {
                // A compressed-size/method difference is settled by the
                // content comparison below.
                if *n == Field::CompressedStream {
                    continue;
                }
                self.normalize(Normalization::of(*n), path);
            }
        }
        match (&v.content, &r.content) {
            (Some(a), Some(b)) => {
                let same_bytes = a.raw_sha256().is_some() && a.raw_sha256() == b.raw_sha256();
                let compressed_differs =
                    v.field(Field::CompressedStream) != r.field(Field::CompressedStream);
                if same_bytes && compressed_differs {
                    self.normalize(Normalization::CompressedStream, path);
                }
                self.node(a, b, path);
            }
            (None, None) => {}
            _ => self.differ(
                path,
                DifferenceKind::Kind {
                    vendor: v.kind,
                    rebuild: r.kind,
                },
            ),
        }
    }
}

/// Largest file set aside as a detached signature.
const MAX_SIGNATURE_BYTES: u64 = 1024 * 1024;

/// A vendor-only regular file named like a detached signature, a signed
/// checksum list or an attestation, and small enough to be one. It may not
/// be executable, and a detached signature `X.sig` (`.asc`, `.p7s`,
/// `.sigstore`, `.sigstore.json`) must sit next to the `X` it signs
/// (`has_sibling`): otherwise any vendor-only file named `run.asc` or
/// `payload.sig`, an executable script among them, was set aside and the
/// rebuild judged EQUIVALENT (adversarial review of issue 18).
fn is_detached_signature(m: &Member, has_sibling: impl Fn(RawPath) -> bool) -> bool {
    let Some(Node::Blob(blob)) = &m.content else {
        return false;
    };
    let name = m.path.file_name();
    let executable = m.mode.is_some_and(|mode| mode & 0o111 != 0);
    let signs_a_sibling = || match super::detached_target(m.path.as_bytes()) {
        Some(target) => has_sibling(RawPath(target.to_vec())),
        // Checksum lists and in-toto attestations name their subjects
        // inside; `glassbox verify` checks those.
        None => true,
    };
    m.kind == crate::release::EntryKind::File
        && blob.size <= MAX_SIGNATURE_BYTES
        && !executable
        && super::signature_file_name(name)
        && signs_a_sibling()
}

/// A member's identity within an archive: its path and, for names that
/// occur more than once, which occurrence.
type Key = (RawPath, usize);

fn keyed(members: &[Member]) -> Vec<(Key, &Member)> {
    let mut seen: HashMap<&RawPath, usize> = HashMap::new();
    members
        .iter()
        .map(|m| {
            let n = seen.entry(&m.path).or_default();
            *n += 1;
            ((m.path.clone(), *n), m)
        })
        .collect()
}

fn join(container: &str, path: &RawPath) -> String {
    if container.is_empty() {
        path.to_string()
    } else {
        format!("{container}!{path}")
    }
}

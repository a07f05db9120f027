//! Groups of identical changes: when many files change in the same way
//! (Debian's man pages, whose only change is the `.TH` line's date and
//! version), the diff shows the change once with the files it was made in.
//!
//! Two modified files change "in the same way" when their changed lines —
//! the removed and added lines of the text diff, in order, not the context
//! — are equal once each file's own name is masked (the `.TH` line names
//! the page: `.TH OPENSSL-CA 1SSL "2026-04-07"`). A modified container
//! (`page.1ssl.gz`) changes in the same way as another when its member
//! changes do, member names masked the same way. The entry's own metadata
//! and security changes are part of the change: a file that also changes
//! its mode (or owner) is not grouped with one that only changes its text,
//! since later members of a group are shown only through the first. Only
//! complete text diffs
//! group; anything else (binary, executables, a diff cut by
//! `--max-diff-lines`, an added or removed member) stays on its own.
//!
//! Bounded: each change is hashed once (SHA-256 of its masked changed
//! lines) and grouped by hash, so the work is linear in the diff.

use std::collections::HashMap;

use serde::Serialize;

use crate::digest::Sha256Digest;
use crate::release::EntryPath;

use super::{ChangeClass, ContentKind, EntryChange, LineTag, MetadataField};

/// What the masked file name is replaced with.
const NAME: &str = "{name}";
/// Shortest file stem that is masked (a shorter one would mask common
/// words).
const MIN_STEM: usize = 3;
/// Groups need at least this many changes.
const MIN_GROUP: usize = 2;

/// Changes made the same way in several files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeGroup {
    /// The change in brief: the first changed line's leading word and the
    /// changed words (`.TH: 2026-04-07 3.0.20 → 2026-08-25 3.0.22`).
    pub description: String,
    /// How many changes the group holds.
    pub count: u64,
    /// Their paths, in diff order; the first one's detail stands for all.
    pub paths: Vec<EntryPath>,
}

/// Groups `changes` (sorted by path, content filled in); sets
/// [`EntryChange::group`] on each member. Groups are in order of their
/// first path.
pub fn group(changes: &mut [EntryChange]) -> Vec<ChangeGroup> {
    // Member keys of each modified container, in path order.
    let mut keys: Vec<Option<Sha256Digest>> = changes.iter().map(text_key).collect();
    let mut members: HashMap<EntryPath, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if let Some(parent) = c.path.container() {
            members.entry(parent).or_default().push(i);
        }
    }
    for (i, c) in changes.iter().enumerate() {
        if keys[i].is_none() {
            keys[i] = container_key(c, &members, &keys, changes);
        }
    }
    let mut by_key: HashMap<Sha256Digest, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            by_key.entry(*k).or_default().push(i);
        }
    }
    let mut groups: Vec<Vec<usize>> = by_key
        .into_values()
        .filter(|g| g.len() >= MIN_GROUP)
        .collect();
    groups.sort_unstable_by_key(|g| g[0]);
    groups
        .into_iter()
        .enumerate()
        .map(|(n, g)| {
            for &i in &g {
                changes[i].group = Some(n);
            }
            ChangeGroup {
                description: describe(&changes[g[0]], changes),
                count: g.len() as u64,
                paths: g.iter().map(|&i| changes[i].path.clone()).collect(),
            }
        })
        .collect()
}

/// The file's stem (its name up to the first `.`), lower-cased, when long
/// enough to mask.
fn stem(c: &EntryChange) -> Option<String> {
    let name = String::from_utf8_lossy(c.path.inner().file_name()).to_lowercase();
    let stem = name.split('.').next().unwrap_or_default().to_string();
    (stem.len() >= MIN_STEM).then_some(stem)
}

/// `line` with every case-insensitive occurrence of `stem` replaced by
/// [`NAME`].
fn mask(line: &str, stem: Option<&str>) -> String {
    let Some(stem) = stem else {
        return line.to_string();
    };
    let lower = line.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII: mask only when
    // the positions still line up.
    if lower.len() != line.len() {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    while let Some(i) = lower[at..].find(stem) {
        out.push_str(&line[at..at + i]);
        out.push_str(NAME);
        at += i + stem.len();
    }
    out.push_str(&line[at..]);
    out
}

/// The key of a modified text file: its changed lines, name masked.
fn text_key(c: &EntryChange) -> Option<Sha256Digest> {
    if c.class != ChangeClass::Modified {
        return None;
    }
    let content = c.content.as_ref()?;
    if content.kind != Some(ContentKind::Text) {
        return None;
    }
    let text = content.text.as_ref()?;
    if text.truncated {
        return None;
    }
    let stem = stem(c);
    let mut key = Vec::new();
    for line in text.hunks.iter().flat_map(|h| &h.lines) {
        let tag = match line.tag {
            LineTag::Context => continue,
            LineTag::Removed => b'-',
            LineTag::Added => b'+',
        };
        key.push(tag);
        key.extend_from_slice(mask(&line.text(), stem.as_deref()).as_bytes());
        key.push(b'\n');
    }
    Some(own_metadata(c, key))
}

/// `key` with `c`'s own metadata (but the mtime, which a rebuild sets per
/// file) and security changes appended, hashed: two changes group only
/// when these are equal too.
fn own_metadata(c: &EntryChange, mut key: Vec<u8>) -> Sha256Digest {
    key.push(0);
    for m in c
        .metadata
        .iter()
        .filter(|m| m.field != MetadataField::Mtime)
    {
        key.extend_from_slice(format!("{m:?}\n").as_bytes());
    }
    key.extend_from_slice(format!("{:?}", c.security).as_bytes());
    Sha256Digest::of(&key)
}

/// The key of a modified container whose every member change has a key:
/// the members' masked names and keys.
fn container_key(
    c: &EntryChange,
    members: &HashMap<EntryPath, Vec<usize>>,
    keys: &[Option<Sha256Digest>],
    changes: &[EntryChange],
) -> Option<Sha256Digest> {
    if c.class != ChangeClass::Modified
        || c.content.as_ref().and_then(|x| x.kind) != Some(ContentKind::Archive)
    {
        return None;
    }
    let stem = stem(c);
    let mut key = b"archive\n".to_vec();
    for &m in members.get(&c.path)? {
        let k = keys[m]?;
        let name = changes[m].path.inner().to_string();
        key.extend_from_slice(mask(&name, stem.as_deref()).as_bytes());
        key.push(0);
        key.extend_from_slice(k.to_hex().as_bytes());
        key.push(b'\n');
    }
    Some(own_metadata(c, key))
}

/// The first changed line's leading word, then the changed words.
fn describe(c: &EntryChange, changes: &[EntryChange]) -> String {
    let text = c.content.as_ref().and_then(|x| x.text.as_ref());
    let Some(text) = text else {
        // A container: describe its first member's change.
        return changes
            .iter()
            .find(|m| m.path.container().as_ref() == Some(&c.path) && m.content.is_some())
            .map(|m| {
                let name = mask(&m.path.inner().to_string(), stem(c).as_deref());
                format!("{name} changed: {}", describe(m, changes))
            })
            .unwrap_or_else(|| "members changed".into());
    };
    let changed: Vec<_> = text
        .hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.tag != LineTag::Context)
        .collect();
    let words = |tag: LineTag| {
        changed
            .iter()
            .filter(|l| l.tag == tag)
            .flat_map(|l| l.segments.iter().filter(|s| s.emph))
            .map(|s| s.text.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (old, new) = (words(LineTag::Removed), words(LineTag::Added));
    let lead = changed
        .first()
        .and_then(|l| l.text().split_whitespace().next().map(str::to_string))
        .unwrap_or_default();
    let lines = format!("-{} +{} lines", text.lines_removed, text.lines_added);
    if old.is_empty() && new.is_empty() {
        return lines;
    }
    let brief = format!("{lead} {old} → {new}");
    let brief: String = brief.chars().take(200).collect();
    format!("{brief} ({lines})")
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn mask_replaces_the_name_whatever_its_case() {
        assert_eq!(
            mask(".TH OPENSSL-CA 1SSL \"2026-04-07\"", Some("openssl-ca")),
            ".TH {name} 1SSL \"2026-04-07\""
        );
        assert_eq!(mask("x ca ca", Some("ca")), "x {name} {name}");
        assert_eq!(mask("unchanged", None), "unchanged");
    }
}

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
//! and security changes, and the notes of its content diff, are part of the
//! change: a file that also changes its mode (or owner) is not grouped with
//! one that only changes its text. Only complete text diffs group; anything
//! else (binary, executables, a diff cut by `--max-diff-lines`, an added or
//! removed member) stays on its own.
//!
//! A group never stands for a line it does not have. Its change is shown as
//! a template ([`ChangeGroup::lines`]): the shared changed lines with
//! [`NAME_PLACEHOLDER`] where each file has its own name, never one file's
//! concrete lines as if they were everyone's (`evil.conf` adding
//! `url=https://evil.com` must not read as `url=https://good.com`). And a
//! line that carries an indicator (URL, host, IP address, e-mail address,
//! registry path: [`super::code::surface::has_indicator`]) or holds the
//! name inside a path is not masked at all, so files that differ there do
//! not group: an endpoint is compared as written.
//!
//! Bounded: each change is hashed once (SHA-256 of its masked changed
//! lines) and grouped by hash, so the work is linear in the diff.

use std::collections::HashMap;

use serde::Serialize;

use crate::digest::Sha256Digest;
use crate::release::EntryPath;

use super::code::surface::has_indicator;
use super::{
    ChangeClass, ContentKind, EntryChange, LineTag, MetadataChange, MetadataField, SecurityChange,
};

/// What stands for each file's own name (its stem, in any case) in a
/// group's lines and description.
pub const NAME_PLACEHOLDER: &str = "{name}";
/// Shortest file stem that is masked (a shorter one would mask common
/// words).
const MIN_STEM: usize = 3;
/// Groups need at least this many changes.
const MIN_GROUP: usize = 2;

/// One changed line of a group's template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupLine {
    /// In a group of containers: the member the line is in, the
    /// container's own name replaced by the placeholder (which, in the
    /// line itself, stands for the member's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Removed or added.
    pub tag: LineTag,
    /// The line, each file's own name replaced by the placeholder.
    pub text: String,
}

/// Changes made the same way in several files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeGroup {
    /// The change in brief: the first changed line's leading word and the
    /// changed words (`.TH: 2026-04-07 3.0.20 → 2026-08-25 3.0.22`), the
    /// same for every file once its name is masked (else only the line
    /// counts).
    pub description: String,
    /// How many changes the group holds.
    pub count: u64,
    /// Their paths, in diff order.
    pub paths: Vec<EntryPath>,
    /// What stands for each file's own name in `lines` and `description`:
    /// always [`NAME_PLACEHOLDER`].
    pub placeholder: &'static str,
    /// The change every file of the group made: its removed and added
    /// lines in order, each file's own name replaced by `placeholder`.
    pub lines: Vec<GroupLine>,
    /// Metadata changes every file of the group made (the mtime, which a
    /// rebuild sets per file, is not compared).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataChange>,
    /// Security-relevant changes every file of the group made.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<SecurityChange>,
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
            let head = &changes[g[0]];
            ChangeGroup {
                description: shared_description(&g, changes),
                count: g.len() as u64,
                paths: g.iter().map(|&i| changes[i].path.clone()).collect(),
                placeholder: NAME_PLACEHOLDER,
                lines: template(head, &members, changes),
                metadata: shared_metadata(head),
                security: head.security.clone(),
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
/// [`NAME_PLACEHOLDER`].
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
        out.push_str(NAME_PLACEHOLDER);
        at += i + stem.len();
    }
    out.push_str(&line[at..]);
    out
}

/// A changed line of a file's content, masked as [`mask`] does unless the
/// name is part of what the line points at: a line that carries an
/// indicator (`url=https://evil.com` in `evil.conf`) or holds the name
/// inside a path (`/etc/evil/x`) is kept as written, so two files that
/// differ there never share a key.
fn mask_line(line: &str, stem: Option<&str>) -> String {
    let Some(s) = stem else {
        return line.to_string();
    };
    let lower = line.to_lowercase();
    if !lower.contains(s) {
        return line.to_string();
    }
    // Per whitespace-separated word, so the work is linear in the line (a
    // name with a space in it is never masked: it spans words).
    let in_path = s.contains(char::is_whitespace)
        || lower
            .split(char::is_whitespace)
            .any(|w| w.contains(s) && w.contains(['/', '\\']));
    if in_path || has_indicator(line) {
        return line.to_string();
    }
    mask(line, stem)
}

/// The changed lines of a complete modified text diff, masked with
/// [`mask_line`].
fn text_lines(c: &EntryChange) -> Option<Vec<GroupLine>> {
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
    Some(
        text.hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.tag != LineTag::Context)
            .map(|l| GroupLine {
                member: None,
                tag: l.tag,
                text: mask_line(&l.text(), stem.as_deref()),
            })
            .collect(),
    )
}

/// The key of a modified text file: its changed lines, name masked.
fn text_key(c: &EntryChange) -> Option<Sha256Digest> {
    let lines = text_lines(c)?;
    let mut key = Vec::new();
    for l in &lines {
        key.push(if l.tag == LineTag::Removed {
            b'-'
        } else {
            b'+'
        });
        key.extend_from_slice(l.text.as_bytes());
        key.push(b'\n');
    }
    // What else the detail of a text change shows: its structured diff
    // (masked like its lines) and its notes.
    let content = c.content.as_ref()?;
    if let Some(s) = &content.structured {
        key.push(0);
        key.extend_from_slice(mask_line(&format!("{s:?}"), stem(c).as_deref()).as_bytes());
    }
    key.push(0);
    key.extend_from_slice(format!("{:?}", content.notes).as_bytes());
    Some(own_metadata(c, key))
}

/// `c`'s metadata changes but the mtime (which a rebuild sets per file).
fn shared_metadata(c: &EntryChange) -> Vec<MetadataChange> {
    c.metadata
        .iter()
        .filter(|m| m.field != MetadataField::Mtime)
        .cloned()
        .collect()
}

/// `key` with `c`'s own metadata (but the mtime) and security changes
/// appended, hashed: two changes group only when these are equal too.
fn own_metadata(c: &EntryChange, mut key: Vec<u8>) -> Sha256Digest {
    key.push(0);
    for m in shared_metadata(c) {
        key.extend_from_slice(format!("{m:?}\n").as_bytes());
    }
    key.extend_from_slice(format!("{:?}", c.security).as_bytes());
    Sha256Digest::of(&key)
}

/// Whether `c` is a modified archive (a container whose members may
/// group).
fn is_modified_container(c: &EntryChange) -> bool {
    c.class == ChangeClass::Modified
        && c.content.as_ref().and_then(|x| x.kind) == Some(ContentKind::Archive)
}

/// The key of a modified container whose every member change has a key:
/// the members' masked names and keys.
fn container_key(
    c: &EntryChange,
    members: &HashMap<EntryPath, Vec<usize>>,
    keys: &[Option<Sha256Digest>],
    changes: &[EntryChange],
) -> Option<Sha256Digest> {
    if !is_modified_container(c) {
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

/// The template of a group whose first change is `head`: its masked
/// changed lines, or for a container each member's, under the member's
/// masked name.
fn template(
    head: &EntryChange,
    members: &HashMap<EntryPath, Vec<usize>>,
    changes: &[EntryChange],
) -> Vec<GroupLine> {
    if let Some(lines) = text_lines(head) {
        return lines;
    }
    let stem = stem(head);
    members
        .get(&head.path)
        .into_iter()
        .flatten()
        .flat_map(|&m| {
            let name = mask(&changes[m].path.inner().to_string(), stem.as_deref());
            template(&changes[m], members, changes)
                .into_iter()
                .map(move |l| GroupLine {
                    member: Some(l.member.unwrap_or_else(|| name.clone())),
                    ..l
                })
        })
        .collect()
}

/// The description of the group `g`: its first change's, when every
/// change describes itself the same way once its name is masked (else the
/// changed words differ between files: only the line counts, which are
/// shared, are said).
fn shared_description(g: &[usize], changes: &[EntryChange]) -> String {
    let head = describe(&changes[g[0]], changes);
    if g[1..]
        .iter()
        .all(|&i| describe(&changes[i], changes) == head)
    {
        return head;
    }
    let text = changes[g[0]].content.as_ref().and_then(|x| x.text.as_ref());
    match text {
        Some(t) => format!("-{} +{} lines", t.lines_removed, t.lines_added),
        None => "members changed".into(),
    }
}

/// The first changed line's leading word, then the changed words, each
/// file's own name masked.
fn describe(c: &EntryChange, changes: &[EntryChange]) -> String {
    let stem = stem(c);
    let text = c.content.as_ref().and_then(|x| x.text.as_ref());
    let Some(text) = text else {
        // A container: describe its first member's change.
        return changes
            .iter()
            .find(|m| m.path.container().as_ref() == Some(&c.path) && m.content.is_some())
            .map(|m| {
                let name = mask(&m.path.inner().to_string(), stem.as_deref());
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
    format!("{} ({lines})", mask_line(&brief, stem.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::{mask, mask_line};

    #[test]
    fn a_line_that_points_somewhere_is_kept_as_written() {
        // The man page's `.TH` line masks; a URL, host, e-mail or a path
        // holding the name do not (two files differing there must not
        // share a key).
        let th = ".TH OPENSSL 1 \"2026-08-25\" \"3.0.22\"";
        assert_eq!(
            mask_line(th, Some("openssl")),
            ".TH {name} 1 \"2026-08-25\" \"3.0.22\""
        );
        for line in [
            "url=https://evil.com",
            "server evil.example.net",
            "mail root@evil.org",
            "include /etc/evil/x.conf",
            "load C:\\evil\\x.dll",
        ] {
            assert_eq!(mask_line(line, Some("evil")), line);
        }
    }

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

//! Classification of changes from the two entry lists alone: no content is
//! read here. Identical files are recognised by digest, renames and moves
//! are paired by digest, and a directory whose whole subtree moved is one
//! event rather than one per file.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use globset::{Glob, GlobSet, GlobSetBuilder};
use sha2::{Digest as _, Sha256};

use crate::release::{Entry, EntryKind, EntryPath, RawPath};

use super::{
    ChangeClass, DiffError, DiffOptions, EntryChange, EntryState, MetadataChange, MetadataField,
};

/// Separates container segments in a flat key. NUL sorts before every byte
/// of a name, so flat keys sort like [`EntryPath`]s, container by container.
const SEG: u8 = 0;

/// An entry path as one byte string, for prefix range queries.
fn flat(p: &EntryPath) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, s) in p.segments().iter().enumerate() {
        if i > 0 {
            out.push(SEG);
        }
        out.extend_from_slice(s.as_bytes());
    }
    out
}

fn unflat(key: &[u8]) -> EntryPath {
    let mut parts = key.split(|&b| b == SEG);
    let mut p = EntryPath::top(RawPath(parts.next().unwrap_or_default().to_vec()));
    for part in parts {
        p = p.child(RawPath(part.to_vec()));
    }
    p
}

/// Compiles `--exclude` patterns.
pub fn exclude_set(patterns: &[String]) -> Result<GlobSet, DiffError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = Glob::new(p).map_err(|e| DiffError::BadExclude {
            pattern: p.clone(),
            reason: e.kind().to_string(),
        })?;
        b.add(g);
    }
    b.build().map_err(|e| DiffError::BadExclude {
        pattern: patterns.join(" "),
        reason: e.to_string(),
    })
}

/// Whether an entry is excluded: its full path, its innermost path, or any
/// enclosing container matches.
fn excluded(set: &GlobSet, p: &EntryPath) -> bool {
    if set.is_empty() {
        return false;
    }
    let segs = p.segments();
    let mut prefix = String::new();
    for (i, s) in segs.iter().enumerate() {
        if i > 0 {
            prefix.push('!');
        }
        prefix.push_str(&s.to_string());
        if set.is_match(&prefix) || set.is_match(s.to_string()) {
            return true;
        }
    }
    false
}

fn content_id(e: &Entry) -> Vec<u8> {
    match e.kind {
        EntryKind::File => e
            .digests
            .map(|d| d.sha256.0.to_vec())
            .unwrap_or_else(|| e.size.to_be_bytes().to_vec()),
        EntryKind::Symlink | EntryKind::Hardlink => e
            .link_target
            .as_ref()
            .map(|t| t.as_bytes().to_vec())
            .unwrap_or_default(),
        EntryKind::Dir | EntryKind::Other => Vec::new(),
    }
}

fn format_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

fn format_owner(o: &Option<crate::release::Owner>) -> String {
    match o {
        None => "-".into(),
        Some(o) => {
            let id = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
            let mut s = format!("{}:{}", id(o.uid), id(o.gid));
            if o.user.is_some() || o.group.is_some() {
                s.push_str(&format!(
                    " {}/{}",
                    o.user.as_deref().unwrap_or("-"),
                    o.group.as_deref().unwrap_or("-")
                ));
            }
            s
        }
    }
}

fn format_mode(m: Option<u32>) -> String {
    m.map_or("-".into(), |m| format!("{:04o}", m & 0o7777))
}

/// Metadata differences between two entries of the same kind, as the
/// options ask: link targets and changes of the security-relevant mode
/// bits always, any other mode change and owner with `include_metadata`,
/// mtime with `include_mtime`.
pub fn metadata_changes(o: &Entry, n: &Entry, opts: &DiffOptions) -> Vec<MetadataChange> {
    let mut out = Vec::new();
    if o.link_target != n.link_target {
        let t = |t: &Option<RawPath>| t.as_ref().map_or("-".into(), |t| t.to_string());
        out.push(MetadataChange {
            field: MetadataField::LinkTarget,
            old: t(&o.link_target),
            new: t(&n.link_target),
        });
    }
    let (om, nm) = (o.mode.map(|m| m & 0o7777), n.mode.map(|m| m & 0o7777));
    // The bits that decide who may run the file and with whose privileges
    // are shown whatever the options (issue 14: a new setuid bit must
    // never be invisible); a side without a recorded mode is not compared.
    let security_bits = match (om, nm) {
        (Some(a), Some(b)) => (a ^ b) & super::security::SECURITY_MODE_BITS != 0,
        _ => false,
    };
    if om != nm && (opts.include_metadata || security_bits) {
        out.push(MetadataChange {
            field: MetadataField::Mode,
            old: format_mode(om),
            new: format_mode(nm),
        });
    }
    if opts.include_metadata && o.owner != n.owner {
        out.push(MetadataChange {
            field: MetadataField::Owner,
            old: format_owner(&o.owner),
            new: format_owner(&n.owner),
        });
    }
    if opts.include_mtime && o.mtime != n.mtime {
        let t = |t: Option<i64>| t.map_or("-".into(), format_time);
        out.push(MetadataChange {
            field: MetadataField::Mtime,
            old: t(o.mtime),
            new: t(n.mtime),
        });
    }
    out
}

/// One side's entries, keyed for prefix queries, with members of containers
/// absent on the other side folded into that container.
struct SideIndex<'a> {
    by_key: BTreeMap<Vec<u8>, &'a Entry>,
}

impl<'a> SideIndex<'a> {
    fn new(entries: &'a [Entry], opts: &DiffOptions, excludes: &GlobSet) -> Self {
        let by_key = entries
            .iter()
            .filter(|e| e.path.depth() <= opts.max_depth && !excluded(excludes, &e.path))
            .map(|e| (flat(&e.path), e))
            .collect();
        Self { by_key }
    }

    fn has(&self, key: &[u8]) -> bool {
        self.by_key.contains_key(key)
    }

    /// Whether anything exists at `dir` or below it.
    fn has_dir(&self, dir: &[u8]) -> bool {
        if self.by_key.contains_key(dir) {
            return true;
        }
        let mut lo = dir.to_vec();
        lo.push(b'/');
        self.by_key
            .range(lo.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&lo))
    }

    /// Entries strictly below `dir` (including members of containers below it).
    fn under<'s>(&'s self, dir: &[u8]) -> impl Iterator<Item = (&'s Vec<u8>, &'a Entry)> + 's {
        let mut lo = dir.to_vec();
        lo.push(b'/');
        let lo2 = lo.clone();
        self.by_key
            .range(lo..)
            .take_while(move |(k, _)| k.starts_with(&lo2))
            .map(|(k, e)| (k, *e))
    }
}

/// The outermost container of `e` that is absent from `other`, if any: `e`
/// is then reported as part of that container's event.
fn absent_container(e: &Entry, other: &SideIndex) -> Option<Vec<u8>> {
    let segs = e.path.segments();
    let mut key = Vec::new();
    for (i, s) in segs[..segs.len() - 1].iter().enumerate() {
        if i > 0 {
            key.push(SEG);
        }
        key.extend_from_slice(s.as_bytes());
        if !other.has(&key) {
            return Some(key);
        }
    }
    None
}

/// Ancestor directories of a key within its innermost segment, shallowest
/// first: `c.zip\0a/b/f` gives `c.zip\0a`, `c.zip\0a/b`.
fn ancestor_dirs(key: &[u8]) -> Vec<Vec<u8>> {
    let start = key.iter().rposition(|&b| b == SEG).map_or(0, |i| i + 1);
    key[start..]
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'/')
        .map(|(i, _)| key[..start + i].to_vec())
        .filter(|k| k.len() > start)
        .collect()
}

/// Digest of a directory's subtree: relative paths, kinds and content
/// identities; equal signatures mean the same tree under another name.
fn subtree_signature(side: &SideIndex, dir: &[u8]) -> Option<([u8; 32], u64)> {
    let mut h = Sha256::new();
    let mut count = 0u64;
    let mut files = 0u64;
    for (k, e) in side.under(dir) {
        let rel = &k[dir.len() + 1..];
        h.update((rel.len() as u64).to_be_bytes());
        h.update(rel);
        h.update([e.kind as u8]);
        let id = content_id(e);
        h.update((id.len() as u64).to_be_bytes());
        h.update(&id);
        count += 1;
        if e.kind != EntryKind::Dir {
            files += 1;
        }
    }
    (files > 0).then(|| (h.finalize().into(), count))
}

fn dir_state(e: Option<&&Entry>) -> EntryState {
    e.map(|e| EntryState::of(e)).unwrap_or(EntryState {
        kind: EntryKind::Dir,
        size: 0,
        sha256: None,
        mode: None,
        link_target: None,
    })
}

/// Classifies every difference between two entry lists. Modified files get
/// no content comparison here (`content` is `None`); see [`super::diff_sources`].
pub fn classify(
    old: &[Entry],
    new: &[Entry],
    opts: &DiffOptions,
) -> Result<Vec<EntryChange>, DiffError> {
    let excludes = exclude_set(&opts.excludes)?;
    let o = SideIndex::new(old, opts, &excludes);
    let n = SideIndex::new(new, opts, &excludes);
    let mut changes = Vec::new();

    // Same path on both sides.
    for (k, oe) in &o.by_key {
        let Some(ne) = n.by_key.get(k) else { continue };
        if let Some(c) = compare_same_path(oe, ne, opts) {
            changes.push(c);
        }
    }

    // Entries on one side only; members of containers that are absent on
    // the other side are folded into the container's event.
    let mut folded_old: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut folded_new: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut removed: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut added: BTreeSet<Vec<u8>> = BTreeSet::new();
    for (k, e) in &o.by_key {
        if n.has(k) {
            continue;
        }
        match absent_container(e, &n) {
            Some(c) => *folded_old.entry(c).or_default() += 1,
            None => {
                removed.insert(k.clone());
            }
        }
    }
    for (k, e) in &n.by_key {
        if o.has(k) {
            continue;
        }
        match absent_container(e, &o) {
            Some(c) => *folded_new.entry(c).or_default() += 1,
            None => {
                added.insert(k.clone());
            }
        }
    }

    // Renamed directories: a directory gone from the new side whose whole
    // subtree reappears, identical, under another name.
    let mut consumed_old: HashSet<Vec<u8>> = HashSet::new();
    let mut consumed_new: HashSet<Vec<u8>> = HashSet::new();
    let gone_dirs = |side_keys: &BTreeSet<Vec<u8>>, side: &SideIndex, other: &SideIndex| {
        let mut dirs: BTreeSet<Vec<u8>> = BTreeSet::new();
        for k in side_keys {
            if side.by_key[k].kind == EntryKind::Dir {
                dirs.insert(k.clone());
            }
            for a in ancestor_dirs(k) {
                if !other.has_dir(&a) {
                    dirs.insert(a);
                }
            }
        }
        let mut v: Vec<Vec<u8>> = dirs.into_iter().filter(|d| !other.has_dir(d)).collect();
        v.sort_by_key(|d| {
            (
                d.iter().filter(|&&b| b == b'/' || b == SEG).count(),
                d.clone(),
            )
        });
        v
    };
    let old_dirs = gone_dirs(&removed, &o, &n);
    let new_dirs = gone_dirs(&added, &n, &o);
    let mut new_sigs: HashMap<[u8; 32], Vec<Vec<u8>>> = HashMap::new();
    for d in &new_dirs {
        if let Some((sig, _)) = subtree_signature(&n, d) {
            new_sigs.entry(sig).or_default().push(d.clone());
        }
    }
    for d in &old_dirs {
        if consumed_old.contains(d) {
            continue;
        }
        let Some((sig, count)) = subtree_signature(&o, d) else {
            continue;
        };
        let Some(cands) = new_sigs.get_mut(&sig) else {
            continue;
        };
        cands.retain(|c| !consumed_new.contains(c));
        if cands.is_empty() {
            continue;
        }
        let target = cands.remove(0);
        for (k, _) in o.under(d) {
            consumed_old.insert(k.clone());
        }
        for (k, _) in n.under(&target) {
            consumed_new.insert(k.clone());
        }
        consumed_old.insert(d.clone());
        consumed_new.insert(target.clone());
        let (od, nd) = (o.by_key.get(d), n.by_key.get(&target));
        let metadata = match (od, nd) {
            (Some(a), Some(b)) => metadata_changes(a, b, opts),
            _ => Vec::new(),
        };
        changes.push(EntryChange {
            class: ChangeClass::Renamed,
            path: unflat(&target),
            old_path: Some(unflat(d)),
            old: Some(dir_state(od)),
            new: Some(dir_state(nd)),
            metadata,
            members: Some(count),
            content: None,
            security: Vec::new(),
            group: None,
        });
    }
    removed.retain(|k| !consumed_old.contains(k));
    added.retain(|k| !consumed_new.contains(k));

    // Renamed files: same non-empty content, different path. Among several
    // candidates, one with the same file name wins, then path order.
    let mut added_by_digest: HashMap<Vec<u8>, Vec<Vec<u8>>> = HashMap::new();
    for k in &added {
        let e = n.by_key[k];
        if e.kind == EntryKind::File && e.size > 0 && e.digests.is_some() {
            added_by_digest
                .entry(content_id(e))
                .or_default()
                .push(k.clone());
        }
    }
    for k in &removed {
        let oe = o.by_key[k];
        if oe.kind != EntryKind::File || oe.size == 0 || oe.digests.is_none() {
            continue;
        }
        let Some(cands) = added_by_digest.get_mut(&content_id(oe)) else {
            continue;
        };
        if cands.is_empty() {
            continue;
        }
        let pick = cands
            .iter()
            .position(|c| n.by_key[c].path.inner().file_name() == oe.path.inner().file_name())
            .unwrap_or(0);
        let nk = cands.remove(pick);
        let ne = n.by_key[&nk];
        consumed_old.insert(k.clone());
        consumed_new.insert(nk.clone());
        changes.push(EntryChange {
            class: ChangeClass::Renamed,
            path: ne.path.clone(),
            old_path: Some(oe.path.clone()),
            old: Some(EntryState::of(oe)),
            new: Some(EntryState::of(ne)),
            metadata: metadata_changes(oe, ne, opts),
            members: folded_new.get(&nk).copied(),
            content: None,
            security: Vec::new(),
            group: None,
        });
    }

    for k in removed.iter().filter(|k| !consumed_old.contains(*k)) {
        let e = o.by_key[k];
        changes.push(one_side(
            ChangeClass::Removed,
            e,
            folded_old.get(k).copied(),
        ));
    }
    for k in added.iter().filter(|k| !consumed_new.contains(*k)) {
        let e = n.by_key[k];
        changes.push(one_side(ChangeClass::Added, e, folded_new.get(k).copied()));
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path).then(a.class.cmp(&b.class)));
    Ok(changes)
}

/// An entry only the old release (`Removed`) or only the new one (`Added`)
/// holds.
fn one_side(class: ChangeClass, e: &Entry, members: Option<u64>) -> EntryChange {
    let state = Some(EntryState::of(e));
    let (old, new) = if class == ChangeClass::Removed {
        (state, None)
    } else {
        (None, state)
    };
    EntryChange {
        class,
        path: e.path.clone(),
        old_path: None,
        old,
        new,
        metadata: Vec::new(),
        members,
        content: None,
        security: Vec::new(),
        group: None,
    }
}

fn compare_same_path(oe: &Entry, ne: &Entry, opts: &DiffOptions) -> Option<EntryChange> {
    let change = |class, metadata| EntryChange {
        class,
        path: ne.path.clone(),
        old_path: None,
        old: Some(EntryState::of(oe)),
        new: Some(EntryState::of(ne)),
        metadata,
        members: None,
        content: None,
        security: Vec::new(),
        group: None,
    };
    if oe.kind != ne.kind {
        return Some(change(ChangeClass::TypeChanged, Vec::new()));
    }
    let metadata = metadata_changes(oe, ne, opts);
    let content_differs = oe.kind == EntryKind::File
        && (oe.size != ne.size || oe.digests.map(|d| d.sha256) != ne.digests.map(|d| d.sha256));
    if content_differs {
        Some(change(ChangeClass::Modified, metadata))
    } else if !metadata.is_empty() {
        Some(change(ChangeClass::Metadata, metadata))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::source::memory::{dir, file, path, symlink};
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<Entry> {
        let mut v: Vec<Entry> = list.iter().map(|(p, c)| file(p, c.as_bytes()).0).collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    fn classes(changes: &[EntryChange]) -> Vec<(String, String)> {
        changes
            .iter()
            .map(|c| {
                let p = match &c.old_path {
                    Some(o) => format!("{o} -> {}", c.path),
                    None => c.path.to_string(),
                };
                (c.class.as_str().to_string(), p)
            })
            .collect()
    }

    #[test]
    fn identical_lists_give_no_changes() {
        let a = files(&[("p/a", "1"), ("p/b", "2")]);
        assert!(
            classify(&a, &a.clone(), &DiffOptions::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn added_removed_modified_and_renamed_files() {
        let a = files(&[
            ("p/keep", "k"),
            ("p/gone", "g"),
            ("p/edit", "v1"),
            ("p/old", "moved"),
        ]);
        let b = files(&[
            ("p/keep", "k"),
            ("p/new", "n"),
            ("p/edit", "v2"),
            ("q/old2", "moved"),
        ]);
        let got = classes(&classify(&a, &b, &DiffOptions::default()).unwrap());
        let want = [
            ("modified", "p/edit"),
            ("removed", "p/gone"),
            ("added", "p/new"),
            ("renamed", "p/old -> q/old2"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_copy_of_a_file_that_stays_is_an_addition_not_a_rename() {
        let a = files(&[("lib/a.so", "elf")]);
        let b = files(&[("lib/a.so", "elf"), ("new/extra.so", "elf")]);
        let got = classes(&classify(&a, &b, &DiffOptions::default()).unwrap());
        assert_eq!(got, vec![("added".into(), "new/extra.so".into())]);
    }

    #[test]
    fn renamed_directory_is_one_event() {
        let mut a = files(&[
            ("p/d/x", "1"),
            ("p/d/y", "2"),
            ("p/d/__init__.py", ""),
            ("p/z", "3"),
        ]);
        a.push(dir("p/d"));
        a.sort_by(|x, y| x.path.cmp(&y.path));
        let mut b = files(&[
            ("p/d_new/x", "1"),
            ("p/d_new/y", "2"),
            ("p/d_new/__init__.py", ""),
            ("p/z", "3"),
        ]);
        b.push(dir("p/d_new"));
        b.sort_by(|x, y| x.path.cmp(&y.path));
        let changes = classify(&a, &b, &DiffOptions::default()).unwrap();
        assert_eq!(
            classes(&changes),
            vec![("renamed".into(), "p/d -> p/d_new".into())]
        );
        assert_eq!(changes[0].members, Some(3));
        assert_eq!(changes[0].new.as_ref().unwrap().kind, EntryKind::Dir);
    }

    #[test]
    fn renamed_directory_without_directory_entries_is_one_event() {
        let a = files(&[("p/d/x", "1"), ("p/d/y", "2")]);
        let b = files(&[("p/e/x", "1"), ("p/e/y", "2")]);
        let changes = classify(&a, &b, &DiffOptions::default()).unwrap();
        assert_eq!(
            classes(&changes),
            vec![("renamed".into(), "p/d -> p/e".into())]
        );
    }

    #[test]
    fn directory_with_a_changed_file_is_not_a_rename() {
        let a = files(&[("d/x", "1"), ("d/y", "2")]);
        let b = files(&[("e/x", "1"), ("e/y", "changed")]);
        let got = classes(&classify(&a, &b, &DiffOptions::default()).unwrap());
        assert_eq!(
            got,
            vec![
                ("removed".into(), "d/y".into()),
                ("renamed".into(), "d/x -> e/x".into()),
                ("added".into(), "e/y".into()),
            ]
        );
    }

    #[test]
    fn metadata_changes_follow_the_options() {
        let a = files(&[("f", "same")]);
        let mut b = a.clone();
        // Group-writable: not a security-relevant bit, so hidden by default
        // (execute, setuid... are always shown: see
        // `security_relevant_mode_bits_are_shown_by_default`).
        b[0].mode = Some(0o100664);
        b[0].mtime = Some(1_800_000_000);
        let default = classify(&a, &b, &DiffOptions::default()).unwrap();
        assert!(default.is_empty(), "mode and mtime are off by default");
        let opts = DiffOptions {
            include_metadata: true,
            ..DiffOptions::default()
        };
        let c = classify(&a, &b, &opts).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].class, ChangeClass::Metadata);
        assert_eq!(c[0].metadata.len(), 1);
        assert_eq!(
            (c[0].metadata[0].old.as_str(), c[0].metadata[0].new.as_str()),
            ("0644", "0664")
        );
        let opts = DiffOptions {
            include_metadata: true,
            include_mtime: true,
            ..DiffOptions::default()
        };
        let c = classify(&a, &b, &opts).unwrap();
        assert_eq!(c[0].metadata.len(), 2);
        assert_eq!(c[0].metadata[1].field, MetadataField::Mtime);
        assert_eq!(c[0].metadata[1].new, "2027-01-15T08:00:00Z");
    }

    #[test]
    fn security_relevant_mode_bits_are_shown_by_default() {
        let a = files(&[("su", "same"), ("tmp", "same"), ("tool", "same")]);
        let mut b = a.clone();
        b[0].mode = Some(0o104644);
        b[1].mode = Some(0o100646);
        b[2].mode = Some(0o100755);
        let c = classify(&a, &b, &DiffOptions::default()).unwrap();
        let modes: Vec<(&str, &str, &str)> = c
            .iter()
            .map(|c| {
                assert_eq!(c.class, ChangeClass::Metadata);
                assert_eq!(c.metadata[0].field, MetadataField::Mode);
                let m = &c.metadata[0];
                (c.path.inner().as_bytes(), m.old.as_str(), m.new.as_str())
            })
            .map(|(p, o, n)| (std::str::from_utf8(p).unwrap(), o, n))
            .collect();
        assert_eq!(
            modes,
            vec![
                ("su", "0644", "4644"),
                ("tmp", "0644", "0646"),
                ("tool", "0644", "0755")
            ]
        );
    }

    #[test]
    fn symlink_retarget_is_always_reported_and_type_change_is_detected() {
        let a = vec![symlink("l", "a.so"), file("t", b"x").0];
        let b = vec![symlink("l", "b.so"), symlink("t", "x")];
        let c = classify(&a, &b, &DiffOptions::default()).unwrap();
        assert_eq!(c[0].class, ChangeClass::Metadata);
        assert_eq!(c[0].metadata[0].field, MetadataField::LinkTarget);
        assert_eq!(c[0].metadata[0].new, "b.so");
        assert_eq!(c[1].class, ChangeClass::TypeChanged);
    }

    #[test]
    fn nested_members_are_compared_one_by_one_and_folded_when_container_is_new() {
        let a = files(&[
            ("lib.zip", "zip1"),
            ("lib.zip!a.txt", "1"),
            ("lib.zip!b.txt", "2"),
        ]);
        let b = files(&[
            ("lib.zip", "zip2"),
            ("lib.zip!a.txt", "1"),
            ("lib.zip!b.txt", "2b"),
            ("more.zip", "zip3"),
            ("more.zip!m", "m"),
            ("more.zip!n", "n"),
        ]);
        let c = classify(&a, &b, &DiffOptions::default()).unwrap();
        assert_eq!(
            classes(&c),
            vec![
                ("modified".into(), "lib.zip".into()),
                ("modified".into(), "lib.zip!b.txt".into()),
                ("added".into(), "more.zip".into()),
            ]
        );
        assert_eq!(c[2].members, Some(2));
    }

    #[test]
    fn excludes_and_max_depth_drop_entries() {
        let a = files(&[
            ("x.pyc", "1"),
            ("lib.zip", "z"),
            ("lib.zip!a", "1"),
            ("keep", "1"),
        ]);
        let b = files(&[
            ("x.pyc", "2"),
            ("lib.zip", "y"),
            ("lib.zip!a", "2"),
            ("keep", "2"),
        ]);
        let opts = DiffOptions {
            excludes: vec!["*.pyc".into(), "lib.zip".into()],
            ..DiffOptions::default()
        };
        assert_eq!(
            classes(&classify(&a, &b, &opts).unwrap()),
            vec![("modified".into(), "keep".into())]
        );
        let opts = DiffOptions {
            max_depth: 0,
            ..DiffOptions::default()
        };
        let got = classes(&classify(&a, &b, &opts).unwrap());
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.iter().all(|(_, p)| !p.contains('!')));
        let bad = DiffOptions {
            excludes: vec!["a[".into()],
            ..DiffOptions::default()
        };
        assert!(matches!(
            classify(&a, &b, &bad),
            Err(DiffError::BadExclude { .. })
        ));
    }

    #[test]
    fn flat_keys_round_trip_and_ancestors() {
        let p = path("c.zip!a/b/f");
        assert_eq!(unflat(&flat(&p)), p);
        let anc: Vec<String> = ancestor_dirs(&flat(&p))
            .iter()
            .map(|k| unflat(k).to_string())
            .collect();
        assert_eq!(anc, vec!["c.zip!a", "c.zip!a/b"]);
    }
}

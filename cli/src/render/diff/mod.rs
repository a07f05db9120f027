//! Renderers of a [`ReleaseDiff`]: `text` (diff-like, default), `json`,
//! `markdown` and `html`.

pub mod code;
pub mod html;
pub mod markdown;
pub mod text;

use glassbox_core::diff::{
    BinaryDiff, ChangeClass, ChangedExecutable, EntryChange, ExecutableDiff, HexWindow,
    KeyChangeOp, LineTag, ReleaseDiff, StructuredDiff, TextDiff,
};

/// Symbol names shown per list before "… and N more".
const SYMBOLS_SHOWN: usize = 20;
/// Byte ranges listed per file.
const RANGES_SHOWN: usize = 10;
/// Security-relevant changes listed in a summary before "… and N more"
/// (each is in the change list too).
pub const SECURITY_SHOWN: usize = 200;

/// The role of a detail line, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Plain.
    Plain,
    /// Removed / old.
    Old,
    /// Added / new.
    New,
    /// Hunk header or heading.
    Head,
    /// A warning the auditor must see.
    Warn,
}

/// The note on a changed executable in the summary, with its tone: a
/// patched binary warns; a change confined to post-link sections is named.
pub fn executable_note(e: &ChangedExecutable) -> Option<(Tone, &'static str)> {
    if e.build_id_unchanged {
        Some((Tone::Warn, "modified after build-id was computed"))
    } else if e.debug_link_updated {
        Some((Tone::Plain, "debug link updated"))
    } else if e.code_identical_resigned {
        Some((
            Tone::Plain,
            glassbox_core::diff::compare::CODE_IDENTICAL_RESIGNED,
        ))
    } else {
        None
    }
}

/// The one-letter code of a class, as `git diff --name-status`.
pub fn class_code(c: ChangeClass) -> &'static str {
    match c {
        ChangeClass::Added => "A",
        ChangeClass::Removed => "D",
        ChangeClass::Modified => "M",
        ChangeClass::Metadata => "m",
        ChangeClass::Renamed => "R",
        ChangeClass::TypeChanged => "T",
    }
}

/// One short line describing a change (after its path).
pub fn change_brief(c: &EntryChange) -> String {
    let mut parts: Vec<String> = Vec::new();
    match c.class {
        ChangeClass::TypeChanged => {
            if let (Some(o), Some(n)) = (&c.old, &c.new) {
                parts.push(format!("{:?} -> {:?}", o.kind, n.kind).to_lowercase());
            }
        }
        ChangeClass::Modified => {
            if let (Some(o), Some(n)) = (&c.old, &c.new) {
                parts.push(format!("{} -> {} bytes", o.size, n.size));
            }
            if let Some(k) = c.content.as_ref().and_then(|x| x.kind) {
                parts.push(format!("{k:?}").to_lowercase());
            }
        }
        ChangeClass::Added | ChangeClass::Removed => {
            let s = c.new.as_ref().or(c.old.as_ref());
            if let Some(s) = s {
                match &s.link_target {
                    Some(t) => parts.push(format!("-> {t}")),
                    None if s.kind == glassbox_core::release::EntryKind::File => {
                        parts.push(format!("{} bytes", s.size))
                    }
                    None => parts.push(format!("{:?}", s.kind).to_lowercase()),
                }
            }
            if let Some(f) = c
                .content
                .as_ref()
                .and_then(|x| x.executable_format.as_deref())
            {
                parts.push(f.to_string());
            }
        }
        _ => {}
    }
    if let Some(m) = c.members {
        parts.push(format!("{m} entries"));
    }
    for m in &c.metadata {
        let f = serde_json::to_value(m.field)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        parts.push(format!("{f} {} -> {}", m.old, m.new));
    }
    if let Some(sec) = security_brief(c) {
        parts.push(sec);
    }
    parts.join(", ")
}

/// How a change shows in the list: on its own, as the first of its group
/// (which stands for the whole group), or not at all (a later member of a
/// group, listed under the first).
pub enum Listed<'a> {
    /// Not in a group.
    Alone,
    /// The first change of this group.
    GroupHead(&'a glassbox_core::diff::ChangeGroup),
    /// Listed with its group's first change.
    InGroup,
}

/// Where `c` shows in the list of `d`.
pub fn listed<'a>(d: &'a ReleaseDiff, c: &EntryChange) -> Listed<'a> {
    match c.group.and_then(|n| d.groups.get(n)) {
        None => Listed::Alone,
        Some(g) if g.paths.first() == Some(&c.path) => Listed::GroupHead(g),
        Some(_) => Listed::InGroup,
    }
}

/// A group's files for a table cell, each through `code` (escaping and
/// code markup of the format), one a line (`<br>`, which Markdown tables
/// and HTML both read).
pub fn group_files(g: &glassbox_core::diff::ChangeGroup, code: impl Fn(&str) -> String) -> String {
    g.paths
        .iter()
        .map(|p| code(&p.to_string()))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The headline of a group: `same change in 187 files: ...`, with the
/// metadata changes its files share.
pub fn group_line(g: &glassbox_core::diff::ChangeGroup) -> String {
    let mut line = format!("same change in {} files: {}", g.count, g.description);
    for m in &g.metadata {
        let f = serde_json::to_value(m.field)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        line.push_str(&format!(", {f} {} -> {}", m.old, m.new));
    }
    line
}

/// The detail section of a modified change in `d`: what its title adds
/// (the size of the group it stands for) and its lines — a group's
/// template, never its first file's own lines. `None` for a later member
/// of a group.
pub fn detail_section(d: &ReleaseDiff, c: &EntryChange) -> Option<(String, Vec<(Tone, String)>)> {
    match listed(d, c) {
        Listed::InGroup => None,
        Listed::GroupHead(g) => Some((
            format!(" (same change in {} files)", g.count),
            group_template_lines(g),
        )),
        Listed::Alone => Some((String::new(), detail_lines(c))),
    }
}

/// A group's change as every format shows it: the template of its changed
/// lines, each file's own name standing as the placeholder, said so first
/// (one file's concrete lines would read as everyone's).
pub fn group_template_lines(g: &glassbox_core::diff::ChangeGroup) -> Vec<(Tone, String)> {
    let mut out = vec![(
        Tone::Head,
        format!(
            "the changed lines of every one of the {} files, {} standing for each file's own name:",
            g.count, g.placeholder
        ),
    )];
    let mut member = None;
    for l in &g.lines {
        if l.member.is_some() && l.member != member {
            member = l.member.clone();
            out.push((
                Tone::Head,
                format!("in {}:", l.member.as_deref().unwrap_or_default()),
            ));
        }
        let (tone, sign) = match l.tag {
            LineTag::Removed => (Tone::Old, '-'),
            _ => (Tone::New, '+'),
        };
        out.push((tone, format!("{sign}{}", l.text)));
    }
    out
}

/// The security-relevant changes of one entry in words (`setuid gained,
/// executable gained`), or `None`.
pub fn security_brief(c: &EntryChange) -> Option<String> {
    (!c.security.is_empty()).then(|| {
        c.security
            .iter()
            .map(|s| format!("{} {}", s.flag.as_str(), s.direction.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The changes with security-relevant metadata, each with its words, for
/// the summary every format shows first.
pub fn security_rows(d: &ReleaseDiff) -> Vec<(&EntryChange, String)> {
    d.changes
        .iter()
        .filter_map(|c| security_brief(c).map(|b| (c, b)))
        .collect()
}

/// The path column: `old -> new` for renames.
pub fn change_path(c: &EntryChange) -> String {
    match &c.old_path {
        Some(o) => format!("{o} -> {}", c.path),
        None => c.path.to_string(),
    }
}

/// Title and lines of each changed function's disassembly diff in a
/// change (empty for anything but a compared executable).
pub fn function_diffs(c: &EntryChange) -> Vec<(String, Vec<(Tone, String)>)> {
    c.content
        .as_ref()
        .and_then(|x| x.code.as_ref())
        .map(code::function_diffs)
        .unwrap_or_default()
}

/// One summary line: `20 added, 10 removed, ...`.
pub fn summary_line(d: &ReleaseDiff) -> String {
    let s = &d.summary;
    format!(
        "{} added, {} removed, {} modified, {} renamed, {} metadata, {} type-changed",
        s.added, s.removed, s.modified, s.renamed, s.metadata, s.type_changed
    )
}

fn short(d: &Option<glassbox_core::digest::Sha256Digest>) -> String {
    d.map_or("-".into(), |d| d.to_hex()[..16].to_string())
}

/// Plain-text detail of a change's content: unified diff, key changes,
/// section table, byte ranges and hexdump, notes.
pub fn detail_lines(c: &EntryChange) -> Vec<(Tone, String)> {
    let mut out = Vec::new();
    if let (Some(o), Some(n)) = (&c.old, &c.new)
        && o.sha256 != n.sha256
    {
        out.push((
            Tone::Old,
            format!("old sha256 {}", o.sha256.map_or("-".into(), |d| d.to_hex())),
        ));
        out.push((
            Tone::New,
            format!("new sha256 {}", n.sha256.map_or("-".into(), |d| d.to_hex())),
        ));
    }
    let Some(content) = &c.content else {
        return out;
    };
    for note in &content.notes {
        out.push((Tone::Warn, format!("note: {note}")));
    }
    if let Some(a) = &content.authenticode {
        // The headline warns unless only the signing changed.
        let tone = if a.resigned_only() {
            Tone::Head
        } else {
            Tone::Warn
        };
        for (i, line) in a.lines().into_iter().enumerate() {
            out.push((if i == 0 { tone } else { Tone::Plain }, line));
        }
    }
    if let Some(e) = &content.executable {
        executable_lines(e, &mut out);
    }
    if let Some(code) = &content.code {
        code::code_lines(code, &mut out);
    }
    if let Some(s) = &content.structured {
        structured_lines(s, &mut out);
    }
    if let Some(t) = &content.text {
        text_lines(t, &mut out);
    }
    if let Some(b) = &content.binary {
        binary_lines(b, &mut out);
    }
    out
}

fn executable_lines(e: &ExecutableDiff, out: &mut Vec<(Tone, String)>) {
    out.push((Tone::Head, format!("{} ({})", e.format, e.architecture)));
    let id = |b: &Option<String>| b.clone().unwrap_or_else(|| "none".into());
    if e.old_build_id == e.new_build_id {
        out.push((
            Tone::Plain,
            format!("build-id {} (unchanged)", id(&e.new_build_id)),
        ));
    } else {
        out.push((Tone::Old, format!("build-id {}", id(&e.old_build_id))));
        out.push((Tone::New, format!("build-id {}", id(&e.new_build_id))));
    }
    if e.build_id_unchanged {
        out.push((
            Tone::Warn,
            "WARNING: modified after build-id was computed".into(),
        ));
    }
    if !e.debug_link_updated.is_empty() {
        out.push((
            Tone::Plain,
            format!(
                "debug link updated: only {} changed (rewritten after linking)",
                e.debug_link_updated.join(", ")
            ),
        ));
    }
    let changed: Vec<_> = e.sections.iter().filter(|s| s.changed).collect();
    out.push((
        Tone::Head,
        format!(
            "sections: {} changed of {}",
            changed.len(),
            e.sections.len()
        ),
    ));
    for s in changed {
        let size = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
        out.push((
            Tone::Plain,
            format!(
                "  {:<24} {:>10} -> {:<10} {} -> {}",
                s.name,
                size(s.old_size),
                size(s.new_size),
                short(&s.old_sha256),
                short(&s.new_sha256)
            ),
        ));
    }
    let sym = &e.symbols;
    let list = |names: &[String], total: u64| {
        let mut s = names
            .iter()
            .take(SYMBOLS_SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if total as usize > SYMBOLS_SHOWN.min(names.len()) {
            s.push_str(&format!(
                " … and {} more",
                total as usize - SYMBOLS_SHOWN.min(names.len())
            ));
        }
        s
    };
    if sym.added_count + sym.removed_count + sym.changed_count == 0 {
        out.push((Tone::Plain, "symbols: unchanged".into()));
    }
    for (tone, what, names, count) in [
        (Tone::New, "added", &sym.added, sym.added_count),
        (Tone::Old, "removed", &sym.removed, sym.removed_count),
        (Tone::Plain, "changed", &sym.changed, sym.changed_count),
    ] {
        if count > 0 {
            out.push((
                tone,
                format!("symbols {what} ({count}): {}", list(names, count)),
            ));
        }
    }
}

fn structured_lines(s: &StructuredDiff, out: &mut Vec<(Tone, String)>) {
    out.push((
        Tone::Head,
        format!("{} keys: {} changes", s.format, s.change_count),
    ));
    for k in &s.changes {
        let v = |x: &Option<String>| x.clone().unwrap_or_default();
        out.push(match k.op {
            KeyChangeOp::Added => (Tone::New, format!("+ {} = {}", k.path, v(&k.new))),
            KeyChangeOp::Removed => (Tone::Old, format!("- {} = {}", k.path, v(&k.old))),
            KeyChangeOp::Changed => (
                Tone::Plain,
                format!("~ {}: {} -> {}", k.path, v(&k.old), v(&k.new)),
            ),
        });
    }
    if s.change_count as usize > s.changes.len() {
        out.push((
            Tone::Warn,
            format!(
                "… {} more key changes not shown",
                s.change_count as usize - s.changes.len()
            ),
        ));
    }
}

/// The unified hunk header `@@ -a,b +c,d @@`.
pub fn hunk_header(h: &glassbox_core::diff::Hunk) -> String {
    format!(
        "@@ -{},{} +{},{} @@",
        h.old_start, h.old_lines, h.new_start, h.new_lines
    )
}

fn text_lines(t: &TextDiff, out: &mut Vec<(Tone, String)>) {
    out.push((
        Tone::Head,
        format!("text: +{} -{} lines", t.lines_added, t.lines_removed),
    ));
    for h in &t.hunks {
        out.push((Tone::Head, hunk_header(h)));
        for l in &h.lines {
            let (tone, sign) = match l.tag {
                LineTag::Context => (Tone::Plain, ' '),
                LineTag::Removed => (Tone::Old, '-'),
                LineTag::Added => (Tone::New, '+'),
            };
            out.push((tone, format!("{sign}{}", l.text())));
        }
    }
    if t.truncated {
        out.push((Tone::Warn, "… diff truncated (--max-diff-lines)".into()));
    }
}

/// Hexdump rows of one window: old row then new row per 16 bytes.
pub fn hexdump_rows(w: &HexWindow) -> Vec<(Tone, String)> {
    let mut out = Vec::new();
    let rows = w.old.len().max(w.new.len()).div_ceil(16);
    for r in 0..rows {
        for (tone, sign, bytes) in [(Tone::Old, '-', &w.old), (Tone::New, '+', &w.new)] {
            let chunk = bytes
                .get(r * 16..((r + 1) * 16).min(bytes.len()))
                .unwrap_or(&[]);
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            let same = w.old.get(r * 16..((r + 1) * 16).min(w.old.len()))
                == w.new.get(r * 16..((r + 1) * 16).min(w.new.len()));
            out.push((
                if same { Tone::Plain } else { tone },
                format!(
                    "{sign} {:08x}  {:<47}  |{ascii}|",
                    w.offset + (r * 16) as u64,
                    hex.join(" ")
                ),
            ));
        }
    }
    out
}

fn binary_lines(b: &BinaryDiff, out: &mut Vec<(Tone, String)>) {
    let unit = if b.granularity > 1 {
        format!(" (located to {} KiB blocks)", b.granularity / 1024)
    } else {
        String::new()
    };
    out.push((
        Tone::Head,
        format!(
            "binary: {} -> {} bytes, {} bytes differ in {} range(s){unit}",
            b.old_size, b.new_size, b.differing_bytes, b.range_count
        ),
    ));
    for r in b.ranges.iter().take(RANGES_SHOWN) {
        out.push((Tone::Plain, format!("  @0x{:08x} +{}", r.offset, r.len)));
    }
    if b.range_count as usize > RANGES_SHOWN.min(b.ranges.len()) {
        out.push((
            Tone::Plain,
            format!(
                "  … {} more ranges",
                b.range_count as usize - RANGES_SHOWN.min(b.ranges.len())
            ),
        ));
    }
    for w in &b.hexdump {
        out.extend(hexdump_rows(w));
    }
}

#[cfg(test)]
pub(crate) mod sample {
    //! A real diff to render in tests: entries built by hand, classified and
    //! compared by glassbox-core.

    use glassbox_core::diff::{
        DiffOptions, DiffSummary, ReleaseDiff, ReleaseInfo, classify::classify,
        compare::compare_bytes,
    };
    use glassbox_core::digest::{DigestSet, MultiHasher};
    use glassbox_core::release::{Entry, EntryKind, EntryPath, Format, RawPath};

    fn entry(p: &str, content: &[u8]) -> Entry {
        let mut h = MultiHasher::new(DigestSet::default());
        h.update(content);
        Entry {
            path: EntryPath::top(RawPath::from(p)),
            kind: EntryKind::File,
            size: content.len() as u64,
            mode: Some(0o644),
            mtime: None,
            owner: None,
            link_target: None,
            digests: Some(h.finish()),
            format: Format::Directory,
            expanded_as: None,
            header: None,
        }
    }

    /// Old and new contents of the sample.
    type Files = Vec<(&'static str, Vec<u8>)>;

    pub fn files() -> (Files, Files) {
        let elf = std::fs::read("/bin/true").unwrap_or_else(|_| b"\x7fELF fake".to_vec());
        let mut elf2 = elf.clone();
        let at = elf2.len() / 2;
        elf2[at] ^= 0x01;
        let old = vec![
            (
                "pkg/app.py",
                b"def main():\n    print('hello <world>')\n    return 0\n".to_vec(),
            ),
            ("pkg/bin/tool", elf),
            ("pkg/conf.json", br#"{"port":80,"debug":false}"#.to_vec()),
            ("pkg/gone.txt", b"bye\n".to_vec()),
            ("pkg/old_name.txt", b"same content\n".to_vec()),
        ];
        let new = vec![
            (
                "pkg/app.py",
                b"def main():\n    print('hello <there> & world')\n    return 0\n".to_vec(),
            ),
            ("pkg/bin/tool", elf2),
            (
                "pkg/conf.json",
                br#"{"port":8080,"debug":false,"tls":true}"#.to_vec(),
            ),
            ("pkg/new.txt", b"new file\n".to_vec()),
            ("pkg/new_name.txt", b"same content\n".to_vec()),
        ];
        (old, new)
    }

    pub fn diff() -> ReleaseDiff {
        let (old, new) = files();
        let oe: Vec<Entry> = old.iter().map(|(p, c)| entry(p, c)).collect();
        let ne: Vec<Entry> = new.iter().map(|(p, c)| entry(p, c)).collect();
        let opts = DiffOptions::default();
        let mut changes = classify(&oe, &ne, &opts).unwrap();
        for c in &mut changes {
            if c.class == glassbox_core::diff::ChangeClass::Modified {
                let p = c.path.to_string();
                let a = &old.iter().find(|(q, _)| *q == p).unwrap().1;
                let b = &new.iter().find(|(q, _)| *q == p).unwrap().1;
                c.content = Some(compare_bytes(&c.path, a, b, &opts));
            }
        }
        ReleaseDiff {
            schema: glassbox_core::diff::DIFF_SCHEMA,
            old: ReleaseInfo {
                source: "old-release".into(),
                format: Format::Directory,
                entries: oe.len(),
            },
            new: ReleaseInfo {
                source: "new-release".into(),
                format: Format::Directory,
                entries: ne.len(),
            },
            identical: false,
            summary: DiffSummary::of(&changes),
            groups: glassbox_core::diff::group::group(&mut changes),
            changes,
        }
    }
}

//! Executables and libraries (ELF, PE, Mach-O, via `object`): a section
//! table with sizes and digests, symbol table changes, and the build-id.
//!
//! A build-id (ELF `NT_GNU_BUILD_ID`, Mach-O `LC_UUID`, PE CodeView GUID) is
//! computed by the linker over the output; two different binaries with the
//! same build-id were changed after linking — patched in place — which is
//! exactly what an auditor must notice.

use std::collections::BTreeMap;

use object::{Object, ObjectSection, ObjectSymbol};
use serde::Serialize;

use crate::digest::Sha256Digest;

use super::super::DiffOptions;
use super::{Comparator, ContentDiff, ContentKind, Sides, authenticode, binary, postlink};

/// Names kept per symbol list (all are counted).
const MAX_SYMBOLS: usize = 200;

/// The note recorded when content differs but the build-id does not.
pub const PATCHED_AFTER_BUILD_ID: &str =
    "content changed but the build-id did not: modified after build-id was computed";

/// The note recorded when content differs only in sections rewritten
/// after linking ([`postlink`]).
pub const DEBUG_LINK_UPDATED: &str = "debug link updated";

/// One row of the section table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SectionRow {
    /// Section name (`#n` suffix for repeated names).
    pub name: String,
    /// Size in the old file (`null`: section absent).
    pub old_size: Option<u64>,
    /// Size in the new file.
    pub new_size: Option<u64>,
    /// SHA-256 of the old section's file data.
    pub old_sha256: Option<Sha256Digest>,
    /// SHA-256 of the new section's file data.
    pub new_sha256: Option<Sha256Digest>,
    /// Whether size or digest differ (or the section is on one side only).
    pub changed: bool,
}

/// Symbol table changes (static and dynamic symbols, by name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SymbolChanges {
    /// Symbols only in the new file (first names).
    pub added: Vec<String>,
    /// Symbols only in the old file.
    pub removed: Vec<String>,
    /// Symbols whose size or defined/undefined state changed.
    pub changed: Vec<String>,
    /// Counts, complete.
    pub added_count: u64,
    /// Counts, complete.
    pub removed_count: u64,
    /// Counts, complete.
    pub changed_count: u64,
}

/// The comparison of two executables.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExecutableDiff {
    /// `elf`, `pe`, `macho`, ...
    pub format: String,
    /// Target architecture of the new file.
    pub architecture: String,
    /// Every section, in new-file order then old-only ones.
    pub sections: Vec<SectionRow>,
    /// Symbol changes.
    pub symbols: SymbolChanges,
    /// Build-id of the old file (hex).
    pub old_build_id: Option<String>,
    /// Build-id of the new file (hex).
    pub new_build_id: Option<String>,
    /// Content differs while a build-id is present and unchanged, outside
    /// the sections tools rewrite after linking.
    pub build_id_unchanged: bool,
    /// The build-id is unchanged and the only differences are in these
    /// sections, which tools rewrite after linking
    /// ([`postlink::POST_LINK_SECTIONS`]): "debug link updated".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub debug_link_updated: Vec<String>,
}

fn format_name(f: object::BinaryFormat) -> &'static str {
    match f {
        object::BinaryFormat::Elf => "elf",
        object::BinaryFormat::Pe => "pe",
        object::BinaryFormat::MachO => "macho",
        object::BinaryFormat::Coff => "coff",
        object::BinaryFormat::Wasm => "wasm",
        object::BinaryFormat::Xcoff => "xcoff",
        _ => "object",
    }
}

fn build_id(f: &object::File) -> Option<String> {
    if let Ok(Some(id)) = f.build_id() {
        return Some(hex::encode(id));
    }
    if let Ok(Some(uuid)) = f.mach_uuid() {
        return Some(hex::encode(uuid));
    }
    if let Ok(Some(pdb)) = f.pdb_info() {
        return Some(format!("{}{:x}", hex::encode(pdb.guid()), pdb.age()));
    }
    None
}

/// Sections by name with the SHA-256 of their file bytes; `None` where
/// the hashing budget ran out.
///
/// Headers may overlap and each may name most of the file, so hashing
/// every one is O(headers x file size): a hostile table of 10^4 headers
/// over distinct ranges of a 512 KiB file is 5 GiB of SHA-256. Headers
/// that name the same bytes share one digest, and the bytes hashed in all
/// are capped at twice the end of the furthest section plus 1 MiB (a real
/// file's sections do not overlap, so they sum to less than that end);
/// a section past the cap has no digest and counts as changed, with a
/// note ([`SECTIONS_NOT_HASHED`]): never as unchanged.
fn sections(f: &object::File) -> Vec<(String, u64, Option<Sha256Digest>)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut digests: std::collections::HashMap<(u64, u64), Sha256Digest> = Default::default();
    // The end of the furthest section that reads: at most the file's
    // length, and at least the sum of sections that do not overlap.
    let end = f
        .sections()
        .filter(|s| s.data().is_ok())
        .filter_map(|s| s.file_range().map(|(at, len)| at.saturating_add(len)))
        .max()
        .unwrap_or(0);
    let mut budget = end.saturating_mul(2).saturating_add(1 << 20);
    f.sections()
        .map(|s| {
            let base = s.name().unwrap_or("?").to_string();
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let name = if *n > 1 { format!("{base}#{n}") } else { base };
            let data = s.data().unwrap_or(&[]);
            let known = s.file_range().and_then(|r| digests.get(&r).copied());
            let d = match known {
                Some(d) => Some(d),
                None if data.len() as u64 <= budget => {
                    budget -= data.len() as u64;
                    let d = Sha256Digest::of(data);
                    if let Some(r) = s.file_range() {
                        digests.insert(r, d);
                    }
                    Some(d)
                }
                None => None,
            };
            (name, s.size(), d)
        })
        .collect()
}

/// The note recorded when overlapping section headers exhausted the
/// hashing budget of [`sections`].
pub const SECTIONS_NOT_HASHED: &str = "sections not hashed: the section headers name more bytes \
     than twice the file holds (overlapping headers); those sections are listed \
     as changed without a digest";

/// Symbols by name (size, undefined), sorted; for a name listed twice the
/// last entry counts. Names borrow the file: a table of a million symbols
/// is one sort, not a million allocations.
fn symbols<'d>(f: &object::File<'d>) -> Vec<(&'d str, (u64, bool))> {
    let mut v: Vec<(&'d str, (u64, bool))> = f
        .symbols()
        .chain(f.dynamic_symbols())
        .filter_map(|s| {
            let name = s.name().ok().filter(|n| !n.is_empty())?;
            Some((name, (s.size(), s.is_undefined())))
        })
        .collect();
    // Stable, so that of equal names the last read stays last.
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.reverse();
    v.dedup_by(|a, b| a.0 == b.0);
    v.reverse();
    v
}

fn push_capped(list: &mut Vec<String>, count: &mut u64, name: &str) {
    *count += 1;
    if list.len() < MAX_SYMBOLS {
        list.push(name.to_string());
    }
}

/// Compares two parsed executables.
pub fn diff_executables(
    old: &object::File,
    new: &object::File,
    content_differs: bool,
) -> ExecutableDiff {
    let (os, ns) = (sections(old), sections(new));
    let old_by_name: BTreeMap<&str, (u64, Option<Sha256Digest>)> =
        os.iter().map(|(n, s, d)| (n.as_str(), (*s, *d))).collect();
    let mut rows: Vec<SectionRow> = ns
        .iter()
        .map(|(name, size, d)| {
            let o = old_by_name.get(name.as_str());
            SectionRow {
                name: name.clone(),
                old_size: o.map(|o| o.0),
                new_size: Some(*size),
                old_sha256: o.and_then(|o| o.1),
                new_sha256: *d,
                // A section without a digest was not compared: changed.
                changed: d.is_none() || o != Some(&(*size, *d)),
            }
        })
        .collect();
    // A set, not a scan per section: ELF extended section numbering allows
    // millions of section headers.
    let new_names: std::collections::HashSet<&str> = ns.iter().map(|x| x.0.as_str()).collect();
    for (name, size, d) in &os {
        if !new_names.contains(name.as_str()) {
            rows.push(SectionRow {
                name: name.clone(),
                old_size: Some(*size),
                new_size: None,
                old_sha256: *d,
                new_sha256: None,
                changed: true,
            });
        }
    }

    let (osym, nsym) = (symbols(old), symbols(new));
    let mut sc = SymbolChanges::default();
    // One merge walk over the two sorted lists.
    let (mut o, mut n) = (osym.iter().peekable(), nsym.iter().peekable());
    loop {
        match (o.peek(), n.peek()) {
            (Some(a), Some(b)) if a.0 == b.0 => {
                if a.1 != b.1 {
                    push_capped(&mut sc.changed, &mut sc.changed_count, b.0);
                }
                o.next();
                n.next();
            }
            (Some(a), Some(b)) if a.0 < b.0 => {
                push_capped(&mut sc.removed, &mut sc.removed_count, a.0);
                o.next();
            }
            (_, Some(b)) => {
                push_capped(&mut sc.added, &mut sc.added_count, b.0);
                n.next();
            }
            (Some(a), None) => {
                push_capped(&mut sc.removed, &mut sc.removed_count, a.0);
                o.next();
            }
            (None, None) => break,
        }
    }

    let (ob, nb) = (build_id(old), build_id(new));
    ExecutableDiff {
        format: format_name(new.format()).to_string(),
        architecture: format!("{:?}", new.architecture()).to_lowercase(),
        sections: rows,
        symbols: sc,
        build_id_unchanged: content_differs && ob.is_some() && ob == nb,
        debug_link_updated: Vec::new(),
        old_build_id: ob,
        new_build_id: nb,
    }
}

/// Comparator for files `object` parses on both sides.
pub struct ExecutableComparator;

impl Comparator for ExecutableComparator {
    fn kind(&self) -> ContentKind {
        ContentKind::Executable
    }

    fn recognises(&self, s: &Sides<'_>) -> bool {
        super::sniff_executable(s.old).is_some()
            && super::sniff_executable(s.new).is_some()
            && object::File::parse(s.old).is_ok()
            && object::File::parse(s.new).is_ok()
    }

    fn compare(&self, s: &Sides<'_>, opts: &DiffOptions, out: &mut ContentDiff) {
        // A PE pair with a signature on either side: the signature's bytes
        // are named, not shown, and "changed" means changed outside them.
        let signed = match (a_pe(s.old), a_pe(s.new)) {
            (true, true) => match authenticode::compare(s.old, s.new) {
                Ok(x) => x,
                Err(note) => {
                    out.notes.push(note);
                    None
                }
            },
            _ => None,
        };
        let (old, new) = match &signed {
            Some(x) => (x.old.as_slice(), x.new.as_slice()),
            None => (s.old, s.new),
        };
        // Parsed from the bytes without signatures: the table's
        // certificates are no strings of the code.
        if let (Ok(a), Ok(b)) = (object::File::parse(old), object::File::parse(new)) {
            let mut d = diff_executables(&a, &b, old != new);
            let unhashed =
                |size: Option<u64>, sha: &Option<Sha256Digest>| size.is_some() && sha.is_none();
            if d.sections
                .iter()
                .any(|r| unhashed(r.old_size, &r.old_sha256) || unhashed(r.new_size, &r.new_sha256))
            {
                out.notes.push(SECTIONS_NOT_HASHED.to_string());
            }
            if d.build_id_unchanged {
                match postlink::confined_to_post_link(&a, &b, s.old, s.new) {
                    Some(sections) => {
                        d.build_id_unchanged = false;
                        d.debug_link_updated = sections.iter().map(|n| n.to_string()).collect();
                        out.notes.push(format!(
                            "{DEBUG_LINK_UPDATED}: only {} changed, which tools rewrite after \
                             linking; every other byte is identical",
                            sections.join(", ")
                        ));
                    }
                    None => out.notes.push(PATCHED_AFTER_BUILD_ID.to_string()),
                }
            }
            out.executable = Some(d);
            if opts.code.enabled {
                out.code = Some(crate::diff::code::diff_code(&a, &b, old, new, &opts.code));
            }
        }
        out.binary = Some(binary::compare_slices(old, new, opts.max_ranges));
        if let Some(x) = signed {
            let table = |t: Option<(usize, usize)>| {
                t.map_or("none".into(), |(at, len)| format!("{len} bytes at {at}"))
            };
            out.notes.push(format!(
                "the byte comparison leaves out the Authenticode certificate table (old: {}, new: {}), its directory entry and the CheckSum: their change is described under Authenticode",
                table(x.tables[0]),
                table(x.tables[1])
            ));
            out.authenticode = Some(x.diff);
        }
    }
}

/// Whether `data` has a PE header (the MZ stub's `e_lfanew` pointing at
/// `PE\0\0`), as `object` reads it.
fn a_pe(data: &[u8]) -> bool {
    object::FileKind::parse(data)
        .is_ok_and(|k| matches!(k, object::FileKind::Pe32 | object::FileKind::Pe64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare::compare_bytes;
    use crate::diff::source::memory::path;

    fn compile(dir: &std::path::Path, name: &str, src: &str) -> Option<Vec<u8>> {
        let c = dir.join(format!("{name}.c"));
        let out = dir.join(name);
        std::fs::write(&c, src).unwrap();
        let ok = std::process::Command::new("cc")
            .args(["-O1", "-Wl,--build-id=sha1", "-o"])
            .arg(&out)
            .arg(&c)
            .status()
            .ok()?
            .success();
        ok.then(|| std::fs::read(&out).unwrap())
    }

    #[test]
    fn compiled_elf_pair_shows_sections_symbols_and_build_ids() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = "#include <stdio.h>\nint helper(int x){return x+1;}\nint main(){printf(\"v1 %d\\n\", helper(1));return 0;}\n";
        let v2 = "#include <stdio.h>\nint helper(int x){return x+2;}\nint added_fn(void){return 7;}\nint main(){printf(\"version 2 %d\\n\", helper(added_fn()));return 0;}\n";
        let (Some(a), Some(b)) = (compile(dir.path(), "v1", v1), compile(dir.path(), "v2", v2))
        else {
            eprintln!("notice: no working `cc`; skipping the compiled ELF pair test");
            return;
        };
        let d = compare_bytes(&path("bin/app"), &a, &b, &DiffOptions::default());
        assert_eq!(d.kind, Some(ContentKind::Executable));
        let e = d.executable.unwrap();
        assert_eq!(e.format, "elf");
        assert!(
            e.symbols.added.contains(&"added_fn".to_string()),
            "{:?}",
            e.symbols
        );
        let rodata = e.sections.iter().find(|s| s.name == ".rodata").unwrap();
        assert!(rodata.changed);
        assert!(e.sections.iter().any(|s| s.name == ".text" && s.changed));
        assert!(e.old_build_id.is_some() && e.old_build_id != e.new_build_id);
        assert!(!e.build_id_unchanged);
        assert!(d.binary.unwrap().range_count > 0);
    }

    #[test]
    fn patched_system_binary_keeps_its_build_id() {
        let Ok(a) = std::fs::read("/bin/ls") else {
            eprintln!("notice: no /bin/ls; skipping");
            return;
        };
        let parsed = object::File::parse(&a[..]).unwrap();
        if parsed.build_id().ok().flatten().is_none() {
            eprintln!("notice: /bin/ls has no build-id; skipping");
            return;
        }
        // Patch one byte of .rodata, as the release pair's BINPATCH does.
        let rodata = parsed.section_by_name(".rodata").unwrap();
        let (off, _) = rodata.file_range().unwrap();
        let mut b = a.clone();
        b[off as usize + 40] ^= 1;
        let d = compare_bytes(&path("bin/ls"), &a, &b, &DiffOptions::default());
        let e = d.executable.as_ref().unwrap();
        assert!(e.build_id_unchanged);
        assert_eq!(d.notes, vec![PATCHED_AFTER_BUILD_ID.to_string()]);
        let changed: Vec<&str> = e
            .sections
            .iter()
            .filter(|s| s.changed)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(changed, vec![".rodata"]);
        assert_eq!(e.symbols, SymbolChanges::default());
        let bin = d.binary.unwrap();
        assert_eq!(
            bin.ranges,
            vec![binary::ByteRange {
                offset: off + 40,
                len: 1
            }]
        );
    }
}

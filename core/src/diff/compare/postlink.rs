//! Sections that packaging tools rewrite after the linker computed the
//! build-id, so a change confined to them is not a patched binary.
//!
//! The GNU build-id (`ld --build-id`, a note in `.note.gnu.build-id`) is a
//! hash the linker computes over its output. Debian's `dh_strip` and
//! Fedora's `find-debuginfo` then move the debug information to a separate
//! file and record where it went, rewriting a few non-loaded sections of the
//! shipped binary. Two builds whose debug files differ (any change to the
//! package rebuilds them) therefore differ in exactly those sections while
//! the build-id stays put.
//!
//! Fail closed: the change is excused only when every differing byte lies
//! inside one of [`POST_LINK_SECTIONS`], at the same file offset and size on
//! both sides, in a section that is not loaded into memory (no `SHF_ALLOC`):
//! the ELF header, program and section headers, and every other section
//! must be byte-identical. A section header's flags are only a claim: the
//! excused bytes must also lie outside every `PT_LOAD` segment, every other
//! section and the ELF header and header tables (a vendor can point a
//! non-`SHF_ALLOC` `.gnu_debuglink` header at `.text`). Anything else keeps
//! the build-id warning.

use object::elf;
use object::read::elf::{ElfFile, FileHeader};
use object::{Object, ObjectSection, ObjectSegment, SectionFlags};

/// Sections rewritten after linking, each with the tool that writes it.
pub const POST_LINK_SECTIONS: &[(&str, &str)] = &[
    // File name and CRC32 of the separate debug file (GDB manual §18.3
    // "Debugging Information in Separate Files"): written by `objcopy
    // --add-gnu-debuglink`, which dh_strip and find-debuginfo run after
    // stripping. The CRC covers the debug file, which changes whenever
    // anything in the build does.
    (".gnu_debuglink", "objcopy --add-gnu-debuglink (dh_strip)"),
    // Path and build-id of the shared DWARF file made by `dwz -m` (GDB
    // manual §18.3): dwz rewrites it when it factors common debug
    // information out of a package's binaries.
    (".gnu_debugaltlink", "dwz -m (dh_dwz)"),
    // MiniDebugInfo (GDB manual §18.4): an xz-compressed symbol table that
    // find-debuginfo (rpm) adds after stripping, for backtraces.
    (".gnu_debugdata", "find-debuginfo MiniDebugInfo (rpm)"),
];

/// The names of the post-link sections that differ, when the whole
/// difference between `old` and `new` is confined to them; `None` when any
/// other byte differs (or the files are not ELF).
pub fn confined_to_post_link(
    old_file: &object::File,
    new_file: &object::File,
    old: &[u8],
    new: &[u8],
) -> Option<Vec<&'static str>> {
    if old.len() != new.len() || old_file.format() != object::BinaryFormat::Elf {
        return None;
    }
    let mut ranges = Vec::new();
    let mut changed = Vec::new();
    for (name, _) in POST_LINK_SECTIONS {
        let (Some(a), Some(b)) = (
            old_file.section_by_name(name),
            new_file.section_by_name(name),
        ) else {
            continue;
        };
        let (Some(ra), Some(rb)) = (a.file_range(), b.file_range()) else {
            return None;
        };
        if ra != rb || loaded(a.flags()) || loaded(b.flags()) {
            return None;
        }
        if claimed_elsewhere(old_file, a.index(), ra)?
            || claimed_elsewhere(new_file, b.index(), rb)?
        {
            return None;
        }
        let (start, len) = (usize::try_from(ra.0).ok()?, usize::try_from(ra.1).ok()?);
        let end = start.checked_add(len).filter(|e| *e <= new.len())?;
        if old[start..end] != new[start..end] {
            changed.push(*name);
        }
        ranges.push((start, end));
    }
    if changed.is_empty() {
        return None;
    }
    // Every byte outside those sections must be identical: one pass over
    // the file, the sections skipped.
    ranges.sort_unstable();
    let mut at = 0usize;
    for (start, end) in ranges {
        if start < at || old[at..start] != new[at..start] {
            return None;
        }
        at = end;
    }
    (old[at..] == new[at..]).then_some(changed)
}

/// Whether the file range `(offset, size)` of section `own` overlaps bytes
/// something else gives meaning to: a `PT_LOAD` segment (mapped whatever the
/// section flags say), another section, the ELF header or the program or
/// section header table. `None` when the headers cannot be read (not
/// excused).
fn claimed_elsewhere(
    file: &object::File,
    own: object::SectionIndex,
    (offset, size): (u64, u64),
) -> Option<bool> {
    let end = offset.checked_add(size)?;
    let overlaps = |(o, s): (u64, u64)| o < end && offset < o.saturating_add(s);
    let mut claimed = match file {
        object::File::Elf32(f) => header_ranges(f)?,
        object::File::Elf64(f) => header_ranges(f)?,
        _ => return None,
    }
    .into_iter()
    .any(overlaps);
    claimed |= file.segments().any(|s| overlaps(s.file_range()));
    claimed |= file
        .sections()
        .filter(|s| s.index() != own)
        .filter_map(|s| s.file_range())
        .any(overlaps);
    Some(claimed)
}

/// File ranges of the ELF header and of the program and section header
/// tables (ELF gABI "ELF Header"). `None` for an extended section count
/// (`e_shnum` 0 with a table present) or program header count
/// (`PN_XNUM`), which is not excused.
fn header_ranges<H: FileHeader>(f: &ElfFile<'_, H>) -> Option<[(u64, u64); 3]> {
    let (h, e) = (f.elf_header(), f.endian());
    let table =
        |off: u64, n: u16, size: u16| Some((off, u64::from(n).checked_mul(u64::from(size))?));
    let (shoff, shnum) = (h.e_shoff(e).into(), h.e_shnum(e));
    if (shnum == 0 && shoff != 0) || h.e_phnum(e) == elf::PN_XNUM {
        return None;
    }
    Some([
        (0, u64::from(h.e_ehsize(e))),
        table(h.e_phoff(e).into(), h.e_phnum(e), h.e_phentsize(e))?,
        table(shoff, shnum, h.e_shentsize(e))?,
    ])
}

/// Whether a section occupies memory at run time (ELF `SHF_ALLOC`): such
/// a section is part of the program, never excused.
fn loaded(flags: SectionFlags) -> bool {
    match flags {
        SectionFlags::Elf { sh_flags, .. } => sh_flags.contains(elf::SHF_ALLOC),
        // Not an ELF section: not excused.
        _ => true,
    }
}

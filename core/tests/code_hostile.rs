//! Hostile executables for the code diff (`diff::code`): a million
//! overlapping function symbols, symbols pointing outside every section and
//! outside the file, and tens of thousands of executable section headers
//! over the same bytes. The comparison ends in bounded time with a partial
//! result that says what was cut, never a panic.
//!
//! The files are written byte by byte here (ELF-64, gABI "Sections" and
//! "Symbol Table"): a writer library would spend more time building a
//! million-symbol file than glassbox spends reading it.

use std::time::{Duration, Instant};

use glassbox_core::diff::DiffOptions;
use glassbox_core::diff::compare::compare_bytes;
use glassbox_core::release::{EntryPath, RawPath};

const TEXT: usize = 1 << 19;

/// An x86-64 relocatable ELF file: `TEXT` bytes of code (`nop`, with
/// `salt` at the start) in section 1, `symbols` function symbols of 64 KiB
/// each, one per byte, so that they overlap and most run past the
/// section's end (every tenth points far outside the file), and `aliases`
/// more executable sections over the same bytes as section 1.
fn hostile(salt: u8, symbols: usize, aliases: usize) -> Vec<u8> {
    hostile_with(salt, symbols, aliases, false)
}

/// [`hostile`], with each alias section starting one byte later than the
/// one before when `shifted` (distinct ranges: no two share a digest).
fn hostile_with(salt: u8, symbols: usize, aliases: usize, shifted: bool) -> Vec<u8> {
    const EHDR: usize = 64;
    const SHDR: usize = 64;
    const SYM: usize = 24;
    let shstrtab = b"\0.text\0.symtab\0.strtab\0.shstrtab\0";
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; SYM]; // the null symbol
    for i in 0..symbols {
        let value = if i % 10 == 0 {
            0x7fff_ffff_0000 + i as u64
        } else {
            i as u64
        };
        symtab.extend((strtab.len() as u32).to_le_bytes()); // st_name
        symtab.push(0x12); // STB_GLOBAL, STT_FUNC
        symtab.push(0); // st_other
        symtab.extend(1u16.to_le_bytes()); // st_shndx: .text
        symtab.extend(value.to_le_bytes());
        symtab.extend((1u64 << 16).to_le_bytes()); // st_size
        strtab.extend(format!("f{i:07}\0").bytes());
    }
    let text_off = EHDR;
    let symtab_off = text_off + TEXT;
    let strtab_off = symtab_off + symtab.len();
    let shstrtab_off = strtab_off + strtab.len();
    let shdr_off = (shstrtab_off + shstrtab.len()).next_multiple_of(8);
    let shnum = 5 + aliases;

    let mut f = Vec::with_capacity(shdr_off + shnum * SHDR);
    f.extend(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend(1u16.to_le_bytes()); // ET_REL
    f.extend(62u16.to_le_bytes()); // EM_X86_64
    f.extend(1u32.to_le_bytes());
    f.extend(0u64.to_le_bytes()); // e_entry
    f.extend(0u64.to_le_bytes()); // e_phoff
    f.extend((shdr_off as u64).to_le_bytes());
    f.extend(0u32.to_le_bytes()); // e_flags
    f.extend((EHDR as u16).to_le_bytes());
    f.extend(0u16.to_le_bytes()); // e_phentsize
    f.extend(0u16.to_le_bytes()); // e_phnum
    f.extend((SHDR as u16).to_le_bytes());
    // Past 0xff00 headers the count is in section 0's sh_size (gABI
    // "Extended Section Header Numbering").
    f.extend(if shnum >= 0xff00 { 0u16 } else { shnum as u16 }.to_le_bytes());
    f.extend(4u16.to_le_bytes()); // e_shstrndx
    let mut text = vec![0x90u8; TEXT];
    text[0] = salt;
    f.extend(&text);
    f.extend(&symtab);
    f.extend(&strtab);
    f.extend(shstrtab);
    f.resize(shdr_off, 0);
    #[allow(clippy::too_many_arguments)]
    fn shdr(
        f: &mut Vec<u8>,
        name: u32,
        ty: u32,
        flags: u64,
        off: usize,
        size: usize,
        link: u32,
        info: u32,
        entsize: u64,
    ) {
        f.extend(name.to_le_bytes());
        f.extend(ty.to_le_bytes());
        f.extend(flags.to_le_bytes());
        f.extend(0u64.to_le_bytes()); // sh_addr
        f.extend((off as u64).to_le_bytes());
        f.extend((size as u64).to_le_bytes());
        f.extend(link.to_le_bytes());
        f.extend(info.to_le_bytes());
        f.extend(16u64.to_le_bytes()); // sh_addralign
        f.extend(entsize.to_le_bytes());
    }
    let count = if shnum >= 0xff00 { shnum } else { 0 };
    shdr(&mut f, 0, 0, 0, 0, count, 0, 0, 0);
    const PROGBITS: u32 = 1;
    const ALLOC_EXEC: u64 = 0x2 | 0x4;
    shdr(&mut f, 1, PROGBITS, ALLOC_EXEC, text_off, TEXT, 0, 0, 0);
    shdr(&mut f, 7, 2, 0, symtab_off, symtab.len(), 3, 1, SYM as u64); // SHT_SYMTAB
    shdr(&mut f, 15, 3, 0, strtab_off, strtab.len(), 0, 0, 0); // SHT_STRTAB
    shdr(&mut f, 23, 3, 0, shstrtab_off, shstrtab.len(), 0, 0, 0);
    for i in 0..aliases {
        let skip = if shifted { i % (TEXT / 2) } else { 0 };
        shdr(
            &mut f,
            1,
            PROGBITS,
            ALLOC_EXEC,
            text_off + skip,
            TEXT - skip,
            0,
            0,
            0,
        );
    }
    f
}

/// Both sides of a pair: the second differs in its first code byte.
fn pair(symbols: usize, aliases: usize) -> (Vec<u8>, Vec<u8>) {
    let a = hostile(0x90, symbols, aliases);
    let mut b = a.clone();
    b[64] = 0xc3;
    (a, b)
}

fn path() -> EntryPath {
    EntryPath::top(RawPath::from("bin/hostile.o"))
}

/// CPU seconds this process has used (user + system, `/proc/self/stat`
/// fields 14 and 15, in clock ticks of 1/100 s on Linux): the machine
/// running the tests may be loaded many times over, so wall time says
/// little about the work done. `None` where there is no `/proc`.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields after it are
    // counted from its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Compares the pair and checks the work: at most `cpu` seconds of CPU
/// (when measurable) and 10 minutes of wall time.
fn compare_bounded(a: &[u8], b: &[u8], cpu: f64) -> glassbox_core::diff::compare::ContentDiff {
    let (wall, before) = (Instant::now(), cpu_seconds());
    let d = compare_bytes(&path(), a, b, &DiffOptions::default());
    let took = wall.elapsed();
    if let (Some(x), Some(y)) = (before, cpu_seconds()) {
        eprintln!("compared in {took:?}, {:.1} s of CPU", y - x);
        assert!(y - x < cpu, "{:.1} s of CPU", y - x);
    }
    assert!(took < Duration::from_secs(600), "{took:?}");
    d
}

/// Both cases in one test, one after the other: the CPU time measured is
/// the process's, so a second test running beside would be counted.
#[test]
fn hostile_executables_are_compared_in_bounded_time_with_reasons() {
    a_million_overlapping_and_outside_symbols_are_cut_with_reasons();
    many_executable_sections_over_the_same_bytes_are_read_once();
    many_sections_over_distinct_ranges_are_hashed_within_a_budget();
}

fn a_million_overlapping_and_outside_symbols_are_cut_with_reasons() {
    let (a, b) = pair(1_000_000, 0);
    // Quadratic work would be 10^12 steps; linear work is seconds.
    let d = compare_bounded(&a, &b, 30.0);
    let code = d.code.expect("a code diff, partial");
    let notes = code.notes.join("\n");
    assert!(
        notes.contains("functions: the rest were not read"),
        "{notes}"
    );
    assert!(notes.contains("outside the executable sections"), "{notes}");
    assert!(notes.contains("decode budget"), "{notes}");
    let f = &code.functions;
    assert!(f.not_compared_count > 0, "{f:?}");
    assert!(f.changed.len() <= 500);
    // The symbol table diff is complete: nothing added or removed.
    let e = d.executable.expect("the executable diff");
    assert_eq!(e.symbols.added_count + e.symbols.removed_count, 0);
}

fn many_executable_sections_over_the_same_bytes_are_read_once() {
    // 100 000 section headers, each saying the same 512 KiB are code, and
    // 2^18 functions in them: a lookup per function over every section is
    // 2.6 * 10^10 steps, a decode budget counted per header is 50 GiB.
    let (a, b) = pair(300_000, 100_000);
    let d = compare_bounded(&a, &b, 30.0);
    let code = d.code.expect("a code diff, partial");
    let notes = code.notes.join("\n");
    assert!(notes.contains("overlap"), "{notes}");
    assert!(notes.contains("decode budget"), "{notes}");
}

fn many_sections_over_distinct_ranges_are_hashed_within_a_budget() {
    // 20 000 section headers over distinct ranges of the 512 KiB of code,
    // each at least 256 KiB: hashing every one is 7.5 GiB of SHA-256.
    let a = hostile_with(0x90, 1_000, 20_000, true);
    let mut b = a.clone();
    b[64] = 0xc3;
    let d = compare_bounded(&a, &b, 30.0);
    assert!(
        d.notes.iter().any(|n| n.contains("sections not hashed")),
        "{:?}",
        d.notes
    );
    // A section left without a digest is never reported unchanged.
    let e = d.executable.expect("the executable diff");
    let unhashed: Vec<_> = e
        .sections
        .iter()
        .filter(|r| r.new_sha256.is_none())
        .collect();
    assert!(unhashed.len() > 10_000, "{}", unhashed.len());
    assert!(unhashed.iter().all(|r| r.changed));
}

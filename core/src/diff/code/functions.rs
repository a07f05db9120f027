//! Where the functions of an executable are: their start, size and name.
//!
//! Ranges come from the symbol tables (`.symtab`, `.dynsym`: `STT_FUNC`
//! with a size) and, for the code the symbols do not cover (a stripped
//! binary), from the unwind tables every x86-64 and AArch64 toolchain emits:
//! ELF `.eh_frame` FDEs (System V x86-64 psABI §6.2, LSB 5.0 §10.6.1) and PE
//! `.pdata` `RUNTIME_FUNCTION` entries (Microsoft PE/COFF specification,
//! "The .pdata Section"). Names come from the symbols and PE exports; an
//! unwind range without one is named `fn@0x<start>`.
//!
//! Everything read here is untrusted: a range that does not lie inside an
//! executable section is skipped and counted, and the number of functions
//! kept is capped, so a hostile symbol table costs time linear in its size
//! and never more memory than [`MAX_FUNCTIONS`] entries.

use std::collections::BTreeMap;

use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};
use serde::Serialize;

/// Functions kept per executable; past it the rest are cut with a note.
pub const MAX_FUNCTIONS: usize = 1 << 18;
/// Unwind entries read per executable (a hostile `.eh_frame` of millions of
/// FDEs is cut here).
const MAX_UNWIND_ENTRIES: usize = 1 << 20;

/// Where a function's range came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FunctionSource {
    /// A symbol table entry with a size.
    Symbol,
    /// An ELF `.eh_frame` FDE.
    EhFrame,
    /// A PE `.pdata` entry.
    Pdata,
}

/// One function of one executable.
#[derive(Clone, Debug)]
pub(super) struct Function {
    /// Symbol or export name, or `fn@0x<start>`.
    pub name: String,
    /// Whether `name` came from a symbol or an export (not made up from
    /// the address).
    pub named: bool,
    /// Start (virtual address).
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
    /// Where the range came from.
    pub source: FunctionSource,
}

/// One executable section: where it is loaded, its bytes, its name.
pub(super) struct CodeSection<'d> {
    /// Start (virtual address).
    pub address: u64,
    /// The section's bytes.
    pub data: &'d [u8],
    /// Section name.
    pub name: String,
}

/// The functions of one executable and the code they lie in.
pub(super) struct FunctionMap<'d> {
    /// Sorted by address, one per start address.
    pub functions: Vec<Function>,
    /// Executable sections, sorted by address, none overlapping another.
    pub code: Vec<CodeSection<'d>>,
    /// What was skipped or cut, for the auditor.
    pub notes: Vec<String>,
}

impl<'d> FunctionMap<'d> {
    /// The bytes of `f`, when they lie inside one executable section.
    pub fn bytes(&self, f: &Function) -> Option<&'d [u8]> {
        bytes_at(&self.code, f.address, f.size)
    }
}

/// The section holding `address` (sections sorted, not overlapping: one
/// binary search).
fn section_of<'a, 'd>(code: &'a [CodeSection<'d>], address: u64) -> Option<&'a CodeSection<'d>> {
    let i = code
        .partition_point(|c| c.address <= address)
        .checked_sub(1)?;
    Some(&code[i])
}

fn bytes_at<'d>(code: &[CodeSection<'d>], address: u64, size: u64) -> Option<&'d [u8]> {
    let c = section_of(code, address)?;
    let off = address - c.address;
    let end = off.checked_add(size)?;
    c.data
        .get(usize::try_from(off).ok()?..usize::try_from(end).ok()?)
}

/// The executable sections of `f`, sorted by address. A section whose
/// addresses overlap one already kept is left out and counted: two sets
/// of bytes claiming the same addresses have no one reading, and a table
/// of 10^5 headers over the same bytes must not multiply the work.
fn code_sections<'d>(f: &object::File<'d>, notes: &mut Vec<String>) -> Vec<CodeSection<'d>> {
    let mut all: Vec<CodeSection<'d>> = f
        .sections()
        .filter(|s| s.kind() == SectionKind::Text)
        .filter_map(|s| {
            let data = s.data().ok().filter(|d| !d.is_empty())?;
            Some(CodeSection {
                address: s.address(),
                data,
                name: s.name().unwrap_or("?").to_string(),
            })
        })
        .collect();
    all.sort_by_key(|c| c.address);
    let mut code: Vec<CodeSection<'d>> = Vec::with_capacity(all.len().min(1024));
    let mut overlapping = 0u64;
    for c in all {
        match code.last() {
            Some(last) if c.address < last.address.saturating_add(last.data.len() as u64) => {
                overlapping += 1;
            }
            _ => code.push(c),
        }
    }
    if overlapping > 0 {
        notes.push(format!(
            "{overlapping} executable section(s) overlap the addresses of another: not read \
             (only the first by address is compared)"
        ));
    }
    code
}

/// Reads the functions of `f` (whose bytes are `data`).
pub(super) fn read<'d>(f: &object::File<'d>, data: &'d [u8]) -> FunctionMap<'d> {
    let mut notes = Vec::new();
    let code = code_sections(f, &mut notes);

    // Names: symbol tables first, then PE exports; the first name seen for
    // an address is kept (aliases are common, e.g. `memcpy`/`__memcpy`).
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    let mut ranges: BTreeMap<u64, (u64, FunctionSource)> = BTreeMap::new();
    let mut cut = false;
    for s in f.symbols().chain(f.dynamic_symbols()) {
        if s.kind() != SymbolKind::Text || !s.is_definition() {
            continue;
        }
        let Some(name) = s.name().ok().filter(|n| !n.is_empty()) else {
            continue;
        };
        if names.len() >= MAX_FUNCTIONS {
            cut = true;
            break;
        }
        names.entry(s.address()).or_insert_with(|| name.to_string());
        if s.size() > 0 {
            ranges
                .entry(s.address())
                .or_insert((s.size(), FunctionSource::Symbol));
        }
    }
    match f.exports() {
        Ok(exports) => {
            for e in exports.into_iter().take(MAX_FUNCTIONS) {
                let e = match e {
                    Ok(e) => e,
                    Err(err) => {
                        notes.push(format!("export table unreadable past an entry: {err}"));
                        break;
                    }
                };
                if let object::read::NameOrOrdinal::Name(n) = e.name()
                    && let Ok(name) = std::str::from_utf8(n)
                    && let object::read::ExportTarget::Address { address } = e.target()
                {
                    names.entry(address).or_insert_with(|| name.to_string());
                }
            }
        }
        Err(e) => notes.push(format!("export table unreadable: {e}")),
    }

    let unwind = match f.format() {
        object::BinaryFormat::Elf => eh_frame(f),
        object::BinaryFormat::Pe => pdata(data, f.relative_address_base()),
        _ => Ok(Vec::new()),
    };
    match unwind {
        Ok(list) => {
            for (start, size, source) in list {
                if ranges.len() >= MAX_FUNCTIONS {
                    cut = true;
                    break;
                }
                ranges.entry(start).or_insert((size, source));
            }
        }
        Err(e) => notes.push(format!(
            "unwind table unreadable ({e}): functions from symbols only"
        )),
    }
    if cut {
        notes.push(format!(
            "more than {MAX_FUNCTIONS} functions: the rest were not read"
        ));
    }

    let mut outside = 0u64;
    let mut functions = Vec::with_capacity(ranges.len());
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut raw: Vec<Function> = Vec::with_capacity(ranges.len());
    for (&address, &(size, source)) in &ranges {
        if size == 0 || bytes_at(&code, address, size).is_none() {
            outside += 1;
            continue;
        }
        // An unwind range that starts a section (`.plt`, `.init`) is
        // that section's code: named after it, it pairs by name.
        let section = section_of(&code, address)
            .filter(|c| c.address == address)
            .map(|c| c.name.as_str());
        let (name, named) = match (names.get(&address), section) {
            (Some(n), _) => (n.clone(), true),
            (None, Some(section)) => (section.to_string(), true),
            (None, None) => (format!("fn@{address:#x}"), false),
        };
        raw.push(Function {
            name,
            named,
            address,
            size,
            source,
        });
    }
    // Two static functions may share a name; the later one (by address)
    // gets `#2`, `#3`... so that names stay keys.
    for mut func in raw {
        let n = seen.entry(func.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            func.name = format!("{}#{n}", func.name);
        }
        functions.push(func);
    }
    if outside > 0 {
        notes.push(format!(
            "{outside} function range(s) lie outside the executable sections or are empty: skipped"
        ));
    }
    FunctionMap {
        functions,
        code,
        notes,
    }
}

/// Function ranges from the ELF `.eh_frame` FDEs (pc_begin, pc_range).
fn eh_frame(f: &object::File) -> Result<Vec<(u64, u64, FunctionSource)>, String> {
    let Some(section) = f.section_by_name(".eh_frame") else {
        return Ok(Vec::new());
    };
    let data = section.data().map_err(|e| e.to_string())?;
    let endian = if f.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let mut eh = gimli::EhFrame::new(data, endian);
    if f.is_64() {
        eh.set_address_size(8);
    } else {
        eh.set_address_size(4);
    }
    let mut bases = gimli::BaseAddresses::default().set_eh_frame(section.address());
    if let Some(text) = f.section_by_name(".text") {
        bases = bases.set_text(text.address());
    }
    if let Some(got) = f.section_by_name(".got") {
        bases = bases.set_got(got.address());
    }
    let mut out = Vec::new();
    let mut entries = gimli::UnwindSection::entries(&eh, &bases);
    let mut read = 0usize;
    while let Some(entry) = entries.next().map_err(|e| e.to_string())? {
        read += 1;
        if read > MAX_UNWIND_ENTRIES {
            return Err(format!("more than {MAX_UNWIND_ENTRIES} entries"));
        }
        if let gimli::CieOrFde::Fde(partial) = entry {
            let fde = partial
                .parse(gimli::UnwindSection::cie_from_offset)
                .map_err(|e| e.to_string())?;
            out.push((fde.initial_address(), fde.len(), FunctionSource::EhFrame));
        }
    }
    Ok(out)
}

/// Function ranges from the PE exception directory (`.pdata`): 12-byte
/// `RUNTIME_FUNCTION` entries of begin RVA, end RVA, unwind-info RVA.
fn pdata(data: &[u8], image_base: u64) -> Result<Vec<(u64, u64, FunctionSource)>, String> {
    use object::read::pe::{ImageNtHeaders, PeFile32, PeFile64};
    fn table<'d, Pe: ImageNtHeaders>(
        pe: &object::read::pe::PeFile<'d, Pe>,
        data: &'d [u8],
    ) -> Result<&'d [u8], String> {
        let Some(dir) = pe.data_directory(object::pe::IMAGE_DIRECTORY_ENTRY_EXCEPTION) else {
            return Ok(&[]);
        };
        dir.data(data, &pe.section_table())
            .map_err(|e| e.to_string())
    }
    let bytes = match PeFile64::parse(data) {
        Ok(pe) => table(&pe, data)?,
        Err(_) => match PeFile32::parse(data) {
            Ok(pe) => table(&pe, data)?,
            Err(e) => return Err(e.to_string()),
        },
    };
    let mut out = Vec::with_capacity((bytes.len() / 12).min(MAX_UNWIND_ENTRIES));
    for e in bytes.chunks_exact(12).take(MAX_UNWIND_ENTRIES) {
        let begin = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
        let end = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
        if end > begin {
            out.push((
                image_base + u64::from(begin),
                u64::from(end - begin),
                FunctionSource::Pdata,
            ));
        }
    }
    Ok(out)
}

//! Disassembly normalized for comparison (x86 and x86-64, `iced-x86`).
//!
//! Code that only moved must not read as changed: when a function is
//! inserted before another, every call, jump and RIP-relative reference in
//! the later one gets a new displacement although the code does the same
//! thing. So every address an instruction refers to is printed as what it
//! points at, not as a number:
//!
//! | the address is | printed as |
//! |---|---|
//! | an instruction of the function being printed | `.L3` (labels numbered in address order) |
//! | inside the function, not an instruction start | `<+0x1a>` (offset from its start) |
//! | an import's PLT stub | `connect@plt` |
//! | a PE import address table slot, or a thunk jumping through one | `KERNEL32.dll!GetTickCount` |
//! | the start of (or inside) a named function | `helper`, `helper+0x10` |
//! | inside a function without a name (stripped) | `<fn>`, `<fn>+0x10` |
//! | inside another section | `<.rodata>` (no offset: data moves too) |
//!
//! A label is printed on its own line (`.L3:`) before the instruction it
//! marks. Labels, not offsets, so that a block inserted early in a function
//! does not change every later jump's text; and the diff of a changed
//! function renames the new side's labels after the old side's where the
//! code around them aligns ([`align_labels`]), so only the instructions
//! that really differ are shown.
//!
//! Immediates and displacements are rewritten the same way only in code
//! that can hold absolute addresses (non-PIE ELF executables, PE images)
//! and only when they are at least 0x10000 and point into the image;
//! position-independent code (ELF shared objects and PIE) reaches its
//! image only PC-relatively, so there a number is always a number (an
//! error code or a line number that happens to equal an address in another
//! function must not read as a reference that moved).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hasher};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use iced_x86::{
    Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, Mnemonic, OpKind,
    SymbolResolver, SymbolResult,
};
use object::{Object, ObjectSection, ObjectSymbolTable, RelocationTarget};
use similar::{Algorithm, DiffOp};

use super::functions::FunctionMap;

/// Smallest immediate treated as a possible absolute address.
const MIN_ABSOLUTE: u64 = 0x10000;

/// The instruction set the disassembler decodes for `arch`, in bits
/// (`None`: not disassembled; functions are then compared by their bytes).
pub(super) fn bitness(arch: object::Architecture) -> Option<u32> {
    match arch {
        object::Architecture::X86_64 => Some(64),
        object::Architecture::I386 => Some(32),
        _ => None,
    }
}

/// What addresses in one executable point at.
pub(super) struct Targets {
    /// start -> (size, name, named).
    functions: BTreeMap<u64, (u64, String, bool)>,
    /// Import stubs: PLT entry address -> `name@plt`; GOT slot address
    /// -> `name@got`; PE import address table slot -> `DLL!Function`.
    stubs: HashMap<u64, String>,
    /// Loaded sections: start -> (end, name).
    sections: BTreeMap<u64, (u64, String)>,
    /// Whether the code may hold absolute addresses in immediates and
    /// displacements.
    absolute: bool,
}

impl Targets {
    /// Collects the targets of `f` (whose bytes are `data`) whose
    /// functions are `map`.
    pub fn of(f: &object::File, data: &[u8], map: &FunctionMap, bits: u32) -> Self {
        let file_len = data.len();
        let functions = map
            .functions
            .iter()
            .map(|x| (x.address, (x.size, x.name.clone(), x.named)))
            .collect();
        let sections = f
            .sections()
            .filter(|s| s.address() != 0 && s.size() > 0)
            .map(|s| {
                (
                    s.address(),
                    (
                        s.address().saturating_add(s.size()),
                        s.name().unwrap_or("?").to_string(),
                    ),
                )
            })
            .collect();
        // ET_DYN (shared objects, PIE) and ET_REL are position-independent
        // or relocated by offset; ET_EXEC and PE images have a base address
        // their code may name absolutely.
        let absolute = match f.format() {
            object::BinaryFormat::Elf => f.kind() == object::ObjectKind::Executable,
            _ => true,
        };
        let mut stubs = plt_stubs(f, file_len, bits);
        if f.format() == object::BinaryFormat::Pe {
            let slots = iat_slots(data);
            stubs.extend(iat_thunks(map, &slots, bits));
            stubs.extend(slots);
        }
        Self {
            functions,
            stubs,
            sections,
            absolute,
        }
    }

    /// How `addr` is printed from inside the function `current`; `None`
    /// keeps the number. `always`: the operand is an address (a branch
    /// target or a RIP-relative reference), not a number that may be one.
    fn token(&self, addr: u64, current: &Current, always: bool) -> Option<String> {
        if !always && (!self.absolute || addr < MIN_ABSOLUTE) {
            return None;
        }
        if addr >= current.start && addr - current.start < current.size {
            return Some(match current.labels.binary_search(&addr) {
                Ok(n) => format!(".L{n}"),
                Err(_) => format!("<+{:#x}>", addr - current.start),
            });
        }
        if let Some(s) = self.stubs.get(&addr) {
            return Some(s.clone());
        }
        if let Some((&start, (size, name, named))) = self.functions.range(..=addr).next_back()
            && addr - start < *size
        {
            let base = if *named { name.as_str() } else { "<fn>" };
            return Some(match addr - start {
                0 => base.to_string(),
                off => format!("{base}+{off:#x}"),
            });
        }
        if let Some((_, (end, name))) = self.sections.range(..=addr).next_back()
            && addr < *end
        {
            return Some(format!("<{name}>"));
        }
        always.then(|| "<?>".to_string())
    }
}

/// PLT stubs of an x86 ELF file: each stub is a `jmp [rip+slot]` whose
/// GOT slot carries a `JUMP_SLOT` or `GLOB_DAT` relocation naming the
/// import (System V x86-64 psABI §5.2 "Procedure Linkage Table"; with IBT
/// the stub starts with an `endbr64` before the jump, `.plt.sec`).
fn plt_stubs(f: &object::File, file_len: usize, bits: u32) -> HashMap<u64, String> {
    let mut stubs = HashMap::new();
    let (Some(relocs), Some(dynsym)) = (f.dynamic_relocations(), f.dynamic_symbol_table()) else {
        return stubs;
    };
    let mut slots: HashMap<u64, String> = HashMap::new();
    for (offset, r) in relocs {
        if let RelocationTarget::Symbol(i) = r.target()
            && let Ok(sym) = dynsym.symbol_by_index(i)
            && let Ok(name) = object::ObjectSymbol::name(&sym)
            && !name.is_empty()
        {
            slots.insert(offset, name.to_string());
        }
    }
    // A `[rip+slot]` load of a GOT slot reads the import's address.
    stubs.extend(slots.iter().map(|(a, n)| (*a, format!("{n}@got"))));
    // Real PLT sections are disjoint parts of the file; a hostile table
    // of many headers over the same bytes stops at the file's size.
    let mut budget = file_len;
    for s in f.sections() {
        let Ok(name) = s.name() else { continue };
        if !matches!(name, ".plt" | ".plt.sec" | ".plt.got") {
            continue;
        }
        let Ok(data) = s.data() else { continue };
        let Some(rest) = budget.checked_sub(data.len()) else {
            break;
        };
        budget = rest;
        let mut d = Decoder::with_ip(bits, data, s.address(), DecoderOptions::NONE);
        let mut prev: Option<Instruction> = None;
        let mut i = Instruction::default();
        while d.can_decode() {
            d.decode_out(&mut i);
            if i.mnemonic() == Mnemonic::Jmp
                && i.is_ip_rel_memory_operand()
                && let Some(import) = slots.get(&i.ip_rel_memory_address())
            {
                let stub = format!("{import}@plt");
                if let Some(p) = prev.filter(|p| {
                    p.mnemonic() == Mnemonic::Endbr64 || p.mnemonic() == Mnemonic::Endbr32
                }) {
                    stubs.insert(p.ip(), stub.clone());
                }
                stubs.insert(i.ip(), stub);
            }
            prev = Some(i);
        }
    }
    stubs
}

/// The function being printed.
#[derive(Default)]
struct Current {
    start: u64,
    size: u64,
    /// Addresses of its instructions that a branch or a RIP-relative
    /// reference inside it targets, sorted: label `.Ln` is `labels[n]`.
    labels: Vec<u64>,
}

/// Import address table slots of a PE image, each named `DLL!Function`
/// (or `DLL!#ordinal`): the loader writes the import's address into the
/// slot, and code calls through it (`call [rip+slot]`), so a slot is the
/// import it holds (PE/COFF specification, "The .idata Section": the
/// lookup table, or the IAT itself when there is none, names slot k;
/// delay-load tables, "Delay-Load Import Tables", likewise). An unreadable
/// table names nothing: the slot then prints as its section, as before.
fn iat_slots(data: &[u8]) -> HashMap<u64, String> {
    use object::LittleEndian as LE;
    use object::read::pe::{
        ImageNtHeaders, ImageOptionalHeader, Import, ImportThunkList, PeFile, PeFile32, PeFile64,
    };
    /// Names the slots of one descriptor: slot k of the IAT at `iat` is
    /// the k-th entry of `thunks`.
    fn walk<'d, Pe: ImageNtHeaders>(
        pe: &PeFile<'d, Pe>,
        (dll, iat, mut thunks): (&[u8], u32, ImportThunkList<'d>),
        import: impl Fn(Pe::ImageThunkData) -> object::Result<Import<'d>>,
        out: &mut HashMap<u64, String>,
    ) -> object::Result<()> {
        let base = pe.nt_headers().optional_header().image_base();
        let entry = std::mem::size_of::<Pe::ImageThunkData>() as u64;
        let dll = String::from_utf8_lossy(dll);
        let mut slot = base + u64::from(iat);
        while let Some(thunk) = thunks.next::<Pe>()? {
            let name = match import(thunk)? {
                Import::Name(_, name) => format!("{dll}!{}", String::from_utf8_lossy(name)),
                Import::Ordinal(n) => format!("{dll}!#{n}"),
            };
            out.insert(slot, name);
            slot += entry;
        }
        Ok(())
    }
    fn read<Pe: ImageNtHeaders>(pe: &PeFile<'_, Pe>) -> object::Result<HashMap<u64, String>> {
        let mut out = HashMap::new();
        if let Some(t) = pe.import_table()? {
            let mut descriptors = t.descriptors()?;
            while let Some(d) = descriptors.next()? {
                let iat = d.first_thunk.get(LE);
                let lookup = match d.original_first_thunk.get(LE) {
                    0 => iat,
                    rva => rva,
                };
                let one = (t.name(d.name.get(LE))?, iat, t.thunks(lookup)?);
                walk(pe, one, |x| t.import::<Pe>(x), &mut out)?;
            }
        }
        if let Some(t) = pe.delay_load_import_table()? {
            let mut descriptors = t.descriptors()?;
            while let Some(d) = descriptors.next()? {
                let one = (
                    t.name(d.dll_name_rva.get(LE))?,
                    d.import_address_table_rva.get(LE),
                    t.thunks(d.import_name_table_rva.get(LE))?,
                );
                walk(pe, one, |x| t.import::<Pe>(x), &mut out)?;
            }
        }
        Ok(out)
    }
    let got = match PeFile64::parse(data) {
        Ok(pe) => read(&pe),
        Err(_) => PeFile32::parse(data).and_then(|pe| read(&pe)),
    };
    got.unwrap_or_default()
}

/// Import thunks of a PE image: `jmp [slot]` (`FF 25` and a 32-bit
/// RIP-relative displacement in x64, an absolute address in x86) to an
/// import address table slot, which MinGW links for every import not
/// declared `dllimport`; a call to the thunk is a call to the import. The
/// bytes are scanned, not decoded: an `FF 25` that is not a thunk is only
/// named if something jumps to it, and then it is one.
fn iat_thunks(map: &FunctionMap, slots: &HashMap<u64, String>, bits: u32) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for c in &map.code {
        for (i, w) in c.data.windows(6).enumerate() {
            if w[..2] != [0xff, 0x25] {
                continue;
            }
            let at = c.address + i as u64;
            let operand = [w[2], w[3], w[4], w[5]];
            let slot = match bits {
                64 => at
                    .wrapping_add(6)
                    .wrapping_add_signed(i64::from(i32::from_le_bytes(operand))),
                _ => u64::from(u32::from_le_bytes(operand)),
            };
            if let Some(name) = slots.get(&slot) {
                out.push((at, name.clone()));
            }
        }
    }
    out
}

struct Resolver {
    targets: Arc<Targets>,
    current: Rc<RefCell<Current>>,
}

impl SymbolResolver for Resolver {
    fn symbol(
        &mut self,
        instruction: &Instruction,
        _operand: u32,
        instruction_operand: Option<u32>,
        address: u64,
        _address_size: u32,
    ) -> Option<SymbolResult<'_>> {
        let always = match instruction_operand.map(|o| instruction.op_kind(o)) {
            Some(OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64) => true,
            Some(OpKind::Memory) => instruction.is_ip_rel_memory_operand(),
            _ => false,
        };
        let text = self
            .targets
            .token(address, &self.current.borrow(), always)?;
        Some(SymbolResult::with_string(address, text))
    }
}

/// Decodes and prints functions of one executable.
pub(super) struct Disassembler {
    bits: u32,
    formatter: IntelFormatter,
    current: Rc<RefCell<Current>>,
    text: String,
}

impl Disassembler {
    /// A disassembler for `bits`-bit code whose addresses resolve through
    /// `targets`.
    pub fn new(bits: u32, targets: Arc<Targets>) -> Self {
        let current = Rc::new(RefCell::new(Current::default()));
        let mut formatter = IntelFormatter::with_options(
            Some(Box::new(Resolver {
                targets,
                current: current.clone(),
            })),
            None,
        );
        let o = formatter.options_mut();
        o.set_hex_prefix("0x");
        o.set_hex_suffix("");
        o.set_uppercase_hex(false);
        o.set_space_after_operand_separator(true);
        Self {
            bits,
            formatter,
            current,
            text: String::new(),
        }
    }

    /// Calls `each(address, text)` for every instruction of the function
    /// at `address` whose bytes are `bytes`, and for every label (`.L3:`,
    /// at the address of the instruction it marks).
    pub fn each(&mut self, address: u64, bytes: &[u8], mut each: impl FnMut(u64, &str)) {
        let labels = self.labels(address, bytes);
        *self.current.borrow_mut() = Current {
            start: address,
            size: bytes.len() as u64,
            labels,
        };
        let mut d = Decoder::with_ip(self.bits, bytes, address, DecoderOptions::NONE);
        let mut i = Instruction::default();
        let mut next_label = 0;
        while d.can_decode() {
            d.decode_out(&mut i);
            let n = {
                let c = self.current.borrow();
                // Labels are sorted and instruction starts increase: one
                // walk, and a label that is not an instruction start (a
                // jump into the middle of one) is passed over.
                while c.labels.get(next_label).is_some_and(|&l| l < i.ip()) {
                    next_label += 1;
                }
                (c.labels.get(next_label) == Some(&i.ip())).then_some(next_label)
            };
            if let Some(n) = n {
                self.text.clear();
                let _ = write!(self.text, ".L{n}:");
                each(i.ip(), &self.text);
            }
            self.text.clear();
            self.formatter.format(&i, &mut self.text);
            each(i.ip(), &self.text);
        }
    }

    /// The instruction starts of the function at `address` that a branch
    /// or RIP-relative reference inside it targets, sorted (a first decode
    /// pass, linear in the function's size).
    fn labels(&self, address: u64, bytes: &[u8]) -> Vec<u64> {
        let inside = |a: u64| a.checked_sub(address).filter(|&o| o < bytes.len() as u64);
        let mut starts = vec![false; bytes.len()];
        let mut targets = Vec::new();
        let mut d = Decoder::with_ip(self.bits, bytes, address, DecoderOptions::NONE);
        let mut i = Instruction::default();
        while d.can_decode() {
            d.decode_out(&mut i);
            if let Some(o) = inside(i.ip()) {
                starts[o as usize] = true;
            }
            for op in 0..i.op_count() {
                let target = match i.op_kind(op) {
                    OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
                        i.near_branch_target()
                    }
                    OpKind::Memory if i.is_ip_rel_memory_operand() => i.ip_rel_memory_address(),
                    _ => continue,
                };
                targets.extend(inside(target));
            }
        }
        targets.retain(|&o| starts[o as usize]);
        targets.sort_unstable();
        targets.dedup();
        targets.into_iter().map(|o| address + o).collect()
    }

    /// A digest of the normalized instructions: equal for code that only
    /// moved.
    pub fn fingerprint(&mut self, address: u64, bytes: &[u8]) -> u64 {
        let mut h = DefaultHasher::new();
        self.each(address, bytes, |_, t| {
            h.write(t.as_bytes());
            h.write_u8(b'\n');
        });
        h.finish()
    }
}

/// Whether a printed line is a label (`.L3:`), not an instruction.
pub(super) fn is_label(text: &str) -> bool {
    text.starts_with(".L") && text.ends_with(':')
}

/// The label numbers in one printed line, in order (`.L3` -> 3).
fn label_refs(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(".L") {
        rest = &rest[i + 2..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(n) = rest[..digits].parse() {
            out.push(n);
        }
        rest = &rest[digits..];
    }
    out
}

/// `text` with every label number replaced by `f(number)`, or left out
/// where `f` says `None`.
fn relabel(text: &str, mut f: impl FnMut(u32) -> Option<u32>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(".L") {
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(n) = rest[..digits].parse().ok().and_then(&mut f) {
            let _ = write!(out, "{n}");
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Renames the labels of `new` (a listing of one function) after those
/// of `old` where the code aligns, so that a block inserted early does not
/// show every later jump as changed.
///
/// The listings are first aligned with every label number erased. A label
/// defined on an aligned line is the same label on both sides; then a
/// label referenced from aligned lines, in order, where its definition did
/// not decide. A new label with no counterpart gets a number past the old
/// side's last, so it reads as new. A jump retargeted to another block
/// still differs: its label maps to the old label of the block it now
/// reaches, not the one it used to.
pub(super) fn align_labels(old: &[(u64, String)], new: &mut [(u64, String)], deadline: Instant) {
    let shape = |l: &[(u64, String)]| -> Vec<String> {
        l.iter().map(|(_, t)| relabel(t, |_| None)).collect()
    };
    let (os, ns) = (shape(old), shape(new));
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &os, &ns, Some(deadline));
    let equal: Vec<(usize, usize)> = ops
        .iter()
        .filter_map(|op| match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => Some((0..len).map(move |k| (old_index + k, new_index + k))),
            _ => None,
        })
        .flatten()
        .collect();
    let mut map: HashMap<u32, u32> = HashMap::new();
    let mut taken: HashSet<u32> = HashSet::new();
    let mut pair = |n: u32, o: u32, map: &mut HashMap<u32, u32>| {
        if !map.contains_key(&n) && !taken.contains(&o) {
            map.insert(n, o);
            taken.insert(o);
        }
    };
    for &(i, j) in &equal {
        if is_label(&old[i].1) && is_label(&new[j].1) {
            for (o, n) in label_refs(&old[i].1).into_iter().zip(label_refs(&new[j].1)) {
                pair(n, o, &mut map);
            }
        }
    }
    for &(i, j) in &equal {
        for (o, n) in label_refs(&old[i].1).into_iter().zip(label_refs(&new[j].1)) {
            pair(n, o, &mut map);
        }
    }
    let mut next = old
        .iter()
        .flat_map(|(_, t)| label_refs(t))
        .max()
        .map_or(0, |m| m + 1);
    for (_, t) in new.iter_mut() {
        if !t.contains(".L") {
            continue;
        }
        *t = relabel(t, |n| {
            Some(*map.entry(n).or_insert_with(|| {
                next += 1;
                next - 1
            }))
        });
    }
}

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
//! | inside the function being printed | `<+0x1a>` (offset from its start) |
//! | an import's PLT stub | `connect@plt` |
//! | the start of (or inside) a named function | `helper`, `helper+0x10` |
//! | inside a function without a name (stripped) | `<fn>`, `<fn>+0x10` |
//! | inside another section | `<.rodata>` (no offset: data moves too) |
//!
//! Immediates and displacements are rewritten the same way only when they
//! are at least 0x10000 and point into the image (absolute addresses of a
//! non-PIE binary); smaller numbers stay numbers.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use iced_x86::{
    Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, Mnemonic, OpKind,
    SymbolResolver, SymbolResult,
};
use object::{Object, ObjectSection, ObjectSymbolTable, RelocationTarget};

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
    /// -> `name@got`.
    stubs: HashMap<u64, String>,
    /// Loaded sections: start -> (end, name).
    sections: BTreeMap<u64, (u64, String)>,
}

impl Targets {
    /// Collects the targets of `f` (`file_len` bytes) whose functions are
    /// `map`.
    pub fn of(f: &object::File, file_len: usize, map: &FunctionMap, bits: u32) -> Self {
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
        Self {
            functions,
            stubs: plt_stubs(f, file_len, bits),
            sections,
        }
    }

    /// How `addr` is printed from inside the function `current` (start,
    /// size); `None` keeps the number.
    fn token(&self, addr: u64, current: (u64, u64), always: bool) -> Option<String> {
        if addr >= current.0 && addr - current.0 < current.1 {
            return Some(format!("<+{:#x}>", addr - current.0));
        }
        if let Some(s) = self.stubs.get(&addr) {
            return Some(s.clone());
        }
        if !always && addr < MIN_ABSOLUTE {
            return None;
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

struct Resolver {
    targets: Arc<Targets>,
    current: Rc<Cell<(u64, u64)>>,
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
        let text = self.targets.token(address, self.current.get(), always)?;
        Some(SymbolResult::with_string(address, text))
    }
}

/// Decodes and prints functions of one executable.
pub(super) struct Disassembler {
    bits: u32,
    formatter: IntelFormatter,
    current: Rc<Cell<(u64, u64)>>,
    text: String,
}

impl Disassembler {
    /// A disassembler for `bits`-bit code whose addresses resolve through
    /// `targets`.
    pub fn new(bits: u32, targets: Arc<Targets>) -> Self {
        let current = Rc::new(Cell::new((0, 0)));
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
    /// at `address` whose bytes are `bytes`.
    pub fn each(&mut self, address: u64, bytes: &[u8], mut each: impl FnMut(u64, &str)) {
        self.current.set((address, bytes.len() as u64));
        let mut d = Decoder::with_ip(self.bits, bytes, address, DecoderOptions::NONE);
        let mut i = Instruction::default();
        while d.can_decode() {
            d.decode_out(&mut i);
            self.text.clear();
            self.formatter.format(&i, &mut self.text);
            each(i.ip(), &self.text);
        }
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

//! Hostile executables for the code diff (`diff::code`): 300 000
//! overlapping function symbols, symbols pointing outside every section and
//! outside the file. The comparison ends in bounded time with a partial
//! result that says what was cut, never a panic.

use std::time::{Duration, Instant};

use glassbox_core::diff::DiffOptions;
use glassbox_core::diff::compare::compare_bytes;
use glassbox_core::release::{EntryPath, RawPath};
use object::write::{Object, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

const TEXT: usize = 1 << 19;
const SYMBOLS: usize = 300_000;

/// An x86-64 ELF object: 512 KiB of code (`nop`, with `salt` at the start)
/// and 300 000 function symbols (more than the 2^18 kept) of 64 KiB each,
/// one per byte, so that
/// they overlap and most run past the section's end; every tenth points
/// far outside the file.
fn hostile(salt: u8) -> Vec<u8> {
    let mut o = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = o.section_id(object::write::StandardSection::Text);
    let mut code = vec![0x90u8; TEXT];
    code[0] = salt;
    o.append_section_data(text, &code, 16);
    for i in 0..SYMBOLS {
        let value = if i % 10 == 0 {
            0x7fff_ffff_0000 + i as u64
        } else {
            i as u64
        };
        o.add_symbol(Symbol {
            name: format!("f{i:07}").into_bytes(),
            value,
            size: 1 << 16,
            kind: SymbolKind::Text,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(text),
            flags: SymbolFlags::None,
        });
    }
    o.write().unwrap()
}

#[test]
fn many_overlapping_and_outside_symbols_are_cut_with_reasons() {
    let (a, b) = (hostile(0x90), hostile(0xc3));
    let path = EntryPath::top(RawPath::from("bin/hostile.o"));
    let start = Instant::now();
    let d = compare_bytes(&path, &a, &b, &DiffOptions::default());
    let took = start.elapsed();
    // Quadratic work would be 10^12 steps; bounded work is seconds.
    assert!(took < Duration::from_secs(300), "{took:?}");
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
}

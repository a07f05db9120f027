//! Code that only moved is not "changed", and a changed function shows only
//! the instructions that changed (issue 15). Two shared objects assembled
//! by gcc at test time, the functions written in assembly so the layout is
//! exact:
//!
//! - `first` gains a block early in its body: every later jump's target
//!   moves by the block's size. It is changed, and its disassembly diff is
//!   the new block alone (jump targets are labels, matched across sides).
//! - `pad`, 128 KiB of `int3`, moves by the same amount, unchanged.
//! - `second` is unchanged but moved, and holds the number 0x11000, which
//!   lies inside `pad` at another offset on each side: in
//!   position-independent code it is a number, not a reference to `pad`.

mod common;

use std::process::Command;

use glassbox_core::diff::DiffOptions;
use glassbox_core::diff::compare::{LineTag, compare_bytes};
use glassbox_core::release::{EntryPath, RawPath};

/// The inserted block: 4 instructions and the label it jumps to.
const BLOCK: &str = "
  cmp edi, 5
  jne 3f
  mov eax, 7
  ret
3:
";

fn source(block: &str) -> String {
    format!(
        r#"
__asm__(
".intel_syntax noprefix\n"
".text\n"
".globl first\n.type first, @function\n"
"first:\n"
"  test edi, edi\n"
"  je 1f\n"
{block}
"  mov eax, edi\n"
"2:\n"
"  dec edi\n"
"  jnz 2b\n"
"  ret\n"
"1:\n"
"  mov eax, -1\n"
"  ret\n"
".size first, .-first\n"
".globl pad\n.type pad, @function\n"
"pad:\n"
"  .skip 0x20000, 0xcc\n"
".size pad, .-pad\n"
".globl second\n.type second, @function\n"
"second:\n"
"  mov eax, 0x11000\n"
"  test edi, edi\n"
"  jz 1f\n"
"  add eax, edi\n"
"1:\n"
"  ret\n"
".size second, .-second\n"
".att_syntax\n"
);
"#,
        block = block
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("\"{l}\\n\"\n"))
            .collect::<String>()
    )
}

fn build(dir: &std::path::Path, name: &str, block: &str) -> Vec<u8> {
    let c = dir.join(format!("{name}.c"));
    let so = dir.join(format!("{name}.so"));
    std::fs::write(&c, source(block)).unwrap();
    common::succeed(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-nostdlib", "-o"])
            .arg(&so)
            .arg(&c),
    );
    std::fs::read(so).unwrap()
}

#[test]
#[cfg_attr(not(any(ci, has_gcc)), ignore = "needs gcc")]
fn inserted_block_is_the_whole_diff_and_moved_code_is_not_changed() {
    let t = tempfile::tempdir().unwrap();
    let old = build(t.path(), "old", "");
    let new = build(t.path(), "new", BLOCK);
    let path = EntryPath::top(RawPath::from("lib/libdemo.so"));
    let d = compare_bytes(&path, &old, &new, &DiffOptions::default());
    let f = d.code.expect("a code diff").functions;

    let changed: Vec<&str> = f.changed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(changed, vec!["first"], "{f:#?}");
    // `pad` and `second` moved: same code at another address.
    assert_eq!(f.moved_count, 2, "{f:#?}");

    let first = &f.changed[0];
    let shown: Vec<String> = first
        .lines
        .iter()
        .map(|l| format!("{:?} {}", l.tag, l.text))
        .collect();
    // Nothing of the old code reads as removed: the jumps after the block
    // go to the same labels as before.
    assert!(
        first.lines.iter().all(|l| l.tag != LineTag::Removed),
        "{shown:#?}"
    );
    let added: Vec<&str> = first
        .lines
        .iter()
        .filter(|l| l.tag == LineTag::Added)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(added.len(), 5, "{shown:#?}");
    // Instructions counted; the label line is shown, not counted.
    assert_eq!(first.changed_lines, 4, "{shown:#?}");
    assert_eq!(added[0], "cmp edi, 5", "{shown:#?}");
    // The new block's label is new: numbered past the old side's labels.
    assert!(added[1].starts_with("jne "), "{shown:#?}");
    let label = added[1].rsplit(' ').next().unwrap();
    assert_eq!(label, ".L2", "{shown:#?}");
    assert_eq!(added[4], format!("{label}:"), "{shown:#?}");
    // The untouched jumps are context lines, with labels not offsets.
    assert!(
        first
            .lines
            .iter()
            .any(|l| l.tag == LineTag::Context && l.text.starts_with("je short .L")),
        "{shown:#?}"
    );
}

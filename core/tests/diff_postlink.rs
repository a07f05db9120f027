//! Post-link sections (`core::diff::compare::postlink`) on binaries linked
//! here with cc and given their `.gnu_debuglink` by objcopy, as dh_strip
//! does: a changed debug link alone is named, any other changed byte still
//! warns that the binary was modified after its build-id was computed.

mod common;
use common::run;

use std::path::Path;

use glassbox_core::diff::DiffOptions;
use glassbox_core::diff::compare::compare_bytes;
use glassbox_core::diff::compare::exec::PATCHED_AFTER_BUILD_ID;
use glassbox_core::release::{EntryPath, RawPath};

/// One linked binary (with a build-id) given two `.gnu_debuglink`s, as
/// dh_strip does in two builds whose debug files differ: the same name,
/// a different CRC.
fn debuglinked_pair(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    std::fs::write(
        dir.join("app.c"),
        "#include <stdio.h>\nint main(void){puts(\"engine\");return 0;}\n",
    )
    .unwrap();
    run(
        "cc",
        &["-g", "-O1", "-Wl,--build-id=sha1", "-o", "app", "app.c"],
        dir,
    );
    let mut sides = Vec::new();
    for (sub, debug) in [("one", "debug info one"), ("two", "debug info two")] {
        let d = dir.join(sub);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("app.debug"), debug).unwrap();
        run("objcopy", &["--strip-debug", "../app", "app"], &d);
        run("objcopy", &["--add-gnu-debuglink=app.debug", "app"], &d);
        sides.push(std::fs::read(d.join("app")).unwrap());
    }
    let b = sides.pop().unwrap();
    (sides.pop().unwrap(), b)
}

fn app() -> EntryPath {
    EntryPath::top(RawPath(b"usr/lib/app".to_vec()))
}

fn section_offset(bytes: &[u8], name: &str) -> usize {
    use object::{Object, ObjectSection};
    let f = object::File::parse(bytes).unwrap();
    f.section_by_name(name).unwrap().file_range().unwrap().0 as usize
}

#[test]
fn a_changed_debuglink_alone_is_named_not_warned() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = debuglinked_pair(t.path());
    assert_ne!(a, b, "the CRCs of the two debug files differ");
    let d = compare_bytes(&app(), &a, &b, &DiffOptions::default());
    let e = d.executable.as_ref().unwrap();
    assert!(!e.build_id_unchanged, "{:?}", d.notes);
    assert_eq!(e.debug_link_updated, vec![".gnu_debuglink".to_string()]);
    assert_eq!(
        d.notes,
        vec![
            "debug link updated: only .gnu_debuglink changed, which tools rewrite after \
             linking; every other byte is identical"
                .to_string()
        ]
    );
}

#[test]
fn any_other_changed_byte_still_warns() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = debuglinked_pair(t.path());
    // A patched .rodata byte, and a byte of the ELF header's padding
    // (e_ident[EI_PAD], in no section): each alone keeps the warning.
    let rodata = section_offset(&b, ".rodata");
    for at in [rodata, 12] {
        let mut patched = b.clone();
        patched[at] ^= 1;
        let d = compare_bytes(&app(), &a, &patched, &DiffOptions::default());
        let e = d.executable.as_ref().unwrap();
        assert!(e.build_id_unchanged, "byte {at}: {:?}", d.notes);
        assert!(e.debug_link_updated.is_empty());
        assert_eq!(d.notes, vec![PATCHED_AFTER_BUILD_ID]);
    }
}

/// Rewrites, in `bytes`, the ELF64 section header of `name` to cover
/// `range` (sh_offset, sh_size), leaving its flags (no `SHF_ALLOC`) alone.
fn point_section_at(bytes: &mut [u8], name: &str, range: (u64, u64)) {
    use object::{Object, ObjectSection};
    let index = object::File::parse(&*bytes)
        .unwrap()
        .section_by_name(name)
        .unwrap()
        .index()
        .0;
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let shoff = u64_at(bytes, 0x28) as usize;
    let shentsize = u16::from_le_bytes([bytes[0x3a], bytes[0x3b]]) as usize;
    let hdr = shoff + index * shentsize;
    bytes[hdr + 24..hdr + 32].copy_from_slice(&range.0.to_le_bytes());
    bytes[hdr + 32..hdr + 40].copy_from_slice(&range.1.to_le_bytes());
}

#[test]
fn a_debuglink_header_laid_over_loaded_bytes_excuses_nothing() {
    // The adversary's vendor points the (non-loaded) `.gnu_debuglink`
    // section header at `.rodata`, which a PT_LOAD segment maps: the
    // section flags say "not loaded" but the bytes are, so a patched
    // string (or instruction) there must keep the build-id warning.
    use object::{Object, ObjectSection};
    let t = tempfile::tempdir().unwrap();
    let (mut a, _) = debuglinked_pair(t.path());
    let rodata = object::File::parse(&*a)
        .unwrap()
        .section_by_name(".rodata")
        .unwrap()
        .file_range()
        .unwrap();
    point_section_at(&mut a, ".gnu_debuglink", rodata);
    let mut b = a.clone();
    let at = rodata.0 as usize + rodata.1 as usize - 2;
    b[at] ^= 1;
    let d = compare_bytes(&app(), &a, &b, &DiffOptions::default());
    let e = d.executable.as_ref().unwrap();
    assert!(e.debug_link_updated.is_empty(), "{:?}", d.notes);
    assert_eq!(d.notes, vec![PATCHED_AFTER_BUILD_ID]);
}

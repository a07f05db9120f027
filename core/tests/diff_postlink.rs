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

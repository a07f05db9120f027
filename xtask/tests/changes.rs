//! The 1.0.0 → 1.1.0 change list written in testdata/demo/README.md holds
//! for the committed files (so the README cannot drift from the data).

mod common;
use common::{demo, payload};

use std::collections::BTreeSet;

use object::{Object, ObjectSection, ObjectSymbol};

fn text(data: &[u8]) -> &str {
    std::str::from_utf8(data).unwrap()
}

#[test]
fn file_level_changes_are_the_documented_ones() {
    let old = payload(&demo().join("releases/exampleav-1.0.0"));
    let new = payload(&demo().join("releases/exampleav-1.1.0"));
    let old_names: BTreeSet<&str> = old.keys().map(String::as_str).collect();
    let new_names: BTreeSet<&str> = new.keys().map(String::as_str).collect();
    let removed: Vec<&str> = old_names.difference(&new_names).copied().collect();
    let added: Vec<&str> = new_names.difference(&old_names).copied().collect();
    assert_eq!(removed, ["docs/LICENSE.txt", "signatures/legacy.db"]);
    assert_eq!(added, ["LICENSE", "signatures/heuristics.db"]);
    // The rename: same bytes under a new name.
    assert_eq!(old["docs/LICENSE.txt"], new["LICENSE"]);

    let mut modified = Vec::new();
    let mut mode_only = Vec::new();
    let mut unchanged = Vec::new();
    for name in old_names.intersection(&new_names) {
        let (o, n) = (&old[*name], &new[*name]);
        if o.0 != n.0 {
            assert_eq!(o.1, n.1, "{name}: content and mode both changed");
            modified.push(*name);
        } else if o.1 != n.1 {
            mode_only.push(*name);
        } else {
            unchanged.push(*name);
        }
    }
    assert_eq!(
        modified,
        [
            "CHANGELOG.md",
            "engine/avengine",
            "etc/exampleav.json",
            "signatures/daily.cvd",
            "signatures/main.db"
        ]
    );
    assert_eq!(mode_only, ["tools/quarantine.sh"]);
    assert!(!old["tools/quarantine.sh"].1 && new["tools/quarantine.sh"].1);
    assert_eq!(unchanged, ["engine/libscan.so"]);
}

#[test]
fn config_keys_added_changed_and_removed() {
    let read = |v: &str| -> serde_json::Value {
        let p = demo().join(format!("releases/exampleav-{v}/etc/exampleav.json"));
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let (old, new) = (read("1.0.0"), read("1.1.0"));
    assert_eq!(old["legacy_mode"], false);
    assert!(new.get("legacy_mode").is_none());
    assert!(old["engine"].get("heuristics").is_none());
    assert_eq!(
        new["engine"]["heuristics"],
        serde_json::json!({"enabled": true, "threshold": 70})
    );
    assert!(old["update"].get("channel").is_none());
    assert_eq!(new["update"]["channel"], "stable");
    assert_eq!(
        (&old["engine"]["threads"], &new["engine"]["threads"]),
        (&2.into(), &4.into())
    );
    assert_eq!(old["engine"]["max_file_size_mb"], 25);
    assert_eq!(new["engine"]["max_file_size_mb"], 50);
    assert_eq!(
        old["update"]["url"],
        "https://updates.exampleav.invalid/v1/"
    );
    assert_eq!(
        new["update"]["url"],
        "https://updates.exampleav.invalid/v2/"
    );
    for (a, b) in [("engine", "scan_archives"), ("update", "interval_hours")] {
        assert_eq!(old[a][b], new[a][b]);
    }
    assert_eq!(old["log_level"], new["log_level"]);
}

#[test]
fn signature_databases_grow_as_documented() {
    let read = |v: &str, f: &str| {
        std::fs::read(demo().join(format!("releases/exampleav-{v}/{f}"))).unwrap()
    };
    let records = |data: &[u8]| -> Vec<String> {
        text(data)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let (old, new) = (
        read("1.0.0", "signatures/main.db"),
        read("1.1.0", "signatures/main.db"),
    );
    let (old_r, new_r) = (records(&old), records(&new));
    assert_eq!((old_r.len(), new_r.len()), (12, 15));
    assert_eq!(old_r[..], new_r[..12]);
    let added: Vec<&str> = new_r[12..]
        .iter()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        added,
        [
            "Demo.Ransom.Locker-2",
            "Demo.Stealer.Browser-1",
            "Demo.Macro.Doc-2"
        ]
    );
    assert!(text(&old).contains("# serial: 2026030201\n"));
    assert!(text(&new).contains("# serial: 2026061501\n"));

    let (old, new) = (
        read("1.0.0", "signatures/daily.cvd"),
        read("1.1.0", "signatures/daily.cvd"),
    );
    assert_eq!((old.len(), new.len()), (2168, 3392));
    assert!(old.starts_with(b"ExampleAV-CVD:daily:101:20260302:40:"));
    assert!(new.starts_with(b"ExampleAV-CVD:daily:187:20260615:64:"));
    // Records 0..40 are unchanged: the old body is a prefix of the new body.
    assert!(new[128..].starts_with(&old[128..]));

    let (old, new) = (read("1.0.0", "CHANGELOG.md"), read("1.1.0", "CHANGELOG.md"));
    let entry_at = text(&new).find("## 1.1.0 (2026-06-15)").unwrap();
    assert!(entry_at < text(&new).find("## 1.0.0").unwrap());
    assert!(text(&new).ends_with(text(&old)["# ExampleAV changelog\n\n".len()..].as_ref() as &str));
}

fn symbols(data: &[u8]) -> BTreeSet<String> {
    let file = object::File::parse(data).unwrap();
    file.symbols()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .filter(|n| !n.is_empty())
        .collect()
}

fn build_id(data: &[u8]) -> Vec<u8> {
    let file = object::File::parse(data).unwrap();
    file.build_id().unwrap().expect("build-id note").to_vec()
}

#[test]
fn engine_symbols_build_ids_and_the_tamper() {
    let read = |rel: &str| std::fs::read(demo().join(rel)).unwrap();
    let old = read("releases/exampleav-1.0.0/engine/avengine");
    let new = read("releases/exampleav-1.1.0/engine/avengine");
    let tampered = read("tampered/exampleav-1.1.0/engine/avengine");
    let (so, sn) = (symbols(&old), symbols(&new));
    let added: Vec<&String> = sn.difference(&so).collect();
    let removed: Vec<&String> = so.difference(&sn).collect();
    assert_eq!(added, ["builtin", "heuristic_score", "strlen@GLIBC_2.2.5"]);
    assert!(removed.is_empty(), "{removed:?}");
    assert_ne!(build_id(&old), build_id(&new));

    let lib = symbols(&read("releases/exampleav-1.0.0/engine/libscan.so"));
    for s in ["libscan_crc32", "libscan_count_byte", "libscan_version"] {
        assert!(lib.contains(s), "{s}");
    }

    // One byte differs, inside .rodata, and the build-id was not updated.
    let diffs: Vec<usize> = (0..new.len()).filter(|&i| new[i] != tampered[i]).collect();
    assert_eq!(diffs, [0x20f3]);
    assert_eq!((new[0x20f3], tampered[0x20f3]), (b'm', b'n'));
    let file = object::File::parse(&*new).unwrap();
    let (start, size) = file
        .section_by_name(".rodata")
        .unwrap()
        .file_range()
        .unwrap();
    assert!((start..start + size).contains(&0x20f3));
    assert_eq!(build_id(&new), build_id(&tampered));
}

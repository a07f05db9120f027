//! The demo vendor (testdata/demo, see its README): the rebuild of 1.1.0 is
//! equivalent with exactly its metadata normalizations, the tampered 1.1.0
//! is different in the engine, and 1.1.0 is identical to itself.

mod common;
use common::demo;

use glassbox_core::repro::{DifferenceKind, Normalization, ReproOptions, Verdict, compare};

const SIGNATURES: [&str; 6] = [
    "SHA256SUMS",
    "SHA256SUMS.p7s",
    "engine/avengine.p7s",
    "engine/libscan.so.p7s",
    "exampleav-1.1.0.intoto.jsonl",
    "signatures/daily.cvd.sig",
];

#[test]
fn rebuild_is_equivalent_with_exactly_its_metadata_normalizations() {
    use Normalization::*;
    let cases = [
        (
            "exampleav-1.1.0.tar.gz",
            vec![
                MemberOrder,
                TarMtime,
                TarOwner,
                GzipHeader,
                DetachedSignatures,
            ],
        ),
        (
            "exampleav-1.1.0.zip",
            vec![MemberOrder, ZipDosTime, ZipExtraFields, DetachedSignatures],
        ),
        ("exampleav-1.1.0", vec![FileMtime, DetachedSignatures]),
    ];
    for (name, expected) in cases {
        let r = compare(
            &demo(format!("releases/{name}")),
            &demo(format!("rebuild/{name}")),
            &ReproOptions::default(),
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Equivalent, "{name}: {r:#?}");
        let names: Vec<_> = r.normalizations.iter().map(|n| n.name).collect();
        assert_eq!(names, expected, "{name}");
        let sigs = r
            .normalizations
            .iter()
            .find(|n| n.name == DetachedSignatures)
            .unwrap();
        let mut places = sigs.places.clone();
        places.sort();
        assert_eq!(places, SIGNATURES, "{name}");
    }
}

#[test]
fn tampered_release_is_different_and_names_the_engine() {
    for name in [
        "exampleav-1.1.0.tar.gz",
        "exampleav-1.1.0.zip",
        "exampleav-1.1.0",
    ] {
        let r = compare(
            &demo(format!("releases/{name}")),
            &demo(format!("tampered/{name}")),
            &ReproOptions::default(),
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Different, "{name}");
        assert_eq!(r.differences.len(), 1, "{name}: {:#?}", r.differences);
        assert_eq!(r.differences[0].path, "engine/avengine");
        assert!(matches!(
            r.differences[0].kind,
            DifferenceKind::Content {
                vendor_size: 16600,
                rebuild_size: 16600,
                ..
            }
        ));
        // The diff module's evidence covers exactly that file, and shows
        // the binary was patched after it was linked.
        let evidence = r
            .evidence
            .as_ref()
            .expect("evidence for a different verdict");
        let paths: Vec<String> = evidence
            .changes
            .iter()
            .map(|c| c.path.to_string())
            .collect();
        assert_eq!(paths, ["engine/avengine"], "{name}");
        assert!(evidence.summary.changed_executables[0].build_id_unchanged);
    }
}

#[test]
fn release_against_itself_is_identical() {
    for name in [
        "exampleav-1.1.0.tar.gz",
        "exampleav-1.1.0.zip",
        "exampleav-1.1.0",
    ] {
        let p = demo(format!("releases/{name}"));
        let r = compare(&p, &p, &ReproOptions::default()).unwrap();
        assert_eq!(r.verdict, Verdict::Identical, "{name}");
    }
}

//! Replays every input under `testdata/fuzz-regressions/<target>/` through
//! the body of fuzz target `<target>` (`fuzz/src/lib.rs`, included below so
//! the replay runs exactly the code the fuzzer ran). Each input once made
//! a target panic, hang or run out of memory; the fix is pinned by this
//! test: the input must now be handled (an `Ok` or an `Err`, the target
//! ignores which) without a panic and within a time bound.
//! How the inputs were found: `testdata/fuzz-regressions/README.md`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz;

/// A fuzz target's body.
type Target = fn(&[u8]);

/// Every fuzz target by its directory name. A directory that names no
/// target fails the test rather than being skipped.
const TARGETS: &[(&str, Target)] = &[
    ("ar_deb", fuzz::ar_deb),
    ("authenticode", fuzz::authenticode),
    ("cms", fuzz::cms),
    ("compressed", fuzz::compressed),
    ("dsse_envelope", fuzz::dsse_envelope),
    ("openpgp", fuzz::openpgp),
    ("public_key", fuzz::public_key),
    ("rpm", fuzz::rpm),
    ("sigstore_bundle", fuzz::sigstore_bundle),
    ("tar", fuzz::tar),
    ("tlog", fuzz::tlog),
    ("tuf", fuzz::tuf),
    ("x509_chain", fuzz::x509_chain),
    ("zip", fuzz::zip),
];

/// libFuzzer ran with `-timeout=10` on an optimized build; a debug test
/// build is several times slower, and the inputs that hung ran for far
/// longer than this.
const TIME_BOUND: Duration = Duration::from_secs(30);

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fuzz-regressions")
}

/// Every target in fuzz/Cargo.toml is replayable here, so a new target's
/// regression inputs cannot be silently skipped.
#[test]
fn every_fuzz_target_is_replayable() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/Cargo.toml"))
            .expect("read fuzz/Cargo.toml");
    let declared: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "glassbox-fuzz")
        .collect();
    let mut declared = declared;
    declared.sort_unstable();
    let known: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(declared, known, "fuzz/Cargo.toml targets vs TARGETS here");
}

#[test]
fn fuzz_regression_inputs_are_handled() {
    let dir = regressions_dir();
    let mut replayed = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read testdata/fuzz-regressions") {
        let entry = entry.expect("dir entry");
        if !entry.file_type().expect("file type").is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((_, run)) = TARGETS.iter().find(|(n, _)| *n == name) else {
            panic!("testdata/fuzz-regressions/{name}/ names no fuzz target");
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(entry.path())
            .expect("read target dir")
            .map(|e| e.expect("dir entry").path())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("read input");
            let start = Instant::now();
            let outcome = std::panic::catch_unwind(|| run(&data));
            let took = start.elapsed();
            let shown = file
                .strip_prefix(&dir)
                .unwrap_or(&file)
                .display()
                .to_string();
            if outcome.is_err() {
                failures.push(format!("{shown}: panicked"));
            } else if took > TIME_BOUND {
                failures.push(format!("{shown}: took {took:?} (bound {TIME_BOUND:?})"));
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "fuzz regressions: {failures:#?}");
    eprintln!("replayed {replayed} fuzz regression inputs");
}

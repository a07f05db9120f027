//! Every generated TUF case in `$GLASSBOX_CORPORA/tuf/generated` gives the
//! outcome its MANIFEST.json states, and both real-world repositories
//! verify at their `faketime` and yield their `targetpath`.

mod common;
use common::corpus;

use std::path::Path;

use glassbox_core::tuf::{self, DirSource, Options, RepositoryReport, TargetSelection};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn stored_version(state: &Path, role: &str) -> u64 {
    let bytes = std::fs::read(state.join(format!("{role}.json"))).unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    v["signed"]["version"].as_u64().unwrap()
}

/// Runs one step and returns the mismatches with its expectation.
/// `client_mode`: the options `glassbox tuf client` uses (stored metadata
/// reused when current, TAP 12 keyids accepted).
fn run_step(dir: &Path, state: &Path, expect: &Value, client_mode: bool) -> Vec<String> {
    let mut errs = Vec::new();
    let downloads: Vec<String> = expect
        .get("downloads")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let root = std::fs::read(dir.join("initial_root.json")).unwrap();
    let mut opts = Options::now();
    opts.state_dir = Some(state.to_path_buf());
    opts.targets = TargetSelection::Names(downloads.clone());
    opts.reuse_local_metadata = client_mode;
    opts.strict_keyids = !client_mode;
    let report: RepositoryReport =
        tuf::verify_repository(&root, &DirSource::new(dir), &opts).unwrap();
    let refresh = if report.error.is_none() { "ok" } else { "fail" };
    if refresh != expect["refresh"].as_str().unwrap() {
        errs.push(format!("refresh {refresh} ({:?})", report.error));
    }
    for name in &downloads {
        let want = expect["downloads"][name].as_str().unwrap();
        let got = match report.targets.iter().find(|t| &t.name == name) {
            Some(t) if t.error.is_none() => "ok",
            _ => "fail",
        };
        if got != want {
            let why = report
                .targets
                .iter()
                .find(|t| &t.name == name)
                .map(|t| &t.error);
            errs.push(format!("download {name}: {got}, want {want} ({why:?})"));
        }
    }
    if let Some(v) = expect.get("final_root_version").and_then(Value::as_u64)
        && report.error.is_none()
    {
        let got = report.root_chain.last().unwrap().version;
        if got != v || stored_version(state, "root") != v {
            errs.push(format!("final root version {got}, want {v}"));
        }
    }
    for role in ["timestamp", "snapshot", "targets"] {
        if let Some(v) = expect
            .get(format!("trusted_{role}_version"))
            .and_then(Value::as_u64)
        {
            let got = stored_version(state, role);
            if got != v {
                errs.push(format!("trusted {role} version {got}, want {v}"));
            }
        }
    }
    errs
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn generated_cases_match_manifest() {
    check_generated_cases(false);
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn generated_cases_match_manifest_in_client_mode() {
    check_generated_cases(true);
}

fn check_generated_cases(client_mode: bool) {
    let dir = corpus("tuf");
    let gen_dir = dir.join("generated");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(gen_dir.join("MANIFEST.json")).unwrap()).unwrap();
    let cases = manifest["cases"].as_object().unwrap();
    let mut failures = Vec::new();
    for (name, case) in cases {
        let cdir = gen_dir.join("cases").join(name);
        let state = tempfile::tempdir().unwrap();
        let errs = if case["kind"] == "single" {
            run_step(&cdir, state.path(), &case["expect"], client_mode)
        } else {
            let mut errs = Vec::new();
            for (i, step) in case["expect"]["steps"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                let sdir = cdir.join(format!("step{}", i + 1));
                errs.extend(
                    run_step(&sdir, state.path(), step, client_mode)
                        .into_iter()
                        .map(|e| format!("step{}: {e}", i + 1)),
                );
            }
            errs
        };
        if !errs.is_empty() {
            failures.push(format!("{name}: {}", errs.join("; ")));
        }
    }
    eprintln!(
        "{} of {} generated TUF cases pass (client mode: {client_mode})",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases.len(), 23);
}

fn faketime(dir: &Path) -> OffsetDateTime {
    let s = std::fs::read_to_string(dir.join("faketime")).unwrap();
    // "2025-02-09 12:02:08+00:00" is RFC 3339 with a space for the T.
    OffsetDateTime::parse(&s.trim().replacen(' ', "T", 1), &Rfc3339).unwrap()
}

fn verify_real_world(name: &str) -> RepositoryReport {
    let dir = corpus("tuf").join("real-world").join(name);
    let target = std::fs::read_to_string(dir.join("targetpath")).unwrap();
    let mut opts = Options::at(faketime(&dir));
    opts.targets = TargetSelection::Names(vec![target.trim().to_owned()]);
    let root = std::fs::read(dir.join("initial_root.json")).unwrap();
    let report = tuf::verify_repository(&root, &DirSource::new(&dir), &opts).unwrap();
    assert!(report.verified(), "{name}: {report:#?}");
    assert_eq!(report.targets.len(), 1);
    report
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn sigstore_root_signing_verifies_at_faketime() {
    let report = verify_real_world("sigstore-root-signing");
    assert_eq!(report.root_chain.last().unwrap().version, 12);
    let roles: Vec<_> = report.roles.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(roles, ["root", "timestamp", "snapshot", "targets"]);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

fn sigstore_from(version: u64, strict_keyids: bool) -> RepositoryReport {
    let dir = corpus("tuf").join("real-world/sigstore-root-signing");
    let root = std::fs::read(dir.join(format!("metadata/{version}.root.json"))).unwrap();
    let mut opts = Options::at(faketime(&dir));
    opts.strict_keyids = strict_keyids;
    tuf::verify_repository(&root, &DirSource::new(&dir), &opts).unwrap()
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn sigstore_whole_root_chain_verifies_with_tap12_keyids() {
    // v1..v12: hex and PEM ECDSA keys, RFC 3339 fractional expiry, empty
    // signatures; 11.root.json lists the online key under a keyid that is
    // not sha256 of the key, which TAP 12 allows and strict mode refuses.
    let report = sigstore_from(1, false);
    assert!(report.verified(), "{:?}", report.error);
    let versions: Vec<u64> = report.root_chain.iter().map(|s| s.version).collect();
    assert_eq!(versions, (1..=12).collect::<Vec<_>>());
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].subject, "11.root.json");

    let strict = sigstore_from(5, true);
    assert!(
        matches!(&strict.error, Some(tuf::TufError::KeyIdMismatch { file, .. }) if file == "11.root.json"),
        "{:?}",
        strict.error
    );
    assert_eq!(strict.root_chain.last().unwrap().version, 10);
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn sigstore_expires_after_faketime_window() {
    let dir = corpus("tuf");
    let dir = dir.join("real-world/sigstore-root-signing");
    let root = std::fs::read(dir.join("initial_root.json")).unwrap();
    let opts = Options::at(faketime(&dir) + time::Duration::days(30));
    let report = tuf::verify_repository(&root, &DirSource::new(&dir), &opts).unwrap();
    assert!(matches!(report.error, Some(tuf::TufError::Expired { .. })));
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn tuf_on_ci_verifies_with_delegation() {
    let report = verify_real_world("tuf-on-ci-0.11");
    assert_eq!(report.targets[0].role.as_deref(), Some("delegatedrole"));
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn rollback_is_detected_across_audits_with_a_state_dir() {
    // Audit 1 on rollback-timestamp/step1 (timestamp v2), audit 2 on step2
    // (timestamp v1): the second audit reports the rollback.
    let dir = corpus("tuf");
    let case = dir.join("generated/cases/rollback-timestamp");
    let state = tempfile::tempdir().unwrap();
    let mut opts = Options::now();
    opts.state_dir = Some(state.path().to_path_buf());
    let root = std::fs::read(case.join("step1/initial_root.json")).unwrap();
    let r1 = tuf::verify_repository(&root, &DirSource::new(&case.join("step1")), &opts).unwrap();
    assert!(r1.verified());
    let r2 = tuf::verify_repository(&root, &DirSource::new(&case.join("step2")), &opts).unwrap();
    assert!(matches!(
        r2.error,
        Some(tuf::TufError::Rollback {
            trusted: 2,
            new: 1,
            ..
        })
    ));
    // Without the state, step2 alone looks fine: the state is what catches it.
    let fresh = Options::now();
    let r3 = tuf::verify_repository(&root, &DirSource::new(&case.join("step2")), &fresh).unwrap();
    assert!(r3.verified());
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn all_targets_of_valid_case_verify() {
    let dir = corpus("tuf");
    let case = dir.join("generated/cases/valid");
    let mut opts = Options::now();
    opts.targets = TargetSelection::All;
    let root = std::fs::read(case.join("initial_root.json")).unwrap();
    let report = tuf::verify_repository(&root, &DirSource::new(&case), &opts).unwrap();
    assert!(report.verified(), "{report:#?}");
    let names: Vec<_> = report.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bases/daily-2026-10-01.bin",
            "client/av-engine-1.2.3.bin",
            "client/release-notes.txt"
        ]
    );
    let bases = report.roles.iter().find(|r| r.role == "bases").unwrap();
    assert_eq!(bases.delegated_by, "targets");
}

/// Fail closed under tampering: flipping any one byte of any metadata file
/// of the valid case either makes verification fail or leaves the signed
/// content unchanged (e.g. a whitespace byte of timestamp.json), and never
/// panics.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn single_byte_tampering_never_verifies_changed_content() {
    use glassbox_core::tuf::canonical_json::to_canonical;
    use glassbox_core::tuf::metadata::Envelope;
    let dir = corpus("tuf");
    let case = dir.join("generated/cases/valid");
    let work = tempfile::tempdir().unwrap();
    // Metadata is tampered in the copy; targets are read from the case.
    std::fs::create_dir_all(work.path().join("metadata")).unwrap();
    for e in std::fs::read_dir(case.join("metadata")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), work.path().join("metadata").join(e.file_name())).unwrap();
    }
    let source = DirSource {
        metadata_dir: work.path().join("metadata"),
        targets_dir: case.join("targets"),
    };
    let mut opts = Options::now();
    opts.targets = TargetSelection::All;
    let anchor = std::fs::read(case.join("initial_root.json")).unwrap();
    // Every file the workflow reads (1.root.json is the anchor itself and
    // root.json is the unversioned copy clients do not fetch).
    let names = [
        "2.root.json",
        "timestamp.json",
        "1.snapshot.json",
        "1.targets.json",
        "1.bases.json",
    ];
    let (mut runs, mut accepted) = (0, 0);
    for name in names {
        let path = work.path().join("metadata").join(name);
        let original = std::fs::read(&path).unwrap();
        let signed_of = |b: &[u8]| {
            Envelope::parse(b)
                .ok()
                .map(|e| to_canonical(&e.signed).unwrap())
        };
        let want = signed_of(&original);
        // Every 17th byte, xor'd two ways: covers syntax, keys, values, sigs.
        for pos in (0..original.len()).step_by(17) {
            for flip in [0x01u8, 0x20] {
                let mut bytes = original.clone();
                bytes[pos] ^= flip;
                std::fs::write(&path, &bytes).unwrap();
                let report = tuf::verify_repository(&anchor, &source, &opts).unwrap();
                runs += 1;
                if report.verified() {
                    accepted += 1;
                    assert_eq!(
                        signed_of(&bytes),
                        want,
                        "{name:?} byte {pos} ^ {flip:#x} changed signed content yet verified"
                    );
                }
            }
        }
        std::fs::write(&path, &original).unwrap();
    }
    eprintln!("{runs} tampered repositories, {accepted} verified with unchanged signed content");
    assert!(runs > 700, "{runs}");
}

//! `core::audit`: each release of a case is read once and shared by the
//! checks, and sharing never changes a verdict.

use std::process::Command;

use glassbox_core::audit::{AuditCase, Reads, Releases, run_audit, run_audit_with};
use glassbox_core::policy::TrustPolicy;
use glassbox_core::report::{Check, NotRun, StepStatus};
use glassbox_core::sig::release::verify_release_at;

mod common;

const TIME: &str = "2026-07-01T12:00:00Z";

fn demo_case() -> AuditCase {
    AuditCase::load(&common::demo("audit.toml")).unwrap()
}

/// The demo case runs inputs, verify (with signer continuity), diff and
/// repro. Before the pipeline each of them opened the release itself
/// (four listings of 1.1.0, two of 1.0.0, two of the rebuild); now the
/// inputs, verify, diff and repro steps share one listing of each, and
/// none lists a release on its own.
#[test]
fn demo_case_reads_each_release_once() {
    let case = demo_case();
    let releases = Releases::new(&case);
    let report = run_audit_with(&case, &releases, TIME, &mut |_| {}).unwrap();
    let once = Reads { shared: 1, own: 0 };
    assert_eq!(releases.release.reads(), once, "release");
    assert_eq!(
        releases.previous.as_ref().unwrap().reads(),
        once,
        "previous"
    );
    assert_eq!(releases.rebuild.as_ref().unwrap().reads(), once, "rebuild");
    // Every configured check ran on the shared readings; the one the case
    // does not configure (tuf) has its step too, saying so.
    let ran: Vec<Check> = report
        .steps
        .iter()
        .filter(|s| !s.status.not_run())
        .map(|s| s.check)
        .collect();
    assert_eq!(
        ran,
        [Check::Inputs, Check::Verify, Check::Diff, Check::Repro]
    );
    let tuf = report.steps.last().unwrap();
    assert_eq!(
        (tuf.check, tuf.status, tuf.why),
        (Check::Tuf, StepStatus::NotRun, Some(NotRun::NotConfigured))
    );
    // Sharing is invisible in the report: the same as a fresh run.
    assert_eq!(report, run_audit(&case, TIME, &mut |_| {}).unwrap());
}

/// A zip inside the release with a member named `../evil`: the diff
/// expands nested archives and its reader refuses the whole release, but
/// the verifier does not expand them and verifies the release as it
/// would alone. The audit must give the verifier its own reading, not
/// the refusal of the diff's.
#[test]
fn a_reading_refused_for_the_diff_is_not_the_verifiers() {
    let (report, reads, alone) = audit_with_nested_zip(Zip::UnsafeMember);
    assert_eq!(report.results.verify.as_ref().unwrap().verified, alone);
    let step = report
        .steps
        .iter()
        .find(|s| s.check == Check::Verify)
        .unwrap();
    assert!(!step.summary.contains("refused"), "{}", step.summary);
    // The diff, which does expand it, still says it could not compare.
    let diff = report
        .steps
        .iter()
        .find(|s| s.check == Check::Diff)
        .unwrap();
    assert_eq!(diff.status, StepStatus::NotRun, "{}", diff.summary);
    assert_eq!(diff.why, Some(NotRun::CouldNotRun));
    // The shared reading was tried once; the checks read on their own.
    assert_eq!(reads.shared, 1);
    assert!(reads.own >= 2, "{reads:?}");
}

/// A truncated zip inside the release: the diff's reading lists it as a
/// file with a `not-expanded` finding, which the verifier (it does not
/// expand nested archives, so never sees one) would count as a failure.
/// The verifier is given the shared reading without what nesting added
/// (it used to list the release again on its own: `own: 1`).
#[test]
fn a_finding_of_nested_expansion_does_not_reach_the_verifier() {
    let report = verified_on_the_one_listing(Zip::Truncated);
    let diff = report
        .steps
        .iter()
        .find(|s| s.check == Check::Diff)
        .unwrap();
    assert_eq!(diff.status, StepStatus::Ok, "{}", diff.summary);
}

/// A zip that expands inside the release: the diff's reading lists its
/// members, which the verifier does not see. The release is listed once
/// and the verifier's verdict is the one it reaches alone.
#[test]
fn a_release_with_a_nested_zip_is_listed_once_for_the_verifier_too() {
    verified_on_the_one_listing(Zip::Expands);
}

/// Audits the release with `zip` inside (see [`audit_with_nested_zip`]):
/// it verifies, as it does alone, and was listed once for every check.
fn verified_on_the_one_listing(zip: Zip) -> glassbox_core::report::AuditReport {
    let (report, reads, alone) = audit_with_nested_zip(zip);
    assert!(alone, "the verifier alone passes the release");
    let verify = report.results.verify.as_ref().unwrap();
    assert!(verify.verified, "{:?}", verify.problems);
    assert_eq!(reads, Reads { shared: 1, own: 0 });
    report
}

enum Zip {
    UnsafeMember,
    Truncated,
    Expands,
}

/// Audits `new` (a README and `bundle.zip`) against `old` (a README) with
/// a policy allowing every file unsigned; returns the report, the reads of
/// `new`, and whether `new` verifies when verified alone.
fn audit_with_nested_zip(zip: Zip) -> (glassbox_core::report::AuditReport, Reads, bool) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    for (dir, body) in [("old", "old"), ("new", "new")] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
        std::fs::write(root.join(dir).join("README"), body).unwrap();
    }
    let made = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr(sys.argv[2], 'x')\n",
        )
        .arg(root.join("new/bundle.zip"))
        .arg(match zip {
            Zip::Expands => "docs/evil",
            Zip::UnsafeMember | Zip::Truncated => "../evil",
        })
        .status()
        .expect("python3 (needed to build the zip)");
    assert!(made.success());
    if let Zip::Truncated = zip {
        let whole = std::fs::read(root.join("new/bundle.zip")).unwrap();
        std::fs::write(root.join("new/bundle.zip"), &whole[..whole.len() / 2]).unwrap();
    }
    let case = common::audit::old_new_case(root);
    let releases = Releases::new(&case);
    let report = run_audit_with(&case, &releases, TIME, &mut |_| {}).unwrap();

    let policy = TrustPolicy::load(&root.join("policy.toml")).unwrap();
    let now =
        time::OffsetDateTime::parse(TIME, &time::format_description::well_known::Rfc3339).unwrap();
    let alone = verify_release_at(&root.join("new"), &policy, now).unwrap();
    assert!(
        alone.failures.iter().all(|f| f.check != "one-reading"),
        "the verifier alone does not expand the zip: {:?}",
        alone.failures
    );
    (report, releases.release.reads(), alone.verified)
}

/// The audit hashes every file of an input directory; logging the audit
/// appends the report's digests and sizes instead of reading each file
/// again (it hashed every audited file a second time). So a file rewritten
/// between the audit and the log is logged as it was audited: the log
/// vouches for what the report vouches for.
#[test]
fn the_log_records_the_audited_digests_without_reading_the_files_again() {
    use glassbox_core::audit::{audit_and_sign, log_audit};
    use glassbox_core::tlog::leaf::LeafRecord;
    use glassbox_core::tlog::{Log, LogSigner, key};

    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::create_dir_all(root.join("release/docs")).unwrap();
    std::fs::write(root.join("release/engine"), b"engine 1.1\n").unwrap();
    std::fs::write(root.join("release/docs/README"), b"read me\n").unwrap();
    let pkcs8 = key::generate_pkcs8().unwrap();
    std::fs::write(root.join("log.key"), key::pkcs8_pem(&pkcs8)).unwrap();
    Log::create(
        &root.join("log"),
        &LogSigner::from_pkcs8("audit.test/log", &pkcs8).unwrap(),
    )
    .unwrap();
    let auditor = common::demo("auditor/TEST-ONLY-auditor.key");
    std::fs::write(
        root.join("audit.toml"),
        format!(
            "vendor = \"V\"\nproduct = \"P\"\n[auditor]\nname = \"A\"\nkey = \"{}\"\n\
             [release]\npath = \"release\"\nversion = \"2\"\n\
             [log]\ndir = \"log\"\nkey = \"log.key\"\n",
            auditor.display()
        ),
    )
    .unwrap();
    let case = AuditCase::load(&root.join("audit.toml")).unwrap();
    let signed = audit_and_sign(&case, TIME, &mut |_| {}).unwrap();
    let envelope = root.join("report.dsse.json");
    std::fs::write(&envelope, signed.envelope.to_json()).unwrap();

    std::fs::write(root.join("release/engine"), b"engine 1.1 with a backdoor\n").unwrap();
    let logged = log_audit(&case, &signed.report, &envelope)
        .unwrap()
        .unwrap();
    assert_eq!(logged.count, 3, "the envelope and two files");

    let log = Log::open(&root.join("log")).unwrap();
    let engine = LeafRecord::parse(&log.entry(logged.index + 2).unwrap()).unwrap();
    assert_eq!(engine.name, "engine");
    assert_eq!(engine.size, 11);
    assert_eq!(
        engine.sha256.to_hex(),
        signed.report.inputs[0].files[1].sha256
    );
    assert_eq!(
        engine.sha256,
        glassbox_core::digest::Sha256Digest::of(b"engine 1.1\n")
    );
}

//! The audit of an update whose new code reaches the network: the diff
//! step turns what the code diff adds to the capability surface into a high
//! finding that names the import and the endpoint (issue 15).

use std::path::Path;
use std::process::Command;

use glassbox_core::audit::{Releases, run_audit_with};
use glassbox_core::report::{Check, Severity};

mod common;

const TIME: &str = "2026-07-01T12:00:00Z";

fn compile(src: &Path, out: &Path) {
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    common::succeed(Command::new("gcc").args(["-O1", "-o"]).arg(out).arg(src));
}

#[test]
#[cfg_attr(not(any(ci, has_gcc)), ignore = "needs gcc")]
fn new_network_code_is_a_high_finding_naming_import_and_url() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    compile(&fixtures.join("code/v1.c"), &root.join("old/bin/app"));
    compile(&fixtures.join("code/v2.c"), &root.join("new/bin/app"));
    let case = common::audit::old_new_case(root);
    let releases = Releases::new(&case);
    let report = run_audit_with(&case, &releases, TIME, &mut |_| {}).unwrap();
    let high: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check == Check::Diff && f.severity == Severity::High)
        .collect();
    assert_eq!(high.len(), 1, "{:#?}", report.findings);
    let f = high[0];
    assert!(
        f.title.contains("bin/app gains network reach since 1"),
        "{}",
        f.title
    );
    assert!(f.title.contains("connect"), "{}", f.title);
    assert!(
        f.title.contains("https://collect.example.net/upload"),
        "{}",
        f.title
    );
    let evidence = f.evidence.join("\n");
    assert!(
        evidence.contains("new network imports: connect, socket"),
        "{evidence}"
    );
    assert!(
        evidence.contains("new url in strings: https://collect.example.net/upload"),
        "{evidence}"
    );
    assert!(
        evidence.contains("1 new function(s): upload_metrics"),
        "{evidence}"
    );
    assert_eq!(f.paths, vec!["bin/app".to_string()]);
}

//! Reports checked by independent tools: the DSSE envelope with Python
//! securesystemslib, the Statement with in-toto-attestation, the HTML in
//! headless Chromium. `.ci/run` installs all three; elsewhere a test whose
//! tool the build probe did not find is ignored (test_cfgs.rs), and under
//! `CI` a missing tool fails it.

mod common;
use common::{glassbox, repo_root, stderr, stdout};

use std::path::Path;
use std::process::{Command, Output};

/// Fails the test unless `probe` runs: a test that reaches here was not
/// ignored, so its tool must be present.
fn need(what: &str, probe: &mut Command) {
    let ok = probe.output().is_ok_and(|o| o.status.success());
    assert!(ok, "{what} is missing: .ci/run installs it");
}

fn python_libs() {
    need(
        "python3 with securesystemslib and in-toto-attestation",
        Command::new("python3").args([
            "-c",
            "import securesystemslib.dsse, in_toto_attestation.v1.statement",
        ]),
    )
}

fn check_envelope(envelope: &Path) -> Output {
    Command::new("python3")
        .arg(repo_root().join("cli/tests/interop/check_report_envelope.py"))
        .arg(envelope)
        .arg(repo_root().join("testdata/demo/auditor/TEST-ONLY-auditor.key.pub"))
        .output()
        .expect("run python3")
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_securesystemslib, has_in_toto_attestation))),
    ignore = "needs python3 securesystemslib and in-toto-attestation"
)]
fn envelope_verifies_with_securesystemslib_and_statement_with_in_toto() {
    python_libs();
    let example = repo_root().join("audit-reports/example/report.dsse.json");
    let ok = check_envelope(&example);
    let out = stdout(&ok);
    assert!(ok.status.success(), "{out}{}", stderr(&ok));
    assert_eq!(
        out.trim(),
        "ok 43 subjects https://glassbox.dev/audit-report/v1"
    );

    // The same checker rejects a signature over other bytes: the payload
    // re-encoded with one character changed.
    let text = std::fs::read_to_string(&example).unwrap();
    let mut env: serde_json::Value = serde_json::from_str(&text).unwrap();
    let payload = env["payload"].as_str().unwrap().to_string();
    let flipped = if payload.starts_with('e') { "f" } else { "e" };
    env["payload"] = format!("{flipped}{}", &payload[1..]).into();
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("report.dsse.json");
    std::fs::write(&bad, env.to_string()).unwrap();
    assert!(!check_envelope(&bad).status.success());
}

fn chromium() -> &'static str {
    need("chromium", Command::new("chromium").arg("--version"));
    "chromium"
}

fn headless(browser: &str, args: &[&str], page: &Path) -> Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

#[test]
#[cfg_attr(not(any(ci, has_chromium)), ignore = "needs chromium on PATH")]
fn html_report_renders_in_headless_chromium_without_running_vendor_text() {
    let browser = chromium();
    // A report whose vendor-controlled strings try to inject markup.
    let json =
        std::fs::read_to_string(repo_root().join("audit-reports/example/report.json")).unwrap();
    let mut report: serde_json::Value = serde_json::from_str(&json).unwrap();
    report["findings"] = serde_json::json!([{
        "id": "VERIFY-1",
        "severity": "critical",
        "check": "verify",
        "title": "Signature check failed for <img src=x onerror=alert(1)>",
        "paths": ["<script>document.title='pwned'</script>"]
    }]);
    report["summary"]["verdict"] = "fail".into();
    report["summary"]["critical"] = 1.into();
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("report.json");
    std::fs::write(&input, report.to_string()).unwrap();
    let page = d.path().join("report.html");
    let r = glassbox(&[
        "report",
        "render",
        input.to_str().unwrap(),
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));

    // The DOM the browser built: verdict first, then findings, evidence and
    // inputs; the hostile strings are text, not elements.
    let dom = headless(browser, &["--dump-dom"], &page);
    let dom = stdout(&dom);
    let at = |needle: &str| {
        dom.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in the DOM:\n{dom}"))
    };
    assert!(at("id=\"verdict\"") < at("id=\"findings\""));
    assert!(at("id=\"findings\"") < at("id=\"evidence\""));
    assert!(at("id=\"evidence\"") < at("id=\"inputs\""));
    assert!(dom.contains("Verdict: FAIL"));
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!dom.contains("<img") && !dom.contains("<script"));
    assert!(dom.contains("<title>Audit report: ExampleAV"));

    // Printable: the page prints to a PDF.
    let pdf = d.path().join("report.pdf");
    let printed = headless(
        browser,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
        &page,
    );
    assert!(printed.status.success());
    let bytes = std::fs::read(&pdf).expect("chromium wrote the PDF");
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 1000);
}

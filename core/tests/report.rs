//! Behaviour of the audit report: schema conformance, canonical bytes and
//! renderings of a report that has every section.

use glassbox_core::report::*;

fn full_report() -> AuditReport {
    let mut r = AuditReport::new(
        Case {
            auditor: Auditor {
                name: "Jane Auditor".into(),
                organization: Some("Example Audit <GmbH>".into()),
                email: Some("jane@audit.invalid".into()),
                key_id: None,
                certificates: vec!["MIIBleaf".into(), "MIIBca+/".into()],
            },
            vendor: "ExampleAV".into(),
            product: "ExampleAV Engine".into(),
            version: "1.1.0".into(),
        },
        "2026-07-01T12:00:00Z",
    )
    .unwrap();
    r.inputs.push(Input {
        role: InputRole::Release,
        path: "releases/exampleav-1.1.0".into(),
        kind: InputKind::Directory,
        sha256: "ab".repeat(32),
        files: vec![Artifact {
            path: "engine/avengine".into(),
            sha256: "cd".repeat(32),
            size: 16600,
        }],
    });
    r.inputs.push(Input {
        role: InputRole::Policy,
        path: "policy.toml".into(),
        kind: InputKind::File,
        sha256: "ef".repeat(32),
        files: vec![],
    });
    r.steps.push(Step {
        check: Check::Verify,
        status: StepStatus::Failed,
        why: None,
        summary: "1 of 6 signatures failed".into(),
    });
    r.steps.push(Step {
        check: Check::Repro,
        status: StepStatus::Ok,
        why: None,
        summary: "equivalent".into(),
    });
    r.results.verify = Some(VerifySection {
        verified: false,
        coverage: Coverage {
            verified: 9,
            unsigned: 0,
            failed: 1,
        },
        signatures: vec![SignatureRow {
            signature: "engine/avengine.p7s".into(),
            format: "cms".into(),
            targets: vec!["engine/avengine".into()],
            verified: false,
            signers: vec![],
            time: None,
            reason: Some("message-digest: mismatch".into()),
        }],
        signers: vec![SignerChain {
            signer: "CN=ExampleAV Release Signing".into(),
            kind: "x509".into(),
            key_sha256: Some("01".repeat(32)),
            chain: vec!["CN=leaf".into(), "CN=root".into()],
        }],
        problems: vec![FileProblem {
            file: "engine/avengine".into(),
            signature: "engine/avengine.p7s".into(),
            check: "message-digest".into(),
            reason: "mismatch".into(),
        }],
        continuity: Some(Continuity {
            new: vec!["key-b".into()],
            removed: vec![],
            changed: vec![],
        }),
    });
    r.results.diff = Some(DiffSection {
        previous_version: "1.0.0".into(),
        counts: [("modified".to_string(), 5u64), ("added".to_string(), 1)]
            .into_iter()
            .collect(),
        changed_executables: vec!["engine/avengine".into()],
    });
    r.results.repro = Some(ReproSection {
        verdict: ReproVerdict::Equivalent,
        normalizations: vec![Normalization {
            name: "tar-mtime".into(),
            description: "tar member modification times".into(),
            count: 12,
        }],
        differences: vec![],
    });
    r.results.tuf = Some(TufSection {
        verified: true,
        root_versions: vec![1, 2],
        roles: vec![TufRole {
            role: "root".into(),
            version: 2,
            expires: "2030-01-01T00:00:00Z".into(),
            signatures: 2,
            threshold: 2,
        }],
        targets: vec![TufTarget {
            name: "app.tar.gz".into(),
            verified: true,
            error: None,
        }],
        error: None,
    });
    r.add_finding(
        Finding::new(
            Severity::Critical,
            Check::Verify,
            "Signature check failed for engine/avengine",
        )
        .evidence("engine/avengine.p7s: message-digest: mismatch")
        .paths(["engine/avengine"]),
    );
    r.add_finding(Finding::new(
        Severity::High,
        Check::Verify,
        "New signer key-b",
    ));
    r.add_finding(
        Finding::new(
            Severity::Info,
            Check::Repro,
            "Rebuild equivalent after 1 normalization",
        )
        .evidence("tar-mtime (12): tar member modification times"),
    );
    r.finish();
    r
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the published schema compiles")
}

#[test]
fn schema_file_is_the_published_one() {
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/audit-report.v1.schema.json"
    ))
    .unwrap();
    assert_eq!(on_disk, SCHEMA_JSON);
    let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).unwrap();
    assert_eq!(schema["$id"], SCHEMA_ID);
}

#[test]
fn full_report_validates_against_schema() {
    let json = full_report().to_canonical_json().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors: Vec<String> = validator()
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn schema_rejects_what_the_model_rejects() {
    let v = validator();
    let good: serde_json::Value =
        serde_json::from_str(&full_report().to_canonical_json().unwrap()).unwrap();
    for (what, mutate) in [
        (
            "unknown field",
            Box::new(|r: &mut serde_json::Value| {
                r["surprise"] = 1.into();
            }) as Box<dyn Fn(&mut serde_json::Value)>,
        ),
        (
            "bad severity",
            Box::new(|r| r["findings"][0]["severity"] = "urgent".into()),
        ),
        (
            "bad digest",
            Box::new(|r| r["inputs"][0]["sha256"] = "xyz".into()),
        ),
        (
            "local time",
            Box::new(|r| r["time"] = "2026-07-01T12:00:00+02:00".into()),
        ),
        (
            "other version",
            Box::new(|r| r["schema_version"] = 2.into()),
        ),
        (
            "certificate not base64",
            Box::new(|r| r["case"]["auditor"]["certificates"][0] = "MIIB leaf!".into()),
        ),
    ] {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(!v.is_valid(&bad), "schema accepted {what}");
        assert!(
            AuditReport::from_value(bad).is_err(),
            "model accepted {what}"
        );
    }
}

#[test]
fn canonical_json_is_deterministic_and_round_trips() {
    let a = full_report().to_canonical_json().unwrap();
    let b = full_report().to_canonical_json().unwrap();
    assert_eq!(a, b);
    assert!(!a.contains('\n') && a.starts_with("{\"case\":{\"auditor\":{\"certificates\":"));
    let back = AuditReport::from_json(a.as_bytes()).unwrap();
    assert_eq!(back.to_canonical_json().unwrap(), a);
    // Key order in the input does not matter: re-serialising a pretty,
    // reordered copy gives the same bytes.
    let pretty = serde_json::to_string_pretty(&back).unwrap();
    let again = AuditReport::from_json(pretty.as_bytes()).unwrap();
    assert_eq!(again.to_canonical_json().unwrap(), a);
}

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} missing from:\n{text}"))
}

#[test]
fn markdown_puts_verdict_then_findings_by_severity_then_evidence() {
    let md = render::markdown(&full_report());
    let order = [
        "**Verdict: FAIL**",
        "## Findings",
        "### Critical",
        "**VERIFY-1** Signature check failed for engine/avengine",
        "### High",
        "### Info",
        "## Evidence",
        "### Signatures",
        "| engine/avengine.p7s | cms | engine/avengine | NO |",
        "### Signers and chains",
        "chain: CN=leaf → CN=root",
        "### Signer continuity",
        "### Changes since 1\\.0.0",
        "Changed executables:\n\n- engine/avengine",
        "### Reproducibility",
        "Verdict: **equivalent**",
        "| tar-mtime | 12 | tar member modification times |",
        "### TUF repository",
        "| root | 2 | 2030-01-01T00:00:00Z | 2 / 2 |",
        "## Inputs",
    ];
    let mut last = 0;
    for needle in order {
        let at = position(&md, needle);
        assert!(at >= last, "{needle:?} out of order in:\n{md}");
        last = at;
    }
    assert!(md.contains("Example Audit \\<GmbH\\>"));
}

#[test]
fn html_is_self_contained_escaped_and_ordered() {
    let page = render::html_page(&full_report());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.trim_end().ends_with("</html>"));
    let lower = page.to_ascii_lowercase();
    for banned in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!lower.contains(banned), "page contains {banned}");
    }
    assert!(page.contains("Example Audit &lt;GmbH&gt;"));
    let order = [
        "id=\"verdict\">Verdict: FAIL",
        "id=\"findings\"",
        "class=\"finding critical\" id=\"VERIFY-1\"",
        "class=\"finding high\"",
        "class=\"finding info\"",
        "id=\"signatures\"",
        "Signers and chains",
        "CN=leaf &rarr; CN=root",
        "id=\"diff\"",
        "<li><code>engine/avengine</code></li>",
        "id=\"repro-verdict\">equivalent",
        "id=\"normalizations\"",
        "id=\"tuf-roles\"",
        "id=\"inputs\"",
    ];
    let mut last = 0;
    for needle in order {
        let at = position(&page, needle);
        assert!(at >= last, "{needle:?} out of order");
        last = at;
    }
}

#[test]
fn renderings_of_an_empty_passing_report() {
    let mut r = full_report();
    r.findings.clear();
    r.results = Results::default();
    r.finish();
    let md = render::markdown(&r);
    assert!(md.contains("**Verdict: PASS**") && md.contains("No findings."));
    assert!(md.contains("No check produced evidence."));
    let page = render::html_page(&r);
    assert!(page.contains("class=\"verdict pass\""));
}

#[test]
fn committed_demo_report_validates_against_schema() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../audit-reports/example/report.json"
    );
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let errors: Vec<String> = validator()
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    AuditReport::from_value(value).expect("the model reads it too");
}

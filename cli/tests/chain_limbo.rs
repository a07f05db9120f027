//! Runs `glassbox chain limbo` over the x509-limbo dev split and holds it to
//! zero false accepts, a pass rate of at least 99.8% of evaluated cases, and
//! an exact exceptions file (testdata/x509/limbo-exceptions.toml).

mod common;
use common::{corpus, items, repo_root};

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

fn load_exceptions() -> (BTreeSet<String>, BTreeSet<String>) {
    let path = repo_root().join("testdata/x509/limbo-exceptions.toml");
    let text = std::fs::read_to_string(&path).expect("exceptions file");
    let doc: BTreeMap<String, BTreeMap<String, String>> = toml::from_str(&text).expect("toml");
    let keys = |table: &str| {
        let t = doc.get(table).cloned().unwrap_or_default();
        for (id, reason) in &t {
            assert!(!reason.trim().is_empty(), "{id}: empty reason");
        }
        t.into_keys().collect::<BTreeSet<_>>()
    };
    (keys("false_reject"), keys("skipped"))
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn limbo_dev_split() {
    let limbo = corpus("x509-limbo/limbo-dev.json");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let status = Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(["--quiet", "chain", "limbo"])
        .arg(&limbo)
        .arg("--output")
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "harness reported false accepts");

    let corpus: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&limbo).unwrap()).unwrap();
    let expected: BTreeMap<String, String> = items(&corpus["testcases"])
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["expected_result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let results: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(results["version"], 1);
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());

    let mut pass = 0usize;
    let mut false_accepts = Vec::new();
    let mut false_rejects = BTreeSet::new();
    let mut skipped = BTreeSet::new();
    for r in results {
        let id = r["id"].as_str().unwrap().to_string();
        let actual = r["actual_result"].as_str().unwrap();
        match (expected[&id].as_str(), actual) {
            (_, "SKIPPED") => {
                assert!(
                    r["context"].as_str().is_some_and(|c| !c.is_empty()),
                    "{id}: skip without a reason"
                );
                skipped.insert(id);
            }
            (e, a) if e == a => pass += 1,
            ("FAILURE", "SUCCESS") => false_accepts.push(id),
            ("SUCCESS", "FAILURE") => {
                false_rejects.insert(id);
            }
            (e, a) => panic!("{id}: unexpected result {a} (expected {e})"),
        }
    }
    assert!(false_accepts.is_empty(), "false accepts: {false_accepts:?}");
    let (known_rejects, known_skips) = load_exceptions();
    assert_eq!(
        false_rejects, known_rejects,
        "false rejects differ from the exceptions file"
    );
    assert_eq!(
        skipped, known_skips,
        "skips differ from the exceptions file"
    );
    let evaluated = pass + false_rejects.len();
    assert!(
        pass * 1000 >= evaluated * 998,
        "pass rate {pass}/{evaluated} is below 99.8%"
    );
}

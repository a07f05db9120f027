//! Every case of `$GLASSBOX_CORPORA/dsse` gives its MANIFEST.json result.

mod common;
use common::corpus;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::dsse::{self, Envelope, IN_TOTO_PAYLOAD_TYPE};
use glassbox_core::keys::PublicKey;
use serde_json::Value;

fn json(dir: &std::path::Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn every_corpus_case_gives_its_expected_result() {
    let dir = corpus("dsse");
    let manifest = json(&dir, "MANIFEST.json");
    let keys_json = json(&dir, "keys.json");
    let ed = hex::decode(keys_json["ed25519"]["keyval"]["public"].as_str().unwrap()).unwrap();
    let ec = keys_json["ecdsa"]["keyval"]["public"].as_str().unwrap();
    let trusted = vec![
        (
            "ed25519".to_string(),
            PublicKey::from_ed25519_raw(&ed).unwrap(),
        ),
        (
            "ecdsa".to_string(),
            PublicKey::from_pem_or_der(ec.as_bytes()).unwrap(),
        ),
    ];
    let cases = manifest["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 8, "the corpus has 8 cases");
    let mut checked = 0;
    for (name, case) in cases {
        let file = json(&dir, &format!("{name}.json"));
        let envelope_json = serde_json::to_vec(&file["envelope"]).unwrap();
        let threshold = case["threshold"].as_u64().unwrap_or(1) as usize;
        let keys = match file.get("ecdsa_p256") {
            // The spec vector carries its own key.
            Some(k) => vec![(
                "spec".to_string(),
                PublicKey::from_pem_or_der(k["public_pem"].as_str().unwrap().as_bytes()).unwrap(),
            )],
            None => trusted.clone(),
        };
        let result = Envelope::from_json(&envelope_json)
            .and_then(|env| dsse::verify(&env, &keys, threshold));
        match case["expect"].as_str().unwrap() {
            "valid" => {
                let ok = result.unwrap_or_else(|e| panic!("{name}: expected valid: {e}"));
                assert!(ok.signers.len() >= threshold, "{name}");
            }
            "invalid" => {
                let err = result
                    .err()
                    .unwrap_or_else(|| panic!("{name}: expected invalid"));
                assert!(
                    matches!(err, dsse::DsseError::ThresholdNotMet { .. }),
                    "{name}: {err}"
                );
            }
            other => panic!("{name}: unknown expectation {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn pae_and_statement_match_the_corpus() {
    let dir = corpus("dsse");
    let statement = std::fs::read(dir.join("statement.json")).unwrap();
    let pae = std::fs::read(dir.join("pae.bin")).unwrap();
    let file = json(&dir, "statement-2of2.json");
    let env = Envelope::from_json(&serde_json::to_vec(&file["envelope"]).unwrap()).unwrap();
    assert_eq!(env.pae(), pae);
    assert_eq!(dsse::pae(IN_TOTO_PAYLOAD_TYPE, &env.payload), pae);
    let st = dsse::Statement::from_json(&env.payload).unwrap();
    let expected: Value = serde_json::from_slice(&statement).unwrap();
    assert_eq!(
        st.subject[0].name,
        expected["subject"][0]["name"].as_str().unwrap()
    );
    let d = Sha256Digest::from_hex(expected["subject"][0]["digest"]["sha256"].as_str().unwrap())
        .unwrap();
    assert_eq!(st.subjects_matching(&d).count(), 1);
    assert_eq!(st.predicate_type, "https://slsa.dev/provenance/v1");
}

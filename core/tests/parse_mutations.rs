//! Deterministic mutation smoke test of the DSSE and Sigstore bundle entry
//! points (the fuzz targets' properties, on every test run): corpus inputs
//! with bytes flipped, truncated or duplicated must never panic, and a
//! mutated DSSE envelope must never verify with a different payload.

mod common;
use common::corpus;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::dsse::{self, Envelope};
use glassbox_core::keys::PublicKey;
use glassbox_core::sig::sigstore::{self, Artifact, SignerRule, SigstoreTrust};

/// xorshift64*: reproducible positions without a dependency.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

fn mutants(input: &[u8], rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut m = input.to_vec();
            let at = rng.below(m.len());
            match i % 4 {
                0 => m[at] ^= 1 << rng.below(8),
                1 => m.truncate(at),
                2 => m[at] = b"{}[]\",:0-\\"[rng.below(10)],
                _ => {
                    let end = (at + 1 + rng.below(64)).min(m.len());
                    let chunk = m[at..end].to_vec();
                    m.splice(at..at, chunk);
                }
            }
            m
        })
        .collect()
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn mutated_dsse_envelopes_never_panic_nor_verify_a_changed_payload() {
    let root = corpus("dsse");
    let keys_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("keys.json")).unwrap()).unwrap();
    let ed = hex::decode(keys_json["ed25519"]["keyval"]["public"].as_str().unwrap()).unwrap();
    let ec = keys_json["ecdsa"]["keyval"]["public"].as_str().unwrap();
    let keys = [
        ("ed25519", PublicKey::from_ed25519_raw(&ed).unwrap()),
        ("ecdsa", PublicKey::from_pem_or_der(ec.as_bytes()).unwrap()),
    ];
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("statement-2of2.json")).unwrap()).unwrap();
    let original = serde_json::to_vec(&file["envelope"]).unwrap();
    let good = Envelope::from_json(&original).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for m in mutants(&original, &mut rng, 3000) {
        let Ok(env) = Envelope::from_json(&m) else {
            continue;
        };
        let _ = dsse::Statement::from_json(&env.payload);
        if let Ok(v) = dsse::verify(&env, &keys, 1) {
            assert_eq!(v.payload, good.payload);
            assert_eq!(v.payload_type, good.payload_type);
        }
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn mutated_sigstore_bundles_never_panic() {
    let dir = corpus("sigstore-conformance/bundle-verify");
    let trust = SigstoreTrust::production().unwrap();
    let rule = SignerRule::identity(
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
        "https://token.actions.githubusercontent.com",
    );
    let artifact = std::fs::read(dir.join("a.txt")).unwrap();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut parsed = 0;
    for case in [
        "happy-path-v0.1",
        "happy-path-v0.3",
        "happy-path-intoto-in-dsse-v3",
        "rekor2-happy-path",
    ] {
        let bundle = std::fs::read(dir.join(case).join("bundle.sigstore.json")).unwrap();
        for m in mutants(&bundle, &mut rng, 150) {
            if sigstore::parse_bundle(&m).is_ok() {
                parsed += 1;
            }
            let _ = sigstore::verify_bundle(&m, Artifact::Bytes(&artifact), &rule, &trust);
            let _ = sigstore::verify_bundle(
                &m,
                Artifact::Digest(Sha256Digest::of(&artifact)),
                &rule,
                &trust,
            );
        }
    }
    assert!(parsed > 0, "some mutants should still parse");
}

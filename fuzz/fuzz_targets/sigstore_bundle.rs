//! Sigstore bundle JSON: parsing and offline verification never panic.
#![no_main]

use std::sync::OnceLock;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::sig::sigstore::{self, Artifact, SignerRule, SigstoreTrust};
use libfuzzer_sys::fuzz_target;

fn trust() -> &'static SigstoreTrust {
    static TRUST: OnceLock<SigstoreTrust> = OnceLock::new();
    TRUST.get_or_init(|| SigstoreTrust::production().expect("compiled-in root loads"))
}

fuzz_target!(|data: &[u8]| {
    if sigstore::parse_bundle(data).is_err() {
        return;
    }
    let rule = SignerRule::identity("https://example.invalid/id", "https://example.invalid");
    let _ = sigstore::verify_bundle(data, Artifact::Bytes(b"a"), &rule, trust());
    let _ = sigstore::verify_bundle(
        data,
        Artifact::Digest(Sha256Digest::of(b"a")),
        &rule,
        trust(),
    );
});

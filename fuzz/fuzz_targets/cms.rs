//! CMS SignedData, RFC 3161 tokens and checksum manifests from untrusted
//! bytes: parsing and verification must return an error, never panic or
//! run unbounded. Run: `cargo fuzz run cms` (from the repository root).
#![no_main]

use glassbox_core::policy::{
    AlgorithmPolicy, CoverageRules, RequiredEku, TrustPolicy, ValidationTime,
};
use glassbox_core::sig::cms::{self, CmsSignature, ContentDigests};
use glassbox_core::sig::{manifest, tsp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = TrustPolicy {
        source: Default::default(),
        roots: Vec::new(),
        intermediates: Vec::new(),
        tsa_roots: Vec::new(),
        keys: Vec::new(),
        sigstore: Vec::new(),
        required_eku: RequiredEku::CodeSigning,
        algorithms: AlgorithmPolicy::default(),
        validation_time: ValidationTime::SigningTime,
        coverage: CoverageRules::default(),
    };
    let now = time::OffsetDateTime::UNIX_EPOCH;
    if let Ok(sig) = CmsSignature::parse(data) {
        let algs = sig.digest_algorithms().unwrap_or_default();
        let digests = ContentDigests::of(b"content", &algs);
        let _ = cms::verify_parsed(&sig, &digests, &policy, now);
        let _ = sig.certificates_der();
    }
    let _ = tsp::verify_token(data, b"signature", &policy, now);
    let _ = manifest::parse(data);
});

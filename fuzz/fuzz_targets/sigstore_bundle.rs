//! Sigstore bundle JSON: parsing and offline verification.
//! The body is `glassbox_fuzz::sigstore_bundle`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::sigstore_bundle(data));

//! CMS SignedData, RFC 3161 tokens and checksum manifests.
//! The body is `glassbox_fuzz::cms`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::cms(data));

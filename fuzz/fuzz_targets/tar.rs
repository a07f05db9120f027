//! Arbitrary bytes as a tar release.
//! The body is `glassbox_fuzz::tar`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::tar(data));

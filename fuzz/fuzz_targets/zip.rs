//! Arbitrary bytes as a zip release.
//! The body is `glassbox_fuzz::zip`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::zip(data));

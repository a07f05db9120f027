//! Arbitrary bytes as an RPM package.
//! The body is `glassbox_fuzz::rpm`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::rpm(data));

//! DSSE envelopes and in-toto Statements: parse, round-trip, verify.
//! The body is `glassbox_fuzz::dsse_envelope`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::dsse_envelope(data));

//! TUF metadata parsing, threshold counting and a whole client refresh.
//! The body is `glassbox_fuzz::tuf`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::tuf(data));

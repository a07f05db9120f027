//! PE images with Authenticode signatures: headers, section layout,
//! certificate table, image digest, embedded SignedData.
//! The body is `glassbox_fuzz::authenticode`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::authenticode(data));

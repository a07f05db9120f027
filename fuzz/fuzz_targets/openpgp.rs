//! OpenPGP armor, packets, keyrings, detached and cleartext signatures.
//! The body is `glassbox_fuzz::openpgp`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::openpgp(data));

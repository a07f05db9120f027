//! Certificate, bundle and CRL parsing, then path building.
//! The body is `glassbox_fuzz::x509_chain`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::x509_chain(data));

//! Public and private key parsing (PEM/DER SPKI, PKCS#8).
//! The body is `glassbox_fuzz::public_key`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::public_key(data));

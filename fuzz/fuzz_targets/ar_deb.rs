//! Arbitrary bytes as an ar archive or Debian package.
//! The body is `glassbox_fuzz::ar_deb`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::ar_deb(data));

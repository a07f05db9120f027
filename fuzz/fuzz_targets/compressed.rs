//! Arbitrary bytes as a gz/xz/zst/bz2 stream (first byte picks the codec).
//! The body is `glassbox_fuzz::compressed`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::compressed(data));

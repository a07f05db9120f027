//! Arbitrary bytes as a zip release.
#![no_main]

use glassbox_core::release::Release;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Errors are expected; panics, hangs and unbounded memory are bugs.
    let _ = Release::from_bytes("fuzz.zip", data, &glassbox_fuzz::opts());
});

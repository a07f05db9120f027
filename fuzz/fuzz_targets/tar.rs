//! Arbitrary bytes as a tar release.
#![no_main]

use glassbox_core::release::{Limits, ReadOptions, Release};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        limits: Limits {
            max_depth: 3,
            max_expanded_bytes: 64 << 20,
            max_entries: 10_000,
            max_ratio: 1000,
        },
        expand_nested: true,
        ..Default::default()
    };
    // Errors are expected; panics, hangs and unbounded memory are bugs.
    let _ = Release::from_bytes("fuzz.tar", data, &opts);
});

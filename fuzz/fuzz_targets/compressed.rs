//! Arbitrary bytes as a compressed stream: the first byte picks the codec,
//! whose magic is prepended so the decoder (not the sniffer) is exercised.
#![no_main]

use glassbox_core::release::{Limits, ReadOptions, Release};
use libfuzzer_sys::fuzz_target;

const CODECS: &[(&str, &[u8])] = &[
    ("fuzz.tar.gz", &[0x1f, 0x8b]),
    ("fuzz.tar.xz", &[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
    ("fuzz.tar.zst", &[0x28, 0xb5, 0x2f, 0xfd]),
    ("fuzz.tar.bz2", b"BZh91AY&SY"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (name, magic) = CODECS[usize::from(pick) % CODECS.len()];
    let mut input = magic.to_vec();
    input.extend_from_slice(rest);
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
    let _ = Release::from_bytes(name, &input, &opts);
});

//! Arbitrary bytes as a compressed stream: the first byte picks the codec,
//! whose magic is prepended so the decoder (not the sniffer) is exercised.
#![no_main]

use glassbox_core::release::Release;
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
    let _ = Release::from_bytes(name, &input, &glassbox_fuzz::opts());
});

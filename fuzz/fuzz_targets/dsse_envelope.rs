//! DSSE envelope and in-toto Statement parsing never panic; a parsed
//! envelope re-serializes to an equal envelope; verification never panics.
#![no_main]

use glassbox_core::dsse::{self, Envelope, Statement};
use glassbox_core::keys::PublicKey;
use libfuzzer_sys::fuzz_target;

// The DSSE corpus's Ed25519 key (any fixed key will do).
const ED25519: [u8; 32] = [
    0x8a, 0xf8, 0x14, 0x55, 0x36, 0xa8, 0xcd, 0xa2, 0x54, 0xe1, 0xec, 0x9c, 0xf8, 0x4c, 0xa1, 0x29,
    0xe2, 0xe5, 0xf0, 0x8f, 0xb9, 0x16, 0x2c, 0xe9, 0x07, 0xf5, 0x60, 0x86, 0x81, 0x2f, 0x18, 0x63,
];

fuzz_target!(|data: &[u8]| {
    let _ = Statement::from_json(data);
    let Ok(env) = Envelope::from_json(data) else {
        return;
    };
    let again = Envelope::from_json(env.to_json().as_bytes()).expect("own output parses");
    assert_eq!(again, env);
    let key = PublicKey::from_ed25519_raw(&ED25519).expect("valid key");
    if let Ok(v) = dsse::verify(&env, &[("k", key)], 1) {
        let _ = v.statement();
    }
});

//! Public and private key parsing (PEM/DER SPKI, PKCS#8) never panics.
#![no_main]

use glassbox_core::keys::{PublicKey, SigningKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = PublicKey::from_pem_or_der(data) {
        let _ = k.verify(b"message", data);
        assert_eq!(
            PublicKey::from_pem_or_der(k.to_pem().as_bytes()).unwrap(),
            k
        );
    }
    let _ = SigningKey::from_pkcs8_pem_or_der(data);
});

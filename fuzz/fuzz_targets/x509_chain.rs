//! Certificate parsing and path building on arbitrary bytes.
//!
//! Input: a sequence of chunks, each a 2-byte big-endian length and that many
//! bytes. Every chunk is parsed as a certificate (DER), a bundle (PEM or
//! DER) and a CRL; the first certificate is the leaf, the last the root, the
//! rest intermediates, and `validate` runs over them with a small budget.
//! Nothing may panic and the search must stay bounded.
#![no_main]

use glassbox_core::x509::{self, Certificate, Crl, Purpose, ValidationOptions, ValidationTime};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut certs: Vec<Certificate> = Vec::new();
    let mut crls: Vec<Crl> = Vec::new();
    let mut rest = data;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        let chunk = &rest[..len.min(rest.len())];
        rest = &rest[chunk.len()..];
        if let Ok(c) = Certificate::from_der(chunk) {
            certs.push(c);
        }
        if let Ok(b) = x509::parse_pem_or_der_bundle(chunk) {
            certs.extend(b);
        }
        if let Ok(c) = Crl::parse_pem_or_der(chunk) {
            crls.extend(c);
        }
    }
    if certs.len() < 2 {
        return;
    }
    let leaf = certs.remove(0);
    let root = certs.pop().expect("len >= 1");
    for purpose in [Purpose::CodeSigning, Purpose::ServerAuth, Purpose::Any] {
        let opts = ValidationOptions {
            time: ValidationTime::At(time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)),
            purpose,
            crls: crls.clone(),
            max_signature_checks: 32,
            ..Default::default()
        };
        let _ = x509::validate(&leaf, &certs, std::slice::from_ref(&root), &opts);
    }
});

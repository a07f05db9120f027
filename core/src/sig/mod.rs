//! Update-package signatures, one module per format.
//!
//! | module | format |
//! |---|---|
//! | [`raw`] | raw detached signatures (`openssl dgst -sign`, `openssl pkeyutl -sign -rawin`) |
//! | [`sigstore`] | Sigstore bundles v0.1–v0.3, verified offline with `sigstore-verify` |
//!
//! DSSE envelopes live in [`crate::dsse`]; keys in [`crate::keys`].

pub mod raw;
pub mod sigstore;

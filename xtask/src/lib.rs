#![forbid(unsafe_code)]
//! Developer tasks for the glassbox workspace.
//!
//! The only task today is `demo`: it (re)generates the fictional vendor
//! "ExampleAV" under `testdata/demo/` — its PKI, two releases of its update
//! package, an independent rebuild, a tampered copy, the vendor's
//! signatures, and a transparency log of the releases with a forked copy
//! served to one customer (a split view). See `testdata/demo/README.md`
//! for what every file is.
//!
//! Every output is a pure function of the committed inputs (TEST-ONLY keys and
//! the prebuilt engine binaries), so a rerun is byte-identical: certificates
//! and signatures use RSA PKCS#1 v1.5 and Ed25519, which are deterministic,
//! and every time stamp is a fixed constant.

pub mod demo;

/// Error type of the generator: a message naming what failed.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Result type of the generator.
pub type Result<T> = std::result::Result<T, Error>;

/// Builds an [`Error`] from a message.
pub(crate) fn err(msg: impl Into<String>) -> Error {
    msg.into().into()
}

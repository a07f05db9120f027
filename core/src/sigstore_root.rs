//! Sigstore trust material: a parsed, validated `trusted_root.json`
//! (protobuf-specs `TrustedRoot`: Fulcio CAs, Rekor and CT log keys, TSAs).
//!
//! It sits below both [`crate::policy`], which loads the roots a policy
//! names once, when the policy loads, and [`crate::sig::sigstore`], which
//! verifies bundles against them; so the policy never imports `sig`.

use std::fmt;

use sigstore_verify::Verifier;
use sigstore_verify::trust_root::{
    SIGSTORE_PRODUCTION_TRUSTED_ROOT, SIGSTORE_STAGING_TRUSTED_ROOT, TrustedRoot,
};

/// Largest trusted root accepted (16 MiB).
pub const MAX_TRUSTED_ROOT_BYTES: usize = 16 << 20;

/// Why a `trusted_root.json` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Sigstore trusted root: {0}")]
pub struct TrustedRootError(pub String);

/// A parsed Sigstore trusted root, ready to verify many bundles.
pub struct SigstoreTrust {
    pub(crate) verifier: Verifier,
}

impl fmt::Debug for SigstoreTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigstoreTrust")
    }
}

impl SigstoreTrust {
    /// Loads a `trusted_root.json` (protobuf-specs `TrustedRoot` in JSON,
    /// at most [`MAX_TRUSTED_ROOT_BYTES`]), rejecting malformed or
    /// duplicate trust material.
    pub fn from_json(json: &[u8]) -> Result<Self, TrustedRootError> {
        if json.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(TrustedRootError(format!(
                "{} bytes, more than the {MAX_TRUSTED_ROOT_BYTES}-byte limit",
                json.len()
            )));
        }
        let text = std::str::from_utf8(json).map_err(|_| TrustedRootError("not UTF-8".into()))?;
        let root = TrustedRoot::from_json(text).map_err(|e| TrustedRootError(e.to_string()))?;
        let verifier = Verifier::new(&root).map_err(|e| TrustedRootError(e.to_string()))?;
        Ok(Self { verifier })
    }

    /// The Sigstore public-good production root, as compiled into
    /// `sigstore-trust-root` 0.15.1 (a snapshot: no TUF refresh, offline).
    pub fn production() -> Result<Self, TrustedRootError> {
        Self::from_json(SIGSTORE_PRODUCTION_TRUSTED_ROOT.as_bytes())
    }

    /// The Sigstore staging root, as compiled into `sigstore-trust-root`.
    pub fn staging() -> Result<Self, TrustedRootError> {
        Self::from_json(SIGSTORE_STAGING_TRUSTED_ROOT.as_bytes())
    }
}

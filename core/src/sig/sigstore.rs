//! Sigstore bundles (`application/vnd.dev.sigstore.bundle+json;version=0.1`,
//! `0.2`, `0.3`, and `application/vnd.dev.sigstore.bundle.v0.3+json`):
//! message signatures and DSSE envelopes, keyless (Fulcio certificate) or
//! managed key, Rekor v1 and v2 entries, RFC 3161 timestamps.
//!
//! Verification is delegated to the `sigstore-verify` crate (0.15), offline:
//! all trust comes from a `trusted_root.json` ([`SigstoreTrust`]); nothing is
//! fetched. glassbox adds the signer rule ([`SignerRule`]): an exact or
//! regular-expression certificate identity (SAN) together with the exact
//! OIDC issuer, or a pinned public key for managed-key bundles. A bundle of
//! the other kind than the rule expects is rejected.
//!
//! ```no_run
//! use glassbox_core::sig::sigstore::{verify_bundle, Artifact, SignerRule, SigstoreTrust};
//! let trust = SigstoreTrust::production().unwrap();
//! let bundle = std::fs::read("a.txt.sigstore.json").unwrap();
//! let rule = SignerRule::identity("https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
//!                                 "https://token.actions.githubusercontent.com");
//! let verified = verify_bundle(&bundle, Artifact::Bytes(b"hello"), &rule, &trust).unwrap();
//! println!("signed by {:?}", verified.identity);
//! ```

use std::io::Read;

use regex::Regex;
use sigstore_verify::types::{Bundle, DerPublicKey, Sha256Hash, SignatureContent};
use sigstore_verify::{
    PublicKeyVerificationPolicy, VerificationPolicy, VerificationResult, Verifier,
};

pub use crate::sigstore_root::{MAX_TRUSTED_ROOT_BYTES, SigstoreTrust};

use crate::digest::Sha256Digest;
use crate::keys::PublicKey;

/// Largest bundle accepted (16 MiB; real bundles are a few KiB).
pub const MAX_BUNDLE_BYTES: usize = 16 << 20;

/// Why a bundle did not verify, or trust material could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SigstoreError {
    /// The trusted root is not valid JSON or holds invalid trust material.
    #[error(transparent)]
    TrustedRoot(#[from] crate::sigstore_root::TrustedRootError),
    /// The signer rule is unusable (bad regex, unsupported key).
    #[error("invalid Sigstore signer rule: {0}")]
    Rule(String),
    /// The bundle is not a Sigstore bundle glassbox can read.
    #[error("malformed Sigstore bundle: {0}")]
    Malformed(String),
    /// A check failed (signature, certificate chain, SCT, transparency log,
    /// timestamp, artifact binding, identity or issuer).
    #[error("Sigstore bundle does not verify: {0}")]
    Failed(String),
    /// The certificate identity does not match the rule's regular expression.
    #[error(
        "Sigstore bundle does not verify: certificate identity {actual:?} does not match /{pattern}/"
    )]
    IdentityRegexMismatch {
        /// The rule's pattern.
        pattern: String,
        /// The certificate's SAN, if any.
        actual: Option<String>,
    },
    /// The artifact could not be read.
    #[error("cannot read artifact: {0}")]
    Artifact(String),
}

/// How the certificate identity (SAN) must look.
#[derive(Clone, Debug)]
pub enum IdentityRule {
    /// The SAN (URI or email) equals this string.
    Exact(String),
    /// The whole SAN matches this regular expression (anchored at both ends).
    Regex(Regex),
}

/// Who must have signed the bundle.
#[derive(Clone, Debug)]
pub enum SignerRule {
    /// A keyless bundle: Fulcio certificate chaining to the trusted root,
    /// whose SAN matches `identity` and whose OIDC issuer extension equals
    /// `issuer`.
    Certificate {
        /// The SAN rule.
        identity: IdentityRule,
        /// The exact OIDC issuer URL.
        issuer: String,
    },
    /// A managed-key bundle signed by this key (transparency log entries are
    /// still verified against the trusted root).
    Key(PublicKey),
}

impl SignerRule {
    /// An exact identity and issuer.
    pub fn identity(san: impl Into<String>, issuer: impl Into<String>) -> Self {
        SignerRule::Certificate {
            identity: IdentityRule::Exact(san.into()),
            issuer: issuer.into(),
        }
    }

    /// An identity matching `pattern` (whole-string match) and an exact issuer.
    pub fn identity_regex(pattern: &str, issuer: impl Into<String>) -> Result<Self, SigstoreError> {
        let re = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| SigstoreError::Rule(format!("identity regex: {e}")))?;
        Ok(SignerRule::Certificate {
            identity: IdentityRule::Regex(re),
            issuer: issuer.into(),
        })
    }
}

/// The artifact a bundle is checked against.
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// The artifact, streamed (not possible for Ed25519 message signatures,
    /// which sign the whole message: use `Bytes`).
    Reader(&'a mut dyn Read),
    /// Only its SHA-256 digest (as in the conformance protocol's
    /// `sha256:HEX`); Ed25519 message signatures cannot be checked this way.
    Digest(Sha256Digest),
}

/// What a bundle carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleContent {
    /// A signature over the artifact (hashedrekord).
    MessageSignature,
    /// A DSSE envelope whose in-toto Statement names the artifact.
    DsseEnvelope,
}

/// A verified bundle: which checks ran and who signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigstoreVerified {
    /// The bundle's media type.
    pub media_type: String,
    /// Message signature or DSSE.
    pub content: BundleContent,
    /// Certificate SAN (keyless).
    pub identity: Option<String>,
    /// Certificate OIDC issuer (keyless).
    pub issuer: Option<String>,
    /// Key id of the pinned key (managed key).
    pub key_id: Option<String>,
    /// The type and size of the key that made the signature: the signing
    /// certificate's key (keyless) or the pinned key, so a caller can apply
    /// its algorithm policy. `None` when the certificate's key is of a type
    /// glassbox does not know (the caller should refuse it).
    pub key_algorithm: Option<crate::keys::KeyAlgorithm>,
    /// Whether the Fulcio chain, EKU and validity were verified.
    pub certificate_verified: bool,
    /// Whether the certificate's SCT was verified.
    pub sct_verified: bool,
    /// Whether transparency-log inclusion was verified.
    pub tlog_verified: bool,
    /// Authenticated Rekor v1 integrated time (RFC 3339), if any.
    pub integrated_time: Option<String>,
    /// Every authenticated time used (RFC 3339): SET times and TSA times.
    pub verified_timestamps: Vec<String>,
}

/// Verifies a Sigstore bundle (JSON bytes, at most [`MAX_BUNDLE_BYTES`])
/// for `artifact` under `rule` and the trust in `trust`.
pub fn verify_bundle(
    bundle_json: &[u8],
    artifact: Artifact<'_>,
    rule: &SignerRule,
    trust: &SigstoreTrust,
) -> Result<SigstoreVerified, SigstoreError> {
    let bundle = parse_bundle(bundle_json)?;
    let content = match bundle.content {
        SignatureContent::MessageSignature(_) => BundleContent::MessageSignature,
        SignatureContent::DsseEnvelope(_) => BundleContent::DsseEnvelope,
        #[allow(unreachable_patterns)] // the enum may grow
        _ => return Err(SigstoreError::Malformed("unknown signature content".into())),
    };
    let (result, key_id, key_algorithm) = match rule {
        SignerRule::Certificate { identity, issuer } => {
            let policy = match identity {
                IdentityRule::Exact(san) => VerificationPolicy::new(san.as_str(), issuer.as_str()),
                // The crate matches the issuer; the regex is checked below,
                // on the verified result, before anything is returned.
                IdentityRule::Regex(_) => {
                    VerificationPolicy::any_identity().require_issuer(issuer.as_str())
                }
            };
            let result = run(&trust.verifier, artifact, &bundle, &policy)?;
            if let IdentityRule::Regex(re) = identity {
                let actual = result.identity().map(|s| s.as_str().to_string());
                if !actual.as_deref().is_some_and(|a| re.is_match(a)) {
                    return Err(SigstoreError::IdentityRegexMismatch {
                        pattern: re.as_str().to_string(),
                        actual,
                    });
                }
            }
            if !(result.certificate_verified() && result.identity_policy_checked()) {
                return Err(SigstoreError::Failed(
                    "certificate or identity was not verified".into(),
                ));
            }
            let key_algorithm = bundle
                .signing_certificate()
                .and_then(|c| PublicKey::from_certificate_der(c.as_bytes()).ok())
                .map(|k| k.algorithm());
            (result, None, key_algorithm)
        }
        SignerRule::Key(key) => {
            let policy =
                PublicKeyVerificationPolicy::new(DerPublicKey::new(key.spki_der().to_vec()));
            (
                run(&trust.verifier, artifact, &bundle, &policy)?,
                Some(key.key_id()),
                Some(key.algorithm()),
            )
        }
    };
    // Fail closed if a relaxed path ever slipped in: glassbox never skips the log.
    if !result.tlog_verified() {
        return Err(SigstoreError::Failed(
            "transparency log inclusion was not verified".into(),
        ));
    }
    Ok(SigstoreVerified {
        media_type: bundle.media_type.to_string(),
        content,
        identity: result.identity().map(|s| s.as_str().to_string()),
        issuer: result.issuer().map(str::to_string),
        key_id,
        key_algorithm,
        certificate_verified: result.certificate_verified(),
        sct_verified: result.sct_verified(),
        tlog_verified: result.tlog_verified(),
        integrated_time: result.integrated_time().map(|t| t.to_string()),
        verified_timestamps: result
            .verified_timestamps()
            .iter()
            .map(|t| t.to_string())
            .collect(),
    })
}

/// Parses a bundle, bounded by [`MAX_BUNDLE_BYTES`]. Structural validation
/// against the trust happens in [`verify_bundle`].
pub fn parse_bundle(bundle_json: &[u8]) -> Result<Bundle, SigstoreError> {
    if bundle_json.len() > MAX_BUNDLE_BYTES {
        return Err(SigstoreError::Malformed(format!(
            "{} bytes, more than the {MAX_BUNDLE_BYTES}-byte limit",
            bundle_json.len()
        )));
    }
    let text = std::str::from_utf8(bundle_json)
        .map_err(|_| SigstoreError::Malformed("not UTF-8".into()))?;
    Bundle::from_json(text).map_err(|e| SigstoreError::Malformed(e.to_string()))
}

fn run<P: sigstore_verify::Policy>(
    verifier: &Verifier,
    artifact: Artifact<'_>,
    bundle: &Bundle,
    policy: &P,
) -> Result<VerificationResult, SigstoreError> {
    let result = match artifact {
        Artifact::Bytes(bytes) => verifier.verify(bytes, bundle, policy),
        Artifact::Reader(reader) => verifier.verify_reader(reader, bundle, policy),
        Artifact::Digest(d) => verifier.verify(Sha256Hash::new(d.0), bundle, policy),
    };
    result.map_err(|e| match e {
        sigstore_verify::Error::ArtifactRead(io) => SigstoreError::Artifact(io.to_string()),
        other => SigstoreError::Failed(other.to_string()),
    })
}

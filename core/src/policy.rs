//! The trust policy an audit verifies against: which roots, keys and
//! Sigstore identities the auditor trusts, which algorithms and key sizes
//! are acceptable, at what time certificates are judged, and which files of
//! a release must be signed.
//!
//! The policy is a TOML file written by the auditor (see the README's
//! "Trust policy" section for a full example). It is loaded and validated
//! up front — unknown keys, unreadable or malformed files and an empty set
//! of trust anchors are errors naming the key and the file — and then passed
//! by reference to every verification function. Paths inside the policy are
//! relative to the policy file's directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A signature algorithm the policy may allow: key type, padding and hash.
/// The policy file and reports use [`crate::keys::SignatureScheme::name`]
/// (`ed25519`, `ecdsa-p256-sha256`, `rsa-pss-sha256`, ...).
pub type Algorithm = crate::keys::SignatureScheme;

/// The extended key usage a signer's certificate must carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequiredEku {
    /// id-kp-codeSigning (RFC 5280 §4.2.1.12).
    #[default]
    CodeSigning,
}

/// At what time certificates are judged valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationTime {
    /// The time of verification.
    Now,
    /// A fixed instant given in the policy.
    Fixed(OffsetDateTime),
    /// The genTime of a trusted RFC 3161 timestamp on the signature; a
    /// signature without one fails.
    SigningTime,
}

impl Serialize for ValidationTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ValidationTime::Now => s.serialize_str("now"),
            ValidationTime::SigningTime => s.serialize_str("signing-time"),
            ValidationTime::Fixed(t) => {
                s.serialize_str(&t.format(&Rfc3339).map_err(serde::ser::Error::custom)?)
            }
        }
    }
}

/// A certificate the policy trusts (root or intermediate), with its origin,
/// parsed once when the policy loads.
#[derive(Clone, Debug, Serialize)]
pub struct TrustedCert {
    /// The PEM file it was read from.
    pub path: PathBuf,
    /// The certificate.
    #[serde(skip)]
    pub cert: crate::x509::Certificate,
    /// Its subject, for reports.
    pub subject: String,
}

impl TrustedCert {
    /// The certificate's DER.
    pub fn der(&self) -> &[u8] {
        self.cert.der()
    }
}

/// A public key pinned by name, parsed (and checked against the key
/// allow-list) once when the policy loads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PinnedKey {
    /// The auditor's name for the key, used in reports.
    pub name: String,
    /// The PEM file it was read from.
    pub path: PathBuf,
    /// The key.
    #[serde(skip)]
    pub key: crate::keys::PublicKey,
}

/// One Sigstore certificate identity the policy accepts.
#[derive(Clone, Debug, Serialize)]
pub struct SigstoreIdentity {
    /// How the certificate's SAN must match.
    pub san: SanMatch,
    /// The OIDC issuer that must appear in the certificate.
    pub issuer: String,
}

/// How a Sigstore certificate's subject alternative name is matched.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SanMatch {
    /// The SAN must equal this string.
    Exact(String),
    /// The SAN must match this regular expression (anchored by glassbox).
    #[serde(serialize_with = "ser_regex")]
    Regex(regex::Regex),
}

fn ser_regex<S: serde::Serializer>(r: &regex::Regex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

impl SanMatch {
    /// Whether `san` satisfies this rule.
    pub fn matches(&self, san: &str) -> bool {
        match self {
            SanMatch::Exact(e) => e == san,
            SanMatch::Regex(r) => r.is_match(san),
        }
    }
}

/// A Sigstore trusted root and the identities accepted under it.
#[derive(Clone, Debug, Serialize)]
pub struct SigstoreRoot {
    /// The `trusted_root.json` file.
    pub trusted_root: PathBuf,
    /// Its trust material, parsed and validated when the policy loads.
    #[serde(skip)]
    pub trust: std::sync::Arc<crate::sigstore_root::SigstoreTrust>,
    /// Accepted identities; a bundle must match one of them.
    pub identities: Vec<SigstoreIdentity>,
}

/// Allowed algorithms and minimum key sizes.
#[derive(Clone, Debug, Serialize)]
pub struct AlgorithmPolicy {
    /// Signature algorithms accepted.
    pub allowed: BTreeSet<Algorithm>,
    /// Smallest RSA modulus accepted, in bits.
    pub min_rsa_bits: u32,
    /// Smallest elliptic-curve size accepted, in bits (256 or 384).
    pub min_ec_bits: u32,
}

/// Why a key, a signature scheme or a certificate chain falls outside the
/// policy's `[algorithms]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgorithmPolicyError {
    /// An RSA key below `algorithms.min_rsa_bits`.
    #[error("RSA key of {bits} bits is below algorithms.min_rsa_bits = {min}")]
    RsaKeyTooSmall {
        /// The key's modulus size.
        bits: usize,
        /// The policy's minimum.
        min: u32,
    },
    /// A P-256 key when `algorithms.min_ec_bits` asks for more.
    #[error("P-256 key is below algorithms.min_ec_bits = {min}")]
    EcKeyTooSmall {
        /// The policy's minimum.
        min: u32,
    },
    /// No allowed scheme can use a key of this type.
    #[error("{key} key: no algorithm in algorithms.allowed uses this key type")]
    KeyTypeNotAllowed {
        /// The key's type.
        key: crate::keys::KeyAlgorithm,
    },
    /// The signature's scheme is not allowed.
    #[error("{} is not in algorithms.allowed", .scheme.name())]
    SchemeNotAllowed {
        /// The scheme.
        scheme: Algorithm,
    },
    /// A certificate of a chain: its key is refused by the policy.
    #[error("certificate {subject}: {source}")]
    CertificateKey {
        /// The certificate's subject.
        subject: String,
        /// Why its key is refused.
        source: Box<AlgorithmPolicyError>,
    },
    /// A certificate's key or signature algorithm is not usable at all.
    #[error("{subject}: {reason}")]
    UnusableKey {
        /// The certificate's subject.
        subject: String,
        /// Why.
        reason: String,
    },
    /// A certificate's signature algorithm is not on the allow-list.
    #[error("certificate {subject}: {reason}")]
    UnusableAlgorithm {
        /// The certificate's subject.
        subject: String,
        /// Why.
        reason: String,
    },
    /// A certificate is signed with an algorithm its issuer's key cannot make.
    #[error("certificate {subject}: signed with {algorithm} by a {issuer_key} key")]
    KeyAlgorithmMismatch {
        /// The certificate's subject.
        subject: String,
        /// The signature algorithm.
        algorithm: crate::x509::SignatureAlgorithm,
        /// The issuer's key type.
        issuer_key: crate::keys::KeyAlgorithm,
    },
    /// A certificate is signed with a scheme the policy does not allow.
    #[error("certificate {subject} is signed with {}, which is not in algorithms.allowed", .scheme.name())]
    CertificateScheme {
        /// The certificate's subject.
        subject: String,
        /// The scheme.
        scheme: Algorithm,
    },
}

impl AlgorithmPolicy {
    /// The key itself: its size against `min_rsa_bits` / `min_ec_bits`, and
    /// its type against `allowed` (a key no allowed scheme can use is
    /// refused, so an Ed25519-only policy refuses a P-256 key outright).
    pub fn check_key(&self, key: crate::keys::KeyAlgorithm) -> Result<(), AlgorithmPolicyError> {
        use crate::keys::KeyAlgorithm as K;
        match key {
            K::Rsa { bits } if (bits as u64) < u64::from(self.min_rsa_bits) => {
                return Err(AlgorithmPolicyError::RsaKeyTooSmall {
                    bits,
                    min: self.min_rsa_bits,
                });
            }
            K::EcdsaP256 if self.min_ec_bits > 256 => {
                return Err(AlgorithmPolicyError::EcKeyTooSmall {
                    min: self.min_ec_bits,
                });
            }
            _ => {}
        }
        if !self.allowed.iter().any(|s| s.applies_to(key)) {
            return Err(AlgorithmPolicyError::KeyTypeNotAllowed { key });
        }
        Ok(())
    }

    /// A signature made with `scheme` by `key`: the scheme is allowed and
    /// the key passes [`AlgorithmPolicy::check_key`].
    pub fn check_scheme(
        &self,
        scheme: Algorithm,
        key: crate::keys::KeyAlgorithm,
    ) -> Result<(), AlgorithmPolicyError> {
        if !self.allowed.contains(&scheme) {
            return Err(AlgorithmPolicyError::SchemeNotAllowed { scheme });
        }
        self.check_key(key)
    }

    /// Every link of a validated X.509 chain (leaf first, trust anchor
    /// last): each certificate's key (RFC 5280 §4.1.2.7) and the algorithm
    /// its issuer signed it with (§4.1.1.2), as the scheme of that issuer's
    /// key. The anchor's self-signature is not part of the path (§6.1) and
    /// is not judged; its key, which signs the next link, is.
    pub fn check_chain(
        &self,
        chain: &[crate::x509::Certificate],
    ) -> Result<(), AlgorithmPolicyError> {
        for (i, cert) in chain.iter().enumerate() {
            let who = || cert.subject().to_string();
            let unusable = |e: &str| AlgorithmPolicyError::UnusableKey {
                subject: who(),
                reason: e.to_string(),
            };
            let key = x509_key_algorithm(cert).map_err(unusable)?;
            self.check_key(key)
                .map_err(|e| AlgorithmPolicyError::CertificateKey {
                    subject: who(),
                    source: Box::new(e),
                })?;
            let Some(issuer) = chain.get(i + 1) else {
                continue;
            };
            let issuer_key = x509_key_algorithm(issuer).map_err(unusable)?;
            let algorithm = cert.signature_algorithm().map_err(|e| {
                AlgorithmPolicyError::UnusableAlgorithm {
                    subject: who(),
                    reason: e.to_string(),
                }
            })?;
            let scheme = algorithm.scheme_for(issuer_key).map_err(|_| {
                AlgorithmPolicyError::KeyAlgorithmMismatch {
                    subject: who(),
                    algorithm,
                    issuer_key,
                }
            })?;
            if !self.allowed.contains(&scheme) {
                return Err(AlgorithmPolicyError::CertificateScheme {
                    subject: who(),
                    scheme,
                });
            }
        }
        Ok(())
    }
}

/// The key type of a certificate's subject public key.
fn x509_key_algorithm(cert: &crate::x509::Certificate) -> Result<crate::keys::KeyAlgorithm, &str> {
    Ok(cert.public_key()?.algorithm())
}

impl Default for AlgorithmPolicy {
    fn default() -> Self {
        Self {
            allowed: Algorithm::ALL.into_iter().collect(),
            min_rsa_bits: 2048,
            min_ec_bits: 256,
        }
    }
}

/// Why coverage globs could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    /// One pattern is not a glob.
    #[error("bad glob {pattern:?}: {why}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// The glob compiler's complaint.
        why: String,
    },
    /// The patterns could not be compiled together.
    #[error("{0}")]
    Set(String),
}

/// Which entries of a release must be signed and which may be unsigned.
///
/// Globs match the normalized, release-relative path (`/`-separated, no
/// `.` or empty components: the release reader's normal form). A name the
/// globs could read two ways — a `..` component, an absolute name, a
/// backslash — never reaches them: coverage fails it whatever the globs say
/// (see [`crate::sig::release`]).
#[derive(Clone, Debug)]
pub struct CoverageRules {
    /// Glob patterns of regular files that must be covered by a verified
    /// signature.
    pub require_signed: Vec<String>,
    /// Glob patterns of regular files that may be unsigned (wins over
    /// `require_signed`).
    pub allow_unsigned: Vec<String>,
    /// Glob patterns of symlinks and hard links that may be present. No
    /// signature format glassbox verifies signs a link as a link (they sign
    /// content), so a link is acceptable only when the policy names it, by
    /// path and by type; `allow_unsigned` does not admit links.
    pub allow_unsigned_links: Vec<String>,
    /// Glob patterns of special entries (devices, FIFOs, sockets) that may
    /// be present, for the same reason as links.
    pub allow_unsigned_special: Vec<String>,
    require: GlobSet,
    allow: GlobSet,
    allow_links: GlobSet,
    allow_special: GlobSet,
}

impl CoverageRules {
    /// Builds rules from glob patterns (`*` does not cross `/`; `**` does),
    /// with no links or special entries allowed.
    pub fn new(
        require_signed: Vec<String>,
        allow_unsigned: Vec<String>,
    ) -> Result<Self, GlobError> {
        Self::with_links(require_signed, allow_unsigned, Vec::new(), Vec::new())
    }

    /// Builds rules including the link and special-entry allowances. Each
    /// list is compiled once into one [`GlobSet`], so matching a path costs
    /// the same whatever the number of patterns' matches elsewhere.
    pub fn with_links(
        require_signed: Vec<String>,
        allow_unsigned: Vec<String>,
        allow_unsigned_links: Vec<String>,
        allow_unsigned_special: Vec<String>,
    ) -> Result<Self, GlobError> {
        let build = |pats: &[String]| -> Result<GlobSet, GlobError> {
            let mut b = GlobSetBuilder::new();
            for p in pats {
                let g = globset::GlobBuilder::new(p)
                    .literal_separator(true)
                    // A backslash in a pattern is a literal character, never
                    // an escape, so a pattern means the same on every OS.
                    .backslash_escape(false)
                    .build()
                    .map_err(|e| GlobError::Pattern {
                        pattern: p.clone(),
                        why: e.to_string(),
                    })?;
                b.add(g);
            }
            b.build().map_err(|e| GlobError::Set(e.to_string()))
        };
        Ok(Self {
            require: build(&require_signed)?,
            allow: build(&allow_unsigned)?,
            allow_links: build(&allow_unsigned_links)?,
            allow_special: build(&allow_unsigned_special)?,
            require_signed,
            allow_unsigned,
            allow_unsigned_links,
            allow_unsigned_special,
        })
    }

    /// Whether the regular file `path` (release-relative, `/`-separated)
    /// must be signed.
    pub fn must_be_signed(&self, path: &str) -> bool {
        self.require.is_match(path) && !self.allow.is_match(path)
    }

    /// Whether the symlink or hard link `path` may be present unsigned.
    pub fn link_allowed(&self, path: &str) -> bool {
        self.allow_links.is_match(path)
    }

    /// Whether the special entry (device, FIFO, socket) `path` may be
    /// present.
    pub fn special_allowed(&self, path: &str) -> bool {
        self.allow_special.is_match(path)
    }
}

impl Default for CoverageRules {
    fn default() -> Self {
        Self::new(vec!["**".into()], Vec::new()).expect("static globs")
    }
}

impl Serialize for CoverageRules {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("CoverageRules", 4)?;
        st.serialize_field("require_signed", &self.require_signed)?;
        st.serialize_field("allow_unsigned", &self.allow_unsigned)?;
        st.serialize_field("allow_unsigned_links", &self.allow_unsigned_links)?;
        st.serialize_field("allow_unsigned_special", &self.allow_unsigned_special)?;
        st.end()
    }
}

/// The in-toto predicate type of SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The in-toto predicate type of SLSA provenance v0.2.
pub const SLSA_PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";

/// Predicate types that are verdicts *about* a release made by an auditor
/// or rebuilder, never the vendor's signature of it: a FAILED audit report
/// names the files it condemns as its subjects, so counting it as a
/// signature would vouch for exactly those files. Refused in
/// `[dsse] predicate_types` whatever the policy says.
pub const NEVER_RELEASE_SIGNATURES: [&str; 2] = [
    crate::report::statement::PREDICATE_TYPE,
    crate::repro::REBUILD_PREDICATE_TYPE,
];

/// Which DSSE / in-toto Statements count as signatures over their subjects.
#[derive(Clone, Debug, Serialize)]
pub struct DssePolicy {
    /// Accepted `predicateType` URIs (exact match). A statement of any
    /// other type signs nothing for release coverage and fails.
    pub predicate_types: BTreeSet<String>,
}

impl Default for DssePolicy {
    fn default() -> Self {
        Self {
            predicate_types: default_predicate_types().into_iter().collect(),
        }
    }
}

fn default_predicate_types() -> Vec<String> {
    vec![SLSA_PROVENANCE_V1.into(), SLSA_PROVENANCE_V02.into()]
}

/// Which of the Authenticode signatures a PE file carries must verify
/// (every WIN_CERTIFICATE entry and every nested signature counts as one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthenticodeRequire {
    /// Every signature must verify: one that fails (a SHA-1 signature
    /// beside a SHA-256 one, an old CA's) fails the file.
    #[default]
    All,
    /// At least one must verify; the others are reported, not fatal.
    Any,
}

/// `[authenticode]`: how signatures embedded in PE images are judged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuthenticodePolicy {
    /// Whether all or any of a file's signatures must verify.
    pub require: AuthenticodeRequire,
    /// EKU OIDs accepted on the signer's certificate besides
    /// id-kp-codeSigning (a vendor's own code-signing EKU).
    pub ekus: Vec<String>,
}

/// A loaded and validated trust policy.
#[derive(Clone, Debug, Serialize)]
pub struct TrustPolicy {
    /// The file it was loaded from (empty when built in code).
    pub source: PathBuf,
    /// Trust anchors for X.509 signers.
    pub roots: Vec<TrustedCert>,
    /// Intermediates offered to path building besides those in signatures.
    pub intermediates: Vec<TrustedCert>,
    /// Trust anchors for RFC 3161 timestamp authorities (default: `roots`).
    pub tsa_roots: Vec<TrustedCert>,
    /// Pinned public keys.
    pub keys: Vec<PinnedKey>,
    /// Sigstore trusted roots and identities.
    pub sigstore: Vec<SigstoreRoot>,
    /// OpenPGP keyrings (`[[openpgp]]`), parsed when the policy loads.
    pub openpgp: Vec<crate::sig::openpgp::Keyring>,
    /// EKU required of X.509 signers.
    pub required_eku: RequiredEku,
    /// Algorithms and key sizes.
    pub algorithms: AlgorithmPolicy,
    /// When certificates are judged.
    pub validation_time: ValidationTime,
    /// Coverage rules for releases.
    pub coverage: CoverageRules,
    /// Which in-toto Statements count as release signatures.
    pub dsse: DssePolicy,
    /// How Authenticode signatures in PE images are judged.
    pub authenticode: AuthenticodePolicy,
}

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("trust policy {file}: {key}: {reason}")]
pub struct PolicyError {
    /// The policy file (or the file it references).
    pub file: PathBuf,
    /// The policy key concerned (`x509.roots`, `keys[0].path`, ...).
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    x509: RawX509,
    #[serde(default)]
    keys: Vec<RawKey>,
    #[serde(default)]
    sigstore: Vec<RawSigstore>,
    #[serde(default)]
    openpgp: Vec<RawOpenpgp>,
    #[serde(default)]
    algorithms: RawAlgorithms,
    #[serde(default)]
    validation: RawValidation,
    #[serde(default)]
    coverage: RawCoverage,
    #[serde(default)]
    dsse: RawDsse,
    #[serde(default)]
    authenticode: RawAuthenticode,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAuthenticode {
    #[serde(default)]
    require: AuthenticodeRequire,
    #[serde(default)]
    ekus: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDsse {
    #[serde(default = "default_predicate_types")]
    predicate_types: Vec<String>,
}

impl Default for RawDsse {
    fn default() -> Self {
        Self {
            predicate_types: default_predicate_types(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawX509 {
    #[serde(default)]
    roots: Vec<String>,
    #[serde(default)]
    intermediates: Vec<String>,
    tsa_roots: Option<Vec<String>>,
    #[serde(default)]
    required_eku: RequiredEku,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: String,
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOpenpgp {
    name: String,
    keyring: String,
    fingerprints: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigstore {
    trusted_root: String,
    identities: Vec<RawIdentity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    san: Option<String>,
    san_regex: Option<String>,
    issuer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlgorithms {
    #[serde(default = "all_algorithms")]
    allowed: Vec<Algorithm>,
    #[serde(default = "default_rsa_bits")]
    min_rsa_bits: u32,
    #[serde(default = "default_ec_bits")]
    min_ec_bits: u32,
}

fn all_algorithms() -> Vec<Algorithm> {
    Algorithm::ALL.to_vec()
}
fn default_rsa_bits() -> u32 {
    2048
}
fn default_ec_bits() -> u32 {
    256
}

impl Default for RawAlgorithms {
    fn default() -> Self {
        Self {
            allowed: all_algorithms(),
            min_rsa_bits: default_rsa_bits(),
            min_ec_bits: default_ec_bits(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawValidation {
    time: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoverage {
    #[serde(default = "all_paths")]
    require_signed: Vec<String>,
    #[serde(default)]
    allow_unsigned: Vec<String>,
    #[serde(default)]
    allow_unsigned_links: Vec<String>,
    #[serde(default)]
    allow_unsigned_special: Vec<String>,
}

fn all_paths() -> Vec<String> {
    vec!["**".into()]
}

impl Default for RawCoverage {
    fn default() -> Self {
        Self {
            require_signed: all_paths(),
            allow_unsigned: Vec::new(),
            allow_unsigned_links: Vec::new(),
            allow_unsigned_special: Vec::new(),
        }
    }
}

impl TrustPolicy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let err = |key: &str, reason: String| PolicyError {
            file: path.to_path_buf(),
            key: key.to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err("(file)", e.to_string()))?;
        Self::from_toml(&text, path)
    }

    /// Parses and validates policy text; `path` names the file in errors
    /// and anchors relative paths.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let err = |key: &str, reason: String| PolicyError {
            file: path.to_path_buf(),
            key: key.to_string(),
            reason,
        };
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            let key = e
                .span()
                .and_then(|s| text.get(s))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|| "(syntax)".into());
            err(&key, msg)
        })?;
        let base = path.parent().unwrap_or(Path::new("."));

        let certs = |key: &str, files: &[String]| -> Result<Vec<TrustedCert>, PolicyError> {
            let mut out = Vec::new();
            for (i, f) in files.iter().enumerate() {
                let p = base.join(f);
                let key = format!("{key}[{i}]");
                let bytes = std::fs::read(&p)
                    .map_err(|e| err(&key, format!("cannot read {}: {e}", p.display())))?;
                let found = read_pem_certificates(&bytes)
                    .map_err(|e| err(&key, format!("{}: {e}", p.display())))?;
                out.extend(found.into_iter().map(|cert| TrustedCert {
                    path: p.clone(),
                    subject: cert.subject().to_string(),
                    cert,
                }));
            }
            Ok(out)
        };
        let roots = certs("x509.roots", &raw.x509.roots)?;
        let intermediates = certs("x509.intermediates", &raw.x509.intermediates)?;
        let tsa_roots = match &raw.x509.tsa_roots {
            Some(files) => certs("x509.tsa_roots", files)?,
            None => roots.clone(),
        };

        let mut keys = Vec::new();
        for (i, k) in raw.keys.iter().enumerate() {
            let key = format!("keys[{i}].path");
            if k.name.trim().is_empty() {
                return Err(err(&format!("keys[{i}].name"), "empty key name".into()));
            }
            if keys.iter().any(|p: &PinnedKey| p.name == k.name) {
                return Err(err(
                    &format!("keys[{i}].name"),
                    format!("duplicate key name {:?}", k.name),
                ));
            }
            let p = base.join(&k.path);
            let bytes = std::fs::read(&p)
                .map_err(|e| err(&key, format!("cannot read {}: {e}", p.display())))?;
            let public = crate::keys::PublicKey::from_pem_or_der(&bytes)
                .map_err(|e| err(&key, format!("{}: {e}", p.display())))?;
            keys.push(PinnedKey {
                name: k.name.clone(),
                path: p,
                key: public,
            });
        }

        let mut sigstore = Vec::new();
        for (i, s) in raw.sigstore.iter().enumerate() {
            let key = format!("sigstore[{i}].trusted_root");
            let p = base.join(&s.trusted_root);
            let json = std::fs::read_to_string(&p)
                .map_err(|e| err(&key, format!("cannot read {}: {e}", p.display())))?;
            let trust = crate::sigstore_root::SigstoreTrust::from_json(json.as_bytes())
                .map_err(|e| err(&key, format!("{}: {e}", p.display())))?;
            if s.identities.is_empty() {
                return Err(err(
                    &format!("sigstore[{i}].identities"),
                    "no identities: a trusted root alone accepts anyone".into(),
                ));
            }
            let mut identities = Vec::new();
            for (j, id) in s.identities.iter().enumerate() {
                let key = format!("sigstore[{i}].identities[{j}]");
                let san = match (&id.san, &id.san_regex) {
                    (Some(e), None) => SanMatch::Exact(e.clone()),
                    (None, Some(r)) => SanMatch::Regex(
                        regex::Regex::new(&format!("^(?:{r})$"))
                            .map_err(|e| err(&format!("{key}.san_regex"), e.to_string()))?,
                    ),
                    _ => {
                        return Err(err(
                            &key,
                            "exactly one of san or san_regex is required".into(),
                        ));
                    }
                };
                if id.issuer.is_empty() {
                    return Err(err(&format!("{key}.issuer"), "empty OIDC issuer".into()));
                }
                identities.push(SigstoreIdentity {
                    san,
                    issuer: id.issuer.clone(),
                });
            }
            sigstore.push(SigstoreRoot {
                trusted_root: p,
                trust: std::sync::Arc::new(trust),
                identities,
            });
        }

        let mut openpgp: Vec<crate::sig::openpgp::Keyring> = Vec::new();
        for (i, o) in raw.openpgp.iter().enumerate() {
            if o.name.trim().is_empty() || openpgp.iter().any(|k| k.name == o.name) {
                return Err(err(
                    &format!("openpgp[{i}].name"),
                    format!("empty or duplicate keyring name {:?}", o.name),
                ));
            }
            let p = base.join(&o.keyring);
            let ring = crate::sig::openpgp::Keyring::load(&o.name, &p, o.fingerprints.as_deref())
                .map_err(|e| {
                err(
                    &format!("openpgp[{i}].keyring"),
                    format!("{}: {e}", p.display()),
                )
            })?;
            openpgp.push(ring);
        }

        let validation_time = match raw.validation.time.as_deref() {
            None | Some("now") => ValidationTime::Now,
            Some("signing-time") => ValidationTime::SigningTime,
            Some(t) => ValidationTime::Fixed(OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
                err(
                    "validation.time",
                    format!("{t:?} is not \"now\", \"signing-time\" or an RFC 3339 time: {e}"),
                )
            })?),
        };
        if roots.is_empty() && keys.is_empty() && sigstore.is_empty() && openpgp.is_empty() {
            return Err(err(
                "x509.roots, keys, sigstore, openpgp",
                "no trust anchors: the policy trusts nothing".into(),
            ));
        }
        if raw.algorithms.allowed.is_empty() {
            return Err(err("algorithms.allowed", "no algorithm allowed".into()));
        }
        if raw.algorithms.min_rsa_bits < 2048 {
            return Err(err(
                "algorithms.min_rsa_bits",
                "below 2048 is not supported".into(),
            ));
        }
        if ![256, 384].contains(&raw.algorithms.min_ec_bits) {
            return Err(err("algorithms.min_ec_bits", "must be 256 or 384".into()));
        }
        if validation_time == ValidationTime::SigningTime && tsa_roots.is_empty() {
            return Err(err(
                "validation.time",
                "signing-time needs trusted timestamp authorities (x509.roots or x509.tsa_roots)"
                    .into(),
            ));
        }
        let coverage = CoverageRules::with_links(
            raw.coverage.require_signed,
            raw.coverage.allow_unsigned,
            raw.coverage.allow_unsigned_links,
            raw.coverage.allow_unsigned_special,
        )
        .map_err(|e| err("coverage", e.to_string()))?;
        for (i, t) in raw.dsse.predicate_types.iter().enumerate() {
            if NEVER_RELEASE_SIGNATURES.contains(&t.as_str()) {
                return Err(err(
                    &format!("dsse.predicate_types[{i}]"),
                    format!(
                        "{t} is a verdict about a release (an audit report or rebuild \
                         attestation), never the vendor's signature of it; remove it"
                    ),
                ));
            }
            if t.trim().is_empty() {
                return Err(err(
                    &format!("dsse.predicate_types[{i}]"),
                    "empty predicate type".into(),
                ));
            }
        }

        for (i, e) in raw.authenticode.ekus.iter().enumerate() {
            if der::asn1::ObjectIdentifier::new(e).is_err() {
                return Err(err(
                    &format!("authenticode.ekus[{i}]"),
                    format!("{e:?} is not a dotted OID"),
                ));
            }
            if e == "2.5.29.37.0" {
                return Err(err(
                    &format!("authenticode.ekus[{i}]"),
                    "anyExtendedKeyUsage would accept any certificate of the roots".into(),
                ));
            }
        }

        Ok(TrustPolicy {
            source: path.to_path_buf(),
            roots,
            intermediates,
            tsa_roots,
            keys,
            sigstore,
            openpgp,
            required_eku: raw.x509.required_eku,
            algorithms: AlgorithmPolicy {
                allowed: raw.algorithms.allowed.into_iter().collect(),
                min_rsa_bits: raw.algorithms.min_rsa_bits,
                min_ec_bits: raw.algorithms.min_ec_bits,
            },
            validation_time,
            coverage,
            dsse: DssePolicy {
                predicate_types: raw.dsse.predicate_types.into_iter().collect(),
            },
            authenticode: AuthenticodePolicy {
                require: raw.authenticode.require,
                ekus: raw.authenticode.ekus,
            },
        })
    }
}

/// Every `CERTIFICATE` block of a PEM file (or the DER certificates of a
/// DER file). A file with no certificate, or one that does not parse, is an
/// error.
fn read_pem_certificates(bytes: &[u8]) -> Result<Vec<crate::x509::Certificate>, String> {
    let certs = crate::x509::parse_pem_or_der_bundle(bytes).map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate".into());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_in_the_policy_are_the_scheme_names() {
        for a in Algorithm::ALL {
            let v: Algorithm = toml::Value::String(a.name().into()).try_into().unwrap();
            assert_eq!(v, a);
        }
    }

    #[test]
    fn coverage_globs_respect_separators_and_exceptions() {
        let c =
            CoverageRules::new(vec!["**".into()], vec!["*.md".into(), "docs/**".into()]).unwrap();
        assert!(c.must_be_signed("bin/tool"));
        assert!(!c.must_be_signed("README.md"));
        assert!(c.must_be_signed("sub/README.md"), "*.md must not cross /");
        assert!(!c.must_be_signed("docs/a/b.txt"));
    }

    /// The error loading `toml` as `/nonexistent/policy.toml` gives (relative
    /// paths in it resolve to `/nonexistent/`, where no file is).
    fn refused(toml: &str) -> PolicyError {
        TrustPolicy::from_toml(toml, Path::new("/nonexistent/policy.toml")).unwrap_err()
    }

    #[test]
    fn unknown_key_is_named() {
        let e = refused("[x509]\nrootz = []\n");
        assert!(e.to_string().contains("rootz"), "{e}");
    }

    #[test]
    fn empty_trust_is_an_error() {
        let e = refused("[validation]\ntime = \"now\"\n");
        assert!(e.reason.contains("trusts nothing"), "{e}");
    }

    #[test]
    fn unreadable_root_names_key_and_file() {
        let e = refused("[x509]\nroots = [\"root.pem\"]\n");
        assert_eq!(e.key, "x509.roots[0]");
        assert!(e.reason.contains("/nonexistent/root.pem"), "{e}");
    }

    #[test]
    fn bad_time_is_an_error() {
        let e = refused("[validation]\ntime = \"yesterday\"\n");
        assert_eq!(e.key, "validation.time");
    }
}

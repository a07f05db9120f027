//! Keys: the auditor's own signing keys and the public keys signatures are
//! checked against.
//!
//! - [`SigningKey`]: an Ed25519 or ECDSA P-256 private key, generated here
//!   ([`SigningKey::generate`]) or loaded from PKCS#8 (RFC 5208/5958) in PEM
//!   (`PRIVATE KEY`, RFC 7468 §10) or DER. It signs bytes with ring.
//! - [`PublicKey`]: a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) in PEM
//!   (`PUBLIC KEY`, RFC 7468 §13) or DER. It verifies Ed25519 (RFC 8032),
//!   ECDSA P-256/P-384 (DER or raw `r‖s` signatures), and RSA PKCS#1 v1.5 or
//!   PSS (RFC 8017) with SHA-256/384/512 and a modulus of 2048–8192 bits.
//!   Any other algorithm is refused, naming its OID.
//!
//! **Key id**: the lowercase hex SHA-256 of the key's SubjectPublicKeyInfo
//! DER ([`PublicKey::key_id`]); the same for a signing key and its public
//! key, and independent of PEM formatting.
//!
//! ```
//! use glassbox_core::keys::{PublicKey, SigningAlgorithm, SigningKey};
//! let generated = SigningKey::generate(SigningAlgorithm::Ed25519).unwrap();
//! let sig = generated.key.sign(b"hello").unwrap();
//! let public = PublicKey::from_pem_or_der(generated.key.public_key().to_pem().as_bytes()).unwrap();
//! public.verify(b"hello", &sig).unwrap();
//! assert!(public.verify(b"hellO", &sig).is_err());
//! ```

use std::fmt;
use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair as _};
use sha2::{Digest as _, Sha256};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Largest key file read by [`SigningKey::from_file`] / [`PublicKey::from_file`]:
/// a PEM RSA-8192 public key is under 2 KiB, so 1 MiB is generous.
pub const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// Why a key could not be generated, loaded, or a signature verified.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The input is not a PEM block or DER structure of the expected kind.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// What was being read ("PEM", "SubjectPublicKeyInfo", ...).
        what: &'static str,
        /// Why it was rejected.
        why: String,
    },
    /// A public or private key algorithm glassbox does not verify with.
    #[error("unsupported key algorithm {oid}{}", name.map(|n| format!(" ({n})")).unwrap_or_default())]
    UnsupportedAlgorithm {
        /// Dotted OID of the algorithm.
        oid: String,
        /// Its common name when known.
        name: Option<&'static str>,
    },
    /// An EC key on a curve other than P-256 or P-384.
    #[error("unsupported elliptic curve {oid}{}", name.map(|n| format!(" ({n})")).unwrap_or_default())]
    UnsupportedCurve {
        /// Dotted OID of the named curve (or a description when absent).
        oid: String,
        /// Its common name when known.
        name: Option<&'static str>,
    },
    /// An RSA modulus outside 2048–8192 bits or not a whole number of octets.
    #[error("RSA key of {bits} bits: accepted are 2048-8192 bits, in whole octets")]
    RsaKeySize {
        /// The modulus size.
        bits: usize,
    },
    /// The signature does not verify with this key under any accepted scheme.
    #[error("signature does not verify with {key} key {key_id} ({tried})")]
    BadSignature {
        /// The key's algorithm.
        key: KeyAlgorithm,
        /// The key id (SHA-256 of its SPKI).
        key_id: String,
        /// The schemes tried.
        tried: String,
    },
    /// A scheme was requested that this key cannot produce or verify.
    #[error("signature scheme {scheme} does not apply to a {key} key")]
    SchemeMismatch {
        /// The scheme requested.
        scheme: SignatureScheme,
        /// The key's algorithm.
        key: KeyAlgorithm,
    },
    /// ring rejected a private key.
    #[error("private key rejected: {0}")]
    PrivateKeyRejected(String),
    /// The system random number generator or ring failed.
    #[error("cryptographic operation failed: {0}")]
    Crypto(&'static str),
    /// A key file could not be read.
    #[error("{path}: {why}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

impl KeyError {
    fn malformed(what: &'static str, why: impl Into<String>) -> Self {
        KeyError::Malformed {
            what,
            why: why.into(),
        }
    }
}

/// The algorithm of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
    /// ECDSA on NIST P-521 (secp521r1): OpenPGP keys only (verified by
    /// rPGP; ring, which verifies every other key, has no P-521).
    EcdsaP521,
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// Modulus size.
        bits: usize,
    },
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyAlgorithm::EcdsaP521 => f.write_str("ECDSA P-521"),
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA-{bits}"),
        }
    }
}

/// A signature scheme: key type, padding and hash. ECDSA schemes accept
/// both the DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3) and the raw fixed-width
/// `r‖s` encoding (as used by JOSE and the DSSE test vector).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureScheme {
    /// Ed25519 (pure, RFC 8032 §5.1).
    Ed25519,
    /// ECDSA P-256 with SHA-256.
    EcdsaP256Sha256,
    /// ECDSA P-256 with SHA-384.
    EcdsaP256Sha384,
    /// ECDSA P-384 with SHA-384.
    EcdsaP384Sha384,
    /// ECDSA P-384 with SHA-256.
    EcdsaP384Sha256,
    /// ECDSA P-521 with SHA-512: OpenPGP keys only (RFC 9580 §9.2 lists
    /// NIST P-521 for ECDSA); ring has no P-521, so no X.509, CMS or raw
    /// key is ever P-521 (their SPKI reader refuses the curve).
    EcdsaP521Sha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length 32 (RFC 8017 §8.1).
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, salt length 48.
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, salt length 64.
    RsaPssSha512,
}

impl SignatureScheme {
    /// Every scheme, in the order [`PublicKey::verify`] tries them.
    pub const ALL: [SignatureScheme; 12] = [
        SignatureScheme::Ed25519,
        SignatureScheme::EcdsaP256Sha256,
        SignatureScheme::EcdsaP256Sha384,
        SignatureScheme::EcdsaP384Sha384,
        SignatureScheme::EcdsaP384Sha256,
        SignatureScheme::EcdsaP521Sha512,
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPkcs1Sha384,
        SignatureScheme::RsaPkcs1Sha512,
        SignatureScheme::RsaPssSha256,
        SignatureScheme::RsaPssSha384,
        SignatureScheme::RsaPssSha512,
    ];

    /// A stable lowercase name (`ed25519`, `ecdsa-p256-sha256`, `rsa-pss-sha512`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SignatureScheme::Ed25519 => "ed25519",
            SignatureScheme::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            SignatureScheme::EcdsaP256Sha384 => "ecdsa-p256-sha384",
            SignatureScheme::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            SignatureScheme::EcdsaP384Sha256 => "ecdsa-p384-sha256",
            SignatureScheme::EcdsaP521Sha512 => "ecdsa-p521-sha512",
            SignatureScheme::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            SignatureScheme::RsaPkcs1Sha384 => "rsa-pkcs1-sha384",
            SignatureScheme::RsaPkcs1Sha512 => "rsa-pkcs1-sha512",
            SignatureScheme::RsaPssSha256 => "rsa-pss-sha256",
            SignatureScheme::RsaPssSha384 => "rsa-pss-sha384",
            SignatureScheme::RsaPssSha512 => "rsa-pss-sha512",
        }
    }

    /// Parses [`SignatureScheme::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether a key of `key` can make this scheme's signatures.
    pub fn applies_to(self, key: KeyAlgorithm) -> bool {
        use SignatureScheme as S;
        matches!(
            (self, key),
            (S::Ed25519, KeyAlgorithm::Ed25519)
                | (
                    S::EcdsaP256Sha256 | S::EcdsaP256Sha384,
                    KeyAlgorithm::EcdsaP256
                )
                | (
                    S::EcdsaP384Sha384 | S::EcdsaP384Sha256,
                    KeyAlgorithm::EcdsaP384
                )
                | (S::EcdsaP521Sha512, KeyAlgorithm::EcdsaP521)
                | (
                    S::RsaPkcs1Sha256
                        | S::RsaPkcs1Sha384
                        | S::RsaPkcs1Sha512
                        | S::RsaPssSha256
                        | S::RsaPssSha384
                        | S::RsaPssSha512,
                    KeyAlgorithm::Rsa { .. }
                )
        )
    }

    /// ring verification algorithm for this scheme; ECDSA in its DER
    /// `ECDSA-Sig-Value` form (RFC 3279 §2.2.3), the only one X.509 and CMS
    /// signatures may use.
    /// `None` for P-521, which ring lacks (no [`PublicKey`] is P-521).
    fn ring_algorithm(self) -> Option<&'static dyn signature::VerificationAlgorithm> {
        use SignatureScheme as S;
        Some(match self {
            S::Ed25519 => &signature::ED25519,
            S::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            S::EcdsaP256Sha384 => &signature::ECDSA_P256_SHA384_ASN1,
            S::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
            S::EcdsaP384Sha256 => &signature::ECDSA_P384_SHA256_ASN1,
            S::EcdsaP521Sha512 => return None,
            S::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            S::RsaPkcs1Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            S::RsaPkcs1Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            S::RsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
            S::RsaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
            S::RsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        })
    }

    /// The fixed-width `r‖s` ECDSA form (JOSE, DSSE, TUF), where ring has
    /// one; it has none for the mixed-hash pairs.
    fn ring_fixed_algorithm(self) -> Option<&'static dyn signature::VerificationAlgorithm> {
        match self {
            SignatureScheme::EcdsaP256Sha256 => Some(&signature::ECDSA_P256_SHA256_FIXED),
            SignatureScheme::EcdsaP384Sha384 => Some(&signature::ECDSA_P384_SHA384_FIXED),
            _ => None,
        }
    }
}

impl fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// OIDs, as DER content octets, RFC 5480 §2.1.1 / RFC 8410 §3 / RFC 8017 App. C.
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70]; // 1.3.101.112
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]; // 1.2.840.113549.1.1.1
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22]; // 1.3.132.0.34

/// Common names of algorithm OIDs we refuse, so errors say what they are.
fn known_oid_name(dotted: &str) -> Option<&'static str> {
    Some(match dotted {
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS key",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.10045.3.1.1" => "P-192",
        "1.3.132.0.33" => "P-224",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        "1.2.156.10197.1.301" => "SM2",
        "1.2.643.7.1.1.1.1" => "GOST R 34.10-2012 256",
        _ => return None,
    })
}

/// A public key, parsed from a SubjectPublicKeyInfo.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    spki_der: Vec<u8>,
    /// The `subjectPublicKey` BIT STRING contents: raw Ed25519 key, SEC1
    /// point, or PKCS#1 `RSAPublicKey` DER — what ring verifies with.
    key_bytes: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.algorithm, self.key_id())
    }
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). Refuses
    /// trailing bytes, unknown algorithms and curves, and RSA moduli outside
    /// 2048–8192 bits.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| KeyError::malformed("SubjectPublicKeyInfo", e.to_string()))?;
        if !rest.is_empty() {
            return Err(KeyError::malformed(
                "SubjectPublicKeyInfo",
                format!("{} trailing bytes", rest.len()),
            ));
        }
        if spki.subject_public_key.unused_bits != 0 {
            return Err(KeyError::malformed(
                "SubjectPublicKeyInfo",
                "public key BIT STRING has unused bits",
            ));
        }
        let key_bytes = spki.subject_public_key.data.to_vec();
        let oid = spki.algorithm.algorithm.as_bytes();
        let algorithm = if oid == OID_ED25519 {
            // RFC 8410 §3: parameters MUST be absent.
            if spki.algorithm.parameters.is_some() {
                return Err(KeyError::malformed(
                    "SubjectPublicKeyInfo",
                    "Ed25519 algorithm parameters must be absent (RFC 8410 §3)",
                ));
            }
            if key_bytes.len() != 32 {
                return Err(KeyError::malformed(
                    "Ed25519 public key",
                    format!("{} bytes, expected 32", key_bytes.len()),
                ));
            }
            KeyAlgorithm::Ed25519
        } else if oid == OID_EC_PUBLIC_KEY {
            // RFC 5480 §2.1.1: parameters are the namedCurve OID.
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p.clone()).ok());
            let Some(curve) = curve else {
                return Err(KeyError::UnsupportedCurve {
                    oid: "(no namedCurve parameter)".into(),
                    name: None,
                });
            };
            let (alg, len) = match curve.as_bytes() {
                OID_P256 => (KeyAlgorithm::EcdsaP256, 65),
                OID_P384 => (KeyAlgorithm::EcdsaP384, 97),
                _ => {
                    let dotted = curve.to_id_string();
                    return Err(KeyError::UnsupportedCurve {
                        name: known_oid_name(&dotted),
                        oid: dotted,
                    });
                }
            };
            // Uncompressed SEC1 points only: ring verifies nothing else.
            if key_bytes.len() != len || key_bytes[0] != 0x04 {
                return Err(KeyError::malformed(
                    "EC public key",
                    format!(
                        "expected an uncompressed point of {len} bytes, got {} bytes",
                        key_bytes.len()
                    ),
                ));
            }
            alg
        } else if oid == OID_RSA_ENCRYPTION {
            // RFC 3279 §2.3.1: the parameters MUST be NULL (as in crate::x509).
            if spki
                .algorithm
                .parameters
                .as_ref()
                .map(|p| p.data.is_empty() && p.header.tag().0 == 5)
                != Some(true)
            {
                return Err(KeyError::malformed(
                    "SubjectPublicKeyInfo",
                    "rsaEncryption parameters must be NULL (RFC 3279 §2.3.1)",
                ));
            }
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
                _ => {
                    return Err(KeyError::malformed(
                        "RSA public key",
                        "not a PKCS#1 RSAPublicKey",
                    ));
                }
            };
            // Whole octets, as crate::x509 requires too.
            if !(2048..=8192).contains(&bits) || bits % 8 != 0 {
                return Err(KeyError::RsaKeySize { bits });
            }
            KeyAlgorithm::Rsa { bits }
        } else {
            let dotted = spki.algorithm.algorithm.to_id_string();
            return Err(KeyError::UnsupportedAlgorithm {
                name: known_oid_name(&dotted),
                oid: dotted,
            });
        };
        Ok(Self {
            algorithm,
            spki_der: der.to_vec(),
            key_bytes,
        })
    }

    /// Parses a PEM `PUBLIC KEY` block (RFC 7468 §13) or, when the input
    /// does not start with a PEM boundary, DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, KeyError> {
        if looks_like_pem(bytes) {
            let der = pem_decode(bytes, "PUBLIC KEY")?;
            Self::from_spki_der(&der)
        } else {
            Self::from_spki_der(bytes)
        }
    }

    /// Reads a public key file (PEM or DER, at most [`MAX_KEY_FILE_BYTES`]).
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem_or_der(&read_key_file(path)?)
    }

    /// The subject public key of a DER X.509 certificate. This only
    /// extracts the key: validating the certificate is the caller's job
    /// (see [`crate::x509`]).
    pub fn from_certificate_der(cert: &[u8]) -> Result<Self, KeyError> {
        let (_, cert) = x509_parser::parse_x509_certificate(cert)
            .map_err(|e| KeyError::malformed("X.509 certificate", e.to_string()))?;
        Self::from_spki_der(cert.tbs_certificate.subject_pki.raw)
    }

    /// An Ed25519 public key from its 32 raw bytes (as TUF and
    /// securesystemslib store them).
    pub fn from_ed25519_raw(raw: &[u8]) -> Result<Self, KeyError> {
        if raw.len() != 32 {
            return Err(KeyError::malformed(
                "Ed25519 public key",
                format!("{} bytes, expected 32", raw.len()),
            ));
        }
        Self::from_spki_der(&[ED25519_SPKI_PREFIX, raw].concat())
    }

    /// An ECDSA public key from its uncompressed SEC1 point (as TUF's
    /// securesystemslib once listed them) on `curve`, P-256 or P-384.
    pub fn from_ec_point(curve: KeyAlgorithm, point: &[u8]) -> Result<Self, KeyError> {
        let prefix = match curve {
            KeyAlgorithm::EcdsaP256 => P256_SPKI_PREFIX,
            KeyAlgorithm::EcdsaP384 => P384_SPKI_PREFIX,
            other => {
                return Err(KeyError::malformed(
                    "EC public key",
                    format!("{other} is not an elliptic curve"),
                ));
            }
        };
        Self::from_spki_der(&[prefix, point].concat())
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The `subjectPublicKey` bits: raw Ed25519 key, SEC1 point, or PKCS#1
    /// `RSAPublicKey` DER.
    pub fn raw_key(&self) -> &[u8] {
        &self.key_bytes
    }

    /// Key id: lowercase hex SHA-256 of the SPKI DER.
    pub fn key_id(&self) -> String {
        hex::encode(Sha256::digest(&self.spki_der))
    }

    /// PEM `PUBLIC KEY` encoding, 64-column lines, trailing newline.
    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der)
    }

    /// Schemes that apply to this key, in the order [`PublicKey::verify`] tries them.
    pub fn schemes(&self) -> impl Iterator<Item = SignatureScheme> + '_ {
        SignatureScheme::ALL
            .into_iter()
            .filter(|s| s.applies_to(self.algorithm))
    }

    /// Verifies `signature` over `message` under any scheme that applies to
    /// this key (RSA: PKCS#1 v1.5 or PSS with SHA-256/384/512; ECDSA: the
    /// curve's hash or the other of SHA-256/384, DER or raw `r‖s`).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        self.verify_detect(message, signature).map(|_| ())
    }

    /// Like [`PublicKey::verify`], returning the scheme that verified.
    pub fn verify_detect(
        &self,
        message: &[u8],
        signature: &[u8],
    ) -> Result<SignatureScheme, KeyError> {
        for scheme in self.schemes() {
            if self.verify_ring(scheme, message, signature) {
                return Ok(scheme);
            }
        }
        Err(self.bad_signature(
            self.schemes()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", "),
        ))
    }

    /// Refuses a scheme that is not for this key's algorithm (an RSA
    /// scheme named for an EC key, ...): the caller named the wrong
    /// scheme, which is not the same verdict as a bad signature.
    fn require_scheme(&self, scheme: SignatureScheme) -> Result<(), KeyError> {
        if scheme.applies_to(self.algorithm) {
            Ok(())
        } else {
            Err(KeyError::SchemeMismatch {
                scheme,
                key: self.algorithm,
            })
        }
    }

    /// Verifies under exactly `scheme` (ECDSA: DER or raw `r‖s`).
    pub fn verify_with(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        self.require_scheme(scheme)?;
        if self.verify_ring(scheme, message, signature) {
            Ok(())
        } else {
            Err(self.bad_signature(scheme.name().to_string()))
        }
    }

    /// Verifies under exactly `scheme` with ECDSA signatures in DER only,
    /// as X.509 (RFC 5280 §4.1.1.3) and CMS (RFC 5753 §2.1.1) encode them:
    /// accepting a raw `r‖s` there would read a second encoding those
    /// formats do not have.
    pub fn verify_der_with(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        self.require_scheme(scheme)?;
        if scheme
            .ring_algorithm()
            .is_some_and(|alg| self.verify_ring_one(alg, message, signature))
        {
            Ok(())
        } else {
            Err(self.bad_signature(scheme.name().to_string()))
        }
    }

    fn verify_ring(&self, scheme: SignatureScheme, message: &[u8], signature: &[u8]) -> bool {
        scheme
            .ring_algorithm()
            .is_some_and(|alg| self.verify_ring_one(alg, message, signature))
            || scheme
                .ring_fixed_algorithm()
                .is_some_and(|alg| self.verify_ring_one(alg, message, signature))
    }

    fn verify_ring_one(
        &self,
        alg: &'static dyn signature::VerificationAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        signature::UnparsedPublicKey::new(alg, &self.key_bytes)
            .verify(message, signature)
            .is_ok()
    }

    fn bad_signature(&self, tried: String) -> KeyError {
        KeyError::BadSignature {
            key: self.algorithm,
            key_id: self.key_id(),
            tried,
        }
    }
}

/// Bits in a big-endian unsigned modulus, ignoring leading zero octets.
fn modulus_bits(modulus: &[u8]) -> usize {
    let m = match modulus.iter().position(|&b| b != 0) {
        Some(i) => &modulus[i..],
        None => return 0,
    };
    (m.len() - 1) * 8 + (8 - m[0].leading_zeros() as usize)
}

// SPKI headers before the raw key: Ed25519 (RFC 8410 §4) and uncompressed
// P-256/P-384 points (RFC 5480 §2).
const ED25519_SPKI_PREFIX: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const P256_SPKI_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
const P384_SPKI_PREFIX: &[u8] = &[
    0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
];

/// The algorithms the auditor's own keys may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// Ed25519: 64-byte signatures.
    Ed25519,
    /// ECDSA P-256 with SHA-256: DER `ECDSA-Sig-Value` signatures.
    EcdsaP256,
}

enum Inner {
    Ed25519(signature::Ed25519KeyPair),
    EcdsaP256(signature::EcdsaKeyPair),
}

/// The auditor's private signing key (Ed25519 or ECDSA P-256).
pub struct SigningKey {
    inner: Inner,
    public: PublicKey,
    rng: SystemRandom,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({:?})", self.public)
    }
}

/// A freshly generated key and its PKCS#8 encoding, to be written out once.
pub struct GeneratedKey {
    /// The usable key.
    pub key: SigningKey,
    /// PKCS#8 v2 (RFC 5958) PEM `PRIVATE KEY` block; secret, write with mode 0600.
    pub private_pem: String,
}

impl SigningKey {
    /// Generates a new key with the system RNG.
    pub fn generate(algorithm: SigningAlgorithm) -> Result<GeneratedKey, KeyError> {
        let rng = SystemRandom::new();
        let pkcs8 = match algorithm {
            SigningAlgorithm::Ed25519 => signature::Ed25519KeyPair::generate_pkcs8(&rng),
            SigningAlgorithm::EcdsaP256 => signature::EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &rng,
            ),
        }
        .map_err(|_| KeyError::Crypto("key generation failed"))?;
        let der = match algorithm {
            SigningAlgorithm::Ed25519 => ed25519_pkcs8_v1(pkcs8.as_ref())?,
            SigningAlgorithm::EcdsaP256 => pkcs8.as_ref().to_vec(),
        };
        let key = Self::from_pkcs8_der(&der)?;
        Ok(GeneratedKey {
            key,
            private_pem: pem_encode("PRIVATE KEY", &der),
        })
    }

    /// Loads a PKCS#8 private key (PEM `PRIVATE KEY` or DER): Ed25519 (v1
    /// as written by OpenSSL, or v2 with the public key) or ECDSA P-256.
    /// Other algorithms are refused, naming the OID.
    pub fn from_pkcs8_pem_or_der(bytes: &[u8]) -> Result<Self, KeyError> {
        if looks_like_pem(bytes) {
            Self::from_pkcs8_der(&pem_decode(bytes, "PRIVATE KEY")?)
        } else {
            Self::from_pkcs8_der(bytes)
        }
    }

    /// Reads a private key file (PEM or DER, at most [`MAX_KEY_FILE_BYTES`]).
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        Self::from_pkcs8_pem_or_der(&read_key_file(path)?)
    }

    /// Loads a DER PKCS#8 private key; see [`SigningKey::from_pkcs8_pem_or_der`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let oid_value = pkcs8_algorithm_oid(der)?;
        let oid = oid_value.as_bytes();
        let inner = if oid == OID_ED25519 {
            // `maybe_unchecked` accepts OpenSSL's v1 documents (no public key).
            let kp = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|e| KeyError::PrivateKeyRejected(format!("Ed25519: {e}")))?;
            Inner::Ed25519(kp)
        } else if oid == OID_EC_PUBLIC_KEY {
            let kp = signature::EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                der,
                &rng,
            )
            .map_err(|e| KeyError::PrivateKeyRejected(format!("ECDSA (only P-256 signs): {e}")))?;
            Inner::EcdsaP256(kp)
        } else {
            let dotted = oid_value.to_string();
            return Err(KeyError::UnsupportedAlgorithm {
                name: known_oid_name(&dotted).or(if oid == OID_RSA_ENCRYPTION {
                    Some("RSA: glassbox signs with Ed25519 or ECDSA P-256 only")
                } else {
                    None
                }),
                oid: dotted,
            });
        };
        let spki = match &inner {
            Inner::Ed25519(kp) => [ED25519_SPKI_PREFIX, kp.public_key().as_ref()].concat(),
            Inner::EcdsaP256(kp) => [P256_SPKI_PREFIX, kp.public_key().as_ref()].concat(),
        };
        Ok(Self {
            inner,
            public: PublicKey::from_spki_der(&spki)?,
            rng,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Key id: the same as the public key's ([`PublicKey::key_id`]).
    pub fn key_id(&self) -> String {
        self.public.key_id()
    }

    /// The algorithm of this key.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match self.inner {
            Inner::Ed25519(_) => SigningAlgorithm::Ed25519,
            Inner::EcdsaP256(_) => SigningAlgorithm::EcdsaP256,
        }
    }

    /// The scheme of the signatures this key makes.
    pub fn scheme(&self) -> SignatureScheme {
        match self.inner {
            Inner::Ed25519(_) => SignatureScheme::Ed25519,
            Inner::EcdsaP256(_) => SignatureScheme::EcdsaP256Sha256,
        }
    }

    /// Signs `message`: Ed25519 (64 bytes) or ECDSA P-256 SHA-256 (DER).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            Inner::Ed25519(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            Inner::EcdsaP256(kp) => kp
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Crypto("ECDSA signing failed")),
        }
    }
}

fn read_key_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    read_bounded(path, MAX_KEY_FILE_BYTES).map_err(|e| KeyError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    })
}

/// Reads a whole file of at most `limit` bytes; a larger file is an
/// `InvalidData` error rather than an unbounded allocation.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    crate::fsio::read_file_capped(path, limit).map_err(crate::fsio::ReadFileError::into_io)
}

/// The `privateKeyAlgorithm` OID of a PKCS#8 `PrivateKeyInfo` /
/// `OneAsymmetricKey` (RFC 5958 §2), read with the `der` crate:
/// `SEQUENCE { INTEGER version, AlgorithmIdentifier, OCTET STRING, ... }`.
/// The rest is left to ring, which parses the whole document.
fn pkcs8_algorithm_oid(der: &[u8]) -> Result<der::oid::ObjectIdentifier, KeyError> {
    use der::{Decode as _, Reader as _};
    let read = || -> der::Result<der::oid::ObjectIdentifier> {
        let mut reader = der::SliceReader::new(der)?;
        reader.sequence(|seq| {
            let _version = der::asn1::IntRef::decode(seq)?;
            let alg = x509_cert::spki::AlgorithmIdentifierRef::decode(seq)?;
            seq.read_slice(seq.remaining_len())?;
            Ok(alg.oid)
        })
    };
    read().map_err(|e| KeyError::malformed("PKCS#8 private key", e.to_string()))
}

use crate::pem::looks_like_pem;

/// Decodes the first PEM block labelled `label` (RFC 7468, read by
/// [`crate::pem`]). Other blocks before it are skipped.
pub(crate) fn pem_decode(bytes: &[u8], label: &str) -> Result<Vec<u8>, KeyError> {
    let malformed = |why: String| KeyError::Malformed { what: "PEM", why };
    let blocks = crate::pem::blocks(bytes).map_err(|e| malformed(e.to_string()))?;
    let found = blocks.first().map(|b| b.label.clone());
    match blocks.into_iter().find(|b| b.label == label) {
        Some(b) => Ok(b.der),
        None => Err(malformed(match found {
            Some(other) => format!("expected a {label} block, found {other}"),
            None => format!("no {label} block"),
        })),
    }
}

/// PEM encoding with 64-column lines (RFC 7468 §2).
/// ring writes Ed25519 keys as PKCS#8 v2 (RFC 5958 OneAsymmetricKey with
/// the public key), which OpenSSL 3.0 refuses ("unsupported"). The v1 form
/// of RFC 8410 §7 holds the same 32-byte seed and is what `openssl genpkey`
/// writes, so `openssl pkey -in` reads the auditor's key. The seed sits at
/// a fixed place in ring's fixed layout; anything else is a refusal, not a
/// guess.
fn ed25519_pkcs8_v1(v2: &[u8]) -> Result<Vec<u8>, KeyError> {
    const V2_PREFIX: &[u8] = &[
        0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    const V1_PREFIX: &[u8] = &[
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let seed = v2
        .strip_prefix(V2_PREFIX)
        .and_then(|rest| rest.get(..32))
        .ok_or(KeyError::Crypto(
            "unexpected Ed25519 PKCS#8 layout from the generator",
        ))?;
    Ok([V1_PREFIX, seed].concat())
}

pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    crate::pem::encode(label, der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_verify_round_trip_through_pem() {
        for alg in [SigningAlgorithm::Ed25519, SigningAlgorithm::EcdsaP256] {
            let g = SigningKey::generate(alg).unwrap();
            let loaded = SigningKey::from_pkcs8_pem_or_der(g.private_pem.as_bytes()).unwrap();
            assert_eq!(loaded.key_id(), g.key.key_id());
            let sig = loaded.sign(b"report").unwrap();
            let public =
                PublicKey::from_pem_or_der(g.key.public_key().to_pem().as_bytes()).unwrap();
            assert_eq!(
                public.verify_detect(b"report", &sig).unwrap(),
                loaded.scheme()
            );
            let err = public.verify(b"rep0rt", &sig).unwrap_err();
            assert!(matches!(err, KeyError::BadSignature { .. }), "{err}");
        }
    }

    #[test]
    fn key_id_is_sha256_of_spki_der() {
        let g = SigningKey::generate(SigningAlgorithm::Ed25519).unwrap();
        let spki = g.key.public_key().spki_der();
        assert_eq!(g.key.key_id(), hex::encode(Sha256::digest(spki)));
        assert_eq!(spki.len(), 44);
    }

    #[test]
    fn unknown_algorithm_is_named_by_oid() {
        // An Ed448 SPKI (RFC 8410 §10.1 shape): OID 1.3.101.113.
        let mut der = vec![
            0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x03, 0x3a, 0x00,
        ];
        der.extend([7u8; 57]);
        let err = PublicKey::from_spki_der(&der).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported key algorithm 1.3.101.113 (Ed448)"
        );
    }

    #[test]
    fn wrong_pem_label_is_reported() {
        let g = SigningKey::generate(SigningAlgorithm::Ed25519).unwrap();
        let err = PublicKey::from_pem_or_der(g.private_pem.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("found PRIVATE KEY"), "{err}");
    }

    #[test]
    fn scheme_mismatch_is_refused() {
        let g = SigningKey::generate(SigningAlgorithm::Ed25519).unwrap();
        let err = g
            .key
            .public_key()
            .verify_with(SignatureScheme::RsaPssSha256, b"x", &[0; 64])
            .unwrap_err();
        assert!(matches!(err, KeyError::SchemeMismatch { .. }));
    }

    #[test]
    fn modulus_bits_ignores_leading_zero() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0x00]), 9);
    }
}

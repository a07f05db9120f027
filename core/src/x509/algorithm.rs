//! The signature-algorithm and public-key allow-list, and signature
//! verification with ring.
//!
//! Allowed: RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-256/384/512 (RSA keys of
//! 2048 to 8192 bits, a whole number of octets), ECDSA on P-256/P-384 with
//! SHA-256/384, Ed25519. Everything else (MD5, SHA-1, SHA-224, DSA, explicit
//! curve parameters, other curves, short RSA keys) is refused with a reason.

use std::fmt;

use ring::signature as rs;
use x509_parser::asn1_rs::{Any, FromDer, Oid};
use x509_parser::prelude::{AlgorithmIdentifier, SubjectPublicKeyInfo};
use x509_parser::signature_algorithm::RsaSsaPssParams;

use super::error::X509Error;

/// A signature algorithm on the allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SignatureAlgorithm {
    /// sha256WithRSAEncryption (RFC 4055).
    RsaPkcs1Sha256,
    /// sha384WithRSAEncryption.
    RsaPkcs1Sha384,
    /// sha512WithRSAEncryption.
    RsaPkcs1Sha512,
    /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 §3.1).
    RsaPssSha256,
    /// RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48.
    RsaPssSha384,
    /// RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64.
    RsaPssSha512,
    /// ecdsa-with-SHA256 (RFC 5758).
    EcdsaSha256,
    /// ecdsa-with-SHA384.
    EcdsaSha384,
    /// Ed25519 (RFC 8410).
    Ed25519,
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RsaPkcs1Sha256 => "RSA PKCS#1 v1.5 SHA-256",
            Self::RsaPkcs1Sha384 => "RSA PKCS#1 v1.5 SHA-384",
            Self::RsaPkcs1Sha512 => "RSA PKCS#1 v1.5 SHA-512",
            Self::RsaPssSha256 => "RSA-PSS SHA-256",
            Self::RsaPssSha384 => "RSA-PSS SHA-384",
            Self::RsaPssSha512 => "RSA-PSS SHA-512",
            Self::EcdsaSha256 => "ECDSA SHA-256",
            Self::EcdsaSha384 => "ECDSA SHA-384",
            Self::Ed25519 => "Ed25519",
        })
    }
}

const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
const OID_SHA512: &str = "2.16.840.1.101.3.4.2.3";
const OID_MGF1: &str = "1.2.840.113549.1.1.8";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
/// DER of ASN.1 NULL.
const DER_NULL: &[u8] = &[0x05, 0x00];

fn disallowed(why: impl Into<String>) -> X509Error {
    X509Error::DisallowedAlgorithm(why.into())
}

impl SignatureAlgorithm {
    /// Parses a DER AlgorithmIdentifier (`SEQUENCE { OID, params }`).
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        let (rest, alg) = AlgorithmIdentifier::from_der(der).map_err(|e| X509Error::Malformed {
            what: "AlgorithmIdentifier",
            why: e.to_string(),
        })?;
        if !rest.is_empty() {
            return Err(X509Error::Malformed {
                what: "AlgorithmIdentifier",
                why: "trailing data".into(),
            });
        }
        Self::from_parsed(&alg)
    }

    /// Maps a dotted OID and the DER of its parameters (the whole TLV, or
    /// `None` when absent) to an allowed algorithm. RSA PKCS#1 takes absent or
    /// NULL parameters (RFC 4055 §5), ECDSA and Ed25519 absent ones (RFC 5758
    /// §3.2, RFC 8410 §3), RSA-PSS exactly matching hash/MGF1/salt (RFC 4055
    /// §3.1, the only form ring verifies).
    pub fn from_oid_and_params(oid: &str, params: Option<&[u8]>) -> Result<Self, X509Error> {
        let null_or_absent = params.is_none() || params == Some(DER_NULL);
        let absent = params.is_none();
        let pick = |ok: bool, alg: Self| {
            if ok {
                Ok(alg)
            } else {
                Err(disallowed(format!("{alg}: unexpected parameters")))
            }
        };
        match oid {
            "1.2.840.113549.1.1.11" => pick(null_or_absent, Self::RsaPkcs1Sha256),
            "1.2.840.113549.1.1.12" => pick(null_or_absent, Self::RsaPkcs1Sha384),
            "1.2.840.113549.1.1.13" => pick(null_or_absent, Self::RsaPkcs1Sha512),
            "1.2.840.10045.4.3.2" => pick(absent, Self::EcdsaSha256),
            "1.2.840.10045.4.3.3" => pick(absent, Self::EcdsaSha384),
            OID_ED25519 => pick(absent, Self::Ed25519),
            OID_RSA_PSS => {
                let params = params.ok_or_else(|| disallowed("RSA-PSS without parameters"))?;
                Self::pss_from_params(params)
            }
            "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.3" | "1.2.840.113549.1.1.2" => {
                Err(disallowed("MD5/MD4/MD2 with RSA"))
            }
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => Err(disallowed("SHA-1 with RSA")),
            "1.2.840.10045.4.1" => Err(disallowed("ECDSA with SHA-1")),
            "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => Err(disallowed("SHA-224")),
            "1.2.840.10045.4.3.4" => Err(disallowed("ECDSA with SHA-512")),
            o if o.starts_with("1.2.840.10040.4.") || o.starts_with("2.16.840.1.101.3.4.3.") => {
                Err(disallowed(format!("DSA or SHA-3 ({o})")))
            }
            "1.3.101.113" => Err(disallowed("Ed448")),
            other => Err(disallowed(format!("unknown algorithm {other}"))),
        }
    }

    /// For CMS SignerInfo (RFC 5652 §5.3), whose signatureAlgorithm may name
    /// only the key type (rsaEncryption, RFC 3370 §3.2) with the hash in
    /// digestAlgorithm: maps that pair to an allowed algorithm. Any other
    /// `sig_oid` goes through [`Self::from_oid_and_params`] and must agree
    /// with `digest_oid` (Ed25519 signs with SHA-512 as digest, RFC 8419).
    pub fn from_cms(
        sig_oid: &str,
        sig_params: Option<&[u8]>,
        digest_oid: &str,
    ) -> Result<Self, X509Error> {
        if sig_oid == OID_RSA_ENCRYPTION {
            if !(sig_params.is_none() || sig_params == Some(DER_NULL)) {
                return Err(disallowed("rsaEncryption: unexpected parameters"));
            }
            return match digest_oid {
                OID_SHA256 => Ok(Self::RsaPkcs1Sha256),
                OID_SHA384 => Ok(Self::RsaPkcs1Sha384),
                OID_SHA512 => Ok(Self::RsaPkcs1Sha512),
                other => Err(disallowed(format!("RSA with digest {other}"))),
            };
        }
        let alg = Self::from_oid_and_params(sig_oid, sig_params)?;
        let expected = match alg {
            Self::RsaPkcs1Sha256 | Self::RsaPssSha256 | Self::EcdsaSha256 => OID_SHA256,
            Self::RsaPkcs1Sha384 | Self::RsaPssSha384 | Self::EcdsaSha384 => OID_SHA384,
            Self::RsaPkcs1Sha512 | Self::RsaPssSha512 | Self::Ed25519 => OID_SHA512,
        };
        if digest_oid != expected {
            return Err(disallowed(format!(
                "{alg} with digestAlgorithm {digest_oid} (expected {expected})"
            )));
        }
        Ok(alg)
    }

    pub(crate) fn from_parsed(alg: &AlgorithmIdentifier<'_>) -> Result<Self, X509Error> {
        let params = alg.parameters.as_ref().map(any_to_der);
        Self::from_oid_and_params(&alg.algorithm.to_id_string(), params.as_deref())
    }

    fn pss_from_params(der: &[u8]) -> Result<Self, X509Error> {
        let (_, any) = Any::from_der(der).map_err(|_| disallowed("RSA-PSS: bad parameters"))?;
        let p =
            RsaSsaPssParams::try_from(&any).map_err(|_| disallowed("RSA-PSS: bad parameters"))?;
        let hash = p.hash_algorithm_oid().to_id_string();
        let mgf = p
            .mask_gen_algorithm()
            .map_err(|_| disallowed("RSA-PSS: bad MGF"))?;
        if mgf.mgf.to_id_string() != OID_MGF1 || mgf.hash.to_id_string() != hash {
            return Err(disallowed(
                "RSA-PSS: MGF must be MGF1 with the message hash",
            ));
        }
        if p.trailer_field() != 1 {
            return Err(disallowed("RSA-PSS: trailer field must be 1"));
        }
        let (alg, salt) = match hash.as_str() {
            OID_SHA256 => (Self::RsaPssSha256, 32),
            OID_SHA384 => (Self::RsaPssSha384, 48),
            OID_SHA512 => (Self::RsaPssSha512, 64),
            _ => return Err(disallowed(format!("RSA-PSS with hash {hash}"))),
        };
        if p.salt_length() != salt {
            return Err(disallowed(format!(
                "{alg}: salt length {} (must equal the hash length {salt})",
                p.salt_length()
            )));
        }
        Ok(alg)
    }
}

/// Re-encodes a parsed ASN.1 value as DER (tag + length + content).
pub(crate) fn any_to_der(any: &Any<'_>) -> Vec<u8> {
    use x509_parser::asn1_rs::ToDer;
    any.to_der_vec().unwrap_or_default()
}

/// A public key on the allow-list, ready for ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: the RSAPublicKey DER and the modulus size in bits.
    Rsa {
        /// RSAPublicKey (PKCS#1) DER.
        der: Vec<u8>,
        /// Modulus size.
        bits: usize,
    },
    /// ECDSA P-256, uncompressed point.
    P256(Vec<u8>),
    /// ECDSA P-384, uncompressed point.
    P384(Vec<u8>),
    /// Ed25519, 32 octets.
    Ed25519(Vec<u8>),
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublicKey::Rsa { bits, .. } => write!(f, "RSA {bits}"),
            PublicKey::P256(_) => f.write_str("ECDSA P-256"),
            PublicKey::P384(_) => f.write_str("ECDSA P-384"),
            PublicKey::Ed25519(_) => f.write_str("Ed25519"),
        }
    }
}

fn bad_key(why: impl Into<String>) -> X509Error {
    X509Error::DisallowedKey(why.into())
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo and applies the key allow-list.
    pub fn from_spki_der(spki: &[u8]) -> Result<Self, X509Error> {
        let (rest, parsed) =
            SubjectPublicKeyInfo::from_der(spki).map_err(|e| X509Error::Malformed {
                what: "SubjectPublicKeyInfo",
                why: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(X509Error::Malformed {
                what: "SubjectPublicKeyInfo",
                why: "trailing data".into(),
            });
        }
        Self::from_parsed(&parsed)
    }

    pub(crate) fn from_parsed(spki: &SubjectPublicKeyInfo<'_>) -> Result<Self, X509Error> {
        let oid = spki.algorithm.algorithm.to_id_string();
        let params = spki.algorithm.parameters.as_ref().map(any_to_der);
        if spki.subject_public_key.unused_bits != 0 {
            return Err(bad_key("public key BIT STRING has unused bits"));
        }
        let key = spki.subject_public_key.data.to_vec();
        match oid.as_str() {
            OID_RSA_ENCRYPTION => {
                // RFC 3279 §2.3.1: parameters MUST be NULL.
                if params.as_deref() != Some(DER_NULL) {
                    return Err(bad_key("rsaEncryption parameters must be NULL"));
                }
                let bits =
                    rsa_modulus_bits(&key).ok_or_else(|| bad_key("malformed RSAPublicKey"))?;
                if bits < 2048 {
                    return Err(bad_key(format!("RSA key of {bits} bits (minimum 2048)")));
                }
                if bits > 8192 {
                    return Err(bad_key(format!("RSA key of {bits} bits (maximum 8192)")));
                }
                if bits % 8 != 0 {
                    return Err(bad_key(format!(
                        "RSA modulus of {bits} bits is not a whole number of octets"
                    )));
                }
                Ok(PublicKey::Rsa { der: key, bits })
            }
            OID_EC_PUBLIC_KEY => {
                let params = params.ok_or_else(|| bad_key("EC key without curve"))?;
                let (_, curve) = Any::from_der(&params).map_err(|_| bad_key("bad EC params"))?;
                // RFC 5480 §2.1.1: only namedCurve; explicit parameters refused.
                let curve = Oid::try_from(&curve)
                    .map_err(|_| bad_key("explicit EC curve parameters are not allowed"))?;
                let (len, ctor): (usize, fn(Vec<u8>) -> PublicKey) =
                    match curve.to_id_string().as_str() {
                        OID_P256 => (65, PublicKey::P256),
                        OID_P384 => (97, PublicKey::P384),
                        other => return Err(bad_key(format!("EC curve {other} not allowed"))),
                    };
                if key.len() != len || key[0] != 0x04 {
                    return Err(bad_key(
                        "EC point is not uncompressed or has a wrong length",
                    ));
                }
                Ok(ctor(key))
            }
            OID_ED25519 => {
                if params.is_some() {
                    return Err(bad_key("Ed25519 key with parameters"));
                }
                if key.len() != 32 {
                    return Err(bad_key("Ed25519 key is not 32 octets"));
                }
                Ok(PublicKey::Ed25519(key))
            }
            OID_RSA_PSS => Err(bad_key("RSASSA-PSS-restricted keys are not supported")),
            "1.2.840.10040.4.1" => Err(bad_key("DSA keys are not allowed")),
            other => Err(bad_key(format!("key algorithm {other} not allowed"))),
        }
    }

    /// Verifies `signature` over `message` with this key.
    pub fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), X509Error> {
        use SignatureAlgorithm as A;
        let (params, key): (&dyn rs::VerificationAlgorithm, &[u8]) = match (self, algorithm) {
            (PublicKey::Rsa { der, .. }, A::RsaPkcs1Sha256) => {
                (&rs::RSA_PKCS1_2048_8192_SHA256, der)
            }
            (PublicKey::Rsa { der, .. }, A::RsaPkcs1Sha384) => {
                (&rs::RSA_PKCS1_2048_8192_SHA384, der)
            }
            (PublicKey::Rsa { der, .. }, A::RsaPkcs1Sha512) => {
                (&rs::RSA_PKCS1_2048_8192_SHA512, der)
            }
            (PublicKey::Rsa { der, .. }, A::RsaPssSha256) => (&rs::RSA_PSS_2048_8192_SHA256, der),
            (PublicKey::Rsa { der, .. }, A::RsaPssSha384) => (&rs::RSA_PSS_2048_8192_SHA384, der),
            (PublicKey::Rsa { der, .. }, A::RsaPssSha512) => (&rs::RSA_PSS_2048_8192_SHA512, der),
            (PublicKey::P256(k), A::EcdsaSha256) => (&rs::ECDSA_P256_SHA256_ASN1, k),
            (PublicKey::P256(k), A::EcdsaSha384) => (&rs::ECDSA_P256_SHA384_ASN1, k),
            (PublicKey::P384(k), A::EcdsaSha256) => (&rs::ECDSA_P384_SHA256_ASN1, k),
            (PublicKey::P384(k), A::EcdsaSha384) => (&rs::ECDSA_P384_SHA384_ASN1, k),
            (PublicKey::Ed25519(k), A::Ed25519) => (&rs::ED25519, k),
            (key, alg) => {
                return Err(X509Error::KeyAlgorithmMismatch {
                    key: key.to_string(),
                    algorithm: alg.to_string(),
                });
            }
        };
        rs::UnparsedPublicKey::new(params, key)
            .verify(message, signature)
            .map_err(|_| X509Error::BadSignature)
    }
}

/// Bits of the modulus of a DER RSAPublicKey, ignoring leading zero octets.
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    use x509_parser::der_parser::der::parse_der_sequence;
    let (rest, seq) = parse_der_sequence(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let items = seq.as_sequence().ok()?;
    if items.len() != 2 {
        return None;
    }
    let modulus = items[0].as_slice().ok()?;
    let first = modulus.iter().position(|&b| b != 0)?;
    let m = &modulus[first..];
    Some(m.len() * 8 - m[0].leading_zeros() as usize)
}

/// Verifies `signature` over `message` under the key in `spki_der` (a DER
/// SubjectPublicKeyInfo), after checking both the key and `algorithm`
/// against the allow-list. Used for certificate links and, by
/// [`crate::sig`], for raw and CMS signatures.
pub fn verify_signed_data(
    spki_der: &[u8],
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), X509Error> {
    PublicKey::from_spki_der(spki_der)?.verify(algorithm, message, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cms_pairs() {
        assert_eq!(
            SignatureAlgorithm::from_cms(OID_RSA_ENCRYPTION, Some(DER_NULL), OID_SHA256),
            Ok(SignatureAlgorithm::RsaPkcs1Sha256)
        );
        assert!(SignatureAlgorithm::from_cms(OID_RSA_ENCRYPTION, None, "1.3.14.3.2.26").is_err());
        assert!(SignatureAlgorithm::from_cms("1.2.840.10045.4.3.2", None, OID_SHA384).is_err());
    }

    #[test]
    fn allow_list() {
        assert_eq!(
            SignatureAlgorithm::from_oid_and_params("1.2.840.113549.1.1.11", Some(DER_NULL)),
            Ok(SignatureAlgorithm::RsaPkcs1Sha256)
        );
        assert!(SignatureAlgorithm::from_oid_and_params("1.2.840.113549.1.1.5", None).is_err());
        assert!(SignatureAlgorithm::from_oid_and_params("1.2.840.113549.1.1.4", None).is_err());
        assert!(
            SignatureAlgorithm::from_oid_and_params("1.2.840.10045.4.3.2", Some(DER_NULL)).is_err()
        );
        assert_eq!(
            SignatureAlgorithm::from_oid_and_params("1.3.101.112", None),
            Ok(SignatureAlgorithm::Ed25519)
        );
    }
}

//! Signature AlgorithmIdentifiers (RFC 5280 §4.1.1.2) read against the one
//! allow-list, [`SignatureScheme`], and X.509 signature verification
//! through the one key type, [`PublicKey`].
//!
//! Allowed: RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-256/384/512, ECDSA with
//! SHA-256/384, Ed25519; keys as [`PublicKey`] accepts them (RSA of 2048 to
//! 8192 bits in whole octets, P-256/P-384 named curves, Ed25519).
//! Everything else (MD5, SHA-1, SHA-224, DSA, explicit curve parameters,
//! other curves, short RSA keys) is refused with a reason.
//!
//! An identifier names the padding and the hash but, for ECDSA, not the
//! curve (RFC 5758 §3.2): that comes from the signer's key. So an
//! identifier maps to the schemes it can denote, and the key picks one.

use std::fmt;

use x509_parser::asn1_rs::{Any, FromDer};
use x509_parser::prelude::AlgorithmIdentifier;
use x509_parser::signature_algorithm::RsaSsaPssParams;

use super::error::X509Error;
use crate::keys::{KeyAlgorithm, KeyError, PublicKey, SignatureScheme};

use SignatureScheme as S;

/// A signature AlgorithmIdentifier on the allow-list: its name and the
/// [`SignatureScheme`]s it can denote (one, or for ECDSA one per curve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureAlgorithm {
    name: &'static str,
    schemes: &'static [SignatureScheme],
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
const OID_SHA512: &str = "2.16.840.1.101.3.4.2.3";
const OID_MGF1: &str = "1.2.840.113549.1.1.8";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_ED25519: &str = "1.3.101.112";
/// DER of ASN.1 NULL.
const DER_NULL: &[u8] = &[0x05, 0x00];

fn disallowed(why: impl Into<String>) -> X509Error {
    X509Error::DisallowedAlgorithm(why.into())
}

impl SignatureAlgorithm {
    /// sha256WithRSAEncryption (RFC 4055 §5).
    pub const RSA_PKCS1_SHA256: Self = Self::one("RSA PKCS#1 v1.5 SHA-256", &[S::RsaPkcs1Sha256]);
    /// sha384WithRSAEncryption.
    pub const RSA_PKCS1_SHA384: Self = Self::one("RSA PKCS#1 v1.5 SHA-384", &[S::RsaPkcs1Sha384]);
    /// sha512WithRSAEncryption.
    pub const RSA_PKCS1_SHA512: Self = Self::one("RSA PKCS#1 v1.5 SHA-512", &[S::RsaPkcs1Sha512]);
    /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 §3.1).
    pub const RSA_PSS_SHA256: Self = Self::one("RSA-PSS SHA-256", &[S::RsaPssSha256]);
    /// RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48.
    pub const RSA_PSS_SHA384: Self = Self::one("RSA-PSS SHA-384", &[S::RsaPssSha384]);
    /// RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64.
    pub const RSA_PSS_SHA512: Self = Self::one("RSA-PSS SHA-512", &[S::RsaPssSha512]);
    /// ecdsa-with-SHA256 (RFC 5758 §3.2), on either allowed curve.
    pub const ECDSA_SHA256: Self =
        Self::one("ECDSA SHA-256", &[S::EcdsaP256Sha256, S::EcdsaP384Sha256]);
    /// ecdsa-with-SHA384, on either allowed curve.
    pub const ECDSA_SHA384: Self =
        Self::one("ECDSA SHA-384", &[S::EcdsaP256Sha384, S::EcdsaP384Sha384]);
    /// Ed25519 (RFC 8410 §3).
    pub const ED25519: Self = Self::one("Ed25519", &[S::Ed25519]);

    const fn one(name: &'static str, schemes: &'static [SignatureScheme]) -> Self {
        Self { name, schemes }
    }

    /// The schemes this identifier can denote.
    pub fn schemes(&self) -> &'static [SignatureScheme] {
        self.schemes
    }

    /// The one scheme this identifier denotes when made by a key of type
    /// `key` (ECDSA: the key's curve), or why the key cannot make it.
    pub fn scheme_for(&self, key: KeyAlgorithm) -> Result<SignatureScheme, X509Error> {
        self.schemes
            .iter()
            .copied()
            .find(|s| s.applies_to(key))
            .ok_or_else(|| X509Error::KeyAlgorithmMismatch {
                key: key.to_string(),
                algorithm: self.name.to_string(),
            })
    }

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
            "1.2.840.113549.1.1.11" => pick(null_or_absent, Self::RSA_PKCS1_SHA256),
            "1.2.840.113549.1.1.12" => pick(null_or_absent, Self::RSA_PKCS1_SHA384),
            "1.2.840.113549.1.1.13" => pick(null_or_absent, Self::RSA_PKCS1_SHA512),
            "1.2.840.10045.4.3.2" => pick(absent, Self::ECDSA_SHA256),
            "1.2.840.10045.4.3.3" => pick(absent, Self::ECDSA_SHA384),
            OID_ED25519 => pick(absent, Self::ED25519),
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
            OID_SHA256 => (Self::RSA_PSS_SHA256, 32),
            OID_SHA384 => (Self::RSA_PSS_SHA384, 48),
            OID_SHA512 => (Self::RSA_PSS_SHA512, 64),
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

impl From<KeyError> for X509Error {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Malformed { what, why } => X509Error::Malformed { what, why },
            KeyError::SchemeMismatch { scheme, key } => X509Error::KeyAlgorithmMismatch {
                key: key.to_string(),
                algorithm: scheme.to_string(),
            },
            KeyError::BadSignature { .. } => X509Error::BadSignature,
            other => X509Error::DisallowedKey(other.to_string()),
        }
    }
}

/// Verifies an X.509 signature (certificate link, CRL): `algorithm` as
/// made by `key`, ECDSA in DER only (RFC 5280 §4.1.1.3).
pub fn verify_with_key(
    key: &PublicKey,
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), X509Error> {
    let scheme = algorithm.scheme_for(key.algorithm())?;
    Ok(key.verify_der_with(scheme, message, signature)?)
}

/// Verifies `signature` over `message` under the key in `spki_der` (a DER
/// SubjectPublicKeyInfo), after checking both the key and `algorithm`
/// against the allow-list.
pub fn verify_signed_data(
    spki_der: &[u8],
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), X509Error> {
    verify_with_key(
        &PublicKey::from_spki_der(spki_der)?,
        algorithm,
        message,
        signature,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list() {
        assert_eq!(
            SignatureAlgorithm::from_oid_and_params("1.2.840.113549.1.1.11", Some(DER_NULL)),
            Ok(SignatureAlgorithm::RSA_PKCS1_SHA256)
        );
        assert!(SignatureAlgorithm::from_oid_and_params("1.2.840.113549.1.1.5", None).is_err());
        assert!(SignatureAlgorithm::from_oid_and_params("1.2.840.113549.1.1.4", None).is_err());
        assert!(
            SignatureAlgorithm::from_oid_and_params("1.2.840.10045.4.3.2", Some(DER_NULL)).is_err()
        );
        assert_eq!(
            SignatureAlgorithm::from_oid_and_params("1.3.101.112", None),
            Ok(SignatureAlgorithm::ED25519)
        );
    }

    #[test]
    fn ecdsa_curve_comes_from_the_key() {
        let a = SignatureAlgorithm::ECDSA_SHA256;
        assert_eq!(
            a.scheme_for(KeyAlgorithm::EcdsaP384),
            Ok(SignatureScheme::EcdsaP384Sha256)
        );
        assert_eq!(
            a.scheme_for(KeyAlgorithm::EcdsaP256),
            Ok(SignatureScheme::EcdsaP256Sha256)
        );
        assert!(matches!(
            a.scheme_for(KeyAlgorithm::Ed25519),
            Err(X509Error::KeyAlgorithmMismatch { .. })
        ));
    }
}

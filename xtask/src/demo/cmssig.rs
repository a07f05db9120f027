//! Detached CMS SignedData (RFC 5652) with an RFC 3161 timestamp token in
//! the unsigned attributes, built in Rust so that every byte is fixed: the
//! `openssl cms` and `openssl ts` CLIs stamp the current time, so their
//! output would change on every run.

use std::time::Duration;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode, Sequence};
use ring::digest::{SHA256, digest};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::{Result, err};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_AA_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// The TSA's policy: under enterprise number 32473, reserved for
/// documentation (RFC 5612).
const TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1");

/// A certificate and its RSA key, able to make CMS signer infos.
pub struct Signer {
    cert: Certificate,
    cert_der: Vec<u8>,
    key: RsaKeyPair,
    /// Further certificates to put in the bag (e.g. the intermediate).
    extra: Vec<Certificate>,
}

impl Signer {
    /// A signer from certificate DER, PKCS#8 RSA key DER and extra certificates.
    pub fn new(cert_der: &[u8], key_pkcs8: &[u8], extra: &[&[u8]]) -> Result<Self> {
        let cert = Certificate::from_der(cert_der)?;
        let key = RsaKeyPair::from_pkcs8(key_pkcs8).map_err(|e| err(format!("RSA key: {e}")))?;
        let extra = extra
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<der::Result<Vec<_>>>()?;
        Ok(Signer {
            cert,
            cert_der: cert_der.to_vec(),
            key,
            extra,
        })
    }

    /// Signs DER `SignedAttributes` (RFC 5652 §5.4: the signature covers the
    /// explicit SET OF encoding) and returns the signer info without unsigned
    /// attributes, plus the signature value.
    fn signer_info(&self, attrs: Vec<Attribute>) -> Result<(SignerInfo, Vec<u8>)> {
        let signed_attrs = SetOfVec::try_from(attrs)?;
        let to_sign = signed_attrs.to_der()?;
        let mut sig = vec![0; self.key.public().modulus_len()];
        // RSASSA-PKCS1-v1_5 is deterministic, so reruns give the same bytes.
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &to_sign, &mut sig)
            .map_err(|_| err("RSA signing failed"))?;
        let info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.cert.tbs_certificate.issuer.clone(),
                serial_number: self.cert.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256_alg(),
            signed_attrs: Some(signed_attrs),
            // RFC 3370 §3.2: rsaEncryption with NULL parameters.
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(Any::null()),
            },
            signature: OctetString::new(sig.clone())?,
            unsigned_attrs: None,
        };
        Ok((info, sig))
    }

    fn certificates(&self) -> Result<CertificateSet> {
        let mut all = vec![CertificateChoices::Certificate(self.cert.clone())];
        all.extend(
            self.extra
                .iter()
                .cloned()
                .map(CertificateChoices::Certificate),
        );
        Ok(CertificateSet(SetOfVec::try_from(all)?))
    }
}

fn sha256_alg() -> AlgorithmIdentifierOwned {
    // RFC 5754 §2: parameters absent.
    AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    }
}

fn attr(oid: ObjectIdentifier, value: &(impl der::EncodeValue + der::Tagged)) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![Any::encode_from(value)?])?,
    })
}

fn content_info(signed: &SignedData) -> Result<Vec<u8>> {
    Ok(ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(signed)?,
    }
    .to_der()?)
}

/// RFC 3161 §2.4.2 MessageImprint.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// RFC 3161 §2.4.2 Accuracy, seconds only.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct Accuracy {
    seconds: u32,
}

/// RFC 3161 §2.4.2 TSTInfo (ordering DEFAULT FALSE, nonce, tsa and
/// extensions omitted).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TstInfo {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: SerialNumber,
    gen_time: GeneralizedTime,
    accuracy: Accuracy,
}

/// RFC 5035 §3 ESSCertIDv2 with hashAlgorithm DEFAULT sha256 (so omitted)
/// and no issuerSerial.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// RFC 5035 §3 SigningCertificateV2 without policies.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// An RFC 3161 TimeStampToken (a ContentInfo holding SignedData over a
/// TSTInfo) for `imprint` (a SHA-256 digest) at `gen_time` (unix seconds).
pub fn timestamp_token(tsa: &Signer, imprint: &[u8], gen_time: i64) -> Result<Vec<u8>> {
    let mut serial = digest(&SHA256, imprint).as_ref()[..8].to_vec();
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let tst = TstInfo {
        version: 1,
        policy: TSA_POLICY,
        message_imprint: MessageImprint {
            hash_algorithm: sha256_alg(),
            hashed_message: OctetString::new(imprint)?,
        },
        serial_number: SerialNumber::new(&serial)?,
        gen_time: GeneralizedTime::from_unix_duration(unix(gen_time)?)?,
        accuracy: Accuracy { seconds: 1 },
    }
    .to_der()?;
    // RFC 3161 §2.4.1: the token's signer info carries the ESS
    // signing-certificate attribute (RFC 5816 allows the v2 form).
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(digest(&SHA256, &tsa.cert_der).as_ref())?,
        }],
    };
    let (info, _) = tsa.signer_info(vec![
        attr(ID_CONTENT_TYPE, &ID_CT_TST_INFO)?,
        attr(
            ID_MESSAGE_DIGEST,
            &OctetString::new(digest(&SHA256, &tst).as_ref())?,
        )?,
        attr(ID_AA_SIGNING_CERTIFICATE_V2, &ess)?,
    ])?;
    let signed = SignedData {
        // RFC 5652 §5.1: eContentType other than id-data → version 3.
        version: CmsVersion::V3,
        digest_algorithms: SetOfVec::try_from(vec![sha256_alg()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(Any::encode_from(&OctetString::new(tst)?)?),
        },
        certificates: Some(tsa.certificates()?),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![info])?),
    };
    content_info(&signed)
}

fn unix(t: i64) -> Result<Duration> {
    u64::try_from(t)
        .map(Duration::from_secs)
        .map_err(|_| err("time before 1970"))
}

/// A detached CMS signature (DER ContentInfo) of `content` by `signer` at
/// `signing_time`, with a timestamp token from `tsa` at `stamp_time` over
/// the signature value (RFC 3161 Appendix A) as unsigned attribute
/// id-aa-timeStampToken.
pub fn sign_detached(
    signer: &Signer,
    tsa: &Signer,
    content: &[u8],
    signing_time: i64,
    stamp_time: i64,
) -> Result<Vec<u8>> {
    let (mut info, sig) = signer.signer_info(vec![
        attr(ID_CONTENT_TYPE, &ID_DATA)?,
        // RFC 5652 §11.3: UTCTime for dates before 2050.
        attr(
            ID_SIGNING_TIME,
            &UtcTime::from_unix_duration(unix(signing_time)?)?,
        )?,
        attr(
            ID_MESSAGE_DIGEST,
            &OctetString::new(digest(&SHA256, content).as_ref())?,
        )?,
    ])?;
    let token = timestamp_token(tsa, digest(&SHA256, &sig).as_ref(), stamp_time)?;
    info.unsigned_attrs = Some(SetOfVec::try_from(vec![Attribute {
        oid: ID_AA_TIME_STAMP_TOKEN,
        values: SetOfVec::try_from(vec![Any::from_der(&token)?])?,
    }])?);
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_alg()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(signer.certificates()?),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![info])?),
    };
    content_info(&signed)
}

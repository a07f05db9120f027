//! Taking a DER CMS/PKCS #7 SignedData apart and putting it back, so tests
//! can add what a signing tool adds after signing (a timestamp token, a
//! countersignature) or change one field.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};

/// The SignedData of a DER ContentInfo.
pub fn signed_data(der: &[u8]) -> SignedData {
    ContentInfo::from_der(der)
        .unwrap()
        .content
        .decode_as()
        .unwrap()
}

/// `sd` as a DER ContentInfo.
pub fn encode(sd: &SignedData) -> Vec<u8> {
    ContentInfo {
        content_type: const_oid("1.2.840.113549.1.7.2"),
        content: der::Any::encode_from(sd).unwrap(),
    }
    .to_der()
    .unwrap()
}

pub fn const_oid(s: &str) -> der::asn1::ObjectIdentifier {
    der::asn1::ObjectIdentifier::new_unwrap(s)
}

/// Sets signer #0's unsigned attributes to one attribute `oid` holding the
/// DER value `value` (what a signing tool does after asking a TSA).
pub fn set_unsigned_attribute(p7s: &[u8], oid: &str, value: &[u8]) -> Vec<u8> {
    let mut sd = signed_data(p7s);
    let mut infos = sd.signer_infos.0.into_vec();
    let attr = x509_cert::attr::Attribute {
        oid: const_oid(oid),
        values: der::asn1::SetOfVec::try_from(vec![der::Any::from_der(value).unwrap()]).unwrap(),
    };
    infos[0].unsigned_attrs = Some(der::asn1::SetOfVec::try_from(vec![attr]).unwrap());
    sd.signer_infos = cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(infos).unwrap());
    encode(&sd)
}

/// Signer #0's signature value.
pub fn signature_value(p7s: &[u8]) -> Vec<u8> {
    signed_data(p7s)
        .signer_infos
        .0
        .get(0)
        .unwrap()
        .signature
        .as_bytes()
        .to_vec()
}

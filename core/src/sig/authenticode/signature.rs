//! One Authenticode SignedData (Authenticode PE, "Authenticode Signature
//! Format"): the SpcIndirectDataContent it signs, its one SignerInfo, its
//! timestamp, and the signatures nested in it. The CMS checks themselves
//! (signed attributes, signer certificate, algorithm policy, signature
//! value, chain) are [`crate::sig::cms`]'s; this module adds what is
//! Authenticode's own.

use std::collections::BTreeSet;

use ::cms::signed_data::{SignedData, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Encode, Tag, TagNumber, Tagged};
use time::OffsetDateTime;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::pe::PeImage;
use super::{PeSignature, TimestampKind};
use crate::digest::Sha256Digest;
use crate::policy::{TrustPolicy, ValidationTime};
use crate::sig::cms::{self, CmsError, ContentDigests, DigestAlgorithm, SignerReport};
use crate::sig::tsp::{self, TimestampReport};
use crate::x509::Purpose;

/// SPC_INDIRECT_DATA_OBJID: the eContentType of every Authenticode signature.
pub(super) const OID_SPC_INDIRECT_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.4");
/// SPC_PE_IMAGE_DATAOBJ: the indirect data is a PE image's digest.
pub(super) const OID_SPC_PE_IMAGE_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.15");
/// SPC_INDIVIDUAL_SP_KEY_PURPOSE_OBJID, used as the data type by some signers.
const OID_SPC_INDIVIDUAL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.21");
/// SPC_SP_OPUS_INFO_OBJID: program name and URL (signed attribute).
const OID_SPC_SP_OPUS_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.12");
/// szOID_NESTED_SIGNATURE: further SignedData in an unsigned attribute.
pub(super) const OID_NESTED_SIGNATURE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.4.1");
/// szOID_RFC3161_counterSign: an RFC 3161 TimeStampToken.
const OID_MS_RFC3161: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.3.3.1");
/// PKCS #9 countersignature: the legacy Authenticode timestamp.
const OID_COUNTERSIGNATURE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.6");
/// id-data: the contentType a legacy countersignature signs.
const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");

/// Most nested signatures looked at under one signature.
pub const MAX_NESTED: usize = 8;

/// Authenticode PE "SpcIndirectDataContent".
#[derive(der::Sequence)]
pub(super) struct SpcIndirectDataContent {
    pub data: SpcAttributeTypeAndOptionalValue,
    pub message_digest: DigestInfo,
}

#[derive(der::Sequence)]
pub(super) struct SpcAttributeTypeAndOptionalValue {
    pub kind: ObjectIdentifier,
    pub value: Option<Any>,
}

/// PKCS #1 DigestInfo.
#[derive(der::Sequence)]
pub(super) struct DigestInfo {
    pub digest_algorithm: AlgorithmIdentifierOwned,
    pub digest: OctetString,
}

/// Authenticode PE "SpcSpOpusInfo": both fields are CHOICEs, kept raw.
#[derive(der::Sequence)]
struct SpcSpOpusInfo {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    program_name: Option<Any>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    more_info: Option<Any>,
}

/// A check that failed: its stable name and the reason.
pub(super) type Fail = (&'static str, String);

pub(super) fn cms_fail(e: CmsError) -> Fail {
    (e.check(), e.to_string())
}

/// Digests of the image, computed once per algorithm.
pub(super) struct ImageDigests<'a> {
    pub image: &'a PeImage<'a>,
    cache: Vec<(DigestAlgorithm, Vec<u8>)>,
}

impl<'a> ImageDigests<'a> {
    pub fn new(image: &'a PeImage<'a>) -> Self {
        Self {
            image,
            cache: Vec::new(),
        }
    }

    pub fn get(&mut self, alg: DigestAlgorithm) -> &[u8] {
        let i = match self.cache.iter().position(|(a, _)| *a == alg) {
            Some(i) => i,
            None => {
                self.cache.push((alg, self.image.digest(alg)));
                self.cache.len() - 1
            }
        };
        &self.cache[i].1
    }
}

/// Verifies the SignedData `der` (signature `id`) and, when `nested` is
/// allowed, the signatures nested in it; pushes one [`PeSignature`] each.
pub(super) fn verify_signature(
    der: &[u8],
    digests: &mut ImageDigests<'_>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
    id: String,
    allow_nested: bool,
    out: &mut Vec<PeSignature>,
) {
    let mut sig = PeSignature::new(id.clone());
    let mut nested = Vec::new();
    match check(
        der,
        digests,
        policy,
        now,
        &mut sig,
        allow_nested.then_some(&mut nested),
    ) {
        Ok(report) => {
            sig.verified = true;
            sig.signer = Some(report);
        }
        Err((check, reason)) => sig.set_failure(check, reason),
    }
    out.push(sig);
    for (i, d) in nested.iter().enumerate() {
        verify_signature(
            d,
            digests,
            policy,
            now,
            format!("{id}.{}", i + 1),
            false,
            out,
        );
    }
}

/// The checks of one signature, in order; `nested` collects the DER of
/// nested signatures (found first, so a primary refused for SHA-1 still
/// yields its SHA-256 sibling).
fn check(
    der: &[u8],
    digests: &mut ImageDigests<'_>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
    sig: &mut PeSignature,
    nested: Option<&mut Vec<Vec<u8>>>,
) -> Result<SignerReport, Fail> {
    let sd = cms::signed_data_from_der(der).map_err(cms_fail)?;
    // Authenticode PE "SignerInfos": exactly one SignerInfo.
    let [si] = sd.signer_infos.0.as_slice() else {
        return Err((
            "parse",
            format!(
                "{} SignerInfos; an Authenticode signature has exactly one",
                sd.signer_infos.0.len()
            ),
        ));
    };
    let unsigned = unsigned_attributes(si);
    let nested_values = nested_values(&unsigned);
    match nested {
        Some(out) if !nested_values.is_empty() => {
            if nested_values.len() > MAX_NESTED {
                return Err((
                    "nested",
                    format!(
                        "{} nested signatures; glassbox looks at most at {MAX_NESTED}",
                        nested_values.len()
                    ),
                ));
            }
            for v in nested_values {
                out.push(
                    v.to_der()
                        .map_err(|e| ("parse", format!("nested signature: {e}")))?,
                );
            }
        }
        None if !nested_values.is_empty() => {
            return Err((
                "nested",
                "a signature nested in a nested signature: Windows does not look there, so glassbox does not either".into(),
            ));
        }
        _ => {}
    }
    cms::check_structure(&sd).map_err(cms_fail)?;

    let (alg, signed, econtent) = indirect_digest(&sd)?;
    let actual = digests.get(alg).to_vec();
    let signed = signed.as_slice();
    sig.digest_algorithm = Some(alg);
    sig.image_digest = Some(hex::encode(&actual));
    sig.signed_digest = Some(hex::encode(signed));
    if signed != actual.as_slice() {
        return Err((
            "image-digest",
            format!(
                "the signature signs the Authenticode {} digest {}, the file's is {}: the file changed after it was signed",
                alg.name(),
                hex::encode(signed),
                hex::encode(&actual)
            ),
        ));
    }

    // PKCS #7 v1.5 §9.3: messageDigest covers the content octets of the
    // SpcIndirectDataContent, without its tag and length.
    check_signer(
        &sd,
        si,
        &OID_SPC_INDIRECT_DATA,
        econtent.value(),
        policy,
        now,
        sig,
    )
}

/// The checks of a signature's one SignerInfo once its content is
/// understood, shared by PE signatures and catalogs: messageDigest over
/// `content` (the octets the signature covers), contentType
/// `content_type`, SpcSpOpusInfo, the CMS signer checks, at most one
/// timestamp (RFC 3161 or legacy countersignature; nested signatures are
/// the caller's), and the chain with code signing or a policy EKU.
pub(super) fn check_signer(
    sd: &SignedData,
    si: &SignerInfo,
    content_type: &ObjectIdentifier,
    content: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
    sig: &mut PeSignature,
) -> Result<SignerReport, Fail> {
    let unsigned = unsigned_attributes(si);
    let si_alg = DigestAlgorithm::from_alg(&si.digest_alg).map_err(cms_fail)?;
    let content_digests = ContentDigests::of(content, &BTreeSet::from([si_alg]));
    if let Some(opus) = si
        .signed_attrs
        .iter()
        .flat_map(|a| a.iter())
        .find(|a| a.oid == OID_SPC_SP_OPUS_INFO)
    {
        let (name, url) = opus_info(opus)?;
        sig.program_name = name;
        sig.program_url = url;
    }
    let checked =
        cms::check_signer(sd, si, content_type, &content_digests, policy).map_err(cms_fail)?;

    // Timestamps: at most one, of either kind (two would be two answers
    // to "when was this signed").
    let stamps = timestamp_values(&unsigned)?;
    let timestamp = match stamps.as_slice() {
        [] => None,
        [(kind, v)] => {
            let v = *v;
            sig.timestamp_kind = Some(*kind);
            Some(match kind {
                TimestampKind::Rfc3161 => {
                    let token = v
                        .to_der()
                        .map_err(|e| ("timestamp", format!("re-encoding token: {e}")))?;
                    tsp::verify_token(&token, si.signature.as_bytes(), policy, now)
                        .map_err(|e| ("timestamp", e.to_string()))?
                }
                TimestampKind::Countersignature => verify_countersignature(sd, si, v, policy, now)?,
            })
        }
        more => {
            return Err((
                "timestamp",
                format!("{} timestamps; glassbox accepts at most one", more.len()),
            ));
        }
    };
    cms::finish_signer(
        sd,
        checked,
        timestamp,
        policy,
        now,
        &policy.authenticode.ekus,
    )
    .map_err(cms_fail)
}

/// The SignerInfo's unsigned attributes.
pub(super) fn unsigned_attributes(si: &SignerInfo) -> Vec<&x509_cert::attr::Attribute> {
    si.unsigned_attrs.iter().flat_map(|a| a.iter()).collect()
}

/// The values of the nested-signature attributes (each a ContentInfo).
pub(super) fn nested_values<'a>(unsigned: &[&'a x509_cert::attr::Attribute]) -> Vec<&'a Any> {
    unsigned
        .iter()
        .filter(|a| a.oid == OID_NESTED_SIGNATURE)
        .flat_map(|a| a.values.iter())
        .collect()
}

/// The image digest a signature signs: its algorithm, the digest, and the
/// SpcIndirectDataContent (whose content octets messageDigest covers).
pub(super) fn indirect_digest(sd: &SignedData) -> Result<(DigestAlgorithm, Vec<u8>, &Any), Fail> {
    // The signed content: SpcIndirectDataContent over a PE image digest.
    if sd.encap_content_info.econtent_type != OID_SPC_INDIRECT_DATA {
        return Err((
            "supported",
            format!(
                "content type {} is not SpcIndirectDataContent (1.3.6.1.4.1.311.2.1.4)",
                sd.encap_content_info.econtent_type
            ),
        ));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| ("parse", "no SpcIndirectDataContent".to_string()))?;
    if econtent.tag() != Tag::Sequence {
        return Err(("parse", "SpcIndirectDataContent is not a SEQUENCE".into()));
    }
    let indirect: SpcIndirectDataContent = econtent
        .decode_as()
        .map_err(|e| ("parse", format!("SpcIndirectDataContent: {e}")))?;
    // Debian's Secure Boot signer (and other sbsign-era tools) label the
    // PE image data with SPC_INDIVIDUAL_SP_KEY_PURPOSE_OBJID instead;
    // osslsigncode and shim accept it, and what is compared below — the
    // image digest — is the same. Any other type is another file format.
    if indirect.data.kind != OID_SPC_PE_IMAGE_DATA && indirect.data.kind != OID_SPC_INDIVIDUAL {
        return Err((
            "supported",
            format!(
                "indirect data type {} is not a PE image (SPC_PE_IMAGE_DATAOBJ)",
                indirect.data.kind
            ),
        ));
    }
    let alg =
        DigestAlgorithm::from_alg(&indirect.message_digest.digest_algorithm).map_err(cms_fail)?;
    Ok((
        alg,
        indirect.message_digest.digest.as_bytes().to_vec(),
        econtent,
    ))
}

/// The timestamps among the unsigned attributes, with their kind; any
/// attribute that is neither a timestamp nor a nested signature fails.
pub(super) fn timestamp_values<'a>(
    unsigned: &[&'a x509_cert::attr::Attribute],
) -> Result<Vec<(TimestampKind, &'a Any)>, Fail> {
    let mut stamps = Vec::new();
    for a in unsigned {
        match a.oid {
            OID_NESTED_SIGNATURE => {}
            OID_MS_RFC3161 => stamps.extend(a.values.iter().map(|v| (TimestampKind::Rfc3161, v))),
            OID_COUNTERSIGNATURE => stamps.extend(
                a.values
                    .iter()
                    .map(|v| (TimestampKind::Countersignature, v)),
            ),
            o => {
                return Err((
                    "unsigned-attributes",
                    format!(
                        "unsigned attribute {o} is not one glassbox understands (timestamp or nested signature)"
                    ),
                ));
            }
        }
    }
    Ok(stamps)
}

/// The legacy Authenticode timestamp: a PKCS #9 countersignature
/// (RFC 5652 §11.4) whose messageDigest is the hash of the signer's
/// signature value and whose signingTime is the time the TSA vouches for.
/// Its certificate must chain to the policy's TSA roots with the
/// timeStamping EKU.
fn verify_countersignature(
    sd: &SignedData,
    si: &SignerInfo,
    value: &Any,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<TimestampReport, Fail> {
    let ts = |e: String| ("timestamp", format!("countersignature: {e}"));
    let csi: SignerInfo = value.decode_as().map_err(|e| ts(e.to_string()))?;
    let alg = DigestAlgorithm::from_alg(&csi.digest_alg).map_err(|e| ts(e.to_string()))?;
    let digests = ContentDigests::of(si.signature.as_bytes(), &BTreeSet::from([alg]));
    // Authenticode countersignatures carry contentType id-data.
    let checked =
        cms::check_signer(sd, &csi, &OID_DATA, &digests, policy).map_err(|e| ts(e.to_string()))?;
    let gen_time = checked
        .signing_time
        .ok_or_else(|| ts("no signingTime: it states no time".into()))?;
    if gen_time > now + tsp::MAX_FUTURE_SKEW {
        return Err(ts(format!(
            "signingTime {} is in the future",
            crate::sig::fmt_time(gen_time)
        )));
    }
    let validated_at = match policy.validation_time {
        ValidationTime::Now => now,
        ValidationTime::Fixed(t) => t,
        ValidationTime::SigningTime => gen_time,
    };
    let chain = cms::validate_signer_chain(
        sd,
        &checked.cert_der,
        policy,
        validated_at,
        Purpose::TimeStamping,
        &[],
    )
    .map_err(|e| ts(format!("TSA certificate chain: {e}")))?;
    Ok(TimestampReport {
        gen_time,
        policy: String::new(),
        serial: String::new(),
        tsa_subject: checked.cert.tbs_certificate.subject.to_string(),
        tsa_certificate_sha256: Sha256Digest::of(&checked.cert_der),
        algorithm: checked.algorithm,
        imprint_algorithm: alg,
        chain,
        validated_at,
    })
}

/// SpcSpOpusInfo's program name and URL. Malformed info fails the
/// signature: it is signed, and an auditor reads it.
fn opus_info(a: &x509_cert::attr::Attribute) -> Result<(Option<String>, Option<String>), Fail> {
    let bad = |e: String| ("signed-attributes", format!("SpcSpOpusInfo: {e}"));
    let [v] = a.values.as_slice() else {
        return Err(bad("must have exactly one value".into()));
    };
    let info: SpcSpOpusInfo = v.decode_as().map_err(|e| bad(e.to_string()))?;
    let name = info
        .program_name
        .as_ref()
        .map(|s| spc_string(s).ok_or_else(|| bad("programName is not an SpcString".into())))
        .transpose()?;
    // SpcLink: url [0] IMPLICIT IA5String, moniker [1], file [2] SpcString.
    let url = match &info.more_info {
        None => None,
        Some(l) => match l.tag() {
            Tag::ContextSpecific {
                number,
                constructed: false,
            } if number == TagNumber::N0 => Some(
                String::from_utf8(l.value().to_vec())
                    .ok()
                    .filter(|s| s.is_ascii())
                    .ok_or_else(|| bad("moreInfo url is not IA5".into()))?,
            ),
            Tag::ContextSpecific { number, .. } if number == TagNumber::N2 => {
                let inner = Any::from_der(l.value()).map_err(|e| bad(e.to_string()))?;
                Some(
                    spc_string(&inner)
                        .ok_or_else(|| bad("moreInfo file is not an SpcString".into()))?,
                )
            }
            _ => None,
        },
    };
    Ok((name, url))
}

use der::Decode as _;

/// SpcString ::= CHOICE { unicode [0] IMPLICIT BMPString, ascii [1]
/// IMPLICIT IA5String }.
fn spc_string(s: &Any) -> Option<String> {
    match s.tag() {
        Tag::ContextSpecific {
            number,
            constructed: false,
        } if number == TagNumber::N0 => crate::x509::bmp_string(s.value()),
        Tag::ContextSpecific {
            number,
            constructed: false,
        } if number == TagNumber::N1 => String::from_utf8(s.value().to_vec())
            .ok()
            .filter(|s| s.is_ascii()),
        _ => None,
    }
}

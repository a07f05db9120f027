//! Windows catalog files (`.cat`): a signed list of member hashes. A
//! catalog is a CMS/PKCS #7 SignedData whose content is a Certificate
//! Trust List (szOID_CTL, 1.3.6.1.4.1.311.10.1; [MS-CAESO] §4.4.5.1):
//!
//! ```text
//! CertificateTrustList ::= SEQUENCE {
//!   version          CTLVersion DEFAULT v1,
//!   subjectUsage     SEQUENCE OF OBJECT IDENTIFIER,  -- szOID_CATALOG_LIST
//!   listIdentifier   OCTET STRING OPTIONAL,
//!   sequenceNumber   INTEGER OPTIONAL,
//!   ctlThisUpdate    Time,
//!   ctlNextUpdate    Time OPTIONAL,
//!   subjectAlgorithm AlgorithmIdentifier,  -- CATALOG_LIST_MEMBER(2)
//!   trustedSubjects  SEQUENCE OF TrustedSubject OPTIONAL,
//!   ctlExtensions    [0] EXPLICIT Extensions OPTIONAL }
//! TrustedSubject ::= SEQUENCE {
//!   subjectIdentifier OCTET STRING,      -- the member tag
//!   subjectAttributes SET OF Attribute OPTIONAL }
//! ```
//!
//! Each member's SPC_INDIRECT_DATA attribute (1.3.6.1.4.1.311.2.1.4) holds
//! an SpcIndirectDataContent: a PE image's Authenticode digest
//! (SPC_PE_IMAGE_DATAOBJ) or a flat file hash (SPC_CAB_DATA_OBJID,
//! 1.3.6.1.4.1.311.2.1.25), with its algorithm; CAT_NAMEVALUE
//! (1.3.6.1.4.1.311.12.2.1) `File` names it. Windows finds a member by
//! hash, not by name, so a catalog covers every file of the release whose
//! hash it lists; a member whose named file has another hash, or is
//! missing, fails (see [`super::release`]).
//!
//! The signature is verified as an Authenticode signature is (one
//! SignerInfo, the CMS checks, SpcSpOpusInfo, RFC 3161 or legacy
//! timestamp, code-signing EKU or `[authenticode] ekus`), over the CTL.
//! Fails closed: a CTL for another usage, an unknown member attribute or
//! hash type, a critical extension, SHA-1 or MD5 member hashes, a nested
//! signature (catalogs do not nest), a tag that names another hash.

use der::asn1::{Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tag, Tagged};
use serde::Serialize;
use time::OffsetDateTime;
use x509_cert::attr::Attribute;
use x509_cert::ext::Extension;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use super::signature::{
    Fail, OID_SPC_INDIRECT_DATA, OID_SPC_PE_IMAGE_DATA, SpcIndirectDataContent, check_signer,
    cms_fail, nested_values, unsigned_attributes,
};
use super::{PeFailure, PeSignature};
use crate::policy::TrustPolicy;
use crate::sig::cms::{self, DigestAlgorithm};

/// szOID_CTL: the eContentType of a catalog.
const OID_CTL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.10.1");
/// szOID_CATALOG_LIST: the subject usage of a catalog (other CTLs list
/// root certificates).
const OID_CATALOG_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.12.1.1");
/// szOID_CATALOG_LIST_MEMBER: catalog version 1.
const OID_CATALOG_LIST_MEMBER: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.12.1.2");
/// szOID_CATALOG_LIST_MEMBER2: catalog version 2.
const OID_CATALOG_LIST_MEMBER2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.12.1.3");
/// CAT_NAMEVALUE_OBJID: a name/value pair (`File`, `OSAttr`...).
const OID_CAT_NAMEVALUE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.12.2.1");
/// CAT_MEMBERINFO_OBJID: the subject interface package's GUID and version.
const OID_CAT_MEMBERINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.12.2.2");
/// CAT_MEMBERINFO2_OBJID: the same for version 2 catalogs.
const OID_CAT_MEMBERINFO2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.12.2.3");
/// SPC_CAB_DATA_OBJID: the indirect data of a flat-hashed member.
const OID_SPC_CAB_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.25");

#[derive(der::Sequence)]
struct CertificateTrustList {
    version: Option<Int>,
    subject_usage: Vec<ObjectIdentifier>,
    list_identifier: Option<OctetString>,
    sequence_number: Option<Int>,
    this_update: Time,
    next_update: Option<Time>,
    subject_algorithm: AlgorithmIdentifierOwned,
    trusted_subjects: Option<Vec<TrustedSubject>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

#[derive(der::Sequence)]
struct TrustedSubject {
    subject_identifier: OctetString,
    subject_attributes: Option<SetOfVec<Attribute>>,
}

/// CAT_NAMEVALUE: `tag` BMPString, `flags` INTEGER, `value` OCTET STRING
/// (UTF-16LE, NUL-terminated).
#[derive(der::Sequence)]
struct CatNameValue {
    tag: Any,
    flags: Int,
    value: OctetString,
}

/// How a member's hash is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberHash {
    /// The Authenticode digest of a PE image (SPC_PE_IMAGE_DATAOBJ).
    PeImage,
    /// The hash of the file's bytes (SPC_CAB_DATA_OBJID).
    Flat,
}

/// One member of a catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogMember {
    /// The member tag (subjectIdentifier; the hex of its hash when the
    /// catalog was made with `<HASH>`).
    pub tag: String,
    /// The `File` name, when the catalog gives one.
    pub file: Option<String>,
    /// How its hash is computed.
    pub hash: MemberHash,
    /// The hash algorithm.
    pub digest_algorithm: DigestAlgorithm,
    /// The hash, hex.
    pub digest: String,
}

/// The verdict on a catalog: its signature and its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogVerification {
    /// Catalog version (1 or 2, from the subject algorithm).
    pub version: Option<u8>,
    /// listIdentifier, hex.
    pub list_identifier: Option<String>,
    /// ctlThisUpdate.
    #[serde(with = "crate::sig::rfc3339_opt")]
    pub this_update: Option<OffsetDateTime>,
    /// Catalog-level name/value attributes (`OSAttr=2:6.0`).
    pub attributes: Vec<String>,
    /// The catalog's signature (id `1`).
    pub signature: PeSignature,
    /// Every member that was understood.
    pub members: Vec<CatalogMember>,
    /// What fails the catalog: its signature, a member not understood.
    pub failures: Vec<PeFailure>,
    /// True when the signature verified and every member was understood.
    pub verified: bool,
}

/// Whether `path` names a catalog (Windows opens catalogs by extension).
pub fn is_catalog_name(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".cat")
}

/// Verifies the catalog `der` under `policy` at `now`. Never fails: every
/// problem is a failure in the result.
pub fn verify_catalog(
    der: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> CatalogVerification {
    let mut v = CatalogVerification {
        version: None,
        list_identifier: None,
        this_update: None,
        attributes: Vec::new(),
        signature: PeSignature::new("1".into()),
        members: Vec::new(),
        failures: Vec::new(),
        verified: false,
    };
    let mut sig = PeSignature::new("1".into());
    match check(der, policy, now, &mut sig, &mut v) {
        Ok(report) => {
            sig.verified = true;
            sig.signer = Some(report);
        }
        Err((check, reason)) => sig.set_failure(check, reason),
    }
    // The signature's failure first: it is the one an auditor acts on.
    if let Some(f) = &sig.failure {
        v.failures.insert(0, f.clone());
    }
    v.signature = sig;
    v.verified = v.failures.is_empty();
    v
}

fn check(
    der: &[u8],
    policy: &TrustPolicy,
    now: OffsetDateTime,
    sig: &mut PeSignature,
    v: &mut CatalogVerification,
) -> Result<crate::sig::cms::SignerReport, Fail> {
    let sd = cms::signed_data_from_der(der).map_err(cms_fail)?;
    let [si] = sd.signer_infos.0.as_slice() else {
        return Err((
            "parse",
            format!(
                "{} SignerInfos; a catalog signature has exactly one",
                sd.signer_infos.0.len()
            ),
        ));
    };
    if !nested_values(&unsigned_attributes(si)).is_empty() {
        return Err((
            "nested",
            "a signature nested in a catalog: signtool does not make them and Windows does not read them, so glassbox refuses rather than pick".into(),
        ));
    }
    cms::check_structure(&sd).map_err(cms_fail)?;
    if sd.encap_content_info.econtent_type != OID_CTL {
        return Err((
            "supported",
            format!(
                "content type {} is not a certificate trust list (szOID_CTL 1.3.6.1.4.1.311.10.1): not a catalog",
                sd.encap_content_info.econtent_type
            ),
        ));
    }
    let econtent = sd.encap_content_info.econtent.as_ref().ok_or_else(|| {
        (
            "parse",
            "no certificate trust list in the catalog".to_string(),
        )
    })?;
    // signtool and osslsigncode put the CTL itself in the content
    // (PKCS #7 v1.5 §9.3: messageDigest over its content octets); CMS
    // tools wrap it in an OCTET STRING (RFC 5652 §5.4: over the octets).
    // The encoding says which, so there is one reading.
    let (ctl_der, signed): (Vec<u8>, &[u8]) = match econtent.tag() {
        Tag::Sequence => (
            econtent
                .to_der()
                .map_err(|e| ("parse", format!("CTL: {e}")))?,
            econtent.value(),
        ),
        Tag::OctetString => (econtent.value().to_vec(), econtent.value()),
        t => {
            return Err((
                "parse",
                format!(
                    "the CTL content is a {t}, neither a SEQUENCE (PKCS #7) nor an OCTET STRING (CMS)"
                ),
            ));
        }
    };
    parse_ctl(&ctl_der, v)?;
    check_signer(&sd, si, &OID_CTL, signed, policy, now, sig)
}

fn parse_ctl(der: &[u8], v: &mut CatalogVerification) -> Result<(), Fail> {
    let bad = |s: String| ("catalog", s);
    let ctl = CertificateTrustList::from_der(der)
        .map_err(|e| ("parse", format!("CertificateTrustList: {e}")))?;
    if let Some(version) = &ctl.version {
        return Err(bad(format!(
            "CTL version {} is written out; DER omits the default v1 and no other version is defined",
            hex::encode(version.as_bytes())
        )));
    }
    if ctl.subject_usage != [OID_CATALOG_LIST] {
        let usage: Vec<String> = ctl.subject_usage.iter().map(|o| o.to_string()).collect();
        return Err(bad(format!(
            "subject usage [{}] is not a catalog list (1.3.6.1.4.1.311.12.1.1): another kind of trust list",
            usage.join(", ")
        )));
    }
    let alg = &ctl.subject_algorithm;
    v.version = match alg.oid {
        OID_CATALOG_LIST_MEMBER => Some(1),
        OID_CATALOG_LIST_MEMBER2 => Some(2),
        o => {
            return Err(bad(format!(
                "subject algorithm {o} is neither catalog member version 1 nor 2"
            )));
        }
    };
    if alg
        .parameters
        .as_ref()
        .is_some_and(|p| p.tag() != Tag::Null)
    {
        return Err(bad("subject algorithm parameters are not NULL".into()));
    }
    v.list_identifier = ctl
        .list_identifier
        .as_ref()
        .map(|l| hex::encode(l.as_bytes()));
    v.this_update =
        OffsetDateTime::from_unix_timestamp(ctl.this_update.to_unix_duration().as_secs() as i64)
            .ok();
    for ext in ctl.extensions.iter().flatten() {
        if ext.extn_id == OID_CAT_NAMEVALUE {
            let (name, value) = Any::from_der(ext.extn_value.as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|a| name_value(&a))
                .map_err(|e| bad(format!("catalog attribute: {e}")))?;
            v.attributes.push(format!("{name}={value}"));
        } else if ext.critical {
            return Err(bad(format!(
                "critical extension {} glassbox does not understand",
                ext.extn_id
            )));
        }
    }
    for subject in ctl.trusted_subjects.iter().flatten() {
        let tag = tag_text(subject.subject_identifier.as_bytes());
        match member(&tag, subject) {
            Ok(m) => v.members.push(m),
            Err(reason) => v.failures.push(PeFailure {
                signature: String::new(),
                check: "catalog-member".into(),
                reason: format!("member {tag}: {reason}"),
            }),
        }
    }
    Ok(())
}

/// One member, or why it is not understood.
fn member(tag: &str, subject: &TrustedSubject) -> Result<CatalogMember, String> {
    let mut indirect: Option<SpcIndirectDataContent> = None;
    let mut file = None;
    for attr in subject.subject_attributes.iter().flat_map(|a| a.iter()) {
        let [value] = attr.values.as_slice() else {
            return Err(format!(
                "attribute {} has {} values; glassbox reads exactly one",
                attr.oid,
                attr.values.len()
            ));
        };
        match attr.oid {
            OID_SPC_INDIRECT_DATA => {
                if indirect.is_some() {
                    return Err("two SpcIndirectData attributes: two hashes for one member".into());
                }
                indirect = Some(
                    value
                        .decode_as()
                        .map_err(|e| format!("SpcIndirectDataContent: {e}"))?,
                );
            }
            OID_CAT_NAMEVALUE => {
                let (name, text) = name_value(value)?;
                if name == "File" {
                    if file.is_some() {
                        return Err("two File names".into());
                    }
                    file = Some(text);
                }
            }
            // Which of Windows' subject interface packages hashes the
            // member: the hash type below is what glassbox judges.
            OID_CAT_MEMBERINFO | OID_CAT_MEMBERINFO2 => {}
            o => return Err(format!("attribute {o} glassbox does not understand")),
        }
    }
    let indirect = indirect.ok_or("no SpcIndirectData attribute: the member lists no hash")?;
    let hash = match indirect.data.kind {
        OID_SPC_PE_IMAGE_DATA => MemberHash::PeImage,
        OID_SPC_CAB_DATA => MemberHash::Flat,
        o => {
            return Err(format!(
                "indirect data type {o} is neither a PE image (1.3.6.1.4.1.311.2.1.15) nor a flat file hash (1.3.6.1.4.1.311.2.1.25); glassbox cannot compute that hash"
            ));
        }
    };
    let alg = DigestAlgorithm::from_alg(&indirect.message_digest.digest_algorithm)
        .map_err(|e| e.to_string())?;
    let digest = indirect.message_digest.digest.as_bytes();
    if digest.len() != alg.output_len() {
        return Err(format!("a {}-byte {} hash", digest.len(), alg.name()));
    }
    let digest = hex::encode(digest);
    // Windows looks a member up by its tag, the hex of its hash when the
    // catalog was made with `<HASH>`: a tag naming another hash than the
    // one listed would be two answers.
    if tag.len() == digest.len()
        && tag.bytes().all(|b| b.is_ascii_hexdigit())
        && !tag.eq_ignore_ascii_case(&digest)
    {
        return Err(format!(
            "its tag names the hash {tag}, its indirect data {digest}"
        ));
    }
    Ok(CatalogMember {
        tag: tag.to_string(),
        file,
        hash,
        digest_algorithm: alg,
        digest,
    })
}

/// A CAT_NAMEVALUE's name and value.
fn name_value(value: &Any) -> Result<(String, String), String> {
    let nv: CatNameValue = value
        .decode_as()
        .map_err(|e| format!("CAT_NAMEVALUE: {e}"))?;
    if nv.tag.tag() != Tag::BmpString {
        return Err("CAT_NAMEVALUE tag is not a BMPString".into());
    }
    let name = crate::x509::bmp_string(nv.tag.value()).ok_or("CAT_NAMEVALUE tag is not UTF-16")?;
    let text = utf16le(nv.value.as_bytes())
        .ok_or_else(|| format!("CAT_NAMEVALUE {name} value is not UTF-16LE text"))?;
    Ok((name, text))
}

/// UTF-16LE text without its terminating NULs.
fn utf16le(b: &[u8]) -> Option<String> {
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = b
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let s = String::from_utf16(&units).ok()?;
    Some(s.trim_end_matches('\0').to_string())
}

/// A member tag as text: UTF-16LE when it is printable text (makecat's
/// tags), else hex.
fn tag_text(b: &[u8]) -> String {
    utf16le(b)
        .filter(|s| !s.is_empty() && s.chars().all(|c| !c.is_control()))
        .unwrap_or_else(|| hex::encode(b))
}
